"""GET /api/timeline and /api/terms: real responses against the OpenAPI document, errors, fuzz."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_corpus import ARTICLES, has_topic
from searchsvc.web import create_app
from test_api import _TEXT, assert_error, assert_matches_openapi


@pytest.fixture(scope="module")
def store(store_index):
    return store_index("analytics", ARTICLES)


@pytest.fixture(scope="module")
def index_and_engine(store):
    e = store.engine()
    yield store.index_dir, e
    e.close()


@pytest.fixture(scope="module")
def app(index_and_engine):
    index, e = index_and_engine
    return create_app({"TESTING": True, "INDEX_DIR": str(index), "ENGINE": e, "ADMIN_TOKEN": None})


@pytest.fixture
def client(app):
    return app.test_client()


def test_timeline_of_one_query(client):
    resp = client.get("/api/timeline?q=zeppelin&interval=month")
    assert_matches_openapi(resp, "/api/timeline")
    body = resp.get_json()
    assert body["total"] == sum(map(has_topic, ARTICLES)) and "series" not in body
    assert sum(b["count"] for b in body["buckets"]) + body["undated"] == body["total"]


def test_timeline_compared_and_by_source(client):
    resp = client.get("/api/timeline?q=zeppelin&q=a%C3%A9rostat&interval=year")
    assert_matches_openapi(resp, "/api/timeline")
    assert [s["query"] for s in resp.get_json()["series"]] == ["zeppelin", "aérostat"]
    resp = client.get("/api/timeline?by=source")
    assert_matches_openapi(resp, "/api/timeline")
    assert sum(s["total"] for s in resp.get_json()["series"]) == len(ARTICLES)


def test_timeline_takes_the_search_filters(client):
    every = client.get("/api/timeline?q=zeppelin&interval=month").get_json()
    one = client.get("/api/timeline?q=zeppelin&interval=month&year=2021&source=Source+1").get_json()
    total = client.get("/api/search?q=zeppelin&year=2021&source=Source+1").get_json()["total"]
    assert one["total"] == total < every["total"]


@pytest.mark.parametrize("query,field", [
    ("interval=siecle", "interval"), ("by=lang", "by"), ("q=a&q=b&by=source", "by"),
    ("q=1&q=2&q=3&q=4&q=5&q=6", "q"), ("date_from=2021-02-30", "date_from"), ("per_page=0", "per_page"),
    ("q=texte&interval=day&date_from=0001", None),
])
def test_timeline_bad_parameters_are_400(client, query, field):
    resp = client.get("/api/timeline?" + query)
    if field is None:  # a period in year 1 within the index's dates: no error at all
        assert resp.status_code == 200
        return
    assert_error(resp, 400, field)
    assert_matches_openapi(resp, "/api/timeline")


def test_terms(client):
    resp = client.get("/api/terms?q=zeppelin&limit=5")
    assert_matches_openapi(resp, "/api/terms")
    body = resp.get_json()
    assert len(body["top"]) == 5 and body["significant"] and body["sources"]
    assert body["total"] == client.get("/api/search?q=zeppelin").get_json()["total"]
    assert_error(client.get("/api/terms?limit=500"), 400, "limit")
    assert_matches_openapi(client.get("/api/terms?limit=500"), "/api/terms")


def test_cli_commands_print_what_the_api_answers(store, client):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "searchsvc.cli", *args, "--index", str(store.index_dir)],
                              capture_output=True, text=True, timeout=120, env=store.env())

    out = cli("timeline", "zeppelin", "--interval", "month", "--json")
    assert out.returncode == 0, out.stderr
    api = client.get("/api/timeline?q=zeppelin&interval=month").get_json()
    got = json.loads(out.stdout)
    assert got["buckets"] == api["buckets"] and got["total"] == api["total"]
    out = cli("timeline", "zeppelin", "--compare", "gondolier", "--interval", "month", "--csv")
    rows = out.stdout.splitlines()
    assert rows[0] == "serie,debut,fin,articles,histoires,part"
    months = len(api["buckets"])
    assert len(rows) == 1 + 2 * (months + 1)  # each period, then the undated line, per series
    assert sum(int(r.split(",")[3]) for r in rows[1:] if r.startswith("zeppelin,")) == api["total"]
    out = cli("timeline", "zeppelin")
    assert out.returncode == 0 and "Intervalle : semaine" in out.stdout
    out = cli("terms", "zeppelin", "--json")
    assert json.loads(out.stdout)["top"] == client.get("/api/terms?q=zeppelin").get_json()["top"]
    out = cli("terms", "zeppelin")
    assert "Mots caractéristiques" in out.stdout and "Hindenburg" in out.stdout
    bad = cli("timeline", "x", "--interval", "décennie")
    assert bad.returncode == 2 and bad.stderr.startswith("Erreur : ") and bad.stderr.count("\n") == 1
    bad = cli("terms", "x", "--limit", "0")
    assert bad.returncode == 2 and "« --limit »" in bad.stderr  # the option typed


_KEYS = ["q", "source", "lang", "date_from", "date_to", "year", "interval", "by", "limit", "copies",
         "count", "page", "x"]
_VALUES = st.one_of(_TEXT, st.sampled_from(["day", "week", "month", "year", "source", "1", "100", "101"]))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(_KEYS), _VALUES), max_size=7))
def test_fuzz_analytics_parameters_never_500(app, pairs):
    c = app.test_client()
    for url in ("/api/timeline", "/api/terms"):
        resp = c.get(url, query_string=pairs)
        assert resp.status_code in (200, 400), (url, pairs, resp.status_code, resp.data[:300])
        assert_matches_openapi(resp, url)


def test_timeline_and_terms_as_csv_downloads(client):
    """format=csv: the same figures as the JSON, as a spreadsheet table."""
    import csv
    import io

    body = client.get("/api/timeline?q=zeppelin&interval=month").get_json()
    resp = client.get("/api/timeline?q=zeppelin&interval=month&format=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0] == ["serie", "debut", "fin", "articles", "histoires", "part"]
    dated = [r for r in rows[1:] if r[1] != "sans date"]
    assert [(r[1], int(r[3])) for r in dated] == [(b["start"], b["count"]) for b in body["buckets"]]
    assert [int(r[3]) for r in rows[1:] if r[1] == "sans date"] == [body["undated"]]

    terms = client.get("/api/terms?q=zeppelin&limit=5").get_json()
    resp = client.get("/api/terms?q=zeppelin&limit=5&format=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0] == ["liste", "valeur", "histoires", "score"]
    assert [r[1] for r in rows if r[0] == "caracteristique"] == [t["term"] for t in terms["significant"]]
    assert [r[1] for r in rows if r[0] == "frequent"] == [t["term"] for t in terms["top"]]
    assert_error(client.get("/api/terms?q=zeppelin&format=xml"), 400, "format")
    assert_error(client.get("/api/timeline?q=zeppelin&format=xml"), 400, "format")


def test_search_page_links_the_timeline_and_terms_csv(client):
    import html
    import re

    page = client.get("/?q=zeppelin&page=1").get_data(as_text=True)
    for anchor in ("export-timeline-csv", "export-terms-csv"):
        href = html.unescape(re.search(rf'id="{anchor}" href="([^"]+)"', page).group(1))
        assert "format=csv" in href and "q=zeppelin" in href
        resp = client.get(href)
        assert resp.status_code == 200 and resp.mimetype == "text/csv", href
