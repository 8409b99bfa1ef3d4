"""What the dashboard says, in Spanish, from an observation's structured fields (its `error` is English, for
logs and tools; the operator's page never shows it), and instants in hora del Centro."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

CENTRO = ZoneInfo("America/Mexico_City")

# status -> (word, severity): the word is always shown beside the colour (never colour alone)
STATES = {
    "ok": ("En regla", "bien"), "notice-shown": ("Bloqueado, con aviso", "neutro"),
    "frame-allowed": ("Bloqueado, pero aún se le permite enmarcar", "grave"), "lagging": ("Retrasado", "aviso"),
    "headers": ("Encabezados incorrectos", "aviso"), "frame-unchecked": ("Marco sin verificar", "aviso"),
    "tampered": ("Contenido alterado", "grave"), "down": ("Caído", "grave"), "tls-error": ("TLS inválido", "grave"),
    "notice-missing": ("Bloqueado SIN aviso", "grave"), "frame-missing": ("Sin marco del sitio oficial", "grave"),
    "frame-elsewhere": ("Marco hacia otro sitio", "grave"), "frame-refused": ("Marco rechazado por el CSP", "grave"),
    None: ("Sin datos", "neutro"),
}


def state(status: str | None) -> tuple[str, str]:
    return STATES.get(status, (f"Estado desconocido ({status})", "grave"))


def parse(text: str | None) -> datetime | None:
    """An ISO instant (a drill's may carry a suffix such as ' (hora simulada)'); None when absent or unreadable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).split(" (")[0])
    except ValueError:
        return None


def hora(text: str | None, *, fecha: bool = False) -> str:
    """'23:15:04' (or '02/06/2024 23:15:04') in hora del Centro; '—' when unknown."""
    t = parse(text)
    if t is None or t.tzinfo is None:
        return "—"
    return t.astimezone(CENTRO).strftime("%d/%m/%Y %H:%M:%S" if fecha else "%H:%M:%S")


def segundos(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f} s".replace(".", ",") if v < 10 else f"{v:.0f} s"


def message(obs: dict) -> str:
    """One sentence an operator acts on, from the fields (the corte, the lag, the files), not the English error."""
    st = obs.get("status")
    seq, latest = obs.get("corte_sequence"), obs.get("latest_corte")
    if st == "lagging":
        return (f"muestra el corte {seq}; el corte {latest} ya está publicado "
                f"(retraso {segundos(obs.get('lag_s'))})")
    if st == "tampered":
        files = obs.get("tampered") or []
        what = ", ".join(files[:3]) + (f" y {len(files) - 3} más" if len(files) > 3 else "")
        return (f"{len(files)} archivo(s) distinto(s) del corte oficial {seq}: {what}" if seq is not None
                else "su main.json no corresponde a ningún corte publicado por el instituto")
    if st == "down":
        code = obs.get("http_status")
        return f"respondió HTTP {code}" if code else "no responde (sin conexión o tiempo agotado)"
    texts = {
        "tls-error": "su certificado TLS no es válido",
        "notice-missing": "está bloqueado y no muestra el aviso firmado",
        "headers": "json/main.json se sirve con caché: debe enviar Cache-Control no-store",
        "frame-missing": "su página no enmarca el sitio oficial", "frame-elsewhere": "su marco apunta a otro sitio",
        "frame-refused": "el CSP del sitio oficial no le permite enmarcarlo",
        "frame-unchecked": "no se pudo leer el CSP del sitio oficial",
        "frame-allowed": ("está bloqueado, pero el CSP del sitio oficial aún le permite enmarcarlo: regenere la "
                          "configuración del servidor web (pregon instituto webconfig) y recárguela"),
        "notice-shown": "bloqueado por el instituto; muestra el aviso firmado",
    }
    return texts.get(st, "")
