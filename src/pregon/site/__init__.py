"""The official formats: a corte's complete static site (HTML, JSON twins, CSV database, assets).

    from pregon.site import build
    report = build(corte, "out/site")                         # full
    report = build(next_corte, "out/site2", previous="out/site")  # incremental

See render.py for the build, paths.py for the URL layout, docs/site-json.md for the JSON twins.
"""

from .render import BuildReport, build

__all__ = ["BuildReport", "build"]
