"""Fault injection: real faults against a real reindex, and what the service does after.

Scenarios (each prints one row: scenario, what was done, outcome, verdict):

- ``kill``: ``kill -9`` of ``searchsvc reindex`` (full or incremental, 2 workers) at
  seeded random moments, of the parent or of a worker process. Afterwards the
  index must serve a complete generation, the old one or the new one and never a
  mix (the documents and their content hashes are compared with both), through
  the search engine, ``index_stats`` and the web app; the next reindex must
  succeed, say what it cleaned, and leave no partial generation, temp file,
  uncommitted segment or stale lock.
- ``disk-full``: the index on a small tmpfs (mounted here; root needed) filled by
  a ballast file during a full and an incremental reindex: one French error
  line, exit 1, the previous generation served and nothing half-written live;
  after the ballast is removed the next reindex succeeds.
- ``corrupt``: a truncated, then an overwritten segment file of the live
  generation: the web app answers 503 JSON, ``/healthz`` names the problem,
  ``searchsvc reindex --full`` repairs it.
- ``read-only``: the index folder on a read-only mount: reindex fails with a
  French line, search still answers.
- ``corpus-removed``: the corpus folder removed while a reindex runs: French
  line, nothing deleted from the index.

The tests (tests/test_faults.py) run these same functions.

    python bench/faults.py [--kills 20] [--seed 2026] [--only kill,disk-full,...]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

SEARCHSVC = [sys.executable, "-m", "searchsvc.cli"]
#: a word every synthetic article contains
COMMON = "conseil"

_TOWNS = ["Rennes", "Nantes", "Lille", "Dijon", "Nîmes", "Tours", "Brest", "Metz", "Pau", "Caen",
          "Reims", "Angers", "Amiens", "Limoges", "Poitiers", "Troyes"]
_SUBJECTS = ["le tramway", "la médiathèque", "le marché", "la piscine", "le budget", "le stade",
             "la crue", "le festival", "la rocade", "l'hôpital", "le lycée", "la gare"]


def article_text(i: int, version: int = 0) -> str:
    """A distinct synthetic French article (``version`` changes its text)."""
    town, subject = _TOWNS[i % len(_TOWNS)], _SUBJECTS[(i * 7) % len(_SUBJECTS)]
    rnd = random.Random(i * 1000 + version)
    words = " ".join(rnd.choice(["élus", "habitants", "travaux", "vote", "séance", "projet",
                                 "commission", "rapport", "quartier", "associations"])
                     for _ in range(40))
    return (f"{subject.capitalize()} de {town}, dépêche {i} (version {version})\n\n"
            f"Le {COMMON} municipal de {town} a examiné {subject} : {words}.\n\n"
            f"La prochaine séance est prévue le {1 + i % 28} ; rapport numéro {i * 13 + version}.\n")


def write_articles(corpus: Path, numbers, version: int = 0) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    for i in numbers:
        (corpus / f"dep_{i:05d}.txt").write_text(article_text(i, version), encoding="utf-8")


def cli(*args, timeout=300, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(SEARCHSVC + [str(a) for a in args], capture_output=True, text=True,
                          env=env, timeout=timeout, **kw)


def popen(*args, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(SEARCHSVC + [str(a) for a in args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kw)


# ---------------------------------------------------------------- observing an index


def snapshot(index: Path) -> dict[str, str]:
    """``{document id: content hash}`` of the live generation, as a reader sees it."""
    from searchsvc.backends.whoosh.indexer import open_index

    _, ix = open_index(index)
    with ix.searcher() as s:
        return {f["id"]: f.get("hash", "") for f in s.all_stored_fields()}


def served(index: Path) -> dict:
    """What the three readers answer: the search engine, ``index_stats`` and the web app.

    Raises AssertionError when one of them fails or they disagree.
    """
    from searchsvc.backends.whoosh.indexer import current_generation, index_stats
    from searchsvc.search import parse_params
    from searchsvc.backends.whoosh import SearchEngine
    from searchsvc.web import create_app

    gen = current_generation(index)
    engine = SearchEngine(index)
    try:
        total = engine.search(parse_params({"q": COMMON}))["total"]
        info = engine.info()
    finally:
        engine.close()
    st = index_stats(index)
    client = create_app({"TESTING": True, "INDEX_DIR": str(index), "ADMIN_TOKEN": None}).test_client()
    api = client.get(f"/api/search?q={COMMON}")
    health = client.get("/healthz")
    assert api.status_code == 200, api.get_data(as_text=True)
    assert health.status_code == 200, health.get_data(as_text=True)
    docs = st["documents"]
    assert info["generation"] == st["generation"] == gen == health.get_json()["generation"]
    assert total == info["documents"] == docs == api.get_json()["total"], (total, info, docs)
    return {"generation": gen, "documents": docs}


def leftovers(index: Path) -> list[str]:
    """What an interrupted reindex may leave: partial or stale generations, temp files,
    uncommitted segment files in the live generation, a lock file naming a dead holder."""
    from whoosh import index as whoosh_index
    from whoosh.index import TOC

    from searchsvc.backends.whoosh.indexer import current_generation
    from searchsvc.backends.whoosh.indexer.store import LOCK_NAME, gen_number, list_generations

    out = []
    live = current_generation(index)
    live_n = gen_number(live) if live else 0
    gens = list_generations(index)
    older = [p.name for n, p in gens if n < live_n]
    out += [f"{p.name} (partielle)" for n, p in gens if n > live_n]
    out += [f"{g} (ancienne)" for g in older[:-1]]
    for folder in [index] + ([index / live] if live else []):
        out += [p.name for p in folder.glob("*.tmp-*")]
    if live:
        ix = whoosh_index.open_dir(str(index / live))
        ids = {seg.segment_id() for seg in ix._segments()}
        toc, seg = TOC._pattern(ix.indexname), TOC._segment_pattern(ix.indexname)
        for name in sorted(os.listdir(index / live)):
            t, m = toc.match(name), seg.match(name)
            if (t and int(t.group(1)) != ix.latest_generation()) or (m and m.group(1) not in ids):
                out.append(f"{live}/{name}")
    lock = index / LOCK_NAME
    if lock.exists() and lock.read_text().strip():
        out.append(f"{LOCK_NAME} (processus {lock.read_text().strip()})")
    return out


def unchanged_and_served(index: Path, before: dict) -> list[str]:
    """Problems (French) if the index no longer holds ``before`` or a reader fails on it."""
    try:
        problems = [] if snapshot(index) == before else ["l'index servi a changé"]
        served(index)
    except Exception as exc:
        problems = [f"lecture impossible : {type(exc).__name__}: {exc}"]
    return problems


# ---------------------------------------------------------------- processes


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def is_worker(pid: int) -> bool:
    """A spawned indexing worker (not multiprocessing's resource tracker)."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"spawn_main" in cmd and b"resource_tracker" not in cmd


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def kill_at(proc: subprocess.Popen, delay: float, target: str) -> tuple[str, float]:
    """SIGKILL ``proc`` (target ``parent``) or one of its workers (``worker``) ``delay``
    seconds after it started. Returns (what was killed, when), or ("rien", t) when the
    run ended first."""
    t0 = time.monotonic()
    time.sleep(delay)
    while proc.poll() is None:
        if target == "parent":
            os.kill(proc.pid, signal.SIGKILL)
            return "parent", time.monotonic() - t0
        workers = [p for p in children(proc.pid) if is_worker(p)]
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            return "worker", time.monotonic() - t0
        time.sleep(0.01)
    return "rien", time.monotonic() - t0


# ---------------------------------------------------------------- scenarios


@dataclass
class Outcome:
    scenario: str
    action: str
    result: str
    ok: bool
    facts: dict = field(default_factory=dict)

    def row(self) -> str:
        return f"| {self.scenario} | {self.action} | {self.result} | {'oui' if self.ok else 'NON'} |"


class KillBench:
    """A base index of ``base`` articles and a changed corpus (``added`` new articles,
    ``changed`` rewritten, ``deleted`` removed), with the two snapshots a killed
    run may leave: the old one or the new one."""

    def __init__(self, work: Path, base=150, added=300, changed=30, deleted=20):
        from searchsvc.backends.whoosh.indexer import reindex

        self.work = work
        old_corpus = work / "corpus-old"
        write_articles(old_corpus, range(base))
        self.base_index = work / "index-base"
        reindex(old_corpus, self.base_index, full=True, workers=1)
        self.old = snapshot(self.base_index)
        self.corpus = work / "corpus"
        shutil.copytree(old_corpus, self.corpus)
        write_articles(self.corpus, range(base, base + added))
        write_articles(self.corpus, range(0, changed), version=1)
        for i in range(changed, changed + deleted):
            (self.corpus / f"dep_{i:05d}.txt").unlink()
        # the new state, and how long each kind of run takes here (unkilled)
        self.duration = {}
        for mode in ("full", "incremental"):
            index = self.fresh_index(f"calibrate-{mode}")
            t0 = time.monotonic()
            r = cli("reindex", "--workers", "2", "--corpus", self.corpus, "--index", index,
                    *(["--full"] if mode == "full" else []))
            self.duration[mode] = time.monotonic() - t0
            assert r.returncode == 0, r.stderr
            self.new = snapshot(index)
        assert self.new != self.old

    def fresh_index(self, name: str) -> Path:
        dst = self.work / name
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(self.base_index, dst)
        return dst

    def run(self, k: int, seed: int) -> Outcome:
        rng = random.Random(seed * 1000 + k)
        mode = ("full", "incremental")[k % 2]
        target = ("parent", "parent", "worker", "worker")[k % 4]
        after = rng.choice(["incremental", "full"])
        index = self.fresh_index("killed")
        args = ["reindex", "--workers", "2", "--corpus", self.corpus, "--index", index]
        delay = rng.uniform(0.05, 1.0) * self.duration[mode]
        for _ in range(12):  # a run that ended before the kill is retried a little earlier
            proc = popen(*args, *(["--full"] if mode == "full" else []))
            killed, at = kill_at(proc, delay, target)
            _, err = proc.communicate(timeout=120)
            if killed != "rien":
                break
            index = self.fresh_index("killed")
            delay *= 0.85
        action = f"kill -9 {killed} de reindex {mode} à {at:.2f} s"
        problems = []
        if killed == "rien":
            problems.append("la réindexation a fini avant le kill")
        # a worker killed mid-work fails the run (exit 1, nothing switched); one killed
        # after handing in its segments changes nothing (exit 0, the new generation)
        if killed == "worker" and proc.returncode not in (0, 1):
            problems.append(f"code {proc.returncode} après la mort d'un worker")
        if "Traceback" in err:
            problems.append("trace Python")
        try:
            snap = snapshot(index)
            side = "ancienne" if snap == self.old else "nouvelle" if snap == self.new else "MÉLANGE"
            if side == "MÉLANGE":
                problems.append("mélange d'ancienne et de nouvelle génération")
            if killed == "worker" and (proc.returncode == 0) != (side == "nouvelle"):
                problems.append(f"code {proc.returncode} mais {side} génération servie")
            served(index)
        except Exception as exc:
            side = "aucune"
            problems.append(f"lecture impossible : {type(exc).__name__}: {exc}")
        left = leftovers(index)
        args[2] = "1"  # the next run: one process is enough (and the quickest)
        again = cli(*args, *(["--full"] if after == "full" else []))
        cleaned = [line for line in again.stderr.splitlines() if line.startswith("nettoyage")]
        if again.returncode != 0:
            problems.append(f"reindex suivant : code {again.returncode} {again.stderr[-300:]}")
        else:
            if snapshot(index) != self.new:
                problems.append("reindex suivant incomplet")
            if leftovers(index):
                problems.append(f"restes : {leftovers(index)}")
            if left and not cleaned:
                problems.append(f"restes {left} supprimés sans le dire")
            served(index)
        result = (f"{side} génération servie ; {len(left)} reste(s) ; reindex {after} : "
                  f"code {again.returncode}" + (f", {len(cleaned)} ligne(s) « nettoyage »" if cleaned else ""))
        if problems:
            result += " ; " + " ; ".join(problems)
        facts = {"killed": killed, "mode": mode, "side": side, "left": bool(left),
                 "cleaned": bool(cleaned), "after": after, "at": at}
        return Outcome(f"kill {k + 1}", action, result, not problems, facts)


def kill_scenarios(work: Path, kills: int = 20, seed: int = 2026, log=print) -> list[Outcome]:
    bench = KillBench(work)
    log(f"(durées sans kill : complet {bench.duration['full']:.1f} s, "
        f"incrémental {bench.duration['incremental']:.1f} s)")
    out = []
    for k in range(kills):
        o = bench.run(k, seed)
        log(o.row())
        out.append(o)
    return out


# ---------------------------------------------------------------- small filesystems


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """A size-limited tmpfs mounted on ``path`` (needs root); unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise PermissionError(f"mount tmpfs impossible : {r.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def can_mount() -> bool:
    with tempfile.TemporaryDirectory() as d:
        try:
            with tmpfs(Path(d) / "m", "1m"):
                return True
        except PermissionError:
            return False


def fill(fs: Path, leave: int) -> Path:
    """A ballast file that leaves about ``leave`` bytes free on ``fs``."""
    ballast = fs / "lest.bin"
    st = os.statvfs(fs)
    free = st.f_bavail * st.f_frsize
    with open(ballast, "wb") as f:
        remaining = max(0, free - leave)
        chunk = b"\0" * (1 << 20)
        while remaining > 0:
            n = f.write(chunk[:min(len(chunk), remaining)])
            remaining -= n
    return ballast


def one_error_line(r: subprocess.CompletedProcess) -> tuple[bool, str]:
    """(exit 1 with a single French error line and no traceback, that line)."""
    err = [l for l in r.stderr.splitlines() if l.startswith("Échec")]
    ok = r.returncode == 1 and "Traceback" not in r.stderr and len(err) == 1 and "\n" not in err[0]
    return ok, err[-1] if err else r.stderr.strip()[-300:]


def disk_full_scenarios(work: Path, log=print) -> list[Outcome]:
    out = []
    corpus = work / "corpus-disk"
    write_articles(corpus, range(60))
    for mode in ("full", "incremental"):
        with tmpfs(work / f"fs-{mode}", "24m") as fs:
            index = fs / "index"
            r = cli("reindex", "--workers", "1", "--corpus", corpus, "--index", index)
            assert r.returncode == 0, r.stderr
            before = snapshot(index)
            write_articles(corpus, range(60, 400))
            ballast = fill(fs, 256 * 1024)
            r = cli("reindex", "--workers", "2", "--corpus", corpus, "--index", index,
                    *(["--full"] if mode == "full" else []))
            good, line = one_error_line(r)
            problems = [] if good else [f"sortie : code {r.returncode} {line!r}"]
            problems += unchanged_and_served(index, before)
            left = leftovers(index)
            ballast.unlink()
            again = cli("reindex", "--workers", "2", "--corpus", corpus, "--index", index)
            if again.returncode != 0:
                problems.append(f"après libération : code {again.returncode} {again.stderr[-300:]}")
            elif len(snapshot(index)) != 400 or leftovers(index):
                problems.append(f"après libération : {len(snapshot(index))} documents, "
                                f"restes {leftovers(index)}")
            for i in range(60, 400):
                (corpus / f"dep_{i:05d}.txt").unlink()
            result = (f"code {r.returncode} : « {short(line)} » ; ancienne génération servie ; "
                      f"{len(left)} reste(s) ; après libération : code {again.returncode}")
            o = Outcome(f"disque plein ({mode})", f"tmpfs 24 Mo rempli, reindex {mode}",
                        result + (" ; " + " ; ".join(problems) if problems else ""), not problems)
            log(o.row())
            out.append(o)
    return out


def read_only_scenario(work: Path, log=print) -> list[Outcome]:
    corpus = work / "corpus-ro"
    write_articles(corpus, range(40))
    with tmpfs(work / "fs-ro", "16m") as fs:
        index = fs / "index"
        assert cli("reindex", "--workers", "1", "--corpus", corpus, "--index", index).returncode == 0
        before = snapshot(index)
        write_articles(corpus, range(40, 60))
        subprocess.run(["mount", "-o", "remount,ro", str(fs)], check=True)
        try:
            r = cli("reindex", "--full", "--corpus", corpus, "--index", index)
            good, line = one_error_line(r)
            problems = [] if good and "lecture seule" in line else [f"sortie : code {r.returncode} {line!r}"]
            problems += unchanged_and_served(index, before)
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(fs)], check=True)
        again = cli("reindex", "--corpus", corpus, "--index", index)
        if again.returncode != 0 or len(snapshot(index)) != 60:
            problems.append(f"après remise en écriture : code {again.returncode}")
    o = Outcome("index en lecture seule", "tmpfs remonté en lecture seule, reindex --full",
                f"code {r.returncode} : « {short(line)} » ; recherche, stats et web servent "
                f"l'ancienne génération ; en écriture : code {again.returncode}"
                + (" ; " + " ; ".join(problems) if problems else ""), not problems)
    log(o.row())
    return [o]


def corpus_removed_scenarios(work: Path, log=print) -> list[Outcome]:
    """The corpus folder deleted (``rm -r``) while the reindex reads it."""
    out = []
    for mode in ("full", "incremental"):
        corpus = work / f"corpus-rm-{mode}"
        write_articles(corpus, range(20))
        index = work / f"index-rm-{mode}"
        assert cli("reindex", "--workers", "1", "--corpus", corpus, "--index", index).returncode == 0
        before = snapshot(index)
        write_articles(corpus, range(20, 500), version=1)
        write_articles(corpus, range(20), version=1)
        proc = popen("reindex", "--workers", "1", "--corpus", corpus, "--index", index,
                     *(["--full"] if mode == "full" else []))
        while True:
            line = proc.stderr.readline()
            if not line or line.startswith("indexation : "):
                break
        shutil.rmtree(corpus)
        _, err = proc.communicate(timeout=120)
        lines = [l for l in err.splitlines() if l.startswith("Échec")]
        problems = []
        if proc.returncode != 1 or "Traceback" in err or len(lines) != 1 or "disparu" not in lines[0]:
            problems.append(f"sortie : code {proc.returncode} {err[-300:]!r}")
        problems += unchanged_and_served(index, before)
        o = Outcome(f"corpus supprimé ({mode})", f"rm -r du corpus pendant reindex {mode}",
                    f"code {proc.returncode} : « {short(lines[0]) if lines else '?'} » ; "
                    f"index inchangé : {'oui' if not problems else 'non'}"
                    + (" ; " + " ; ".join(problems) if problems else ""), not problems)
        log(o.row())
        out.append(o)
    return out


class Server:
    """``searchsvc serve --port 0`` in a subprocess (the real service on waitress)."""

    def __init__(self, index: Path, corpus: Path):
        import re

        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(SEARCHSVC + ["serve", "--port", "0", "--index", str(index),
                                                  "--corpus", str(corpus)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env, start_new_session=True)  # stop() kills the group
        self.url = None
        for line in self.proc.stdout:
            m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if m:
                self.url = m.group(1)
                break
        assert self.url, self.stop()

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, content type, body)."""
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as resp:
                return resp.status, resp.headers["Content-Type"], resp.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.headers["Content-Type"], err.read().decode("utf-8")

    def wait_for(self, path: str, status: int, timeout: float = 10.0) -> tuple[int, str, str]:
        end = time.monotonic() + timeout
        got = self.get(path)
        while got[0] != status and time.monotonic() < end:
            time.sleep(0.2)
            got = self.get(path)
        return got

    def stop(self) -> str:
        """Stops the server; returns its stderr."""
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # its workers too: nothing holds the pipes
            _, err = self.proc.communicate(timeout=15)
        return err


def _damage(index: Path, kind: str) -> str:
    """Truncate or overwrite (same size) the largest segment file of the live generation."""
    from searchsvc.backends.whoosh.indexer import current_generation

    gen_dir = index / current_generation(index)
    seg = max(gen_dir.glob("MAIN_*.seg"), key=lambda p: p.stat().st_size)
    size = seg.stat().st_size
    with open(seg, "r+b") as f:
        if kind == "tronqué":
            f.truncate(size // 2)
        else:
            f.seek(size // 3)
            f.write(random.Random(7).randbytes(4096))
    return seg.name


def corruption_scenarios(work: Path, log=print) -> list[Outcome]:
    """A damaged segment file of the live generation: truncated while the service is
    stopped (repaired by ``reindex --full``), altered while it serves (repaired by
    ``reindex``). Not here: truncating a file a running service has mapped in memory,
    which kills that process (SIGBUS; ``serve --workers N`` restarts it)."""
    import json

    corpus = work / "corpus-damage"
    write_articles(corpus, range(60))
    base = work / "index-damage"
    assert cli("reindex", "--workers", "1", "--corpus", corpus, "--index", base).returncode == 0
    out = []
    for kind, repair in (("tronqué", ["--full"]), ("altéré", [])):
        index = work / f"index-{kind}"
        shutil.copytree(base, index)
        problems = []
        server = None
        try:
            if kind == "tronqué":
                name = _damage(index, kind)
                server = Server(index, corpus)
            else:
                server = Server(index, corpus)
                if server.get(f"/api/search?q={COMMON}")[0] != 200:
                    problems.append("pas de réponse avant le dommage")
                name = _damage(index, kind)
            status, ctype, body = server.wait_for(f"/api/search?q={COMMON}", 503)
            err = json.loads(body).get("error", {}) if ctype.startswith("application/json") else {}
            if status != 503 or err.get("code") != "index_damaged" or name not in err.get("message", ""):
                problems.append(f"API : {status} {body[:200]!r}")
            # each serving process (serve runs two on two cores) finds the damage on its own,
            # at its next check of the generation (within a second or two)
            status, _, body = server.wait_for("/healthz", 503)
            health = json.loads(body)
            if status != 503 or health.get("status") != "damaged" or name not in health.get("message", ""):
                problems.append(f"healthz : {status} {body[:200]!r}")
            page = server.wait_for(f"/?q={COMMON}", 503)
            if page[0] != 503 or "endommagée" not in page[2]:
                problems.append(f"page : {page[0]}")
            st = cli("stats", "--index", index)
            if st.returncode != 1 or "endommagée" not in st.stderr or "Traceback" in st.stderr:
                problems.append(f"stats : code {st.returncode} {st.stderr[-200:]!r}")
            fix = cli("reindex", *repair, "--workers", "1", "--corpus", corpus, "--index", index)
            if fix.returncode != 0:
                problems.append(f"réparation : code {fix.returncode} {fix.stderr[-200:]!r}")
            status, _, body = server.wait_for(f"/api/search?q={COMMON}", 200)
            if status != 200 or json.loads(body)["total"] != 60:
                problems.append(f"après réparation : {status} {body[:200]!r}")
            # each serving process (serve runs two on two cores) switches within seconds
            end = time.monotonic() + 15
            health = json.loads(server.get("/healthz")[2])
            while (health.get("status"), health.get("generation")) != ("ok", "gen-2") and time.monotonic() < end:
                time.sleep(0.2)
                health = json.loads(server.get("/healthz")[2])
            if health.get("status") != "ok" or health.get("generation") != "gen-2":
                problems.append(f"healthz après réparation : {health}")
        finally:
            err_log = server.stop() if server else ""
        if "Traceback" in err_log:
            problems.append("trace Python dans le journal du service")
        if server and server.proc.returncode not in (0, -signal.SIGTERM):
            problems.append(f"service arrêté avec le code {server.proc.returncode}")
        o = Outcome(f"segment {kind}", f"{name} {kind} " + ("service arrêté, puis redémarré"
                    if kind == "tronqué" else "pendant que le service répond"),
                    f"API et page 503 « index_damaged », healthz « damaged » nomme le fichier ; "
                    f"stats code 1 ; « reindex {' '.join(repair) or '(incrémental)'} » répare : "
                    f"gen-2 servie" + (" ; " + " ; ".join(problems) if problems else ""), not problems)
        log(o.row())
        out.append(o)
    return out


def short(line: str, n: int = 150) -> str:
    """An error line without its temp-folder paths, cut at ``n`` characters."""
    import re

    line = re.sub(r"« /[^»]*/([^/»]+) »", r"« …/\1 »", line)
    return line if len(line) <= n else line[:n - 1] + "…"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--only", default="kill,disk-full,corrupt,read-only,corpus-removed")
    a = ap.parse_args(argv)
    only = set(a.only.split(","))
    print("| scénario | action | résultat | réussi |\n|---|---|---|---|")
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="searchsvc-faults-") as d:
        work = Path(d)
        if "kill" in only:
            outcomes += kill_scenarios(work / "kill", a.kills, a.seed)
        mounts = can_mount()
        for name, fn in (("disk-full", disk_full_scenarios), ("read-only", read_only_scenario)):
            if name in only:
                if mounts:
                    outcomes += fn(work / name)
                else:
                    print(f"| {name} | — | montage tmpfs impossible (root requis) | NON |")
        if "corrupt" in only:
            outcomes += corruption_scenarios(work / "corrupt")
        if "corpus-removed" in only:
            outcomes += corpus_removed_scenarios(work / "corpus-removed")
    print()
    print(summary(outcomes, a.seed))
    return 0 if all(o.ok for o in outcomes) else 1


def summary(outcomes: list[Outcome], seed: int) -> str:
    """The compact table of docs/benchmarks.md: one row per kind of fault."""
    from collections import Counter

    rows = ["| faute | résultat |", "|---|---|"]
    kills = [o for o in outcomes if o.scenario.startswith("kill")]
    if kills:
        c = Counter()
        for o in kills:
            f = o.facts
            c[f["killed"]] += 1
            c[f["mode"]] += 1
            c[f["side"]] += 1
            c["left"] += f["left"]
            c["cleaned"] += f["left"] and f["cleaned"]
        rows.append(
            f"| kill -9 à {len(kills)} moments tirés (graine {seed}) : {c['parent']} du processus "
            f"parent, {c['worker']} d'un worker ; {c['full']} en reindex complet, "
            f"{c['incremental']} en incrémental | **{sum(o.ok for o in kills)}/{len(kills)} "
            f"survécus** : génération complète servie (ancienne {c['ancienne']}, nouvelle "
            f"{c['nouvelle']}, mélange {c['MÉLANGE']}) par la recherche, stats et le web ; le "
            f"reindex suivant réussit et nettoie ({c['cleaned']}/{c['left']} runs avec des restes "
            f"les ont signalés par « nettoyage : … ») |")
    for o in outcomes:
        if o not in kills:
            rows.append(f"| {o.scenario} : {o.action} | {'réussi' if o.ok else 'ÉCHEC'} : {o.result} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
