"""election stage."""
