"""Copy groups (searchsvc.enrich.copies): index time, incremental runs, seeds."""

from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pytest

from copymaker import outlet_copy
from searchsvc.enrich import copies
from searchsvc.backends.whoosh.indexer import current_generation, reindex
from searchsvc.ingest import extract, load_manifest

SEED = "001_608624f0b3493408"  # BBC News, 2022-09-22
OTHER = "002_209a75ba72bab8cf"  # no date


def paragraphs(corpus, name) -> list[str]:
    art = extract(corpus / f"{name}.txt", root=corpus, manifest=load_manifest(corpus))[0]
    return art.text.split("\n\n")


def write_article(corpus, name, text, *, source, date, title="Un titre refait par le site"):
    (corpus / f"{name}.json").write_text(
        json.dumps({"title": title, "text": text, "source": source, "date": date}, ensure_ascii=False),
        encoding="utf-8")


def groups(index) -> dict[str, str]:
    """id -> group id of every article with a copy record."""
    store = copies.CopyStore.load(index / current_generation(index))
    return dict(zip(store.ids, store.groups))


def members(index, group) -> set[str]:
    return {i for i, g in groups(index).items() if g == group}


def copy_a(p):  # dateline, trailer
    return outlet_copy(p, dateline="PARIS (AFP) - ", trailer="Avec AFP")


def copy_b(p):  # a paragraph dropped, two swapped, 10 % of the words changed
    return outlet_copy(p, drop=2, swap=(1, 3), change_rate=0.10, rng=random.Random(3))


def test_signature_is_deterministic_and_none_below_the_minimum_length():
    text = " ".join(f"mot{i}" for i in range(copies.MIN_WORDS))
    sig, size = copies.signature(text)
    assert sig is not None and sig.dtype == np.uint32 and sig.shape == (copies.NUM_PERM,)
    assert np.array_equal(sig, copies.signature(text)[0])
    assert size == copies.MIN_WORDS - 1
    assert copies.signature(" ".join(text.split()[:-1])) == (None, 0)


def test_word_hashes_follow_the_words():
    text = "L’AFP a annoncé : « 50 000 manifestants » à Paris-Nord, aujourd'hui."
    assert len(copies._word_hashes(text)) == len(copies.words(text))
    # same words, other spacing and case: same shingles
    assert np.array_equal(copies._hashes(text), copies._hashes("l’afp  A annoncé\n« 50 000 MANIFESTANTS » à paris nord aujourd hui"))


def test_the_seeds_are_not_grouped(built_index, seed_corpus):
    g = groups(built_index)
    seeds = sorted(p.stem for p in seed_corpus.glob("*.txt"))
    assert set(seeds) <= set(g)  # every seed is long enough to have a record
    assert all(g[s] == s for s in seeds)
    assert copies.CopyStore.load(built_index / current_generation(built_index)).stats()["groups"] == 0


def test_copies_of_a_seed_join_its_group_under_incremental_reindexing(tmp_path, corpus_copy):
    corpus, index = corpus_copy, tmp_path / "index"
    p = paragraphs(corpus, SEED)
    write_article(corpus, "copie_a", copy_a(p), source="Le Quotidien", date="2022-09-23")
    write_article(corpus, "copie_b", copy_b(p), source="La Gazette", date="2022-09-24")
    # a two-line brief made of the seed's first words stands alone
    tokens = " ".join(p).split()
    brief = " ".join(tokens[: copies.MIN_WORDS - 5])
    while len(copies.words(brief)) >= copies.MIN_WORDS:
        brief = brief.rsplit(" ", 1)[0]
    write_article(corpus, "breve", brief, source="Le Quotidien", date="2022-09-22")
    reindex(corpus, index, full=True, workers=1)
    assert members(index, SEED) == {SEED, "copie_a", "copie_b"}
    assert "breve" not in groups(index)

    # adding a copy joins it to the group
    write_article(corpus, "copie_c", outlet_copy(p, keep=len(p) - 1, trailer="(avec AFP)"),
                  source="Ouest Matin", date="2022-09-25")
    rep = reindex(corpus, index, workers=1)
    assert not rep.full and rep.added == 1
    assert members(index, SEED) == {SEED, "copie_a", "copie_b", "copie_c"}

    # updating an article regroups it: copie_b becomes a copy of another seed
    write_article(corpus, "copie_b", copy_b(paragraphs(corpus, OTHER)), source="La Gazette",
                  date="2022-09-24")
    reindex(corpus, index, workers=1)
    assert members(index, SEED) == {SEED, "copie_a", "copie_c"}
    # OTHER has no date: the dated copy is the first publication
    assert members(index, "copie_b") == {"copie_b", OTHER}

    # deleting the first copy passes its role on to the next oldest
    (corpus / f"{SEED}.txt").unlink()
    reindex(corpus, index, workers=1)
    assert members(index, "copie_a") == {"copie_a", "copie_c"}
    assert SEED not in groups(index)

    # a full rebuild over the same files gives the same groups
    index2 = tmp_path / "index2"
    reindex(corpus, index2, full=True, workers=1)
    assert groups(index2) == groups(index)


