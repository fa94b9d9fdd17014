"""A serving process warms up before it accepts requests (searchsvc.web.warmup): the real
app over a real index, the requests sent through Flask's test client."""

from __future__ import annotations

import pytest

from searchsvc.web import create_app
from searchsvc.web.warmup import warm_app, warm_paths


@pytest.fixture
def fresh_app(plain_index, fixture_corpus):
    return create_app({"INDEX_DIR": str(plain_index), "CORPUS_DIR": str(fixture_corpus),
                       "SYNONYMS_PATH": None})


def test_warm_up_builds_what_the_first_searches_need(fresh_app, monkeypatch):
    monkeypatch.delenv("SEARCHSVC_WARM", raising=False)
    holder = fresh_app.extensions["searchsvc.engine"]
    assert holder._engine is None  # nothing opened before
    answered = warm_app(fresh_app)
    engine = holder.get()
    gen = engine._gen
    assert gen is not None  # the generation is open, with its caches built
    stats = gen.cache_stats()
    assert stats["prefixes"] > 0  # the prefix search's expansion
    assert len(gen.spans["body"]._entries) > 0  # the snippets' words analysed (highlighting)
    # every warm-up request was answered: listing, searches, page, panels, article
    paths = warm_paths(fresh_app.test_client().get("/api/search").get_json())
    assert len(paths) > 8 and answered == 1 + len(paths)
    assert {p.split("?")[0] for p in paths} >= {"/", "/api/search", "/panels", "/api/timeline"}
    assert any(p.startswith("/documents/") for p in paths)


def test_warm_up_is_bounded_and_can_be_turned_off(fresh_app, monkeypatch):
    monkeypatch.setenv("SEARCHSVC_WARM", "0")
    assert warm_app(fresh_app) == 0
    assert fresh_app.extensions["searchsvc.engine"]._engine is None
    monkeypatch.setenv("SEARCHSVC_WARM", "1")
    assert warm_app(fresh_app, seconds=0.0) == 1  # the listing only, then out of time


def test_warm_up_never_stops_a_service_without_index(tmp_path, fixture_corpus, monkeypatch):
    monkeypatch.delenv("SEARCHSVC_WARM", raising=False)
    app = create_app({"INDEX_DIR": str(tmp_path / "absent"), "CORPUS_DIR": str(fixture_corpus),
                      "SYNONYMS_PATH": None})
    assert warm_app(app) == 0  # 503 until an index exists: nothing to warm
