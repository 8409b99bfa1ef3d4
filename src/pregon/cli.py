"""`pregon …`: one command, grouped by role (the contract, and every command: docs/cli.md).

Each group lives in `pregon.commands.<name>` and is imported only when used, so `pregon corte` does not pay
for the web server or SSH libraries.
"""

from __future__ import annotations

import importlib
import sys

import click

from .errors import PregonError

# command name -> (module under pregon.commands, attribute)
_COMMANDS = {
    "simulate": ("simulate", "simulate"),
    "corte": ("election", "corte"),
    "recount": ("election", "recount"),
    "site": ("site", "site"),
    "package": ("package", "package"),
    "instituto": ("instituto", "instituto"),
    "difusor": ("difusor", "difusor"),
    "simulacro": ("simulacro", "simulacro"),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(_COMMANDS)

    def get_command(self, ctx, name):
        if name not in _COMMANDS:
            return None
        module, attr = _COMMANDS[name]
        try:
            mod = importlib.import_module(f"pregon.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("pregon.commands"):
                return None
            raise
        return getattr(mod, attr, None)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pregon")
def cli():
    """pregon: PREP cortes, official site, signed packages, difusores, analytics and drills."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv=None) -> int:
    """Entry point: PregonError becomes one line on stderr and its exit code, never a traceback."""
    try:
        rv = cli.main(args=argv, prog_name="pregon", standalone_mode=False)
    except PregonError as exc:
        click.echo(f"pregon: error: {_one_line(str(exc))}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:  # one line, like every other error: what is wrong and where to read more
        cmd = exc.ctx.command_path if exc.ctx is not None else "pregon"
        click.echo(f"pregon: error: {cmd}: {_one_line(exc.format_message())} (see '{cmd} --help')", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"pregon: error: {_one_line(exc.format_message())}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("pregon: aborted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a path given cannot be used as given (missing parent, a file in the way, no space)
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"pregon: error: {where}{_one_line(exc.strerror or str(exc))}; check the path, its permissions "
                   "and the free disk space", err=True)
        return 2
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
