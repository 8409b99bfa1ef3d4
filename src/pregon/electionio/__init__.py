"""The files of an election directory, read and written: catalog.toml, secciones.csv, casillas.csv,
boletas/<CLAVE>.csv and the actas feeds actas/<CLAVE>.csv (docs/election-files.md).

One module per file format. This package imports pregon.election, never the reverse, so the model, the
rules and the corte stay pure functions of their arguments and every path is opened here, at the edge.
"""
