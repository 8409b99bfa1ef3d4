"""The pure core: catalog, actas, the PREP counting rules, the corte, and the PREP's text formats.

Nothing here reads a clock, opens a file or a socket: time comes in as an argument, timezone-aware, so a corte
is a function of (catalog, actas, instant). The files an election directory holds are read and written by
pregon.electionio, which imports this package and never the reverse.
"""
