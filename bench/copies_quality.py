"""Copy grouping quality on a development set made from news-fr, and the parameter sweep.

The development set (generated, seeded, never written into the repository):

* originals: ``--originals`` news-fr articles of at least 60 words;
* copies made the way outlets make them (``tests/copymaker.py``), 1 to 3 per
  original: a dateline prefix ("PARIS (AFP) - "), a trailer ("Avec AFP"), a
  dropped paragraph, 5-20 % of the words changed (scattered single-word
  substitutions, the hardest case for shingles), paragraphs reordered, or the
  end trimmed (a new headline changes nothing: only the body is compared);
* hard negatives: for each original, the most similar other article of the
  same day (same subject, same day) and the most similar one of the next three
  days (follow-ups), by word-set similarity.

Gold labels come from the texts themselves: the share of a pair is the number of
words in common (difflib matching blocks, sentence by sentence, whatever their
order and paragraph breaks) over the words of the longer text. Share >= 0.7: a copy (recall target); share < 0.5: two
different articles (a false pair if grouped); in between: counted apart. Real
near-copies already in news-fr (AFP dispatches published twice) are labelled
the same way.
A pair sharing >= 50 % of its words but not its figures (the one with fewer distinct
numbers has at least 5, and under half of them are in the other: daily bulletins, one
template, other figures) is two stories told with the same words, counted apart; the
line also gives the recall by word share alone, and each run is printed beside the
reference run that ignores figures, both counting over the pairs either grouped.

It prints, for shingle sizes 1-4, the exact Jaccard / overlap separation of
positives and negatives, then the pair precision and recall of the real
pipeline (``searchsvc.enrich.copies``: MinHash, LSH, thresholds) over the dev
set alone and over the whole news-fr with the copies added, the false pairs
by text length (minimum length), the signature cost, and the number of groups
found in news-fr and the largest.

    python bench/copies_quality.py [--originals 400] [--seed 7] [--no-full]
"""

from __future__ import annotations

import argparse
import difflib
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from _newsfr import NEWS, iter_records  # noqa: E402

from copymaker import random_copy  # noqa: E402  (tests/copymaker.py)

from searchsvc.enrich import copies, figures  # noqa: E402
from searchsvc.search.textdiff import sentences  # noqa: E402


def body(rec) -> list[str]:
    return [p.strip() for p in [rec.get("lead") or ""] + list(rec.get("paragraphs") or []) if p and p.strip()]


def _matched(wa: list[str], wb: list[str]) -> int:
    sm = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    return sum(block.size for block in sm.get_matching_blocks())


def share(a: str, b: str) -> float:
    """Words in common / words of the longer text, whatever the order and the paragraph
    breaks: each sentence of the shorter text is aligned (difflib matching blocks over
    words) with the sentence of the other that it matches best (among the 3 sharing
    most words with it). Outlets merge, split and reorder paragraphs."""
    wa, wb = copies.words(a), copies.words(b)
    if not wa or not wb:
        return 0.0
    # upper bound first (multiset intersection): most pairs are far below 0.5
    ca, cb = Counter(wa), Counter(wb)
    bound = sum((ca & cb).values()) / max(len(wa), len(wb))
    if bound < 0.5:
        return bound
    if len(wa) > len(wb):
        a, b = b, a
    sa = [copies.words(x) for x in sentences(a)]
    sb = [copies.words(x) for x in sentences(b)]
    setsb = [set(y) for y in sb]
    same = 0
    for x in sa:
        if x and sb:
            sx = set(x)
            best = sorted(range(len(sb)), key=lambda j: -len(sx & setsb[j]))[:3]
            same += max(_matched(x, sb[j]) for j in best)
    return min(1.0, same / max(len(wa), len(wb)))


