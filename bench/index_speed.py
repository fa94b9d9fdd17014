"""Full and incremental reindex speed, index size and peak memory on news-fr.

For each N (default 1,000 and 33,930) it writes N articles of
../shared/datasets/news-fr/news_fr.jsonl.gz as .txt files into a temp corpus
(bench/_newsfr.py; not timed), runs ``searchsvc reindex --full`` as a
subprocess and prints end-to-end docs/s (reading, boilerplate removal, language
detection, analysis, indexing, commit), the index size and peak memory: the
sum of the RSS of the reindex process tree, sampled every 0.1 s, and the
largest single process (ru_maxrss). Then it runs an incremental reindex on the
unchanged largest corpus, and one after touching/changing a few files.
``--profile N`` runs cProfile on N documents in-process (one worker) and prints
where the time goes. ``--stages N`` prints the CPU per article of each stage of entities
and quotes (NER's input, tokenizer and model, cleaning, quote frames, the parser,
speakers) on N articles in-process. ``--jsonl`` also writes the same N articles as one
``news.jsonl`` and prints its full reindex beside the .txt files' (issue 9: a big
.jsonl is shared out between the workers; target: within 10 % of the files).

Entities and quotes (spaCy NER, issue 12) are on in the full runs; a second full
reindex of the largest N with ``--no-entities`` prints the other mode beside it,
and the 33,930-article time is extrapolated from the measured rate when a smaller
N was run (issue 23: <= 7 min with entities on 2 quiet cores, peak memory <= 2 GB). The
run without copy grouping is made without entities too, and compared with that.

The machine is shared: figures are noisy, compare ratios measured in one run.

``--no-entities`` makes every run a ``--no-entities`` one (issue 13's docs/s; the unchanged
incremental run is the same code path in both modes: it never loads the model). The
unchanged incremental run is timed three times (best and all three printed).

    python bench/index_speed.py [--sizes 1000,33930] [--workers W] [--profile 2000] [--jsonl]
                                [--no-entities] [--no-copies-ratio] [--stages 500]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _newsfr import NEWS, TOTAL, write_corpus, write_jsonl  # noqa: E402


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            todo += [int(x) for x in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            pass
    return out


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def run_reindex(corpus: Path, index: Path, *extra, env_extra=None) -> dict:
    """One ``searchsvc reindex`` subprocess: seconds, peak tree RSS, ru_maxrss, output,
    and where the memory peaked: ``peak_step`` (the reindex's last log line then, read
    from stderr as it is written) and ``peak_parent`` (the reindex process's own RSS
    then) for the tree's peak, ``parent_peak``/``parent_peak_step`` for the reindex
    process's own largest RSS."""
    cmd = [sys.executable, "-m", "searchsvc.cli", "reindex", "--corpus", str(corpus),
           "--index", str(index), *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env_extra or {}))
    peak = {"tree": 0, "step": "", "parent": 0, "own": 0, "own_step": ""}
    step = [""]
    err_lines: list[str] = []
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    done = threading.Event()

    def follow():  # the log lines (stderr), as they come
        for line in p.stderr:
            err_lines.append(line)
            if line.strip():
                step[0] = line.strip()[:120]

    def sample():  # must not reap the child: wait4 below does
        while not done.is_set():
            parent = _rss(p.pid)
            tree = parent + sum(_rss(q) for q in _tree(p.pid) if q != p.pid)
            if tree > peak["tree"]:
                peak.update(tree=tree, step=step[0], parent=parent)
            if parent > peak["own"]:
                peak.update(own=parent, own_step=step[0])
            time.sleep(0.1)

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - t0
    done.set()
    p.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    err = "".join(err_lines)
    p.stdout.close(), p.stderr.close()
    th.join()
    if p.returncode != 0:
        print(f"reindex exited with {p.returncode}:\n{err[-2000:]}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    # wait4's rusage covers the reindex process and the workers it reaped
    return {"seconds": seconds, "code": p.returncode, "peak_tree": peak["tree"], "maxrss_proc": ru.ru_maxrss * 1024,
            "maxrss_children": children.ru_maxrss * 1024, "cpu": ru.ru_utime + ru.ru_stime,
            "stdout": out, "stderr": err, "peak_step": peak["step"], "peak_parent": peak["parent"],
            "parent_peak": peak["own"], "parent_peak_step": peak["own_step"]}


def peak_where(r: dict) -> str:
    """Where a :func:`run_reindex` peaked, in words."""
    return (f"tree peak during « {r['peak_step'] or 'start'} » (the reindex process itself "
            f"{mb(r['peak_parent'])} then); the reindex process's own peak {mb(r['parent_peak'])} "
            f"during « {r['parent_peak_step'] or 'start'} »")


LAST_FULL: dict = {}  # seconds and CPU time of the last full reindex (with copy grouping)


def mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def bench_full(n: int, tmp: Path, workers, entities: bool = True) -> tuple[Path, Path]:
    corpus, index = tmp / f"corpus_{n}", tmp / f"index_{n}"
    t = time.perf_counter()
    written = write_corpus(corpus, n)
    print(f"\n== N = {written:,} articles (corpus written in {time.perf_counter() - t:.1f} s, "
          f"{mb(dir_size(corpus))}); load average {os.getloadavg()[0]:.1f}", flush=True)
    extra = ["--full"] + (["--workers", str(workers)] if workers else []) \
        + ([] if entities else ["--no-entities"])
    r = run_reindex(corpus, index, *extra)
    LAST_FULL.update(seconds=r["seconds"], cpu=r["cpu"])
    gen = (index / "CURRENT").read_text().strip()
    size = dir_size(index / gen)
    summary = [l for l in r["stdout"].splitlines() if l.startswith(("ajoutés", "documents", "ignoré"))]
    bench_full.seconds = r["seconds"]
    mode = "entities and quotes on" if entities else "--no-entities"
    print(f"full reindex ({mode}): {r['seconds']:.1f} s end to end, {written / r['seconds']:.0f} docs/s "
          f"(target with entities <= 7 min for 33,930, >= 350 docs/s with --no-entities); CPU time "
          f"of the process tree {r['cpu']:.0f} s ({1000 * r['cpu'] / written:.1f} ms/doc); "
          f"load average after {os.getloadavg()[0]:.1f}")
    print(f"index size: {mb(size)} ({size / written / 1024:.1f} KB/doc)")
    print(f"peak memory: {peak_where(r)}")
    print(f"peak memory: {mb(r['peak_tree'])} whole process tree (sampled), "
          f"largest single process {mb(r['maxrss_children'])} (ru_maxrss); target < 2 GB with entities")
    for line in summary[:6]:
        print("   ", line)
    return corpus, index


def bench_without_copies(corpus: Path, tmp: Path, workers):
    """The same full reindex with copy grouping turned off: the cost of grouping."""
    extra = ["--full"] + (["--workers", str(workers)] if workers else [])
    n = len(list(corpus.glob("*.txt")))
    r = run_reindex(corpus, tmp / "index_nocopies", *extra,
                    env_extra={"SEARCHSVC_COPY_GROUPS": "0", "SEARCHSVC_NER": "0"})
    w = NO_ENTITIES or LAST_FULL
    print(f"\nfull reindex without copy grouping (SEARCHSVC_COPY_GROUPS=0, no entities): {r['seconds']:.1f} s, "
          f"{n / r['seconds']:.0f} docs/s, CPU {r['cpu']:.0f} s; with grouping {w['seconds']:.1f} s, "
          f"CPU {w['cpu']:.0f} s: speed with/without {r['seconds'] / w['seconds']:.3f} end to end, "
          f"{r['cpu'] / w['cpu']:.3f} in CPU time (target >= 0.9)")
    shutil.rmtree(tmp / "index_nocopies", ignore_errors=True)


NO_ENTITIES: dict = {}  # the last full reindex with --no-entities


def bench_without_entities(corpus: Path, tmp: Path, workers):
    """The same full reindex with ``--no-entities``: both modes side by side."""
    extra = ["--full", "--no-entities"] + (["--workers", str(workers)] if workers else [])
    n = len(list(corpus.glob("*.txt")))
    r = run_reindex(corpus, tmp / "index_noentities", *extra)
    NO_ENTITIES.update(seconds=r["seconds"], cpu=r["cpu"])
    w = LAST_FULL
    per_doc = w["seconds"] / n
    print(f"\nfull reindex, both modes on {n:,} articles: with entities and quotes "
          f"{w['seconds']:.1f} s ({n / w['seconds']:.0f} docs/s, CPU {w['cpu']:.0f} s), "
          f"--no-entities {r['seconds']:.1f} s ({n / r['seconds']:.0f} docs/s, CPU {r['cpu']:.0f} s, "
          f"peak memory {mb(r['peak_tree'])}): entities cost x{w['seconds'] / r['seconds']:.1f}")
    with_ms, without_ms = 1000 * w["cpu"] / n, 1000 * r["cpu"] / n
    share = with_ms - without_ms
    print(f"CPU per article: {with_ms:.1f} ms with entities and quotes, {without_ms:.1f} ms without; "
          f"the models' share (NER, parser on quoted sentences, cleaning, attribution) "
          f"{share:.1f} ms = {100 * share / with_ms:.0f} % (target: about 15 ms for the model on a "
          f"400-word article, quiet machine)")
    if n < TOTAL:
        cores = min(workers or os.cpu_count() or 1, os.cpu_count() or 1)
        print(f"extrapolated to {TOTAL:,} articles with entities (target <= 7 min): at this run's "
              f"wall rate {per_doc * TOTAL / 60:.1f} min; from its CPU time on {cores} free cores "
              f"{w['cpu'] / n * TOTAL / cores / 60:.1f} min; the CPU ratio with/without entities "
              f"is x{w['cpu'] / r['cpu']:.1f}: times an idle --no-entities run of the {TOTAL:,} "
              f"gives the idle estimate (the load inflates CPU time as well as wall time)")
    shutil.rmtree(tmp / "index_noentities", ignore_errors=True)


def print_groups(index: Path, env_extra=None):
    import json

    out = subprocess.run([sys.executable, "-m", "searchsvc.cli", "stats", "--index", str(index), "--json"],
                         capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT), **(env_extra or {})))
    cg = json.loads(out.stdout)["copy_groups"]
    print(f"copy groups: {cg['groups']:,} ({cg['grouped_documents']:,} articles in a group); largest: "
          + "; ".join(f"{g['size']} x {g['group']} {(g['title'] or '')[:50]!r}" for g in cg["largest"]))


