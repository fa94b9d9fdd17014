"""`searchsvc serve`: the real command, waitress on a free loopback port."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import procs
import pytest
from serving import Served

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.timeout(240)  # a server test fails rather than hang the suite


def test_serve_indexes_the_corpus_first_when_there_is_no_index(tmp_path, fixture_corpus):
    corpus = tmp_path / "corpus"
    shutil.copytree(fixture_corpus, corpus)
    index = tmp_path / "index"
    assert not index.exists()
    srv = Served("--threads", "2", env={"SEARCHSVC_CORPUS": str(corpus), "SEARCHSVC_INDEX": str(index),
                                        "_STDERR": str(tmp_path / "err.log")})
    try:
        status, headers, body = srv.get("/healthz")
        assert status == 200 and headers["Server"] == "searchsvc"
        health = json.loads(body)
        assert health["status"] == "ok" and health["documents"] > 0
        assert (index / "CURRENT").read_text().strip() == health["generation"]
        status, headers, body = srv.get("/api/search?q=munitions")
        assert status == 200 and json.loads(body)["total"] > 0
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        status, _, body = srv.get("/api/search?page=0")
        assert status == 400 and json.loads(body)["error"]["code"] == "invalid_parameter"
    finally:
        assert srv.stop() == 0
    err = (tmp_path / "err.log").read_text(encoding="utf-8")
    assert "Aucun index" in err and "indexation" in err


def test_serve_picks_up_a_cli_reindex_without_restart(tmp_path, fixture_corpus):
    corpus = tmp_path / "corpus"
    shutil.copytree(fixture_corpus, corpus)
    index = tmp_path / "index"
    srv = Served("--corpus", str(corpus), "--index", str(index), env={"_STDERR": str(tmp_path / "err.log")})
    try:
        word = "zorglubienne"
        assert json.loads(srv.get(f"/api/search?q={word}")[2])["total"] == 0
        (corpus / "nouveau.txt").write_text(f"Titre {word}\n\nUne nouvelle {word} ici.\n", encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "searchsvc.cli", "reindex", "--full", "--quiet",
                               "--corpus", str(corpus), "--index", str(index)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        t0 = time.monotonic()
        while json.loads(srv.get(f"/api/search?q={word}")[2])["total"] == 0:
            assert time.monotonic() - t0 < 2.0, "new generation not served within 2 s"
            time.sleep(0.05)
    finally:
        assert srv.stop() == 0


def test_serve_reports_a_busy_port(tmp_path, built_index):
    srv = Served("--index", str(built_index))
    try:
        port = srv.url.rsplit(":", 1)[1]
        other = subprocess.run([sys.executable, "-m", "searchsvc.cli", "serve", "--port", port,
                                "--index", str(built_index)],
                               cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert other.returncode == 1
        assert "Impossible d'écouter" in other.stderr
    finally:
        assert srv.stop() == 0


def test_serve_without_corpus_or_index_fails_clearly(tmp_path):
    done = subprocess.run([sys.executable, "-m", "searchsvc.cli", "serve", "--port", "0",
                           "--corpus", str(tmp_path / "absent"), "--index", str(tmp_path / "index")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Échec de l'indexation" in done.stderr or "Aucun index" in done.stderr


def test_wsgi_module_exposes_the_app(built_index):
    code = ("import wsgi, json; c = wsgi.app.test_client(); r = c.get('/healthz'); "
            "print(json.dumps([type(wsgi.app).__name__, r.status_code, r.get_json()['documents']]))")
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "SEARCHSVC_INDEX": str(built_index)})
    assert done.returncode == 0, done.stderr
    name, status, documents = json.loads(done.stdout)
    assert name == "Flask" and status == 200 and documents > 0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_serve_with_several_worker_processes_shares_the_reindex_status(tmp_path, fixture_corpus):
    corpus = tmp_path / "corpus"
    shutil.copytree(fixture_corpus, corpus)
    index = tmp_path / "index"
    srv = Served("--workers", "2", "--threads", "2", "--corpus", str(corpus), "--index", str(index),
                 env={"SEARCHSVC_ADMIN_TOKEN": "jeton-42", "_STDERR": str(tmp_path / "err.log")})
    try:
        deadline = time.monotonic() + 10
        while len(procs.children(srv.proc.pid)) < 2:
            assert time.monotonic() < deadline, "two worker processes expected"
            time.sleep(0.05)
        workers = procs.children(srv.proc.pid)
        for _ in range(20):  # new connection each time: both processes answer
            assert srv.get("/healthz")[0] == 200
        req = urllib.request.Request(srv.url + "/api/reindex?full=1", method="POST",
                                     headers={"Authorization": "Bearer jeton-42"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 202
        states = []
        deadline = time.monotonic() + 120
        while not states or states[-1] not in ("done", "failed"):
            assert time.monotonic() < deadline
            req = urllib.request.Request(srv.url + "/api/reindex/status",
                                         headers={"Authorization": "Bearer jeton-42"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                states.append(json.load(resp)["state"])
            time.sleep(0.05)
        assert states[-1] == "done" and "idle" not in states  # every process sees the same job
    finally:
        assert srv.stop() == 0
    assert not any(Path(f"/proc/{pid}").exists() and (Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z")
                   for pid in workers)


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"),
                    reason="needs /proc, fork and two cores")
def test_serve_defaults_to_two_processes_on_two_cores(tmp_path, fixture_corpus):
    """Searches are CPU-bound and one Python process computes on one core at a time:
    without --workers, a machine with two cores is served by two processes."""
    corpus = tmp_path / "corpus"
    shutil.copytree(fixture_corpus, corpus)
    srv = Served("--corpus", str(corpus), "--index", str(tmp_path / "index"))
    try:
        deadline = time.monotonic() + 10
        while len(procs.children(srv.proc.pid)) < 2:
            assert time.monotonic() < deadline, "two serving processes expected by default"
            time.sleep(0.05)
        assert len(procs.children(srv.proc.pid)) == 2
        assert srv.get("/healthz")[0] == 200
    finally:
        assert srv.stop() == 0
