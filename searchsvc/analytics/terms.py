"""Characteristic words of a search's matches: the most frequent ones and the ones
that set the matches apart from the whole index (Dunning's log-likelihood, G²).

Words are the terms of the index's ``spell`` field (lower case, accents kept, not
stemmed), shown in the form most of the articles read write them (``Macron``,
``SNCF``, ``été``). Stop words (the Snowball list and :data:`EXTRA_STOP_WORDS`),
words without a letter and the query's own words (same stem) are left out; copies
count once (one article per copy group).

Speed: the words are read from the stored text of at most :data:`SAMPLE_MAX`
stories of the matches, spread evenly over them (all of them when there are fewer;
``sample`` says how many were read when they are not all), split with the analysis
chain's own word pattern and spelling rule (cached per word form); the background is
each word's document frequency in the ``spell`` field (a lexicon lookup, cached per
generation); each article's words are kept per generation as word ids once read
(:class:`DocWords`), so a later search reading it only counts. Counts on a sample are
the sample's. A per-generation matrix of every
word's postings was tried first: exact, about 50 ms a query, but its build took over
3 minutes on news-fr (a first request must not wait that long).

Contract:
    parse_terms_args(mapping) -> TermsParams     # raises QueryError (HTTP 400)
    terms(engine, params) -> {"query", "total", "total_stories", "sample",
        "top": [{"term", "count"}], "significant": [{"term", "count", "score",
        "index_count"}], "sources": [{"value", "count"}], "notes", "took_ms"}
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from searchsvc.analysis import STOP_WORDS, _spelling_term, _word_start, fold
from searchsvc.search.params import QueryError, SearchParams, parse_params

#: A word must be in this many stories read (2 when fewer than 30 were read).
MIN_COUNT = 3
#: Stories whose text is read at most (spread evenly over the matches).
SAMPLE_MAX = 200
LIMIT_DEFAULT = 25
LIMIT_MAX = 100
SOURCES_SHOWN = 10
#: Function words the Snowball list lacks (it has no "les", and keeps "un" for "Kim Jong Un").
EXTRA_STOP_WORDS = frozenset(fold(w) for w in """
les un une des ils elles cela ça celui celle ceux celles ici là dès lors afin va vont
plus tout tous toute toutes aussi comme très être avoir fait faire sans après avant
entre dont alors encore si selon ainsi depuis cette cet ces son sa ses leur leurs lui
déjà donc où quand chez sous sur vers contre pendant car mais ni or autre autres
même mêmes peu bien déjà moins trop peut doit ont était sont été avait dit
""".split())


@dataclass(frozen=True)
class TermsParams:
    search: SearchParams
    limit: int = LIMIT_DEFAULT


def parse_terms_args(mapping) -> TermsParams:
    """The parameters of ``/api/search`` and ``limit`` (1..:data:`LIMIT_MAX`)."""
    params = parse_params(mapping)
    getlist = getattr(mapping, "getlist", None)
    raw = getlist("limit") if callable(getlist) else ([mapping.get("limit")] if mapping.get("limit") else [])
    raw = [str(v).strip() for v in raw if v is not None and str(v).strip()]
    limit = LIMIT_DEFAULT
    if raw:
        v = raw[0]
        if not (v.isascii() and v.isdigit() and 1 <= int(v) <= LIMIT_MAX):
            raise QueryError(f"« limit » doit être un entier entre 1 et {LIMIT_MAX} (reçu « {v[:40]} »).",
                             "limit")
        limit = int(v)
    return TermsParams(search=params, limit=limit)


def _excluded(word: str) -> bool:
    f = fold(word)
    return f in STOP_WORDS or f in EXTRA_STOP_WORDS or not any(c.isalpha() for c in word)


_TERM_CACHE_MAX = 200_000
term_cache: dict[str, tuple[str | None, str]] = {}


def spell_word(raw: str) -> tuple[str | None, str]:
    """``(spell term or None, the word as written without its elision)`` of one raw word."""
    got = term_cache.get(raw)
    if got is None:
        term = _spelling_term(raw, False, True)[0]
        if term is not None and (term.isdigit() or _excluded(term)):
            term = None
        got = (term, _word_start(raw)[1] or raw)
        if len(term_cache) >= _TERM_CACHE_MAX:
            term_cache.clear()
        term_cache[raw] = got
    return got


def written_form(term: str, count: int, capital: list | None) -> str:
    """The form most documents use: a document that writes the word in lower case
    anywhere counts for it (a capital at a sentence's start is no evidence); the
    word is shown capitalised when more than 60 % of its documents write it so."""
    if not capital or capital[0] <= 0.6 * count:
        return term
    return unicodedata.normalize("NFC", capital[1])


def log_likelihood(a: np.ndarray, size: int, b: np.ndarray, bsize: int) -> np.ndarray:
    """Dunning's G² of a word in ``a`` of ``size`` stories against ``b`` of ``bsize``
    (the rest of the index), signed: negative when the word is rarer in the set."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    n = size + bsize
    k = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        e1 = size * k / n
        e2 = bsize * k / n
        def term(o, e):
            return np.where(o > 0, o * np.log(np.where(o > 0, o, 1) / np.where(e > 0, e, 1)), 0.0)
        g2 = 2 * (term(a, e1) + term(size - a, size - e1) + term(b, e2) + term(bsize - b, bsize - e2))
    sign = np.where(a / max(size, 1) >= b / max(bsize, 1), 1.0, -1.0)
    return sign * np.nan_to_num(g2)


def query_stems(analyzer, q: str) -> set[str]:
    return {t.text for t in analyzer(q)} if q else set()


def word_lists(words: list[str], fg: np.ndarray, bg: np.ndarray, forms: dict, stems: set[str],
               analyzer, size: int, total: int, index_size: int, limit: int, notes: list[str]
               ) -> tuple[list[dict], list[dict]]:
    """The most frequent and the characteristic words (any backend): ``words`` in ``fg``
    of the ``size`` stories read, ``bg`` documents of the ``index_size`` of the index,
    the ``total`` matches; the query's own words (``stems``) left out."""
    def keep(i: int) -> bool:
        return not stems or not ({t.text for t in analyzer(words[i])} & stems)

    def entry(i: int) -> dict:
        return {"term": written_form(words[i], int(fg[i]), forms.get(words[i])), "count": int(fg[i])}

    top = []
    for i in np.lexsort((np.array(words, dtype=object), -fg)) if words else []:
        if len(top) >= limit:
            break
        if keep(int(i)):
            top.append(entry(int(i)))

    significant = []
    # the rest of the index (in articles, as the lexicon counts): the stories read stand
    # for all of the matches, each story for its copies
    scale = (total / size) if size else 1.0
    rest = np.maximum(bg - fg * scale, 0)
    rest_size = max(index_size - total, 0)
    if size and rest_size and words:
        g2 = log_likelihood(fg, size, rest, rest_size)
        for i in np.argsort(-g2, kind="stable"):
            if g2[i] <= 0 or len(significant) >= limit:
                break
            if keep(int(i)):
                significant.append({**entry(int(i)), "score": round(float(g2[i]), 2),
                                    "index_count": int(max(bg[i], fg[i]))})
    elif size and not rest_size:
        notes.append("Toutes les histoires de l'index correspondent : aucun mot ne les distingue du reste.")
    return top, significant


def csv_rows(result: dict) -> list[list]:
    """The characteristic words, the most frequent ones and the sources as table rows
    (header first; ``liste`` says which list a row belongs to)."""
    rows: list[list] = [["liste", "valeur", "histoires", "score"]]
    rows += [["caracteristique", t["term"], t["count"], t["score"]] for t in result["significant"]]
    rows += [["frequent", t["term"], t["count"], ""] for t in result["top"]]
    rows += [["source", s["value"] or "", s["count"], ""] for s in result["sources"]]
    return rows
