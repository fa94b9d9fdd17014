"""The engine under change: new generations, incremental commits, threads, fuzzing, CLI."""

from __future__ import annotations

import json
import shutil
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchsvc.article import Article
from searchsvc.cli import main as cli_main
from searchsvc.backends.whoosh.indexer import build_index_from_articles, reindex
from searchsvc.search import QueryError, SearchParams, parse_params
from searchsvc.backends.whoosh import SearchEngine


def _art(i, word="alpha"):
    return Article(id=f"doc-{i}", text=f"Paragraphe {i} sur le sujet {word}.", title=f"Titre {i}",
                   source="Source A" if i % 2 else "Source B", date=f"2022-0{1 + i % 9}-1{i % 10}", lang="fr")


def wait_for(fn, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if fn():
            return True
        time.sleep(0.1)
    return fn()


def test_new_generation_is_served_within_seconds_while_threads_search(tmp_path):
    index = tmp_path / "index"
    build_index_from_articles(index, [_art(i) for i in range(20)])
    engine = SearchEngine(index)
    first = engine.info()["generation"]
    errors, stop = [], threading.Event()

    def hammer():
        while not stop.is_set():
            try:
                r = engine.search(parse_params({"q": "sujet alpha OR beta", "source": "Source A"}))
                assert r["total"] >= 10
                engine.document("doc-1", q="alpha")
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        build_index_from_articles(index, [_art(i) for i in range(20)] + [_art(99, "beta")])
        assert wait_for(lambda: engine.info()["generation"] != first, timeout=4.0)
        r = engine.search(parse_params({"q": "beta"}))
        assert [x["id"] for x in r["results"]] == ["doc-99"]
        # the old generation's searchers are closed once no request holds them
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
        engine.close()
    assert errors == []


def _indexed_copy(source, tmp_path):
    """(corpus, index): a copy of the ``source`` corpus and its full index, one worker."""
    corpus = tmp_path / "corpus"
    shutil.copytree(source, corpus)
    index = tmp_path / "index"
    reindex(corpus, index, full=True, workers=1)
    return corpus, index


def test_incremental_commit_in_the_same_generation_is_picked_up(tmp_path, seed_corpus):
    corpus, index = _indexed_copy(seed_corpus, tmp_path)
    engine = SearchEngine(index)
    try:
        gen = engine.info()["generation"]
        assert engine.search(parse_params({"q": "zorglub"}))["total"] == 0
        (corpus / "nouveau.txt").write_text(
            "Un article tout neuf\n\nLe zorglub est un mot que personne n'écrit jamais.\n", encoding="utf-8")
        reindex(corpus, index, workers=1)
        assert wait_for(lambda: engine.search(parse_params({"q": "zorglub"}))["total"] == 1, 4.0)
        assert engine.info()["generation"] == gen
        assert engine.info()["documents"] == 6
    finally:
        engine.close()


@pytest.fixture(scope="module")
def small_engine(shaped_index):
    index = shaped_index("fuzz", [_art(i, w) for i, w in enumerate(["munitions", "Corée", "obus"] * 4)])
    e = SearchEngine(index)
    yield e
    e.close()


query_text = st.lists(
    st.one_of(
        st.sampled_from(['"', "(", ")", "-", "+", "*", ":", "?", "~", "^", "[", "]", "{", "}", "\\", "/",
                         " ", " OR ", " AND ", " NOT ", "title:", "source:", " -", "munit", "Corée", "obus"]),
        st.text(max_size=8),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=query_text, page=st.integers(1, 5), sort=st.sampled_from(["relevance", "newest", "oldest"]))
def test_fuzzed_queries_never_raise(small_engine, q, page, sort):
    r = small_engine.search(parse_params({"q": q, "page": str(page), "sort": sort}))
    assert isinstance(r["total"], int)
    json.dumps(r)
    for item in r["results"]:
        assert "<" not in item["snippet"].replace("<mark>", "").replace("</mark>", "")


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["q", "source", "lang", "date_from", "date_to", "year", "sort", "page", "per_page"]),
    st.one_of(st.text(max_size=30), st.lists(st.text(max_size=10), max_size=3)),
))
def test_parse_params_raises_only_query_error(raw):
    try:
        p = parse_params(raw)
    except QueryError as exc:
        assert exc.message and exc.field in raw
    else:
        assert isinstance(p, SearchParams)
        assert 1 <= p.page and 1 <= p.per_page <= 100


