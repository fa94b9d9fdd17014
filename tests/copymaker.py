"""Copies of an article made the way outlets make them (tests and bench/copies_quality.py).

A copy keeps the article's paragraphs and applies some of: a dateline prefix
("PARIS (AFP) - "), a trailer ("Avec AFP"), a dropped paragraph, changed words,
two paragraphs swapped, the end cut. Deterministic for a given ``random.Random``.
"""

from __future__ import annotations

import random

DATELINES = ("PARIS (AFP) - ", "BRUXELLES (Belga) - ", "Paris, 12 mai 2020 (AFP) - ",
             "LYON (AFP) - ", "GENÈVE (ATS) - ", "(Reuters) - ")
TRAILERS = ("Avec AFP", "(avec AFP)", "Avec agences", "Source : AFP", "© AFP")


def outlet_copy(paragraphs: list[str], *, dateline: str | None = None, trailer: str | None = None,
                drop: int | None = None, swap: tuple[int, int] | None = None, keep: int | None = None,
                change_rate: float = 0.0, rng: random.Random | None = None,
                vocab: list[str] | tuple[str, ...] = ("notamment", "également", "selon", "mardi")) -> str:
    """The copy's text: paragraphs separated by blank lines.

    ``drop``: index of a paragraph removed; ``swap``: two paragraphs exchanged;
    ``keep``: only the first ``keep`` paragraphs; ``change_rate``: share of the
    words replaced by a word of ``vocab`` (scattered, chosen by ``rng``).
    """
    rng = rng or random.Random(0)
    p = list(paragraphs)
    if drop is not None and len(p) > 1:
        del p[drop]
    if swap is not None:
        i, j = swap
        p[i], p[j] = p[j], p[i]
    if keep is not None:
        p = p[:keep]
    if change_rate:
        out = []
        for para in p:
            ws = para.split()
            for k in range(len(ws)):
                if rng.random() < change_rate:
                    ws[k] = rng.choice(vocab)
            out.append(" ".join(ws))
        p = out
    if dateline:
        p[0] = dateline + p[0]
    if trailer:
        p.append(trailer)
    return "\n\n".join(p)


def random_copy(paragraphs: list[str], rng: random.Random, vocab) -> str:
    """A copy with random edits: the dev set of bench/copies_quality.py."""
    n = len(paragraphs)
    return outlet_copy(
        paragraphs,
        dateline=rng.choice(DATELINES) if rng.random() < 0.6 else None,
        trailer=rng.choice(TRAILERS) if rng.random() < 0.6 else None,
        drop=rng.randrange(1, n) if n > 2 and rng.random() < 0.5 else None,
        swap=tuple(rng.sample(range(1, n - 1), 2)) if n > 3 and rng.random() < 0.3 else None,
        keep=max(2, int((n - 1) * rng.uniform(0.7, 0.9))) if n > 4 and rng.random() < 0.2 else None,
        change_rate=rng.uniform(0.05, 0.20), rng=rng, vocab=vocab)
