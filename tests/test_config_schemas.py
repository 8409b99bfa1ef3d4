"""Every key of every pregon configuration file, given the wrong type (and, for numbers, a value out of
range), and every table given as a plain value: one InputError line naming the file, the table, the key,
what was given and what is expected. The cases are generated from the schemas themselves, so a key added
to a schema is tested without a line more here."""

from __future__ import annotations

import copy
import json

import pytest

from pregon.configschema import Key, Many, wrong_value
from pregon.difusor import config as difusor_config
from pregon.errors import InputError
from pregon.instituto import config as instituto_config
from pregon.instituto.registry import ENTRY_SCHEMA, Difusor
from pregon.simulacro import plan as simulacro_plan


def load_difusor(data, tmp):
    return difusor_config.config_from_dict(data, base=tmp, source=tmp / "difusor.toml")


def load_instituto(data, tmp):
    return instituto_config.config_from_dict(data, base=tmp, source=tmp / "instituto.toml")


def load_entry(data, tmp):
    return Difusor.from_json(data, where=str(tmp / "el-diario.json"))


def toml(data: dict) -> str:
    """Enough TOML for these cases (JSON scalars and string lists are TOML too)."""
    top = [f"{k} = {json.dumps(v)}" for k, v in data.items() if not isinstance(v, (dict, list))
           or (isinstance(v, list) and not all(isinstance(t, dict) for t in v)) or v == []]
    out = top[:]
    for name, v in data.items():
        for table, header in ([(v, f"[{name}]")] if isinstance(v, dict) else
                              [(t, f"[[{name}]]") for t in v] if isinstance(v, list) and v
                              and all(isinstance(t, dict) for t in v) else []):
            out += [header] + [f"{k} = {json.dumps(x)}" for k, x in table.items()]
    return "\n".join(out) + "\n"


def load_simulacion(data, tmp):
    (tmp / "simulacion.toml").write_text(toml(data), "utf-8")
    return simulacro_plan.timeline(tmp)


FILES = {
    "simulacion.toml": (load_simulacion, simulacro_plan.SIMULACION_SCHEMA,
                        lambda tmp: {"timeline": {"inicio_publicacion": "2024-06-02T20:00:00-06:00",
                                                  "fin_publicacion": "2024-06-03T20:00:00-06:00"}}),

    "difusor.toml": (load_difusor, difusor_config.SCHEMA, lambda tmp: {"difusor": {"id": "x", "root": str(tmp)}}),
    "instituto.toml": (load_instituto, instituto_config.SCHEMA, lambda tmp: {}),
    "el-diario.json": (load_entry, ENTRY_SCHEMA, lambda tmp: {"id": "el-diario", "nombre": "El Diario",
                                                              "sitio": "https://d.mx", "enlace": "https://d.mx/"}),
}


def cases():
    for file, (_load, schema, _base) in FILES.items():
        for name, spec in schema.items():
            if isinstance(spec, Key):
                yield file, None, name, spec
                continue
            yield file, name, None, None  # the table itself as a plain value
            for key, k in spec.items():
                yield file, name, key, k


@pytest.mark.parametrize("file, table, key, spec", list(cases()),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_wrong_types_are_one_line_naming_the_key(tmp_path, file, table, key, spec):
    load, _schema, base = FILES[file]
    data = copy.deepcopy(base(tmp_path))
    if table is None:
        data[key] = wrong_value(spec)
        named = f"{file} {key}: expected"
    elif key is None:
        data[table] = 3
        many = isinstance(_schema[table], Many)
        named = f"[[{table}]] must be an array of tables" if many else f"[{table}] must be a table"
    elif isinstance(_schema[table], Many):
        data[table] = [{key: wrong_value(spec)}]
        named = f"{file} [[{table}]] #1 {key}: expected"
    else:
        data.setdefault(table, {})[key] = wrong_value(spec)
        named = f"{file} [{table}] {key}: expected"
    with pytest.raises(InputError) as exc:
        load(data, tmp_path)
    text = str(exc.value)
    assert named in text and "\n" not in text, text
    if key is not None:
        assert repr(wrong_value(spec if spec is not None else Key("table")))[:20] in text  # what was given


def ranged():
    for file, (_load, schema, _base) in FILES.items():
        for table, spec in schema.items():
            if isinstance(spec, Key):
                continue
            for key, k in spec.items():
                if k.kind in ("int", "number") and k.low is not None:
                    yield file, table, key, k.low - 1
                if k.kind in ("int", "number") and k.high is not None:
                    yield file, table, key, k.high + 1


@pytest.mark.parametrize("file, table, key, value", list(ranged()))
def test_numbers_out_of_range_are_refused(tmp_path, file, table, key, value):
    load, schema, base = FILES[file]
    data = copy.deepcopy(base(tmp_path))
    if isinstance(schema[table], Many):
        data[table] = [{key: value}]
    else:
        data.setdefault(table, {})[key] = value
    with pytest.raises(InputError, match=rf"\[{table}\]\]?( #1)? {key}: expected .* (between|of at least)"):
        load(data, tmp_path)


def test_the_reported_cases(tmp_path):
    """What the hardening pass found, one by one."""
    base = {"difusor": {"id": "x", "root": str(tmp_path)}}
    for section, key, value, words in [
        ("difusor", "poll_interval", "fast", "poll_interval: expected a number"),
        ("difusor", "require_marker", "no", "require_marker: expected true or false, got 'no'"),
        ("difusor", "public_keys", "keys/instituto.pub", "[difusor] public_keys: expected a list of strings"),
        ("hooks", "on_activate", 5, "[hooks] on_activate: expected a string, got 5"),
        ("serve", "port", "80", "[serve] port: expected an integer between 1 and 65535, got '80'"),
        ("pull", "max_mb", "2G", "[pull] max_mb: expected an integer"),
    ]:
        data = copy.deepcopy(base)
        data.setdefault(section, {})[key] = value
        if section == "pull":
            data["pull"]["url"] = "https://prep.example.mx/publicado/index.json"
        with pytest.raises(InputError) as exc:
            load_difusor(data, tmp_path)
        assert words in str(exc.value), str(exc.value)
    with pytest.raises(InputError, match=r"\[window\] must be a table"):
        load_difusor({**base, "window": "2024-06-02T20:00"}, tmp_path)
    with pytest.raises(InputError, match=r"\[schedule\] cadence_minutes: expected a number"):
        load_instituto({"schedule": {"cadence_minutes": "15"}}, tmp_path)
