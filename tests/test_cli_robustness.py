"""Every `pregon` command, run with missing, empty, garbage and wrong-type arguments and files: none may end
in a traceback; each exits 0, 1 (a check said no) or 2 (unusable input), and a failure is one line on
stderr. The commands and their parameters are read from the CLI itself, so a new command is covered here
without a line more. What a command would go on to run for a long time (a drill, a server, a schedule) is
replaced by a stand-in once its arguments are accepted: this test is about the arguments."""

from __future__ import annotations

import signal

import click
import pytest

from pregon import cli as cli_mod
from pregon.cli import main


def commands():
    """(path, click.Command) for every leaf command."""
    ctx = click.Context(cli_mod.cli)
    out = []

    def walk(group, path):
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            if cmd is None:
                continue
            if isinstance(cmd, click.Group):
                walk(cmd, path + [name])
            else:
                out.append((path + [name], cmd))
    walk(cli_mod.cli, [])
    return out


GARBAGE = b"\x00\xff\xfe garbage \x1b[31m {[ ,|\n" * 20


@pytest.fixture()
def inputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # what a command writes under a relative or empty path lands here
    garbage = tmp_path / "garbage.toml"
    garbage.write_bytes(GARBAGE)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    (folder / "x.csv").write_bytes(GARBAGE)
    return {"garbage": str(garbage), "missing": str(tmp_path / "does-not-exist"), "folder": str(folder),
            "empty": "", "text": "not a value \x07", "negative": "-5", "zero": "0", "huge": "9" * 30,
            "time": "2024-13-45T99:99:99", "out": str(tmp_path / "out"),
            "no_dir": str(tmp_path / "no-such-dir" / "file.tar.gz"),  # an output whose directory is missing
            "under_file": str(garbage / "sub")}  # a directory that cannot be created (a file is in the way)


def values_for(param: click.Parameter, inputs: dict) -> list[str]:
    t = param.type
    common = [inputs["empty"], inputs["text"]]
    if isinstance(t, click.Path) or "file" in param.name or "config" in param.name or "dir" in param.name:
        return common + [inputs["garbage"], inputs["missing"], inputs["folder"], inputs["no_dir"],
                         inputs["under_file"]]
    if isinstance(t, (click.types.IntParamType, click.types.FloatParamType, click.IntRange, click.FloatRange)):
        return common + [inputs["negative"], inputs["zero"], inputs["huge"]]
    if isinstance(t, click.Choice):
        return common + ["NOT-A-CHOICE"]
    return common + [inputs["garbage"], inputs["time"], inputs["huge"]]


def filler(param: click.Parameter, inputs: dict) -> str:
    """A value for the other required parameters: a garbage file (the usual kind of input)."""
    t = param.type
    if isinstance(t, (click.types.IntParamType, click.types.FloatParamType)):
        return "1"
    if isinstance(t, click.Choice):
        return t.choices[0]
    return inputs["garbage"]


def invocations(path, cmd, inputs):
    params = [p for p in cmd.params if p.name not in ("help",) and not getattr(p, "is_flag", False)
              and not (isinstance(p, click.Option) and p.count)]
    required = [p for p in params if p.required]

    def argv(overrides):
        out = list(path)
        for p in params:
            if p.name in overrides or p.required:
                value = overrides.get(p.name, None)
                value = filler(p, inputs) if value is None else value
                if isinstance(p, click.Argument):
                    out.append(value)
                else:
                    out += [p.opts[0], value]
        return out

    if required:
        yield list(path)  # nothing given at all
    yield argv({})
    for p in params:
        for v in values_for(p, inputs):
            yield argv({p.name: v})


@pytest.fixture()
def no_long_runs(monkeypatch):
    """Once a command's arguments are accepted, the long part of it returns at once."""
    from pregon.instituto import scheduler
    from pregon.serve import embedded
    from pregon.simulacro import run as drill

    monkeypatch.setattr(drill.Simulacro, "run", lambda self: None)
    monkeypatch.setattr(scheduler, "run_schedule", lambda *a, **k: 0)
    monkeypatch.setattr(embedded, "serve", lambda *a, **k: None)
    import pregon.difusor.agent as agent

    monkeypatch.setattr(agent, "run_agent", lambda *a, **k: 0)


def _alarm(signum, frame):
    raise TimeoutError("a command ran for more than 60 s on garbage input")


@pytest.mark.parametrize("path, cmd", commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_garbage_never_ends_in_a_traceback(path, cmd, inputs, no_long_runs, capsys):
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        for argv in invocations(path, cmd, inputs):
            signal.alarm(60)
            try:
                code = main(argv)
            except SystemExit as exc:  # click's own exits are fine, as codes
                code = exc.code
            finally:
                signal.alarm(0)
            out, err = capsys.readouterr()
            assert code in (0, 1, 2), (argv, code, err)
            assert "Traceback" not in err + out, (argv, err)
            if code:
                assert err.count("\n") == 1 and err.startswith("pregon: error:"), (argv, err)
    finally:
        signal.signal(signal.SIGALRM, old)


def test_there_are_commands_to_test(inputs):
    total = sum(len(list(invocations(p, c, inputs))) for p, c in commands())
    assert total > 400  # every parameter of every command, each with several bad values
    names = {" ".join(p) for p, _ in commands()}
    assert {"recount", "corte", "site build", "package build", "difusor run", "instituto run", "simulacro",
            "simulate replay"} <= names


def test_outputs_and_state_that_cannot_be_made_are_one_line(tmp_path, capsys):
    """With every other input good: an --out whose directory is missing, a --state under a file, a difusor
    root that cannot be created."""
    import json

    site = tmp_path / "site"
    (site / "json").mkdir(parents=True)
    (site / "index.html").write_text("<!DOCTYPE html><title>x</title>")
    (site / "json" / "main.json").write_text(json.dumps({"proceso": {"id": "T-2024"},
                                                         "corte": {"instante": "2024-06-02T21:00:00-06:00"}}))
    assert main(["package", "keygen", "--out", str(tmp_path / "keys")]) == 0
    capsys.readouterr()
    bad_out = tmp_path / "no-such-dir" / "p.tar.gz"
    assert main(["package", "build", str(site), "--key", str(tmp_path / "keys"), "--sequence", "1",
                 "--out", str(bad_out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-dir" in err
    good = tmp_path / "p.tar.gz"
    assert main(["package", "build", str(site), "--key", str(tmp_path / "keys"), "--sequence", "1",
                 "--out", str(good)]) == 0
    capsys.readouterr()
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["package", "verify", str(good), "--key", str(tmp_path / "keys" / "pregon.pub"),
                 "--state", str(blocker / "state"), "--commit"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a-file" in err
    cfg = tmp_path / "difusor.toml"
    cfg.write_text(f'[difusor]\nid = "x"\nroot = "{blocker}/root"\n'
                   f'public_keys = ["{tmp_path / "keys" / "pregon.pub"}"]\nsyslog = false\n')
    assert main(["difusor", "run", "--config", str(cfg), "--once"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a-file" in err and "Traceback" not in err
