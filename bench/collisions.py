"""Word collisions of the French analysis over the news-fr vocabulary, before and after.

Reads the 33,930 articles of ../shared/datasets/news-fr/news_fr.jsonl.gz (title,
lead, paragraphs; never copied into the project), counts every word form as
written (after elision) with its case where it is not the first word of a
sentence, and prints:

1. accent collisions: pairs (a word typed with accents, a differently accented
   word) that the folded stem merges ("côte"/"côté", "pêche"/"péché",
   "thé"/"The", "porté"/"porte"); before: every such pair matches (same term);
   after: the pairs that still match through the ``forms`` field's accent
   check (:func:`searchsvc.analysis.accents_compatible`): those whose other word
   is in lower case without accents, matched as the unaccented spelling where
   it is the document's only form of the stem;
2. proper-noun collisions: proper nouns (capitalised in >= 90 % of their
   occurrences inside sentences, >= 5 of them) whose index term is the term of a
   different common word (lower case in >= 50 %, >= 5 occurrences); before: with
   the hand-made protected list only; after: with the generated
   ``data/analysis_proper_nouns.txt``.

    .venv/bin/python bench/collisions.py [--write-proper-nouns] [--examples 15]

``--write-proper-nouns`` (re)writes the list from the vocabulary (a change of it
changes the analysis fingerprint: indexes are rebuilt). The vocabulary is cached
in bench/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import pickle
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import Stemmer  # noqa: E402

from _newsfr import NEWS, iter_records  # noqa: E402
from searchsvc import analysis  # noqa: E402
from searchsvc.analysis import (  # noqa: E402
    STOP_WORDS,
    TOKEN_RE,
    accent_form,
    accents_compatible,
    fold,
)

OUT = HERE / "out"
PROPER_FILE = ROOT / "searchsvc" / "data" / "analysis_proper_nouns.txt"
MIN_COUNT = 5
PROPER_SHARE = 0.9
COMMON_SHARE = 0.5
_SENTENCE_END = re.compile(r"[.!?:;«»\"“”()\[\]—–-]\s*$")


def vocabulary() -> tuple[Counter, Counter, Counter]:
    """(count of each raw form, its count inside sentences capitalised, in lower case)."""
    cache = OUT / f"vocab-{NEWS.stat().st_size}.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    t = time.perf_counter()
    forms: Counter = Counter()
    capital: Counter = Counter()
    lower: Counter = Counter()
    for rec in iter_records():
        blocks = [rec.get("title") or "", rec.get("lead") or ""] + list(rec.get("paragraphs") or [])
        for block in blocks:
            for m in TOKEN_RE.finditer(block):
                word = analysis.normalize_apostrophes(m.group())
                number, bare, offset = analysis._word_start(word)
                if not bare or not bare[0].isalpha():
                    continue
                forms[bare] += 1
                start = m.start() + offset
                if start == 0 or offset or _SENTENCE_END.search(block[max(0, start - 3):start]):
                    continue  # first word of a sentence, or after an elision (l'Etat)
                key = fold(bare.lower())
                if bare[0].isupper():
                    capital[key] += 1
                else:
                    lower[key] += 1
    OUT.mkdir(exist_ok=True)
    cache.write_bytes(pickle.dumps((forms, capital, lower)))
    print(f"vocabulary: {len(forms):,} forms read in {time.perf_counter() - t:.0f} s")
    return forms, capital, lower


def accent_collisions(forms: Counter, examples: int) -> None:
    by_term: dict[str, list[str]] = defaultdict(list)
    for w, c in forms.items():
        if c >= MIN_COUNT:
            term = analysis.analyze(w)
            if len(term) == 1:
                by_term[term[0]].append(w)
    pairs = kept = 0
    tokens_before = tokens_after = 0
    shown = []
    for term, words in by_term.items():
        queries = {unicodedata.normalize("NFC", w.lower()) for w in words}
        queries = [q for q in queries if fold(q) != q]  # typed with accents
        for q in queries:
            for w in words:
                lw = unicodedata.normalize("NFC", w.lower()).translate(analysis._LIGATURES)
                form = accent_form(w)
                if accents_compatible(q, lw) or (form and form[0] in "^*" and accents_compatible(q, form)):
                    continue  # the same word, or a capital that lost its accent ("Etat")
                pairs += 1
                tokens_before += forms[w]
                # still matched: a word in lower case without accents (the unaccented
                # spelling rule: documents where the stem only occurs so still match)
                still = not form or accents_compatible(q, form)
                if still:
                    kept += 1
                    tokens_after += forms[w]
                if len(shown) < examples and forms[w] >= 200:
                    shown.append(f"{q} ~ {w} ({forms[w]:,})")
    print(f"accent collisions (words seen >= {MIN_COUNT} times): {pairs:,} pairs "
          f"({tokens_before:,} occurrences of the colliding words) before; "
          f"{kept:,} pairs ({tokens_after:,} occurrences) after: {pairs - kept:,} removed")
    print("  e.g. " + "; ".join(shown))


def classify(capital: Counter, lower: Counter) -> tuple[set[str], set[str]]:
    """(proper nouns, common words) among the folded forms, by their case inside sentences."""
    proper, common = set(), set()
    for f in set(capital) | set(lower):
        cap, low = capital[f], lower[f]
        if f in STOP_WORDS or len(f) < 3 or not f.isalpha():
            continue
        if cap >= MIN_COUNT and cap >= PROPER_SHARE * (cap + low):
            proper.add(f)
        elif low >= MIN_COUNT and low >= COMMON_SHARE * (cap + low):
            common.add(f)
    return proper, common


def proper_nouns(forms: Counter, capital: Counter, lower: Counter) -> dict[str, str]:
    """Proper nouns stemmed into a common word's term, and the term each gets instead."""
    stem = Stemmer.Stemmer("french").stemWord
    hand = analysis._read_protected("analysis_protected.txt")
    folded_count: Counter = Counter()
    for w, c in forms.items():
        folded_count[fold(w.lower())] += c

    def old_term(f: str) -> str:
        return hand.get(f) or (stem(f) if f.isalpha() else f)

    proper, common = classify(capital, lower)
    common_terms: dict[str, list[str]] = defaultdict(list)
    for f in common:
        common_terms[old_term(f)].append(f)
    all_terms = {old_term(f) for f in folded_count if f.isalpha()}
    out = {}
    for p in sorted(proper):
        if p in hand:
            continue
        t = old_term(p)
        mates = [c for c in common_terms.get(t, ()) if c != p]
        if mates:
            # the word itself, or marked when it is a stem already (Ali: "ali" of "alias")
            out[p] = p + "_" if p == t or p in all_terms else p
    # a protected noun keeps its own singular / plural ("Amérique" / "Amériques"),
    # unless that is a common word (Etats / état, Saint / saints): then it is left alone
    for p in sorted(out, key=len):
        variants = [v for v in (p + "s", p[:-1] if p.endswith("s") else "")
                    if v and v not in hand and folded_count[v] and old_term(v) == old_term(p)]
        if any(v in common for v in variants):
            del out[p]
            continue
        for v in variants:
            out[v] = out.get(p[:-1], out[p]) if v == p + "s" else out[p]
    return out


