"""Take-away analytics on a real index (each index shape): full export, concordance,
batch search, Atom feed (searchsvc.analytics.{export,concordance,batch,feeds})."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import datetime, timezone
from xml.etree import ElementTree as ET

import pytest
from search_stores import held

from searchsvc.analytics import batch, concordance, export, feeds
from searchsvc.search import parse_params
from searchsvc.search.snippets import FastSpans, matched_spans

QUERIES = ["munitions", "Corée du Nord", '"Corée du Nord"', "munit*", "", "zzzintrouvable",
           "munitions Téhéran"]
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _csv_rows(text: str) -> tuple[str, list[str], list[list[str]]]:
    first, rest = text.split("\n", 1)
    rows = list(csv.reader(io.StringIO(rest)))
    return first, rows[0], rows[1:]


def _refs(engine) -> int:
    return held(engine)


# -- export ------------------------------------------------------------------------

@pytest.mark.parametrize("q", QUERIES)
def test_export_has_one_row_per_full_match_in_the_search_order(engine, q):
    params = parse_params({"q": q})
    res = engine.search(parse_params({"q": q, "copies": "all", "per_page": "100"}))
    text = "".join(export.stream(engine, params, "csv"))
    first, header, rows = _csv_rows(text)
    assert first.startswith("# searchsvc export ; requête : ")
    assert f"articles : {res['total']}" in first
    assert f"génération : {engine.info()['generation']} ;" in first
    assert header == list(export.COLUMNS)
    assert len(rows) == res["total"]
    full = [h["id"] for h in res["results"] if not h["partial"]]
    assert [r[0] for r in rows][:len(full)] == full
    lines = "".join(export.stream(engine, params, "jsonl")).splitlines()
    head = json.loads(lines[0])["header"]
    assert head["total"] == res["total"] and head["query"] == q
    assert head["generation"] == engine.info()["generation"]
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", head["exported_at"])
    got = [json.loads(x) for x in lines[1:]]
    assert [r["id"] for r in got] == [r[0] for r in rows]
    by_id = {h["id"]: h for h in res["results"]}
    for r in got:
        assert set(r) == set(export.COLUMNS)
        assert "<mark>" not in r["snippet"] and "\n" not in r["snippet"]
        if r["id"] in by_id:
            hit = by_id[r["id"]]
            assert (r["title"], r["source"], r["date"], r["group"]) == (
                hit["title"], hit["source"], hit["date"], hit["group"])
            assert r["score"] == hit["score"]
            # the search's snippet without its marks, as plain text
            assert r["snippet"] == re.sub(r"</?mark>", "", hit["snippet"]).replace("&lt;", "<") \
                .replace("&gt;", ">").replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")
    assert _refs(engine) == 0


def test_export_filters_are_applied_and_recorded(engine):
    params = parse_params({"q": "munitions", "source": "BBC News", "year": "2022"})
    text = "".join(export.stream(engine, params, "csv"))
    first, _, rows = _csv_rows(text)
    assert "source=BBC News" in first and "year=2022" in first
    assert len(rows) == engine.search(params)["total"] >= 1
    assert {r[2] for r in rows} == {"BBC News"}


def test_export_neutralises_spreadsheet_formulas_and_keeps_text(engine):
    # the injection fixture's title starts with a letter; the cells are escaped as written
    params = parse_params({"q": "alert"})
    _, _, rows = _csv_rows("".join(export.stream(engine, params, "csv")))
    assert any("<script>alert(1)</script>" in r[1] for r in rows)
    assert export._csv_value("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert export._csv_value("-12") == "'-12" and export._csv_value("Paris") == "Paris"


def test_export_holds_its_searcher_until_closed_even_when_abandoned(whoosh_engine):
    params = parse_params({"q": ""})
    gen = whoosh_engine._current()
    before = gen._refs
    exp = whoosh_engine.open_export(params, "jsonl")
    assert gen._refs == before + 1
    next(exp)  # the client reads the first chunk, then goes away
    exp.close()
    assert gen._refs == before
    exp.close()  # idempotent
    assert gen._refs == before
    # a stream closed before its first chunk releases too
    exp = whoosh_engine.open_export(params, "csv")
    exp.close()
    assert gen._refs == before and export._slots._value == export.MAX_CONCURRENT


def test_an_export_dropped_unclosed_is_released_at_once_and_its_searcher_stays_usable(whoosh_engine):
    import gc

    params = parse_params({"q": "munitions"})
    total = whoosh_engine.search(params)["total"]
    gen = whoosh_engine._current()
    before = gen._refs
    gc.disable()  # released by its refcount, not by a later cyclic collection
    try:
        exp = whoosh_engine.open_export(params, "csv")
        assert gen._refs == before + 1
        del exp
        assert gen._refs == before and export._slots._value == export.MAX_CONCURRENT
    finally:
        gc.enable()
    gc.collect()
    # the searcher given back to the pool still reads (a collected one would find nothing)
    for _ in range(3):
        assert whoosh_engine.search(params)["total"] == total > 0


def test_export_slots_are_limited_and_given_back(engine):
    params = parse_params({"q": "munitions"})
    held = [engine.open_export(params, "csv") for _ in range(export.MAX_CONCURRENT)]
    with pytest.raises(export.ExportBusy):
        engine.open_export(params, "csv")
    for h in held:
        list(h)  # exhausted: released without an explicit close
    assert export._slots._value == export.MAX_CONCURRENT
    assert _refs(engine) == 0


def test_held_matches_keeps_the_generation_open_across_a_switch(whoosh_engine):
    params = parse_params({"q": "munitions"})
    with whoosh_engine.held_matches(params) as ms:
        gen = whoosh_engine._current()
        gen.retire()  # as a new generation would
        # the held searcher still reads
        ids = [ms.searcher.stored_fields(d)["id"] for d in ms.docnums]
        assert len(ids) == len(ms.docnums) > 0
    assert gen._refs == 0 and gen._pool == []
    whoosh_engine._current(force=True)  # the whoosh_engine opens the live generation again
    assert whoosh_engine.search(params)["total"] == len(ids)


# -- concordance ---------------------------------------------------------------------

@pytest.mark.parametrize("q", ["munitions", "Corée du Nord", '"Corée du Nord"', "Kim Jong Un"])
def test_concordance_lines_are_the_spans_the_snippets_mark(engine, q):
    params = parse_params({"q": q})
    got = engine.concordance(params, per_page=None)
    assert got["articles"] == engine.search(params)["total"]

    # what the article page marks, article by article in the search's order
    ids = [json.loads(x)["id"] for x in "".join(export.stream(engine, params, "jsonl")).splitlines()[1:]]
    expected = []
    for doc_id in ids:
        for para in engine.document(doc_id, q=q)["highlighted"]:
            expected += [" ".join(html.unescape(m).split()) for m in re.findall(r"<mark>(.*?)</mark>", para)]
    assert [line["match"] for line in got["lines"]] == expected
    assert got["total"] == len(got["lines"]) > 0
    for line in got["lines"]:
        assert len(line["left"]) <= concordance.WIDTH and len(line["right"]) <= concordance.WIDTH
        assert "\n" not in line["left"] + line["match"] + line["right"]
    if q.startswith('"'):
        # a phrase is one occurrence from its first to its last word, never word by word
        # (a one-word synonym such as RPDC counts as the phrase)
        assert not {line["match"].lower() for line in got["lines"]} & {"corée", "nord", "du"}
        assert any(line["match"] == "Corée du Nord" for line in got["lines"])


def test_concordance_sorted_by_the_word_before_or_after_and_paged(engine):
    params = parse_params({"q": "munitions"})
    everything = engine.concordance(params, per_page=None)
    right = engine.concordance(params, sort="right", per_page=None)["lines"]
    left = engine.concordance(params, sort="left", per_page=None)["lines"]
    first_after = [concordance._right_key(x)[0][:1] for x in right]
    last_before = [concordance._left_key(x)[0][:1] for x in left]
    assert first_after == sorted(first_after) and len(set(map(tuple, first_after))) > 1
    assert last_before == sorted(last_before) and len(set(map(tuple, last_before))) > 1
    assert sorted(map(str, right)) == sorted(map(str, everything["lines"]))
    pages = [engine.concordance(params, sort="right", page=p, per_page=4)["lines"]
             for p in range(1, 1 + -(-len(right) // 4))]
    assert sum(pages, []) == right


def test_concordance_csv_and_listing_without_words(engine):
    got = engine.concordance(parse_params({"q": "munitions"}), per_page=None)
    first, header, rows = _csv_rows(concordance.csv_text(got))
    assert first.startswith("# searchsvc concordance") and header == list(concordance.CSV_COLUMNS)
    assert len(rows) == got["total"]
    empty = engine.concordance(parse_params({"year": "2022"}))
    assert empty["total"] == 0 and empty["notes"]


def test_concordance_context_cuts_on_word_boundaries():
    text = "un deux trois quatre cinq six sept huit MOT neuf dix onze douze treize"
    start = text.index("MOT")
    left, match, right = concordance.context(text, start, start + 3, width=12)
    assert match == "MOT" and left == "sept huit " and right == " neuf dix"


# -- batch ------------------------------------------------------------------------------

def test_batch_lines_parsed_with_numbers_and_limits():
    lines = batch.parse_lines("Kim Jong Un\n\n# une remarque\n  munitions  \r\nOR\n")
    assert [(x.number, x.text) for x in lines] == [(1, "Kim Jong Un"), (4, "munitions"), (5, "OR")]
    assert batch.line_query("Kim Jong Un") == '"Kim Jong Un"'
    assert batch.line_query('"Corée du Nord" -Iran') == '"Corée du Nord" -Iran'
    assert batch.line_query("munit*") == "munit*" and batch.line_query("drones OR munitions") == "drones OR munitions"
    assert batch.line_query("Kim Jong Un", exact=False) == "Kim Jong Un"
    for bad in ("", "\n# rien\n", "\n".join(f"nom {i}" for i in range(batch.MAX_LINES + 1)), "x" * 1001):
        with pytest.raises(batch.BatchError) as exc:
            batch.parse_lines(bad)
        assert exc.value.message
    assert len(batch.parse_lines("\n".join(f"nom {i}" for i in range(batch.MAX_LINES)))) == batch.MAX_LINES


def test_batch_totals_are_the_searches_totals_and_the_csv_labels_every_match(engine):
    text = "Kim Jong Un\nmunitions\nzzzintrouvable\nCorée du Nord\n"
    lines = batch.parse_lines(text)
    base = parse_params({})
    got = engine.batch(lines, base, hits=2)
    assert got["total_lines"] == 4
    for row, line in zip(got["lines"], lines):
        res = engine.search(parse_params({"q": batch.line_query(line.text), "copies": "all"}))
        assert row["line"] == line.number and row["total"] == res["total"]
        assert [h["id"] for h in row["hits"]] == [h["id"] for h in res["results"][:2] if not h["partial"]]
    assert got["matched_lines"] == sum(1 for r in got["lines"] if r["total"])
    first, header, rows = _csv_rows("".join(engine.open_batch_csv(lines, base)))
    assert first.startswith("# searchsvc batch") and header == list(batch.CSV_COLUMNS)
    for row in got["lines"]:
        assert sum(1 for r in rows if r[0] == str(row["line"]) and r[1] == row["text"]) == row["total"]
    assert len(rows) == sum(r["total"] for r in got["lines"])
    assert _refs(engine) == 0 and export._slots._value == export.MAX_CONCURRENT


def test_batch_filters_apply_to_every_line(engine):
    lines = batch.parse_lines("munitions\nCorée du Nord")
    got = engine.batch(lines, parse_params({"source": "BBC News"}), hits=5)
    for row in got["lines"]:
        assert all(h["source"] == "BBC News" for h in row["hits"])
        assert row["total"] == engine.search(parse_params({"q": row["query"], "source": "BBC News"}))["total"]


# -- Atom ----------------------------------------------------------------------------------

def test_atom_feed_is_valid_newest_first_and_escaped(engine):
    got = engine.newest(parse_params({"q": "alert OR munitions"}))
    res = engine.search(parse_params({"q": "alert OR munitions", "sort": "newest", "copies": "all",
                                      "per_page": "50"}))
    assert [e["id"] for e in got["entries"]] == [h["id"] for h in res["results"] if not h["partial"]]
    now = datetime(2026, 12, 1, 13, 0, tzinfo=timezone.utc)
    xml = feeds.atom(got, "http://h/feeds/search.atom?q=x", "http://h/?q=x", "http://h/", "searchsvc : x", now=now)
    assert "<script>" not in xml and "&lt;script&gt;" in xml
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == ATOM + "feed"
    for tag in ("id", "title", "updated"):
        assert root.find(ATOM + tag) is not None and root.find(ATOM + tag).text
    assert root.find(ATOM + "author/" + ATOM + "name").text
    entries = root.findall(ATOM + "entry")
    assert len(entries) == len(got["entries"]) > 1
    stamps = []
    for e in entries:
        for tag in ("id", "title", "updated"):
            assert e.find(ATOM + tag) is not None and e.find(ATOM + tag).text
        assert RFC3339.match(e.find(ATOM + "updated").text)
        assert e.find(ATOM + "link").get("href").startswith(("http://", "https://"))
        pub = e.find(ATOM + "published")
        stamps.append(pub.text if pub is not None else "")
    dated = [s for s in stamps if s]
    assert dated == sorted(dated, reverse=True)
    assert RFC3339.match(root.find(ATOM + "updated").text)


def test_atom_text_drops_what_xml_cannot_carry():
    feed = {"total": 1, "generation": "gen-1", "entries": [
        {"id": "a/b c", "title": "Titre\x01 <b>&", "source": None, "date": None, "url": "javascript:alert(1)",
         "summary": "x\x0by\ud800"}]}
    xml = feeds.atom(feed, "http://h/f", "http://h/", "http://h/", "t")
    root = ET.fromstring(xml.encode("utf-8"))
    e = root.find(ATOM + "entry")
    assert e.find(ATOM + "title").text == "Titre <b>&"
    assert e.find(ATOM + "link").get("href") == "http://h/documents/a/b%20c"  # never javascript:
    assert e.find(ATOM + "published") is None and RFC3339.match(e.find(ATOM + "updated").text)


def test_batch_stops_at_its_cpu_budget_and_names_the_lines_left(engine, monkeypatch):
    monkeypatch.setattr(batch, "CPU_SECONDS", -1.0)  # spent before the first line
    lines = batch.parse_lines("# liste\nmunitions\nIran\nCorée")
    got = engine.batch(lines, parse_params({}))
    assert got["total_lines"] == 3 and got["lines"] == []
    assert "3 lignes non cherchées, à partir de la ligne 2" in got["notes"][0]
    monkeypatch.setattr(batch, "CPU_SECONDS", 20.0)
    assert [r["line"] for r in engine.batch(lines, parse_params({}))["lines"]] == [2, 3, 4]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = st.sampled_from(["Corée", "du", "Nord", "l'armée", "aujourd'hui", "50 000", "50\u202f000", "5",
                           "novembre", "nord-coréen", "Kim", "Jong-un", "Un", "RPDC", "munitions", "Munition",
                           "MUNITIONS", "France", "franc", "Moïse", "mois", " ", "\n\n", ", ", ". ", "«", "»",
                           "’", "-", "1er", "œuvre", "manoeuvres", "qu'il", "jusqu'à", "\u00a0", "é", "É"])


def _marks(engine, q: str):  # the Whoosh backend's own marks
    """(analyzer, (terms, phrases)) the engine marks for ``q``."""
    if q not in _MARKS:
        _MARKS[q] = engine.matches(parse_params({"q": q}), lambda ms: (ms.analyzer, ms.built.marks("body")))
    return _MARKS[q]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=40),
       st.sampled_from(["munitions", "Corée du Nord", '"Corée du Nord"', "Kim Jong Un", "50 000", "France",
                        "armée aujourd'hui", '"nord coréen"', "Moïse"]))
def test_fast_spans_are_the_snippets_spans(whoosh_engine, pieces, q):
    engine = whoosh_engine
    analyzer, (terms, phrases) = _marks(engine, q)
    text = "".join(pieces)
    fast = FastSpans(analyzer)
    assert fast.spans(text, terms, phrases) == matched_spans(analyzer, text, terms, phrases)


_MARKS: dict = {}


def test_fast_spans_on_every_fixture_text(whoosh_engine):
    for q in ("munitions Corée", '"Corée du Nord"', "Iran OR drones", "zinzolin"):
        _marks(whoosh_engine, q)

    def check(ms):
        fast = FastSpans(ms.analyzer)
        for q in ("munitions Corée", '"Corée du Nord"', "Iran OR drones", "zinzolin"):
            _, (terms, phrases) = _marks(whoosh_engine, q)
            for d in ms.facets.live:
                body = ms.searcher.stored_fields(d).get("body") or ""
                assert fast.spans(body, terms, phrases) == matched_spans(ms.analyzer, body, terms, phrases)
    whoosh_engine.matches(parse_params({"q": ""}), check)
