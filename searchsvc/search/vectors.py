"""Per-generation numpy arrays: postings, document masks, vectorised BM25 and top-k.

A term's postings are read once from Whoosh's blocks into two arrays (global
docnums, int32, sorted; weights, float64) and kept in a byte-bounded cache of the
generation (:class:`ArrayCache`). Document sets are boolean masks over every
docnum of the generation (34 KB for the 33,930 articles): matching, filters and
facet counts are array operations instead of Python sets. BM25 contributions are
computed over whole posting arrays and summed into one dense score vector; only
the best :data:`searchsvc.search.scoring.RERANK` candidates become Python objects,
re-ranked with the position bonuses of :class:`searchsvc.search.scoring.Scorer`.

The arithmetic is the scorer's, operation for operation (same float64 values, same
order of additions), so rankings are those of the set-based scorer
(``tests/test_vectors.py`` compares both on every index shape).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from whoosh import query as wq

from searchsvc.search import ranking
from searchsvc.search.scoring import EXACT_FIELD, RERANK, _field_terms, posting_blocks, question_units

#: Bytes of posting arrays, score arrays and masks kept per generation.
CACHE_BYTES = 96 * 1024 * 1024
#: Terms with fewer postings are not cached (reading them is cheaper than the bookkeeping).
CACHE_MIN_POSTINGS = 256

_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)


class ArrayCache:
    """A thread-safe LRU of numpy values bounded by their total size in bytes."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            got = self._items.get(key)
            if got is not None:
                self._items.move_to_end(key)
            return got

    def put(self, key, value) -> None:
        size = _nbytes(value)
        if size > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= _nbytes(old)
            self._items[key] = value
            self.bytes += size
            while self.bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self.bytes -= _nbytes(dropped)

    def stats(self) -> dict:
        with self._lock:
            return {"entries": len(self._items), "bytes": self.bytes, "max_bytes": self.max_bytes}


def _nbytes(value) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, tuple):
        return sum(_nbytes(v) for v in value) + 64
    return 64


