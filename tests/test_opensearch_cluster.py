"""The local OpenSearch cluster and the connection to it, with real nodes and real faults:
the ``searchsvc cluster`` command, a 3-node cluster that turns green, an index of 3 primary
shards with a replica each, a node killed with ``kill -9`` while 8 clients search (no
failed request, unchanged counts, green again once the node is back), and an unreachable
cluster that fails fast with a French message."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from opensearch_fixtures import cluster_tmpdir, searchsvc_cli, start_watchdog
from searchsvc.backends.opensearch import cluster
from searchsvc.backends.opensearch.client import (BackendUnavailable, ConfigurationError,
                                                   cluster_health, connect, search, settings)

pytestmark = pytest.mark.slow

# English a user could see in a message
ENGLISH = re.compile(r"\b(error|failed|refused|timeout|timed out|connection|unavailable|"
                     r"Traceback|not found|unreachable)\b", re.IGNORECASE)
#: request timeout of the tests' clients: the machine running them may be very busy (a
#: timeout is not retried, by design, and would count as a failure)
SLOW_MACHINE_TIMEOUT = "60"
WORDS = ("alpha", "beta", "gamma", "delta", "epsilon")
DOCS = 3000


def assert_french(text: str) -> None:
    assert not ENGLISH.findall(text), f"English in: {text}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the command -------------------------------------------------------------------


def test_cli_start_status_stop_and_stopped_cluster_is_unavailable():
    """A 1-node cluster through the real command: start prints the URL, status says green
    with the live pid, start again keeps it; the watchdog stops it once its owner is gone,
    start resumes it, stop ends the process group, then the connection fails within its
    timeout with a French message."""
    d = cluster_tmpdir("searchsvc-cli-")
    try:
        r = searchsvc_cli("cluster", "start", "--nodes", "1", "--port-base", "0", "--dir", str(d),
                          timeout=600)
        assert r.returncode == 0, r.stderr
        url = r.stdout.strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert "Cluster vert en" in r.stderr
        st = json.loads(searchsvc_cli("cluster", "status", "--dir", str(d), "--json").stdout)
        assert st["url"] == url and st["health"] == "green"
        [node] = st["nodes"]
        assert node["url"] == url and node["running"]
        pid = node["pid"]
        assert cluster.node_rss_mb(pid) > 100  # a JVM, alive

        again = searchsvc_cli("cluster", "start", "--nodes", "1", "--dir", str(d))
        assert again.returncode == 0 and again.stdout.strip() == url
        assert json.loads(searchsvc_cli("cluster", "status", "--dir", str(d), "--json")
                          .stdout)["nodes"][0]["pid"] == pid

        text = searchsvc_cli("cluster", "status", "--dir", str(d))
        assert "État : vert" in text.stdout and f"pid {pid}" in text.stdout

        os.killpg(pid, signal.SIGSTOP)  # alive, not answering
        try:
            assert json.loads(searchsvc_cli("cluster", "status", "--dir", str(d), "--json")
                              .stdout)["health"] == "unreachable"
        finally:
            os.killpg(pid, signal.SIGCONT)

        # the test session's safety net: its cluster stops once the session's process is gone
        owner = subprocess.Popen(["sleep", "600"])
        watchdog = start_watchdog(d, owner.pid)
        owner.kill()
        owner.wait()
        assert watchdog.wait(60) == 0
        assert cluster.node_rss_mb(pid) is None
        assert json.loads(searchsvc_cli("cluster", "status", "--dir", str(d), "--json")
                          .stdout)["health"] == "stopped"

        # start resumes the stopped cluster (same folder, same port)
        again = searchsvc_cli("cluster", "start", "--nodes", "1", "--dir", str(d), timeout=600)
        assert again.returncode == 0 and again.stdout.strip() == url, again.stderr
        pid = json.loads(searchsvc_cli("cluster", "status", "--dir", str(d), "--json")
                         .stdout)["nodes"][0]["pid"]

        stop = searchsvc_cli("cluster", "stop", "--dir", str(d))
        assert stop.returncode == 0 and "Nœuds arrêtés : node-1." in stop.stderr
        assert cluster.node_rss_mb(pid) is None  # the whole group is gone
        st = json.loads(searchsvc_cli("cluster", "status", "--dir", str(d), "--json").stdout)
        assert st["health"] == "stopped" and st["nodes"][0]["pid"] is None
        assert "Aucun nœud ne tournait." in searchsvc_cli("cluster", "stop", "--dir", str(d)).stderr

        client = connect({"SEARCHSVC_OPENSEARCH_URL": url, "SEARCHSVC_OPENSEARCH_TIMEOUT": "3"})
        t0 = time.monotonic()
        with pytest.raises(BackendUnavailable) as err:
            cluster_health(client)
        assert time.monotonic() - t0 < 3
        assert "OpenSearch est injoignable" in str(err.value) and url in str(err.value)
        assert_french(str(err.value))
    finally:
        searchsvc_cli("cluster", "stop", "--dir", str(d))
        shutil.rmtree(d, ignore_errors=True)


def test_cli_errors_are_french(tmp_path):
    r = searchsvc_cli("cluster", "status", "--dir", str(tmp_path / "rien"))
    assert r.returncode == 1
    assert "Aucun cluster dans" in r.stderr and "searchsvc cluster start" in r.stderr
    r = searchsvc_cli("cluster", "start", "--heap", "4096")
    assert r.returncode == 2 and "4096 hors limites : entre 128 et 512 attendu" in r.stderr


def test_missing_java_or_maven_is_a_french_error(tmp_path):
    """What a clean machine without Java, then without Maven, is told (the test fixture
    fails with the same message)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {"PATH": str(bin_dir), "SEARCHSVC_OPENSEARCH_INSTALL_DIR": str(tmp_path / "install"),
           "HOME": str(tmp_path)}
    args = ("cluster", "start", "--dir", str(tmp_path / "c"), "--port-base", "0")
    r = searchsvc_cli(*args, env=env)
    assert r.returncode == 1
    assert "Java est introuvable : OpenSearch a besoin de Java 17" in r.stderr
    (bin_dir / "java").symlink_to(shutil.which("java"))
    r = searchsvc_cli(*args, env=env)
    assert r.returncode == 1
    assert "Maven (mvn) est introuvable" in r.stderr and "apt-get install maven" in r.stderr
    assert not (tmp_path / "install" / "opensearch-2.19.6").exists()


