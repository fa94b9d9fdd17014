"""Facet and filter structures, built once per index generation.

For each facet field, the value of every document (docnum -> small int code) read
from Whoosh's sortable column, and the set of docnums per value. The search itself
uses numpy: filters are boolean masks over the docnums (:meth:`FacetData.filter_masks`),
counts one ``bincount`` of the codes of the matched documents (:func:`mask_counts`).
The set-based forms (``filters_for``, :func:`facet_counts`) stay for callers that
hold docnum sets.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections import Counter
from functools import lru_cache

import numpy as np

from searchsvc.backends.whoosh.indexer.columns import column_values
from searchsvc.backends.whoosh.indexer.columns import text_value as _text
from searchsvc.search.params import UNKNOWN, SearchParams

#: facet name in the result object -> index field
FACET_FIELDS = {"source": "source_facet", "year": "year", "month": "month", "lang": "lang"}


class FacetData:
    """Per-generation arrays over all docnums of one reader."""

    def __init__(self, reader):
        n = reader.doc_count_all()
        self.size = n
        self.live = frozenset(reader.all_doc_ids())
        self.values: dict[str, list[str]] = {}
        self.codes: dict[str, list[int]] = {}
        self.docsets: dict[str, dict[str, frozenset[int]]] = {}
        for name, fieldname in FACET_FIELDS.items():
            column = column_values(reader, fieldname)
            table: dict[str, int] = {}
            codes = []
            buckets: dict[str, list[int]] = {}
            for d, v in enumerate(column):
                v = v or UNKNOWN
                code = table.setdefault(v, len(table))
                codes.append(code)
                buckets.setdefault(v, []).append(d)
            self.values[name] = list(table)
            self.codes[name] = codes
            self.docsets[name] = {v: frozenset(ds) & self.live for v, ds in buckets.items()}
        dates = column_values(reader, "date")
        # date keys: int YYYYMMDD, 0 when unknown (sorts oldest)
        self.datekey = [_datekey(v) for v in dates]
        order = sorted((k, d) for d, k in enumerate(self.datekey) if k and d in self.live)
        self._sorted_keys = [k for k, _ in order]
        self._sorted_docs = [d for _, d in order]
        self._orders: dict[str, list[int]] = {}
        self.filter_sets = lru_cache(maxsize=32)(self._filter_sets)
        self._listing = lru_cache(maxsize=64)(self._listing_counts)
        # numpy forms used by the search
        self.live_mask = np.zeros(n, dtype=bool)
        self.live_mask[list(self.live)] = True
        self.code_arrays = {name: np.asarray(c, dtype=np.int32) for name, c in self.codes.items()}
        self.datekey_array = np.asarray(self.datekey, dtype=np.int32)
        self.filter_masks_of = lru_cache(maxsize=128)(self._filter_masks)

    def _filter_masks(self, sources, langs, date_range, years) -> dict[str, np.ndarray]:
        f: dict[str, np.ndarray] = {}
        for name, values in (("source", sources), ("lang", langs), ("year", years)):
            if values:
                table = {v: i for i, v in enumerate(self.values[name])}
                wanted = [table[v] for v in values if v in table]
                f[name] = np.isin(self.code_arrays[name], wanted) & self.live_mask
        lo, hi = date_range
        if lo or hi:
            dk = self.datekey_array
            m = (dk != 0) & self.live_mask
            if lo:
                m &= dk >= _datekey(lo)
            if hi:
                m &= dk <= _datekey(hi)
            f["date"] = m
        for m in f.values():
            m.flags.writeable = False  # cached: shared by every request
        return f

    def filter_masks(self, params: SearchParams) -> dict[str, np.ndarray]:
        """Filter name -> boolean mask of the allowed docnums (only the filters in use)."""
        return self.filter_masks_of(params.sources, params.langs, params.date_range, params.years)

    def mask_count(self, name: str, mask: np.ndarray) -> list[dict]:
        """:meth:`count` over the documents of a boolean mask (one ``bincount``)."""
        values = self.values[name]
        counts = np.bincount(self.code_arrays[name][mask], minlength=len(values))
        out = [(values[c], int(k)) for c in np.flatnonzero(counts).tolist() for k in (counts[c],)]
        out.sort(key=lambda vk: (-vk[1], vk[0] == UNKNOWN, vk[0]))
        return [{"value": None if v == UNKNOWN else v, "count": k} for v, k in out]

    def cache_stats(self) -> dict:
        """Entries of the per-generation caches (bench/query_speed.py prints them)."""
        return {"filter_masks": self.filter_masks_of.cache_info().currsize,
                "filter_sets": self.filter_sets.cache_info().currsize,
                "listing": self._listing.cache_info().currsize,
                "orders": len(self._orders)}

    def by_date(self, pool, k: int, oldest: bool = False) -> list[int]:
        """The first ``k`` docnums of ``pool`` newest first (undated last) or oldest
        first (undated last), ties by docnum. A large pool is read off a sorted list
        of every document (kept per generation) instead of heap-selected."""
        if len(pool) * 8 < self.size or k * 4 > len(pool):
            datekey = self.datekey
            if oldest:
                return heapq.nsmallest(k, pool, key=lambda d: (datekey[d] or 99999999, d))
            return heapq.nlargest(k, pool, key=lambda d: (datekey[d], -d))
        name = "oldest" if oldest else "newest"
        order = self._orders.get(name)
        if order is None:
            datekey = self.datekey
            key = (lambda d: (datekey[d] or 99999999, d)) if oldest else (lambda d: (-datekey[d], d))
            order = self._orders[name] = sorted(self.live, key=key)
        out = []
        for d in order:
            if d in pool:
                out.append(d)
                if len(out) >= k:
                    break
        return out

    def value_set(self, name: str, values) -> frozenset[int]:
        sets = self.docsets[name]
        picked = [sets.get(v, frozenset()) for v in values]
        if len(picked) == 1:
            return picked[0]
        return frozenset().union(*picked)

    def date_set(self, lo: str | None, hi: str | None) -> frozenset[int]:
        a = bisect_left(self._sorted_keys, _datekey(lo)) if lo else 0
        b = bisect_right(self._sorted_keys, _datekey(hi)) if hi else len(self._sorted_keys)
        return frozenset(self._sorted_docs[a:b])

    def _filter_sets(self, sources, langs, date_range, years) -> dict[str, frozenset[int]]:
        """Each facet's values are alternatives (OR); the filters all apply (AND)."""
        f: dict[str, frozenset[int]] = {}
        if sources:
            f["source"] = self.value_set("source", sources)
        if langs:
            f["lang"] = self.value_set("lang", langs)
        if years:
            f["year"] = self.value_set("year", years)
        if date_range[0] or date_range[1]:
            f["date"] = self.date_set(*date_range)
        return f

    def _listing_counts(self, sources, langs, date_range, years) -> dict:
        return facet_counts(self, self.live, self._filter_sets(sources, langs, date_range, years))

    def listing_facets(self, params: SearchParams) -> dict:
        """Facet counts when every document matches (empty query): cached."""
        got = self._listing(params.sources, params.langs, params.date_range, params.years)
        return {name: [dict(e) for e in entries] for name, entries in got.items()}

    def filters_for(self, params: SearchParams) -> dict[str, frozenset[int]]:
        """Filter name -> allowed docnums (only the filters in use)."""
        return self.filter_sets(params.sources, params.langs, params.date_range, params.years)

    def count(self, name: str, docs) -> list[dict]:
        """``[{"value", "count"}]`` over ``docs``, by count then value; null for unknown."""
        values = self.values[name]
        counts = Counter(map(self.codes[name].__getitem__, docs))
        out = [(values[c], k) for c, k in counts.items() if k]
        out.sort(key=lambda vk: (-vk[1], vk[0] == UNKNOWN, vk[0]))
        return [{"value": None if v == UNKNOWN else v, "count": k} for v, k in out]


