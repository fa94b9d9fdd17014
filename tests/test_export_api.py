"""The take-away endpoints through Flask's test client (JSON validated against the
OpenAPI document), their pages, a parameter fuzz (no 500), and their commands."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from search_stores import held
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from searchsvc.analytics import export
from searchsvc.search import parse_params
from test_api import _REGISTRY, _TEXT, assert_error, assert_matches_openapi

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def client(app):
    return app.test_client()


def _schema(name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"urn:searchsvc:openapi#/components/schemas/{name}"},
                                registry=_REGISTRY)


def _csv_body(data: bytes) -> tuple[str, list[str], list[list[str]]]:
    first, rest = data.decode("utf-8").split("\n", 1)
    rows = list(csv.reader(io.StringIO(rest)))
    return first, rows[0], rows[1:]


# -- concordance ------------------------------------------------------------------

def test_concordance_api_pages_and_sorts(client, engine):
    resp = client.get("/api/concordance", query_string={"q": "munitions", "per_page": "3"})
    assert resp.status_code == 200
    assert_matches_openapi(resp, "/api/concordance")
    got = resp.get_json()
    assert got["articles"] == engine.search(parse_params({"q": "munitions"}))["total"]
    assert len(got["lines"]) == min(3, got["total"]) and got["total"] > 3
    every = client.get("/api/concordance", query_string={"q": "munitions", "sort": "left",
                                                         "per_page": "500"}).get_json()
    assert every["sort"] == "left" and len(every["lines"]) == got["total"]
    resp = client.get("/api/concordance", query_string={"q": "munitions", "sort": "left", "format": "csv"})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in resp.headers["Content-Disposition"]
    _, header, rows = _csv_body(resp.data)
    assert [dict(zip(header, r)) for r in rows] == [
        {k: (v or "") for k, v in line.items()} for line in every["lines"]]


@pytest.mark.parametrize("params,field", [
    ({"q": "x", "sort": "milieu"}, "sort"), ({"q": "x", "per_page": "501"}, "per_page"),
    ({"q": "x", "page": "0"}, "page"), ({"q": "x", "format": "xml"}, "format"),
    ({"q": "x", "date_from": "2022-13"}, "date_from")])
def test_concordance_bad_parameters_are_400(client, params, field):
    resp = client.get("/api/concordance", query_string=params)
    assert_error(resp, 400, field)
    assert_matches_openapi(resp, "/api/concordance")


def test_concordance_page_escapes_the_text(client):
    resp = client.get("/concordance", query_string={"q": "alert", "sort": "right"})
    assert resp.status_code == 200
    html = resp.data.decode()
    # the occurrence "alert" splits the injected tag across the cells: each part escaped
    assert "<script>" not in html.replace('<script src="/static/app.js" defer></script>', "")
    assert "&lt;script&gt;" in html and "(1)&lt;/script&gt;" in html
    assert 'id="kwic"' in html and 'href="/concordance?' in html
    assert client.get("/concordance").status_code == 200
    assert client.get("/concordance", query_string={"q": "x", "sort": "milieu"}).status_code == 400


# -- export -----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_api_streams_every_match(client, engine, fmt):
    total = engine.search(parse_params({"q": "munitions"}))["total"]
    resp = client.get("/api/export", query_string={"q": "munitions", "format": fmt})
    assert resp.status_code == 200 and resp.is_streamed
    assert resp.headers["Content-Type"] == export.MEDIA_TYPES[fmt]
    assert resp.headers["Content-Disposition"] == f'attachment; filename="export-munitions.{fmt}"'
    assert resp.headers["X-Total-Count"] == str(total)
    if fmt == "csv":
        first, header, rows = _csv_body(resp.data)
        assert first.startswith("#") and len(rows) == total
    else:
        lines = resp.data.decode().splitlines()
        head = json.loads(lines[0])
        assert not list(_schema("ExportHeader").iter_errors(head["header"]))
        assert len(lines) - 1 == total
        for line in lines[1:]:
            assert not list(_schema("ExportRow").iter_errors(json.loads(line)))
    resp.close()
    assert export._slots._value == export.MAX_CONCURRENT


def test_export_api_releases_the_searcher_when_the_client_leaves(app, engine):
    before = held(engine)
    resp = app.test_client().get("/api/export", query_string={"q": "", "format": "jsonl"}, buffered=False)
    assert resp.status_code == 200
    next(iter(resp.response))  # one chunk read, then the connection goes away
    resp.close()
    assert held(engine) == before and export._slots._value == export.MAX_CONCURRENT


def test_export_api_busy_is_503_with_retry_after(client, engine):
    busy = [engine.open_export(parse_params({"q": "x"}), "csv") for _ in range(export.MAX_CONCURRENT)]
    try:
        resp = client.get("/api/export", query_string={"q": "munitions"})
        err = assert_error(resp, 503)
        assert err["code"] == "too_many_exports" and resp.headers["Retry-After"] == "5"
        assert_matches_openapi(resp, "/api/export")
    finally:
        for h in busy:
            h.close()
    resp = client.get("/api/export", query_string={"q": "munitions"})
    assert resp.status_code == 200
    resp.close()


def test_export_api_bad_parameters_are_400(client):
    for params, field in (({"format": "xlsx"}, "format"), ({"q": "x", "sort": "left"}, "sort"),
                          ({"year": "22"}, "year")):
        resp = client.get("/api/export", query_string=params)
        assert_error(resp, 400, field)
        assert_matches_openapi(resp, "/api/export")


def test_search_page_links_to_export_concordance_and_feed(client):
    html = client.get("/", query_string={"q": "munitions", "source": "BBC News", "page": "1"}).data.decode()
    assert 'id="export-csv" href="/api/export?q=munitions&amp;source=BBC+News&amp;format=csv"' in html
    assert 'id="feed-link" href="/feeds/search.atom?q=munitions&amp;source=BBC+News"' in html
    assert 'id="concordance-link" href="/concordance?q=munitions&amp;source=BBC+News"' in html
    # always there (the page's script points them at the search shown when they are used)
    assert 'data-base="/api/export" data-format="csv"' in html and "/static/exports.js" in html


# -- batch -------------------------------------------------------------------------

def test_batch_api_json_form_file_and_csv(client, engine):
    body = {"lines": ["Kim Jong Un", "munitions", "zzzintrouvable"], "source": "BBC News"}
    resp = client.post("/api/batch", json=body)
    assert resp.status_code == 200
    assert_matches_openapi(resp, "/api/batch", "post")
    got = resp.get_json()
    assert [r["line"] for r in got["lines"]] == [1, 2, 3]
    assert got["lines"][1]["total"] == engine.search(parse_params({"q": "munitions", "source": "BBC News"}))["total"]
    form = client.post("/api/batch?source=BBC+News", data={"lines": "Kim Jong Un\nmunitions\nzzzintrouvable"})
    assert form.get_json() == got
    upload = client.post("/api/batch?source=BBC+News", data={
        "file": (io.BytesIO("\ufeffKim Jong Un\nmunitions\nzzzintrouvable\n".encode("utf-8")), "noms.txt")},
        content_type="multipart/form-data")
    assert upload.get_json() == got
    resp = client.post("/api/batch?format=csv", data={"lines": "Kim Jong Un\nmunitions"})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    _, header, rows = _csv_body(resp.data)
    totals = client.post("/api/batch", data={"lines": "Kim Jong Un\nmunitions"}).get_json()
    assert len(rows) == sum(r["total"] for r in totals["lines"])
    assert {r[0] for r in rows} == {"1", "2"}


@pytest.mark.parametrize("kwargs", [
    {"json": {"lines": []}}, {"json": {"lines": 5}}, {"json": [1, 2]}, {"data": {"lines": "   \n# rien"}},
    {"data": {}}, {"json": {"lines": [f"nom {i}" for i in range(501)]}},
    {"json": {"lines": ["x"], "hits": "99"}}, {"json": {"lines": ["x"], "year": "22"}}])
def test_batch_bad_input_is_400_in_french(client, kwargs):
    resp = client.post("/api/batch", **kwargs)
    err = assert_error(resp, 400)
    assert_matches_openapi(resp, "/api/batch", "post")
    assert err.get("field") in ("lines", "hits", "year") and " " in err["message"]


def test_batch_page_lists_each_line_escaped(client):
    assert client.get("/batch").status_code == 200
    resp = client.post("/batch", data={"lines": "munitions\n<script>alert(1)</script>"})
    html = resp.data.decode()
    assert resp.status_code == 200 and 'id="batch-results"' in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert client.post("/batch", data={"lines": ""}).status_code == 400


# -- Atom ---------------------------------------------------------------------------

def test_atom_feed_endpoint(client):
    from xml.etree import ElementTree as ET

    resp = client.get("/feeds/search.atom", query_string={"q": "alert OR munitions"})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(resp.data)
    ns = "{http://www.w3.org/2005/Atom}"
    assert root.find(ns + "link[@rel='self']").get("href") == \
        "http://localhost/feeds/search.atom?q=alert+OR+munitions"
    assert len(root.findall(ns + "entry")) >= 2
    assert b"<script>" not in resp.data
    assert client.get("/feeds/search.atom", query_string={"date_from": "x"}).status_code == 400


# -- fuzz: no input gives a 500 ----------------------------------------------------------

_KEYS = ["q", "source", "lang", "date_from", "date_to", "year", "sort", "page", "per_page", "format",
         "month", "hits", "exact", "lines", "copies", "x"]
_MORE = st.one_of(_TEXT, st.sampled_from(["left", "right", "csv", "jsonl", "json", "500", "501"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(_KEYS), _MORE), max_size=6))
def test_fuzz_analytics_parameters_never_500(app, pairs):
    c = app.test_client()
    for url, documented in (("/api/concordance", True), ("/api/export", False), ("/concordance", False),
                            ("/feeds/search.atom", False)):
        resp = c.get(url, query_string=pairs)
        assert resp.status_code in (200, 400), (url, pairs, resp.status_code, resp.data[:300])
        if documented and resp.status_code in (200, 400) and resp.is_json:
            assert_matches_openapi(resp, url)
        resp.close()
    resp = c.post("/api/batch", query_string=pairs, data={"lines": "munitions\n" + "".join(v for _, v in pairs)})
    # 413: a body over 64 KB (documented), never a 500
    assert resp.status_code in (200, 400, 413), (pairs, resp.status_code, resp.data[:300])
    if resp.is_json:
        assert_matches_openapi(resp, "/api/batch", "post")
    resp.close()
    assert export._slots._value == export.MAX_CONCURRENT


# -- commands --------------------------------------------------------------------------

def cli(*args, stdin=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C", "LC_ALL": "C"}
    return subprocess.run([sys.executable, "-m", "searchsvc.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120, encoding="utf-8", input=stdin)


def test_export_command_writes_every_match(plain_index, tmp_path):
    from searchsvc.backends.whoosh import SearchEngine

    total = SearchEngine(plain_index).search(parse_params({"q": "munitions"}))["total"]
    r = cli("export", "munitions", "--format", "csv", "--index", str(plain_index))
    assert r.returncode == 0, r.stderr
    first, header, rows = _csv_body(r.stdout.encode())
    assert first.startswith("# searchsvc export ; requête : munitions") and len(rows) == total
    r = cli("export", "--format", "jsonl", "--year", "2022", "--index", str(plain_index))
    assert r.returncode == 0 and json.loads(r.stdout.splitlines()[0])["header"]["filters"]["year"] == ["2022"]
    r = cli("export", "x", "--from", "2022-13", "--index", str(plain_index))
    assert r.returncode == 2 and r.stderr.startswith("Erreur : Date invalide")
    r = cli("export", "x", "--index", str(tmp_path / "rien"))
    assert r.returncode == 1 and "Aucun index" in r.stderr


def test_concordance_and_batch_commands(plain_index, tmp_path):
    r = cli("concordance", "munitions", "--sort", "right", "--json", "--index", str(plain_index))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["total"] == len(got["lines"]) > 0 and got["sort"] == "right"
    r = cli("concordance", "munitions", "--index", str(plain_index))
    assert r.returncode == 0 and "[munitions]" in r.stdout and "occurrences dans" in r.stdout
    names = tmp_path / "noms.txt"
    names.write_text("Kim Jong Un\n\nzzzintrouvable\n", encoding="utf-8")
    r = cli("batch", str(names), "--json", "--index", str(plain_index))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert [(x["line"], x["total"] > 0) for x in got["lines"]] == [(1, True), (3, False)]
    r = cli("batch", "-", "--csv", "--index", str(plain_index), stdin="Kim Jong Un\n")
    _, header, rows = _csv_body(r.stdout.encode())
    assert r.returncode == 0 and len(rows) == got["lines"][0]["total"] and header[:2] == ["line", "query"]
    r = cli("batch", str(tmp_path / "absent.txt"), "--index", str(plain_index))
    assert r.returncode == 1 and "introuvable" in r.stderr
    r = cli("batch", "-", "--index", str(plain_index), stdin="\n")
    assert r.returncode == 2 and "vide" in r.stderr