def test_cli_refuses_a_busy_port():
    d = cluster_tmpdir("searchsvc-busy-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = searchsvc_cli("cluster", "start", "--nodes", "1", "--port-base", str(port),
                          "--dir", str(d))
    shutil.rmtree(d, ignore_errors=True)
    assert r.returncode == 1
    assert f"Le port {port} de 127.0.0.1 est déjà utilisé" in r.stderr


def test_a_node_this_process_started_runs_until_it_is_reaped(tmp_path):
    """Just after the exec, ``/proc/<pid>/environ`` can read empty (the kernel fills it in
    after Popen returns): a restarted node was once judged dead at once (CI, 2026-12-05).
    A child of ours is running until reaped; a pid not ours must still prove it is the
    node (pids get reused)."""
    proc = subprocess.Popen(["sleep", "60"], start_new_session=True)  # no node's environ
    node = {"name": "node-1", "pid": proc.pid}
    try:
        cluster._children[proc.pid] = proc
        assert cluster.is_running(tmp_path, node)
        del cluster._children[proc.pid]
        assert not cluster.is_running(tmp_path, node)  # not ours: not that node's process
        cluster._children[proc.pid] = proc
        proc.kill()
        proc.wait(10)
        assert not cluster.is_running(tmp_path, node)
        assert proc.pid not in cluster._children
    finally:
        cluster._children.pop(proc.pid, None)
        proc.kill()
        proc.wait(10)


