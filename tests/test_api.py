"""The JSON API through Flask's test client, on a real index built from the fixtures."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from searchsvc.search import parse_params
from searchsvc.web import create_app
from searchsvc.web.openapi import openapi_document

TOKEN = "jeton-de-test-42"

# -- helpers -----------------------------------------------------------------

_DOC = openapi_document()
_REGISTRY = Registry().with_resource("urn:searchsvc:openapi", Resource.from_contents(_DOC, DRAFT202012))


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def assert_matches_openapi(resp, path: str, method: str = "get") -> None:
    """Validate a real response against the OpenAPI document's schema for it."""
    status = str(resp.status_code)
    op = _DOC["paths"][path][method]
    assert status in op["responses"], f"{method.upper()} {path} -> {status} is not documented"
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    ref = "urn:searchsvc:openapi#/" + _pointer(
        "paths", path, method, "responses", status, "content", "application/json", "schema")
    validator = Draft202012Validator({"$ref": ref}, registry=_REGISTRY)
    errors = sorted(validator.iter_errors(resp.get_json()), key=str)
    assert not errors, [e.message for e in errors]


def assert_error(resp, status: int, field: str | None = None) -> dict:
    assert resp.status_code == status, resp.data
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    err = resp.get_json()["error"]
    assert set(err) <= {"code", "message", "field"} and err["code"] and err["message"]
    if field:
        assert err.get("field") == field
    return err


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def injection_id(engine) -> str:
    """The id of the fixture article that contains ``<script>alert(1)</script>``."""
    res = engine.search(parse_params({"q": "alert", "per_page": "100"}))
    ids = [r["id"] for r in res["results"] if "&lt;script&gt;" in (r["snippet"] + (r["title"] or ""))
           or "<script>" in (r["title"] or "")]
    assert ids, "the script-injection fixture must be in the test index"
    return ids[0]


# -- search ------------------------------------------------------------------

def test_search_returns_the_engines_result_object(client, engine):
    resp = client.get("/api/search?q=munitions")
    assert resp.status_code == 200
    assert_matches_openapi(resp, "/api/search")
    body = resp.get_json()
    assert body["total"] > 0 and body["results"]
    assert all("<mark>" in r["snippet"] for r in body["results"])
    direct = engine.search(parse_params({"q": "munitions"}))
    body.pop("took_ms"), direct.pop("took_ms")
    assert body == direct  # exactly the engine's object, nothing added or lost


def test_search_filters_and_repeated_sources(client):
    all_ = client.get("/api/search?q=munitions&per_page=100").get_json()
    sources = [f["value"] for f in all_["facets"]["source"] if f["value"]]
    assert sources
    one = client.get("/api/search", query_string={"q": "munitions", "source": sources[0], "per_page": 100})
    assert_matches_openapi(one, "/api/search")
    assert {r["source"] for r in one.get_json()["results"]} == {sources[0]}
    both = client.get("/api/search", query_string=[("q", "munitions"), ("per_page", 100)]
                      + [("source", s) for s in sources[:2]]).get_json()
    assert both["total"] == sum(f["count"] for f in all_["facets"]["source"] if f["value"] in sources[:2])


@pytest.mark.parametrize("params, field", [
    ({"page": "0"}, "page"),
    ({"per_page": "1000"}, "per_page"),
    ({"date_from": "2022-13-45"}, "date_from"),
    ({"date_to": "2022-02-30"}, "date_to"),
    ({"sort": "popularity"}, "sort"),
    ({"page": "abc"}, "page"),
    ({"year": "22"}, "year"),
])
def test_bad_parameters_are_400_with_a_french_message(client, params, field):
    resp = client.get("/api/search", query_string={"q": "munitions", **params})
    err = assert_error(resp, 400, field)
    assert err["code"] == "invalid_parameter"
    assert_matches_openapi(resp, "/api/search")


def test_page_past_the_end_is_empty_not_an_error(client):
    resp = client.get("/api/search?q=munitions&page=999")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["results"] == [] and body["total"] > 0


# -- documents ---------------------------------------------------------------

