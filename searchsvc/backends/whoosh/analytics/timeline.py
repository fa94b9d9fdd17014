"""The timeline on the Whoosh backend (the object of :mod:`searchsvc.analytics.timeline`).

Built on :meth:`~searchsvc.backends.whoosh.engine.SearchEngine.matches` (the search's
own matches and filters). Per generation, one numpy array holds every document's day
(days since 1970-01-01, :data:`NO_DAY` when undated); a series is a gather and a
``bincount``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from searchsvc.analytics.cache import PerGeneration
from searchsvc.analytics.timeline import (
    INTERVAL_LABELS_FR, MAX_BUCKETS, OTHERS, STEP, TOP_SOURCES, TimelineParams, auto_interval,
    bucket_codes, day_number, period_end, period_start,
)
from searchsvc.search.params import QueryError, SearchParams


NO_DAY = np.iinfo(np.int64).min


class _Columns:
    """Per-generation arrays: every docnum's day, source code and liveness."""

    def __init__(self, facets):
        keys = np.asarray(facets.datekey, dtype=np.int64)
        y, m, d = keys // 10000, keys // 100 % 100, keys % 100
        ok = (keys > 0) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31) & (y >= 1) & (y <= 9999)
        days = np.full(len(keys), NO_DAY, dtype=np.int64)
        if ok.any():
            months = ((y[ok] - 1970) * 12 + m[ok] - 1).astype("timedelta64[M]")
            first = np.datetime64("1970-01", "M") + months
            days[ok] = (first.astype("datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(np.int64) + d[ok] - 1
        self.days = days
        live = np.zeros(len(keys), dtype=bool)
        if facets.live:
            live[np.fromiter(facets.live, dtype=np.int64, count=len(facets.live))] = True
        self.live_dated = np.flatnonzero(live & (days != NO_DAY))
        self.source = np.asarray(facets.codes["source"], dtype=np.int64)
        self.source_names = facets.values["source"]
        self._codes: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def live_codes(self, interval: str) -> np.ndarray:
        """Bucket code of every live dated document (cached per interval)."""
        got = self._codes.get(interval)
        if got is None:
            got = bucket_codes(self.days[self.live_dated], interval)
            with self._lock:
                self._codes[interval] = got
        return got


_columns: PerGeneration[_Columns] = PerGeneration()


def columns(facets) -> _Columns:
    """The :class:`_Columns` of a generation's :class:`~searchsvc.backends.whoosh.facets.FacetData`
    (built once; dropped with the generation)."""
    return _columns.get(facets, lambda: _Columns(facets))


@dataclass
class _Series:
    query: str
    days: np.ndarray    # the day of each dated match
    keys: np.ndarray    # the copy-group key of each dated match
    sources: np.ndarray  # the source code of each dated match
    undated_sources: np.ndarray
    total: int
    total_stories: int
    notes: list[str]
    cols: _Columns


def _collect(params: SearchParams):
    def fn(ms) -> _Series:
        cols = columns(ms.facets)
        docs = ms.docnums
        arr = np.fromiter(docs, dtype=np.int64, count=len(docs))
        groups = ms.groups()
        keys = groups.key[arr] if groups.any else arr
        days = cols.days[arr]
        dated = days != NO_DAY
        return _Series(query=params.q, days=days[dated], keys=keys[dated],
                       sources=cols.source[arr[dated]], undated_sources=cols.source[arr[~dated]],
                       total=len(arr), total_stories=int(len(np.unique(keys))),
                       notes=list(ms.notes), cols=cols)
    return fn


def _buckets(codes: np.ndarray, keys: np.ndarray, lo: int, n: int, step: int,
             totals: np.ndarray, starts: list[str], ends: list[str]) -> list[dict]:
    pos = (codes - lo) // step
    counts = np.bincount(pos, minlength=n) if len(pos) else np.zeros(n, dtype=np.int64)
    if len(pos):
        width = int(keys.max()) + 1 if len(keys) else 1
        pairs = np.unique(pos * width + keys)
        stories = np.bincount(pairs // width, minlength=n)
    else:
        stories = np.zeros(n, dtype=np.int64)
    out = []
    for i in range(n):
        c, t = int(counts[i]), int(totals[i])
        out.append({"start": starts[i], "end": ends[i], "count": c, "stories": int(stories[i]),
                    "share": round(c / t, 6) if t else 0.0})
    return out


def _index_totals(cols: _Columns, interval: str, lo: int, n: int, step: int, source_codes=None) -> np.ndarray:
    """Live dated articles of the index per period (of those sources, when given)."""
    codes = cols.live_codes(interval)
    if source_codes is not None:
        codes = codes[np.isin(cols.source[cols.live_dated], source_codes)]
    pos = (codes - lo) // step
    pos = pos[(pos >= 0) & (pos < n)]
    return np.bincount(pos, minlength=n)


def timeline(engine, params: TimelineParams) -> dict:
    """The timeline object (see the module docs) of ``params`` on ``engine``."""
    t0 = time.perf_counter()
    series = [engine.matches(p, _collect(p)) for p in params.searches]
    cols = series[-1].cols
    notes = list(dict.fromkeys(n for s in series for n in s.notes))
    dated = [s.days for s in series if len(s.days)]
    first = min(int(d.min()) for d in dated) if dated else None
    last = max(int(d.max()) for d in dated) if dated else None
    lo_f, hi_f = params.searches[0].date_range
    if first is not None and len(cols.live_dated):
        # the chosen period is shown whole, within the index's own dates
        all_days = cols.days[cols.live_dated]
        if lo_f:
            first = min(first, max(day_number(lo_f), int(all_days.min())))
        if hi_f:
            last = max(last, min(day_number(hi_f), int(all_days.max())))
    interval = params.interval or (auto_interval(first, last) if first is not None else "month")
    step = STEP[interval]
    if first is None:
        lo, n = 0, 0
    else:
        lo, hi = (int(c) for c in bucket_codes(np.array([first, last], dtype=np.int64), interval))
        n = (hi - lo) // step + 1
        if n > MAX_BUCKETS:
            raise QueryError(f"Trop de périodes ({n}) pour l'intervalle « {INTERVAL_LABELS_FR[interval]} » "
                             f"({MAX_BUCKETS} au plus) : choisissez un intervalle plus long.", "interval")
    codes_of = [lo + i * step for i in range(n)]
    starts = [str(period_start(c, interval)) for c in codes_of]
    ends = [str(period_end(c, interval)) for c in codes_of]

    def one(s: _Series, mask=None, source_codes=None) -> dict:
        days, keys = (s.days, s.keys) if mask is None else (s.days[mask], s.keys[mask])
        totals = _index_totals(cols, interval, lo, n, step, source_codes)
        buckets = _buckets(bucket_codes(days, interval), keys, lo, n, step, totals, starts, ends)
        return {"query": s.query, "buckets": buckets}

    if params.by == "source":
        s = series[0]
        all_codes = np.concatenate([s.sources, s.undated_sources])
        counts = np.bincount(all_codes, minlength=len(cols.source_names)) if len(all_codes) else np.zeros(0, int)
        order = [int(c) for c in np.argsort(-counts, kind="stable") if counts[c]]
        top, rest = order[:TOP_SOURCES], order[TOP_SOURCES:]
        out_series = []
        for group, label in [([c], None) for c in top] + ([(rest, OTHERS)] if rest else []):
            mask = np.isin(s.sources, group)
            undated = int(np.isin(s.undated_sources, group).sum())
            item = one(s, mask, np.asarray(group, dtype=np.int64))
            name = cols.source_names[group[0]] if label is None else label
            item.update({"source": None if name == "unknown" and label is None else name,
                         "other": label is not None, "total": int(mask.sum()) + undated,
                         "total_stories": int(len(np.unique(s.keys[mask]))), "undated": undated})
            out_series.append(item)
        return {"query": s.query, "interval": interval, "by": "source", "series": out_series,
                "notes": notes, "took_ms": _ms(t0)}

    items = []
    for s in series:
        item = one(s)
        item.update({"total": s.total, "total_stories": s.total_stories,
                     "undated": s.total - len(s.days)})
        items.append(item)
    if len(items) == 1:
        return {**items[0], "interval": interval, "by": None, "notes": notes, "took_ms": _ms(t0)}
    return {"interval": interval, "by": None, "series": items, "notes": notes, "took_ms": _ms(t0)}


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


def day_bounds(ms) -> tuple[str | None, str | None, int]:
    """First and last publication days of a match set's generation, and the undated count."""
    cols = columns(ms.facets)
    days = cols.days[cols.live_dated]
    undated = len(ms.facets.live) - len(days)
    if not len(days):
        return None, None, undated
    lo, hi = int(days.min()), int(days.max())
    as_iso = lambda d: str(np.datetime64(d, "D"))  # noqa: E731
    return as_iso(lo), as_iso(hi), undated
