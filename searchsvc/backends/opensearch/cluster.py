"""A local OpenSearch cluster of real nodes on loopback, for development, tests and benchmarks.

One cluster is one folder (``--dir``): ``cluster.json`` (name, ports, heap, each node's
pid) and one sub-folder a node (``node-1/{config,data,logs,tmp}``). Each node is the
distribution's ``bin/opensearch`` started in a process group of its own (a new session),
detached from the command that started it, with its heap bounded (``-Xms``/``-Xmx``), bound
to 127.0.0.1 only (HTTP ``port_base + i``, transport ``port_base + 100 + i``), discovering
the others through ``discovery.seed_hosts``; the integration-test distribution has no
security plugin. Disk watermarks are relaxed (a test machine's disk is often fuller than a
server's). OpenSearch refuses to run as root: then the nodes run as an unprivileged user
(``$SEARCHSVC_CLUSTER_RUN_AS``, default ``nobody``) who owns the node folders.

``start`` installs what is missing and returns once the cluster is green (bounded wait);
``stop`` sends SIGTERM to each node's group, SIGKILL after a bound. A pid is trusted only
while ``/proc/<pid>/environ`` still names that node's config folder (pids get reused).
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import random
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping

from searchsvc.backends.opensearch import install

DEFAULT_NODES = 3
DEFAULT_PORT_BASE = 9200
#: transport port = HTTP port + TRANSPORT_OFFSET
TRANSPORT_OFFSET = 100
DEFAULT_HEAP_MB = 512
#: bounds (seconds): the cluster's start until green, a node's stop after SIGTERM
START_TIMEOUT_S = 300
STOP_TIMEOUT_S = 30
STATE_FILE = "cluster.json"
#: the GC log of a node: 2 files of 8 MB at most (the distribution keeps 32 of 64 MB)
GC_LOG = "-Xlog:gc*,gc+age=trace,safepoint:file={logs}/gc.log:utctime,pid,tags:filecount=2,filesize=8m"
#: health values of :func:`status` besides OpenSearch's green / yellow / red
STOPPED, UNREACHABLE = "stopped", "unreachable"
HEALTH_FR = {"green": "vert", "yellow": "jaune", "red": "rouge",
             STOPPED: "arrêté", UNREACHABLE: "injoignable"}

#: nodes started by this process (pid -> Popen): polled to reap them once dead
_children: dict[int, subprocess.Popen] = {}


class ClusterError(RuntimeError):
    """The cluster could not be started or reached; the message is French."""


def default_dir(env: Mapping[str, str] = os.environ) -> Path:
    """``$SEARCHSVC_CLUSTER_DIR``, else ``cluster`` in the install root."""
    if env.get("SEARCHSVC_CLUSTER_DIR"):
        return Path(env["SEARCHSVC_CLUSTER_DIR"]).expanduser()
    return install.install_root(env) / "cluster"


# -- state ---------------------------------------------------------------------------


def _state_path(cluster_dir: Path) -> Path:
    return Path(cluster_dir) / STATE_FILE


def load_state(cluster_dir: Path) -> dict | None:
    """The cluster's ``cluster.json``, or None if the folder holds no cluster."""
    try:
        return json.loads(_state_path(cluster_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ClusterError(f"{_state_path(cluster_dir)} est illisible : {exc}.") from None


def _save_state(cluster_dir: Path, state: dict) -> None:
    path = _state_path(cluster_dir)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def node_url(node: dict) -> str:
    return f"http://127.0.0.1:{node['http_port']}"


def urls(state: dict) -> list[str]:
    return [node_url(n) for n in state["nodes"]]


def _node(state: dict, name: str) -> dict:
    for n in state["nodes"]:
        if n["name"] == name:
            return n
    raise ClusterError(f"Le cluster n'a pas de nœud « {name} » "
                       f"(nœuds : {', '.join(n['name'] for n in state['nodes'])}).")


# -- processes -----------------------------------------------------------------------


def _node_dir(cluster_dir: Path, node: dict) -> Path:
    return Path(cluster_dir).resolve() / node["name"]


def is_running(cluster_dir: Path, node: dict) -> bool:
    """True while the node's recorded pid is alive and still that node's process.

    A node this process started is running until it is reaped: its pid cannot have been
    reused, and its ``/proc/<pid>/environ`` may still read empty just after the exec (the
    kernel fills it in after the exec has closed the pipe :class:`subprocess.Popen` waits
    on), which once made a freshly restarted node look dead."""
    pid = node.get("pid")
    if not pid:
        return False
    proc = _children.get(pid)
    if proc is not None:
        if proc.poll() is None:
            return True
        _children.pop(pid, None)
        return False
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    mark = f"OPENSEARCH_PATH_CONF={_node_dir(cluster_dir, node) / 'config'}\0".encode()
    return mark in environ and _process_alive(pid)


def _run_as() -> pwd.struct_passwd | None:
    """The user the nodes run as when this process is root, else None (the current user)."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("SEARCHSVC_CLUSTER_RUN_AS") or "nobody"
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise ClusterError(f"OpenSearch refuse de tourner en root et l'utilisateur « {name} » "
                           "n'existe pas (SEARCHSVC_CLUSTER_RUN_AS).") from None


def _write_node_config(cluster_dir: Path, state: dict, node: dict, home: Path) -> Path:
    """Write the node's config folder (opensearch.yml, jvm.options, log4j2) and return it."""
    ndir = _node_dir(cluster_dir, node)
    config = ndir / "config"
    for sub in ("config", "data", "logs", "tmp"):
        (ndir / sub).mkdir(parents=True, exist_ok=True)
    seeds = [f"127.0.0.1:{n['transport_port']}" for n in state["nodes"]]
    settings = {
        "cluster.name": state["cluster_name"],
        "node.name": node["name"],
        "path.data": str(ndir / "data"),
        "path.logs": str(ndir / "logs"),
        "network.host": "127.0.0.1",
        "http.port": node["http_port"],
        "transport.port": node["transport_port"],
        "discovery.seed_hosts": seeds,
        "cluster.initial_cluster_manager_nodes": [n["name"] for n in state["nodes"]],
        "cluster.routing.allocation.disk.watermark.low": "97%",
        "cluster.routing.allocation.disk.watermark.high": "98%",
        "cluster.routing.allocation.disk.watermark.flood_stage": "99%",
    }
    # JSON values are YAML values
    (config / "opensearch.yml").write_text(
        "".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items()), encoding="utf-8")
    heap = f"{state['heap_mb']}m"
    lines = []
    for line in (home / "config" / "jvm.options").read_text(encoding="utf-8").splitlines():
        if line.startswith("-Xms"):
            line = f"-Xms{heap}"
        elif line.startswith("-Xmx"):
            line = f"-Xmx{heap}"
        elif "-Xlog:gc" in line:
            line = "9-:" + GC_LOG.format(logs=ndir / "logs")
        elif line.startswith("-XX:HeapDumpPath="):
            line = f"-XX:HeapDumpPath={ndir / 'logs'}"
        elif line.startswith("-XX:ErrorFile="):
            line = f"-XX:ErrorFile={ndir / 'logs'}/hs_err_pid%p.log"
        lines.append(line)
    (config / "jvm.options").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (config / "jvm.options.d").mkdir(exist_ok=True)
    log4j = (home / "config" / "log4j2.properties").read_bytes()
    (config / "log4j2.properties").write_bytes(log4j)
    return config


def _chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    os.chown(path, user.pw_uid, user.pw_gid)
    for p in path.rglob("*"):
        os.chown(p, user.pw_uid, user.pw_gid, follow_symlinks=False)


def _spawn_node(cluster_dir: Path, state: dict, node: dict) -> int:
    """Start one node, detached in its own session; record and return its pid."""
    home = install.install(os.environ)
    config = _write_node_config(cluster_dir, state, node, home)
    ndir = config.parent
    user = _run_as()
    if user is not None:
        _chown_tree(ndir, user)
        _check_reachable(ndir, user)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(ndir),
        "OPENSEARCH_PATH_CONF": str(config),
        "OPENSEARCH_TMPDIR": str(ndir / "tmp"),
        # after OpenSearch's own options: the heap, and no pre-touching of all of it (a
        # shared test machine: resident memory grows with use, not 512 MB at once)
        "OPENSEARCH_JAVA_OPTS": f"-Xms{state['heap_mb']}m -Xmx{state['heap_mb']}m "
                                "-XX:-AlwaysPreTouch",
    }
    # bin/opensearch looks for $OPENSEARCH_JAVA_HOME, then $JAVA_HOME, not for java on the PATH
    env["OPENSEARCH_JAVA_HOME"] = str(Path(os.path.realpath(install.check_java())).parent.parent)
    with open(ndir / "logs" / "console.log", "wb") as out:
        proc = subprocess.Popen(
            [str(home / "bin" / "opensearch")], cwd=ndir, env=env, stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            user=user.pw_uid if user else None, group=user.pw_gid if user else None,
            extra_groups=[] if user else None)
    _children[proc.pid] = proc
    node["pid"] = proc.pid
    node["started_at"] = time.time()
    return proc.pid