# -- the session's cluster -----------------------------------------------------------


def test_session_cluster_has_three_green_nodes(opensearch_cluster):
    r = searchsvc_cli("cluster", "status", "--dir", str(opensearch_cluster.dir), "--json")
    st = json.loads(r.stdout)
    assert st["health"] == "green"
    assert [n["name"] for n in st["nodes"]] == ["node-1", "node-2", "node-3"]
    assert all(n["running"] for n in st["nodes"])
    client = opensearch_cluster.client(SEARCHSVC_OPENSEARCH_TIMEOUT=SLOW_MACHINE_TIMEOUT)
    nodes = client.cat.nodes(format="json", h="name,heap.max")
    assert sorted(n["name"] for n in nodes) == ["node-1", "node-2", "node-3"]
    assert all(n["heap.max"] in ("512mb", "512.0mb") for n in nodes), nodes
    # each node listens on loopback only
    info = client.nodes.info(metric="http,transport")
    for node in info["nodes"].values():
        for addr in node["http"]["bound_address"] + node["transport"]["bound_address"]:
            assert addr.startswith(("127.0.0.1:", "[::1]:")), addr


def _expected_counts(docs: list[dict]) -> dict[str, int]:
    return {w: sum(w in d["body"].split() for d in docs) for w in WORDS}


@pytest.fixture(scope="module")
def fault_index(opensearch_cluster):
    """An index of DOCS documents, 3 primary shards and 1 replica each, green."""
    client = opensearch_cluster.client(SEARCHSVC_OPENSEARCH_TIMEOUT=SLOW_MACHINE_TIMEOUT)
    rng = random.Random(22)
    docs = [{"n": i, "body": " ".join(w for w in WORDS if rng.random() < 0.4) or "vide"}
            for i in range(DOCS)]
    name = "faults"
    client.indices.create(index=name, body={
        "settings": {"number_of_shards": 3, "number_of_replicas": 1},
        "mappings": {"properties": {"body": {"type": "text", "analyzer": "whitespace"},
                                    "n": {"type": "integer"}}}})
    lines = []
    for d in docs:
        lines += [{"index": {"_index": name, "_id": str(d["n"])}}, d]
    r = client.bulk(body=lines, refresh="true")
    assert not r["errors"]
    opensearch_cluster.wait_green(120)
    yield name, _expected_counts(docs)
    client.indices.delete(index=name)


def test_index_with_three_primaries_and_a_replica_is_green(opensearch_cluster, fault_index):
    name, expected = fault_index
    client = opensearch_cluster.client(SEARCHSVC_OPENSEARCH_TIMEOUT=SLOW_MACHINE_TIMEOUT)
    h = client.cluster.health(index=name)
    assert h["status"] == "green"
    assert h["active_primary_shards"] == 3 and h["active_shards"] == 6
    shards = client.cat.shards(index=name, format="json")
    assert len({s["node"] for s in shards}) == 3  # spread over the three nodes
    assert client.count(index=name)["count"] == DOCS
    for w, n in expected.items():
        assert client.count(index=name, body={"query": {"match": {"body": w}}})["count"] == n


