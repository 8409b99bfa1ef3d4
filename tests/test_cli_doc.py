"""docs/cli.md is the command contract: its reference must be what the commands are today."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from pregon import clidoc

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_the_reference_in_docs_is_the_commands_of_today():
    text = DOC.read_text("utf-8")
    assert clidoc.splice(text, clidoc.reference()) == text, \
        "docs/cli.md is out of date: run `python -m pregon.clidoc --write`"


def test_every_command_is_in_the_reference():
    ref = clidoc.reference()
    for name in ("corte", "recount", "site build", "instituto difusores block", "instituto monitor",
                 "difusor memoria", "simulacro"):
        assert f"### `pregon {name}`" in ref


def test_the_reference_follows_a_new_command():
    @click.group()
    def root():
        """A group."""

    @root.command("hola")
    @click.argument("nombre")
    @click.option("--veces", help="how many times")
    def hola(nombre, veces):
        """Say hello.

        More text that is not the summary."""

    ref = clidoc.reference(root)
    assert "### `pregon hola`" in ref and "Say hello." in ref and "More text" not in ref
    assert "- `NOMBRE`" in ref and "- `--veces`: how many times" in ref


def test_splice_needs_the_markers():
    with pytest.raises(ValueError, match="marker"):
        clidoc.splice("no markers here", "x")
