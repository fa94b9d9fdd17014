"""Counts a researcher can cite (issue 21): exact mode on every view, marks that match
what is counted, export headers that replay, queries without a searchable word.

Expected figures are computed here from the texts themselves (the extracted seed
articles, or articles built in the test), never written down."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from searchsvc.analysis import analyze, fold, written_analyzer
from searchsvc.analytics import concordance, export
from searchsvc.article import Article
from searchsvc.search import parse_params
from searchsvc.backends.whoosh import SearchEngine
from searchsvc.search.query import NOTHING_SEARCHABLE


def _words(text: str) -> set[str]:
    """The words of a text as written: elisions removed ("l’Afrique"), accents and case folded."""
    return set(analyze(text or "", written_analyzer()))


def _texts(engine) -> dict[str, str]:
    """Every indexed article's title and text, by id (what the index was given)."""
    r = engine.search(parse_params({"per_page": "100", "copies": "all"}))
    out = {}
    for hit in r["results"]:
        doc = engine.document(hit["id"])
        out[hit["id"]] = (doc["title"] or "") + "\n" + doc["text"]
    return out


def _total(engine, **kw) -> int:
    return engine.search(parse_params({"copies": "all", **kw}))["total"]


# -- exact mode ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds(corpus_store):
    """The fixture corpus on every backend and index shape."""
    e = corpus_store.engine()
    yield e
    e.close()


@pytest.mark.parametrize("word", ["missile", "missiles", "munition", "munitions", "Corée", "coree",
                                  "nucléaire", "russe"])
def test_exact_mode_counts_the_written_form_only(seeds, word):
    texts = _texts(seeds)
    want = {i for i, t in texts.items() if fold(word.lower()) in _words(t)}
    r = seeds.search(parse_params({"q": word, "exact": "1", "copies": "all", "per_page": "100"}))
    assert {h["id"] for h in r["results"]} == want and r["total"] == len(want)
    # the stemmed search (the default) finds at least these
    assert _total(seeds, q=word) >= len(want)


def test_missile_singular_and_plural_are_told_apart(seeds):
    """The issue's figure: `missile` finds every article with "missile" or "missiles";
    in exact mode only those that write the singular (in the indexed text: a photo
    caption of the seeds is not part of it)."""
    stemmed, exact = _total(seeds, q="missile"), _total(seeds, q="missile", exact="1")
    texts = _texts(seeds)
    assert stemmed == sum(1 for t in texts.values() if _words(t) & {"missile", "missiles"})
    assert exact == sum(1 for t in texts.values() if "missile" in _words(t)) < stemmed


@pytest.fixture(scope="module")
def small(store_index):
    """Articles whose words are known: singular and plural, phrases, two sources, dates
    (on every backend and index shape)."""
    rows = [
        ("a1", "Les gilets jaunes manifestent samedi à Paris, les gilets jaunes sont nombreux.", "Source A", "2019-01-12"),
        ("a2", "Une écolière porte un gilet jaune pour traverser la route.", "Source B", "2017-09-04"),
        ("a3", "Des Gilets Jaunes défilent encore, un gilet jaune au vent.", "Source A", "2019-02-02"),
        ("a4", "Le gilet reste jaune, les jaunes gilets ne sont pas une expression.", "Source B", "2019-03-03"),
        ("a5", "Kim Jong Un a reçu un message, puis un autre ; Kim a répondu. M. Jong Un aussi.", "Source A", "2020-01-01"),
        ("a6", "Un article sans rapport, un seul mot un.", "Source B", "2020-02-02"),
    ]
    arts = [Article(id=i, title=f"Titre {i}", text=t, source=s, date=d, lang="fr") for i, t, s, d in rows]
    e = store_index("exact", arts).engine()
    yield e, {i: t for i, t, _, _ in rows}
    e.close()


def _ids(engine, **kw) -> set[str]:
    """The full matches (partial ones, listed after them, left out)."""
    r = engine.search(parse_params({"copies": "all", "per_page": "100", **kw}))
    return {h["id"] for h in r["results"] if not h["partial"]}


