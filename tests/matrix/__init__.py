"""Matrix backend tests: pure parts, and scenarios against a real Synapse."""
