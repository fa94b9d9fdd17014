"""French formatting for the templates: dates, numbers, durations, safe links.

No locale dependency: the month names are ours, so the output is the same on
every machine whatever ``LANG`` says.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)

LANG_NAMES_FR = {
    "fr": "français", "en": "anglais", "es": "espagnol", "de": "allemand",
    "it": "italien", "pt": "portugais", "ru": "russe", "ar": "arabe",
    "nl": "néerlandais", "uk": "ukrainien", "zh-cn": "chinois", "zh": "chinois",
    "ja": "japonais", "ko": "coréen", "fa": "persan", "tr": "turc", "pl": "polonais",
}

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
NNBSP = "\u202f"  # narrow no-break space, the French thousands separator


def date_fr(value: str | None, unknown: str = "date inconnue") -> str:
    """``"2022-09-22"`` -> ``"22 septembre 2022"``; ``"2022-09"`` -> ``"septembre 2022"``.

    The first of the month is written ``"1er"``. ``None`` or ``""`` gives
    *unknown*; anything that is not an ISO date is returned unchanged.
    """
    if not value:
        return unknown
    m = _DATE_RE.match(str(value))
    if not m:
        return str(value)
    year, month, day = m.groups()
    if month is None:
        return year
    mi = int(month)
    if not 1 <= mi <= 12:
        return str(value)
    if day is None:
        return f"{MONTHS_FR[mi - 1]} {year}"
    di = int(day)
    if not 1 <= di <= 31:
        return str(value)
    return f"{'1er' if di == 1 else di} {MONTHS_FR[mi - 1]} {year}"


def month_name_fr(value: str | None) -> str:
    """``"2022-09"`` -> ``"septembre"`` (for months listed under their year)."""
    m = _DATE_RE.match(value or "")
    if not m or m.group(2) is None or not 1 <= int(m.group(2)) <= 12:
        return value or "date inconnue"
    return MONTHS_FR[int(m.group(2)) - 1]


def int_fr(n: int) -> str:
    """``12345`` -> ``"12 345"`` (narrow no-break space)."""
    return f"{int(n):,}".replace(",", NNBSP)


def ms_fr(ms: float) -> str:
    """A duration in milliseconds, French decimal comma: ``"4,2 ms"``, ``"37 ms"``."""
    ms = float(ms or 0)
    if ms < 10:
        return f"{ms:.1f}".replace(".", ",") + "\u00a0ms"
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


def plural_fr(n: int, one: str, many: str) -> str:
    """French plural: 0 and 1 take the singular."""
    return one if abs(int(n)) < 2 else many