def load(n_originals: int, seed: int):
    recs = [r for r in iter_records()]
    rng = random.Random(seed)
    vocab = sorted({w for r in rng.sample(recs, 500) for p in body(r) for w in p.split() if w.isalpha()})
    by_date = defaultdict(list)
    for i, r in enumerate(recs):
        by_date[r["date"]].append(i)
    eligible = [i for i, r in enumerate(recs) if len(copies.words(" ".join(body(r)))) >= 80]
    originals = rng.sample(eligible, n_originals)
    return recs, rng, vocab, by_date, originals


def word_set_sig(text: str):
    ws = copies.words(text)
    return copies.minhash(copies._hashes(text, 1)) if ws else None


def nearest(i, cands, sigs):
    best, score = None, -1.0
    for j in cands:
        if j == i or sigs.get(j) is None:
            continue
        s = float((sigs[i] == sigs[j]).mean())
        if s > score:
            best, score = j, s
    return best


def build_dev(n_originals: int, seed: int):
    """Texts (id -> (text, date, origin)) and labelled pairs."""
    recs, rng, vocab, by_date, originals = load(n_originals, seed)
    dates = sorted(by_date)
    texts: dict[str, tuple[str, str]] = {}
    origin: dict[str, str] = {}
    for i in originals:
        r = recs[i]
        texts[r["id"]] = ("\n\n".join(body(r)), r["date"])
        origin[r["id"]] = r["id"]
        for k in range(rng.randint(1, 3)):
            text = random_copy(body(r), rng, vocab)
            cid = f"{r['id']}~copie{k}"
            texts[cid] = (text, r["date"])
            origin[cid] = r["id"]
    # hard negatives: same day, most similar; next three days, most similar (follow-up)
    need = set(originals)
    for i in originals:
        d = recs[i]["date"]
        k = dates.index(d)
        need |= set(by_date[d]) | {j for dd in dates[k + 1:k + 4] for j in by_date[dd]}
    wsig = {j: word_set_sig(" ".join(body(recs[j]))) for j in need}
    for i in originals:
        d = recs[i]["date"]
        k = dates.index(d)
        same_day = nearest(i, by_date[d], wsig)
        follow = nearest(i, [j for dd in dates[k + 1:k + 4] for j in by_date[dd]], wsig)
        for j in (same_day, follow):
            if j is not None and recs[j]["id"] not in texts:
                texts[recs[j]["id"]] = ("\n\n".join(body(recs[j])), recs[j]["date"])
                origin[recs[j]["id"]] = recs[j]["id"]
    return texts, origin, recs


def labelled_pairs(texts, origin, groups_hint=None, near=True):
    """Every pair worth labelling: same origin (copies), plus same or near date pairs
    of the dev set (the hard negatives), plus pairs the pipeline grouped."""
    ids = sorted(texts)
    by_origin = defaultdict(list)
    for i in ids:
        by_origin[origin[i]].append(i)
    pairs = set()
    for members in by_origin.values():
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                pairs.add((members[a], members[b]))
    originals = sorted(by_origin)
    by_date = defaultdict(list)
    for o in originals:
        by_date[texts[o][1]].append(o)
    for o in originals if near else ():  # distinct originals within 3 days: hard negatives
        for a in by_origin[o]:
            for dd in by_date:
                if abs(_days(dd) - _days(texts[o][1])) <= 3:
                    for o2 in by_date[dd]:
                        if o2 > o:
                            for b in by_origin[o2]:
                                pairs.add((a, b))
    for g in (groups_hint or {}).values():
        for a in range(len(g)):
            for b in range(a + 1, len(g)):
                pairs.add(tuple(sorted((g[a], g[b]))))
    return sorted(pairs)


_DAYS: dict[str, int] = {}


def _days(d: str) -> int:
    if d not in _DAYS:
        import datetime as dt

        _DAYS[d] = dt.date.fromisoformat(d).toordinal()
    return _DAYS[d]


def gold(pairs, texts, cache):
    out = {}
    for a, b in pairs:
        key = (a, b)
        if key not in cache:
            cache[key] = share(texts[a][0], texts[b][0])
        out[key] = cache[key]
    return out


