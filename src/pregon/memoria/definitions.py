"""The figures' definitions in Spanish, as the memoria prints them (analytics.report.DEFINITIONS says the
same in English for `pregon difusor stats`), filled in with the analysis's parameters."""

from __future__ import annotations

SPANISH_DEFINITIONS = {
    "hit": "Hit: cada solicitud registrada en la bitácora (personas, robots y el monitor), con cualquier respuesta.",
    "page": "Página vista: un GET de un documento HTML (ruta que termina en /, .html, .htm o sin extensión) "
    "respondido 2xx o 304, hecho por una persona.",
    "json": "Consulta JSON: un GET de un archivo .json respondido 2xx o 304, sobre todo la actualización "
    "automática de json/main.json por la propia página; se cuenta aparte de las páginas.",
    "download": "Descarga: un GET de la base de datos o sus archivos (.zip, .csv, .txt, .sha256, .pdf…) "
    "respondido 2xx o 304; se cuenta aparte de las páginas.",
    "visitor": "Visitante: una combinación (IP, agente de usuario) en un día natural en {tz}, contada por sus "
    "solicitudes no respondidas 4xx, como cuenta GoAccess. El total del periodo cuenta cada (IP, agente) una vez.",
    "visit": "Visita: las solicitudes de un mismo (IP, agente) que empiezan en una página y siguen sin pausas "
    "mayores de {gap}; las consultas JSON mantienen viva una visita hasta {cap} después de su última página.",
    "permanence": "Tiempo de permanencia: la última solicitud contada de una visita menos su primera página.",
    "bot": "Robot: cliente cuyo agente de usuario corresponde a un rastreador, previsualizador, script o "
    "escáner, o está vacío. Se cuentan aparte y nunca son visitantes.",
    "monitor": "Monitor: el monitor de cumplimiento del instituto ({agents}); se cuenta aparte.",
    "ratio": "Razón respecto al tráfico habitual: una cifra por hora durante el PREP dividida entre la misma cifra "
    "por hora en el periodo habitual; para visitantes, la media de visitantes distintos por hora.",
}


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def spanish_definitions(params: dict) -> dict[str, str]:
    """SPANISH_DEFINITIONS with the report's `parameters` (time zone, session gap, poll cap, monitor) filled in."""
    values = {"tz": params.get("tz", ""), "gap": _minutes(int(params.get("session_gap_s", 1800))),
              "cap": _minutes(int(params.get("poll_cap_s", 1800))),
              "agents": ", ".join(params.get("monitor_agents") or []) or "ninguno"}
    return {k: v.format(**values) for k, v in SPANISH_DEFINITIONS.items()}