def test_document_and_its_highlighting(client, engine):
    hit = engine.search(parse_params({"q": "munitions"}))["results"][0]
    resp = client.get(f"/api/documents/{hit['id']}")
    assert resp.status_code == 200
    assert_matches_openapi(resp, "/api/documents/{id}")
    doc = resp.get_json()
    assert doc["id"] == hit["id"] and doc["title"] == hit["title"] and doc["text"]
    marked = client.get(f"/api/documents/{hit['id']}?q=munitions").get_json()
    assert any("<mark>" in p for p in marked["highlighted"])


@pytest.mark.parametrize("doc_id", [
    "inconnu-123", "../../etc/passwd", "..%2F..%2Fsetup.cfg", "%2e%2e/%2e%2e/wsgi.py",
    "/etc/passwd", "corpus/000_19fa334dcca6aece", "a" * 5000, "x%00y",
])
def test_unknown_or_path_like_ids_are_404_json(client, doc_id):
    resp = client.get(f"/api/documents/{doc_id}", follow_redirects=True)
    err = assert_error(resp, 404)
    assert err["code"] in ("document_not_found", "not_found")


def test_file_path_of_a_real_article_is_not_an_id(client, fixture_corpus):
    path = next(p for p in sorted(Path(fixture_corpus).rglob("*.txt")))
    assert_error(client.get(f"/api/documents/{path}"), 404)
    assert_error(client.get(f"/api/documents/{path.name}"), 404)  # id has no extension


def test_similar(client, engine):
    hit = engine.search(parse_params({"q": "munitions"}))["results"][0]
    resp = client.get(f"/api/documents/{hit['id']}/similar?limit=3")
    assert resp.status_code == 200
    assert_matches_openapi(resp, "/api/documents/{id}/similar")
    body = resp.get_json()
    assert body["id"] == hit["id"] and 0 < len(body["results"]) <= 3
    assert hit["id"] not in [r["id"] for r in body["results"]]
    assert_error(client.get("/api/documents/inconnu-123/similar"), 404)
    for bad in ("0", "21", "x", "-1", "٣"):
        resp = client.get(f"/api/documents/{hit['id']}/similar?limit={bad}")
        assert_error(resp, 400, "limit")
        assert_matches_openapi(resp, "/api/documents/{id}/similar")


# -- health, errors, headers ---------------------------------------------------

def test_healthz(client, corpus_store, engine):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert_matches_openapi(resp, "/healthz")
    body = resp.get_json()
    assert body["status"] == "ok"
    assert body["generation"] == corpus_store.live_generation()
    assert body["documents"] == engine.search(parse_params({}))["total"] > 0


def test_no_index_is_503_json_not_500(tmp_path):
    app = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none"), "CORPUS_DIR": str(tmp_path)})
    c = app.test_client()
    resp = c.get("/healthz")
    assert resp.status_code == 503
    assert_matches_openapi(resp, "/healthz")
    resp = c.get("/api/search?q=x")
    assert_error(resp, 503)["code"] == "no_index"
    assert_matches_openapi(resp, "/api/search")
    page = c.get("/")
    assert page.status_code == 503 and "searchsvc reindex" in page.get_data(as_text=True)


@pytest.mark.parametrize("method, path, allowed", [
    ("post", "/api/search", "GET"),
    ("delete", "/api/documents/x", "GET"),
    ("put", "/healthz", "GET"),
    ("get", "/api/reindex", "POST"),
    ("post", "/api/openapi.json", "GET"),
])
def test_wrong_method_is_405_json_with_allow(client, method, path, allowed):
    resp = getattr(client, method)(path)
    err = assert_error(resp, 405)
    assert err["code"] == "method_not_allowed"
    assert allowed in resp.headers["Allow"]


def test_unknown_api_path_is_404_json(client):
    assert assert_error(client.get("/api/nothing/here"), 404)["code"] == "not_found"


