"""The real published databases in ../shared/fixtures/real, found through one helper (never an absolute path).

Missing fixtures skip a test, except under CI=true where they are a failure: ../shared must sit beside the
clone (PREGON_SHARED points elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PREGON_SHARED", ROOT.parent / "shared"))
REAL = SHARED / "fixtures" / "real"

# The eleven databases of the fixtures (README.md there): name -> path under fixtures/real
PUEBLA = {k: f"IEE_PUE_2018/20180702_2000_PREP_{k}_PUE/PUE_{k}_2018.csv" for k in ("GOB", "DIP_LOC", "AYUN")}
SONORA = {k: f"IEE_SON_2021/SON_{k}_2021.csv" for k in ("GOB", "DIP_LOC", "AYUN")}
QROO = "20190603_0547_PREP_DIP_QROO.zip"
CAMPECHE = "IEEC_CAMP_2021/2021.zip"


def real(relative: str) -> Path:
    path = REAL / relative
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} missing: ../shared must sit beside the clone")
        pytest.skip(f"real fixture {relative} not available")
    return path
