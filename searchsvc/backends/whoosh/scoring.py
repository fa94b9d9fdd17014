"""Fast BM25F scoring over whole posting blocks.

Whoosh's matcher tree costs about 100 µs per scored document in pure Python: far
too slow for "France" (12,000 matching articles). Here each query term's postings
are read block by block into plain lists (docnums, weights) and scored with one
dict comprehension, using per-generation arrays of length norms; units (words,
phrases, OR groups) are summed, multiplied by the coordination factor, and the
top documents re-ranked with the early-position bonus (which needs positions) and
the exact-form bonus (the spell field's postings are as long as the body's): both
are computed for the top candidates only. Same formula as Whoosh's BM25F
(per-field BM25 on index-time boosted weights, quantised field lengths), with the
BM25 idf of :mod:`searchsvc.search.ranking`.
"""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_right
from math import log

from whoosh import query as wq
from whoosh.matching.wrappers import FilterMatcher

from searchsvc.search import ranking

IDF_CACHE = 200_000  # idf values remembered per generation
RERANK = 50  # candidates re-scored with the early-position and exact-form bonuses
EXACT_FIELD = "spell"  # unstemmed accented words: the exact-form bonus


def _leaf_matchers(reader, fieldname: str, text: str):
    """(raw postings matcher, docnum offset) of a term in each segment that has it."""
    for leaf, offset in reader.leaf_readers():
        try:  # one term lookup per segment (postings raises TermNotFound when absent)
            m = leaf.postings(fieldname, text)
        except Exception:  # absent, or a segment that cannot read this term: as if absent
            continue
        yield (m.child if isinstance(m, FilterMatcher) else m), offset


def posting_blocks(reader, fieldname: str, text: str):
    """(segment docnums, weights, docnum offset) of each posting block of a term, in
    docnum order, deleted documents included."""
    for m, offset in _leaf_matchers(reader, fieldname, text):
        if hasattr(m, "_read_ids") and hasattr(m, "_read_weights") and hasattr(m, "_next_block"):
            while m.is_active():
                if m._ids is None:
                    m._read_ids()
                if m._weights is None:
                    m._read_weights()
                yield m._ids, m._weights, offset
                m._next_block()
        else:  # another codec: the generic (slower) matcher interface
            ids, weights = [], []
            while m.is_active():
                ids.append(m.id())
                weights.append(m.weight())
                m.next()
            yield ids, weights, offset


def read_postings(reader, fieldname: str, text: str) -> tuple[list[int], list[float]]:
    """All (docnums, weights) of a term, global docnums, deleted documents included."""
    ids: list[int] = []
    weights: list[float] = []
    for block, ws, offset in posting_blocks(reader, fieldname, text):
        ids.extend((d + offset for d in block) if offset else block)
        weights.extend(ws)
    return ids, weights


def _early(positions, limit: int) -> int:
    """How many of ``positions`` (ascending) are below ``limit``."""
    early = 0
    for p in positions:
        if p >= limit:
            break
        early += 1
    return early


