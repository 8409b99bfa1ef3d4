"""The CLI groups, one module per role; `pregon.cli` loads them on demand."""