def test_quoted_phrase_exact_or_stemmed(small):
    engine, _ = small
    assert _ids(engine, q='"gilets jaunes"') == {"a1", "a2", "a3"}
    assert _ids(engine, q='"gilets jaunes"', exact="1") == {"a1", "a3"}  # case folded
    assert _ids(engine, q="gilet", exact="1") == {"a2", "a3", "a4"}
    assert _ids(engine, q="gilet*", exact="1") == {"a1", "a2", "a3", "a4"}  # a prefix stays a prefix
    assert _ids(engine, q="title:a1", exact="1") == {"a1"}


def test_every_view_honours_exact_mode(small):
    from searchsvc.analytics.terms import parse_terms_args
    from searchsvc.analytics.timeline import parse_timeline_args

    engine, texts = small
    q = '"gilets jaunes"'
    for exact in ("0", "1"):
        want = {i for i, t in texts.items()
                if (re.search(r"gilets jaunes", t, re.I) if exact == "1" else re.search(r"gilets? jaunes?", t, re.I))}
        args = {"q": q, "exact": exact}
        r = engine.search(parse_params({**args, "copies": "all"}))
        assert r["total"] == len(want)
        assert sum(f["count"] for f in r["facets"]["source"]) == len(want)
        assert engine.timeline(parse_timeline_args(args))["total"] == len(want)
        assert engine.terms(parse_terms_args(args))["total"] == len(want)
        text = "".join(export.stream(engine, parse_params(args), "jsonl"))
        head, *rows = [json.loads(x) for x in text.splitlines()]
        assert {row["id"] for row in rows} == want
        assert head["header"]["filters"].get("exact", False) is (exact == "1")
        got = engine.concordance(parse_params(args), per_page=None)
        written = [line["match"].lower() for line in got["lines"]]
        if exact == "1":
            assert written and set(written) == {"gilets jaunes"}
        else:
            assert "gilet jaune" in written
    # snippets mark the written form only
    r = engine.search(parse_params({"q": "gilet", "exact": "1", "copies": "all"}))
    marks = {m.lower() for h in r["results"] for m in re.findall(r"<mark>(.*?)</mark>", h["snippet"])}
    assert marks == {"gilet"}


# -- marks of a word kept only for names ("un" of "Kim Jong Un") ---------------------------

NAME_RE = re.compile(r"\bKim(?:[\s-]+Jong(?:[\s-]+Un)?)?\b|\bJong(?:[\s-]+Un)?\b", re.I)


@pytest.mark.parametrize("exact", ["0", "1"])
def test_un_is_marked_only_inside_the_name(small, exact):
    engine, texts = small
    params = parse_params({"q": "Kim Jong Un", "exact": exact})
    got = engine.concordance(params, per_page=None)
    matched = {line["id"] for line in got["lines"]}
    assert matched == {"a5"} and _total(engine, q="Kim Jong Un", exact=exact) == 1
    # what a reader counts: each mention of the name (whole or in part) once, never "un"
    assert got["total"] == len(NAME_RE.findall(texts["a5"]))
    assert all(fold(line["match"].lower()) != "un" for line in got["lines"])
    snip = engine.search(params)["results"][0]["snippet"]
    assert not re.search(r"<mark>un</mark>", snip, re.I) and "<mark>Kim Jong Un</mark>" in snip
    # typed alone, the word is what is searched: marked
    alone = engine.concordance(parse_params({"q": "un", "exact": exact}), per_page=None)
    assert alone["total"] == sum(len(re.findall(r"\bun\b", t, re.I)) for t in texts.values())


def test_un_marks_on_the_seeds(seeds):
    r = seeds.concordance(parse_params({"q": "Kim Jong Un"}), per_page=None)
    assert r["total"] and all(fold(line["match"].lower()) != "un" for line in r["lines"])
    texts = _texts(seeds)
    assert r["total"] == sum(len(NAME_RE.findall(texts[i])) for i in {line["id"] for line in r["lines"]})


# -- queries without a searchable word -------------------------------------------------------


