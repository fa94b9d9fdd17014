"""The numpy search path (searchsvc.backends.whoosh.vectors, masks in the whoosh_engine) answers what
the set-based path answered: same full and partial matches, same facet counts, same
top documents in the same order with the same scores, on every index shape.

The reference is the previous implementation: docnum sets from raw postings and set
algebra (``_reference_docset`` below, the whoosh_engine's former ``docset``),
``matching.split``, ``facets.facet_counts`` over ``filters_for`` and
``scoring.Scorer.top`` over dicts."""

from __future__ import annotations

import re

import numpy as np
import pytest
from whoosh import query as wq

from searchsvc.search import matching
from searchsvc.search import query as qmod
from searchsvc.search.budget import Budget
from searchsvc.backends.whoosh.facets import facet_counts, intersect
from searchsvc.search.params import parse_params
from searchsvc.search.ranking import coord_table
from searchsvc.backends.whoosh.scoring import EXACT_FIELD, Scorer, phrase_docs, read_postings
from searchsvc.backends.whoosh.vectors import ArrayCache, best_of, by_date


def _reference_docset(s, q):
    if isinstance(q, wq.Term):
        return frozenset(read_postings(s.reader(), q.fieldname, q.text)[0])
    if isinstance(q, wq.Or):
        parts = [_reference_docset(s, sub) for sub in q.subqueries
                 if not (isinstance(sub, wq.Term) and sub.fieldname == EXACT_FIELD)]
        return frozenset().union(*parts) if parts else frozenset()
    if isinstance(q, wq.And):
        parts = sorted((_reference_docset(s, sub) for sub in q.subqueries), key=len)
        return frozenset(parts[0]).intersection(*parts[1:]) if parts else frozenset()
    if isinstance(q, wq.AndNot):
        return _reference_docset(s, q.a) - _reference_docset(s, q.b)
    if isinstance(q, wq.ConstantScoreQuery):
        return _reference_docset(s, q.child)
    if isinstance(q, wq.Phrase) and len(q.words) > 1:
        sets = [_reference_docset(s, wq.Term(q.fieldname, w)) for w in q.words]
        return frozenset(phrase_docs(s.reader(), q.fieldname, list(q.words), q.slop,
                                     sets[0].intersection(*sets[1:])))
    return frozenset(s.docs_for_query(q))


def _queries(whoosh_engine) -> list[dict]:
    """A battery drawn from the corpus' own titles: words, pairs, 3-4 words, long
    queries, phrases, prefixes, OR, exclusions, accents, fields, filters, sorts."""
    def titles(gen, s):
        return [s.stored_fields(d).get("title") or "" for d in range(s.doc_count_all())
                if not s.reader().is_deleted(d)]

    words = []
    for t in whoosh_engine._run(lambda gen, s: titles(gen, s)):
        words += [w for w in re.findall(r"[^\W\d_]{3,}", t) if w not in words]
    assert len(words) >= 12
    qs = [{"q": w} for w in words[:20]]
    qs += [{"q": " ".join(words[i:i + k])} for k in (2, 3, 4) for i in range(0, 12, 3)]
    qs += [{"q": " ".join(words[i:i + 9])} for i in (0, 4)]
    qs += [{"q": f'"{words[i]} {words[i + 1]}"'} for i in range(0, 8, 2)]
    qs += [{"q": w[:3] + "*"} for w in words[:8]]
    qs += [{"q": f"{words[0]} OR {words[5]}"}, {"q": f"{words[1]} -{words[2]}"},
           {"q": "Téhéran munitions"}, {"q": "Coree du Nord"}, {"q": "côte"}, {"q": "title:munitions"},
           {"q": "munitions source:bbc"}, {"q": "drones OR munitions"}, {"q": '"Corée du Nord" -Iran'},
           {"q": "combien de munitions"}, {"q": "50 000"}]
    extra = []
    for p in qs[:12]:
        extra += [{**p, "sort": "newest"}, {**p, "sort": "oldest"}, {**p, "year": "2022"},
                  {**p, "date_from": "2022-01", "date_to": "2023-06-30"}, {**p, "lang": "fr"}]
    extra += [{"q": "", "year": "2022"}, {"q": "", "lang": "fr", "sort": "oldest"}, {"q": ""}]
    return qs + extra


