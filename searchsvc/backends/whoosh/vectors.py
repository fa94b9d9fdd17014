"""Per-generation numpy arrays: postings, document masks, vectorised BM25 and top-k.

A term's postings are read once from Whoosh's blocks into two arrays (global
docnums, int32, sorted; weights, float64), with, for positional fields, the
encoded positions of every posting in one bytes blob (decoded only for the
documents a bonus or a phrase asks about), and kept in a byte-bounded cache of the
generation (:class:`ArrayCache`). Document sets are boolean masks over every
docnum of the generation (34 KB for the 33,930 articles): matching, filters and
facet counts are array operations instead of Python sets. BM25 contributions are
computed over whole posting arrays and summed into one dense score vector; only
the best :data:`searchsvc.backends.whoosh.scoring.RERANK` candidates become Python objects,
re-ranked with the position bonuses of :class:`searchsvc.backends.whoosh.scoring.Scorer`.

The arithmetic is the scorer's, operation for operation (same float64 values, same
order of additions), so rankings are those of the set-based scorer
(``tests/test_vectors.py`` compares both on every index shape).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from whoosh import query as wq
from whoosh.matching.wrappers import FilterMatcher

from searchsvc.search import ranking
from searchsvc.backends.whoosh import w3read
from searchsvc.search.memo import remember
from searchsvc.backends.whoosh.scoring import EXACT_FIELD, RERANK, _field_terms, question_units

#: Bytes of posting arrays, score arrays and masks kept per generation.
CACHE_BYTES = 96 * 1024 * 1024
#: Fields read only for the re-ranked candidates (the exact-form bonus): their
#: postings are decoded block by block for those documents, never read whole.
SKIPPED_FIELDS = frozenset({EXACT_FIELD})
#: Terms of those fields remembered as read once (the next read caches them whole).
SKIPPED_TERMS = 100_000
#: Terms with fewer postings keep no score array (computing it is cheaper than the
#: bookkeeping); their postings (and positions) are cached like every term's.
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
    if isinstance(value, bytes):
        return len(value) + 33
    return 64


def read_entry(reader, fieldname: str, text: str, values: bool):
    """``(docnums, weights, blob, offsets)`` of a term in one walk over its blocks:
    with ``values``, every posting's encoded value (its positions) concatenated in
    ``blob`` (bytes), posting ``i``'s at ``blob[offsets[i]:offsets[i + 1]]``; else
    ``blob`` and ``offsets`` are None. Whoosh unpickles a block's docnums, weights and
    values together: keeping the values costs a join, not a second walk."""
    ids, weights, vals = [], [], []
    for block, ws, offset, vs in posting_values(reader, fieldname, text, values):
        ids.append(block + offset if offset else block)
        weights.append(ws)
        if values:
            vals.extend(vs)
    if not ids:
        return _EMPTY_IDS, _EMPTY_SCORES, (b"" if values else None), (_NO_OFFSETS if values else None)
    if len(ids) == 1:
        ids, weights = ids[0], weights[0]
    else:
        ids, weights = np.concatenate(ids), np.concatenate(weights)
    if not values:
        return ids, weights, None, None
    offsets = np.zeros(len(vals) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, vals), dtype=np.int64, count=len(vals)), out=offsets[1:])
    return ids, weights, b"".join(vals), offsets


def posting_values(reader, fieldname: str, text: str, values: bool):
    """``(segment docnums int32, weights float64, docnum offset, encoded values)`` of
    each posting block of a term in docnum order, deleted documents included; the
    values are a sequence of bytes when ``values``, else None.

    Whoosh 3 segments are read straight from their mapped files
    (:mod:`searchsvc.backends.whoosh.w3read`) and their blocks decoded with numpy
    (:func:`_block_arrays`) instead of the matcher's per-posting Python generator.
    Any other segment goes through Whoosh's matcher."""
    keys: dict = {}
    for leaf, offset, seg, tbytes, fixed in _segments(reader, fieldname, text):
        if seg is None:
            yield from _matcher_blocks(leaf, offset, fieldname, text, values)
            continue
        for n, _last, delta, raw in seg.blocks(fieldname, tbytes, keys):
            ids, ws, vs = w3read.data(raw)
            block, weights = _block_arrays(ids, ws, n, delta)
            yield block, weights, offset, (_block_values(vs, n, fixed) if values else None)