def sweep(texts, pairs, shares):
    """Exact Jaccard and overlap (shared shingles / shingles of the larger) by shingle size."""
    print("\n== exact shingle similarity, positives (share >= 0.7) vs negatives (share < 0.5)")
    print(f"{'k':>2} {'measure':>8} {'pos p5':>7} {'pos p1':>7} {'neg max':>8} {'neg p99.9':>9}  "
          f"best threshold: recall / false pairs")
    pos = [p for p in pairs if shares[p] >= 0.7]
    neg = [p for p in pairs if shares[p] < 0.5]
    for k in (1, 2, 3, 4):
        sets = {i: set(copies._hashes(t, k).tolist()) for i, (t, _) in texts.items()}
        for name in ("jaccard", "overlap"):
            def sim(p):
                a, b = sets[p[0]], sets[p[1]]
                inter = len(a & b)
                if name == "jaccard":
                    return inter / max(1, len(a | b))
                return inter / max(1, len(a), len(b))
            ps = np.array([sim(p) for p in pos])
            ns = np.array([sim(p) for p in neg])
            best = None
            for t in np.arange(0.05, 0.95, 0.01):
                fp = int((ns >= t).sum())
                rec = float((ps >= t).mean())
                if fp <= len(ns) * 0.0005 and (best is None or rec > best[1]):
                    best = (t, rec, fp)
            print(f"{k:>2} {name:>8} {np.percentile(ps, 5):7.3f} {np.percentile(ps, 1):7.3f} "
                  f"{ns.max():8.3f} {np.percentile(ns, 99.9):9.3f}  "
                  + (f"t={best[0]:.2f}: recall {best[1]:.3f}, {best[2]} false of {len(ns)}" if best else "-"))


def pipeline(texts, use_figures=True):
    """Groups of the real pipeline over ``texts``: group id -> member ids; without
    ``use_figures``, as before figures told stories apart (the reference)."""
    ids, dates, sigs, sizes, figs = [], [], [], [], []
    for i in sorted(texts):
        sig, size = copies.signature(texts[i][0])
        if sig is None:
            continue
        ids.append(i), dates.append(texts[i][1]), sigs.append(sig), sizes.append(size)
        figs.append(figures.sketch(texts[i][0]))
    g = copies.assign_groups(ids, dates, np.array(sigs), np.array(sizes),
                             np.array(figs) if use_figures else None)
    groups = defaultdict(list)
    for i, gid in zip(ids, g):
        groups[gid].append(i)
    return {k: v for k, v in groups.items() if len(v) > 1}


