"""Growth: news-fr at 1x and 10x (339,300 articles): reindex, memory, index size, queries.

Generates (not timed; cached under bench/out/scale/, git-ignored, never committed) a
corpus of ``factor`` times news-fr from ../shared/datasets/news-fr/news_fr.jsonl.gz
(bench/_newsfr.py's reading): copy 0 is the dataset itself, copies 1..9 are its
articles again with new ids, their paragraphs shuffled (the lead stays first) and
their dates shifted by 1 to 365 days either way, deterministic from ``--seed``.
Each copy is one ``news-KK.jsonl`` (the format the product ingests fastest: a big
.jsonl is cut into parts the workers share; bench/index_speed.py --jsonl measured
0.74x the time of the same articles as .txt files). The shuffled copies of an article
share most of its word pairs, so copy grouping joins the ten versions into one group:
the worst case for its LSH (every band bucket holds ten signatures).

For each size it runs, as subprocesses, ``searchsvc reindex --full`` (end-to-end time,
docs/s, peak RSS of the whole process tree sampled every 0.1 s and the largest single
process: bench/index_speed.py's ``run_reindex``), the index size, an unchanged
incremental run, then times bench/query_speed.py's query set (facets and snippets for
10 results, in-process) on both indexes, query by query in turn (the same moments of a
noisy machine for both sizes), beside SQLite FTS5 built from the same articles and
answering the same queries (bench/query_speed.py's ``fts5_search``) as the reference.
When the query p50 grows more than 4x, the slowest query at the larger size is profiled.

Entities (spaCy NER) are off (``--no-entities``) unless ``--entities``: they cost about
6x CPU and a 10x run with them takes hours on 2 cores.

Targets (issue 13), at 10x against 1x: full reindex time <= 11x, peak memory <= 2 GB,
query p50 <= 4x.

    flock /work/wt/heavy.lock nice -n 5 .venv/bin/python bench/scale.py [--base 1] [--factor 10]
        [--backend whoosh|opensearch|both]
    ... bench/scale.py --phase base; ... --phase factor; ... --phase queries   # the same in 3 runs
    .venv/bin/python bench/scale.py --base 0.05 --factor 0.5      # a quick check
    .venv/bin/python bench/scale.py --generate-only               # the corpora only

``--backend opensearch`` (or ``both``) runs the same steps on the OpenSearch backend
(``SEARCHSVC_OPENSEARCH_URL``, else a local 3-node cluster started for the run, heap
512 MB a node): ``searchsvc reindex --full`` with ``SEARCHSVC_BACKEND=opensearch`` into
the alias ``bench-scale-<size>``, the index size from ``_stats`` (primaries and
replicas), each node's RSS, and the same queries through the OpenSearch engine,
interleaved with the Whoosh ones. Targets (issue 22), OpenSearch backend: query p50 at
the larger size <= 1.5x its p50 at the smaller; at the larger size, p50 and p95 <= one
fifth of the Whoosh backend's; indexing docs/s >= 2x the Whoosh backend's.

Data: OrangeSum (actu.orange.fr), CC-BY-SA-4.0, Kamal Eddine, Tixier, Vazirgiannis,
"BARThez", 2020; read from ../shared, never copied into the project.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _newsfr import NEWS, TOTAL, body_text, iter_records, write_jsonl  # noqa: E402
from index_speed import dir_size, mb, peak_where, print_groups, run_reindex  # noqa: E402
from query_speed import (CLASSES, fts5_build, fts5_search, interleaved, make_queries,  # noqa: E402
                         pct, query_class, report)

OUT = HERE / "out" / "scale"
SEED = 20261201
#: the format of the generated corpus (changing the generator means regenerating)
VERSION = 1
MAX_SHIFT_DAYS = 365


# ---------------------------------------------------------------- generator


def scaled_record(rec: dict, copy: int, seed: int = SEED) -> dict:
    """Copy ``copy`` of one dataset record: a new id; from copy 1 on, the paragraphs
    shuffled and the date shifted, both drawn from (seed, copy, id) alone."""
    out = dict(rec, id=f"{rec['id']}-x{copy}")
    if copy == 0:
        return out
    rng = random.Random(f"{seed}:{copy}:{rec['id']}")
    paragraphs = list(rec.get("paragraphs") or [])
    rng.shuffle(paragraphs)
    out["paragraphs"] = paragraphs
    shift = rng.randint(1, MAX_SHIFT_DAYS) * rng.choice((-1, 1))
    try:
        day = dt.date.fromisoformat((rec.get("date") or "")[:10])
    except ValueError:
        return out  # undated stays undated
    out["date"] = (day + dt.timedelta(days=shift)).isoformat()
    return out


def copy_sizes(factor: float, total: int = TOTAL) -> list[int]:
    """Articles of each copy for ``factor`` times ``total``: whole copies, then the
    first articles of one more."""
    sizes = [total] * int(factor)
    rest = round((factor - int(factor)) * total)
    return sizes + ([rest] if rest else [])


def generate(dest, factor: float, seed: int = SEED, records=None) -> int:
    """Write ``factor`` times the dataset (or the list ``records``) into folder ``dest``
    as one ``news-KK.jsonl`` a copy; returns the number of articles."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    total = TOTAL if records is None else len(records)
    count = 0
    for k, n in enumerate(copy_sizes(factor, total)):
        source = iter_records(n) if records is None else records[:n]
        count += write_jsonl(dest / f"news-{k:02d}.jsonl",
                             records=(scaled_record(r, k, seed) for r in source))
    return count