class Scorer:
    """Per-generation scoring data (length norms, cached term scores)."""

    def __init__(self, reader, k1: float | None = None, b: float | None = None):
        # the reader is only used here; later calls get the caller's own reader
        # (Whoosh readers seek shared file objects: one per thread)
        self.n = reader.doc_count_all()
        self._live = max(reader.doc_count(), 1)
        self._lengths = {f: reader.field_length(f) or 0 for f in reader.schema.scorable_names()}
        self.k1 = ranking.K1 if k1 is None else k1
        self.b = ranking.B if b is None else b
        self._norms: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], dict[int, float]] = {}
        self._idf: dict[tuple[str, str], float] = {}
        #: the generation's :class:`searchsvc.backends.whoosh.vectors.Vectors` (set by the engine):
        #: the bonuses then take term weights from its cached posting arrays
        self.arrays = None

    def _weights_of(self, reader, fieldname: str, text: str, wanted: list[int]) -> dict[int, float]:
        """docnum -> weight of a term for the ``wanted`` documents (sorted) that have it,
        from the generation's posting arrays (:meth:`Vectors.weights_for`)."""
        return self.arrays.weights_for(reader, fieldname, text, wanted)

    def norms(self, reader, fieldname: str) -> list[float]:
        """``K1 * (1 - B + B * length / average)`` for every docnum."""
        got = self._norms.get(fieldname)
        if got is None:
            r = reader
            avg = (self._lengths.get(fieldname, 0) / self._live) or 1.0
            k1, b = self.k1, self.b
            got = [k1 * (1 - b + b * (r.doc_field_length(d, fieldname, 1) or 0) / avg) for d in range(self.n)]
            self._norms[fieldname] = got
        return got

    def idf(self, reader, fieldname: str, text: str) -> float:
        """BM25 idf (constant per generation: remembered, at most :data:`IDF_CACHE` terms)."""
        key = (fieldname, text)
        got = self._idf.get(key)
        if got is None:
            df = reader.doc_frequency(fieldname, text)
            got = log(1 + (self.n - df + 0.5) / (df + 0.5))
            if len(self._idf) >= IDF_CACHE:
                self._idf.clear()
            self._idf[key] = got
        return got

    def positions(self, reader, fieldname: str, text: str, wanted) -> dict[int, list[int]]:
        """:func:`read_positions`, from the generation's cached posting arrays when set."""
        if self.arrays is not None:
            return self.arrays.positions(reader, fieldname, text, wanted)
        return read_positions(reader, fieldname, text, set(wanted))

    def term(self, reader, fieldname: str, text: str) -> dict[int, float]:
        """docnum -> BM25 contribution of one term (boost 1)."""
        key = (fieldname, text)
        got = self._cache.get(key)
        if got is not None:
            return got
        ids, weights = read_postings(reader, fieldname, text)
        if not ids:
            return {}
        norms = self.norms(reader, fieldname)
        k = self.idf(reader, fieldname, text) * (self.k1 + 1)
        got = {d: k * w / (w + norms[d]) for d, w in zip(ids, weights)}
        if len(ids) >= 1000:
            with self._lock:
                self._cache[key] = got
                while len(self._cache) > 48:
                    self._cache.pop(next(iter(self._cache)), None)
        return got

    # -- query trees --------------------------------------------------------------

    def unit(self, reader, q, docset) -> dict[int, float]:
        """docnum -> score of one query unit (Term, Phrase, Or of them)."""
        if isinstance(q, wq.Term):
            if q.fieldname == EXACT_FIELD:
                return {}  # scored for the top candidates only (exact_bonus)
            s = self.term(reader, q.fieldname, q.text)
            return _scaled(s, q.boost * (ranking.TITLE_WEIGHT if q.fieldname == "title" else 1.0))
        if isinstance(q, wq.Or):
            parts = [self.unit(reader, sub, docset) for sub in q.subqueries]
            parts = [p for p in parts if p]
            if not parts:
                return {}
            parts.sort(key=len, reverse=True)
            acc = dict(parts[0])
            for p in parts[1:]:
                get = acc.get
                for d, s in p.items():
                    acc[d] = get(d, 0.0) + s
            return _scaled(acc, q.boost)
        if isinstance(q, wq.Phrase):
            docs = docset(q)
            acc: dict[int, float] = {}
            for word in q.words:
                for d, s in self.term(reader, q.fieldname, word).items():
                    if d in docs:
                        acc[d] = acc.get(d, 0.0) + s
            return _scaled(acc, q.boost)
        if isinstance(q, wq.AndNot):
            # a unit with documents left out (accents): its own score, where it still
            # matches, weighed down outside the documents that have its accents
            docs = docset(q)
            got = {d: s for d, s in self.unit(reader, q.a, docset).items() if d in docs}
            agree = getattr(q, "agree", None)
            if agree is not None:
                full, w = docset(agree), q.weight
                got = {d: s if d in full else s * w for d, s in got.items()}
            return got
        # anything else: matched documents, no score of their own
        return {d: 0.0 for d in docset(q)}

    def early_bonus(self, reader, body_terms, candidates: list[int]) -> dict[int, float]:
        """Extra score of the candidates for body-term occurrences among the first
        ``ranking.EARLY_WORDS`` words."""
        limit, bonus = ranking.EARLY_WORDS, ranking.EARLY_BONUS
        extra = dict.fromkeys(candidates, 0.0)
        if not limit or not bonus:
            return extra
        norms = self.norms(reader, "body")
        wanted = sorted(candidates)
        if self.arrays is not None:
            for text, boost in body_terms:
                k = self.idf(reader, "body", text) * (self.k1 + 1) * boost * ranking.EARLY_WEIGHT
                have = self._weights_of(reader, "body", text, wanted)
                positions = self.positions(reader, "body", text, sorted(have)) if have else {}
                for d, w in have.items():
                    early = _early(positions.get(d, ()), limit)
                    if early:
                        w2 = w + bonus * early
                        extra[d] += k * (w2 / (w2 + norms[d]) - w / (w + norms[d]))
            return extra
        for text, boost in body_terms:
            try:
                m = reader.postings("body", text)
            except Exception:
                continue
            k = self.idf(reader, "body", text) * (self.k1 + 1) * boost * ranking.EARLY_WEIGHT
            for d in wanted:
                if not m.is_active():
                    break
                m.skip_to(d)
                if not m.is_active() or m.id() != d:
                    continue
                w = m.weight()
                early = _early(m.value_as("positions"), limit)
                if early:
                    w2 = w + bonus * early
                    extra[d] += k * (w2 / (w2 + norms[d]) - w / (w + norms[d]))
        return extra

    def exact_bonus(self, reader, exact_terms, candidates: list[int]) -> dict[int, float]:
        """Score of the candidates for the query words exactly as written (the
        unstemmed, accented spell field), read for these documents only."""
        extra = dict.fromkeys(candidates, 0.0)
        norms = self.norms(reader, EXACT_FIELD)
        wanted = sorted(candidates)
        if self.arrays is not None:
            for text, boost in exact_terms:
                k = self.idf(reader, EXACT_FIELD, text) * (self.k1 + 1) * boost * ranking.EXACT_WEIGHT
                for d, w in self._weights_of(reader, EXACT_FIELD, text, wanted).items():
                    extra[d] += k * w / (w + norms[d])
            return extra
        for text, boost in exact_terms:
            try:
                m = reader.postings(EXACT_FIELD, text)
            except Exception:
                continue
            k = self.idf(reader, EXACT_FIELD, text) * (self.k1 + 1) * boost * ranking.EXACT_WEIGHT
            for d in wanted:
                if not m.is_active():
                    break
                m.skip_to(d)
                if m.is_active() and m.id() == d:
                    w = m.weight()
                    extra[d] += k * w / (w + norms[d])
        return extra

    def proximity_bonus(self, reader, unit_terms, candidates: list[int]) -> dict[int, float]:
        """BM25TP-style term proximity (Rasolofo & Savoy 2003) for the candidates:
        each pair of occurrences of body terms of two different query units at most
        ``ranking.PROX_WINDOW`` positions apart adds ``idf(other) / distance ** 2`` to
        both terms' proximity weight, which is saturated like a term frequency."""
        weight, window = ranking.PROX_WEIGHT, ranking.PROX_WINDOW
        extra = dict.fromkeys(candidates, 0.0)
        if not weight or len({u for _, u, _ in unit_terms}) < 2:
            return extra
        wanted = sorted(candidates)
        terms = [(text, unit, boost, min(1.0, self.idf(reader, "body", text)), self.idf(reader, "body", text),
                  self.positions(reader, "body", text, wanted)) for text, unit, boost in unit_terms]
        norms = self.norms(reader, "body")
        k1 = self.k1
        for d in candidates:
            present = [(unit, boost, cap, idf, pos[d]) for _, unit, boost, cap, idf, pos in terms if d in pos]
            if len(present) < 2:
                continue
            acc = [0.0] * len(present)
            for i in range(len(present)):
                ui, _, _, idf_i, pi = present[i]
                for j in range(i + 1, len(present)):
                    uj, _, _, idf_j, pj = present[j]
                    if ui == uj:
                        continue
                    tp = 0.0
                    for p in pi:
                        lo = bisect_right(pj, p - window - 1)
                        for q in pj[lo:]:
                            if q > p + window:
                                break
                            if q != p:
                                tp += 1.0 / ((q - p) ** 2)
                    if tp:
                        acc[i] += idf_j * tp
                        acc[j] += idf_i * tp
            total = 0.0
            for (_, boost, cap, _, _), a in zip(present, acc):
                if a:
                    total += boost * cap * a * (k1 + 1) / (a + norms[d])
            extra[d] = weight * total
        return extra

    def _base(self, reader, units, docset, question):
        """(docnum -> summed unit scores, docnum -> number of non-question units matched)."""
        scored = [self.unit(reader, u, docset) for u in units]
        w = ranking.QUESTION_WEIGHT
        total: dict[int, float] = {}
        counts: dict[int, int] = {}
        for part, q in zip(scored, question):
            get = total.get
            if q:
                for d, s in part.items():
                    total[d] = get(d, 0.0) + s * w
                continue
            cget = counts.get
            for d, s in part.items():
                total[d] = get(d, 0.0) + s
                counts[d] = cget(d, 0) + 1
        return total, counts

    def _extras(self, reader, units, question, best) -> dict[str, dict[int, float]]:
        """The re-ranking bonuses of the candidates, each unweighted by its ranking constant."""
        w = ranking.QUESTION_WEIGHT

        def terms(fieldname):  # (term, boost), question words weighed down
            return sorted({(t, b * w if question[i] else b) for i, u in enumerate(units)
                           for t, b in _field_terms([u], fieldname)})

        body_terms, exact_terms = terms("body"), terms(EXACT_FIELD)
        out = {"early": self.early_bonus(reader, body_terms, best)}
        if exact_terms:
            out["exact"] = self.exact_bonus(reader, exact_terms, best)
        if ranking.PROX_WEIGHT:
            unit_terms = [(t, i, b) for i, u in enumerate(units) if not question[i]
                          for t, b in sorted(_field_terms([u], "body"))]
            out["prox"] = self.proximity_bonus(reader, unit_terms, best)
        return out

    def top(self, reader, units, docset, pool, limit, datekey, coord_table=None):
        """The best ``limit`` documents of ``pool`` (the filtered matches):
        ``[(score, docnum)]``, equal scores newest first.

        Units made only of question words (``ranking.QUESTION_TERMS``: "combien",
        "quel", "pourquoi"...) weigh ``ranking.QUESTION_WEIGHT`` and are left out
        of the coordination count."""
        question, coord_table = question_units(units, coord_table)
        total, counts = self._base(reader, units, docset, question)
        if coord_table is not None:
            total = {d: s * coord_table[counts.get(d, 0)] for d, s in total.items()}
        window = max(RERANK, limit)
        best = heapq.nlargest(window, pool, key=lambda d: (total.get(d, 0.0), datekey[d], -d))
        if not best or not (_field_terms(units, "body") or _field_terms(units, EXACT_FIELD)):
            return [(total.get(d, 0.0), d) for d in best[:limit]]
        extras = self._extras(reader, units, question, best)
        factor = (lambda d: coord_table[counts.get(d, 0)]) if coord_table is not None else (lambda d: 1.0)
        final = {d: total.get(d, 0.0) + sum(x[d] for x in extras.values()) * factor(d) for d in best}
        best.sort(key=lambda d: (final[d], datekey[d], -d), reverse=True)
        return [(final[d], d) for d in best[:limit]]

    def features(self, reader, units, docset, pool, size: int) -> list[tuple[int, dict[str, float]]]:
        """The ranking's components for the ``size`` best documents of ``pool``
        (bench/ltr.py fits their weights): ``body``, ``title`` and ``question``
        BM25 parts, ``early``, ``exact``, ``prox`` bonuses (weight 1), ``matched``
        and ``units`` (non-question units: the coordination)."""
        question = [_is_question(u) for u in units]
        n = len(units) - sum(question)
        saved = (ranking.TITLE_WEIGHT, ranking.QUESTION_WEIGHT, ranking.PROX_WEIGHT, ranking.EXACT_WEIGHT,
                 ranking.EARLY_WEIGHT)
        try:
            ranking.TITLE_WEIGHT, ranking.QUESTION_WEIGHT = 0.0, 0.0
            body, counts = self._base(reader, units, docset, question)
            ranking.TITLE_WEIGHT = 1.0
            with_title, _ = self._base(reader, units, docset, question)
            ranking.QUESTION_WEIGHT = 1.0
            everything, _ = self._base(reader, units, docset, question)
            table = ranking.coord_table(max(n, 1))
            key = {d: everything.get(d, 0.0) * table[min(counts.get(d, 0), max(n, 1))] for d in pool}
            best = heapq.nlargest(size, pool, key=lambda d: (key[d], -d))
            ranking.PROX_WEIGHT = ranking.EXACT_WEIGHT = ranking.EARLY_WEIGHT = 1.0
            extras = self._extras(reader, units, question, best) if best else {}
            ranking.QUESTION_WEIGHT = 0.0
            content = self._extras(reader, units, question, best) if best and any(question) else extras
        finally:
            (ranking.TITLE_WEIGHT, ranking.QUESTION_WEIGHT, ranking.PROX_WEIGHT, ranking.EXACT_WEIGHT,
             ranking.EARLY_WEIGHT) = saved
        out = []
        for d in best:
            f = {"body": body.get(d, 0.0), "title": with_title.get(d, 0.0) - body.get(d, 0.0),
                 "question": everything.get(d, 0.0) - with_title.get(d, 0.0),
                 "matched": float(counts.get(d, 0)), "units": float(n)}
            for name in ("early", "exact", "prox"):
                f[name] = content.get(name, {}).get(d, 0.0)
                # the question words' part of a bonus weighs like their BM25 part
                f["question"] += extras.get(name, {}).get(d, 0.0) - f[name]
            out.append((d, f))
        return out


