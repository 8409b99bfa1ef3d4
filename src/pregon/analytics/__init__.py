"""Visitor analytics of a difusor's access logs: hits, pages, visitors, visits, time of permanence.

The library the memoria técnica and `pregon difusor stats` share:

    from pregon.analytics import analyze
    report = analyze(["/var/log/nginx/access.log.2.gz", "/var/log/nginx/access.log"],
                     start=..., end=..., baseline=(..., ...))
    report.to_dict()        # stable JSON shape, schema "pregon.analytics/1"
    report.render_text()    # what the command prints

Definitions of every figure: `report.DEFINITIONS` and docs/analytics.md.
"""

from .engine import analyze
from .report import DEFINITIONS, PeriodReport, Report, Row, Traffic

__all__ = ["DEFINITIONS", "PeriodReport", "Report", "Row", "Traffic", "analyze"]