def test_security_and_cache_headers(client):
    def csp_script_src(resp):
        csp = resp.headers["Content-Security-Policy"]
        directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
        return directives.get("script-src", directives.get("default-src"))

    expected = {
        "/api/search?q=munitions": "no-cache",
        "/api/openapi.json": "public, max-age=3600",
        "/healthz": "no-store",
        "/api/search?page=0": "no-store",
        "/": "no-cache",
        "/?q=munitions": "no-cache",
    }
    for url, cache in expected.items():
        resp = client.get(url)
        assert resp.headers["X-Content-Type-Options"] == "nosniff", url
        assert resp.headers["Cache-Control"] == cache, url
        src = csp_script_src(resp)
        assert src and "'unsafe-inline'" not in src and "'unsafe-eval'" not in src, url
        if url.startswith(("/api", "/healthz")):
            assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
        else:
            assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    with client.get("/static/app.js") as resp:
        assert resp.status_code == 200 and "max-age" in resp.headers["Cache-Control"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


# -- OpenAPI -----------------------------------------------------------------

def test_openapi_document_is_served_and_describes_every_endpoint(app, client):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.")
    Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api", "/healthz", "/feeds")):
            continue
        path = rule.rule.replace("<path:doc_id>", "{id}")
        served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented
    assert set(doc["components"]["schemas"]["SearchResult"]["required"]) == {
        "query", "total", "total_stories", "total_partial", "page", "per_page", "took_ms", "results",
        "facets", "facets_count", "copies", "suggestion", "notes"}


def test_openapi_rejects_a_wrong_response_shape(client):
    """The validator is not vacuous: a result object with a field missing fails."""
    resp = client.get("/api/search?q=munitions")
    body = resp.get_json()
    del body["results"][0]["snippet"]
    validator = Draft202012Validator(
        {"$ref": "urn:searchsvc:openapi#/components/schemas/SearchResult"}, registry=_REGISTRY)
    assert not validator.is_valid(body)


# -- reindex through the API ---------------------------------------------------

@pytest.fixture
def live(tmp_path, fixture_corpus):
    """A writable corpus and its own freshly built index, served by an app with a token."""
    from searchsvc.backends.whoosh.indexer import reindex

    corpus = tmp_path / "corpus"
    shutil.copytree(fixture_corpus, corpus)
    index = tmp_path / "index"
    reindex(corpus, index, full=True)
    app = create_app({"TESTING": True, "INDEX_DIR": str(index), "CORPUS_DIR": str(corpus),
                      "ADMIN_TOKEN": TOKEN})
    yield app, corpus, index
    app.extensions["searchsvc.reindex"].join(60)


def _auth(token=TOKEN):
    return {"Authorization": f"Bearer {token}"}


def test_reindex_disabled_without_token_says_how_to_enable(client):
    for resp in (client.post("/api/reindex", headers=_auth()), client.get("/api/reindex/status")):
        err = assert_error(resp, 403)
        assert err["code"] == "admin_disabled" and "SEARCHSVC_ADMIN_TOKEN" in err["message"]
        assert_matches_openapi(resp, "/api/reindex" if resp.request.method == "POST" else "/api/reindex/status",
                               resp.request.method.lower())


def test_reindex_token_from_the_environment(monkeypatch, built_index):
    monkeypatch.setenv("SEARCHSVC_ADMIN_TOKEN", TOKEN)
    c = create_app({"TESTING": True, "INDEX_DIR": str(built_index)}).test_client()
    assert c.get("/api/reindex/status", headers=_auth()).status_code == 200
    monkeypatch.setenv("SEARCHSVC_ADMIN_TOKEN", "")
    c = create_app({"TESTING": True, "INDEX_DIR": str(built_index)}).test_client()
    assert c.get("/api/reindex/status", headers=_auth("")).status_code == 403


@pytest.mark.parametrize("headers", [
    {}, _auth("mauvais"), _auth(TOKEN + "x"), _auth(TOKEN[:-1]), {"Authorization": TOKEN},
    {"Authorization": f"Basic {TOKEN}"}, _auth(""), {"Authorization": "Bearer é".encode().decode("latin-1")},
])
def test_reindex_wrong_or_missing_token_is_401(live, headers):
    app, _, _ = live
    c = app.test_client()
    for resp, path, method in ((c.post("/api/reindex", headers=headers), "/api/reindex", "post"),
                               (c.get("/api/reindex/status", headers=headers), "/api/reindex/status", "get")):
        assert assert_error(resp, 401)["code"] == "invalid_token"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert_matches_openapi(resp, path, method)
    assert app.extensions["searchsvc.reindex"].status()["state"] == "idle"


def _wait_status(c, timeout=60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resp = c.get("/api/reindex/status", headers=_auth())
        assert_matches_openapi(resp, "/api/reindex/status")
        st = resp.get_json()
        if st["state"] in ("done", "failed"):
            return st
        time.sleep(0.05)
    raise AssertionError("reindex did not finish")


@pytest.mark.parametrize("full", [False, True])
def test_reindex_through_the_api_serves_the_new_article(live, full):
    app, corpus, index = live
    c = app.test_client()
    word = "zorglubienne"
    assert c.get(f"/api/search?q={word}").get_json()["total"] == 0
    (corpus / "nouvel-article.txt").write_text(
        f"Une découverte {word}\n\nLes chercheurs décrivent une espèce {word} observée en 2023.\n",
        encoding="utf-8")
    resp = c.post("/api/reindex", json={"full": full}, headers=_auth())
    assert resp.status_code == 202
    assert_matches_openapi(resp, "/api/reindex", "post")
    body = resp.get_json()
    assert body["full"] is full and resp.headers["Location"] == body["status_url"] == "/api/reindex/status"
    st = _wait_status(c)
    assert st["state"] == "done", st
    assert st["report"] and st["full"] is full
    deadline = time.monotonic() + 2.0  # the engine follows the new generation by itself
    while c.get(f"/api/search?q={word}").get_json()["total"] == 0:
        assert time.monotonic() < deadline, "new article not served within 2 s"
        time.sleep(0.05)


def test_second_reindex_while_one_runs_is_409(live):
    app, corpus, index = live
    c = app.test_client()
    job = app.extensions["searchsvc.reindex"]
    # Make the first run last: a corpus large enough to take a moment.
    src = next(corpus.glob("*.txt")).read_text(encoding="utf-8")
    for i in range(200):
        (corpus / f"copie-{i:03d}.txt").write_text(f"Copie {i}\n\n{src}", encoding="utf-8")
    assert c.post("/api/reindex?full=1", headers=_auth()).status_code == 202
    resp = c.post("/api/reindex", headers=_auth())
    err = assert_error(resp, 409)
    assert err["code"] == "reindex_running" and resp.headers["Location"] == "/api/reindex/status"
    assert_matches_openapi(resp, "/api/reindex", "post")
    assert _wait_status(c)["state"] == "done" and job.status()["full"] is True


def test_reindex_while_the_cli_holds_the_lock_reports_it(live):
    from searchsvc.backends.whoosh.indexer.store import reindex_lock

    app, corpus, index = live
    c = app.test_client()
    with reindex_lock(index):
        assert c.post("/api/reindex", headers=_auth()).status_code == 202
        st = _wait_status(c)
    assert st["state"] == "failed" and "en cours" in st["error"]


def test_new_generation_served_without_failing_requests_in_flight(live):
    """Readers hammer the app while a full reindex switches generations."""
    from searchsvc.backends.whoosh.indexer import reindex

    app, corpus, index = live
    word = "xylophonique"
    (corpus / "ajout.txt").write_text(f"Un ajout {word}\n\nTexte {word} pour la nouvelle génération.\n",
                                      encoding="utf-8")
    statuses: list[int] = []
    stop = threading.Event()

    def reader():
        c = app.test_client()
        while not stop.is_set():
            for url in ("/api/search?q=munitions", "/?q=munitions", "/healthz"):
                statuses.append(c.get(url).status_code)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        gen_before = app.test_client().get("/healthz").get_json()["generation"]
        reindex(corpus, index, full=True)
        t0 = time.monotonic()
        c = app.test_client()
        while c.get(f"/api/search?q={word}").get_json()["total"] == 0:
            assert time.monotonic() - t0 < 2.0, "new generation not served within 2 s"
            time.sleep(0.05)
        assert c.get("/healthz").get_json()["generation"] != gen_before
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert statuses and set(statuses) == {200}


# -- fuzz: no input gives a 500 -------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_KEYS = ["q", "source", "lang", "date_from", "date_to", "year", "sort", "page", "per_page",
         "sources", "from", "to", "month", "limit", "x"]
_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "-", '"', "(", ")", "*", "AND", "OR NOT", "date:[last week to now]",
                     "title:", "source:(", "munit*", "0", "-1", "1000", "2022-13-45", "2022-02-29",
                     "relevance", "newest", "\x00", "é" * 3000, "<script>alert(1)</script>",
                     "unknown", "9" * 30, "１２", "%", "\u202e", "\ud7ff"]),
    st.from_regex(r"\A[0-9]{1,4}(-[0-9]{1,2}(-[0-9]{1,2})?)?\Z"),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(_KEYS), _TEXT), max_size=6))
