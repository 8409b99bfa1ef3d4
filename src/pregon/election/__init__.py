"""The pure core: catalog, actas, the PREP counting rules, the corte and its CSV database.

Nothing here reads a clock, opens a socket or writes outside an explicit save call: time comes in as an
argument, timezone-aware, so a corte is a function of (catalog, actas, instant).
"""
