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

Measured with ``bench/coverage.py`` (MRR@10 of bench/ranking.py's 731 news-fr
headline queries and of piaf-dev's 2,004 questions, under each rule; figures in
README.md): see the constants below.
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
        counts = Counter(chain.from_iterable(ordered))
        full = {d for d, c in counts.items() if c >= need}
    return full, union - full
