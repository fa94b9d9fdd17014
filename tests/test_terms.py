"""Characteristic words (searchsvc.analytics.terms), checked against the articles themselves."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from analytics_corpus import ARTICLES, COPY_IDS, engine_over, has_topic
from searchsvc.analysis import spelling_analyzer
from searchsvc.analytics import terms as tm
from searchsvc.search import QueryError
from searchsvc.backends.whoosh import SearchEngine


@pytest.fixture(scope="module")
def eng(tmp_path_factory):
    e = engine_over(tmp_path_factory.mktemp("terms"))
    yield e
    e.close()


@pytest.fixture(scope="module")
def shaped_eng(store_index):
    e = store_index("terms", ARTICLES).engine()
    yield e
    e.close()


def run(eng, **kw):
    return eng.terms(tm.parse_terms_args(kw))


def words_of(a) -> set[str]:
    return {t.text for t in spelling_analyzer()(f"{a.title}\n{a.text}")}


def story_counts(articles) -> Counter:
    """Documents per word, the copy group counted once (its first member)."""
    seen_copy = False
    c: Counter = Counter()
    for a in articles:
        if a.id in COPY_IDS:
            if seen_copy:
                continue
            seen_copy = True
        c.update(words_of(a))
    return c


def by_term(entries) -> dict:
    return {e["term"].lower(): e for e in entries}


def test_top_words_are_counted_over_the_stories_of_the_matches(eng):
    r = run(eng, q="zeppelin", limit="100")
    matched = [a for a in ARTICLES if has_topic(a)]
    expected = story_counts(matched)
    assert r["total"] == len(matched) and r["total_stories"] == len(matched) - 2
    assert r["top"]
    for e in r["top"]:
        assert e["count"] == expected[e["term"].lower()], e
    counts = [e["count"] for e in r["top"]]
    assert counts == sorted(counts, reverse=True)
    # no frequent word is missing (other than stop words and the query's own)
    listed = by_term(r["top"])
    floor = counts[-1] if len(r["top"]) == 100 else tm.MIN_COUNT
    for word, n in expected.items():
        if n > floor and word not in listed:
            assert tm._excluded(word) or word.isdigit() or word.startswith("zeppelin"), word


def test_query_words_and_stop_words_are_left_out(eng):
    r = run(eng, q="zeppelin", limit="100")
    words = {e["term"].lower() for e in r["top"] + r["significant"]}
    assert not {"zeppelin", "zeppelins"} & words  # the query's word, and its plural (same stem)
    assert not {"les", "de", "la", "un", "selon"} & words
    assert all(any(ch.isalpha() for ch in w) for w in words)


def test_significant_words_set_the_matches_apart(eng):
    r = run(eng, q="zeppelin", limit="10")
    sig = [e["term"] for e in r["significant"]]
    # the words planted beside the topic rank first; the filler words do not
    assert {"dirigeable", "Hindenburg", "ONERA"} <= set(sig[:5])
    scores = [e["score"] for e in r["significant"]]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    for e in r["significant"]:
        assert e["index_count"] >= e["count"]


def test_words_in_their_usual_written_form(eng):
    r = run(eng, q="zeppelin", limit="100")
    forms = {e["term"] for e in r["top"]}
    assert "Hindenburg" in forms and "ONERA" in forms and "dirigeable" in forms
    assert "aérostat" in {e["term"] for e in run(eng, q="passe", limit="100")["top"]}


def test_copies_count_once(eng):
    r = run(eng, q="gondolier", limit="100")
    assert r["total"] == 3 and r["total_stories"] == 1
    assert all(e["count"] == 1 for e in r["top"]) or not r["top"]
    r = run(eng, q="port", limit="100")
    expected = story_counts([a for a in ARTICLES if "port" in words_of(a)])
    for e in r["top"]:
        assert e["count"] == expected[e["term"].lower()]


def test_sources_of_the_set(eng):
    r = run(eng, q="zeppelin")
    expected = Counter(a.source for a in ARTICLES if has_topic(a))
    ranked = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:tm.SOURCES_SHOWN]
    assert [(s["value"], s["count"]) for s in r["sources"]] == ranked


def test_filters_apply(eng):
    r = run(eng, q="zeppelin", source="Source 2", limit="100")
    matched = [a for a in ARTICLES if has_topic(a) and a.source == "Source 2"]
    assert r["total"] == len(matched)
    assert [s["value"] for s in r["sources"]] == ["Source 2"]


def test_every_index_shape_gives_the_same_counts(eng, shaped_eng):
    a = run(eng, q="zeppelin", limit="100", copies="all")
    b = run(shaped_eng, q="zeppelin", limit="100", copies="all")
    # the shaped indexes have no copy groups (raw writers): compare words outside the copies
    copy_words = set().union(*(words_of(x) for x in ARTICLES if x.id in COPY_IDS))
    ta = {e["term"]: e["count"] for e in a["top"] if e["term"].lower() not in copy_words}
    tb = {e["term"]: e["count"] for e in b["top"] if e["term"].lower() not in copy_words}
    assert ta == tb and ta


def test_all_of_the_index_has_no_significant_words(eng):
    r = run(eng)
    assert r["total"] == len(ARTICLES) and r["significant"] == [] and r["notes"]


def test_limit_and_bad_parameters():
    assert tm.parse_terms_args({"q": "x", "limit": "7"}).limit == 7
    for bad in ("0", "101", "abc", "-1", "１"):
        with pytest.raises(QueryError) as e:
            tm.parse_terms_args({"q": "x", "limit": bad})
        assert e.value.field == "limit"


def test_log_likelihood_is_signed_and_zero_for_equal_rates():
    g = tm.log_likelihood(np.array([30, 5, 1]), 100, np.array([100, 50, 200]), 1000)
    assert g[1] == pytest.approx(0.0, abs=1e-9)
    assert g[0] > 0 > g[2]


def test_a_large_set_is_sampled_and_says_so(eng, monkeypatch):
    monkeypatch.setattr(tm, "SAMPLE_MAX", 10)
    r = run(eng)
    assert r["sample"] == 10 and any("Mots comptés sur 10 histoires" in n for n in r["notes"])
    assert all(e["count"] <= 10 for e in r["top"])


def test_index_counts_are_each_words_documents_on_every_store(shaped_eng, search_store):
    """``index_count``: the articles holding the word in the whole index, on every backend
    (OpenSearch reads it from the shards' term dictionaries, one request for every word).
    As term statistics, they still count a deleted document until its segment merges
    (the Whoosh shapes with deletions)."""
    r = run(shaped_eng, q="zeppelin", limit="100", copies="all")
    docs = Counter(w.lower() for a in ARTICLES for w in {t.lower() for t in words_of(a)})
    entries = r["significant"]
    assert entries
    deletions = search_store in ("segments-deletions", "incremental-runs")
    for e in entries:
        if deletions:
            assert e["index_count"] >= docs[e["term"].lower()], e
        else:
            assert e["index_count"] == docs[e["term"].lower()], e
    if getattr(shaped_eng, "alias", None):  # OpenSearch
        from searchsvc.backends.opensearch.trace import recording

        with recording(shaped_eng.client) as trips:
            run(shaped_eng, q="zeppelin", limit="100", copies="all")
        assert [t.kind for t in trips].count("post _mtermvectors") == 1
        assert not [t for t in trips if t.kind == "search"]
