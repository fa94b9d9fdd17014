"""Article metadata: date parsing, text cues, sidecar and manifest files, precedence.

Precedence, field by field (an empty or null value never hides a lower one):
``ARTICLE.meta.json`` sidecar > ``manifest.jsonl`` entry > fields of a JSON object >
HTML metadata > cues in the text > None.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from pathlib import Path

from .reader import IngestError, SIDECAR_SUFFIX, decode, doc_id, json_reason, read_bytes

FIELDS = ("title", "source", "date", "url", "lang", "author")
MANIFEST_NAME = "manifest.jsonl"

MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "fév": 2,
    "mars": 3, "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7,
    "août": 8, "aout": 8, "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "décembre": 12, "decembre": 12, "déc": 12, "dec": 12,
    # English month names appear in HTML metadata of international sites
    "january": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
}
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})[./-](\d{4})(?!\d)")
_WORDY = re.compile(rf"(?<!\w)(\d{{1,2}})(?:er)?\.?\s+({_MONTH_ALT})\.?,?\s+(\d{{4}})(?!\d)", re.I)
_WORDY_EN = re.compile(rf"(?<!\w)({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.I)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T|$)")


def _valid(y: int, m: int, d: int) -> str | None:
    try:
        return _dt.date(y, m, d).isoformat() if 1000 <= y <= 2999 else None
    except ValueError:
        return None


def parse_date(value) -> str | None:
    """``YYYY-MM-DD`` from ISO, ``22.09.2022``/``22/09/2022`` (day first), French or
    English month names ("30 août 2023", "1er septembre 2022"); None if none found."""
    if value is None:
        return None
    s = str(value).strip()
    if not s:
        return None
    m = _ISO.search(s)
    if m:
        return _valid(int(m[1]), int(m[2]), int(m[3]))
    m = _COMPACT.match(s)
    if m:
        return _valid(int(m[1]), int(m[2]), int(m[3]))
    m = _NUMERIC.search(s)
    if m:
        return _valid(int(m[3]), int(m[2]), int(m[1]))
    m = _WORDY.search(s)
    if m:
        return _valid(int(m[3]), MONTHS[m[2].lower()], int(m[1]))
    m = _WORDY_EN.search(s)
    if m:
        return _valid(int(m[3]), MONTHS[m[1].lower()], int(m[2]))
    return None


_ACRONYM = re.compile(r"^[A-Z0-9]{1,4}$")
_SMALL_WORDS = frozenset("LE LA LES DE DU DES ET EN AU AUX UN UNE".split())


def clean_source(name: str | None) -> str | None:
    """Tidy a publication name: trim, and "FRENCH PRESS TV" -> "French Press TV"."""
    if not name:
        return None
    name = " ".join(str(name).split()).strip(" .,;:-–|")
    if not name:
        return None
    if name.isupper():
        name = " ".join(w if _ACRONYM.match(w) and w not in _SMALL_WORDS else w.capitalize() for w in name.split())
    return name[:200]


def merge(*layers: dict | None) -> dict:
    """First non-empty value of each field, layers in decreasing precedence."""
    out = dict.fromkeys(FIELDS)
    for layer in layers:
        if not layer:
            continue
        for f in FIELDS:
            if out[f] is None:
                v = layer.get(f)
                if isinstance(v, str):
                    v = v.strip() or None
                if v is not None and f == "date":
                    v = parse_date(v)
                if v is not None and f == "source":
                    v = clean_source(v)
                if v is not None and f == "author":
                    from .author import clean_author

                    v = clean_author(v)
                if v is not None and not isinstance(v, str):
                    v = str(v)
                out[f] = v
    return out


def describe(fields: dict) -> str:
    """The metadata found, for a message: "; métadonnées : titre « T », date 2020-05-07"."""
    names = {"title": "titre", "source": "source", "date": "date", "url": "url", "lang": "langue",
             "author": "auteur"}
    parts = [f"titre « {fields['title']} »" if f == "title" else f"{names[f]} {fields[f]}"
             for f in FIELDS if fields.get(f)]
    return f" ; métadonnées : {', '.join(parts)}" if parts else ""


def _read_json(path: Path):
    try:
        return json.loads(decode(read_bytes(path)))
    except IngestError as exc:
        raise IngestError(f"{path.name} : {exc.reason}")
    except ValueError as exc:
        raise IngestError(f"{path.name} : JSON invalide ({json_reason(exc)}, ligne "
                          f"{getattr(exc, 'lineno', '?')}, colonne {getattr(exc, 'colno', '?')})")


def sidecar(path) -> dict | None:
    """The ``ARTICLE.meta.json`` next to ``ARTICLE.txt`` (or ``ARTICLE.txt.meta.json``)."""
    path = Path(path)
    for cand in (path.with_name(path.stem + SIDECAR_SUFFIX), path.with_name(path.name + SIDECAR_SUFFIX)):
        if cand.is_file():
            data = _read_json(cand)
            if not isinstance(data, dict):
                raise IngestError(f"{cand.name} : un objet JSON est attendu")
            return data
    return None


_manifest_cache: dict[str, tuple[tuple, dict]] = {}


def load_manifest(root) -> dict[str, dict]:
    """``root/manifest.jsonl`` as ``{document id: metadata}`` ({} if absent).

    Each line is an object with ``id`` (a document id) or ``path`` (relative to the
    root), plus any of title, source, date, url, lang. Blank lines and ``#`` comments
    are ignored; a malformed line raises an :class:`IngestError` naming it.
    """
    path = Path(root) / MANIFEST_NAME
    try:
        st = os.stat(path)
    except OSError:
        return {}
    key = (st.st_mtime_ns, st.st_size)
    cached = _manifest_cache.get(str(path))
    if cached and cached[0] == key:
        return cached[1]
    entries: dict[str, dict] = {}
    text = decode(read_bytes(path, 0))  # SEARCHSVC_MAX_BYTES limits articles, not the manifest
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise IngestError(f"{MANIFEST_NAME}, ligne {n} : JSON invalide ({json_reason(exc)})")
        if not isinstance(obj, dict) or not (obj.get("id") or obj.get("path")):
            raise IngestError(f"{MANIFEST_NAME}, ligne {n} : objet avec « id » ou « path » attendu")
        ident = str(obj["id"]) if obj.get("id") else doc_id(Path(root) / obj["path"], root)
        entries[ident] = obj
    _manifest_cache[str(path)] = (key, entries)
    return entries


# ---- cues in the text -------------------------------------------------------------

_SOURCE_CUES = (
    re.compile(r"^\s*source\s*:\s*(?P<s>[^\n]{2,60}?)\s*$", re.I),
    re.compile(r"^\W*(?:les\s+)?nouvelles\s+de\s+la\s+(?P<s>[A-Z][\w .&-]{1,40}?)\W*$"),
    re.compile(r"\bpar\s+le\s+personnel\s+de\s+(?P<s>[A-Z][\w.&-]*(?:\s+[A-Z0-9][\w.&-]*){0,3})"),
    re.compile(r"^\W*(?:©|copyright)\s*(?:\d{4}\s+)?(?P<s>[A-Z][\w .&-]{1,40}?)\W*$", re.I),
)
_DATE_CUE = re.compile(
    r"(?:publié|posté|mis en ligne|mise à jour|modifié|actualisé)\w*\b[^\n]{0,40}?"
    r"(?P<d>\d{1,2}[./-]\d{1,2}[./-]\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}(?:er)?\s+\w+\.?\s+\d{4})",
    re.I,
)
_LEADING_DATE = re.compile(r"^\s*(?P<d>\d{1,2}[./]\d{1,2}[./]\d{4}|\d{4}-\d{2}-\d{2})\b")


def source_cue(line: str) -> str | None:
    """A publication name stated in a byline/footer line, or None."""
    for rx in _SOURCE_CUES:
        m = rx.search(line)
        if m:
            return clean_source(m["s"])
    return None


def date_cue(line: str) -> str | None:
    """A publication date stated in a byline line ("Publié le", "Dernière mise à jour :",
    a leading "22.09.2022"), or None. Dates inside body sentences are never used."""
    m = _DATE_CUE.search(line) or _LEADING_DATE.search(line)
    return parse_date(m["d"]) if m else None