def corpus(factor: float, seed: int, out: Path) -> tuple[Path, int]:
    """The generated corpus of ``factor`` (generated unless already there); its size."""
    tag = f"{factor:g}x"
    dest, stamp = out / f"corpus-{tag}", out / f"corpus-{tag}.json"
    want = {"factor": factor, "seed": seed, "version": VERSION, "dataset": NEWS.stat().st_size}
    try:
        have = json.loads(stamp.read_text())
    except (OSError, ValueError):
        have = {}
    if {k: have.get(k) for k in want} == want and dest.is_dir():
        return dest, have["articles"]
    shutil.rmtree(dest, ignore_errors=True)
    t = time.perf_counter()
    n = generate(dest, factor, seed)
    stamp.write_text(json.dumps({**want, "articles": n}))
    print(f"generated {tag}: {n:,} articles in {time.perf_counter() - t:.0f} s "
          f"({dir_size(dest) / 2**20:,.0f} MB) under {dest}", flush=True)
    return dest, n


def corpus_records(path: Path) -> Iterator[dict]:
    """The records of a generated corpus, copy by copy."""
    for f in sorted(path.glob("news-*.jsonl")):
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)


# ---------------------------------------------------------------- measures


def os_env(env: dict, tag: str) -> dict:
    """The environment of a reindex or an engine on the OpenSearch backend, alias per size."""
    return {"SEARCHSVC_BACKEND": "opensearch", "SEARCHSVC_OPENSEARCH_URL": env["SEARCHSVC_OPENSEARCH_URL"],
            "SEARCHSVC_OPENSEARCH_INDEX": f"bench-scale-{tag}".lower(), "SEARCHSVC_OPENSEARCH_TIMEOUT": "300"}


def os_size(env: dict) -> tuple[int, int]:
    """(primaries, with replicas) bytes of the index behind the alias of ``env``, once its
    replicas are copied (the reindex switches the alias at yellow)."""
    from searchsvc.backends.opensearch.client import connect

    c = connect(env)
    try:
        c.cluster.health(index=env["SEARCHSVC_OPENSEARCH_INDEX"], wait_for_status="green",
                         params={"timeout": "600s", "request_timeout": 660})
        st = c.indices.stats(index=env["SEARCHSVC_OPENSEARCH_INDEX"], metric="store")["_all"]
        return st["primaries"]["store"]["size_in_bytes"], st["total"]["store"]["size_in_bytes"]
    finally:
        c.close()


