"""The ``opensearch_cluster`` fixture: one real 3-node OpenSearch cluster per test session.

It is started by the real command (``searchsvc cluster start --port-base 0``: free ports,
OpenSearch installed from Maven Central first if missing) in a temporary folder, and
stopped at the end of the session (SIGTERM to each node's process group, SIGKILL after a
bound). Without Java or Maven the fixture fails with the command's French message: the
tests that need a cluster are never skipped silently.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from searchsvc.backends.opensearch import cluster

ROOT = Path(__file__).resolve().parent.parent
NODES = 3
#: bound on the session's cluster start (install included), seconds
START_TIMEOUT_S = 600


@dataclasses.dataclass
class OpenSearchCluster:
    """A running local cluster: its folder, node names and URLs."""

    dir: Path
    urls: list[str]
    nodes: list[str]

    @property
    def url(self) -> str:
        """Every node's URL, comma-separated, as ``SEARCHSVC_OPENSEARCH_URL`` takes them."""
        return ",".join(self.urls)

    def env(self, **extra: str) -> dict[str, str]:
        """``os.environ`` with this cluster as ``SEARCHSVC_OPENSEARCH_URL`` (and ``extra``)."""
        return {**os.environ, "SEARCHSVC_OPENSEARCH_URL": self.url, **extra}

    def client(self, **extra: str):
        from searchsvc.backends.opensearch.client import connect

        return connect(self.env(**extra))

    def kill_node(self, name: str) -> int:
        """``kill -9`` the node's process group; its pid."""
        return cluster.kill_node(self.dir, name)

    def restart_node(self, name: str) -> int:
        return cluster.restart_node(self.dir, name)

    def wait_green(self, timeout: float = 180) -> dict:
        return cluster.wait_health(self.dir, "green", timeout)

    def status(self) -> dict:
        return cluster.status(self.dir)


def searchsvc_cli(*args: str, timeout: float = 120, env: dict | None = None
                  ) -> subprocess.CompletedProcess:
    """The real ``searchsvc`` command, in a subprocess (``env``: instead of ``os.environ``)."""
    env = {**(os.environ if env is None else env), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "searchsvc.cli", *args], capture_output=True,
                          text=True, encoding="utf-8", env=env, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def start_watchdog(cluster_dir: Path, owner_pid: int) -> subprocess.Popen:
    """A process that stops the cluster once ``owner_pid`` has ended (cluster.watch)."""
    code = ("import sys; from searchsvc.backends.opensearch.cluster import watch; "
            "watch(sys.argv[1], int(sys.argv[2]))")
    return subprocess.Popen([sys.executable, "-c", code, str(cluster_dir), str(owner_pid)],
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdin=subprocess.DEVNULL, start_new_session=True)


def cluster_tmpdir(prefix: str) -> Path:
    """A fresh folder the nodes can reach (as root they run as another user: 0755)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def opensearch_cluster():
    """One 3-node cluster for the whole session (see the module's docstring)."""
    cluster_dir = cluster_tmpdir("searchsvc-cluster-")
    try:
        r = searchsvc_cli("cluster", "start", "--nodes", str(NODES), "--port-base", "0",
                          "--dir", str(cluster_dir), timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _stop(cluster_dir)
        pytest.fail(f"« searchsvc cluster start » n'a pas fini en {START_TIMEOUT_S} s.",
                    pytrace=False)
    if r.returncode != 0:
        _stop(cluster_dir)
        pytest.fail(f"Le cluster OpenSearch des tests n'a pas démarré :\n{r.stderr}",
                    pytrace=False)
    st = cluster.status(cluster_dir)
    watchdog = start_watchdog(cluster_dir, os.getpid())
    try:
        yield OpenSearchCluster(cluster_dir, st["urls"], [n["name"] for n in st["nodes"]])
    finally:
        try:
            _stop(cluster_dir)
        finally:
            watchdog.terminate()
            watchdog.wait(10)


def _stop(cluster_dir: Path) -> None:
    """Stop the nodes (bounded: SIGKILL after 30 s) and remove the folder."""
    try:
        if cluster.load_state(cluster_dir) is not None:
            cluster.stop(cluster_dir)
    finally:
        shutil.rmtree(cluster_dir, ignore_errors=True)
