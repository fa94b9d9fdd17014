"""Search parameters: validation of what the CLI, the JSON API and the web page receive."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
SORTS = ("relevance", "newest", "oldest")
#: ``copies``: one hit per copy group (default) or every copy; ``count``: what facets count.
COPIES = ("collapse", "all")
COUNTS = ("articles", "stories")
#: Filter value that selects documents without that metadata (shown as ``null`` in facets).
UNKNOWN = "unknown"

_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_YEAR_RE = re.compile(r"^\d{4}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}$")
_INT_RE = re.compile(r"^\+?\d{1,9}$")


class QueryError(ValueError):
    """A bad search parameter. ``message`` is French and shown to the user; ``field``
    names the parameter (the JSON API answers 400 with both)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class SearchParams:
    """One validated search request.

    ``date_from``/``date_to`` keep the user's form (``YYYY``, ``YYYY-MM`` or
    ``YYYY-MM-DD``); :attr:`date_range` gives the inclusive ISO bounds.
    ``sources``/``langs``/``years`` use :data:`UNKNOWN` for "no such metadata"; the
    values of one of them are alternatives (any of), different ones all apply.
    """

    q: str = ""
    sources: tuple[str, ...] = field(default_factory=tuple)
    #: author names, as in a result's ``author`` (split at commas); any of them
    authors: tuple[str, ...] = field(default_factory=tuple)
    langs: tuple[str, ...] = field(default_factory=tuple)
    date_from: str | None = None
    date_to: str | None = None
    years: tuple[str, ...] = field(default_factory=tuple)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    copies: str = "collapse"
    count: str = "articles"
    #: entity filters (facet values of searchsvc.backends.whoosh.entities; any of each, all kinds apply)
    persons: tuple[str, ...] = field(default_factory=tuple)
    orgs: tuple[str, ...] = field(default_factory=tuple)
    places: tuple[str, ...] = field(default_factory=tuple)
    #: exact mode: every word and phrase of ``q`` matches only as written (unstemmed,
    #: accents and case folded as the accent rule says; no synonyms)
    exact: bool = False

    @property
    def date_range(self) -> tuple[str | None, str | None]:
        """Inclusive ISO bounds: ``("2022-01-01", "2022-09-30")`` for ``2022`` .. ``2022-09``."""
        lo = _date_bound(self.date_from, upper=False) if self.date_from else None
        hi = _date_bound(self.date_to, upper=True) if self.date_to else None
        return lo, hi

    @property
    def has_filters(self) -> bool:
        return bool(self.sources or self.authors or self.langs or self.date_from or self.date_to or self.years
                    or self.persons or self.orgs or self.places)

    def to_dict(self) -> dict:
        return {
            "q": self.q,
            "sources": list(self.sources),
            "authors": list(self.authors),
            "langs": list(self.langs),
            "date_from": self.date_from,
            "date_to": self.date_to,
            "years": list(self.years),
            "sort": self.sort,
            "page": self.page,
            "per_page": self.per_page,
            "copies": self.copies,
            "count": self.count,
            "persons": list(self.persons),
            "orgs": list(self.orgs),
            "places": list(self.places),
            "exact": self.exact,
        }


def _date_bound(value: str, upper: bool) -> str:
    m = _DATE_RE.match(value)
    assert m, value
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    if mo is None:
        return f"{y:04d}-12-31" if upper else f"{y:04d}-01-01"
    mo = int(mo)
    if d is None:
        d = calendar.monthrange(y, mo)[1] if upper else 1
    return f"{y:04d}-{mo:02d}-{int(d):02d}"


def _check_date(value: str, name: str) -> str:
    m = _DATE_RE.match(value)
    bad = QueryError(
        f"Date invalide pour « {name} » : « {value[:40]} » (formats acceptés : AAAA, AAAA-MM ou AAAA-MM-JJ).",
        name,
    )
    if not m:
        raise bad
    y = int(m.group(1))
    if y < 1 or m.group(2) is None:
        if y < 1:
            raise bad
        return value
    mo = int(m.group(2))
    if not 1 <= mo <= 12:
        raise bad
    if m.group(3) is not None:
        d = int(m.group(3))
        if not 1 <= d <= calendar.monthrange(y, mo)[1]:
            raise bad
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return f"{y:04d}-{mo:02d}"


def _values(mapping, key) -> list[str]:
    """All values of ``key`` in a MultiDict (``getlist``) or a dict of str / list."""
    if mapping is None:
        return []
    getlist = getattr(mapping, "getlist", None)
    if callable(getlist):
        raw = getlist(key)
    else:
        raw = mapping.get(key)
        if raw is None:
            raw = []
        elif isinstance(raw, (str, bytes, int)):
            raw = [raw]
    out = []
    for v in raw:
        if v is None:
            continue
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        out.append(str(v))
    return out


def _first(mapping, *keys) -> str | None:
    for key in keys:
        for v in _values(mapping, key):
            v = v.strip()
            if v:
                return v
    return None


def _repeated(mapping, keys, max_chars: int, most: int | None = None, too_many: str = "") -> list[str]:
    """The distinct non-empty values of a repeatable parameter, in order. ``most``:
    more values given than this (empty and repeated ones counted, as the OpenAPI
    document's ``maxItems`` does) is a :class:`QueryError` saying ``too_many`` about
    ``keys[0]``."""
    if most is not None and sum(len(_values(mapping, k)) for k in keys) > most:
        raise QueryError(f"{too_many} ({most} au plus).", keys[0])
    out: list[str] = []
    for key in keys:
        for v in _values(mapping, key):
            v = v.strip()[:max_chars]
            if v and v not in out:
                out.append(v)
    return out


