"""Which documents match a query: all of its words, or (long queries) most of them.

A query's content units are its words, quoted phrases, prefixes and ``OR`` groups
(a synonym group is one unit: any of its terms counts as the word; stop words were
dropped by the analysis, except inside quotes). A document is a *full match* when
it contains at least :func:`required` units:

* short queries, up to :data:`STRICT_MAX_UNITS` units: every unit (all the words);
* longer ones (a pasted headline, a question): ``STRICT_MAX_UNITS`` plus
  ``SOFT_FRACTION`` of the units beyond them, rounded up ("soft coverage").

Documents with at least one unit but fewer than required are *partial matches*:
counted apart (``total_partial``) and ranked after every full match.
``title:``/``source:`` restrictions and exclusions apply to both, always.

Measured with ``bench/coverage.py`` (2026-12-01, loaded machine): MRR@10 under each
rule, beside the previous behaviour (every document with one word counted, OR +
coordination) and the share of queries whose ``total`` is 0:

=========================  ==========================  ==========================
rule                       known-item (first 300)      piaf-dev (2,004)
=========================  ==========================  ==========================
before: OR + coordination  0.7362, total 0:  0.0 %     0.7958, total 0:  0.3 %
all words, any length      0.7225, total 0: 68.7 %     0.7958, total 0: 92.5 %
strict <= 3, then 1/2      0.7223, total 0: 15.7 %     0.7959, total 0: 75.9 %
**strict <= 4, then 1/2**  **0.7305**, total 0: 23.7 % **0.7961**, total 0: 82.9 %
strict <= 6, then 1/2      0.7267, total 0: 48.7 %     0.7961, total 0: 90.3 %
strict <= 3, then 1/3      0.7078, total 0:  6.3 %     0.7961, total 0: 65.2 %
strict <= 2, then 1/2      0.7071, total 0:  8.3 %     0.7954, total 0: 60.2 %
strict <= 4, then 1/3      (not run)                   0.7962, total 0: 77.4 %
strict <= 4, then 3/4      (not run)                   0.7961, total 0: 91.4 %
=========================  ==========================  ==========================

(FTS5, OR of the words, same runs: 0.7158 and 0.7798.) Questions barely move: their
paragraph ranks first among few candidates whatever the rule. Headlines do: their
article (paragraphs only, without its title) often lacks several headline words, so
every rule that puts "most of the words" first costs MRR; 4-then-half costs least
(-0.006), a softer share (1/3) admits more full matches above the article and costs
most. Over all 731 headlines (bench/ltr.py, 2026-12-01, replaying the engine's
listing) the split costs more than the first 300 showed: 0.7251 against 0.7426 for
OR + coordination with the same weights (the known item is a partial match for 297
of them); see :mod:`searchsvc.search.ranking`. Known limitation: up to 4 words, adding a word never increases ``total``;
beyond, a share rule cannot guarantee it (a 6th word can admit a document that
missed one of the first 5).
"""

from __future__ import annotations

from collections import Counter
from itertools import chain
from math import ceil

#: Queries with at most this many content units need every one of them.
STRICT_MAX_UNITS = 4
#: Beyond it, a full match needs this share of the extra units too.
SOFT_FRACTION = 0.5


def required(n_units: int, strict_max: int | None = None, fraction: float | None = None) -> int:
    """How many of ``n_units`` content units a full match must contain."""
    strict_max = STRICT_MAX_UNITS if strict_max is None else strict_max
    fraction = SOFT_FRACTION if fraction is None else fraction
    if n_units <= strict_max:
        return n_units
    return min(n_units, strict_max + ceil(fraction * (n_units - strict_max) - 1e-9))


_FRACTIONS_FR = {0.5: "la moitié", 1 / 3: "le tiers", 0.25: "le quart", 0.75: "les trois quarts"}


def describe_fr() -> str:
    """The rule in French, for the page's help line."""
    share = next((v for k, v in _FRACTIONS_FR.items() if abs(k - SOFT_FRACTION) < 1e-6),
                 f"{SOFT_FRACTION:.0%}".replace(".", ","))
    return (f"Sont comptés les articles qui contiennent tous les mots (au-delà de {STRICT_MAX_UNITS} "
            f"mots : {STRICT_MAX_UNITS} d'entre eux plus {share} des suivants) ; ceux qui n'en ont "
            "qu'une partie suivent, à part.")


def split(unit_sets: list, need: int) -> tuple[set[int], set[int]]:
    """``(full, partial)`` docnums: in at least ``need`` of ``unit_sets``, and in at
    least one but fewer."""
    if not unit_sets:
        return set(), set()
    if len(unit_sets) == 1:
        return set(unit_sets[0]), set()
    ordered = sorted(unit_sets, key=len)
    union = set().union(*ordered)
    if need >= len(unit_sets):
        full = set(ordered[0]).intersection(*ordered[1:])
    elif need <= 1:
        full = union
    else:
        # a document in `need` sets is in one of the len - need + 1 smallest ones
        candidates = set().union(*ordered[:len(ordered) - need + 1])
        counts = Counter(chain.from_iterable(candidates.intersection(u) for u in ordered))
        full = {d for d, c in counts.items() if c >= need}
    return full, union - full
