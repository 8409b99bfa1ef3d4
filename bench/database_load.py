"""Loading real PREP databases: read (bytes -> cells and roles), interpret (rows -> corte) and recount, for
every file in ../shared/fixtures/real, medians of several runs, against Python's csv module reading the
same bytes in the same run (the floor of getting the cells at all). A state-size file is ~8k actas (Puebla
2018: 7,547 rows of 104 columns). Prints figures; never fails on time.

    bench/database_load.py [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _common import machine, median  # noqa: E402

from pregon import database  # noqa: E402
from pregon.database import text  # noqa: E402
from realdata import CAMPECHE, PUEBLA, QROO, REAL, SONORA  # noqa: E402


def entries(relative: str) -> list[tuple[str, bytes]]:
    """The data files' bytes (zips opened once, outside the timing)."""
    path = REAL / relative
    return [(db.source, raw) for db, raw in _raw(path)]


def _raw(path: Path):
    dbs = database.read(path)
    if path.suffix == ".zip":
        import zipfile

        def walk(data: bytes, prefix: str):
            zf = zipfile.ZipFile(io.BytesIO(data))
            for name in zf.namelist():
                content = zf.read(name)
                if name.endswith(".zip"):
                    yield from walk(content, f"{prefix}!{name}")
                else:
                    yield f"{prefix}!{name}", content
        blobs = dict(walk(path.read_bytes(), str(path)))
        return [(db, blobs[db.source]) for db in dbs]
    return [(db, path.read_bytes()) for db in dbs]


def run(runs: int) -> list[dict]:
    out = []
    for rel in [*PUEBLA.values(), *SONORA.values(), QROO, CAMPECHE]:
        for source, raw in entries(rel):
            name = source.replace(str(REAL) + "/", "").split("!")[-1].split("/")[-1]
            t_read, t_interp, t_recount, t_csv = [], [], [], []
            for _ in range(runs):
                t0 = time.perf_counter()
                db = database.parse(raw, source)
                t1 = time.perf_counter()
                database.interpret(db)
                t2 = time.perf_counter()
                database.recount(db)
                t3 = time.perf_counter()
                decoded, _enc = text.decode(raw)
                sum(1 for _ in csv.reader(io.StringIO(decoded, newline="")))
                t4 = time.perf_counter()
                t_read.append(t1 - t0), t_interp.append(t2 - t1), t_recount.append(t3 - t2), t_csv.append(t4 - t3)
            load = median(t_read) + median(t_interp)
            out.append({"file": name, "rows": len(db.rows), "columns": len(db.columns), "bytes": len(raw),
                        "read_s": round(median(t_read), 4), "interpret_s": round(median(t_interp), 4),
                        "load_s": round(load, 4), "recount_s": round(median(t_recount), 4),
                        "csv_module_s": round(median(t_csv), 4),
                        "load_vs_csv": round(load / max(median(t_csv), 1e-9), 2)})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench/database_load.py")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not REAL.exists():
        print(f"bench/database_load.py: {REAL} not found (../shared beside the clone)", file=sys.stderr)
        return 2
    rows = run(args.runs)
    print(f"database load: {machine()}; medians of {args.runs} runs; load = read + interpret")
    print(f"{'file':<26} {'rows':>6} {'cols':>5} {'read s':>8} {'interp s':>9} {'load s':>8} {'recount s':>10} "
          f"{'csv s':>7} {'load/csv':>9}")
    for r in rows:
        print(f"{r['file']:<26} {r['rows']:>6} {r['columns']:>5} {r['read_s']:>8.3f} {r['interpret_s']:>9.3f} "
              f"{r['load_s']:>8.3f} {r['recount_s']:>10.3f} {r['csv_module_s']:>7.3f} {r['load_vs_csv']:>9.2f}")
    state = max(rows, key=lambda r: r["rows"] * r["columns"])
    print(f"state-size file ({state['file']}, {state['rows']:,} actas x {state['columns']} columns): "
          f"load {state['load_s']:.3f} s, recount {state['recount_s']:.3f} s")
    if args.json:
        print(json.dumps({"machine": machine(), "runs": args.runs, "files": rows, "state": state}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
