"""INE's own databases are not in the fixtures, but their LEEMEs (2018, 2021) and candidaturas are: the
layouts and the words they define must all be known to vocabulary.toml, and the candidaturas must read."""

from __future__ import annotations

import re

from pregon.database import candidaturas, reader
from pregon.database.text import decode
from pregon.database.vocabulary import vocabulary
from realdata import real

LEEMES = ("INE_LEEME_2018_2021/INE_20180702_2100_PREP_diputaciones_LEEME.txt",
          "INE_LEEME_2018_2021/INE_20210607_2000_PREP_Diputaciones_LEEME.txt")
CANDIDATURAS = ("INE_LEEME_2018_2021/INE_20180702_2100_PREP_diputaciones_candidaturas_2018.csv",
                "INE_LEEME_2018_2021/INE_20210607_2000_PREP_Diputaciones_candidatura_2021.csv")


def leeme(relative: str) -> str:
    return decode(real(relative).read_bytes())[0]


def acta_columns(text: str) -> list[str]:
    """The acta table's header as the LEEME prints it (over several lines, '|' between names)."""
    block = text.split("Los datos son los siguientes:")[1].split("1. CLAVE_CASILLA")[0]
    names = re.findall(r"[A-Z][A-Z0-9_]+", block)
    return names


def test_ine_acta_layouts_resolve_with_the_vocabulary():
    for rel in LEEMES:
        cols = acta_columns(leeme(rel))
        assert cols[0] == "CLAVE_CASILLA" and cols[-1] == "COTEJADA"
        layout = reader.resolve(cols, rel)
        assert {"id_distrito_federal", "total_calculado", "cotejada"} - set(layout.roles) == {"cotejada"}
        assert layout.vote_names[-2:] == ["NO_REGISTRADOS", "NULOS"]
        if "20210607" in rel:  # coalition combinations without the C_ prefix, codes among the counts
            assert "C_PAN_PRI_PRD" in layout.vote_names and "C_PVEM_PT_MORENA" in layout.vote_names
            assert "CODIGOS_UTILIZADOS" not in layout.vote_names


def test_ine_header_figures_are_known():
    voc = vocabulary()
    for rel in LEEMES:
        m = re.search(r"ACTAS_ESPERADAS\|.*?PORCENTAJE_PARTICIPACION_CIUDADANA", leeme(rel), re.S)
        names = [n for n in re.split(r"[|\s]+", m.group(0)) if n]
        assert len(names) == 13 and all(voc.figure_role(n) for n in names), names


def test_ine_observation_words_are_known():
    voc = vocabulary()
    for rel in LEEMES:
        text = leeme(rel)
        words = re.findall(r"\*\s*([A-ZÁÉÍÓÚa-záéíóú ]+?)\s+[-–]", text)
        assert words, rel
        for w in words:
            assert voc.observacion(w) is not None or voc.observacion(w.upper() + " O SIN DATO") is not None, w


def test_ine_candidaturas_read():
    c18 = candidaturas.parse(real(CANDIDATURAS[0]).read_bytes(), CANDIDATURAS[0])
    c21 = candidaturas.parse(real(CANDIDATURAS[1]).read_bytes(), CANDIDATURAS[1])
    assert c18.name(1, 1, ("PAN",)) == "FRANCISCO JAVIER LUEVANO NUÑEZ"  # Latin-1, sep=| line
    assert c21.name(1, 1, ("PAN",)) == "NOEL MATA ATILANO"  # UTF-8 with BOM
    assert ("PAN", "PRD", "PRI") in c21.names[(1, 1)]  # PAN-PRI-PRD: a coalition's candidacy
    assert len(c21.names) == 300 and len(c18.names) == 300
