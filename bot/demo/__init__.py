"""The demo consultation: its data and the seeding of a fresh database."""
