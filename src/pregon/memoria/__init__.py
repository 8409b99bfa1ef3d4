"""memoria stage."""
