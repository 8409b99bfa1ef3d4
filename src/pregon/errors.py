"""The two ways a pregon command fails, shared by every stage so the CLI can map them to exit codes.

`InputError` (exit 2): the user's file, field or argument is wrong; the message names it and says what to do.
`CheckFailed` (exit 1): the input was well formed but a check refused it (a mismatch, a refused package).
"""


class PregonError(Exception):
    """Base of the errors the CLI reports as one line without a traceback."""

    exit_code = 2


class InputError(PregonError, ValueError):
    """Bad input: a file, line, field or argument that cannot be used as given."""

    exit_code = 2


class CheckFailed(PregonError):
    """A verification ran and said no."""

    exit_code = 1


def where(path, line=None, field=None) -> str:
    """Format a location prefix such as `catalog.toml:12: field 'siglas'`."""
    loc = str(path)
    if line is not None:
        loc += f":{line}"
    if field is not None:
        loc += f": field {field!r}"
    return loc