def test_numpy_path_equals_set_path(whoosh_engine):
    checked = 0

    def compare(gen, s, p):
        params = parse_params(p)
        budget = Budget(600)
        sel = whoosh_engine._select(gen, s, params, budget)
        built = sel.built
        data = gen.facets
        reference = Scorer(s.reader())  # the bonuses through Whoosh's matchers, not the arrays
        # matching: masks against set algebra
        if built.query is not None and built.query is not wq.NullQuery:
            need = matching.required(len(built.units))
            full, partial = matching.split([_reference_docset(s, u) for u in built.units], need)
            if not built.units:
                full = set(data.live)
            for f in built.filters:
                full, partial = full & _reference_docset(s, f), partial & _reference_docset(s, f)
            if built.negative is not None:
                excluded = _reference_docset(s, built.negative)
                full, partial = full - excluded, partial - excluded
            full, partial = full & data.live, partial & data.live
        else:
            full = data.live if built.query is None else frozenset()
            partial = frozenset()
        filters = data.filters_for(params)
        results = intersect(full, filters.values())
        partial_results = intersect(partial, filters.values())
        assert set(np.flatnonzero(sel.results).tolist()) == results, p
        assert set(np.flatnonzero(sel.partial_results).tolist()) == partial_results, p
        # facets
        from searchsvc.backends.whoosh.facets import mask_counts

        shown, shown_mask = (full, sel.full) if results or not partial_results else (partial, sel.partial)
        assert mask_counts(data, shown_mask, sel.filters) == facet_counts(data, shown, filters), p
        # ranking: the vectorised top-k against the dict scorer
        for pool, mask in ((results, sel.results), (partial_results, sel.partial_results)):
            if not pool:
                continue
            k = len(pool)
            got = whoosh_engine._ranked(gen, s, built, params, mask, k, Budget(600))
            units = built.units + built.scored_filters
            if built.listing or params.sort != "relevance" or not units:
                want = data.by_date(pool, k, oldest=params.sort == "oldest")
                assert [d for _, d in got] == want, p
                continue
            if all(isinstance(u, wq.ConstantScoreQuery) for u in units):
                assert [d for _, d in got] == data.by_date(pool, k), p
                continue
            table = coord_table(len(units)) if whoosh_engine.strategy == "coord" and len(units) > 1 else None
            want = reference.top(s.reader(), units, lambda q: _reference_docset(s, q), pool, k,
                                 data.datekey, table)
            assert [d for _, d in got] == [d for _, d in want], p
            assert [sc for sc, _ in got] == pytest.approx([sc for sc, _ in want], rel=1e-12), p
        return 1

    for p in _queries(whoosh_engine):
        checked += whoosh_engine._run(lambda gen, s: compare(gen, s, p))
    assert checked > 60


def test_best_of_and_by_date_are_heap_selections():
    rng = np.random.default_rng(7)
    import heapq

    for n in (1, 5, 60, 500):
        ids = np.sort(rng.choice(1000, size=n, replace=False))
        score = rng.integers(0, 4, size=1000).astype(float)  # many ties
        datekey = rng.choice([0, 20220101, 20230505, 20240101], size=1000).astype(np.int32)
        for k in (1, 3, 10, 50):
            want = heapq.nlargest(k, ids.tolist(), key=lambda d: (score[d], datekey[d], -d))
            assert best_of(ids, score, datekey, k) == want
            assert by_date(ids, datekey, k) == heapq.nlargest(k, ids.tolist(), key=lambda d: (datekey[d], -d))
            assert by_date(ids, datekey, k, oldest=True) == heapq.nsmallest(
                k, ids.tolist(), key=lambda d: (datekey[d] or 99999999, d))


def test_array_cache_stays_within_its_bytes():
    cache = ArrayCache(max_bytes=10_000)
    for i in range(50):
        cache.put(i, np.zeros(100, dtype=np.float64))  # 800 bytes each
        assert cache.stats()["bytes"] <= 10_000
    assert cache.get(49) is not None and cache.get(0) is None
    cache.put("big", np.zeros(10_000))  # larger than a quarter of the cache: not kept
    assert cache.get("big") is None


def test_cached_positions_are_the_blocks_positions(whoosh_engine):
    """The positions kept with a term's cached postings (one walk, decoded per asked
    document) are those read block by block from Whoosh."""
    from searchsvc.backends.whoosh.scoring import read_positions

    def check(gen, s):
        reader = s.reader()
        every = list(range(reader.doc_count_all()))
        terms = [t.decode() if isinstance(t, bytes) else t for t in reader.lexicon("body")][:400]
        assert len(terms) > 50
        live = [d for d in every if not reader.is_deleted(d)]
        for text in terms:  # live documents (Whoosh's filter skips some deleted ones)
            want = read_positions(reader, "body", text, set(live))
            assert gen.vectors.positions(reader, "body", text, live) == want, text
            some = live[::3]
            assert gen.vectors.positions(reader, "body", text, some) == {d: p for d, p in want.items()
                                                                          if d in set(some)}
        # a field without positions, an absent term
        assert gen.vectors.positions(reader, "source", "x", every) == {}
        assert gen.vectors.positions(reader, "body", "zzzzabsent", every) == {}
        return len(terms)

    assert whoosh_engine._run(check) > 50


