"""docs/analytics.md states the definitions exactly as the report prints them, and the whole bot list."""

from __future__ import annotations

import re
from pathlib import Path

from pregon.analytics.classify import BOT_TOKENS
from pregon.analytics.report import definitions
from pregon.analytics.visits import BUCKETS

DOC = Path(__file__).resolve().parents[2] / "docs" / "analytics.md"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_docs_state_the_printed_definitions():
    doc = squash(DOC.read_text(encoding="utf-8"))
    for key, text in definitions("America/Mexico_City", 1800, 1800, ("pregon-monitor",), ()).items():
        assert squash(text) in doc, key


def test_docs_list_every_bot_token_and_bucket():
    doc = DOC.read_text(encoding="utf-8")
    section = doc[doc.index("## Bots and the monitor"):doc.index("## The figures")]
    listed = {t.strip() for t in squash(section).split(":", 1)[1].split(" and an empty")[0].split(",")}
    listed = {t.split(" (")[0] for t in listed}
    assert listed == set(BOT_TOKENS)
    for label, *_ in BUCKETS:
        assert label.replace("-", "–") in doc, label  # the docs use en dashes: 0–10 s
