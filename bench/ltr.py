"""Learning to rank, the small way: fit the weights of the ranking's components on
both dev sets, with cross-validation, and print every fit's figures.

For each query of bench/ranking.py's two dev sets (news-fr known-item, piaf-dev),
the scorer's components are read for the 100 best full and the 100 best partial
matches (:mod:`searchsvc.search.matching`), with their copy groups (:meth:`searchsvc.backends.whoosh.scoring.Scorer.features`: BM25 body / title / question
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
Every MRR@10 is the engine's listing replayed (:func:`listing`: full matches first,
one hit per copy group, a copy of the known item counting); :func:`diagnose`
switches one of those at a time, ``--rules`` replays other matching rules, and
``--gbm N`` cross-validates a LightGBM LambdaMART model of N trees the same way
(needs ``pip install lightgbm==4.7.0``: measured, not better, so not a dependency).

    .venv/bin/python bench/ltr.py [--rebuild-features] [--diagnose] [--rules] [--gbm 100]

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

from searchsvc.search import matching  # noqa: E402
from searchsvc.backends.whoosh import collapse, scoring  # noqa: E402
from searchsvc.backends.whoosh import SearchEngine  # noqa: E402
from searchsvc.search.budget import Budget  # noqa: E402
from searchsvc.backends.whoosh import query as wquery  # noqa: E402
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
    """One record a query: ``{"group", "relevant", "features", "full", "keys", "rel_keys"}``.

    ``features`` are the components of the :data:`POOL` best full matches and the
    :data:`POOL` best partial ones (:mod:`searchsvc.search.matching`; the union's
    best 100 are among them, so that OR + coordination can be replayed too),
    ``full[i]`` whether candidate ``i`` is a full match, ``keys[i]`` its copy-group
    key (:mod:`searchsvc.backends.whoosh.collapse`), ``relevant`` the positions of the
    known items and ``rel_keys`` the group keys of every known item (found or not)."""
    cache = OUT / f"ltr2-{name}.pkl"
    if cache.exists() and not rebuild:
        return pickle.loads(cache.read_bytes())
    t = time.perf_counter()
    engine = SearchEngine(index_dir)
    saved = ranking.PROX_WEIGHT
    ranking.PROX_WEIGHT = 1.0  # so that the proximity bonus is computed

    def run(gen, s):
        reader = s.reader()
        groups = collapse.groups_for(gen, s, engine.index_dir)
        live = gen.facets.live
        out = []
        for n_done, q in enumerate(queries):
            if n_done % 200 == 0:
                print(f"{name}: {n_done} queries, {time.perf_counter() - t:.0f} s", flush=True)
            pq = qmod.parse(bench_ranking.as_words(q["query"]), engine.synonyms)
            built = wquery.build(pq, gen.schema, reader)
            feats, full_flags = [], []
            if built.units:
                need = matching.required(len(built.units))
                full, partial = engine._matching(gen, s, built, need, Budget(1e9))
                full, partial = full & live, partial & live
                docset = lambda x: gen.docset(s, x)  # noqa: E731
                for pool, flag in ((full, True), (partial, False)):
                    if pool:
                        got = gen.scorer.features(reader, built.units, docset, pool, POOL)
                        feats += got
                        full_flags += [flag] * len(got)
                extra = unit_features(gen, s, built, [d for d, _ in feats])
                for (_, f), x in zip(feats, extra):
                    f.update(x)
            ids = [s.stored_fields(d)["id"] for d, _ in feats]
            rel = set(q["relevant_ids"])
            rel_nums = [engine._docnum(s, r) for r in rel]
            out.append({"group": q.get("wiki_title") or q["query"],
                        "relevant": {i for i, doc_id in enumerate(ids) if doc_id in rel},
                        "features": [f for _, f in feats], "full": full_flags,
                        "keys": [int(groups.key[d]) for d, _ in feats],
                        "rel_keys": {int(groups.key[d]) for d in rel_nums if d is not None}})
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


def unit_features(gen, s, built, docnums: list[int]) -> list[dict]:
    """Per candidate: ``idf_cov`` (share of the query's idf mass, non-question units,
    that the document contains), ``idf_missing`` (idf of its rarest missing unit),
    ``length`` (body length in words, log)."""
    from math import log as ln

    n = max(gen.scorer.n, 1)
    sets, idfs = [], []
    for u in built.units:
        if scoring._is_question(u):
            continue
        docs = gen.docset(s, u)
        df = len(docs)
        sets.append(docs)
        idfs.append(ln(1 + (n - df + 0.5) / (df + 0.5)))
    mass = sum(idfs) or 1.0
    reader = s.reader()
    out = []
    for d in docnums:
        have = [i for i, docs in enumerate(sets) if d in docs]
        missing = [idfs[i] for i in range(len(sets)) if i not in have]
        out.append({"idf_cov": sum(idfs[i] for i in have) / mass,
                    "idf_missing": max(missing, default=0.0),
                    "length": ln(1 + (reader.doc_field_length(d, "body", 0) or 0))})
    return out


def score(f: dict, w: dict) -> float:
    n = f["units"]
    coord = (f["matched"] / n) ** w["COORD_POWER"] if n > 1 else 1.0
    return coord * (f["body"] + w["TITLE_WEIGHT"] * f["title"] + w["QUESTION_WEIGHT"] * f["question"]
                    + w["EARLY_WEIGHT"] * f["early"] + w["EXACT_WEIGHT"] * f["exact"] + w["PROX_WEIGHT"] * f["prox"])


#: How a query's candidates are listed and a hit counted (the engine's defaults:
#: full matches first, one hit per copy group, a copy of the known item counts).
MODE = {"tiered": True, "collapsed": True, "credit": "copy"}


LINEAR = ("body", "TITLE_WEIGHT", "QUESTION_WEIGHT", "EARLY_WEIGHT", "EXACT_WEIGHT", "PROX_WEIGHT")


def linear_scores(q: dict, w: dict):
    """:func:`score` of every candidate of ``q`` at once (numpy)."""
    import numpy as np

    if "_F" not in q:
        fs = q["features"]
        q["_F"] = np.array([[f["body"], f["title"], f["question"], f["early"], f["exact"], f["prox"]]
                            for f in fs]).reshape(len(fs), 6)
        units = np.array([f["units"] for f in fs])
        q["_cov"] = np.where(units > 1, np.array([f["matched"] for f in fs]) / np.maximum(units, 1), 1.0)
    vec = np.array([1.0] + [w[k] for k in LINEAR[1:]])
    return (q["_cov"] ** w["COORD_POWER"]) * (q["_F"] @ vec)


def listing(q: dict, scores, tiered, collapsed: bool) -> list[int]:
    """The first K candidate positions as the engine lists them: full matches first
    (``tiered``; else every candidate is one, as OR + coordination), best first,
    one per copy group among the full matches (``collapsed``), then the partial ones."""
    import numpy as np

    if isinstance(tiered, tuple):  # another matching rule: (strict_max, fraction), question words optional
        full = [f["matched"] >= matching.required(int(f["units"]), *tiered) for f in q["features"]]
    else:
        full = q["full"] if tiered else [True] * len(scores)
    order = np.lexsort((-np.asarray(scores, dtype=float), ~np.asarray(full, dtype=bool))).tolist()
    out, seen = [], set()
    for i in order:
        if collapsed and full[i]:
            if q["keys"][i] in seen:
                continue
            seen.add(q["keys"][i])
        out.append(i)
        if len(out) == K:
            break
    return out


def reciprocal_rank(q: dict, order: list[int], credit: str) -> float:
    """1 / rank of the first hit that is a known item (``credit="exact"``) or a
    member of a known item's copy group (``"copy"``)."""
    for rank, i in enumerate(order):
        if i in q["relevant"] or (credit == "copy" and q["keys"][i] in q["rel_keys"]):
            return 1 / (rank + 1)
    return 0.0


