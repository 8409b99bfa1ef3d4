"""The call's calendar: who is missing what before each date (`difusores list --pendientes`)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from instituto.kit import LOGO, institute
from pregon.cli import main
from pregon.instituto import pendientes as pend
from pregon.instituto.registry import Contact, Difusor, Registry, Server, Transfer

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHYdrNxKmU5wsLnlM3JByqNfZZgiQT0N7QgDTTRcHOkb host"
CALENDAR = {"registration_until": date(2024, 5, 1), "infrastructure_ready": date(2024, 5, 10),
            "list_published": date(2024, 5, 20), "drills": [date(2024, 5, 12), date(2024, 5, 19), date(2024, 5, 26)]}
CALENDAR_TOML = ("\n[calendar]\nregistration_until = 2024-05-01\ninfrastructure_ready = 2024-05-10\n"
                 "list_published = 2024-05-20\ndrills = [2024-05-12, 2024-05-19, 2024-05-26]\n")


def complete(ident="completo", **kw) -> Difusor:
    d = Difusor(id=ident, nombre="Completo", sitio="https://c.mx", enlace="https://c.mx/prep/",
                tecnico=Contact("Ana", "ana@c.mx", "443 000 0001"), legal=Contact("Luis", "luis@c.mx", "443 000 0002"),
                servidor=Server("203.0.113.5", "Debian 12, nginx", "2 VM", "UPS", "1 Gb/s"),
                transfer=Transfer("sftp", user="prep", path="/srv/inbox", host_key=HOST_KEY),
                carta_recibida=True, carta_fecha="2024-04-20", simulacros=["2024-05-12", "2024-05-19"], logo=True)
    for k, v in kw.items():
        setattr(d, k, v)
    return d


def partial() -> Difusor:
    return Difusor(id="incompleto", nombre="Incompleto", sitio="https://i.mx", enlace="https://i.mx/prep/",
                   tecnico=Contact("", "ti@i.mx"), legal=Contact("Lic. B", "j@i.mx", "443 000 0003"),
                   transfer=Transfer("pull"), simulacros=["2024-05-12"])


def blocked() -> Difusor:
    return complete("bloqueado", estado="blocked",
                    bloqueo={"fecha": "2024-05-14T10:00:00-06:00", "motivo": "alteró resultados"})


def items(report, key, when=None):
    dl = [x for x in report["deadlines"] if x["key"] == key and (when is None or x["date"] == when)]
    assert dl, (key, when)
    return {(i["difusor"], i["field"]): i["detail"] for i in dl[0]["items"]}


OK_DELIVERY = {"difusor": "completo", "result": "ok", "sequence": 1}
UP = [{"difusor": "completo", "up": True, "status": "ok"}, {"difusor": "incompleto", "up": True, "status": "ok"}]


def test_registration_infrastructure_drills_and_list(tmp_path):
    at = date(2024, 5, 15)
    ds = [complete(), partial(), blocked()]
    r = pend.pending(ds, pend.dates(CALENDAR), at, deliveries=[OK_DELIVERY], observations=UP)
    assert r["at"] == "2024-05-15" and r["difusores"] == 2  # the blocked one only under list_published
    states = [(x["key"], x["date"], x["state"], x["days"]) for x in r["deadlines"]]
    assert states == [("registration_until", "2024-05-01", "past", -14),
                      ("infrastructure_ready", "2024-05-10", "past", -5),
                      ("drill", "2024-05-12", "past", -3), ("drill", "2024-05-19", "upcoming", 4),
                      ("list_published", "2024-05-20", "upcoming", 5), ("drill", "2024-05-26", "upcoming", 11)]
    reg = items(r, "registration_until")
    assert set(reg) == {("incompleto", f) for f in ("tecnico.nombre", "tecnico.telefono", "servidor.host",
                                                     "servidor.software", "servidor.hardware", "servidor.energia",
                                                     "servidor.red", "logo", "carta")}
    assert reg[("incompleto", "logo")] == "missing: vector logo (SVG or PDF-compatible .ai)"
    assert items(r, "infrastructure_ready") == {}  # pushed once, both seen up by the monitor
    assert items(r, "drill", "2024-05-12") == {}  # both attended the first drill
    assert items(r, "drill", "2024-05-19") == {}  # upcoming: the only earlier drill was attended by both
    assert items(r, "drill", "2024-05-26") == {}
    listed = items(r, "list_published")
    assert listed[("bloqueado", "estado")] == "blocked since 2024-05-14T10:00:00-06:00: alteró resultados"
    assert listed[("incompleto", "registro")].startswith("registration incomplete: tecnico.nombre, ")
    assert ("completo", "registro") not in listed


def test_a_later_date_marks_missed_drills_and_past_dates():
    at = date(2024, 5, 22)
    r = pend.pending([complete(), partial()], pend.dates(CALENDAR), at, deliveries=[OK_DELIVERY], observations=UP)
    assert items(r, "drill", "2024-05-19") == {("incompleto", "simulacro"): "did not attend"}  # past now
    assert items(r, "drill", "2024-05-26") == {
        ("incompleto", "simulacros"): "missed 1 of 2 earlier drill(s): 2024-05-19"}
    assert [x["state"] for x in r["deadlines"] if x["key"] == "list_published"] == ["past"]
    text = pend.to_text(r)
    assert "2024-05-20  list of difusores oficiales published" in text and "PAST, 2 days ago" in text
    assert "    incompleto             simulacros         missed 1 of 2 earlier drill(s): 2024-05-19" in text
    same_day = pend.pending([complete()], pend.dates(CALENDAR), date(2024, 5, 19))
    assert [x["state"] for x in same_day["deadlines"] if x["date"] == "2024-05-19"] == ["today"]


def test_infrastructure_wants_a_push_that_went_through_and_a_copy_the_monitor_reached():
    failed = {"difusor": "completo", "result": "failed", "error": "host key mismatch"}
    no_key = complete("sin-llave")
    no_key.transfer.host_key = ""  # a record edited by hand: the registry reads it, the calendar tells
    r = pend.pending([complete(), no_key], pend.dates(CALENDAR), date(2024, 5, 8), deliveries=[failed],
                     observations=[{"difusor": "completo", "up": False, "status": "down", "error": "cannot connect"}])
    infra = items(r, "infrastructure_ready")
    assert infra[("completo", "push")] == "no package delivered yet over sftp; last attempt: host key mismatch"
    assert infra[("completo", "monitor")] == "the monitor has never reached https://c.mx/prep/; last: down cannot connect"
    assert infra[("sin-llave", "ssh")] == "SSH details missing: SSH host key to pin"
    assert ("sin-llave", "push") not in infra  # one thing at a time: the key first
    assert items(r, "registration_until")[("sin-llave", "transfer.host_key")] == "missing: SSH host key to pin"


def test_frame_difusores_host_nothing():
    d = Difusor(id="marco", nombre="Marco", sitio="https://m.mx", enlace="https://m.mx/prep/",
                tecnico=Contact("A", "a@m.mx", "1234567"), legal=Contact("B", "b@m.mx", "1234567"),
                transfer=Transfer("frame"), carta_recibida=True, logo=True)
    assert pend.registration_gaps(d) == []
    assert pend.infrastructure_gaps(d, [], [{"difusor": "marco", "up": True, "status": "ok"}]) == []
    assert pend.infrastructure_gaps(d, [], []) == [("monitor", "the monitor has never reached https://m.mx/prep/")]


@pytest.mark.parametrize("profile,fields", [
    ("ieem-2021", {"tecnico.movil", "legal.movil"}),
    ("impepac-2021", {"tecnico.movil", "legal.movil"}),
    ("iem-2021", {"entidad", "ip_registro", "url_pruebas", "url_oficial"}),
    ("iepc-chis-2024", {"diagrama", "personal"}),
    ("iepc-dgo-2022", set()),
    (None, set()),
])
def test_each_call_asks_its_own_fields(profile, fields):
    assert set(pend.registration_gaps(complete(), profile)) == fields


def cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_pendientes_text_json_and_profile_drills(tmp_path, capsys):
    cfg = institute(tmp_path / "inst", tmp_path / "feed",
                    extra='\n[profile]\nid = "iepc-chis-2024"\n[calendar]\nregistration_until = 2024-05-01\n')
    reg = Registry(tmp_path / "inst" / "difusores")
    reg.add(complete(), LOGO)
    reg.add(partial())
    code, out, err = cli(capsys, "instituto", "difusores", "list", "--config", str(cfg), "--pendientes",
                         "--at", "2024-05-20", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["profile"] == "iepc-chis-2024"
    drills = [(x["date"], x["source"]) for x in r["deadlines"] if x["key"] == "drill"]
    assert drills == [("2024-05-12", "profile iepc-chis-2024"), ("2024-05-19", "profile iepc-chis-2024"),
                      ("2024-05-26", "profile iepc-chis-2024")]  # the call's drills: [calendar] names none
    assert [x["date"] for x in r["deadlines"] if x["key"] == "memoria_due"] == ["2024-06-16"]
    reg_items = items(r, "registration_until")
    assert reg_items[("completo", "diagrama")] == "missing: service diagram (PDF, SVG or PNG)"
    assert ("completo", "personal") in reg_items
    assert items(r, "drill", "2024-05-19") == {("incompleto", "simulacro"): "did not attend"}
    code, out, _ = cli(capsys, "instituto", "difusores", "list", "--config", str(cfg), "--pendientes",
                       "--at", "2024-05-20T23:30:00-06:00")
    assert code == 0
    assert out.startswith("pending as of 2024-05-20 (profile iepc-chis-2024); 2 difusor(es)\n")
    assert "2024-05-01  registration closes" in out and "PAST, 19 days ago" in out
    assert "2024-06-16  memorias técnicas due (not tracked here)" in out and "date only" in out
    # an instant given in UTC is judged in the institute's zone (05:30 UTC on the 21st is still the 20th)
    code, out, _ = cli(capsys, "instituto", "difusores", "list", "--config", str(cfg), "--pendientes",
                       "--at", "2024-05-21T05:30:00+00:00", "--json")
    assert json.loads(out)["at"] == "2024-05-20"


def test_cli_errors_are_one_line(tmp_path, capsys):
    cfg = institute(tmp_path / "inst", tmp_path / "feed")
    for args, words in [(("--pendientes",), "no dates to judge against"),
                        (("--at", "2024-05-01"), "--at goes with --pendientes"),
                        (("--pendientes", "--at", "mañana"), "--at 'mañana': expected a date")]:
        code, _, err = cli(capsys, "instituto", "difusores", "list", "--config", str(cfg), *args)
        assert code == 2 and words in err and err.count("\n") == 1, err
    cfg2 = institute(tmp_path / "inst2", tmp_path / "feed", extra=CALENDAR_TOML)
    code, out, err = cli(capsys, "instituto", "difusores", "list", "--config", str(cfg2), "--pendientes")
    assert code == 0, err  # judged as of today: an empty registry has nothing missing
    assert "nothing missing" in out


def test_list_without_pendientes_is_unchanged(tmp_path, capsys):
    cfg = institute(tmp_path / "inst", tmp_path / "feed", extra=CALENDAR_TOML)
    Registry(tmp_path / "inst" / "difusores").add(partial())
    code, out, _ = cli(capsys, "instituto", "difusores", "list", "--config", str(cfg), "--json")
    assert code == 0 and json.loads(out) == [{"id": "incompleto", "nombre": "Incompleto", "estado": "active",
                                              "metodo": "pull", "enlace": "https://i.mx/prep/"}]