def proper_collisions(capital, lower, protected: dict[str, str], label: str) -> int:
    """Proper nouns whose term (under ``protected`` on top of the stemmer) is a common word's."""
    stem = Stemmer.Stemmer("french").stemWord

    def term(f):
        return protected.get(f) or (stem(f) if f.isalpha() else f)

    proper, common = classify(capital, lower)
    terms = defaultdict(list)
    for f in common:
        terms[term(f)].append(f)
    hits = [(p, terms[term(p)]) for p in proper if any(c != p for c in terms.get(term(p), ()))]
    hits.sort(key=lambda h: -capital[h[0]])
    print(f"proper-noun collisions {label}: {len(hits):,} proper nouns share a common word's term"
          + ("; e.g. " + ", ".join(f"{p}~{'/'.join(c[:2])}" for p, c in hits[:12]) if hits else ""))
    return len(hits)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write-proper-nouns", action="store_true")
    ap.add_argument("--examples", type=int, default=15)
    a = ap.parse_args(argv)
    forms, capital, lower = vocabulary()
    print(f"{len(forms):,} word forms, {sum(forms.values()):,} occurrences")
    if a.write_proper_nouns:
        found = proper_nouns(forms, capital, lower)
        lines = ["# Proper nouns the French stemmer merges with a common word (generated by",
                 "# bench/collisions.py --write-proper-nouns from the news-fr vocabulary: capitalised",
                 f"# in >= {PROPER_SHARE:.0%} of >= {MIN_COUNT} occurrences inside sentences, sharing the",
                 "# stem of a word written in lower case). Same format as analysis_protected.txt.", ""]
        lines += [p if t == p else f"{p} {t}" for p, t in sorted(found.items())]
        PROPER_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {len(found):,} proper nouns to {PROPER_FILE.relative_to(ROOT)}")
    accent_collisions(forms, a.examples)
    hand = analysis._read_protected("analysis_protected.txt")
    before = proper_collisions(capital, lower, hand, "before (hand list only)")
    generated = analysis._read_protected(PROPER_FILE.name) if PROPER_FILE.exists() else {}
    after = proper_collisions(capital, lower, {**generated, **hand}, "after (with the generated list)")
    print(f"proper-noun collisions removed: {before - after:,} of {before:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