def bench_jsonl(n: int, tmp: Path, workers, txt_seconds: float) -> None:
    """The same n articles as one .jsonl file: full reindex beside the .txt files' time."""
    corpus, index = tmp / f"jsonl_{n}", tmp / f"jsonl_index_{n}"
    written = write_jsonl(corpus / "news.jsonl", n)
    extra = ["--full"] + (["--workers", str(workers)] if workers else [])
    r = run_reindex(corpus, index, *extra)
    docs = next((l for l in r["stdout"].splitlines() if l.startswith("documents")), "?")
    ratio = r["seconds"] / txt_seconds
    print(f"full reindex of one news.jsonl ({mb((corpus / 'news.jsonl').stat().st_size)}, "
          f"{written:,} articles): {r['seconds']:.1f} s, {written / r['seconds']:.0f} docs/s, "
          f"{ratio:.2f}x the time of the .txt files (target <= 1.10); CPU time "
          f"{r['cpu']:.0f} s; peak memory {mb(r['peak_tree'])}; {docs}")
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)


def bench_incremental(corpus: Path, index: Path, workers, entities: bool = True):
    extra = (["--workers", str(workers)] if workers else []) + ([] if entities else ["--no-entities"])
    runs = [run_reindex(corpus, index, *extra) for _ in range(3)]
    r = min(runs, key=lambda x: x["seconds"])
    nothing = all("Aucun changement" in x["stdout"] for x in runs)
    print(f"\nincremental reindex, unchanged corpus of {len(list(corpus.glob('*.txt'))):,} files: "
          f"{r['seconds']:.2f} s end to end, best of 3 ("
          + ", ".join(f"{x['seconds']:.2f}" for x in runs) + f" s; CPU {r['cpu']:.2f} s; target < 2 s); "
          f"says nothing changed: {nothing}; load average {os.getloadavg()[0]:.1f}")
    files = sorted(corpus.glob("*.txt"))
    for f in files[:100]:  # touched only: same bytes, new mtime
        os.utime(f)
    for f in files[100:120]:  # really changed
        f.write_text(f.read_text(encoding="utf-8") + "\nParagraphe ajouté pour le banc d'essai.\n",
                     encoding="utf-8")
    for f in files[120:130]:
        f.unlink()
    r = run_reindex(corpus, index, *extra)
    line = next((l for l in r["stdout"].splitlines() if l.startswith("ajoutés")), "?")
    print(f"incremental reindex after touching 100, changing 20, deleting 10 files: "
          f"{r['seconds']:.2f} s ({line})")