def test_fuzz_search_parameters_never_500(app, pairs):
    c = app.test_client()
    for url in ("/api/search", "/"):
        resp = c.get(url, query_string=pairs)
        assert resp.status_code in (200, 400), (url, pairs, resp.status_code, resp.data[:300])
        if url == "/api/search":
            assert_matches_openapi(resp, "/api/search")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=80), st.text(max_size=30))
def test_fuzz_document_ids_never_500(app, doc_id, q):
    c = app.test_client()
    quoted = urllib.parse.quote(doc_id, safe="/")
    for url in (f"/api/documents/{quoted}", f"/api/documents/{quoted}/similar", f"/documents/{quoted}"):
        resp = c.get(url, query_string={"q": q})
        assert resp.status_code in (200, 301, 308, 404), (url, resp.status_code, resp.data[:300])


def test_unexpected_exception_is_a_logged_json_500(built_index, caplog):
    """The safety net (the fuzz tests show no input reaches it): JSON, logged, no trace leaked."""
    app = create_app({"TESTING": True, "INDEX_DIR": str(built_index)})

    @app.get("/api/_boom")
    def _boom():
        raise RuntimeError("secret internal detail")

    resp = app.test_client().get("/api/_boom")
    err = assert_error(resp, 500)
    assert err["code"] == "internal_error" and "secret" not in err["message"]
    assert "secret internal detail" in caplog.text