def mrr(data: list[dict], w, mode: dict | None = None, recall: bool = False) -> float:
    """MRR@10 (or Recall@10) of ``data`` under weights ``w`` (a dict of the linear
    model, or a callable giving a query's candidate scores)."""
    mode = dict(MODE, **(mode or {}))
    total = 0.0
    for q in data:
        if not q["features"]:
            continue
        scores = w(q) if callable(w) else linear_scores(q, w)
        rr = reciprocal_rank(q, listing(q, scores, mode["tiered"], mode["collapsed"]), mode["credit"])
        total += (rr > 0) if recall else rr
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


def diagnose(w: dict, news: list[dict], piaf: list[dict]) -> None:
    """The shipped weights under each way of listing and counting (one switched at a
    time from the engine's), to tell the matching rule, copy collapsing and the
    crediting of copies apart."""
    rows = [("engine: full first, collapsed, copy of the item counts", {}),
            ("  only the item itself counts (as bench/ranking.py before)", {"credit": "exact"}),
            ("  copies not collapsed (copies=all)", {"collapsed": False}),
            ("  not collapsed, only the item itself", {"collapsed": False, "credit": "exact"}),
            ("  OR + coordination (no full/partial split)", {"tiered": False}),
            ("  OR + coordination, only the item, not collapsed", {"tiered": False, "collapsed": False,
                                                                   "credit": "exact"})]
    print("listing and counting (shipped weights; MRR@10 / Recall@10):")
    for label, mode in rows:
        print(f"  {label:<58} news-fr {mrr(news, w, mode):.4f} / {mrr(news, w, mode, True):.4f}"
              f"  piaf {mrr(piaf, w, mode):.4f} / {mrr(piaf, w, mode, True):.4f}")
    pool = sum(bool(q["relevant"]) for q in news) / len(news), sum(bool(q["relevant"]) for q in piaf) / len(piaf)
    print(f"  known item among the candidates read: news-fr {pool[0]:.4f}  piaf {pool[1]:.4f}")
    def oracle(q):  # the known items first within their tier: what no weighting can beat
        return [1.0 if (i in q["relevant"] or q["keys"][i] in q["rel_keys"]) else 0.0
                for i in range(len(q["features"]))]
    print(f"  ceiling (known item first within its tier, engine listing): news-fr {mrr(news, oracle):.4f}"
          f"  piaf {mrr(piaf, oracle):.4f}; OR + coordination: news-fr "
          f"{mrr(news, oracle, {'tiered': False}):.4f}  piaf {mrr(piaf, oracle, {'tiered': False}):.4f}")
    for name, data in (("news-fr", news), ("piaf", piaf)):
        partial = sum(1 for q in data if q["relevant"] and not any(q["full"][i] for i in q["relevant"]))
        print(f"  {name}: known item only a partial match in {partial} of {len(data)} queries")


