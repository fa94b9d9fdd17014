"""French formatting for the templates: dates, numbers, durations, safe links.

No locale dependency: the month names are ours, so the output is the same on
every machine whatever ``LANG`` says.
"""

from __future__ import annotations

from urllib.parse import urlsplit

# shared with the command line
from searchsvc.french import _DATE_RE, MONTHS_FR, NNBSP, date_fr, decimal_fr, int_fr, plural_fr  # noqa: F401

LANG_NAMES_FR = {
    "fr": "français", "en": "anglais", "es": "espagnol", "de": "allemand",
    "it": "italien", "pt": "portugais", "ru": "russe", "ar": "arabe",
    "nl": "néerlandais", "uk": "ukrainien", "zh-cn": "chinois", "zh": "chinois",
    "ja": "japonais", "ko": "coréen", "fa": "persan", "tr": "turc", "pl": "polonais",
}


def month_name_fr(value: str | None) -> str:
    """``"2022-09"`` -> ``"septembre"`` (for months listed under their year)."""
    m = _DATE_RE.match(value or "")
    if not m or m.group(2) is None or not 1 <= int(m.group(2)) <= 12:
        return value or "date inconnue"
    return MONTHS_FR[int(m.group(2)) - 1]


def ms_fr(ms: float) -> str:
    """A duration in milliseconds, French decimal comma: ``"4,2 ms"``, ``"37 ms"``."""
    ms = float(ms or 0)
    if ms < 10:
        return decimal_fr(ms) + "\u00a0ms"
    return f"{int_fr(round(ms))}\u00a0ms"


def lang_fr(code: str | None) -> str:
    """``"fr"`` -> ``"français"``; unknown codes are shown as they are."""
    if not code or code == "unknown":
        return "langue inconnue"
    return LANG_NAMES_FR.get(code.lower(), code)


def safe_http_url(url: str | None) -> str | None:
    """*url* if it is an absolute http(s) URL with a host, else None (no ``javascript:``)."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if any(c in url for c in "\x00\r\n\t") or any(ord(c) < 32 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url
