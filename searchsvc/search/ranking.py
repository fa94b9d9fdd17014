"""Ranking model: BM25F with the BM25 idf, an early-position bonus, coordination.

Measured with bench/ranking.py (known-item MRR@10 on news-fr paragraphs):

* idf: Whoosh's stock ``log(N / (df + 1)) + 1`` never drops below 1, so the common
  words of a long query weigh a lot against its rare ones; we use the BM25 (Lucene)
  idf ``log(1 + (N - df + 0.5) / (df + 0.5))``; K1 = 1.5, B = 0.75.
* early bonus: occurrences among the first :data:`EARLY_WORDS` words of the body
  (the opening paragraph, where a news article restates its headline) count
  ``1 + EARLY_BONUS`` times (+0.01-0.015).
* coordination: "documents containing all the words rank first, most of them
  below": scores are multiplied by ``(m / n) ** COORD_POWER`` where ``m`` of the
  ``n`` query units (words, phrases, OR groups) occur in the document. Power 0.5:
  MRR@10 0.7386 against 0.7310 for power 1 (0.25: 0.7386, 0: plain OR 0.7316;
  2 and 3 measured worse), same run of bench/ranking.py's queries.
* tried and not kept (MRR@10, one query-time change each against 0.7310 with
  power 1; same 731 queries): B 0.6 / 0.9 (0.7254 / 0.7322); K1 1.2 / 2.0
  (0.7287 / 0.7337); idf raised to the power 1.5 / 2 (0.7347 / 0.7331); units in
  more than 30% of the documents left out of the coordination count (0.7340);
  "les" and "ils" removed from the queries, as if stop words (0.7308); early
  window 100 words (0.7272), early bonus 3 (0.7329). On top of power 0.5: idf
  power 1.5 with K1 2 (0.7386), the 30% rule (0.7388), B 0.9 (0.7368): no gain.
* tried and dropped: word-pair proximity boosts (no gain or worse).

:mod:`searchsvc.search.scoring` computes this model for searches;
:class:`EarlyBM25F` is the same model as a Whoosh weighting, used where Whoosh
scores itself (more-like-this).
"""

from __future__ import annotations

from math import log

from whoosh.scoring import BM25F, BM25FScorer

from searchsvc.analysis import analyze

COORD_POWER = 0.5


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


#: Words counted as "early" (the opening of the article, where a news text
#: restates its headline) and the extra term frequency each early occurrence adds.
EARLY_WORDS = 50
EARLY_BONUS = 1.5
K1 = 1.5
B = 0.75

#: Term proximity (BM25TP, :meth:`searchsvc.search.scoring.Scorer.proximity_bonus`):
#: weight of the bonus (0: off) and the largest distance counted, in positions.
PROX_WEIGHT = 1.0
PROX_WINDOW = 5

#: Question words: a unit made only of them ("Combien", "Quel", "Pourquoi") weighs
#: QUESTION_WEIGHT of a word and is left out of the coordination count (analysed
#: forms: the stems of the French analysis).
QUESTION_WORDS = ("combien comment pourquoi quand quel quelle quels quelles lequel laquelle "
                  "lesquels lesquelles quoi")
QUESTION_WEIGHT = 0.1

#: Multipliers of the title matches, of the exact-form bonus (on top of the
#: query's TITLE_BOOST / EXACT_BOOST) and of the early-position bonus.
TITLE_WEIGHT = 1.0
EXACT_WEIGHT = 1.0
EARLY_WEIGHT = 1.0


QUESTION_TERMS = frozenset(t for w in QUESTION_WORDS.split() for t in analyze(w))


class _EarlyScorer(BM25FScorer):
    def __init__(self, searcher, fieldname, text, *args, early_words, early_bonus, **kwargs):
        self.early_words = early_words
        self.early_bonus = early_bonus
        super().__init__(searcher, fieldname, text, *args, **kwargs)
        # early occurrences are at most all of them: weight * (1 + bonus) bounds the
        # boosted weight, so Whoosh's block-max skipping stays exact
        ti = searcher.term_info(fieldname, text)
        self._maxquality = self._score(ti.max_weight() * (1 + early_bonus), ti.min_length())

    def block_quality(self, matcher):
        return self._score(matcher.block_max_weight() * (1 + self.early_bonus), matcher.block_min_length())

    def score(self, matcher):
        w = matcher.weight()
        try:
            positions = matcher.value_as("positions")
        except Exception:
            positions = ()
        limit = self.early_words
        early = 0
        for p in positions:
            if p >= limit:
                break
            early += 1
        return self._score(w + self.early_bonus * early, self.dfl(matcher.id()))


class EarlyBM25F(FrenchBM25F):
    """FrenchBM25F where occurrences among the first words of the body count more."""

    def __init__(self, early_words=None, early_bonus=None, **kwargs):
        kwargs.setdefault("K1", K1)
        kwargs.setdefault("B", B)
        super().__init__(**kwargs)
        self.early_words = EARLY_WORDS if early_words is None else early_words
        self.early_bonus = EARLY_BONUS if early_bonus is None else early_bonus

    def scorer(self, searcher, fieldname, text, qf=1):
        if fieldname != "body" or not self.early_words:
            return super().scorer(searcher, fieldname, text, qf=qf)
        B = self._field_B.get(fieldname, self.B)
        return _EarlyScorer(searcher, fieldname, text, B, self.K1, qf=qf,
                            early_words=self.early_words, early_bonus=self.early_bonus)
