"""The packages the institute has made public, in order, and what each difusor still needs.

`work/published.jsonl` has one line per package as it becomes public (cut or notice): sequence, kind, file,
bytes, SHA-256, corte sequence and instant, the wall-clock instant it was published (the reference for the
difusores' lag), and the addressees of a notice. Push and the pull index are both derived from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from .. import durable
from ..package.build import build_notice
from ..package.keys import SecretKey
from . import store


@dataclass(frozen=True)
class PackageRecord:
    sequence: int
    kind: str  # full | delta | notice
    file: str  # absolute path of the .tar.gz
    bytes: int
    sha256: str
    published: str  # ISO UTC, when it became public
    election: str
    corte_sequence: int | None = None
    corte_instant: str | None = None
    base_sequence: int | None = None
    site: str | None = None  # the official site directory of this cut
    to: tuple[str, ...] = field(default_factory=tuple)  # a notice's addressees (empty: all)
    notice_type: str | None = None

    @property
    def name(self) -> str:
        return Path(self.file).name

    def for_difusor(self, ident: str) -> bool:
        return self.kind != "notice" or not self.to or ident in self.to

    def to_json(self) -> dict:
        d = asdict(self)
        d["to"] = list(self.to)
        return d

    @classmethod
    def from_json(cls, d: dict) -> "PackageRecord":
        d = dict(d)
        d["to"] = tuple(d.get("to") or ())
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def package_name(election: str, sequence: int, kind: str) -> str:
    return f"{election}-{sequence:08d}-{kind}.tar.gz"


def record(work: Path, rec: PackageRecord) -> None:
    durable.append_jsonl(Path(work) / "published.jsonl", rec.to_json())


def published(work: Path) -> list[PackageRecord]:
    recs = [PackageRecord.from_json(d) for d in durable.read_jsonl(Path(work) / "published.jsonl")]
    return sorted(recs, key=lambda r: r.sequence)


def pending_for(records: list[PackageRecord], ident: str, last_ok: int | None,
                tree_seq: int | None) -> list[PackageRecord]:
    """What difusor `ident` still needs, in order, given the last package delivered to it (`last_ok`) and
    the last cut package delivered (`tree_seq`: the tree it holds).

    Deltas are sent while they chain onto that tree; a difusor that missed one (it was down) gets the
    latest full package, then the deltas after it. Nothing at or below `last_ok` is sent again (the
    receiver would refuse it as a replay): when the latest full is that old, the difusor waits for the
    next full package (`request_full` asks the scheduler for one).
    """
    mine = [r for r in records if r.for_difusor(ident)]
    done = last_ok or 0
    # only cuts above both marks can still be delivered (anything at or below `done` would be a replay)
    cuts = [r for r in mine if r.kind != "notice" and r.sequence > max(tree_seq or 0, done)]
    fulls = [c.sequence for c in cuts if c.kind == "full"]
    if fulls:  # a newer full supersedes every cut before it
        cuts = [c for c in cuts if c.sequence >= fulls[-1]]
    else:
        tree = tree_seq
        for r in cuts:
            if tree is None or r.base_sequence != tree:
                cuts = []  # the chain is broken and no full follows: wait for the next full
                break
            tree = r.sequence
    out = [r for r in mine if r.kind == "notice" and r.sequence > done] + [r for r in cuts if r.sequence > done]
    return sorted(out, key=lambda r: r.sequence)


def request_full(work: Path, reason: str) -> None:
    """Ask the scheduler to make its next cut a full package (a difusor must resynchronise)."""
    durable.append_jsonl(Path(work) / "full-requests.jsonl", {"reason": reason, "time": store.iso(store.utc_now())})


def make_notice(*, work: Path, packages_dir: Path, key: SecretKey, election: str, issuer: str, notice_type: str,
                message: str, to: tuple[str, ...], created: datetime, published_at: datetime) -> PackageRecord:
    """Build, sign and record a notice package addressed to `to` (empty: everyone)."""
    seq = store.next_sequence(work)
    packages_dir.mkdir(parents=True, exist_ok=True)
    out = packages_dir / package_name(election, seq, "notice")
    build_notice(key=key, sequence=seq, election=election, notice_type=notice_type, message=message,
                 created=created, out=out, to=to, issuer=issuer)
    size, digest = durable.sha256_file(out)
    rec = PackageRecord(sequence=seq, kind="notice", file=str(out), bytes=size, sha256=digest,
                        published=store.iso(published_at), election=election, to=tuple(to),
                        notice_type=notice_type)
    record(work, rec)
    return rec