def test_weights_read_by_skipping_blocks_are_the_postings_weights(whoosh_engine):
    """The exact-form bonus reads a term's weights for a few candidates by decoding
    only their blocks: the same weights as the whole postings, for any candidates."""
    from searchsvc.backends.whoosh.scoring import read_postings
    from searchsvc.backends.whoosh.vectors import read_weights

    def check(gen, s):
        reader = s.reader()
        n = reader.doc_count_all()
        terms = [t.decode() if isinstance(t, bytes) else t for t in reader.lexicon("spell")][:300]
        rng = np.random.default_rng(5)
        for text in terms:
            ids, ws = read_postings(reader, "spell", text)
            every = dict(zip(ids, ws))
            for wanted in (list(range(n)), sorted(set(rng.integers(0, n, size=7).tolist())), ids[:1], []):
                want = {d: every[d] for d in wanted if d in every and not reader.is_deleted(d)}
                for got in (read_weights(reader, "spell", text, wanted),
                            gen.vectors.weights_for(reader, "spell", text, wanted)):
                    # live documents (Whoosh's filter of deletions skips some deleted ones)
                    assert {d: w for d, w in got.items() if not reader.is_deleted(d)} == want
        return len(terms)

    assert whoosh_engine._run(check) > 50


def test_exact_form_terms_are_read_by_skipping_once_then_cached(whoosh_engine):
    def check(gen, s):
        reader = s.reader()
        text = next(t.decode() if isinstance(t, bytes) else t for t in reader.lexicon("spell"))
        v = gen.vectors
        v.cache = type(v.cache)(v.cache.max_bytes)  # a fresh cache: nothing read yet
        v._skipped.clear()
        first = v.weights_for(reader, "spell", text, [0, 1, 2])
        assert v.cache.get(("p", "spell", text)) is None  # skipped blocks, nothing cached
        assert v.weights_for(reader, "spell", text, [0, 1, 2]) == first
        assert v.cache.get(("p", "spell", text)) is not None  # back again: read whole, cached
        assert v.weights_for(reader, "spell", text, [0, 1, 2]) == first
        return True

    assert whoosh_engine._run(check)


def test_postings_read_from_the_mapped_files_are_whooshs(whoosh_engine, monkeypatch):
    """searchsvc.backends.whoosh.w3read reads each segment's postings from its mapped files: the
    same docnums, weights, positions and skipped-block weights as Whoosh's matcher
    (the fallback of any segment it cannot read), deleted documents included, for
    every field kind (positions, frequencies, presence only, inlined postings)."""
    from searchsvc.backends.whoosh import vectors, w3read

    direct = w3read.segment

    def read_all(reader, fieldname, text, wanted):
        entry = vectors.read_entry(reader, fieldname, text, fieldname == "body")
        return entry, vectors.read_weights(reader, fieldname, text, wanted)

    def check(gen, s):
        reader = s.reader()
        segs = [direct(leaf) for leaf, _ in reader.leaf_readers()]
        assert segs and all(seg is not None for seg in segs)  # the index's segments are read directly
        n = reader.doc_count_all()
        rng = np.random.default_rng(11)
        wanted = sorted(set(rng.integers(0, n, size=max(n // 4, 1)).tolist()))
        checked = 0
        for fieldname in ("body", "title", "spell", "forms", "source"):
            terms = [t.decode() if isinstance(t, bytes) else t for t in reader.lexicon(fieldname)]
            for text in terms[:150] + terms[-50:] + ["zzzzabsent"]:
                monkeypatch.setattr(w3read, "segment", direct)
                (ids, ws, blob, offsets), weights = read_all(reader, fieldname, text, wanted)
                monkeypatch.setattr(w3read, "segment", lambda leaf: None)
                (ids2, ws2, blob2, offsets2), weights2 = read_all(reader, fieldname, text, wanted)
                assert ids.dtype == ids2.dtype and ids.tolist() == ids2.tolist(), (fieldname, text)
                assert ws.tolist() == ws2.tolist() and weights == weights2, (fieldname, text)
                assert blob == blob2 and (offsets is None) == (offsets2 is None), (fieldname, text)
                if offsets is not None:
                    assert offsets.tolist() == offsets2.tolist()
                checked += len(ids) > 0
        return checked

    assert whoosh_engine._run(check) > 100


def test_direct_reader_gives_way_to_whoosh_for_other_files():
    """A segment reader whose term index is not a mapped Whoosh 3 one is not read
    directly (None: Whoosh's matcher reads it)."""
    from searchsvc.backends.whoosh import w3read

    class Leaf:
        _terms = object()

    assert w3read.segment(Leaf()) is None
    assert w3read.segment(object()) is None
