"""instituto stage."""
