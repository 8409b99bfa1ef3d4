"""Ceilings that keep a hostile or broken package from exhausting the difusor's disk, memory or time.

They are enforced while streaming, before the bytes they guard are read, so a gzip bomb is caught after at
most `ratio_floor_bytes` of output. Defaults fit a national PREP site with room to spare.
"""

from __future__ import annotations

from dataclasses import dataclass

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    max_compressed_bytes: int = 2 * GiB  # the .tar.gz on disk
    max_uncompressed_bytes: int = 8 * GiB  # everything the gzip stream inflates to
    max_file_bytes: int = 2 * GiB  # one member
    max_files: int = 1_000_000  # files in the resulting tree
    max_ratio: int = 200  # inflated / compressed, judged once past ratio_floor_bytes
    ratio_floor_bytes: int = 1 * MiB
    max_path_bytes: int = 1024  # one path, UTF-8
    max_component_bytes: int = 255  # one path component, UTF-8 (NAME_MAX)
    max_depth: int = 32  # path components
    max_manifest_bytes: int = 256 * MiB
    max_signature_bytes: int = 4 * KiB
    max_pax_bytes: int = 64 * KiB  # one pax extended header

    def __post_init__(self):
        for name, value in vars(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"limit {name} must be a positive integer, got {value!r}")


DEFAULT_LIMITS = Limits()
