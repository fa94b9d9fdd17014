"""Ranking: BM25F with a proper BM25 idf, and a coordination factor over query words.

Whoosh's stock idf, ``log(N / (df + 1)) + 1``, never drops below 1, so the most
common words of a long query ("plus", "fait") weigh a lot against its rare ones;
the BM25 (Lucene) idf ``log(1 + (N - df + 0.5) / (df + 0.5))`` tends to 0 for them.

"Documents containing all the words rank first, documents containing most of them
below": each document's BM25F score is multiplied by ``(m / n) ** COORD_POWER``
where ``m`` of the ``n`` query units (words, phrases, OR groups) occur in it. The
factor is at most 1, so Whoosh's block-max skipping stays valid.
"""

from __future__ import annotations

from math import log

from whoosh.scoring import BM25F

COORD_POWER = 2.0


class FrenchBM25F(BM25F):
    """BM25F (title boosted at index time) with the BM25 idf."""

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        df = parent.doc_frequency(fieldname, text)
        n = parent.doc_count_all()
        return log(1 + (n - df + 0.5) / (df + 0.5))


def coord_table(n: int, power: float | None = None) -> list[float]:
    """Factor by number of matched units (index 0..n)."""
    if power is None:
        power = COORD_POWER
    if n <= 1:
        return [1.0, 1.0]
    return [(m / n) ** power for m in range(n + 1)]
