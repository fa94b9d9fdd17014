"""`searchsvc reindex` / `searchsvc stats` as commands: summaries, exit codes, locking, crash safety."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import procs
import pytest
from whoosh.query import Term

import searchsvc.backends.whoosh.indexer.build as build
from searchsvc.backends.whoosh.indexer import (IndexBusyError, current_generation, open_index, reindex)
from searchsvc.backends.whoosh.indexer.state import IndexState
from searchsvc.backends.whoosh.indexer.store import reindex_lock

SEARCHSVC = [sys.executable, "-m", "searchsvc.cli"]
ROOT = Path(__file__).resolve().parent.parent

PLACES = ["Rennes", "Nantes", "Lille", "Dijon", "Nîmes", "Tours", "Brest", "Metz", "Pau", "Caen",
          "Reims", "Angers", "Amiens", "Limoges", "Poitiers", "Besançon", "Orléans", "Troyes"]
TOPICS = ["la rénovation du stade", "le marché couvert", "la ligne de bus", "la piscine municipale",
          "le festival de jazz", "la nouvelle médiathèque", "les travaux du pont",
          "la fermeture de l'usine", "la crue de la rivière", "le budget de la culture"]
PEOPLE = ["le maire", "la préfète", "les commerçants", "les riverains", "le syndicat",
          "les étudiants", "la députée", "les agriculteurs"]


def make_corpus(root: Path, n: int, seed: int = 7) -> Path:
    """``n`` distinct synthetic French articles as .txt files."""
    rnd = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        place, topic = PLACES[i % len(PLACES)], TOPICS[(i // len(PLACES)) % len(TOPICS)]
        paras = [f"À {place}, {rnd.choice(PEOPLE)} {verb} {topic}, dossier numéro {i}."
                 for verb in ("ont débattu de", "ont présenté", "ont critiqué", "attendent")]
        paras.append(f"Le conseil se réunira de nouveau le {1 + i % 28} du mois prochain "
                     f"pour examiner le rapport {i * 7 + 3}.")
        (root / f"art_{i:04d}.txt").write_text(
            f"{topic.capitalize()} à {place} (épisode {i})\n\n" + "\n\n".join(paras) + "\n",
            encoding="utf-8")
    return root


def cli(*args, env=None, cwd=None, timeout=120):
    e = dict(os.environ)
    e.update(env or {})
    e["PYTHONPATH"] = str(ROOT)
    return subprocess.run(SEARCHSVC + list(args), capture_output=True, text=True, env=e,
                          cwd=cwd, timeout=timeout)


def files_done(progress_line: str) -> tuple[int, int]:
    """(files done, files in all) of a reindex progress line."""
    m = re.search(r"(\d+)/(\d+) fichiers? \(", progress_line)
    return int(m.group(1)), int(m.group(2))


def doc_ids(index_dir) -> list[str]:
    _, ix = open_index(index_dir)
    with ix.searcher() as s:
        return sorted(f["id"] for f in s.all_stored_fields())


def test_cli_summary_and_noop_second_run(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", 6)
    (corpus / "vide.txt").write_bytes(b"")
    index = tmp_path / "index"
    r = cli("reindex", "--corpus", str(corpus), "--index", str(index))
    assert r.returncode == 0, r.stderr
    assert "Nouvelle génération gen-1 (aucun index existant)" in r.stdout
    assert "ajoutés : 6, mis à jour : 0, supprimés : 0, inchangés : 0, ignorés : 1" in r.stdout
    assert "ignoré : vide.txt : " in r.stdout
    assert "documents/s" in r.stdout and "durée : " in r.stdout
    assert "indexation : 6 articles, 7/7 fichiers (100 %)" in r.stderr  # plain log lines, not a TTY
    r2 = cli("reindex", "--corpus", str(corpus), "--index", str(index))
    assert r2.returncode == 0
    assert "Aucun changement" in r2.stdout and "inchangés : 6" in r2.stdout
    assert "indexation :" not in r2.stderr


#: what a reindex that finds nothing to do must not import: the model, HTML extraction,
#: language detection, the worker pool, the search and web layers, the other commands
HEAVY = ("spacy", "thinc", "trafilatura", "htmldate", "lxml", "langdetect", "langdetect_rs",
         "multiprocessing", "flask", "waitress", "searchsvc.search", "searchsvc.analytics",
         "searchsvc.web", "searchsvc.ingest.html", "searchsvc.ingest.text", "searchsvc.ingest.lang",
         "searchsvc.enrich.quotes", "searchsvc.commands.search", "searchsvc.commands.batch")


def test_unchanged_run_starts_no_worker_and_imports_nothing_heavy(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", 8)
    (corpus / "manifest.jsonl").write_text('{"id": "art_0001", "source": "Le Manifeste"}\n',
                                           encoding="utf-8")
    index = tmp_path / "index"
    assert cli("reindex", "--corpus", str(corpus), "--index", str(index),
               env={"SEARCHSVC_NER": "1"}).returncode == 0
    code = ("import sys\nfrom searchsvc.cli import main\n"
            f"rc = main(['reindex', '--corpus', {str(corpus)!r}, '--index', {str(index)!r}])\n"
            f"heavy = sorted(m for m in sys.modules if m.startswith({HEAVY!r}))\n"
            "print('RESULT', rc, heavy)\n")
    e = dict(os.environ, PYTHONPATH=str(ROOT), SEARCHSVC_NER="1")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e,
                       timeout=120)
    assert "Aucun changement" in r.stdout, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "RESULT 0 []"


def test_cli_uses_environment_defaults_and_quiet(tmp_path):
    corpus = make_corpus(tmp_path / "elsewhere", 3)
    env = {"SEARCHSVC_CORPUS": str(corpus), "SEARCHSVC_INDEX": str(tmp_path / "ix")}
    r = cli("reindex", "--quiet", env=env, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    assert current_generation(tmp_path / "ix") == "gen-1"
    assert not (tmp_path / "index").exists()
    # and ./corpus, ./index without the variables
    make_corpus(tmp_path / "corpus", 2)
    env = {"SEARCHSVC_CORPUS": "", "SEARCHSVC_INDEX": ""}
    r = cli("reindex", "--quiet", env=env, cwd=tmp_path)
    assert r.returncode == 0
    assert len(doc_ids(tmp_path / "index")) == 2


def test_cli_stats_text_and_json(tmp_path, built_index):
    r = cli("stats", "--index", str(built_index), "--json")
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["generation"] == current_generation(built_index)
    assert {"documents", "sources", "date_min", "date_max", "languages", "size_bytes"} <= set(st)
    text = cli("stats", "--index", str(built_index))
    assert text.returncode == 0
    assert f"Documents : {st['documents']}" in text.stdout
    assert "Courrier des Alpes" in text.stdout and "(inconnue)" in text.stdout
    missing = cli("stats", "--index", str(tmp_path / "none"))
    assert missing.returncode == 1 and "Aucun index" in missing.stderr


def test_exit_code_is_nonzero_only_without_a_usable_index(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "vide.txt").write_bytes(b"")
    r = cli("reindex", "--corpus", str(bad), "--index", str(tmp_path / "ix"))
    assert r.returncode == 1 and "aucun document" in r.stderr
    assert current_generation(tmp_path / "ix") is None
    assert not list((tmp_path / "ix").glob("gen-*"))  # nothing half-built left
    r = cli("reindex", "--corpus", str(tmp_path / "absent"), "--index", str(tmp_path / "ix"))
    assert r.returncode == 1 and "introuvable" in r.stderr


def test_second_reindex_stops_with_a_clear_message_while_one_runs(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", 3)
    index = tmp_path / "index"
    with reindex_lock(index):
        r = cli("reindex", "--corpus", str(corpus), "--index", str(index))
        assert r.returncode == 3
        assert "Une réindexation est déjà en cours" in r.stderr
        with pytest.raises(IndexBusyError):
            reindex(corpus, index, wait=0.3)
    assert current_generation(index) is None  # nothing was written while locked
    assert reindex(corpus, index, workers=1).added == 3


def test_waiting_reindex_runs_after_the_first_one(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", 3)
    index = tmp_path / "index"
    e = dict(os.environ, PYTHONPATH=str(ROOT))
    p = None
    try:
        with reindex_lock(index):
            p = procs.popen(SEARCHSVC + ["reindex", "--corpus", str(corpus), "--index", str(index),
                                         "--wait", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
            time.sleep(1.5)
            assert p.poll() is None  # still waiting for the lock
        out, err = p.communicate(timeout=60)
    finally:
        if p is not None:
            procs.kill_group(p)
    assert p.returncode == 0, err
    assert "ajoutés : 3" in out


def test_concurrent_reindex_processes_never_corrupt(tmp_path):
    corpus = make_corpus(tmp_path / "corpus", 40)
    index = tmp_path / "index"
    e = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = [procs.popen(SEARCHSVC + ["reindex", "--full", "--workers", "1", "--corpus",
                                     str(corpus), "--index", str(index)],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
            for _ in range(3)]
    results = []
    try:
        for p in runs:
            _, err = p.communicate(timeout=120)
            results.append((p.returncode, err))
    finally:
        for p in runs:
            procs.kill_group(p)
    codes = sorted(c for c, _ in results)
    assert codes[0] == 0 and set(codes) <= {0, 3}
    for code, err in results:
        if code == 3:
            assert "déjà en cours" in err
    assert len(doc_ids(index)) == 40
    # every finished run switched to a complete generation; at most two are kept
    assert len(list(index.glob("gen-*"))) <= 2


def test_whoosh_write_lock_held_elsewhere_is_reported_as_busy(tmp_path, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus", 3)
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    make_corpus(tmp_path / "corpus", 4)  # one new file
    monkeypatch.setattr(build, "LOCK_WAIT", 0.2)
    _, ix = open_index(index)
    w = ix.writer()  # a foreign writer holding Whoosh's WRITELOCK
    try:
        with pytest.raises(IndexBusyError, match="déjà en cours"):
            reindex(corpus, index, workers=1)
    finally:
        w.cancel()
    assert reindex(corpus, index, workers=1).added == 1


def test_run_dying_between_commit_and_state_is_redone_without_duplicates(tmp_path, monkeypatch):
    corpus = make_corpus(tmp_path / "corpus", 5)
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    make_corpus(tmp_path / "corpus", 8)  # 3 new files
    (corpus / "art_0000.txt").write_text("Titre changé\n\nUn texte entièrement nouveau sur la marée.\n",
                                         encoding="utf-8")
    real_save = IndexState.save

    def crash(self, gen_dir):
        raise KeyboardInterrupt  # the process dies right after Whoosh's commit

    monkeypatch.setattr(IndexState, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        reindex(corpus, index, workers=1)
    monkeypatch.setattr(IndexState, "save", real_save)
    report = reindex(corpus, index, workers=1)
    assert (report.added, report.updated) == (3, 1)
    ids = doc_ids(index)
    assert ids == sorted(set(ids)) and len(ids) == 8
    _, ix = open_index(index)
    with ix.searcher() as s:
        assert len(list(s.docs_for_query(Term("id", "art_0000")))) == 1


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("full", [True, False], ids=["full", "incremental"])
def test_kill_9_mid_reindex_leaves_the_previous_generation_serving(tmp_path, full, request):
    corpus = make_corpus(tmp_path / "corpus", 20)
    index = tmp_path / "index"
    first = reindex(corpus, index, workers=1)
    before = doc_ids(index)
    make_corpus(tmp_path / "corpus", 420, seed=7)  # 400 more files to index
    args = ["reindex", "--workers", "2", "--corpus", str(corpus), "--index", str(index)]
    e = dict(os.environ, PYTHONPATH=str(ROOT))
    p = procs.popen(SEARCHSVC + args + (["--full"] if full else []), stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True, env=e)
    request.addfinalizer(lambda: procs.kill_group(p))
    workers = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = p.stderr.readline()
            assert line, "reindex ended before it could be killed"
            workers.update(_children(p.pid))
            if line.startswith("indexation : "):
                done, total = files_done(line)
                if 0 < done < total:
                    break
        workers.update(_children(p.pid))
        os.kill(p.pid, signal.SIGKILL)
    finally:
        p.kill()
        p.communicate(timeout=30)
    assert p.returncode == -signal.SIGKILL
    # the workers die with their parent
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers and not any(_alive(w) for w in workers)
    # the previous generation is intact and searchable
    assert current_generation(index) == first.generation
    assert doc_ids(index) == before
    _, ix = open_index(index)
    with ix.searcher() as s:
        assert len(list(s.document_numbers(id="art_0003"))) == 1
    assert IndexState.load(index / first.generation) is not None
    # and the next reindex succeeds and cleans up
    again = cli("reindex", "--corpus", str(corpus), "--index", str(index))
    assert again.returncode == 0, again.stderr
    assert len(doc_ids(index)) == 420
    assert not any(p.name.endswith(".tmp") for p in index.iterdir())
    gens = sorted(p.name for p in index.glob("gen-*"))
    assert current_generation(index) in gens and len(gens) <= 2
    assert "Aucun changement" in cli("reindex", "--corpus", str(corpus), "--index", str(index)).stdout


@pytest.mark.skipif(not hasattr(os, "nice"), reason="POSIX nice")
def test_reindex_runs_at_a_lower_cpu_priority_by_default(tmp_path):
    """`searchsvc reindex` lowers its CPU priority (and its workers') by 10 unless told
    otherwise, so that the service's searches come first while it runs."""
    script = ("import os, sys; from searchsvc.cli import main; "
              "code = main(sys.argv[1:]); print('nice', os.nice(0)); sys.exit(code)")
    base = os.nice(0)  # the suite may itself run under nice: a priority is never raised back
    for extra, asked in (([], 10), (["--nice", "0"], 0), (["--nice", "15"], 15)):
        r = subprocess.run([sys.executable, "-c", script, "reindex", "--quiet", "--workers", "1",
                            "--corpus", str(ROOT / "corpus"), "--index", str(tmp_path / f"ix{asked}"), *extra],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert f"nice {max(base, asked)}" in r.stdout
