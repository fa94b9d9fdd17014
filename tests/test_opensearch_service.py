"""The web service on the OpenSearch backend, served by waitress (a real WSGI server) over
the session's 3-node cluster: a node killed with kill -9 while 8 clients search loses
no request and changes no total; a cluster that cannot be reached is a French 503 on
the API, the page and ``/healthz``, within the configured timeout."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from searchsvc.backends.opensearch.indexer import reindex
from searchsvc.backends.opensearch.client import connect
from searchsvc.backends.opensearch.engine import OpenSearchEngine
from searchsvc.web import create_app

WORDS = ["munitions", "Corée", "Iran", "Poutine", "artillerie", "Kim Jong Un", "missile", "Ukraine"]
ALIAS = "test-service"


class Served:
    """waitress serving ``app`` on a free loopback port, in a thread, until :meth:`stop`."""

    def __init__(self, app):
        from waitress import create_server

        self.server = create_server(app, host="127.0.0.1", port=0, threads=8)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def get(self, path: str, timeout: float = 60):
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.read()

    def stop(self) -> None:
        self.server.close()
        self.thread.join(10)


@pytest.fixture(scope="module")
def served(opensearch_cluster, fixture_corpus, tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    reindex(fixture_corpus, state, full=True, workers=1, client=opensearch_cluster.client(), alias=ALIAS)
    engine = OpenSearchEngine(state, alias=ALIAS,
                              client=connect(opensearch_cluster.env(SEARCHSVC_OPENSEARCH_TIMEOUT="30")))
    srv = Served(create_app({"TESTING": False, "INDEX_DIR": str(engine.index_dir), "ENGINE": engine,
                             "ADMIN_TOKEN": None, "CORPUS_DIR": str(fixture_corpus)}))
    yield srv
    srv.stop()
    engine.close()


def _total(srv, word: str) -> int:
    status, body = srv.get("/api/search?" + urllib.parse.urlencode({"q": word}))
    assert status == 200, body[:300]
    return json.loads(body)["total"]


def test_a_node_killed_during_eight_clients_searches_loses_no_request(served, opensearch_cluster):
    expected = {w: _total(served, w) for w in WORDS}
    assert sum(expected.values()) > 0
    stop = threading.Event()
    done, failures = [], []
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            w = rng.choice(WORDS)
            try:
                got = _total(served, w)
                with lock:
                    done.append((time.monotonic(), w))
                    if got != expected[w]:
                        failures.append(f"{w}: {got} au lieu de {expected[w]}")
            except Exception as exc:  # anything a user would see
                with lock:
                    failures.append(f"{w}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        killed_at = time.monotonic()
        opensearch_cluster.kill_node("node-2")
        time.sleep(10)  # the clients go on while the cluster is yellow
    finally:
        stop.set()
        for t in threads:
            t.join(120)
    assert failures == []
    assert len([d for d in done if d[0] > killed_at]) > 20
    opensearch_cluster.restart_node("node-2")
    assert opensearch_cluster.wait_green(180)["status"] == "green"
    assert {w: _total(served, w) for w in WORDS} == expected


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_cluster_is_a_french_503_within_the_timeout(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}"
    engine = OpenSearchEngine(tmp_path, alias=ALIAS, client=connect(
        {"SEARCHSVC_OPENSEARCH_URL": url, "SEARCHSVC_OPENSEARCH_TIMEOUT": "2"}))
    srv = Served(create_app({"TESTING": False, "INDEX_DIR": str(tmp_path), "ENGINE": engine,
                             "ADMIN_TOKEN": None}))
    try:
        t0 = time.monotonic()
        status, body = srv.get("/api/search?q=munitions")
        assert status == 503
        err = json.loads(body)["error"]
        assert err["code"] == "backend_unavailable"
        assert "OpenSearch est injoignable" in err["message"]
        status, body = srv.get("/healthz")
        health = json.loads(body)
        assert status == 503 and health["status"] == "backend_unavailable"
        assert "injoignable" in health["message"]
        status, body = srv.get("/?q=munitions")
        assert status == 503 and "injoignable" in body.decode("utf-8")
        assert time.monotonic() - t0 < 30
    finally:
        srv.stop()
        engine.close()
