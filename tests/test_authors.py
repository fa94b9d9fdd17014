"""The byline as the article's author from end to end: ingested from HTML, stored in the
index, in the API's results and document, filtered with ``author=`` and ``--author``,
shown on the page. Real files, a real index, the real WSGI app and CLI process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_ingest_author import page

ROOT = Path(__file__).resolve().parent.parent
LD = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Budget voté", '
      '"author": [{"@type": "Person", "name": "Paul Durand"}, {"name": "Jeanne Martin"}]}</script>')


def write_signed_corpus(corpus: Path, seed_corpus: Path) -> None:
    shutil.copytree(seed_corpus, corpus)
    (corpus / "signe_martin.html").write_text(page(byline="<p>Par Jeanne Martin, à Lyon</p>"), encoding="utf-8")
    (corpus / "signe_duo.html").write_text(page(head=LD), encoding="utf-8")
    (corpus / "signe_meta.html").write_text(page(head='<meta name="author" content="Léa Petit">'),
                                            encoding="utf-8")


@pytest.fixture(scope="module")
def signed_index(tmp_path_factory, seed_corpus):
    from searchsvc.backends.whoosh.indexer import reindex

    work = tmp_path_factory.mktemp("authors")
    write_signed_corpus(work / "corpus", seed_corpus)
    reindex(work / "corpus", work / "index", full=True, workers=1)
    return work / "corpus", work / "index"


@pytest.fixture(scope="module")
def client(signed_index):
    from searchsvc.backends.whoosh import SearchEngine
    from searchsvc.web import create_app

    corpus, index = signed_index
    app = create_app({"TESTING": True, "INDEX_DIR": str(index), "CORPUS_DIR": str(corpus),
                      "ENGINE": SearchEngine(index), "ADMIN_TOKEN": None})
    return app.test_client()


def test_the_author_is_in_results_and_documents_and_filters_by_name(client):
    r = client.get("/api/search?q=conseil municipal budget&copies=all&per_page=20").get_json()
    authors = {hit["id"]: hit["author"] for hit in r["results"]}
    assert authors["signe_martin"] == "Jeanne Martin"
    assert authors["signe_duo"] == "Paul Durand, Jeanne Martin"
    assert authors["signe_meta"] == "Léa Petit"
    assert client.get("/api/documents/signe_duo").get_json()["author"] == "Paul Durand, Jeanne Martin"

    def ids(**params):
        got = client.get("/api/search", query_string={"copies": "all", "per_page": 50, **params}).get_json()
        return {hit["id"] for hit in got["results"]}

    # each name of a byline is a filter value; several are alternatives; with the query too
    assert ids(author="Jeanne Martin") == {"signe_martin", "signe_duo"}
    assert ids(author=["Paul Durand", "Léa Petit"]) == {"signe_duo", "signe_meta"}
    assert ids(author="Jeanne Martin", q="budget") == {"signe_martin", "signe_duo"}
    assert ids(author="Jeanne") == set()  # exact names, as for sources
    unknown = ids(author="unknown")
    assert unknown and not unknown & {"signe_martin", "signe_duo", "signe_meta"}
    # the filter applies to the analytics views too (they share the search parameters)
    tl = client.get("/api/timeline", query_string={"author": "Jeanne Martin"}).get_json()
    assert tl["total"] == 2


def test_the_page_shows_the_author_and_keeps_the_filter(client):
    html = client.get("/?q=budget&author=Jeanne+Martin&copies=all").get_data(as_text=True)
    assert 'name="author" value="Jeanne Martin" checked' in html  # the filter stays in the form
    assert "par <a href=\"/?author=Jeanne+Martin\">Jeanne Martin</a>" in html
    doc = client.get("/documents/signe_duo").get_data(as_text=True)
    assert '<dt>Auteur</dt>' in doc and "/?author=Paul+Durand" in doc and "/?author=Jeanne+Martin" in doc


def test_cli_search_filters_by_author(signed_index):
    corpus, index = signed_index
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SEARCHSVC_NER": "0"}
    p = subprocess.run([sys.executable, "-m", "searchsvc.cli", "search", "budget", "--author", "Léa Petit",
                        "--all-copies", "--json", "--index", str(index)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert [hit["id"] for hit in got["results"]] == ["signe_meta"]
    p = subprocess.run([sys.executable, "-m", "searchsvc.cli", "search", "budget", "--author", "Jeanne Martin",
                        "--all-copies", "--index", str(index)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "par Jeanne Martin" in p.stdout and "par Paul Durand, Jeanne Martin" in p.stdout