#: LambdaMART inputs: the linear model's components, coverage, the query's shape,
#: and components relative to the query's best candidate (the scales of a
#: 399-paragraph and a 33,930-article index differ; ratios carry over).
GBM_FEATURES = ("body", "title", "question", "early", "exact", "prox", "coverage", "units",
                "idf_cov", "idf_missing", "length", "rel_body", "rel_exact", "rel_prox", "rel_linear")


def gbm_rows(q: dict, w: dict) -> list[list[float]]:
    feats = q["features"]
    linear = [score(f, w) for f in feats]
    top = {k: max([f[k] for f in feats] + [1e-9]) for k in ("body", "exact", "prox")}
    best = max(linear + [1e-9])
    return [[f["body"], f["title"], f["question"], f["early"], f["exact"], f["prox"],
             f["matched"] / max(f["units"], 1), f["units"], f["idf_cov"], f["idf_missing"], f["length"],
             f["body"] / top["body"], f["exact"] / top["exact"], f["prox"] / top["prox"], s / best]
            for f, s in zip(feats, linear)]


def gbm_label(q: dict, i: int) -> int:
    return int(i in q["relevant"] or q["keys"][i] in q["rel_keys"])


GBM_PARAMS = {"objective": "lambdarank", "metric": "ndcg", "eval_at": [10], "num_leaves": 7,
              "learning_rate": 0.05, "min_data_in_leaf": 50, "feature_fraction": 0.8,
              "lambdarank_truncation_level": 20, "verbose": -1, "num_threads": 1, "seed": 8}


