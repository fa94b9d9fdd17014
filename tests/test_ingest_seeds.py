"""Plain-text boilerplate removal measured against a hand annotation of the seeds.

tests/fixtures/ingest/seed_gold.json lists, for each seed article, the title line,
every line to drop (with its reason) and every body line to keep. Line-level
precision and recall are printed (run with -s) and must both be 1.0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchsvc.ingest import corpus_files, extract, load_manifest

GOLD = json.loads((Path(__file__).parent / "fixtures/ingest/seed_gold.json").read_text(encoding="utf-8"))
SEEDS = sorted(GOLD["files"])


def _line_scores(seed_corpus):
    """(tp, fp, fn) for "line dropped as boilerplate", over every annotated line."""
    tp = fp = fn = 0
    for name in SEEDS:
        gold = GOLD["files"][name]
        art = extract(seed_corpus / name, root=seed_corpus, manifest={})[0]
        dropped = {d.text for d in art.dropped}
        kept = set(art.text.split("\n\n"))
        for d in gold["drop"]:
            if d["text"] in dropped:
                tp += 1
            else:
                fn += 1
        for line in gold["keep"]:
            if line not in kept:
                fp += 1
    return tp, fp, fn


def test_seed_line_level_precision_and_recall(seed_corpus):
    tp, fp, fn = _line_scores(seed_corpus)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    n_keep = sum(len(GOLD["files"][n]["keep"]) for n in SEEDS)
    print(f"\nseed boilerplate lines: precision {precision:.3f} recall {recall:.3f} "
          f"({tp + fn} boilerplate lines, {n_keep} body lines)")
    assert (precision, recall) == (1.0, 1.0)


@pytest.mark.parametrize("name", SEEDS)
def test_seed_body_kept_in_order_and_boilerplate_dropped_with_reason(seed_corpus, name):
    gold = GOLD["files"][name]
    art = extract(seed_corpus / name, root=seed_corpus, manifest={})[0]
    assert art.text.split("\n\n") == gold["keep"]
    assert [(d.text, d.reason) for d in art.dropped] == [(d["text"], d["reason"]) for d in gold["drop"]]


@pytest.mark.parametrize("name", SEEDS)
def test_seed_metadata_from_the_text_itself(seed_corpus, name):
    gold = GOLD["files"][name]
    art = extract(seed_corpus / name, root=seed_corpus, manifest={})[0]
    assert (art.title, art.source, art.date, art.lang) == (gold["title"], gold["source"], gold["date"], gold["lang"])
    assert art.id == Path(name).stem and art.path == name


def test_shipped_manifest_covers_the_seeds_and_wins_over_text_cues(seed_corpus):
    manifest = load_manifest(seed_corpus)
    ids = [p.stem for p in corpus_files(seed_corpus)]
    assert sorted(manifest) == sorted(ids)
    for path in corpus_files(seed_corpus):
        art = extract(path, root=seed_corpus)[0]  # manifest loaded from the root
        entry = manifest[art.id]
        gold = GOLD["files"][path.name]
        for field in ("title", "source", "date", "lang"):
            expected = entry.get(field) if entry.get(field) is not None else gold[field]
            assert getattr(art, field) == expected, (path.name, field)


def test_corpus_walk_lists_only_articles(seed_corpus):
    names = [p.name for p in corpus_files(seed_corpus)]
    assert names == SEEDS
