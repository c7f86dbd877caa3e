"""Matrix (and so Tchap) through matrix-nio: session, rendering, sending."""
