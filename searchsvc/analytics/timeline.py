"""Attention over time: the matches of a search counted per day, week, month or year.

Backend-neutral: the parameters, the periods and the result's shape; each backend
computes it (:meth:`searchsvc.engine.Engine.timeline`: numpy in
:mod:`searchsvc.backends.whoosh.analytics.timeline`, ``date_histogram`` on OpenSearch).

Contract:
    parse_timeline_args(mapping) -> TimelineParams      # raises QueryError (HTTP 400)
    engine.timeline(params) -> dict

One query, no split: ``{"query", "interval", "by": None, "total", "total_stories",
"undated", "buckets": [{"start", "end", "count", "stories", "share"}], "notes",
"took_ms"}``. Several queries (``q`` repeated, up to :data:`MAX_QUERIES`) or
``by=source``: the same keys per series in ``"series"`` (each with ``query``, and
``source`` / ``other`` when split by source), one bucket list per series, all on the
same periods. ``share`` is ``count`` over every article of that period in the index
(of that source, when split by source); ``stories`` counts each copy group once per
period.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from searchsvc.search.params import QueryError, SearchParams, parse_params

INTERVALS = ("day", "week", "month", "year")
INTERVAL_LABELS_FR = {"day": "jour", "week": "semaine", "month": "mois", "year": "année"}
BY = ("source",)
MAX_QUERIES = 5
#: Sources shown one by one with ``by=source``; the rest is one series, "autres".
TOP_SOURCES = 8
OTHERS = "autres"
#: The automatic interval is the finest that gives at most this many periods.
AUTO_MAX_BUCKETS = 120
#: A chosen interval may not give more periods than this (day over 27 years).
MAX_BUCKETS = 10_000


@dataclass(frozen=True)
class TimelineParams:
    """Validated timeline request: one :class:`SearchParams` per query (same filters)."""

    searches: tuple[SearchParams, ...]
    interval: str | None = None  # None: chosen from the date range
    by: str | None = None

    @property
    def queries(self) -> list[str]:
        return [p.q for p in self.searches]


def _values(mapping, key) -> list[str]:
    getlist = getattr(mapping, "getlist", None)
    if callable(getlist):
        raw = getlist(key)
    else:
        raw = mapping.get(key) if mapping else None
        raw = [] if raw is None else [raw] if isinstance(raw, str) else list(raw)
    return [str(v) for v in raw if v is not None]


def _choice(mapping, key: str, allowed: tuple[str, ...], label: str) -> str | None:
    values = [v.strip() for v in _values(mapping, key) if v.strip()]
    if not values:
        return None
    value = values[0]
    if value not in allowed:
        raise QueryError(f"Valeur inconnue pour « {label} » : « {value[:40]} » (valeurs possibles : "
                         f"{', '.join(allowed)}).", key)
    return value


def parse_timeline_args(mapping) -> TimelineParams:
    """Every parameter of ``/api/search`` (its filters apply to each query), ``q``
    repeatable (each value one query, blank ones ignored), ``interval``, ``by``."""
    queries = [v for v in _values(mapping, "q") if v.strip()]
    if len(queries) > MAX_QUERIES:
        raise QueryError(f"Trop de requêtes à comparer : {len(queries)} ({MAX_QUERIES} au plus).", "q")
    interval = _choice(mapping, "interval", INTERVALS, "interval")
    by = _choice(mapping, "by", BY, "by")
    rest = {k: _values(mapping, k) for k in _keys(mapping) if k != "q"}
    base = parse_params(rest)
    searches = tuple(dict.fromkeys(replace(base, q=parse_params({"q": q}).q) for q in queries)) or (base,)
    if by and len(searches) > 1:
        raise QueryError("« by=source » ne s'applique qu'à une seule requête.", "by")
    return TimelineParams(searches=searches, interval=interval, by=by)


def _keys(mapping) -> list[str]:
    keys = getattr(mapping, "keys", None)
    return list(keys()) if callable(keys) else []


# -- periods ------------------------------------------------------------------

_UNIT = {"day": "D", "week": "D", "month": "M", "year": "Y"}
STEP = {"day": 1, "week": 7, "month": 1, "year": 1}


def bucket_codes(days: np.ndarray, interval: str) -> np.ndarray:
    """Days since 1970 -> the code of their period: the day, the Monday of the ISO
    week (in days), the month or the year (since 1970)."""
    if interval == "day":
        return days
    if interval == "week":
        return days - (days + 3) % 7  # 1970-01-01 was a Thursday
    dates = days.astype("datetime64[D]")
    return dates.astype(f"datetime64[{_UNIT[interval]}]").astype(np.int64)


def period_start(code: int, interval: str) -> np.datetime64:
    return np.datetime64(int(code), _UNIT[interval]).astype("datetime64[D]")


def period_end(code: int, interval: str) -> np.datetime64:
    if interval == "day":
        return period_start(code, interval)
    if interval == "week":
        return period_start(code, interval) + np.timedelta64(6, "D")
    return period_start(code + 1, interval) - np.timedelta64(1, "D")


def auto_interval(first_day: int, last_day: int) -> str:
    """The finest interval giving at most :data:`AUTO_MAX_BUCKETS` periods over the span."""
    for interval in INTERVALS:
        lo, hi = bucket_codes(np.array([first_day, last_day], dtype=np.int64), interval)
        if (hi - lo) // STEP[interval] + 1 <= AUTO_MAX_BUCKETS:
            return interval
    return "year"


def day_number(iso: str | None) -> int | None:
    if not iso:
        return None
    try:
        return int((np.datetime64(iso, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64))
    except ValueError:  # pragma: no cover - bounds are validated ISO dates
        return None


def series_of(result: dict) -> list[dict]:
    """The series of a timeline object, whichever its form (one query or several)."""
    return result["series"] if "series" in result else [result]


def series_label(s: dict) -> str:
    """A series' name in tables: its query, or its source with ``by=source``."""
    if "source" in s:
        if s.get("other"):
            return "autres sources"
        return s["source"] or "source inconnue"
    return s["query"] or "tous les articles"


def csv_rows(result: dict) -> list[list]:
    """The timeline as table rows (header first): one row a period and a series,
    then each series' undated matches."""
    rows: list[list] = [["serie", "debut", "fin", "articles", "histoires", "part"]]
    for s in series_of(result):
        for b in s["buckets"]:
            rows.append([series_label(s), b["start"], b["end"], b["count"], b["stories"], b["share"]])
        rows.append([series_label(s), "sans date", "", s["undated"], "", ""])
    return rows