def measure_index(tag: str, corpus_dir: Path, n: int, out: Path, extra: list[str],
                  os_cluster: dict | None = None) -> dict:
    """Full reindex (into a fresh folder, or a fresh OpenSearch index when
    ``os_cluster`` is given), size and an unchanged incremental run."""
    index = out / f"index-{tag}"
    shutil.rmtree(index, ignore_errors=True)
    env_extra = os_env(os_cluster, tag) if os_cluster is not None else None
    print(f"\n== {tag}: {n:,} articles, full reindex ({' '.join(extra) or 'entities on'})", flush=True)
    full = run_reindex(corpus_dir, index, "--full", *extra, env_extra=env_extra)
    if full.get("code", 0):
        sys.exit(f"reindex failed: {full.get('stderr', '')[-2000:]}")
    if env_extra is None:
        gen = (index / "CURRENT").read_text().strip()
        size = dir_size(index / gen)
    else:
        size, with_replicas = os_size({**os_cluster, **env_extra})
        print(f"opensearch index: {mb(size)} primaries, {mb(with_replicas)} with replicas; node RSS "
              + ", ".join(mb(r) for r in node_rss(os_cluster)), flush=True)
    print(f"full reindex {full['seconds']:.1f} s, {n / full['seconds']:.0f} docs/s, CPU "
          f"{full['cpu']:.0f} s; peak memory {mb(full['peak_tree'])} (process tree), largest "
          f"process {mb(full['maxrss_proc'])}; index {mb(size)}", flush=True)
    print(f"memory: {peak_where(full)}", flush=True)
    print_groups(index, env_extra)
    noops = [run_reindex(corpus_dir, index, *extra, env_extra=env_extra) for _ in range(3)]
    said = all("Aucun changement" in r["stdout"] for r in noops)
    noop = sorted(noops, key=lambda r: r["seconds"])[1]  # the median of 3 (start-up noise)
    print(f"incremental, nothing changed: median of 3 runs {noop['seconds']:.2f} s ("
          + ", ".join(f"{r['seconds']:.2f}" for r in noops) + f"; says nothing changed: {said})",
          flush=True)
    return {"tag": tag, "n": n, "index": index, "seconds": full["seconds"], "cpu": full["cpu"],
            "peak": full["peak_tree"], "size": size, "noop": noop["seconds"], "noop_ok": said,
            "backend": "whoosh" if env_extra is None else "opensearch", "env": env_extra}


def node_rss(os_cluster: dict) -> list[int]:
    """Each local node's RSS in bytes: the run's own cluster, or the one started by
    ``searchsvc cluster start --dir $SEARCHSVC_CLUSTER_DIR`` (none for a cluster elsewhere)."""
    from searchsvc.backends.opensearch import cluster

    folder = os_cluster.get("_cluster_dir") or os.environ.get("SEARCHSVC_CLUSTER_DIR")
    if not folder:
        return []
    return [int((cluster.node_rss_mb(n["pid"]) or 0) * 2**20) for n in cluster.status(folder)["nodes"]]


def fts5_reference(corpus_dir: Path) -> tuple[sqlite3.Connection, float]:
    """bench/query_speed.py's FTS5 table (in memory) of a generated corpus; build seconds."""
    t = time.perf_counter()
    db = fts5_build((r["id"], r.get("source"), r.get("date") or "", r.get("title") or "",
                     body_text(r)) for r in corpus_records(corpus_dir))
    return db, time.perf_counter() - t


