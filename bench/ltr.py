"""Learning to rank, the small way: fit the weights of the ranking's components on
both dev sets, with cross-validation, and print every fit's figures.

For each query of bench/ranking.py's two dev sets (news-fr known-item, piaf-dev),
the scorer's components are read for the 100 best candidates
(:meth:`searchsvc.search.scoring.Scorer.features`: BM25 body / title / question
parts, early, exact-form and proximity bonuses, matched and query units). The
model is the ranking's own formula, linear in its components::

    (matched / units) ** COORD_POWER * (body + TITLE_WEIGHT * title
        + QUESTION_WEIGHT * question + EARLY_WEIGHT * early + EXACT_WEIGHT * exact
        + PROX_WEIGHT * prox)

and its six weights are fitted by coordinate ascent on MRR@10 (RankLib's
"coordinate ascent" ranker, over grids), a model that cannot memorise queries.
Fits: on news-fr tested on piaf-dev, on piaf-dev tested on news-fr, and 5
held-apart folds of both (piaf folds by Wikipedia article). The objective of a
fit over both sets is the mean of their MRR@10, each set weighing the same.

    .venv/bin/python bench/ltr.py [--rebuild-features]

Needs the indexes bench/ranking.py caches (run it first). Features are cached in
bench/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import pickle
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import ranking as bench_ranking  # noqa: E402  (bench/ranking.py)

from searchsvc.search import SearchEngine  # noqa: E402
from searchsvc.search import query as qmod  # noqa: E402
from searchsvc.search import ranking  # noqa: E402

OUT = HERE / "out"
POOL = 100
K = 10
PARAMS = {  # name: (shipped value read from the code, grid)
    "COORD_POWER": (lambda: ranking.COORD_POWER, [0, 0.25, 0.5, 0.75, 1, 1.5, 2]),
    "TITLE_WEIGHT": (lambda: ranking.TITLE_WEIGHT, [0, 0.25, 0.5, 0.75, 1, 1.5]),
    "QUESTION_WEIGHT": (lambda: ranking.QUESTION_WEIGHT, [0, 0.1, 0.25, 0.5, 1]),
    "EARLY_WEIGHT": (lambda: ranking.EARLY_WEIGHT, [0, 0.5, 1, 1.5, 2, 3]),
    "EXACT_WEIGHT": (lambda: ranking.EXACT_WEIGHT, [0, 0.5, 1, 1.5, 2, 3]),
    "PROX_WEIGHT": (lambda: ranking.PROX_WEIGHT, [0, 0.25, 0.5, 1, 2, 3, 5]),
}


def collect(name: str, queries, index_dir: Path, rebuild: bool) -> list[dict]:
    """[{"group", "relevant": set of positions, "features": [dict]}] of one set."""
    cache = OUT / f"ltr-{name}.pkl"
    if cache.exists() and not rebuild:
        return pickle.loads(cache.read_bytes())
    t = time.perf_counter()
    engine = SearchEngine(index_dir)
    saved = ranking.PROX_WEIGHT
    ranking.PROX_WEIGHT = 1.0  # so that the proximity bonus is computed

    def run(gen, s):
        reader = s.reader()
        out = []
        for q in queries:
            pq = qmod.parse(bench_ranking.as_words(q["query"]), engine.synonyms)
            built = qmod.build(pq, gen.schema, reader)
            feats = []
            if built.units:
                pool = engine._candidates(gen, s, built)
                feats = gen.scorer.features(reader, built.units, lambda x: gen.docset(s, x), pool, POOL)
            ids = [s.stored_fields(d)["id"] for d, _ in feats]
            rel = set(q["relevant_ids"])
            out.append({"group": q.get("wiki_title") or q["query"],
                        "relevant": {i for i, doc_id in enumerate(ids) if doc_id in rel},
                        "features": [f for _, f in feats]})
        return out

    try:
        data = engine._run(run)
    finally:
        ranking.PROX_WEIGHT = saved
        engine.close()
    OUT.mkdir(exist_ok=True)
    cache.write_bytes(pickle.dumps(data))
    print(f"{name}: features of {len(data)} queries in {time.perf_counter() - t:.0f} s")
    return data


def score(f: dict, w: dict) -> float:
    n = f["units"]
    coord = (f["matched"] / n) ** w["COORD_POWER"] if n > 1 else 1.0
    return coord * (f["body"] + w["TITLE_WEIGHT"] * f["title"] + w["QUESTION_WEIGHT"] * f["question"]
                    + w["EARLY_WEIGHT"] * f["early"] + w["EXACT_WEIGHT"] * f["exact"] + w["PROX_WEIGHT"] * f["prox"])


def mrr(data: list[dict], w: dict) -> float:
    total = 0.0
    for q in data:
        if not q["relevant"]:
            continue
        scores = [score(f, w) for f in q["features"]]
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[:K]
        for rank, i in enumerate(order):
            if i in q["relevant"]:
                total += 1 / (rank + 1)
                break
    return total / max(len(data), 1)


def objective(sets: list[list[dict]], w: dict) -> float:
    return sum(mrr(d, w) for d in sets) / len(sets)


def fit(sets: list[list[dict]], start: dict, rounds: int = 3) -> dict:
    """Coordinate ascent over the grids, from ``start``."""
    w = dict(start)
    best = objective(sets, w)
    for _ in range(rounds):
        improved = False
        for name, (_, grid) in PARAMS.items():
            for value in grid:
                trial = dict(w, **{name: value})
                got = objective(sets, trial)
                if got > best + 1e-6:
                    best, w, improved = got, trial, True
        if not improved:
            break
    return w


def folds(data: list[dict], k: int, seed: int = 8) -> list[list[int]]:
    groups = sorted({q["group"] for q in data})
    random.Random(seed).shuffle(groups)
    which = {g: i % k for i, g in enumerate(groups)}
    return [[i for i, q in enumerate(data) if which[q["group"]] == f] for f in range(k)]


def show(label: str, w: dict, news: list[dict], piaf: list[dict]) -> None:
    print(f"{label:<34} news-fr {mrr(news, w):.4f}  piaf {mrr(piaf, w):.4f}   "
          + " ".join(f"{k}={v:g}" for k, v in w.items()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rebuild-features", action="store_true")
    ap.add_argument("--limit", type=int, default=None, help="news-fr: index only the first N articles")
    a = ap.parse_args(argv)
    nq, nix, _ = bench_ranking.newsfr_set(a.limit, False)
    pq, pix, _ = bench_ranking.piaf_set(False)
    news = collect("newsfr", nq, nix, a.rebuild_features)
    piaf = collect("piaf", pq, pix, a.rebuild_features)
    shipped = {k: get() for k, (get, _) in PARAMS.items()}
    print(f"MRR@10 re-ranking the {POOL} best candidates (FTS5 in bench/ranking.py's run)")
    show("shipped weights", shipped, news, piaf)
    show("fit on news-fr (test: piaf)", fit([news], shipped), news, piaf)
    show("fit on piaf (test: news-fr)", fit([piaf], shipped), news, piaf)
    both = fit([news, piaf], shipped)
    show("fit on both", both, news, piaf)
    k = 5
    nf, pf = folds(news, k), folds(piaf, k)
    held = {"news": [], "piaf": []}
    for i in range(k):
        train_n = [news[j] for f in range(k) if f != i for j in nf[f]]
        train_p = [piaf[j] for f in range(k) if f != i for j in pf[f]]
        w = fit([train_n, train_p], shipped)
        test_n, test_p = [news[j] for j in nf[i]], [piaf[j] for j in pf[i]]
        held["news"].append((mrr(test_n, w), len(test_n)))
        held["piaf"].append((mrr(test_p, w), len(test_p)))
        show(f"fold {i + 1}/{k} (held-apart figures below)", w, test_n, test_p)

    def mean(rows):
        return sum(m * n for m, n in rows) / sum(n for _, n in rows)

    print(f"{k}-fold held-apart MRR@10: news-fr {mean(held['news']):.4f}  piaf {mean(held['piaf']):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