def _check_reachable(ndir: Path, user: pwd.struct_passwd) -> None:
    """The run-as user must reach the node folder (every parent folder must let it pass)."""
    r = subprocess.run(["test", "-w", str(ndir)], user=user.pw_uid, group=user.pw_gid,
                       extra_groups=[], stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise ClusterError(
            f"OpenSearch refuse de tourner en root : ses nœuds tournent sous l'utilisateur "
            f"« {user.pw_name} », qui n'a pas accès à {ndir}. Choisissez avec --dir un dossier "
            f"hors de /root (par exemple sous /tmp ou /var/lib).")


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # the node leads its own session: its pgid is its pid
    except (ProcessLookupError, PermissionError):
        pass


def _wait_stopped(cluster_dir: Path, nodes: list[dict], timeout: float) -> list[dict]:
    """Wait until ``nodes`` are all dead or ``timeout`` passed; return those still running."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [n for n in nodes if is_running(cluster_dir, n)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.2)


def _terminate(cluster_dir: Path, nodes: list[dict], timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM to each node's group, SIGKILL to those still there after ``timeout``."""
    running = [n for n in nodes if is_running(cluster_dir, n)]
    for n in running:
        _signal_group(n["pid"], signal.SIGTERM)
    for n in _wait_stopped(cluster_dir, running, timeout):
        _signal_group(n["pid"], signal.SIGKILL)
    left = _wait_stopped(cluster_dir, running, 10)
    if left:
        raise ClusterError("Nœuds toujours actifs après SIGKILL : "
                           + ", ".join(f"{n['name']} (pid {n['pid']})" for n in left))
    for n in nodes:
        n["pid"] = None


# -- health --------------------------------------------------------------------------


def _get_json(url: str, timeout: float) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def health(state: dict, timeout: float = 5.0) -> dict | None:
    """``/_cluster/health`` from the first node that answers, or None."""
    for url in urls(state):
        try:
            return _get_json(f"{url}/_cluster/health", timeout)
        except (OSError, ValueError):
            continue
    return None


def _log_tail(cluster_dir: Path, state: dict, node: dict, lines: int = 12) -> str:
    """The last lines of the node's console output and of its OpenSearch log."""
    logs = _node_dir(cluster_dir, node) / "logs"
    text = ""
    for name in ("console.log", f"{state['cluster_name']}.log"):
        if (logs / name).is_file():
            text += "\n".join((logs / name).read_text(errors="replace").splitlines()[-lines:]) + "\n"
    return text.strip()


def wait_health(cluster_dir: Path, status: str = "green", timeout: float = START_TIMEOUT_S,
                nodes: int | None = None, via: str | None = None) -> dict:
    """Wait until the cluster of ``cluster_dir`` has ``nodes`` nodes (default: all) and is
    ``status`` or better, as any node (or only the node named ``via``) sees it;
    :class:`ClusterError` (French, with the logs' tail) if a node dies meanwhile or
    ``timeout`` passes."""
    state = _require_state(cluster_dir)
    ask = [node_url(_node(state, via))] if via else urls(state)
    want = nodes if nodes is not None else len(state["nodes"])
    deadline = time.monotonic() + timeout
    last = None
    while True:
        dead = [n for n in state["nodes"] if not is_running(cluster_dir, n)]
        if len(state["nodes"]) - len(dead) < want:
            n = dead[0]
            raise ClusterError(f"Le nœud {n['name']} d'OpenSearch s'est arrêté. Fin de son "
                               f"journal ({_node_dir(cluster_dir, n) / 'logs'}) :\n"
                               f"{_log_tail(cluster_dir, state, n)}")
        left = deadline - time.monotonic()
        if left <= 0:
            raise ClusterError(
                f"Le cluster n'est pas « {HEALTH_FR.get(status, status)} » avec {want} nœuds "
                f"après {timeout:.0f} s (dernier état : {_health_text(last)}).")
        wait = max(1, min(10, int(left)))
        for url in ask:
            try:
                last = _get_json(f"{url}/_cluster/health?wait_for_status={status}"
                                 f"&wait_for_nodes={want}&timeout={wait}s", wait + 5)
            except (OSError, ValueError):
                continue
            if not last.get("timed_out"):
                return last
            break
        else:
            time.sleep(0.5)


def _health_text(h: dict | None) -> str:
    if not h:
        return "aucune réponse"
    return f"{HEALTH_FR.get(h.get('status'), h.get('status'))}, {h.get('number_of_nodes')} nœuds"


# -- commands ------------------------------------------------------------------------


def _require_state(cluster_dir: Path) -> dict:
    state = load_state(cluster_dir)
    if state is None:
        raise ClusterError(f"Aucun cluster dans {cluster_dir} (lancez « searchsvc cluster "
                           f"start --dir {cluster_dir} »).")
    return state


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as OpenSearch binds
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ephemeral_low() -> int:
    """The lowest port the kernel hands out to outgoing connections (Linux), else 32768."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port_base(nodes: int) -> int:
    """A base port P with P..P+nodes-1 and P+100..P+100+nodes-1 all free right now, below
    the ephemeral range (an outgoing connection elsewhere on the machine cannot take one of
    them between this choice and the nodes' start)."""
    high = min(_ephemeral_low(), 65536) - TRANSPORT_OFFSET - nodes
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, high) if high > 20000 else rng.randrange(1024, 65000)
        ports = [base + i for i in range(nodes)] + \
                [base + TRANSPORT_OFFSET + i for i in range(nodes)]
        if all(_port_free(p) for p in ports):
            return base
    raise ClusterError("Aucune plage de ports libres trouvée pour le cluster.")


def _new_state(cluster_dir: Path, nodes: int, port_base: int, heap_mb: int) -> dict:
    tag = hashlib.sha1(str(Path(cluster_dir).resolve()).encode()).hexdigest()[:8]
    return {
        "version": install.VERSION,
        "cluster_name": f"searchsvc-{tag}",
        "heap_mb": heap_mb,
        "nodes": [{"name": f"node-{i + 1}", "http_port": port_base + i,
                   "transport_port": port_base + TRANSPORT_OFFSET + i, "pid": None}
                  for i in range(nodes)],
    }


def start(cluster_dir: Path, nodes: int = DEFAULT_NODES, port_base: int | None = None,
          heap_mb: int = DEFAULT_HEAP_MB, timeout: float = START_TIMEOUT_S) -> dict:
    """Start the cluster of ``cluster_dir`` (created with ``nodes`` nodes from ``port_base``,
    default 9200, or a free range if 0), installing OpenSearch if missing; return its
    :func:`status` once green. Nodes already running are kept; if the cluster does not
    become green within ``timeout``, the nodes started here are stopped again."""
    cluster_dir = Path(cluster_dir)
    install.install(os.environ)
    state = load_state(cluster_dir)
    if state is None:
        if port_base == 0:
            port_base = free_port_base(nodes)
        state = _new_state(cluster_dir, nodes, port_base or DEFAULT_PORT_BASE, heap_mb)
    elif len(state["nodes"]) != nodes or (port_base and port_base != state["nodes"][0]["http_port"]):
        raise ClusterError(
            f"{cluster_dir} contient déjà un cluster de {len(state['nodes'])} nœuds sur le port "
            f"{state['nodes'][0]['http_port']} : reprenez ces valeurs, ou arrêtez-le et "
            f"supprimez ce dossier pour en créer un autre.")
    to_start = [n for n in state["nodes"] if not is_running(cluster_dir, n)]
    for n in to_start:
        for port in (n["http_port"], n["transport_port"]):
            if not _port_free(port):
                raise ClusterError(f"Le port {port} de 127.0.0.1 est déjà utilisé : choisissez "
                                   f"une autre plage avec --port-base.")
    cluster_dir.mkdir(parents=True, exist_ok=True)
    try:
        for n in to_start:
            _spawn_node(cluster_dir, state, n)
            _save_state(cluster_dir, state)
        wait_health(cluster_dir, "green", timeout)
    except BaseException:
        _terminate(cluster_dir, to_start, timeout=10)
        _save_state(cluster_dir, state)
        raise
    return status(cluster_dir)


def status(cluster_dir: Path) -> dict:
    """``{"url", "urls", "health", "nodes": [{"name", "pid", "url", "running"}], "dir"}``:
    ``url`` is every node's URL, comma-separated (as ``SEARCHSVC_OPENSEARCH_URL`` takes
    them); ``health`` is OpenSearch's (green, yellow, red), or ``stopped`` or
    ``unreachable``."""
    state = _require_state(cluster_dir)
    nodes = [{"name": n["name"], "pid": n["pid"] if is_running(cluster_dir, n) else None,
              "url": node_url(n)} for n in state["nodes"]]
    for n in nodes:
        n["running"] = n["pid"] is not None
    if not any(n["running"] for n in nodes):
        h = STOPPED
    else:
        answer = health(state)
        h = answer["status"] if answer else UNREACHABLE
    return {"url": ",".join(urls(state)), "urls": urls(state), "health": h, "nodes": nodes,
            "dir": str(Path(cluster_dir).resolve()), "version": state["version"]}


def stop(cluster_dir: Path, timeout: float = STOP_TIMEOUT_S) -> list[str]:
    """Stop every node (SIGTERM, SIGKILL after ``timeout``); return the names of those that
    were running. The data stay: ``start`` resumes the same cluster."""
    state = _require_state(cluster_dir)
    running = [n["name"] for n in state["nodes"] if is_running(cluster_dir, n)]
    try:
        _terminate(cluster_dir, state["nodes"], timeout)
    finally:
        _save_state(cluster_dir, state)
    return running


def kill_node(cluster_dir: Path, name: str, sig: int = signal.SIGKILL) -> int:
    """Send ``sig`` (default SIGKILL, as ``kill -9``) to the node's process group and wait
    (bounded) until it is gone; return its pid."""
    state = _require_state(cluster_dir)
    node = _node(state, name)
    if not is_running(cluster_dir, node):
        raise ClusterError(f"Le nœud {name} ne tourne pas.")
    pid = node["pid"]
    _signal_group(pid, sig)
    if _wait_stopped(cluster_dir, [node], STOP_TIMEOUT_S):
        raise ClusterError(f"Le nœud {name} (pid {pid}) ne s'est pas arrêté.")
    node["pid"] = None
    _save_state(cluster_dir, state)
    return pid


def restart_node(cluster_dir: Path, name: str, timeout: float = START_TIMEOUT_S) -> int:
    """Start a stopped node again with its data and wait until it has joined the cluster
    (every node present again); return its pid. The cluster may still be yellow then:
    :func:`wait_health` waits for green."""
    state = _require_state(cluster_dir)
    node = _node(state, name)
    if is_running(cluster_dir, node):
        raise ClusterError(f"Le nœud {name} tourne déjà (pid {node['pid']}).")
    for port in (node["http_port"], node["transport_port"]):
        if not _port_free(port):
            raise ClusterError(f"Le port {port} de 127.0.0.1 est déjà utilisé.")
    pid = _spawn_node(cluster_dir, state, node)
    _save_state(cluster_dir, state)
    # asked of the node itself: the others may not have noticed yet that it had gone
    wait_health(cluster_dir, "yellow", timeout, via=name)
    return pid


def _process_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def watch(cluster_dir: Path, owner_pid: int, interval: float = 1.0) -> None:
    """Stop the cluster once process ``owner_pid`` has ended; return when it is stopped or
    the cluster's folder is gone. A test session runs this in a process of its own, so
    that its cluster does not outlive it even if it is killed before its teardown."""
    while _state_path(cluster_dir).is_file():
        if not _process_alive(owner_pid):
            stop(cluster_dir)
            return
        time.sleep(interval)


def node_rss_mb(pid: int) -> float | None:
    """Resident memory (MB) of the process group led by ``pid`` (the node's JVM), or None."""
    total = 0
    found = False
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[2]) != pid:  # pgrp
                continue
            for line in (p / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    found = True
        except (OSError, ValueError, IndexError):
            continue
    return total / 1024 if found else None