def profile(n: int, tmp: Path):
    from searchsvc.backends.whoosh.indexer import reindex

    corpus, index = tmp / f"prof_{n}", tmp / f"prof_index_{n}"
    write_corpus(corpus, n)
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    reindex(corpus, index, full=True, workers=1)
    prof.disable()
    wall = time.perf_counter() - t
    st = pstats.Stats(prof)
    groups: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in st.stats.items():
        if "searchsvc/ingest" in filename:
            key = "ingest (reading, cleaning, metadata)"
        elif "langdetect" in filename:
            key = "language detection"
        elif "searchsvc/analysis" in filename or "whoosh/analysis" in filename or "Stemmer" in filename:
            key = "analysis (tokenize, fold, stem)"
        elif "whoosh/codec" in filename or "whoosh/filedb" in filename or "externalsort" in filename \
                or "whoosh/writing" in filename or "whoosh/columns" in filename or "whoosh/formats" in filename:
            key = "whoosh writing (pool, postings, columns)"
        elif "bs4" in filename or "lxml" in filename or "trafilatura" in filename:
            key = "html parsing"
        else:
            key = "other (builtins, re, hashing, ...)"
        groups[key] = groups.get(key, 0.0) + tottime
    total = sum(groups.values())
    print(f"\n== cProfile of a full reindex of {n:,} docs in-process, 1 worker "
          f"({wall:.1f} s under the profiler; self time by component)")
    for key, v in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {v:7.2f} s  {100 * v / total:5.1f} %  {key}")
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(15)
    print("\n".join(buf.getvalue().splitlines()[6:26]))


