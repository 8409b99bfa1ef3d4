"""The LEEME that travels inside every database zip: what each field means, in the reader's language."""

from __future__ import annotations

from ..election.catalog import Eleccion

_FIELDS = {
    "CLAVE_CASILLA": "Clave única de casilla: ID_ESTADO(2) + SECCION(4) + TIPO_CASILLA + ID_CASILLA(2) + "
                     "EXT_CONTIGUA(2), escrita =\"…\" para que las hojas de cálculo conserven los ceros.",
    "CLAVE_ACTA": "Clave única de acta: CLAVE_CASILLA + TIPO_ACTA(2). Fuera de catálogo: TIPO_ACTA en cero.",
    "ID_ESTADO": "Identificador de la entidad federativa.",
    "ESTADO": "Nombre de la entidad federativa.",
    "ID_DISTRITO": "Número del distrito electoral.",
    "DISTRITO": "Nombre del distrito electoral.",
    "ID_MUNICIPIO": "Número del municipio.",
    "ID_JUNTA": "Número de la junta municipal.",
    "JUNTA": "Nombre de la junta municipal.",
    "MUNICIPIO": "Nombre del municipio.",
    "SECCION": "Sección electoral de la casilla.",
    "ID_CASILLA": "Número de la casilla.",
    "TIPO_CASILLA": "B básica, C contigua, E extraordinaria, S especial, M mesa de escrutinio.",
    "EXT_CONTIGUA": "Número de casilla contigua a una extraordinaria.",
    "UBICACION_CASILLA": "1 urbana, 2 no urbana.",
    "TIPO_ACTA": "Tipo de acta, igual al número impreso en ella.",
    "TOTAL_BOLETAS_SOBRANTES": "Boletas no usadas y canceladas.",
    "TOTAL_PERSONAS_VOTARON": "Personas que votaron.",
    "TOTAL_REP_PARTIDO_CI_VOTARON": "Representantes de partidos y candidaturas independientes que votaron.",
    "TOTAL_VOTOS_SACADOS": "Votos sacados de la urna.",
    "NO_REGISTRADOS": "Votos por candidaturas no registradas.",
    "NULOS": "Votos nulos.",
    "TOTAL_VOTOS_ASENTADO": "Total de votos asentado en el acta.",
    "TOTAL_VOTOS_CALCULADO": "Suma de los votos de partidos, combinaciones de coalición, candidaturas "
                             "independientes, no registradas y nulos; los textos cuentan como cero.",
    "LISTA_NOMINAL": "Ciudadanos en la lista nominal de la casilla (especiales: 0).",
    "REPRESENTANTES_PP_CI": "Representantes de partidos y candidaturas independientes acreditados.",
    "OBSERVACIONES": "Vacío, ALGUN DATO ILEGIBLE O SIN DATO, TODOS ILEGIBLES O SIN DATO, EXCEDE LISTA "
                     "NOMINAL, SIN ACTA POR … o FUERA DE CATALOGO.",
    "CONTABILIZADA": "1 si el acta se contabiliza, 0 si no.",
    "MECANISMOS_TRASLADO": "D, F o I: mecanismo de traslado del paquete.",
    "SHA": "SHA-256 de la imagen del acta: verifíquela con sha256sum.",
    "FECHA_HORA_ACOPIO": "Fecha y hora de acopio (hora local).",
    "FECHA_HORA_CAPTURA": "Fecha y hora de captura (hora local).",
    "FECHA_HORA_VERIFICACION": "Fecha y hora de verificación (hora local).",
    "ORIGEN": "CATD o CASILLA: dónde se digitalizó el acta.",
    "DIGITALIZACION": "ESCANER o MOVIL.",
    "TIPO_DOCUMENTO": "ACTA PREP, RPP, CC o PPC.",
}

_HEADER = """Programa de Resultados Electorales Preliminares — {nombre}

El archivo CSV de resultados tiene dos secciones separadas por una línea en blanco.

1. Encabezado: el nombre de la elección, la fecha y hora del corte con su desfase de UTC, y las cifras:
ACTAS_ESPERADAS, ACTAS_REGISTRADAS, ACTAS_FUERA_CATALOGO, ACTAS_CAPTURADAS, PORCENTAJE_ACTAS_CAPTURADAS,
ACTAS_CONTABILIZADAS, PORCENTAJE_ACTAS_CONTABILIZADAS, PORCENTAJE_ACTAS_INCONSISTENCIAS (excede lista nominal,
ilegible o sin dato), ACTAS_NO_CONTABILIZADAS, LISTA_NOMINAL_ACTAS_CONTABILIZADAS, TOTAL_VOTOS_C_CS (con casillas
especiales), TOTAL_VOTOS_S_CS (sin casillas especiales) y PORCENTAJE_PARTICIPACION_CIUDADANA (durante la operación
sin casillas especiales; en el último corte, con ellas). Los porcentajes tienen cuatro decimales, truncados y no
redondeados.

2. Datos de cada acta, una por línea, separados por "|":
"""


def leeme_text(eleccion: Eleccion, columns: list[str]) -> str:
    lines = [_HEADER.format(nombre=eleccion.nombre)]
    for i, col in enumerate(columns, start=1):
        desc = _FIELDS.get(col)
        if desc is None:
            if col.startswith("CC_"):
                desc = "Votos por la candidatura común de " + col[3:].replace("_", ", ") + " ('-' si no participa)."
            elif col.startswith("C_"):
                desc = "Votos por la combinación " + col[2:].replace("_", ", ") + " de la coalición ('-' si no participa)."
            elif col.startswith("CAND_IND_"):
                desc = f"Votos por la candidatura independiente {col[9:]} ('-' si no hay)."
            else:
                desc = f"Votos por el partido {col}."
        lines.append(f"{i}. {col} - {desc}")
    return "\n".join(lines) + "\n"


def candidaturas_csv(eleccion: Eleccion) -> str:
    """ID_ESTADO,ID_CONTIENDA,PARTIDO_CI,CANDIDATURA,CANDIDATURA_PROPIETARIA: who runs where, one line per
    ballot option (the option's name, and the person standing when the catalog knows them)."""
    rows = ["ID_ESTADO,ID_CONTIENDA,PARTIDO_CI,CANDIDATURA,CANDIDATURA_PROPIETARIA"]
    for ct in eleccion.contiendas.values():
        for cand in ct.candidaturas:
            name = cand.nombre.replace('"', "'")
            person = cand.candidato.replace('"', "'")
            rows.append(f'{ct.entidad},{ct.numero},{cand.clave},"{name}","{person}"')
    return "\n".join(rows) + "\n"