def test_reindex_worker_reports_an_unusable_corpus_in_one_line(tmp_path, capsys):
    """A corpus where every file is skipped gives a French one-line error, not a traceback."""
    from searchsvc.web import reindex_worker

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "vide.txt").write_bytes(b"")
    code = reindex_worker.main([str(corpus), str(tmp_path / "index")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err and err.strip()


def test_repeated_year_and_lang_are_or_within_and_across_facets(client):
    listing = client.get("/api/search?per_page=1").get_json()
    years = [f["value"] for f in listing["facets"]["year"] if f["value"]][:2]
    each = [client.get(f"/api/search?year={y}").get_json()["total"] for y in years]
    resp = client.get(f"/api/search?year={years[0]}&year={years[1]}")
    assert_matches_openapi(resp, "/api/search")
    assert resp.get_json()["total"] == sum(each) > 0
    fr = client.get(f"/api/search?year={years[0]}&year={years[1]}&lang=fr").get_json()["total"]
    both = client.get(f"/api/search?year={years[0]}&year={years[1]}&lang=fr&lang=en").get_json()["total"]
    en = client.get(f"/api/search?year={years[0]}&year={years[1]}&lang=en").get_json()["total"]
    assert both == fr + en and fr <= sum(each)


def test_partial_matches_and_notes_in_the_api(client):
    resp = client.get("/api/search?q=munitions+T%C3%A9h%C3%A9ran")
    assert_matches_openapi(resp, "/api/search")
    body = resp.get_json()
    assert body["total"] and body["total_partial"] and body["notes"] == []
    flags = [x["partial"] for x in body["results"]]
    assert flags == sorted(flags) and flags.count(False) == body["total"]
