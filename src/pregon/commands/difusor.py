"""`pregon difusor …`: the difusor's commands. Each family lives in its own module and registers here."""

import importlib

import click


@click.group()
def difusor():
    """A difusor oficial: receive, publish, serve, analyse and report."""


# module under pregon.commands -> the click commands it contributes
_PARTS = {
    "difusor_agent": ("run", "serve", "status", "journal", "webconfig"),
    "difusor_stats": ("stats",),
    "difusor_memoria": ("memoria",),
    "difusor_init": ("init",),
}

for _module, _names in _PARTS.items():
    try:
        _mod = importlib.import_module(f"pregon.commands.{_module}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"pregon.commands.{_module}":
            raise
        continue
    for _name in _names:
        if hasattr(_mod, _name):
            difusor.add_command(getattr(_mod, _name), _name)