def test_node_killed_during_searches_loses_no_request(opensearch_cluster, fault_index):
    """8 threads search through one client (all three URLs) while node-1 is killed with
    SIGKILL: no request fails, every total stays right; once restarted, green again. An
    index that lost a shard with its node gives no partial result: a French error."""
    name, expected = fault_index
    client = opensearch_cluster.client(SEARCHSVC_OPENSEARCH_TIMEOUT=SLOW_MACHINE_TIMEOUT)
    stop = threading.Event()
    done: list[tuple[float, str, int]] = []
    failures: list[str] = []
    lock = threading.Lock()

    def searcher(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            w = rng.choice(WORDS)
            try:
                r = search(client, index=name, body={"query": {"match": {"body": w}},
                                                     "size": 3, "track_total_hits": True})
                total = r["hits"]["total"]["value"]
                with lock:
                    done.append((time.monotonic(), w, total))
                    hits = len(r["hits"]["hits"])
                    if total != expected[w] or r["_shards"]["failed"] or hits != min(3, total):
                        failures.append(f"{w}: {total}/{expected[w]}, {hits} hits, {r['_shards']}")
            except Exception as exc:  # any error a user would see
                with lock:
                    failures.append(f"{w}: {type(exc).__name__}: {exc}")

    # an index without replicas, one shard on node-1 and one on node-2: half of it is lost
    client.indices.create(index="halves", body={"settings": {
        "number_of_shards": 2, "number_of_replicas": 0,
        "index.routing.allocation.include._name": "node-1,node-2",
        "index.routing.allocation.total_shards_per_node": 1}})
    client.bulk(body=[x for i in range(20) for x in ({"index": {"_index": "halves"}}, {"n": i})],
                refresh="true")
    opensearch_cluster.wait_green(120)
    assert search(client, index="halves", body={"size": 0})["hits"]["total"]["value"] == 20

    threads = [threading.Thread(target=searcher, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    try:
        time.sleep(2)
        killed_at = time.monotonic()
        pid = opensearch_cluster.kill_node("node-1")
        assert cluster.node_rss_mb(pid) is None
        # OpenSearch itself answers 200 with what the remaining shard holds (once the
        # cluster has noticed, with ``failed: 0``: only ``successful`` < ``total`` says so)...
        raw = client.search(index="halves", body={"size": 0})
        assert raw["_shards"]["successful"] == 1 and raw["hits"]["total"]["value"] < 20
        # ...which search() does not pass on as a result: a French 503 message instead
        with pytest.raises(BackendUnavailable) as err:
            search(client, index="halves", body={"size": 0})
        assert str(err.value).startswith("OpenSearch n'a répondu qu'en partie (1 fragments "
                                         "de l'index sur 2 ont répondu)")
        assert_french(str(err.value))
        time.sleep(8)  # searches go on while the cluster is yellow
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    after = [d for d in done if d[0] > killed_at]
    assert failures == []
    assert len(done) > 50 and len(after) > 20, (len(done), len(after))
    assert {w for _, w, _ in after} == set(WORDS)

    opensearch_cluster.restart_node("node-1")
    assert opensearch_cluster.wait_green(180)["status"] == "green"
    assert opensearch_cluster.status()["health"] == "green"
    for w, n in expected.items():
        r = client.search(index=name, body={"query": {"match": {"body": w}}, "size": 0,
                                           "track_total_hits": True})
        assert r["hits"]["total"]["value"] == n
    assert search(client, index="halves", body={"size": 0})["hits"]["total"]["value"] == 20
    client.indices.delete(index="halves")


# -- an unreachable cluster ------------------------------------------------------------


def test_a_multi_search_whose_search_lost_its_shards_is_asked_again():
    """A node killed mid-request: one search of an ``_msearch`` fails with its own
    ``search_phase_execution_exception`` in a 200 answer (seen once in the 8-client
    fault test); it is asked again, like a single search, not shown as a 503."""
    from searchsvc.backends.opensearch import client as os_client

    lost = {"error": {"root_cause": [], "type": "search_phase_execution_exception"}, "status": 503}
    fine = {"_shards": {"total": 3, "successful": 3, "failed": 0}, "hits": {"total": {"value": 4}}}
    answers = [{"responses": [fine, lost]}, {"responses": [fine, fine]}]
    calls = []

    def msearch():
        calls.append(1)
        return answers[len(calls) - 1]

    assert os_client.complete(msearch) == {"responses": [fine, fine]} and len(calls) == 2
    # another error (a malformed search) is the caller's to say, at once
    bad = {"error": {"type": "parsing_exception"}, "status": 400}
    calls.clear()
    answers[0] = {"responses": [fine, bad]}
    assert os_client.complete(msearch) == {"responses": [fine, bad]} and len(calls) == 1


def test_url_without_server_is_unavailable_fast_and_in_french():
    urls = f"http://127.0.0.1:{free_port()},http://127.0.0.1:{free_port()}"
    client = connect({"SEARCHSVC_OPENSEARCH_URL": urls, "SEARCHSVC_OPENSEARCH_TIMEOUT": "2"})
    t0 = time.monotonic()
    with pytest.raises(BackendUnavailable) as err:
        cluster_health(client)
    assert time.monotonic() - t0 < 2
    msg = str(err.value)
    assert msg.startswith("OpenSearch est injoignable (http://127.0.0.1:")
    assert_french(msg)


def test_silent_server_fails_within_the_timeout():
    """A node that accepts connections and never answers: the request gives up after the
    configured timeout, not after one timeout per retry."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)  # never accepted: the kernel completes the handshake, nobody answers
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        client = connect({"SEARCHSVC_OPENSEARCH_URL": url, "SEARCHSVC_OPENSEARCH_TIMEOUT": "1,5"})
        t0 = time.monotonic()
        with pytest.raises(BackendUnavailable) as err:
            cluster_health(client)
        elapsed = time.monotonic() - t0
    assert 1.4 < elapsed < 3, elapsed
    assert str(err.value).startswith(f"OpenSearch n'a pas répondu en 1,5 s ({url})")
    assert_french(str(err.value))


# -- configuration -------------------------------------------------------------------


@pytest.mark.parametrize("env, message", [
    ({}, "SEARCHSVC_OPENSEARCH_URL n'est pas défini"),
    ({"SEARCHSVC_OPENSEARCH_URL": "localhost:9200"}, "URL invalide dans SEARCHSVC_OPENSEARCH_URL"),
    ({"SEARCHSVC_OPENSEARCH_URL": "http://h:99999"}, "Port invalide"),
    ({"SEARCHSVC_OPENSEARCH_URL": "http://h:9200", "SEARCHSVC_OPENSEARCH_TIMEOUT": "dix"},
     "SEARCHSVC_OPENSEARCH_TIMEOUT vaut « dix »"),
    ({"SEARCHSVC_OPENSEARCH_URL": "http://h:9200", "SEARCHSVC_OPENSEARCH_USER": "u"},
     "sans SEARCHSVC_OPENSEARCH_PASSWORD"),
    ({"SEARCHSVC_OPENSEARCH_URL": "http://h:9200", "SEARCHSVC_OPENSEARCH_CA": "/nulle/part.pem"},
     "le fichier « /nulle/part.pem » n'existe pas"),
])
def test_bad_configuration_is_a_french_error(env, message):
    with pytest.raises(ConfigurationError) as err:
        connect(env)
    assert message in str(err.value)
    assert isinstance(err.value, BackendUnavailable)  # the web layer answers 503 all the same


def test_settings_verify_tls_by_default_and_carry_credentials():
    base = {"SEARCHSVC_OPENSEARCH_URL": "https://a:9200, https://b:9200"}
    s = settings(base)
    assert s["hosts"] == ["https://a:9200", "https://b:9200"]
    assert s["verify_certs"] is True and s["timeout"] == 10 and not s["retry_on_timeout"]
    s = settings({**base, "SEARCHSVC_OPENSEARCH_USER": "u", "SEARCHSVC_OPENSEARCH_PASSWORD": "p"})
    assert s["http_auth"] == ("u", "p")
    s = settings({**base, "SEARCHSVC_OPENSEARCH_API_KEY": "k", "SEARCHSVC_OPENSEARCH_INSECURE": "1"})
    assert s["headers"] == {"Authorization": "ApiKey k"} and s["verify_certs"] is False
