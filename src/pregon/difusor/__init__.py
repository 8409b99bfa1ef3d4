"""difusor stage."""