# -- command line -------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_index(shaped_index):
    arts = [_art(i, "munitions") for i in range(3)]
    arts.append(Article(id="x", text="Des <b>munitions</b> livrées en Corée.", title="Coup <script>",
                        source="Source A", date="2023-01-01", lang="fr"))
    return shaped_index("cli", arts)


def test_cli_search_listing_and_json(cli_index, capsys):
    assert cli_main(["search", "munitions", "Corée", "--index", str(cli_index)]) == 0
    out = capsys.readouterr().out
    # one article has both words; the three others only "munitions", below a separator
    assert "« munitions Corée » : 1 résultat, et 3 avec une partie des mots" in out
    assert out.index("Coup <script>") < out.index("— Articles contenant une partie des mots (3) —")
    assert "Coup <script>" in out  # terminal text, no HTML entities
    assert "[munitions]" in out and "<mark>" not in out and "&lt;" not in out
    assert "1er janvier 2023" in out
    assert "Sources : Source A (1)\n" in out  # facets count the articles of the total
    assert cli_main(["search", "munitions", "--index", str(cli_index)]) == 0
    assert "Sources : Source A (2), Source B (2)" in capsys.readouterr().out  # ties by value
    assert cli_main(["search", "munitions", "--index", str(cli_index), "--json", "--source", "Source B",
                     "--per-page", "1"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["total"] == 2 and r["per_page"] == 1 and r["results"][0]["source"] == "Source B"
    assert len(r["results"]) == 1
    assert {e["value"] for e in r["facets"]["source"]} == {"Source A", "Source B"}


def test_cli_errors(cli_index, tmp_path, capsys):
    assert cli_main(["search", "x", "--index", str(cli_index), "--page", "0"]) == 2
    assert "page" in capsys.readouterr().err
    assert cli_main(["search", "x", "--index", str(tmp_path / "none")]) == 1
    assert "searchsvc reindex" in capsys.readouterr().err
    assert cli_main(["similar", "nope", "--index", str(cli_index)]) == 1
    assert "inconnu" in capsys.readouterr().err


def test_cli_similar(cli_index, capsys):
    assert cli_main(["similar", "doc-1", "--index", str(cli_index), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["id"] == "doc-1" and r["results"]
    assert "doc-1" not in [x["id"] for x in r["results"]]
    assert cli_main(["similar", "doc-1", "--index", str(cli_index)]) == 0
    assert "Articles semblables à « Titre 1 »" in capsys.readouterr().out


def test_a_new_generation_is_warmed_with_the_latest_searches(tmp_path, fixture_corpus):
    """Before a new generation is served, the latest searches run on it (Solr's
    autowarming): the first requests after a reindex find their postings read."""
    corpus, index = _indexed_copy(fixture_corpus, tmp_path)
    engine = SearchEngine(index)
    try:
        engine.search(parse_params({"q": "munitions"}))
        engine.search(parse_params({"q": "Corée du Nord"}))
        old = engine._current()
        reindex(corpus, index, full=True, workers=1)
        new = engine._current(force=True)
        assert new is not old
        cached = {k[2] for k in new.vectors.cache._items if k[0] == "p" and k[1] == "body"}
        assert {"munit", "nord"} <= cached, cached
        assert engine.search(parse_params({"q": "munitions"}))["total"] > 0
    finally:
        engine.close()
