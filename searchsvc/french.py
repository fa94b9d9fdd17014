"""French wording shared by every view (CLI, web pages): plurals, numbers, durations,
sizes, dates and "unknown" values. No locale dependency: the output is the same on
every machine whatever ``LANG`` says.
"""

from __future__ import annotations

import re

MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
NNBSP = "\u202f"  # narrow no-break space, the French thousands separator

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

#: what an unknown value is called, agreeing with the noun it stands for
UNKNOWN = {"title": "inconnu", "month": "inconnu", "source": "inconnue", "date": "inconnue",
           "url": "inconnue", "lang": "inconnue", "year": "inconnue", "author": "inconnu"}


def plural_fr(n: float, one: str, many: str | None = None) -> str:
    """French plural: 0 and 1 (and anything below 2) take the singular."""
    return one if abs(n) < 2 else (many if many is not None else one + "s")


def count_fr(n: int, one: str, many: str | None = None) -> str:
    """``count_fr(1, "fichier")`` -> ``"1 fichier"``; ``count_fr(1200, "fichier")`` ->
    ``"1 200 fichiers"``."""
    return f"{int_fr(n)} {plural_fr(n, one, many)}"


def int_fr(n: int) -> str:
    """``12345`` -> ``"12 345"`` (narrow no-break space)."""
    return f"{int(round(n)):,}".replace(",", NNBSP)


def decimal_fr(x: float, digits: int = 1) -> str:
    """``0.4`` -> ``"0,4"``; thousands separated as :func:`int_fr` does."""
    return f"{x:,.{digits}f}".replace(",", NNBSP).replace(".", ",")


def rate_fr(x: float) -> str:
    """A rate with two significant digits under 10, so that it only reads 0 when it is:
    ``850.4`` -> ``"850"``, ``2.46`` -> ``"2,5"``, ``0.043`` -> ``"0,043"``."""
    if x >= 10 or x <= 0:
        return decimal_fr(x, 0)
    text = f"{x:.2g}"
    return decimal_fr(x, 6) if "e" in text else text.replace(".", ",")


def seconds_fr(seconds: float) -> str:
    """A duration: ``"0,4 s"``, ``"12 s"``, ``"3 min 05 s"``, ``"1 h 02 min"``."""
    if seconds < 10:
        return f"{decimal_fr(seconds)} s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    m, s = divmod(seconds, 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def size_fr(n: float) -> str:
    """A size in bytes: ``"512 octets"``, ``"1,5 Ko"``, ``"299,0 Mo"`` (powers of 1024)."""
    if n < 1024:
        return count_fr(n, "octet")
    for unit in ("Ko", "Mo", "Go"):
        n /= 1024
        if n < 1024 or unit == "Go":
            break
    return f"{decimal_fr(n)} {unit}"


def unknown_fr(what: str) -> str:
    """``"inconnu"`` or ``"inconnue"``, agreeing with ``what`` (a key of :data:`UNKNOWN`)."""
    return UNKNOWN[what]


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