def _datekey(v) -> int:
    v = _text(v)
    digits = v[:10].replace("-", "")
    if len(digits) == 8 and digits.isdigit():
        return int(digits)
    return 0


def intersect(base, sets) -> set[int] | frozenset[int]:
    """``base`` ∩ every set in ``sets``, smallest first."""
    result = base
    for s in sorted(sets, key=len):
        result = result & s
        if not result:
            break
    return result


def facet_counts(data: FacetData, matched, filters: dict[str, frozenset[int]]) -> dict:
    """Counts over the matching documents. A facet ignores its own selection and
    respects every other filter; ``month`` respects all of them (it has no selection
    of its own, so under a chosen year it lists that year's months)."""
    out = {}
    for name in ("source", "year", "month", "lang"):
        others = [s for key, s in filters.items() if key != name]
        out[name] = data.count(name, intersect(matched, others))
    return out


def mask_and(base: np.ndarray, masks) -> np.ndarray:
    """``base`` AND every mask of ``masks`` (a new array)."""
    out = base.copy()
    for m in masks:
        out &= m
    return out


def mask_counts(data: FacetData, matched: np.ndarray, filters: dict[str, np.ndarray]) -> dict:
    """:func:`facet_counts` over a boolean mask of matched documents and filter masks."""
    out = {}
    for name in ("source", "year", "month", "lang"):
        others = [m for key, m in filters.items() if key != name]
        out[name] = data.mask_count(name, mask_and(matched, others) if others else matched)
    return out


def in_date_order(entries: list[dict]) -> list[dict]:
    """Facet entries (e.g. months) by value ascending, null last."""
    return sorted(entries, key=lambda e: (e["value"] is None, e["value"] or ""))
