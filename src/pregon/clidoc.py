"""The command reference of docs/cli.md, made from the commands themselves so it cannot drift from them.

    python -m pregon.clidoc            print the reference (Markdown)
    python -m pregon.clidoc --write    replace the reference part of docs/cli.md (between its markers)

tests/test_cli_doc.py fails when docs/cli.md and the commands disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

BEGIN = "<!-- reference: made by `python -m pregon.clidoc --write`; do not edit by hand -->"
END = "<!-- end of reference -->"


def _walk(cmd: click.Command, ctx: click.Context, path: list[str]):
    yield path, cmd, ctx
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, click.Context(sub, parent=ctx, info_name=name), path + [name])


def _option_line(p: click.Parameter) -> str:
    if isinstance(p, click.Argument):
        return f"- `{p.human_readable_name}`" + ("" if p.required else " (optional)")
    names = ", ".join(f"`{n}`" for n in [*p.opts, *p.secondary_opts])
    help_text = " ".join((getattr(p, "help", None) or "").split())
    return f"- {names}" + (f": {help_text}" if help_text else "")


def reference(root: click.Command | None = None) -> str:
    """Every command, its usage line, its help and its parameters, in the order `--help` lists them."""
    if root is None:
        from .cli import cli as root
    ctx = click.Context(root, info_name="pregon")
    out = []
    for path, cmd, sub_ctx in _walk(root, ctx, []):
        if not path or (isinstance(cmd, click.Group) and not cmd.invoke_without_command):
            continue
        usage = " ".join(cmd.collect_usage_pieces(sub_ctx))
        out.append(f"### `pregon {' '.join(path)}`\n")
        out.append(f"`pregon {' '.join(path)} {usage}`\n")
        doc = (cmd.help or "").strip().split("\n\n")[0]
        if doc:
            out.append(" ".join(doc.split()) + "\n")
        params = [_option_line(p) for p in cmd.params if not getattr(p, "hidden", False)]
        if params:
            out.append("\n".join(params) + "\n")
    return "\n".join(out)


def splice(document: str, ref: str) -> str:
    """`document` with the text between its markers replaced by `ref`."""
    head, _, rest = document.partition(BEGIN)
    _, _, tail = rest.partition(END)
    if not rest:
        raise ValueError(f"docs/cli.md has no {BEGIN!r} marker")
    return f"{head}{BEGIN}\n\n{ref}\n{END}{tail}"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ref = reference()
    if argv == ["--write"]:
        doc = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
        doc.write_text(splice(doc.read_text("utf-8"), ref), "utf-8")
        print(f"wrote {doc}", file=sys.stderr)
    else:
        sys.stdout.write(ref)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