def question_units(units, coord_table):
    """(which units are question words, the coordination table without them)."""
    question = [_is_question(u) for u in units]
    if coord_table is not None and any(question):
        n = len(units) - sum(question)
        coord_table = ranking.coord_table(n) if n >= 1 else None
    return question, coord_table


def _is_question(unit) -> bool:
    """Whether every term of a unit is a question word."""
    terms = [t for f in ("body", "title") for t, _ in _field_terms([unit], f)]
    return bool(terms) and all(t in ranking.QUESTION_TERMS for t in terms)


def _scaled(scores: dict[int, float], boost: float) -> dict[int, float]:
    if boost == 1.0:
        return scores
    return {d: s * boost for d, s in scores.items()}


def _field_terms(units, fieldname: str) -> set[tuple[str, float]]:
    """(term, boost) of the query's terms on one field."""
    out: set[tuple[str, float]] = set()

    def walk(q, boost):
        if isinstance(q, wq.Term):
            if q.fieldname == fieldname:
                out.add((q.text, boost * q.boost))
        elif isinstance(q, wq.Phrase):
            if q.fieldname == fieldname:
                out.update((w, boost * q.boost) for w in q.words)
        elif isinstance(q, wq.Or):
            for sub in q.subqueries:
                walk(sub, boost * q.boost)
        elif isinstance(q, wq.AndNot):
            walk(q.a, boost * q.boost)  # what is left out only filters

    for u in units:
        walk(u, 1.0)
    return out