def measure_groups(corpus_dir: Path, n: int) -> None:
    """Copy grouping alone over the signatures of a generated corpus (the parent's last
    step of a full reindex): seconds, then the memory it allocates (tracemalloc, a second
    run). The texts are the records' lead and paragraphs, as the product indexes them."""
    import tracemalloc

    from searchsvc.article import Article
    from searchsvc.enrich import copies

    t = time.perf_counter()
    recs = [rec for rec in (copies.record(Article(id=r["id"], title=r.get("title"), text=body_text(r),
                                                  source=r.get("source"), date=r.get("date"), lang="fr"))
                            for r in corpus_records(corpus_dir)) if rec is not None]
    print(f"\n== copy grouping of {len(recs):,} signatures ({n:,} articles; signatures made in "
          f"{time.perf_counter() - t:.0f} s, not counted)", flush=True)
    t = time.perf_counter()
    store = copies.CopyStore()
    store.update(recs)
    seconds = time.perf_counter() - t
    st = store.stats()
    tracemalloc.start()
    copies.CopyStore().update(recs)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    import numpy as np

    band_pairs = 0  # what the LSH proposes before deduplication, every band's bucket pairs
    for b in range(copies.BANDS):
        keys = np.ascontiguousarray(store.sigs[:, b * copies.ROWS:(b + 1) * copies.ROWS])
        counts = np.unique(keys.view(f"V{copies.ROWS * 4}").ravel(), return_counts=True)[1]
        band_pairs += int((counts.astype(np.int64) * (counts - 1) // 2).sum())
    print(f"LSH: {band_pairs:,} band pairs, {len(copies.candidate_pairs(store.sigs)):,} distinct candidates")
    sizes = {}
    for rows in store.members().values():
        sizes[len(rows)] = sizes.get(len(rows), 0) + 1
    print(f"grouping: {seconds:.1f} s, allocating at most {mb(peak)} beyond the records; "
          f"{st['groups']:,} groups holding {st['grouped_documents']:,} articles; groups by size: "
          + ", ".join(f"{k}: {v:,}" for k, v in sorted(sizes.items())))


def budget_cut(result: dict) -> bool:
    """Whether the query's CPU budget ran out (searchsvc.search.budget: a note says so)."""
    return any(n.startswith("Temps de calcul dépassé") for n in result.get("notes") or ())


def time_queries(runs: list[dict], raw: list[dict], repeat: int, fts5: bool) -> None:
    """p50/p95 of the query set on each size's index (and FTS5 table), in turn."""
    from searchsvc.search import parse_params
    from searchsvc.backends.whoosh import SearchEngine

    queries = [parse_params(q) for q in raw]
    engines = {}
    for r in runs:
        if r.get("backend") == "opensearch":
            from searchsvc.backends.opensearch.client import connect
            from searchsvc.backends.opensearch.engine import OpenSearchEngine

            env = {**os.environ, **r["env"]}
            Path(r["index"]).mkdir(parents=True, exist_ok=True)
            engines[r["tag"]] = OpenSearchEngine(r["index"], alias=env["SEARCHSVC_OPENSEARCH_INDEX"],
                                                 client=connect(env))
        else:
            engines[r["tag"]] = SearchEngine(r["index"])
        engines[r["tag"]].search(queries[0])  # opens the generation (arrays, copy groups)
        if fts5 and r.get("backend") != "opensearch":
            db, r["fts5_build"] = fts5_reference(r["corpus"])
            engines["fts5 " + r["tag"]] = _Fts5(db)
    cut = {name: 0 for name in engines}

    def count_cuts(name, result):
        cut[name] += budget_cut(result)

    times = interleaved(engines, queries, repeat, on_result=count_cuts)
    for r in runs:
        ms = times[r["tag"]]
        r.update(p50=pct(ms, 50), p95=pct(ms, 95), times=ms, cut=cut[r["tag"]])
        if "fts5 " + r["tag"] in times:
            f = times["fts5 " + r["tag"]]
            r.update(fts5_p50=pct(f, 50), fts5_p95=pct(f, 95))
        report(r["tag"], ms)
    classes = [query_class(q) for q in raw] * repeat
    print("per class, p50 ms: " + "; ".join(
        f"{c} " + " / ".join(f"{pct([m for m, k in zip(r['times'], classes) if k == c], 50):.0f}"
                             for r in runs)
        for c in CLASSES if c in classes) + f" ({' / '.join(r['tag'] for r in runs)})")
    small, big = runs[0], runs[-1]
    if big["p50"] > 4 * small["p50"] and big.get("backend") != "opensearch":
        profile_slowest(engines[big["tag"]], queries, big["times"])
    for name, engine in engines.items():
        engine.close()


class _Fts5:
    """FTS5 with the engine's two methods (so that :func:`interleaved` times it)."""

    def __init__(self, db):
        self.db = db

    def search(self, params):
        fts5_search(self.db, params)
        return {}

    def close(self):
        self.db.close()


def profile_slowest(engine, queries, times) -> None:
    i = max(range(len(times)), key=times.__getitem__) % len(queries)
    prof = cProfile.Profile()
    prof.enable()
    engine.search(queries[i])
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
    print(f"\nprofile of the slowest query at the larger size ({max(times):.0f} ms): "
          f"{queries[i].to_dict()}")
    print("\n".join(buf.getvalue().splitlines()[4:40]))


# ---------------------------------------------------------------- table


def table(runs: list[dict], entities: bool) -> None:
    small, big = runs[0], runs[-1]
    growth = big["n"] / small["n"]
    time_max = 1.1 * growth
    rows = [
        ("articles", lambda r: f"{r['n']:,}", f"{growth:.2f}x", ""),
        ("full reindex (s)", lambda r: f"{r['seconds']:.0f}", f"{big['seconds'] / small['seconds']:.2f}x",
         f"<= {time_max:.1f}x " + ("met" if big["seconds"] <= time_max * small["seconds"] else "MISSED")),
        ("docs/s", lambda r: f"{r['n'] / r['seconds']:.0f}",
         f"{(big['n'] / big['seconds']) / (small['n'] / small['seconds']):.2f}x", ""),
        ("CPU time (s)", lambda r: f"{r['cpu']:.0f}", f"{big['cpu'] / small['cpu']:.2f}x", ""),
        ("peak memory (MB)", lambda r: f"{r['peak'] / 2**20:,.0f}", f"{big['peak'] / small['peak']:.2f}x",
         f"<= 2,048 MB at {big['tag']} " + ("met" if big["peak"] <= 2 * 2**30 else "MISSED")),
        ("index size (MB)", lambda r: f"{r['size'] / 2**20:,.0f}", f"{big['size'] / small['size']:.2f}x", ""),
        ("no-op reindex (s)", lambda r: f"{r['noop']:.2f}", f"{big['noop'] / small['noop']:.2f}x", ""),
    ]
    if "p50" in big:
        rows += [
            ("query p50 (ms)", lambda r: f"{r['p50']:.1f}", f"{big['p50'] / small['p50']:.2f}x",
             "<= 4x " + ("met" if big["p50"] <= 4 * small["p50"] else "MISSED")),
            ("query p95 (ms)", lambda r: f"{r['p95']:.1f}", f"{big['p95'] / small['p95']:.2f}x", ""),
            ("cut by the budget", lambda r: f"{r['cut']}", "", ""),
        ]
    if "fts5_p50" in big:
        rows += [
            ("FTS5 build (s)", lambda r: f"{r['fts5_build']:.0f}",
             f"{big['fts5_build'] / small['fts5_build']:.2f}x", "reference"),
            ("FTS5 p50 (ms)", lambda r: f"{r['fts5_p50']:.1f}", f"{big['fts5_p50'] / small['fts5_p50']:.2f}x",
             "reference"),
            ("FTS5 p95 (ms)", lambda r: f"{r['fts5_p95']:.1f}", f"{big['fts5_p95'] / small['fts5_p95']:.2f}x",
             "reference"),
        ]
    print(f"\n== growth {small['tag']} -> {big['tag']} ({'entities on' if entities else '--no-entities'}; "
          f"load average at the end of indexing {' / '.join('%.1f' % r.get('load', 0) for r in runs)}, "
          f"of the queries {os.getloadavg()[0]:.1f}; compare ratios)")
    print(f"{'':<20}{small['tag']:>10}{big['tag']:>10}{'ratio':>9}  target")
    for name, cell, ratio, target in rows:
        print(f"{name:<20}{cell(small):>10}{cell(big):>10}{ratio:>9}  {target}")


def backends_table(runs: list[dict]) -> None:
    """The OpenSearch backend beside the Whoosh backend, size by size (issue 22's targets)."""
    w = [r for r in runs if r.get("backend", "whoosh") == "whoosh"]
    o = [r for r in runs if r.get("backend") == "opensearch"]
    print("\n== OpenSearch backend / Whoosh backend, same run (ratios; compare, the machine is shared)")
    for rw, ro in zip(w, o):
        dw, do = rw["n"] / rw["seconds"], ro["n"] / ro["seconds"]
        line = f"{rw['tag']:>6}: indexing {do:.0f} / {dw:.0f} docs/s = {do / dw:.2f}x (target >= 2x: " \
               f"{'met' if do >= 2 * dw else 'MISSED'})"
        if "p50" in rw and "p50" in ro:
            line += (f"; query p50 {ro['p50']:.1f} / {rw['p50']:.1f} ms = {ro['p50'] / rw['p50']:.2f}x, "
                     f"p95 {ro['p95']:.1f} / {rw['p95']:.1f} ms = {ro['p95'] / rw['p95']:.2f}x "
                     f"(target <= 0.2x at the larger size)")
        print(line)
    if len(o) == 2 and "p50" in o[0]:
        g = o[1]["p50"] / o[0]["p50"]
        print(f"OpenSearch p50 {o[1]['tag']} / {o[0]['tag']}: {g:.2f}x (target <= 1.5x: "
              f"{'met' if g <= 1.5 else 'MISSED'})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=float, default=1.0, help="the smaller size, times news-fr (default 1)")
    ap.add_argument("--factor", type=float, default=10.0, help="the larger size, times news-fr (default 10)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=OUT, help=f"where corpora and indexes go (default {OUT})")
    ap.add_argument("--entities", action="store_true", help="entities and quotes on (hours at 10x)")
    ap.add_argument("--workers", type=int, default=None, help="reindex --workers (default: cores)")
    ap.add_argument("--repeat", type=int, default=1, help="run the query set N times")
    ap.add_argument("--no-fts5", action="store_true", help="skip the FTS5 reference")
    ap.add_argument("--no-queries", action="store_true")
    ap.add_argument("--generate-only", action="store_true", help="write the corpora and stop")
    ap.add_argument("--phase", choices=("all", "base", "factor", "queries", "groups"), default="all",
                    help="one step at a time (each a shorter locked run): index the base size or "
                         "the factor (figures saved beside the index), or time the queries on "
                         "both and print the table; groups: copy grouping alone on the factor's "
                         "signatures")
    ap.add_argument("--clean", action="store_true", help="delete corpora and indexes at the end")
    ap.add_argument("--backend", choices=("whoosh", "opensearch", "both"), default="whoosh",
                    help="the backend(s) measured; opensearch: SEARCHSVC_OPENSEARCH_URL, else a local "
                         "3-node cluster started for the run")
    a = ap.parse_args(argv)
    if a.backend != "whoosh":
        from _opensearch import bench_cluster

        with bench_cluster() as (env, folder):
            return run(a, {**env, "_cluster_dir": folder} if folder else env)
    return run(a, None)


def run(a, os_cluster) -> int:
    if not NEWS.exists():
        sys.exit(f"dataset not found: {NEWS}")
    if not 0 < a.base < a.factor:
        sys.exit("--base must be above 0 and below --factor")
    a.out.mkdir(parents=True, exist_ok=True)
    print(f"scale: {os.cpu_count()} cores, Python {sys.version.split()[0]}, workers="
          f"{a.workers or 'default (cores)'}, seed {a.seed}; load average {os.getloadavg()[0]:.1f}",
          flush=True)
    corpora = [(f, *corpus(f, a.seed, a.out)) for f in (a.base, a.factor)]
    if a.generate_only:
        return 0
    if a.phase == "groups":
        measure_groups(corpora[1][1], corpora[1][2])
        return 0
    extra = ([] if a.entities else ["--no-entities"]) + (["--workers", str(a.workers)] if a.workers else [])
    runs = []
    backends = {"whoosh": ["whoosh"], "opensearch": ["opensearch"], "both": ["whoosh", "opensearch"]}[a.backend]
    sizes = [(which, b, f, path, n) for b in backends
             for which, (f, path, n) in zip(("base", "factor"), corpora)]
    for which, backend, f, path, n in sizes:
        tag = f"{f:g}x" + ("-os" if backend == "opensearch" else "")
        saved = a.out / f"result-{tag}.json"
        if a.phase in ("all", which):
            r = measure_index(tag, path, n, a.out, extra, os_cluster if backend == "opensearch" else None)
            r.update(corpus=str(path), index=str(r["index"]), entities=a.entities,
                     load=os.getloadavg()[0])
            saved.write_text(json.dumps(r))
        elif a.phase == "queries":
            try:
                r = json.loads(saved.read_text())
            except (OSError, ValueError):
                sys.exit(f"no result for {f:g}x: run --phase {which} first")
            if r["n"] != n or r["entities"] != a.entities:
                sys.exit(f"{saved} was measured on another corpus or mode: run --phase {which} again")
        else:
            continue
        runs.append({**r, "corpus": Path(r["corpus"]), "index": Path(r["index"])})
    if a.phase in ("base", "factor"):
        return 0
    if not a.no_queries:
        raw = make_queries()
        print(f"\n{len(raw)} queries x {a.repeat} (bench/query_speed.py's set), facets + snippets for "
              f"10 results, each size in turn{', beside FTS5' if not a.no_fts5 else ''}", flush=True)
        time_queries(runs, raw, a.repeat, not a.no_fts5)
    for backend in backends:
        table([r for r in runs if r.get("backend", "whoosh") == backend], a.entities)
    if len(backends) == 2:
        backends_table(runs)
    if a.clean:
        for f, path, _ in corpora:
            shutil.rmtree(path, ignore_errors=True)
            shutil.rmtree(a.out / f"index-{f:g}x", ignore_errors=True)
            (a.out / f"corpus-{f:g}x.json").unlink(missing_ok=True)
            (a.out / f"result-{f:g}x.json").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
