"""bench/scale.py's generator: the same bytes from the same seed, new ids, the real
articles with their paragraphs shuffled and their dates shifted."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
_spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
scale = importlib.util.module_from_spec(_spec)
sys.modules["bench_scale"] = scale
_spec.loader.exec_module(scale)

RECORDS = [{"id": f"a{i}", "source": "exemple.fr", "date": "2020-02-29" if i else "",
            "title": f"Titre {i}", "lead": f"Chapeau {i}.",
            "paragraphs": [f"Paragraphe {j} de l'article {i}." for j in range(6)]}
           for i in range(5)]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _read(folder: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(folder.glob("news-*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines()]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    assert scale.generate(tmp_path / "a", 2.4, seed=1, records=RECORDS) == 12
    scale.generate(tmp_path / "b", 2.4, seed=1, records=RECORDS)
    scale.generate(tmp_path / "c", 2.4, seed=2, records=RECORDS)
    a = _files(tmp_path / "a")
    assert list(a) == ["news-00.jsonl", "news-01.jsonl", "news-02.jsonl"]
    assert a == _files(tmp_path / "b")
    assert a != _files(tmp_path / "c")


def test_copies_are_the_articles_with_new_ids_shuffled_and_shifted(tmp_path):
    scale.generate(tmp_path, 3, seed=7, records=RECORDS)
    rows = _read(tmp_path)
    assert len({r["id"] for r in rows}) == len(rows) == 15
    first, later = rows[:5], rows[5:]
    for rec, got in zip(RECORDS, first):  # copy 0: the article itself under a new id
        assert got == {**rec, "id": rec["id"] + "-x0"}
    shuffled = 0
    for i, got in enumerate(later):
        rec = RECORDS[i % 5]
        assert got["id"] != rec["id"] and got["title"] == rec["title"] and got["lead"] == rec["lead"]
        assert sorted(got["paragraphs"]) == sorted(rec["paragraphs"])
        shuffled += got["paragraphs"] != rec["paragraphs"]
        if rec["date"]:
            days = abs((dt.date.fromisoformat(got["date"]) - dt.date(2020, 2, 29)).days)
            assert 1 <= days <= scale.MAX_SHIFT_DAYS
        else:
            assert got["date"] == ""
    assert shuffled >= 8  # 6 paragraphs: a draw keeps the order once in 720


def test_copy_sizes():
    assert scale.copy_sizes(10, 100) == [100] * 10
    assert scale.copy_sizes(0.05, 33_930) == [1_696]
    assert scale.copy_sizes(2.5, 10) == [10, 10, 5]


def test_run_reindex_says_at_which_step_the_memory_peaked(tmp_path):
    """The benchmarks' reindex runner follows the reindex's log lines as they come and
    names the step during which the process tree and the reindex process peaked."""
    import index_speed

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(4):
        (corpus / f"a{i}.txt").write_text(f"Titre {i}\n\n" + " ".join(f"mot{j} article{i}" for j in range(300)),
                                          encoding="utf-8")
    r = index_speed.run_reindex(corpus, tmp_path / "index", "--full", "--no-entities")
    assert r["stdout"].count("documents indexés : 4") == 1
    steps = [line.strip()[:120] for line in r["stderr"].splitlines() if line.strip()]
    assert steps and r["parent_peak"] > 0 and r["peak_tree"] >= r["parent_peak"]
    assert r["peak_step"] in steps + [""] and r["parent_peak_step"] in steps + [""]
    said = index_speed.peak_where(r)
    assert "tree peak during" in said and "own peak" in said