def gbm_fit(sets: list[list[dict]], w: dict, rounds: int = 150):
    """A LightGBM LambdaMART model over :data:`GBM_FEATURES` (each set weighs about the
    same: the queries of the smaller one are repeated)."""
    import lightgbm as lgb
    import numpy as np

    X, y, groups = [], [], []
    largest = max(len(d) for d in sets)
    for data in sets:
        for q in data * max(1, round(largest / max(len(data), 1))):
            if not q["features"]:
                continue
            X += gbm_rows(q, w)
            y += [gbm_label(q, i) for i in range(len(q["features"]))]
            groups.append(len(q["features"]))
    train = lgb.Dataset(np.asarray(X), np.asarray(y), group=groups, feature_name=list(GBM_FEATURES))
    return lgb.train(GBM_PARAMS, train, num_boost_round=rounds)


def gbm_scorer(model, w: dict):
    import numpy as np

    def scores(q):
        if not q["features"]:
            return []
        return list(model.predict(np.asarray(gbm_rows(q, w))))
    return scores


def cross_validate(label: str, news, piaf, train, k: int = 5) -> None:
    """Cross-set and held-apart-fold figures of a learner: ``train(sets) -> weights``."""
    a = train([news])
    b = train([piaf])
    print(f"{label}: fit on news-fr -> news-fr {mrr(news, a):.4f}, piaf {mrr(piaf, a):.4f}; "
          f"fit on piaf -> piaf {mrr(piaf, b):.4f}, news-fr {mrr(news, b):.4f}", flush=True)
    nf, pf = folds(news, k), folds(piaf, k)
    held = {"news": [], "piaf": []}
    for i in range(k):
        train_n = [news[j] for f in range(k) if f != i for j in nf[f]]
        train_p = [piaf[j] for f in range(k) if f != i for j in pf[f]]
        m = train([train_n, train_p])
        test_n, test_p = [news[j] for j in nf[i]], [piaf[j] for j in pf[i]]
        held["news"].append((mrr(test_n, m), len(test_n)))
        held["piaf"].append((mrr(test_p, m), len(test_p)))

    def mean(rows):
        return sum(m * n for m, n in rows) / sum(n for _, n in rows)

    both = train([news, piaf])
    print(f"{label}: {k}-fold held-apart news-fr {mean(held['news']):.4f}  piaf {mean(held['piaf']):.4f}; "
          f"fit on both (in-sample) news-fr {mrr(news, both):.4f}  piaf {mrr(piaf, both):.4f}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rebuild-features", action="store_true")
    ap.add_argument("--limit", type=int, default=None, help="news-fr: index only the first N articles")
    ap.add_argument("--diagnose", action="store_true", help="only the listing/counting table")
    ap.add_argument("--rules", action="store_true", help="replay other matching rules")
    ap.add_argument("--gbm", type=int, default=0, help="also LightGBM LambdaMART with this many trees")
    a = ap.parse_args(argv)
    nq, nix, _ = bench_ranking.newsfr_set(a.limit, False)
    pq, pix, _ = bench_ranking.piaf_set(False)
    news = collect("newsfr", nq, nix, a.rebuild_features)
    piaf = collect("piaf", pq, pix, a.rebuild_features)
    shipped = {k: get() for k, (get, _) in PARAMS.items()}
    print(f"MRR@10 re-ranking the {POOL} best full and {POOL} best partial candidates "
          "(FTS5 in bench/ranking.py's run)")
    diagnose(shipped, news, piaf)
    if a.rules:
        print("matching rules (question words optional; shipped weights):")
        for strict in (4, 5, 6):
            for frac in (0.0, 0.25, 1 / 3, 0.5):
                mode = {"tiered": (strict, frac)}
                print(f"  strict <= {strict}, then {frac:.2f}: news-fr {mrr(news, shipped, mode):.4f} / "
                      f"{mrr(news, shipped, mode, True):.4f}  piaf {mrr(piaf, shipped, mode):.4f} / "
                      f"{mrr(piaf, shipped, mode, True):.4f}", flush=True)
    if a.diagnose:
        return 0
    show("shipped weights", shipped, news, piaf)
    both = fit([news, piaf], shipped)
    show("linear, fit on both", both, news, piaf)
    cross_validate("linear (coordinate ascent)", news, piaf, lambda sets: fit(sets, shipped))
    if a.gbm:
        cross_validate(f"LambdaMART ({GBM_PARAMS['num_leaves']} leaves, {a.gbm} trees)", news, piaf,
                       lambda sets: gbm_scorer(gbm_fit(sets, both, a.gbm), both))
    return 0


if __name__ == "__main__":
    sys.exit(main())