@pytest.mark.parametrize("q", ["((((", "-", "OR", "\x00", "title:", "source:", "le la de", "title: source:"])
def test_no_searchable_word_is_said_not_everything(seeds, q):
    r = seeds.search(parse_params({"q": q}))
    assert r["total"] == 0 and r["total_partial"] == 0 and NOTHING_SEARCHABLE in r["notes"]
    rows = "".join(export.stream(seeds, parse_params({"q": q}), "jsonl")).splitlines()
    assert len(rows) == 1 and NOTHING_SEARCHABLE in json.loads(rows[0])["header"]["notes"]


def test_title_and_source_restrictions_agree(seeds):
    assert _total(seeds, q="title:") == _total(seeds, q="source:") == 0
    assert _total(seeds, q="title: Corée") == _total(seeds, q="source: Corée") == _total(seeds, q="Corée")


def test_negation_alone_still_lists(seeds):
    everything = _total(seeds)
    assert 0 < _total(seeds, q="-zinzolin") < everything


# -- export headers that replay ---------------------------------------------------------------


@pytest.fixture(scope="module")
def entity_app(entity_index):
    from searchsvc.web import create_app

    corpus, index = entity_index
    return create_app({"TESTING": True, "INDEX_DIR": str(index), "CORPUS_DIR": str(corpus),
                       "ADMIN_TOKEN": None})


def _csv(text: str) -> tuple[str, list[list[str]]]:
    first, rest = text.split("\n", 1)
    return first, list(csv.reader(io.StringIO(rest)))[1:]


@pytest.mark.parametrize("extra", [
    "", "&exact=1", "&year=2022&lang=fr&sort=newest", "&source=BBC%20News&source=Press%20TV&copies=all&count=stories",
    "&date_from=2022-09&date_to=2022-12-31",
])
def test_export_header_records_every_filter_and_replays(entity_app, extra):
    client = entity_app.test_client()
    url = "/api/export?q=Iran&person=John%20Kirby" + extra
    first, rows = _csv(client.get(url + "&format=csv").get_data(as_text=True))
    assert "person=John Kirby" in first and "sort=" in first and "génération : gen-" in first
    if "exact" in extra:
        assert "exact=oui" in first
    # the same request from the header alone: the CSV comment line and the JSONL header
    params = export.header_params(first)
    again_first, again = _csv(client.get("/api/export?format=csv&" + export.replay_query(params))
                              .get_data(as_text=True))
    assert again == rows and again_first.split(" ; date : ")[0] == first.split(" ; date : ")[0]
    head = json.loads(client.get(url + "&format=jsonl").get_data(as_text=True).splitlines()[0])["header"]
    replay = client.get("/api/export?format=csv&" + head["parameters"]).get_data(as_text=True)
    assert _csv(replay)[1] == rows
    assert export.header_params(head) == params


def test_person_filter_changes_the_rows_and_is_recorded(entity_app):
    client = entity_app.test_client()
    everyone = _csv(client.get("/api/export?q=Iran").get_data(as_text=True))[1]
    first, kirby = _csv(client.get("/api/export?q=Iran&person=John%20Kirby").get_data(as_text=True))
    assert 0 < len(kirby) < len(everyone) and "person=John Kirby" in first


def test_quotes_honour_exact_mode(entity_app):
    client = entity_app.test_client()
    quotes = client.get("/api/quotes?limit=100").get_json()["quotes"]
    assert quotes
    words = sorted({w for qt in quotes for w in _words(qt["text"]) if len(w) > 4})
    checked = 0
    for w in words[:40]:
        stemmed = client.get(f"/api/quotes?q={w}&limit=100").get_json()["quotes"]
        exact = client.get(f"/api/quotes?q={w}&exact=1&limit=100").get_json()["quotes"]
        assert all(w in _words(qt["text"]) for qt in exact)
        assert {qt["text"] for qt in exact} <= {qt["text"] for qt in stemmed}
        checked += len(stemmed) > len(exact)
    assert checked  # some word's other forms are quoted too


# -- page numbers, help -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain_app(plain_index, fixture_corpus):
    from searchsvc.web import create_app

    return create_app({"TESTING": True, "INDEX_DIR": str(plain_index), "CORPUS_DIR": str(fixture_corpus),
                       "ADMIN_TOKEN": None})