def test_groups_do_not_depend_on_the_order_of_the_rows():
    rng = random.Random(5)
    vocab = [f"mot{i}" for i in range(3000)]
    bases = [[" ".join(rng.choice(vocab) for _ in range(40)) for _ in range(4)] for _ in range(30)]
    recs = []
    for k, base in enumerate(bases):
        for c in range(k % 3 + 1):
            text = outlet_copy(base, change_rate=0.05 * c, rng=rng, vocab=vocab)
            sig, size = copies.signature(text)
            recs.append(copies.CopyRecord(f"a{k:02d}-{c}", f"2020-01-{c + 1:02d}", "", "", "", size, sig))
    one, two = copies.CopyStore(), copies.CopyStore()
    one.update(recs)
    shuffled = recs[:]
    rng.shuffle(shuffled)
    for chunk in (shuffled[:20], shuffled[20:45], shuffled[45:]):
        two.update(chunk)
    assert one.groups == two.groups and one.ids == two.ids
    got = dict(zip(one.ids, one.groups))
    assert all(got[r.id] == r.id.split("-")[0] + "-0" for r in recs)


def test_reindex_without_a_store_rebuilds_fully(tmp_path, corpus_copy):
    index = tmp_path / "index"
    reindex(corpus_copy, index, full=True, workers=1)
    (index / current_generation(index) / copies.STORE_NAME).unlink()
    rep = reindex(corpus_copy, index, workers=1)
    assert rep.full and "copies" in rep.reason
    assert len(groups(index)) == 5


def test_diff_of_two_long_unrelated_texts_is_bounded():
    import time

    from searchsvc.search.textdiff import MAX_SENTENCES, diff

    rng = random.Random(2)
    a = " ".join(f"Phrase {rng.random():.6f} numéro {i} du premier texte." for i in range(3000))
    b = " ".join(f"Autre {rng.random():.6f} phrase {i} du second texte." for i in range(3000))
    t = time.process_time()
    d = diff(a, b)
    assert time.process_time() - t < 20
    assert d["summary"]["removed"] + d["summary"]["changed"] == MAX_SENTENCES


def _band_pairs_all(sigs: np.ndarray) -> set:
    """Every (i, j) pair sharing an LSH band, by brute force (buckets under the chain size)."""
    out = set()
    for b in range(copies.BANDS):
        buckets: dict[bytes, list[int]] = {}
        for i, row in enumerate(sigs[:, b * copies.ROWS:(b + 1) * copies.ROWS]):
            buckets.setdefault(row.tobytes(), []).append(i)
        out |= {(x, y) for rows in buckets.values() for k, x in enumerate(rows) for y in rows[k + 1:]}
    return out


def _versions(n_articles: int, k: int, noise: float, seed: int) -> np.ndarray:
    """``k`` versions of each of ``n_articles`` signatures, a share ``noise`` of values redrawn."""
    rng = np.random.default_rng(seed)
    sigs = np.repeat(rng.integers(0, 2**32, size=(n_articles, copies.NUM_PERM), dtype=np.uint32),
                     k, axis=0)
    redraw = rng.random(sigs.shape) < noise
    sigs[redraw] = rng.integers(0, 2**32, size=int(redraw.sum()), dtype=np.uint32)
    return sigs


def test_candidate_pairs_are_every_pair_sharing_a_band_once_in_order():
    sigs = _versions(40, 6, 0.2, seed=3)
    pairs = copies.candidate_pairs(sigs)
    assert pairs.dtype == np.int64 and pairs.shape[1] == 2
    assert [tuple(p) for p in pairs.tolist()] == sorted(_band_pairs_all(sigs))


def test_candidate_pairs_hold_the_distinct_pairs_only():
    """Ten versions of each article (bench/scale.py's 10x corpus) put ten signatures in
    most buckets of every band: 42 bands x 45 pairs each, 20 times fewer distinct ones.
    Holding all of them before deduplicating took 2 GB and minutes at 339,300 signatures."""
    import tracemalloc

    sigs = _versions(500, 10, 0.05, seed=4)
    tracemalloc.start()
    try:
        pairs = copies.candidate_pairs(sigs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(pairs) <= 500 * 45
    assert peak < 4 * 2**20, f"{peak / 2**20:.1f} MB"  # all the band pairs: ~ 30 MB