def score(name, texts, origin, cache, near=True, use_figures=True, also=None):
    """Pair precision and recall of the pipeline; ``also``: the groups of another run,
    whose pairs are labelled too (both runs then count over the same pairs)."""
    t = time.perf_counter()
    groups = pipeline(texts, use_figures)
    took = time.perf_counter() - t
    if not use_figures:
        name += " [reference: figures ignored]"
    member = {i: g for g, ms in groups.items() for i in ms}
    hint = dict(groups)
    hint.update({("also", k): v for k, v in (also or {}).items()})
    pairs = labelled_pairs(texts, origin, hint, near)
    shares = gold(pairs, texts, cache)
    tp = fp = fn = amb = 0
    fps = []
    stories = [0, 0]  # pairs sharing >= 50 % of their words but not their figures: grouped, all
    words_tp = words_fn = 0  # the positives by word share alone (figures ignored)
    for p in pairs:
        same = p[0] in member and member.get(p[0]) == member.get(p[1])
        s = shares[p]
        if s >= 0.7:
            words_tp += same
            words_fn += not same
        if origin[p[0]] == origin[p[1]] and s < 0.7:
            amb += 1  # a heavily edited copy: a copy, but outside the recall target
        elif s >= 0.5 and other_story(texts[p[0]][0], texts[p[1]][0]):
            stories[0] += same
            stories[1] += 1
        elif s >= 0.7:
            tp += same
            fn += not same
        elif s < 0.5:
            if same:
                fp += 1
                fps.append((s, p))
        else:
            amb += 1
    grouped_pairs = sum(len(v) * (len(v) - 1) // 2 for v in groups.values())
    prec = tp / max(1, tp + fp)
    rec = tp / max(1, tp + fn)
    print(f"{name}: {len(texts):,} texts, {len(groups):,} groups, {grouped_pairs:,} grouped pairs "
          f"({took:.1f} s); pairs sharing >= 70 %: recall {rec:.4f} (target >= 0.95), "
          f"precision {prec:.4f} (target >= 0.99); TP {tp}, FP {fp}, FN {fn}; "
          f"{amb} pairs not counted (sharing 50-70 %, or copies sharing < 70 %); "
          f"pairs sharing >= 50 % of their words but not their figures (two stories): "
          f"{stories[0]} grouped of {stories[1]}; recall by word share alone: "
          f"{words_tp / max(1, words_tp + words_fn):.4f}")
    for s, (a, b) in sorted(fps)[:5]:
        print(f"   false pair (share {s:.2f}): {a} / {b}")
    return groups, shares


def other_story(a: str, b: str) -> bool:
    """Gold for "two stories told with the same words": the text with fewer distinct
    numbers has at least 5, and under half of them are in the other (exact sets)."""
    na, nb = figures.numbers(a), figures.numbers(b)
    fewer = min(len(na), len(nb))
    return fewer >= 5 and len(na & nb) < 0.5 * fewer


def split_by_figures(allt, recs):
    """The news-fr groups that figures split: what a reader would call one story or two."""
    before, after = pipeline(allt, use_figures=False), pipeline(allt)
    member = {i: g for g, ms in after.items() for i in ms}
    split = [(a, b) for ms in before.values() for x, a in enumerate(ms) for b in ms[x + 1:]
             if member.get(a) is None or member.get(a) != member.get(b)]
    sizes = sorted((len(v) for v in after.values()), reverse=True)
    print(f"\n== news-fr, figures: {len(before):,} groups before, {len(after):,} after "
          f"(largest {sizes[:5]}); {len(split)} grouped pairs split:")
    by_id = recs_by_id(recs)
    for a, b in split:
        fa, fb = figures.numbers(allt[a][0]), figures.numbers(allt[b][0])
        print(f"   {a} {by_id[a]['date']} / {b} {by_id[b]['date']}: {len(fa & fb)} figures shared of "
              f"{min(len(fa), len(fb))}, share {share(allt[a][0], allt[b][0]):.2f}; "
              f"{by_id[a]['title'][:50]} | {by_id[b]['title'][:50]}")


def recall_by_share(texts, origin, shares, groups):
    member = {i: g for g, ms in groups.items() for i in ms}
    buckets = defaultdict(lambda: [0, 0])
    for (a, b), s in shares.items():
        if origin[a] != origin[b]:
            continue
        key = min(9, int(s * 10))
        buckets[key][0] += a in member and member.get(a) == member.get(b)
        buckets[key][1] += 1
    print("generated copies, recall by share: " + ", ".join(
        f"{k / 10:.1f}-{(k + 1) / 10:.1f}: {v[0]}/{v[1]}" for k, v in sorted(buckets.items())))


def short_texts(recs, days: int = 30):
    """Grouping of short texts: every article of ``days`` days cut to its first L words.

    Two short texts grouped are counted as an accident when the cut texts themselves
    share less than 30 % of their words (clearly different texts), and as a pair of
    different articles when the full articles share less than 50 %."""
    last = sorted({r["date"] for r in recs})[-days:]
    pool = [r for r in recs if r["date"] in last]
    print(f"\n== minimum length: {len(pool)} articles of {days} days cut to their first L words, "
          "grouped with the minimum length lifted")
    full = {r["id"]: "\n\n".join(body(r)) for r in pool}
    saved = copies.MIN_WORDS
    for L in (10, 20, 30, 40, 50, 60, 80, 120):
        texts = {i: " ".join(t.split()[:L]) for i, t in full.items()}
        copies.MIN_WORDS = 1
        try:
            groups = pipeline({i: (t, "2020-01-01") for i, t in texts.items()})
        finally:
            copies.MIN_WORDS = saved
        pairs = [(ms[x], ms[y]) for ms in groups.values() for x in range(len(ms)) for y in range(x + 1, len(ms))]
        accidents = sum(share(texts[a], texts[b]) < 0.3 for a, b in pairs)
        different = sum(share(full[a], full[b]) < 0.5 for a, b in pairs)
        print(f"   L = {L:3d} words: {len(pairs):3d} grouped pairs, {accidents} accidents (cut texts "
              f"sharing < 30 %), {different} of different articles (full texts sharing < 50 %)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--originals", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-full", action="store_true", help="skip the whole news-fr run")
    ap.add_argument("--no-sweep", action="store_true")
    ap.add_argument("--overlap", type=float, default=None, help="override copies.OVERLAP")
    ap.add_argument("--no-short", action="store_true", help="skip the minimum length sweep")
    ap.add_argument("--only-short", action="store_true", help="only the minimum length sweep")
    a = ap.parse_args(argv)
    if a.overlap is not None:
        copies.OVERLAP = a.overlap
    if not NEWS.exists():
        sys.exit(f"dataset not found: {NEWS}")
    print(f"copies_quality: params {copies.params()}")
    if a.only_short:
        short_texts(list(iter_records()))
        return
    texts, origin, recs = build_dev(a.originals, a.seed)
    n_copies = sum(1 for i in texts if "~" in i)
    print(f"dev set: {a.originals} originals, {n_copies} copies, "
          f"{len(texts) - n_copies - a.originals} hard negatives (same day / next 3 days)")
    cache: dict = {}
    if not a.no_sweep:
        pairs = labelled_pairs(texts, origin)
        shares = gold(pairs, texts, cache)
        sweep(texts, pairs, shares)
    print("\n== pipeline (MinHash + LSH + thresholds)")
    ref, _ = score("dev set", texts, origin, cache, use_figures=False)
    groups, shares = score("dev set", texts, origin, cache, also=ref)
    recall_by_share(texts, origin, shares, groups)
    t = time.process_time()
    n = 0
    for i, (text, _) in texts.items():
        copies.signature(text)
        n += 1
    print(f"signature cost: {1000 * (time.process_time() - t) / n:.3f} ms of CPU per article")
    t = time.process_time()
    for text, _ in texts.values():
        figures.sketch(text)
    print(f"figures sketch cost: {1000 * (time.process_time() - t) / n:.3f} ms of CPU per article")
    if not a.no_full:
        allt = {r["id"]: ("\n\n".join(body(r)), r["date"]) for r in recs}
        t = time.perf_counter()
        news_groups = pipeline(allt)
        took = time.perf_counter() - t
        sizes = sorted((len(v) for v in news_groups.values()), reverse=True)
        print(f"\n== news-fr alone: {len(allt):,} articles, {len(news_groups):,} groups "
              f"({sum(sizes):,} articles in groups), largest {sizes[:5]} ({took:.1f} s)")
        big = max(news_groups.values(), key=len)
        print("   largest group: " + " | ".join(f"{i} {recs_by_id(recs)[i]['date']} {recs_by_id(recs)[i]['title'][:60]}"
                                           for i in big[:4]))
        origin_all = {i: i for i in allt}
        for i in texts:
            origin_all[i] = origin[i]
        merged = dict(allt)
        merged.update(texts)
        ref, _ = score("news-fr + dev copies (grouped pairs and copy pairs)", merged, origin_all, cache,
                       near=False, use_figures=False)
        score("news-fr + dev copies (grouped pairs and copy pairs)", merged, origin_all, cache,
              near=False, also=ref)
        split_by_figures(allt, recs)
    if not a.no_short:
        short_texts(recs)


_BY_ID: dict = {}


def recs_by_id(recs):
    if not _BY_ID:
        _BY_ID.update({r["id"]: r for r in recs})
    return _BY_ID


if __name__ == "__main__":
    main()
