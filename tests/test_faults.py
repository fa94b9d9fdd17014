"""Real faults against a real reindex: SIGKILL, a full filesystem, damaged and read-only
indexes, a corpus that vanishes. The scenarios are those of bench/faults.py."""

from __future__ import annotations

import importlib.util
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from searchsvc.backends.whoosh.indexer import current_generation, reindex
from searchsvc.backends.whoosh.indexer.store import LOCK_NAME, list_generations

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_faults", ROOT / "bench" / "faults.py")
faults = importlib.util.module_from_spec(_spec)
sys.modules["bench_faults"] = faults
_spec.loader.exec_module(faults)


def _kill_when_indexing(proc, at_least: int = 1) -> None:
    """SIGKILL ``proc`` once its progress lines show it is indexing files."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        assert line, "reindex ended before it could be killed"
        if line.startswith("indexation : "):
            m = re.search(r"(\d+)/(\d+) fichiers? \(", line)
            done, total = int(m.group(1)), int(m.group(2))
            if at_least <= done < total:
                proc.kill()
                proc.communicate(timeout=30)
                assert proc.returncode == -signal.SIGKILL
                return
    raise AssertionError("no progress line")


@pytest.mark.slow
def test_partial_generations_of_killed_full_reindexes_are_cleaned_by_the_next_run(tmp_path):
    """Defect 4: kills during ``reindex --full`` left gen-2 ... gen-n for ever."""
    corpus = tmp_path / "corpus"
    faults.write_articles(corpus, range(40))
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    faults.write_articles(corpus, range(40, 400))
    for _ in range(3):
        _kill_when_indexing(faults.popen("reindex", "--full", "--workers", "1", "--corpus", corpus,
                                         "--index", index))
    assert current_generation(index) == "gen-1"
    # each killed run removed the partial build of the one before (and reused its number)
    assert [p.name for _, p in list_generations(index)] == ["gen-1", "gen-2"]
    assert (index / LOCK_NAME).read_text().strip()  # the dead holder's pid
    r = faults.cli("reindex", "--workers", "1", "--corpus", corpus, "--index", index)  # incremental
    assert r.returncode == 0, r.stderr
    notes = [line for line in r.stderr.splitlines() if line.startswith("nettoyage : ")]
    assert "nettoyage : verrou d'une réindexation interrompue (processus" in notes[0]
    assert notes[1:] == ["nettoyage : génération partielle gen-2 d'une réindexation interrompue "
                         "supprimée"]
    assert [p.name for _, p in list_generations(index)] == ["gen-1"]
    assert len(faults.snapshot(index)) == 400
    assert faults.leftovers(index) == []
    assert (index / LOCK_NAME).read_text() == ""  # released cleanly: nothing to report next time
    again = faults.cli("reindex", "--full", "--workers", "1", "--corpus", corpus, "--index", index)
    assert again.returncode == 0 and "nettoyage" not in again.stderr
    assert current_generation(index) == "gen-2"  # numbering continues from the live generation


@pytest.mark.slow
def test_segments_of_a_killed_incremental_run_are_cleaned_even_when_nothing_changed(tmp_path):
    corpus = tmp_path / "corpus"
    faults.write_articles(corpus, range(20))
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    before = faults.snapshot(index)
    faults.write_articles(corpus, range(20, 420))
    _kill_when_indexing(faults.popen("reindex", "--workers", "2", "--corpus", corpus,
                                     "--index", index), at_least=200)
    assert faults.snapshot(index) == before
    for i in range(20, 420):
        (corpus / f"dep_{i:05d}.txt").unlink()  # back to the indexed corpus: nothing to commit
    left = faults.leftovers(index)
    assert any(name.startswith("gen-1/") for name in left), left
    r = faults.cli("reindex", "--workers", "1", "--corpus", corpus, "--index", index)
    assert r.returncode == 0 and "Aucun changement" in r.stdout
    assert "de segment non validé" in r.stderr
    assert faults.leftovers(index) == [] and faults.snapshot(index) == before


@pytest.mark.slow
def test_twenty_seeded_kills_leave_a_complete_generation_and_the_next_run_cleans_up(tmp_path):
    """kill -9 of the parent or of a worker, during full and incremental runs, at 20
    seeded moments: the old or the new generation is served whole (never a mix) by the
    engine, stats and the web app; the next run succeeds and reports what it cleaned."""
    outcomes = faults.kill_scenarios(tmp_path, kills=20, seed=2026, log=lambda row: None)
    _assert_all_ok(outcomes)
    actions = [o.action for o in outcomes]
    assert len(outcomes) == 20
    for who in ("parent", "worker"):
        for mode in ("full", "incremental"):
            assert sum(f"kill -9 {who} de reindex {mode} " in a for a in actions) == 5


needs_mount = pytest.mark.skipif(not faults.can_mount(),
                                 reason="mounting a tmpfs needs root (CI runs as root)")


def _assert_all_ok(outcomes):
    assert outcomes and all(o.ok for o in outcomes), "\n".join(o.row() for o in outcomes)


@needs_mount
@pytest.mark.slow
def test_disk_full_during_full_and_incremental_reindex(tmp_path):
    """Defect 8: an OSError traceback from whoosh's structfile.close; now one French line,
    exit 1, the previous generation served, and a successful run once space is freed."""
    outcomes = faults.disk_full_scenarios(tmp_path, log=lambda row: None)
    _assert_all_ok(outcomes)
    assert [o.scenario for o in outcomes] == ["disque plein (full)", "disque plein (incremental)"]
    for o in outcomes:
        assert "plus de place sur le disque" in o.result and "gen-1 reste en service" in o.result


@needs_mount
def test_read_only_index_folder(tmp_path):
    _assert_all_ok(faults.read_only_scenario(tmp_path, log=lambda row: None))


@pytest.mark.slow
def test_corpus_folder_removed_during_the_run_loses_nothing(tmp_path):
    _assert_all_ok(faults.corpus_removed_scenarios(tmp_path, log=lambda row: None))


def test_file_rewritten_while_it_is_read_is_reindexed_next_run(tmp_path, monkeypatch):
    """A file rewritten right after the reader got its text: the old text is indexed
    now, and the next run must see the change (not record the new file's hash)."""
    import searchsvc.pipeline as pipeline

    corpus = tmp_path / "corpus"
    faults.write_articles(corpus, range(3))
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    target = corpus / "dep_00001.txt"
    target.write_text("Ancienne version\n\nLe texte lu par la réindexation : hirondelle.\n",
                      encoding="utf-8")
    real_extract = pipeline.extract

    def extract_then_rewrite(path, *args, **kw):
        got = real_extract(path, *args, **kw)
        if path == target:  # a writer replaces the file while the run is on it
            target.write_text("Nouvelle version\n\nLe texte final du fichier : martinet.\n",
                              encoding="utf-8")
        return got

    monkeypatch.setattr(pipeline, "extract", extract_then_rewrite)
    reindex(corpus, index, workers=1)
    monkeypatch.setattr(pipeline, "extract", real_extract)
    assert "hirondelle" in _body(index, "dep_00001")
    report = reindex(corpus, index, workers=1)
    assert report.updated == 1
    assert "martinet" in _body(index, "dep_00001")


def _body(index, doc_id) -> str:
    from searchsvc.backends.whoosh.indexer import open_index

    _, ix = open_index(index)
    with ix.searcher() as s:
        return s.document(id=doc_id)["body"]


@pytest.mark.slow
def test_damaged_segment_is_a_503_healthz_says_why_and_reindex_repairs(tmp_path):
    outcomes = faults.corruption_scenarios(tmp_path, log=lambda row: None)
    _assert_all_ok(outcomes)
    assert [o.scenario for o in outcomes] == ["segment tronqué", "segment altéré"]


def test_generation_problem_names_the_truncated_or_altered_file(tmp_path):
    from searchsvc.backends.whoosh.indexer import CorruptIndexError, generation_problem, index_stats, open_index

    corpus = tmp_path / "corpus"
    faults.write_articles(corpus, range(8))
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    assert generation_problem(index / "gen-1") is None
    seg = max((index / "gen-1").glob("MAIN_*.seg"), key=lambda p: p.stat().st_size)
    data = seg.read_bytes()
    seg.write_bytes(data)  # rewritten, same bytes: a new mtime, not a damage
    assert generation_problem(index / "gen-1") is None
    seg.write_bytes(data[:-100])
    problem = generation_problem(index / "gen-1")
    assert problem == f"fichier « {seg.name} » tronqué : {len(data) - 100} octets au lieu de {len(data)}"
    with pytest.raises(CorruptIndexError, match="reindex --full"):
        open_index(index)
    with pytest.raises(CorruptIndexError):
        index_stats(index)
    report = reindex(corpus, index, workers=1)  # an incremental run rebuilds it in full
    assert report.full and "gen-1 endommagé" in report.reason and report.generation == "gen-2"
    assert open_index(index)[0] == "gen-2"


def test_damaged_index_answers_match_the_openapi_document(tmp_path):
    from test_api import assert_error, assert_matches_openapi

    from searchsvc.web import create_app

    corpus = tmp_path / "corpus"
    faults.write_articles(corpus, range(8))
    index = tmp_path / "index"
    reindex(corpus, index, workers=1)
    name = faults._damage(index, "altéré")  # before the app first reads the index
    client = create_app({"TESTING": True, "INDEX_DIR": str(index), "ADMIN_TOKEN": None}).test_client()
    resp = client.get("/api/search?q=conseil")
    assert_matches_openapi(resp, "/api/search")
    err = assert_error(resp, 503)
    assert err["code"] == "index_damaged" and name in err["message"]
    assert "searchsvc reindex --full" in err["message"]
    health = client.get("/healthz")
    assert_matches_openapi(health, "/healthz")
    assert health.status_code == 503
    assert health.get_json()["status"] == "damaged" and name in health.get_json()["message"]
    page = client.get("/?q=conseil")
    assert page.status_code == 503 and name in page.get_data(as_text=True)