def read_positions(reader, fieldname: str, text: str, wanted) -> dict[int, list[int]]:
    """Positions of a term in the documents of ``wanted`` (global docnums), read
    block by block; only the wanted postings are decoded."""
    out: dict[int, list[int]] = {}
    fmt = reader.schema[fieldname].format
    for m, offset in _leaf_matchers(reader, fieldname, text):
        if not (hasattr(m, "_read_ids") and hasattr(m, "_read_values") and hasattr(m, "_next_block")):
            while m.is_active():
                d = m.id() + offset
                if d in wanted:
                    out[d] = list(m.value_as("positions"))
                m.next()
            continue
        while m.is_active():
            if m._ids is None:
                m._read_ids()
            ids = m._ids
            hits = [i for i, d in enumerate(ids) if d + offset in wanted]
            if hits:
                if m._values is None:
                    m._read_values()
                values = m._values
                for i in hits:
                    out[ids[i] + offset] = fmt.decode_positions(values[i])
            m._next_block()
    return out


def phrase_docs(reader, fieldname: str, words, slop: int, candidates, positions=None) -> set[int]:
    """The candidates where ``words`` occur in order, each at most ``slop``
    positions after the previous one (slop 1: adjacent), as Whoosh's Phrase.
    ``positions``: a :meth:`Scorer.positions` (cached arrays) instead of reading the blocks."""
    if not candidates:
        return set()
    wanted = candidates if isinstance(candidates, (set, frozenset)) else set(candidates)
    if positions is None:
        plists = [read_positions(reader, fieldname, w, wanted) for w in words]
    else:
        ordered = sorted(wanted)
        plists = [positions(reader, fieldname, w, ordered) for w in words]
    out = set()
    for d in wanted:
        lists = [pl.get(d) for pl in plists]
        if any(not lst for lst in lists):
            continue
        rest = lists[1:]
        for start in lists[0]:
            cur = start
            for lst in rest:
                i = bisect_right(lst, cur)
                if i < len(lst) and lst[i] - cur <= slop:
                    cur = lst[i]
                else:
                    break
            else:
                out.add(d)
                break
    return out