def _segments(reader, fieldname: str, text: str):
    """``(leaf, docnum offset, w3read.Segment or None, term bytes, fixed value size)``
    of each segment of ``reader``; nothing if the schema has no such field."""
    try:
        field = reader.schema[fieldname]
        tbytes = field.to_bytes(text)
        fixed = field.format.fixed_value_size()
    except Exception:  # no such field, or a term it cannot hold: as if absent
        return
    for leaf, offset in reader.leaf_readers():
        yield leaf, offset, w3read.segment(leaf), tbytes, fixed


def _matcher_blocks(leaf, offset: int, fieldname: str, text: str, values: bool):
    """The blocks of a term in a segment :mod:`~searchsvc.backends.whoosh.w3read` cannot read,
    through Whoosh's matcher (deleted documents included)."""
    try:
        terms = getattr(leaf, "_terms", None)
        if terms is not None:  # SegmentReader.postings without its filter of deletions
            field = leaf.schema[fieldname]
            m = terms.matcher(fieldname, field.to_bytes(text), field.format)
        else:
            m = leaf.postings(fieldname, text)
    except Exception:  # absent, or a segment that cannot read this term: as if absent
        return
    m = m.child if isinstance(m, FilterMatcher) else m
    ids, ws, vs = [], [], []
    while m.is_active():
        ids.append(m.id())
        ws.append(m.weight())
        if values:
            vs.append(m.value())
        m.next()
    yield np.asarray(ids, dtype=np.int32), np.asarray(ws, dtype=np.float64), offset, (vs if values else None)


def _block_arrays(raw_ids, raw_weights, n: int, delta: bool) -> tuple[np.ndarray, np.ndarray]:
    """(docnums int32, weights float64) of a Whoosh 3 block: the docnums are
    delta-coded (a cumulative sum) unless inlined in the term info; the weights are
    float32 values, one float standing for a block of equal weights, None for all 1.0."""
    if delta:
        block = np.cumsum(np.asarray(raw_ids, dtype=np.int64)).astype(np.int32)
    else:
        block = np.asarray(raw_ids, dtype=np.int32)
    if raw_weights is None:
        ws = np.ones(n, dtype=np.float64)
    elif isinstance(raw_weights, float):
        ws = np.full(n, float(np.float32(raw_weights)), dtype=np.float64)
    else:
        ws = np.asarray(raw_weights, dtype=np.float64)
    return block, ws


def _block_values(raw, n: int, fixed):
    """The encoded values (bytes) of the postings of a Whoosh 3 block."""
    if fixed is None or fixed < 0 or not isinstance(raw, (bytes, bytearray)):
        return raw
    if fixed == 0:
        return (b"",) * n
    return [raw[i * fixed:(i + 1) * fixed] for i in range(n)]


def read_weights(reader, fieldname: str, text: str, wanted) -> dict[int, float]:
    """docnum -> weight of a term for the docnums of ``wanted`` (sorted, global) that
    have it, decoding only the Whoosh blocks that can hold them: a block whose last
    docnum is below the next wanted one is skipped on its header alone (as the
    matcher's ``skip_to``)."""
    out: dict[int, float] = {}
    if not len(wanted):
        return out
    want = np.asarray(wanted, dtype=np.int64)
    keys: dict = {}
    for leaf, offset, seg, tbytes, _fixed in _segments(reader, fieldname, text):
        size = leaf.doc_count_all()
        local = want[(want >= offset) & (want < offset + size)] - offset
        if not len(local):
            continue  # no candidate in this segment: not even a term lookup
        if seg is None:
            for block, ws, off, _ in _matcher_blocks(leaf, offset, fieldname, text, False):
                _pick(out, block.astype(np.int64) + off, ws, want)
            continue
        i = 0
        for n, last, delta, raw in seg.blocks(fieldname, tbytes, keys):
            if i >= len(local):
                break
            if last < local[i]:
                continue  # the block's header only
            ids, ws, _ = w3read.data(raw)
            block, weights = _block_arrays(ids, ws, n, delta)
            _pick(out, block.astype(np.int64) + offset, weights, want)
            i = int(np.searchsorted(local, int(block[-1]), side="right"))
    return out