def read_arrays(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(docnums int32 ascending, weights float64) of a term, deleted documents included."""
    ids, weights = [], []
    for block, ws, offset in posting_blocks(reader, fieldname, text):
        block = np.asarray(block, dtype=np.int32)
        ids.append(block + offset if offset else block)
        weights.append(np.asarray(ws, dtype=np.float64))
    if not ids:
        return _EMPTY_IDS, _EMPTY_SCORES
    if len(ids) == 1:
        return ids[0], weights[0]
    return np.concatenate(ids), np.concatenate(weights)


class Vectors:
    """The numpy side of one generation: postings, masks, BM25 over arrays.

    ``scorer`` (a :class:`~searchsvc.search.scoring.Scorer`) gives the length norms,
    idf and the re-ranking bonuses; readers are the caller's (one per thread)."""

    def __init__(self, scorer, size: int, max_bytes: int = CACHE_BYTES):
        self.scorer = scorer
        self.size = size
        self.cache = ArrayCache(max_bytes)
        self._norms: dict[str, np.ndarray] = {}

    # -- postings and masks -------------------------------------------------------

    def postings(self, reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        key = ("p", fieldname, text)
        got = self.cache.get(key)
        if got is None:
            got = read_arrays(reader, fieldname, text)
            if len(got[0]) >= CACHE_MIN_POSTINGS:
                self.cache.put(key, got)
        return got

    def mask_of(self, ids: np.ndarray) -> np.ndarray:
        m = np.zeros(self.size, dtype=bool)
        m[ids] = True
        return m

    def empty(self) -> np.ndarray:
        return np.zeros(self.size, dtype=bool)

    def norms(self, reader, fieldname: str) -> np.ndarray:
        got = self._norms.get(fieldname)
        if got is None:
            got = self._norms[fieldname] = np.asarray(self.scorer.norms(reader, fieldname), dtype=np.float64)
        return got

    # -- scores ---------------------------------------------------------------------

    def term(self, reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, BM25 contribution of one term, boost 1)."""
        key = ("s", fieldname, text)
        got = self.cache.get(key)
        if got is not None:
            return got
        ids, w = self.postings(reader, fieldname, text)
        if not len(ids):
            return _EMPTY_IDS, _EMPTY_SCORES
        s = self.scorer
        k = s.idf(reader, fieldname, text) * (s.k1 + 1)
        got = (ids, k * w / (w + self.norms(reader, fieldname)[ids]))
        if len(ids) >= CACHE_MIN_POSTINGS:
            self.cache.put(key, got)
        return got

    def unit(self, reader, q, mask) -> tuple[np.ndarray, np.ndarray]:
        """(docnums, scores) of one query unit (Term, Phrase, Or of them), as
        :meth:`searchsvc.search.scoring.Scorer.unit`; ``mask(q)`` gives a query's documents."""
        if isinstance(q, wq.Term):
            if q.fieldname == EXACT_FIELD:
                return _EMPTY_IDS, _EMPTY_SCORES  # scored for the top candidates only
            ids, sc = self.term(reader, q.fieldname, q.text)
            return ids, _scaled(sc, q.boost * (ranking.TITLE_WEIGHT if q.fieldname == "title" else 1.0))
        if isinstance(q, wq.Or):
            parts = [self.unit(reader, sub, mask) for sub in q.subqueries]
            parts = [p for p in parts if len(p[0])]
            if not parts:
                return _EMPTY_IDS, _EMPTY_SCORES
            if len(parts) == 1:
                return parts[0][0], _scaled(parts[0][1], q.boost)
            parts.sort(key=lambda p: len(p[0]), reverse=True)
            return self._summed(parts, q.boost)
        if isinstance(q, wq.Phrase):
            docs = mask(q)
            parts = []
            for word in q.words:
                ids, sc = self.term(reader, q.fieldname, word)
                keep = docs[ids]
                parts.append((ids[keep], sc[keep]))
            return self._summed(parts, q.boost)
        if isinstance(q, wq.AndNot):
            docs = mask(q)
            ids, sc = self.unit(reader, q.a, mask)
            keep = docs[ids]
            ids, sc = ids[keep], sc[keep]
            agree = getattr(q, "agree", None)
            if agree is not None:
                full, w = mask(agree), q.weight
                sc = np.where(full[ids], sc, sc * w)
            return ids, sc
        ids = np.flatnonzero(mask(q)).astype(np.int32)
        return ids, np.zeros(len(ids), dtype=np.float64)

    def _summed(self, parts, boost: float) -> tuple[np.ndarray, np.ndarray]:
        """Per-document sums of ``parts`` in their order (as the scorer's dict sums)."""
        acc = np.zeros(self.size, dtype=np.float64)
        seen = np.zeros(self.size, dtype=bool)
        for ids, sc in parts:
            acc[ids] += sc
            seen[ids] = True
        ids = np.flatnonzero(seen).astype(np.int32)
        return ids, _scaled(acc[ids], boost)

    def base(self, reader, units, mask, question) -> tuple[np.ndarray, np.ndarray]:
        """Dense (summed unit scores, number of non-question units matched)."""
        w = ranking.QUESTION_WEIGHT
        total = np.zeros(self.size, dtype=np.float64)
        counts = np.zeros(self.size, dtype=np.int32)
        for u, q in zip(units, question):
            ids, sc = self.unit(reader, u, mask)
            if not len(ids):
                continue
            if q:
                total[ids] += sc * w
                continue
            total[ids] += sc
            counts[ids] += 1
        return total, counts

    def top(self, reader, units, mask, pool, limit: int, datekey: np.ndarray, coord_table=None):
        """The best ``limit`` documents of ``pool`` (a mask): ``[(score, docnum)]``, as
        :meth:`searchsvc.search.scoring.Scorer.top` (equal scores newest first)."""
        scorer = self.scorer
        question, coord_table = question_units(units, coord_table)
        total, counts = self.base(reader, units, mask, question)
        if coord_table is not None:
            total = total * np.asarray(coord_table, dtype=np.float64)[counts]
        window = max(RERANK, limit)
        best = best_of(np.flatnonzero(pool), total, datekey, window)
        if not best or not (_field_terms(units, "body") or _field_terms(units, EXACT_FIELD)):
            return [(float(total[d]), d) for d in best[:limit]]
        extras = scorer._extras(reader, units, question, best)
        if coord_table is not None:
            factor = dict(zip(best, (coord_table[c] for c in counts[best].tolist())))
        base = dict(zip(best, total[best].tolist()))
        final = {d: base[d] + sum(x[d] for x in extras.values()) * (factor[d] if coord_table is not None else 1.0)
                 for d in best}
        keys = dict(zip(best, datekey[best].tolist()))
        best.sort(key=lambda d: (final[d], keys[d], -d), reverse=True)
        return [(final[d], d) for d in best[:limit]]


def best_of(ids: np.ndarray, score: np.ndarray, datekey: np.ndarray, k: int) -> list[int]:
    """The ``k`` docnums of ``ids`` with the highest ``(score, datekey, -docnum)``, in
    that order (``heapq.nlargest`` over those keys), as Python ints."""
    if not len(ids) or k <= 0:
        return []
    sc = score[ids]
    if len(ids) > 4 * k:
        # only documents at or above the k-th best score can be among the k best
        cut = np.partition(sc, len(sc) - k)[len(sc) - k]
        keep = sc >= cut
        ids, sc = ids[keep], sc[keep]
    order = np.lexsort((ids, -datekey[ids], -sc))[:k]
    return ids[order].tolist()


def by_date(ids: np.ndarray, datekey: np.ndarray, k: int, oldest: bool = False) -> list[int]:
    """The first ``k`` of ``ids`` newest first (undated last, ties by docnum) or
    oldest first (undated last, ties by docnum)."""
    if not len(ids) or k <= 0:
        return []
    dk = datekey[ids].astype(np.int64)
    key = np.where(dk == 0, 99999999, dk) if oldest else -dk
    if len(ids) > 4 * k:
        cut = np.partition(key, k - 1)[k - 1]
        keep = key <= cut
        ids, key = ids[keep], key[keep]
    order = np.lexsort((ids, key))[:k]
    return ids[order].tolist()


def _scaled(scores: np.ndarray, boost: float) -> np.ndarray:
    if boost == 1.0:
        return scores
    return scores * boost
