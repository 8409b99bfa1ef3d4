"""The published PREP database, every layout of the format family (2015–2024, INE's and the OPLEs'):
read from files, interpreted as a corte, recounted, combined, and written back in pregon's layout.

The layouts are data (vocabulary.toml); the modules are the steps: text (bytes to cells), reader (one
file's parts and column roles), candidaturas, files (folders and zips), interpret (rows to a corte), merge
(one corte's elections; `corte_from`: files to the corte a site is built from), recount (the comparison),
writer and leeme (what pregon publishes).
"""

from .files import read
from .interpret import Reading
from .interpret import read as interpret
from .merge import combine, corte_from
from .reader import Database, parse
from .recount import RecountResult, compare, recount
from .writer import GEO, corte_label, file_names, from_corte, write_zip

__all__ = ["Database", "GEO", "Reading", "RecountResult", "combine", "compare", "corte_from", "corte_label",
           "file_names", "from_corte", "interpret", "parse", "read", "recount", "write_zip"]