def _pick(out: dict, ids: np.ndarray, ws: np.ndarray, want: np.ndarray) -> None:
    docs, at = _found(ids, want)
    out.update(zip(docs.tolist(), ws[at].tolist()))


def _found(ids: np.ndarray, wanted) -> tuple[np.ndarray, np.ndarray]:
    """``(docnums, their indexes in ids)`` of the docnums of ``wanted`` found in the
    ascending ``ids``."""
    cand = np.asarray(wanted, dtype=np.int64)
    if not len(ids) or not len(cand):
        return cand[:0], cand[:0]
    at = np.minimum(np.searchsorted(ids, cand), len(ids) - 1)
    hit = ids[at] == cand
    return cand[hit], at[hit]


_NO_OFFSETS = np.zeros(1, dtype=np.int64)


class Vectors:
    """The numpy side of one generation: postings, masks, BM25 over arrays.

    ``scorer`` (a :class:`~searchsvc.backends.whoosh.scoring.Scorer`) gives the length norms,
    idf and the re-ranking bonuses; readers are the caller's (one per thread)."""

    def __init__(self, scorer, size: int, max_bytes: int = CACHE_BYTES):
        self.scorer = scorer
        self.size = size
        self.cache = ArrayCache(max_bytes)
        self._norms: dict[str, np.ndarray] = {}
        self._positional: dict[str, bool] = {}
        self._skipped: dict = {}  # terms of SKIPPED_FIELDS read once by skipping

    # -- postings and masks -------------------------------------------------------

    def postings(self, reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        return self._entry(reader, fieldname, text)[:2]

    def _entry(self, reader, fieldname: str, text: str):
        """The cached :func:`read_entry` of a term; positions kept for fields that have them."""
        key = ("p", fieldname, text)
        got = self.cache.get(key)
        if got is None:
            got = read_entry(reader, fieldname, text, self._has_positions(reader, fieldname))
            self.cache.put(key, got)
        return got

    def _has_positions(self, reader, fieldname: str) -> bool:
        got = self._positional.get(fieldname)
        if got is None:
            try:
                got = bool(reader.schema[fieldname].format.supports("positions"))
            except KeyError:
                got = False
            self._positional[fieldname] = got
        return got

    def weights_for(self, reader, fieldname: str, text: str, wanted) -> dict[int, float]:
        """docnum -> weight of a term for the docnums of ``wanted`` (sorted) that have
        it. From the cached entry when there is one; else, the first time a term of a
        field only read for a few candidates (:data:`SKIPPED_FIELDS`: the exact-form
        bonus) is asked for, only the blocks holding them are decoded
        (:func:`read_weights`); from its second time on (a term that comes back) and for
        any other field, the postings are read whole and cached."""
        key = ("p", fieldname, text)
        got = self.cache.get(key)
        if got is None:
            if fieldname in SKIPPED_FIELDS and key not in self._skipped:
                remember(self._skipped, key, True, SKIPPED_TERMS)
                return read_weights(reader, fieldname, text, wanted)
            got = self._entry(reader, fieldname, text)
        docs, at = _found(got[0], wanted)
        return dict(zip(docs.tolist(), got[1][at].tolist()))

    def positions(self, reader, fieldname: str, text: str, wanted) -> dict[int, list[int]]:
        """docnum -> positions of a term, for the docnums of ``wanted`` (sorted) that
        have it: decoded from the cached entry, only for those documents."""
        ids, _, blob, offsets = self._entry(reader, fieldname, text)
        if blob is None:
            return {}
        docs, at = _found(ids, wanted)
        decode = reader.schema[fieldname].format.decode_positions
        return {d: decode(blob[a:b]) for d, a, b in zip(docs.tolist(), offsets[at].tolist(), offsets[at + 1].tolist())}

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
        :meth:`searchsvc.backends.whoosh.scoring.Scorer.unit`; ``mask(q)`` gives a query's documents."""
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
        :meth:`searchsvc.backends.whoosh.scoring.Scorer.top` (equal scores newest first)."""
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