def test_page_beyond_the_last_is_said_so(plain_app):
    client = plain_app.test_client()
    html = client.get("/?q=Corée&page=9999").get_data(as_text=True)
    assert "au-delà de la dernière" in html and "page 9999 sur" not in html and "page 9\u202f999 sur" not in html


def test_cli_page_beyond_the_last(plain_index, capsys):
    from searchsvc.cli import main

    assert main(["search", "Corée", "--page", "9999", "--index", str(plain_index)]) == 0
    out = capsys.readouterr().out
    assert "au-delà de la dernière" in out and "9999/" not in out


def test_help_agrees_with_place(capsys):
    from searchsvc.cli import build_parser

    text = build_parser("search")._subparsers._group_actions[0].choices["search"].format_help()
    assert "lieu cité" in text and "lieu citée" not in text


def test_docs_describe_the_syntax_and_the_header():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "citable.md").read_text(encoding="utf-8")
    for needle in ("exact=1", "--exact", "paramètres", "header_params", "/api/export?"):
        assert needle in doc, needle


def test_search_page_has_the_exact_box_and_honours_it(plain_app):
    client = plain_app.test_client()
    plain = client.get("/?q=missile").get_data(as_text=True)
    exact = client.get("/?q=missile&exact=1").get_data(as_text=True)
    assert 'name="exact"' in plain and re.search(r'id="exact"[^>]*checked', exact)
    assert not re.search(r'id="exact"[^>]*checked', plain)

    def found(html):
        m = re.search(r"<strong>(\d+)</strong> articles? trouvés?", html)
        return int(m.group(1)) if m else 0

    assert 0 < found(exact) < found(plain)
    # the link to an article keeps the mode, and the article page marks as written
    link = re.search(r'href="(/documents/[^"]*exact=1[^"]*)"', exact)
    assert link
    page = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert {m.lower() for m in re.findall(r"<mark>(.*?)</mark>", page)} == {"missile"}


def test_one_clause_as_written(small):
    """``="..."`` / ``=word``: that clause as written, the others stemmed; each marked as counted."""
    engine, texts = small
    assert _ids(engine, q='="gilets jaunes"') == _ids(engine, q='"gilets jaunes"', exact="1") == {"a1", "a3"}
    want = {i for i, t in texts.items() if "gilet" in _words(t) and _words(t) & {"jaune", "jaunes"}}
    assert _ids(engine, q="=gilet jaune") == want
    got = engine.concordance(parse_params({"q": "=gilet jaune"}), per_page=None)
    assert {fold(line["match"].lower()) for line in got["lines"]} == {"gilet", "jaune", "jaunes"}
    assert got["total"] == sum(sum(1 for w in re.findall(r"\w+", texts[i].lower()) if w in ("gilet", "jaune", "jaunes"))
                               for i in want)
    # =OR is the word, not the operator; a clause as written is never widened by synonyms
    assert _ids(engine, q="=OR") == set()
    assert _ids(engine, q='-="gilets jaunes" gilet') == {"a2", "a4"}


def test_an_index_without_the_written_fields_says_to_reindex(tmp_path):
    """An index built before exact mode (no ``*_written`` fields) says why nothing is found."""
    from whoosh import index as whoosh_index

    from searchsvc.analysis import WRITTEN_FIELDS
    from searchsvc.backends.whoosh.indexer import build_schema
    from searchsvc.backends.whoosh import query as wquery
    from searchsvc.search import query as qmod

    schema = build_schema()
    for name in WRITTEN_FIELDS.values():
        schema.remove(name)
    ix = whoosh_index.create_in(str(tmp_path), schema)
    with ix.writer() as w:
        w.add_document(id="x", title="Missile", body="Un missile.", forms="~")
    with ix.searcher() as s:
        for q, exact in (("missile", True), ("=missile", False), ("=missile Corée", False)):
            built = wquery.build(qmod.parse(q), s.schema, s.reader(), exact=exact)
            assert built.notes == [wquery.NO_WRITTEN_FIELDS], q
        assert wquery.build(qmod.parse("missile"), s.schema, s.reader()).notes == []
