"""searchsvc.search on real indexes: a small corpus of our own (tests/fixtures/search/)
and the shared fixture corpus (seed articles + corpus_extra)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from searchsvc.article import Article
from searchsvc.backends.whoosh.indexer import build_index_from_articles
from searchsvc.search import QueryError, SearchParams, parse_params
from searchsvc.backends.whoosh import SearchEngine

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "search"


def load_articles() -> list[dict]:
    with open(FIXTURES / "articles.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module")
def articles() -> list[dict]:
    return load_articles()


@pytest.fixture(scope="module")
def store(store_index, articles):
    """The articles, indexed in each index shape of conftest.py and in OpenSearch."""
    return store_index("search", [Article(**a) for a in articles])


@pytest.fixture(scope="module")
def engine(store):
    e = store.engine()
    yield e
    e.close()


def search(engine, **kw):
    return engine.search(parse_params({k: v for k, v in kw.items()}))


def ids(result) -> list[str]:
    return [r["id"] for r in result["results"]]


def all_ids(engine, **kw) -> list[str]:
    return ids(search(engine, per_page="100", **kw))


# -- result object ---------------------------------------------------------------


def test_result_object_shape_and_json(engine):
    r = search(engine, q="obus")
    assert set(r) == {"query", "total", "total_stories", "total_partial", "page", "per_page",
                      "took_ms", "results", "facets", "facets_count", "copies", "suggestion", "notes"}
    assert r["query"] == "obus" and r["page"] == 1 and r["per_page"] == 10
    assert isinstance(r["took_ms"], float)
    assert set(r["facets"]) == {"source", "year", "month", "lang", "person", "org", "place"}
    for item in r["results"]:
        assert set(item) == {"id", "title", "title_html", "source", "date", "url", "lang", "author", "score",
                             "snippet", "partial", "group", "copies"}
    json.dumps(r)  # serialisable as is
    assert r["total"] + r["total_partial"] == len(r["results"]) > 0


def test_info(engine, articles):
    info = engine.info()
    assert info["documents"] == len(articles)
    # Whoosh: the generation folder; OpenSearch: the concrete index behind the alias
    assert re.fullmatch(r"(.+-)?gen-\d+", info["generation"])


# -- ranking and query syntax -----------------------------------------------------


def test_all_words_rank_first_and_most_words_still_come_back(engine, articles):
    r = search(engine, q="obus artillerie Donetsk")
    got = ids(r)
    assert got[0] == "rang-tous"  # the only article with all three words
    # "rang-deux" repeats obus/artillerie many times but lacks Donetsk: below, still there
    assert got.index("rang-deux") > 0
    assert "rang-un" in got  # one word of three is enough to come back
    scores = [x["score"] for x in r["results"]]
    assert scores == sorted(scores, reverse=True)


def test_title_is_boosted(engine):
    got = ids(search(engine, q="vendanges"))
    assert got[:2] == ["titre-fort", "titre-faible"]


def test_phrase_exclusion_or_prefix_and_fields(engine, articles):
    assert set(all_ids(engine, q='"Kim Jong Un"')) == {"kim"}
    assert set(all_ids(engine, q='"Un Jong Kim"')) == set()
    with_coree = set(all_ids(engine, q="Corée"))
    assert {"iran", "coree"} <= with_coree
    assert set(all_ids(engine, q="Corée -Iran")) == with_coree - {"iran"}
    # only exclusions: every document but those
    everything = {a["id"] for a in articles}
    assert set(all_ids(engine, q="-Iran -Corée")) == everything - with_coree - set(all_ids(engine, q="Iran"))
    assert set(all_ids(engine, q='Corée -"Corée du Sud"')) == with_coree - {"coree"}
    assert set(all_ids(engine, q="Raqqa OR Donetsk")) == {"daech", "rang-tous", "rang-un"}
    assert set(all_ids(engine, q="munit*")) == {"iran", "munition"}
    # title: only titles; source: only sources
    assert set(all_ids(engine, q="title:Kremlin")) == {"poutine-fr"}
    assert set(all_ids(engine, q="title:Poutine")) == set()
    monde = {a["id"] for a in articles if a["source"] == "Le Monde"}
    assert set(all_ids(engine, q='source:"Le Monde"')) == monde


def test_prefix_of_a_full_word_finds_it(engine):
    # the index holds stems ("munit"): a prefix typed as a whole word must still match
    assert set(all_ids(engine, q="munitions*")) == set(all_ids(engine, q="munit*")) == {"iran", "munition"}
    assert set(all_ids(engine, q="Munitions*")) == {"iran", "munition"}
    assert "iran" in all_ids(engine, q="title:Pyongyang*")
    # longer than the stem and not a word itself: "mobilisation" is indexed as "mobilis"
    assert set(all_ids(engine, q="mobilisatio*")) == {"poutine-fr"}
    assert set(all_ids(engine, q="fédératio*")) == {"munition"}
    # accents or none, as for plain words
    assert set(all_ids(engine, q="rôdeuse*")) == set(all_ids(engine, q="rodeuse*")) == {"munition"}
    assert set(all_ids(engine, q="-munitions*")).isdisjoint({"iran", "munition"})
    s = {x["id"]: x["snippet"] for x in search(engine, q="munitions*")["results"]}
    assert "<mark>munitions</mark>" in s["iran"] and "<mark>munition</mark>" in s["munition"]
    s = {x["id"]: x["snippet"] for x in search(engine, q="mobilisatio*")["results"]}
    assert "<mark>mobilisation</mark>" in s["poutine-fr"]


def test_prefix_expansion_is_bounded(tmp_path):
    from searchsvc.search.query import MAX_PREFIX_TERMS, prefix_terms

    letters = "bcdfghjklmnpqrstvwxz"
    words = [f"zorglub{a}{b}ations" for a in letters for b in letters[:4]]  # 80 words
    arts = [Article(id=f"d{i}", text=f"Le mot {w}.") for i, w in enumerate(words)]
    arts.append(Article(id="often", text=f"Encore {words[0]}, {words[0]}."))
    arts.append(Article(id="again", text=f"Et {words[0]} aussi."))
    build_index_from_articles(tmp_path / "index", arts)
    e = SearchEngine(tmp_path / "index")
    try:
        ix = e._current().ix
        with ix.searcher() as s:
            for field in ("body", "title"):
                terms = prefix_terms(ix.schema, s.reader(), field, "zorglub")
                assert len(terms) <= MAX_PREFIX_TERMS
        r = e.search(parse_params({"q": "zorglub*", "per_page": "100"}))
        assert 0 < r["total"] <= MAX_PREFIX_TERMS + 2
        assert {"often", "again", "d0"} <= set(ids(r))  # the most frequent word is kept
    finally:
        e.close()


def test_analysis_applies_to_queries(engine):
    # accents, elision, stemming and hyphenated names follow the index's analysis
    assert "coree" in all_ids(engine, q="Coree")
    assert "coree" in all_ids(engine, q="manoeuvres")
    assert "munition" in all_ids(engine, q="munitions")
    assert "kim" in all_ids(engine, q="nord coréen")


@pytest.mark.parametrize(
    "q",
    [
        "date:[last week to now]",
        '"Kim Jong',
        "(Corée AND (Iran",
        "Corée)) OR",
        "-",
        "- - -",
        "OR OR AND NOT",
        "le la les de du",
        "*",
        "a*",
        "title:",
        "title:\"",
        "source:(",
        "\x00\u200b\ud800",
        "obus^3 ~2 {x TO y} [1 TO 2] \\ / :",
        "munit* " * 300,
        "Corée " * 2500,  # 15,000 characters
    ],
)
def test_malformed_queries_never_raise(engine, q):
    r = engine.search(parse_params({"q": q}))
    assert isinstance(r["total"], int) and r["total"] >= 0
    json.dumps(r)


def test_long_query_is_bounded(engine):
    r = engine.search(parse_params({"q": "Donetsk " + "x" * 20000}))
    assert len(r["query"]) <= 1000
    assert "rang-tous" in ids(r)


def test_only_stop_words_is_no_match_not_everything(engine):
    from searchsvc.analysis import french_analyzer

    analyzer = french_analyzer()
    stops = [w for w in "le la les de du des une et".split() if not list(analyzer(w, mode="query"))]
    assert len(stops) >= 4
    assert search(engine, q=" ".join(stops))["total"] == 0


# -- filters, sorts, pagination ---------------------------------------------------


def expected(articles, pred):
    return {a["id"] for a in articles if pred(a)}


def test_date_filters_are_inclusive_at_boundaries(engine, articles):
    def between(lo, hi):
        return expected(articles, lambda a: a["date"] and lo <= a["date"] <= hi)

    got = set(all_ids(engine, date_from="2022"))
    assert got == between("2022-01-01", "9999") and "rang-un" in got and "titre-fort" not in got
    got = set(all_ids(engine, date_to="2022-09"))
    assert got == between("0000", "2022-09-30") and "rang-tous" in got and "rang-deux" not in got
    got = set(all_ids(engine, date_from="2022-09-30", date_to="2022-10-01"))
    assert got == {"rang-tous", "rang-deux"}
    got = set(all_ids(engine, date_from="2021-12-31", date_to="2021-12-31"))
    assert got == {"titre-fort"}
    # undated documents never pass a date filter
    assert "poutine-fr" not in set(all_ids(engine, date_from="1900"))


def test_source_lang_year_filters(engine, articles):
    got = set(all_ids(engine, source=["Le Monde", "Press TV"]))
    assert got == expected(articles, lambda a: a["source"] in ("Le Monde", "Press TV"))
    assert set(all_ids(engine, lang="en")) == expected(articles, lambda a: a["lang"] == "en")
    assert set(all_ids(engine, year="2022")) == expected(articles, lambda a: (a["date"] or "").startswith("2022"))
    # "unknown" selects the documents without that metadata (null in facets)
    assert set(all_ids(engine, source="unknown")) == expected(articles, lambda a: not a["source"])
    assert set(all_ids(engine, q="obus", source="Le Monde")) == {"rang-tous"}


def test_empty_query_lists_newest_first_undated_last(engine, articles):
    r = search(engine, per_page="100")
    assert r["total"] == len(articles)
    dates = [x["date"] for x in r["results"]]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True)
    assert all(d is None for d in dates[len(dated):])
    r = search(engine, year="2022", per_page="100")
    dates = [x["date"] for x in r["results"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == r["total"]


def test_sort_newest_and_oldest(engine):
    newest = [x["date"] for x in search(engine, q="obus OR Corée", sort="newest", per_page="100")["results"]]
    oldest = [x["date"] for x in search(engine, q="obus OR Corée", sort="oldest", per_page="100")["results"]]
    assert [d for d in newest if d] == sorted((d for d in newest if d), reverse=True)
    assert [d for d in oldest if d] == sorted(d for d in oldest if d)
    assert len(newest) == len(oldest) > 3


def test_pagination_partitions_results_and_past_the_end_is_empty(engine, articles):
    everything = all_ids(engine)
    pages = []
    for p in range(1, 6):
        r = search(engine, page=str(p), per_page="4")
        assert r["total"] == len(articles) and r["page"] == p
        pages += ids(r)
    assert pages == everything
    r = search(engine, page="500", per_page="4")
    assert r["results"] == [] and r["total"] == len(articles)
    r = search(engine, q="obus", page="99999", per_page="100")
    assert r["results"] == [] and r["total"] > 0


# -- facets -----------------------------------------------------------------------


def facet(result, name) -> dict:
    return {e["value"]: e["count"] for e in result["facets"][name]}


def test_facets_count_the_whole_result_set(engine, articles):
    r = search(engine, per_page="1")
    want_src = Counter(a["source"] for a in articles)
    assert facet(r, "source") == dict(want_src)
    want_year = Counter((a["date"] or "")[:4] or None for a in articles)
    assert facet(r, "year") == dict(want_year)
    want_month = Counter((a["date"] or "")[:7] or None for a in articles)
    assert facet(r, "month") == dict(want_month)
    assert facet(r, "lang") == dict(Counter(a["lang"] for a in articles))
    # sorted by count, then value; null counted like any value
    src = [(e["count"], e["value"]) for e in r["facets"]["source"]]
    assert [c for c, _ in src] == sorted((c for c, _ in src), reverse=True)
    assert None in facet(r, "source")


def test_facet_ignores_its_own_selection_and_respects_the_others(engine, articles):
    base = search(engine, q="obus OR Corée OR Donetsk OR Poutine")
    picked = search(engine, q="obus OR Corée OR Donetsk OR Poutine", source="Le Monde")
    # the source facet still shows the other sources, with the same counts
    assert facet(picked, "source") == facet(base, "source")
    assert len(facet(picked, "source")) > 1
    # the year facet follows the source selection
    matched = set(all_ids(engine, q="obus OR Corée OR Donetsk OR Poutine"))
    in_monde = [a for a in articles if a["id"] in matched and a["source"] == "Le Monde"]
    assert facet(picked, "year") == dict(Counter((a["date"] or "")[:4] or None for a in in_monde))
    assert picked["total"] == len(in_monde)
    # and a year selection leaves the year facet whole but narrows sources and months
    by_year = search(engine, q="obus OR Corée OR Donetsk OR Poutine", year="2022")
    assert facet(by_year, "year") == facet(base, "year")
    in_2022 = [a for a in articles if a["id"] in matched and (a["date"] or "").startswith("2022")]
    assert facet(by_year, "source") == dict(Counter(a["source"] for a in in_2022))
    assert all(m.startswith("2022") for m in facet(by_year, "month"))


# -- snippets and escaping --------------------------------------------------------


def test_snippet_escapes_everything_but_marks(engine):
    r = search(engine, q="obus guillemets")
    item = next(x for x in r["results"] if x["id"] == "html-injection")
    s = item["snippet"]
    assert "&lt;script&gt;" in s and "<script" not in s and "<img" not in s
    assert "&amp;" in s and "&quot;guillemets&quot;" not in s  # the quotes are escaped, the word is marked
    assert "<mark>obus</mark>" in s
    assert re.sub(r"</?mark>", "", s).count("<") == 0
    assert item["title"] == "<b>Titre</b> piégé"  # raw data; the web layer escapes it


def test_snippet_marks_follow_analysis(engine):
    s = {x["id"]: x["snippet"] for x in search(engine, q="munition Coree")["results"]}
    assert "<mark>munitions</mark>" in s["iran"]
    assert "<mark>Corée</mark>" in s["coree"]
    s = {x["id"]: x["snippet"] for x in search(engine, q='"Kim Jong Un"')["results"]}
    assert "<mark>Kim Jong Un</mark>" in s["kim"]  # a phrase is marked as a whole


def test_snippet_size_and_fragments(built_index):
    e = SearchEngine(built_index)
    try:
        r = e.search(parse_params({"q": "Russie Corée"}))
        for item in r["results"]:
            text = re.sub(r"</?mark>", "", item["snippet"])
            assert 40 <= len(text) <= 480
            assert item["snippet"].count(" … ") <= 2
    finally:
        e.close()


def test_match_beyond_32k_characters_is_found_and_shown(built_index):
    e = SearchEngine(built_index)
    try:
        r = e.search(parse_params({"q": "zinzolin"}))
        assert [x["id"] for x in r["results"]] == ["chronique_longue"]
        assert "<mark>zinzolin</mark>" in r["results"][0]["snippet"]
        doc = e.document("chronique_longue")
        assert doc["text"].lower().index("zinzolin") > 32_000
    finally:
        e.close()


def test_injection_fixture_is_escaped(built_index):
    e = SearchEngine(built_index)
    try:
        r = e.search(parse_params({"q": "alert"}))
        item = next(x for x in r["results"] if x["id"] == "script_injection")
        assert "&lt;script&gt;" in item["snippet"] and "<script" not in item["snippet"]
    finally:
        e.close()


# -- suggestions ------------------------------------------------------------------


def test_suggestions_from_the_index_vocabulary(engine, built_index):
    assert search(engine, q="munitons")["suggestion"] == "munitions"
    assert search(engine, q="Pyongiang")["suggestion"] == "Pyongyang"
    assert search(engine, q="obus Pyongiang")["suggestion"] == "obus Pyongyang"
    # accents kept
    assert search(engine, q="fédérasion")["suggestion"] == "fédération"
    # fine queries: none, including unaccented spellings of indexed words
    for q in ("munitions", "Pyongyang", "Coree", "Corée du Nord", '"Kim Jong Un"', ""):
        assert search(engine, q=q)["suggestion"] is None
    e = SearchEngine(built_index)
    try:
        assert e.search(parse_params({"q": "munitons"}))["suggestion"] == "munitions"
    finally:
        e.close()


# -- synonyms ---------------------------------------------------------------------


def test_default_synonyms(engine):
    assert {"putin-en", "poutine-fr", "kim"} <= set(all_ids(engine, q="Putin"))
    assert {"putin-en", "poutine-fr", "kim"} <= set(all_ids(engine, q="Poutine"))
    assert "onu" in all_ids(engine, q="ONU")
    assert "onu" in all_ids(engine, q="l'ONU")
    s = {x["id"]: x["snippet"] for x in search(engine, q="Putin")["results"]}
    assert "<mark>Poutine</mark>" in s["poutine-fr"]


def test_user_synonyms_file(store, tmp_path, monkeypatch):
    monkeypatch.delenv("SEARCHSVC_SYNONYMS", raising=False)
    monkeypatch.setenv("SEARCHSVC_CORPUS", str(tmp_path / "nothing"))
    plain = store.engine()
    assert "daech" not in [x["id"] for x in plain.search(parse_params({"q": "État islamique"}))["results"]]
    plain.close()
    user = store.engine(synonyms_path=FIXTURES / "synonyms_user.txt")
    assert "daech" in [x["id"] for x in user.search(parse_params({"q": "État islamique"}))["results"]]
    # the user's group merges with the default one
    assert "putin-en" in [x["id"] for x in user.search(parse_params({"q": "Poutin"}))["results"]]
    user.close()
    # corpus/synonyms.txt is picked up when present, and SEARCHSVC_SYNONYMS too
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "synonyms.txt").write_text("Daech, État islamique\n", encoding="utf-8")
    monkeypatch.setenv("SEARCHSVC_CORPUS", str(corpus))
    e = store.engine()
    assert "daech" in [x["id"] for x in e.search(parse_params({"q": "État islamique"}))["results"]]
    e.close()
    monkeypatch.setenv("SEARCHSVC_CORPUS", str(tmp_path / "nothing"))
    monkeypatch.setenv("SEARCHSVC_SYNONYMS", str(FIXTURES / "synonyms_user.txt"))
    e = store.engine()
    assert "daech" in [x["id"] for x in e.search(parse_params({"q": "EI"}))["results"]]
    e.close()


# -- documents and similar articles -----------------------------------------------


def test_document(engine, articles):
    a = next(x for x in articles if x["id"] == "html-injection")
    doc = engine.document("html-injection")
    assert {k: doc[k] for k in ("id", "title", "text", "source", "date", "lang")} == {
        k: a[k] for k in ("id", "title", "text", "source", "date", "lang")
    }
    assert "path" not in doc and "highlighted" not in doc
    doc = engine.document("iran", q="munition Corée")
    assert doc["highlighted"] == [
        "La <mark>Corée</mark> du Nord et l&#x27;Iran renforcent leurs liens ; Pyongyang livre des <mark>munitions</mark>."
    ]
    doc = engine.document("html-injection", q="alert")
    assert "&lt;script&gt;<mark>alert</mark>" in doc["highlighted"][0]
    for bad in ("nope", "../etc/passwd", "", "\ud800", "x" * 5000):
        assert engine.document(bad) is None


def test_similar(engine):
    sim = engine.similar("rang-tous", limit=3)
    assert 0 < len(sim) <= 3
    assert "rang-tous" not in [x["id"] for x in sim]
    assert sim[0]["id"] in ("rang-deux", "rang-un")
    assert engine.similar("does-not-exist") is None


# -- parameters -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, field",
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "abc"}, "page"),
        ({"per_page": "1000"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"date_from": "2022-13-45"}, "date_from"),
        ({"date_to": "2022-02-30"}, "date_to"),
        ({"date_from": "hier"}, "date_from"),
        ({"date_from": "2023", "date_to": "2022"}, "date_to"),
        ({"sort": "score"}, "sort"),
        ({"year": "22"}, "year"),
        ({"lang": "français!"}, "lang"),
    ],
)
def test_bad_parameters_raise_query_error(raw, field):
    with pytest.raises(QueryError) as exc:
        parse_params(raw)
    assert exc.value.field == field
    assert exc.value.message  # French message for the 400 answer


def test_parse_params_accepts_multidict_and_lists():
    from werkzeug.datastructures import MultiDict

    p = parse_params(MultiDict([("q", "obus"), ("source", "A"), ("source", "B"), ("page", "2"),
                                ("date_from", "2022-9"), ("lang", ""), ("sort", "newest")]))
    assert p == SearchParams(q="obus", sources=("A", "B"), date_from="2022-09", sort="newest", page=2)
    p = parse_params({"source": ["A", "A", " "], "per_page": "100", "date_to": "2024-02"})
    assert p.sources == ("A",) and p.per_page == 100
    assert p.date_range == (None, "2024-02-29")
    assert parse_params({}) == SearchParams()


def test_fast_phrase_matching_agrees_with_whoosh(built_index):
    from whoosh import query as wq

    from searchsvc.backends.whoosh.indexer import open_index
    from searchsvc.backends.whoosh.scoring import phrase_docs, read_postings

    _, ix = open_index(built_index)
    with ix.searcher() as s:
        reader = s.reader()
        checked = 0
        analyzer = s.schema["body"].analyzer
        live = set(reader.all_doc_ids())  # postings still list deleted documents
        for text, slop in [("Corée du Nord", 1), ("Kim Jong Un", 1), ("Russie Corée", 3), ("Nord Corée", 1),
                           ("Vladimir Poutine", 1), ("guerre en Ukraine", 2), ("Ukraine guerre", 1)]:
            words = [t.text for t in analyzer(text, mode="query")]
            q = wq.Phrase("body", words, slop=slop)
            want = set(s.docs_for_query(q))
            cands = set.intersection(*(set(read_postings(reader, "body", w)[0]) for w in words)) & live
            assert phrase_docs(reader, "body", words, slop, cands) == want
            checked += bool(want)
        assert checked >= 3


def test_months_in_date_order(engine):
    from searchsvc.backends.whoosh import in_date_order

    months = search(engine)["facets"]["month"]
    ordered = in_date_order(months)
    values = [e["value"] for e in ordered]
    assert values[:-1] == sorted(values[:-1]) and values[-1] is None
    assert sorted(map(str, values)) == sorted(str(e["value"]) for e in months)