def _int(mapping, key, default, lo, hi) -> int:
    v = _first(mapping, key)
    if v is None:
        return default
    if not _INT_RE.match(v) or not lo <= int(v) <= hi:
        raise QueryError(f"« {key} » doit être un entier entre {lo} et {hi} (reçu « {v[:40]} »).", key)
    return int(v)


def parse_params(mapping) -> SearchParams:
    """Validate request parameters into :class:`SearchParams`.

    Accepts a Werkzeug ``MultiDict`` (``request.args``) or a dict of strings or lists.
    Names: ``q``, ``source``, ``author``, ``lang``, ``year`` (each repeatable: any of its values;
    ``sources``/``langs``/``years`` also accepted),
    ``date_from``/``date_to`` (``from``/``to`` also accepted), ``sort``,
    ``page``, ``per_page``, ``copies`` (``collapse`` or ``all``), ``count`` (``articles``
    or ``stories``), ``person``/``org``/``place`` (repeatable entity filters), ``exact``
    (``1``/``0``, see :func:`flag`). Empty values count as absent. The query text is never an
    error: it is cut to :data:`MAX_QUERY_CHARS` characters. Raises :class:`QueryError`.
    """
    q = " ".join(v for v in _values(mapping, "q") if v.strip())
    # a NUL becomes U+FFFD: a query of NULs is then text without a searchable word
    # (no match, said so), never an empty query (every article)
    q = q.replace("\x00", "\ufffd").strip()[:MAX_QUERY_CHARS]

    sources = _repeated(mapping, ("source", "sources"), 200, 50, "Trop de sources sélectionnées")

    authors = _repeated(mapping, ("author", "authors"), 200, 50, "Trop d'auteurs sélectionnés")
    langs = [v.lower() for v in _repeated(mapping, ("lang", "langs"), 40, 50, "Trop de langues sélectionnées")]
    for lang in langs:
        if lang != UNKNOWN and not _LANG_RE.match(lang):
            raise QueryError(f"Langue invalide : « {lang[:40]} » (code ISO tel que « fr »).", "lang")

    years = _repeated(mapping, ("year", "years"), 40, 200, "Trop d'années sélectionnées")
    for year in years:
        if year != UNKNOWN and not _YEAR_RE.match(year):
            raise QueryError(f"Année invalide : « {year[:40]} » (format AAAA).", "year")

    date_from = _first(mapping, "date_from", "from")
    if date_from is not None:
        date_from = _check_date(date_from, "date_from")
    date_to = _first(mapping, "date_to", "to")
    if date_to is not None:
        date_to = _check_date(date_to, "date_to")
    if date_from and date_to and _date_bound(date_from, False) > _date_bound(date_to, True):
        raise QueryError("La date de début est postérieure à la date de fin.", "date_to")

    sort = _first(mapping, "sort") or "relevance"
    if sort not in SORTS:
        raise QueryError(
            f"Tri inconnu : « {sort[:40]} » (valeurs possibles : relevance, newest, oldest).", "sort"
        )

    copies = _first(mapping, "copies") or "collapse"
    if copies not in COPIES:
        raise QueryError(f"Valeur inconnue pour « copies » : « {copies[:40]} » (valeurs possibles : "
                         "collapse, all).", "copies")
    count = _first(mapping, "count") or "articles"
    if count not in COUNTS:
        raise QueryError(f"Valeur inconnue pour « count » : « {count[:40]} » (valeurs possibles : "
                         "articles, stories).", "count")

    entities = {}
    for key, names in (("person", ("person", "persons")), ("org", ("org", "orgs")),
                       ("place", ("place", "places"))):
        entities[key] = tuple(_repeated(mapping, names, 200, 50, f"Trop d'entités « {key} » sélectionnées"))

    exact = flag(mapping, "exact")
    page = _int(mapping, "page", 1, 1, MAX_PAGE)
    per_page = _int(mapping, "per_page", 10, 1, MAX_PER_PAGE)
    return SearchParams(
        q=q,
        sources=tuple(sources),
        authors=tuple(authors),
        langs=tuple(dict.fromkeys(langs)),
        date_from=date_from,
        date_to=date_to,
        years=tuple(years),
        sort=sort,
        page=page,
        per_page=per_page,
        copies=copies,
        count=count,
        persons=entities["person"],
        orgs=entities["org"],
        places=entities["place"],
        exact=exact,
    )


#: the spellings of a yes/no parameter (``exact=1``; the page's checkbox sends ``1``)
TRUE_VALUES = ("1", "true", "oui", "on", "yes")
FALSE_VALUES = ("0", "false", "non", "off", "no")


def flag(mapping, key: str) -> bool:
    """A yes/no parameter: absent or empty is no; another value than those of
    :data:`TRUE_VALUES` and :data:`FALSE_VALUES` is a :class:`QueryError`."""
    v = _first(mapping, key)
    if v is None:
        return False
    if v in TRUE_VALUES:
        return True
    if v in FALSE_VALUES:
        return False
    raise QueryError(f"Valeur inconnue pour « {key} » : « {v[:40]} » (valeurs possibles : 1 ou 0).", key)
