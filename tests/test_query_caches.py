"""Per-generation query caches (prefix expansions, accent families, spelling verdicts):
bounded, and what they remember is what the uncached call computes."""

from __future__ import annotations

import threading

from searchsvc.search import accents
from searchsvc.search import query as qmod
from searchsvc.search.memo import remember
from searchsvc.search.suggest import suggest


def test_remember_keeps_at_most_size_entries_dropping_the_oldest():
    cache: dict = {}
    for i in range(10):
        assert remember(cache, i, str(i), 4) == str(i)
        assert len(cache) <= 4
    assert list(cache) == [6, 7, 8, 9]


def test_remember_survives_concurrent_writers():
    cache: dict = {}
    errors = []

    def writer(k):
        try:
            for i in range(20_000):
                remember(cache, (k, i), i, 64)
        except Exception as exc:  # pragma: no cover - the failure being tested
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(cache) <= 64 + 4


def test_spelling_verdicts_are_remembered_and_equal_the_uncached_ones(whoosh_engine):
    def check(gen, s):
        reader, schema = s.reader(), gen.schema
        out = []
        for q in ("munitons Corée", "Coree du Nrod", "armée", "zzzxqw"):
            pq = qmod.parse(q, None)
            cache: dict = {}
            want = suggest(reader, schema, q, pq.words)
            assert suggest(reader, schema, q, pq.words, cache) == want
            assert cache and all(k[0] == "spelling" for k in cache)
            # the second call reads the cache: a planted verdict shows through
            for k in cache:
                cache[k] = "planté"
            got = suggest(reader, schema, q, pq.words, cache)
            out.append((want, got))
        return out

    results = whoosh_engine._run(check)
    assert any(want is not None for want, _ in results)
    assert all(got is not None and "lanté" in got for _, got in results)


def test_accent_families_are_remembered_and_equal_the_uncached_ones(whoosh_engine):
    def check(gen, s):
        reader = s.reader()
        seen = 0
        for word in ("Corée", "armée", "Moïse", "élections"):
            for term, form in accents.accented_words(word):
                cache: dict = {}
                want = accents.family_forms(reader, term, form)
                assert accents.family_forms(reader, term, form, cache) == want
                assert cache[("accent forms", term, form)] == want
                cache[("accent forms", term, form)] = (["planté"], [], [])
                assert accents.family_forms(reader, term, form, cache) == (["planté"], [], [])
                seen += 1
        return seen

    assert whoosh_engine._run(check) >= 3