def _run_pipes(nlp, docs, batch_size: int) -> list:
    """``docs`` (tokenized) through every pipe of ``nlp``, as ``nlp.pipe`` runs them."""
    for _, pipe in nlp.pipeline:
        docs = list(pipe.pipe(docs, batch_size=batch_size))
    return docs


def stages(n: int, tmp: Path, warm: int = 200) -> None:
    """CPU per article of each stage of entities and quotes, in this process, on ``n``
    news-fr articles read as the reindex reads them, after ``warm`` others (the model's
    vocabulary and the tokenizers' caches warm, as in a long reindex's worker)."""
    os.environ["SEARCHSVC_NER"] = "1"
    from searchsvc.enrich import entities, models, nerinput, quotes, speakers
    from searchsvc.ingest import extract

    corpus = tmp / f"stages_{n}"
    write_corpus(corpus, warm + n)
    files = sorted(corpus.glob("*.txt"))
    t = time.process_time()
    nlp, parser = entities.nlp(), speakers.parser()
    loading = time.process_time() - t
    list(entities._read([entities.ner_text(a) for f in files[:warm] for a in extract(f, root=corpus)]))
    cpu: dict[str, float] = {}

    def clock(stage, fn):
        t = time.process_time()
        out = fn()
        cpu[stage] = cpu.get(stage, 0.0) + time.process_time() - t
        return out

    arts = clock("ingest (read, clean, language; reference)",
                 lambda: [a for f in files[warm:] for a in extract(f, root=corpus)])
    texts = [entities.ner_text(a) for a in arts]
    inputs = clock("NER input (sentences that may hold a name)", lambda: [nerinput.joined(t) for t in texts])
    docs = clock("NER tokenizer", lambda: [nlp.make_doc(j) for j, _ in inputs])
    docs = clock("NER model", lambda: _run_pipes(nlp, docs, entities.BATCH))
    ents = clock("entity cleaning", lambda: [entities.clean(t, entities._spans(d, segs))
                                             for t, d, (_, segs) in zip(texts, docs, inputs)])
    marks = clock("quote pairing and frames", lambda: [
        [speakers.frame(t, sp, k) for k in range(len(sp))] for t in texts for sp in [quotes.spans(t)]])
    frames = [f for fs in marks for f in fs]
    pdocs = clock("parser tokenizer", lambda: [parser.make_doc(f[0]) for f in frames])
    pdocs = clock("parser model", lambda: _run_pipes(parser, pdocs, 64))
    subj = iter(clock("speaker syntax", lambda: [speakers.analyse_doc(d, f[1], f[2])
                                                   for d, f in zip(pdocs, frames)]))
    per = [[next(subj) for _ in fs] for fs in marks]
    clock("quotes and speakers", lambda: [quotes.extract(t, e, s) for t, e, s in zip(texts, ents, per)])
    m = len(arts)
    words = sum(len(t.split()) for t in texts)
    read = sum(len(j) for j, _ in inputs) / max(1, sum(len(t) for t in texts))
    total = sum(v for k, v in cpu.items() if not k.startswith("ingest"))
    model = cpu["NER tokenizer"] + cpu["NER model"] + cpu["parser tokenizer"] + cpu["parser model"]
    print(f"\n== CPU per article of entities and quotes, in-process, {m:,} news-fr articles after "
          f"{warm} to warm up ({words / m:.0f} words an article, NER reads {100 * read:.0f} % of the "
          f"characters, {len(frames) / m:.1f} quote frames an article; matrix products on "
          f"{models.gemm()}); load average {os.getloadavg()[0]:.1f}")
    for k, v in cpu.items():
        share = "" if k.startswith("ingest") else f" {100 * v / total:5.1f} %"
        print(f"  {1000 * v / m:6.2f} ms{share}  {k}")
    print(f"  {1000 * total / m:6.2f} ms  entities and quotes in all; the models' share (tokenizers and "
          f"models) {1000 * model / m:.2f} ms = {100 * model / total:.0f} %; NER alone "
          f"{1000 * (cpu['NER tokenizer'] + cpu['NER model']) / words * 400:.1f} ms per 400 words "
          f"(target: about 15 ms for the model on a 400-word article)")
    print(f"  loading the two models: {loading:.1f} s of CPU, once in each worker process "
          f"(in a full reindex's CPU time, not in these per-article figures)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=f"1000,{TOTAL}", help="comma-separated N values")
    ap.add_argument("--workers", type=int, default=None, help="reindex --workers (default: cores)")
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile on N docs")
    ap.add_argument("--stages", type=int, default=0, metavar="N",
                    help="CPU per article of each stage of entities and quotes on N docs, in-process")
    ap.add_argument("--no-incremental", action="store_true")
    ap.add_argument("--jsonl", action="store_true",
                    help="also index the same articles written as one .jsonl file")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    ap.add_argument("--no-entities", action="store_true",
                    help="full runs with --no-entities only (no run with entities)")
    ap.add_argument("--no-copies-ratio", action="store_true",
                    help="skip the second full reindex of the largest N without copy grouping")
    a = ap.parse_args(argv)
    if not NEWS.exists():
        sys.exit(f"dataset not found: {NEWS}")
    print(f"index_speed: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"workers={a.workers or 'default (cores)'}; load average {os.getloadavg()[0]:.1f}")
    tmp = Path(tempfile.mkdtemp(prefix="index_speed_"))
    try:
        last = None
        for n in [int(x) for x in a.sizes.split(",") if x]:
            last = bench_full(n, tmp, a.workers, entities=not a.no_entities)
            if a.jsonl:
                bench_jsonl(n, tmp, a.workers, bench_full.seconds)
        if last:
            print_groups(last[1])
        if last and not a.no_entities:
            bench_without_entities(last[0], tmp, a.workers)
        if last and not a.no_copies_ratio:
            bench_without_copies(last[0], tmp, a.workers)
        if last and not a.no_incremental:
            bench_incremental(*last, a.workers, entities=not a.no_entities)
        if a.profile:
            profile(a.profile, tmp)
        if a.stages:
            stages(a.stages, tmp)
    finally:
        if a.keep:
            print(f"\nkept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
