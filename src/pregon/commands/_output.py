"""What several commands do with a generated text file: its runtime directory, and where it goes."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError


def runtime_dir(standalone: bool, path: Path | None, make) -> dict:
    """The `runtime_dir` keyword of a --standalone web configuration (made by `make`), or nothing."""
    if not standalone:
        return {}
    if path is None:
        raise InputError("--standalone needs --runtime-dir for the pid file, logs and temporary files")
    return {"runtime_dir": make(path.resolve())}


def write_or_echo(text: str, out: Path | None) -> None:
    """To --out (saying so on stderr), else to stdout as it is."""
    if out:
        out.write_text(text, "utf-8")
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)
