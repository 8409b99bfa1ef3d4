"""pregon: the PREP election-night dissemination system, both sides of the wire."""

__version__ = "0.1.0"
