"""Characteristic words of a search's matches: the most frequent ones and the ones
that set the matches apart from the whole index (Dunning's log-likelihood, G²).

Words are the index's ``spell`` terms (lower case, accents kept, not stemmed),
written as usual: capitalised (``Macron``) or in capitals (``SNCF``) when the
``forms`` field says most documents write them so. Stop words (the Snowball list
and :data:`EXTRA_STOP_WORDS`), words without a letter and the query's own words
(same stem) are left out; copies count once (one article per copy group).

Speed: per generation, the ``spell`` postings of every word in at least
:data:`MIN_DF` documents are read once into a compressed sparse row matrix
(docnum -> word ids, numpy); a request gathers the rows of its matches (one per
copy group) and counts them with ``bincount``: no stored text is read or analysed
at query time. Sets over :data:`SAMPLE_MAX` stories are sampled evenly (said in
``sample`` and in a note).

Contract:
    parse_terms_args(mapping) -> TermsParams     # raises QueryError (HTTP 400)
    terms(engine, params) -> {"query", "total", "total_stories", "sample",
        "top": [{"term", "count"}], "significant": [{"term", "count", "score",
        "index_count"}], "sources": [{"value", "count"}], "notes", "took_ms"}
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from searchsvc.analysis import STOP_WORDS, fold
from searchsvc.analytics.cache import PerGeneration
from searchsvc.search.params import QueryError, SearchParams, parse_params
from searchsvc.search.scoring import read_postings

#: A word must be in this many documents of the index to be counted at all.
MIN_DF = 3
#: ... and in this many stories of the matches (2 for a set under 30 stories).
MIN_COUNT = 3
SAMPLE_MAX = 20_000
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


class TermStats:
    """Per-generation word statistics: ``indptr``/``ids`` (CSR docnum -> word ids),
    ``words`` (display forms)."""

    def __init__(self, reader):
        t0 = time.perf_counter()
        n = reader.doc_count_all()
        words: list[str] = []
        docs: list[np.ndarray] = []
        for btext, info in reader.iter_field("spell"):
            if info.doc_frequency() < MIN_DF:
                continue
            text = btext.decode("utf-8") if isinstance(btext, bytes) else btext
            if _excluded(text):
                continue
            ids = read_postings(reader, "spell", text)[0]
            if ids:
                words.append(text)
                docs.append(np.asarray(ids, dtype=np.int32))
        lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
        all_docs = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32)
        word_ids = np.repeat(np.arange(len(words), dtype=np.int32), lengths)
        order = np.argsort(all_docs, kind="stable")
        self.ids = word_ids[order]
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(all_docs, minlength=n)[:n], out=self.indptr[1:])
        self.words = _display_forms(reader, words)
        self.size = n
        self._background: dict = {}
        self._lock = threading.Lock()
        self.build_seconds = time.perf_counter() - t0

    def counts(self, docs: np.ndarray) -> np.ndarray:
        """How many of ``docs`` (docnums) contain each word."""
        if not len(docs):
            return np.zeros(len(self.words), dtype=np.int64)
        starts = self.indptr[docs]
        lens = self.indptr[docs + 1] - starts
        total = int(lens.sum())
        offsets = np.repeat(starts - (np.cumsum(lens) - lens), lens) + np.arange(total, dtype=np.int64)
        return np.bincount(self.ids[offsets], minlength=len(self.words))

    def background(self, key, reps_of_live) -> tuple[np.ndarray, int]:
        """Word counts over the index's stories (one article per copy group), cached
        per copy-group stamp."""
        got = self._background.get(key)
        if got is None:
            reps = reps_of_live()
            got = (self.counts(reps), len(reps))
            with self._lock:
                self._background = {key: got}
        return got


def _display_forms(reader, words: list[str]) -> list[str]:
    """Each word as most documents write it: ``Macron``, ``SNCF``, ``été``."""
    caps: dict[str, list[int]] = {}
    for btext, info in reader.iter_field("forms"):
        text = btext.decode("utf-8") if isinstance(btext, bytes) else btext
        _, _, form = text.partition("|")
        if form[:1] in ("^", "*"):
            entry = caps.setdefault(form[1:], [0, 0])
            entry[0 if form[0] == "^" else 1] += info.doc_frequency()
    out = []
    for w in words:
        entry = caps.get(w)
        if entry:
            df = max(reader.doc_frequency("spell", w), 1)
            if entry[1] >= 0.5 * df:
                w = w.upper()
            elif entry[0] + entry[1] >= 0.6 * df:
                w = w[:1].upper() + w[1:]
        out.append(w)
    return out


_stats: PerGeneration[TermStats] = PerGeneration()


def term_stats(facets, reader) -> TermStats:
    """The :class:`TermStats` of a generation (keyed on its facet data; built once,
    under a lock, by the first request that needs it)."""
    return _stats.get(facets, lambda: TermStats(reader))


def representatives(docs: np.ndarray, groups) -> np.ndarray:
    """One docnum per copy group among ``docs`` (the smallest)."""
    if not groups.any or not len(docs):
        return np.sort(docs)
    keys = groups.key[docs]
    _, first = np.unique(keys, return_index=True)
    return np.sort(docs[first])


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


def _query_stems(analyzer, q: str) -> set[str]:
    return {t.text for t in analyzer(q)} if q else set()


def terms(engine, params: TermsParams) -> dict:
    """The terms object (see the module docs)."""
    t0 = time.perf_counter()
    limit = params.limit

    def fn(ms):
        stats = term_stats(ms.facets, ms.searcher.reader())
        docs = np.fromiter(ms.docnums, dtype=np.int64, count=len(ms.docnums))
        groups = ms.groups()
        reps = representatives(docs, groups)
        notes = list(ms.notes)
        sample = None
        if len(reps) > SAMPLE_MAX:
            reps = reps[np.linspace(0, len(reps) - 1, SAMPLE_MAX).astype(np.int64)]
            sample = SAMPLE_MAX
            notes.append(f"Mots comptés sur un échantillon régulier de {SAMPLE_MAX:,} histoires."
                         .replace(",", "\u202f"))
        live = ms.facets.live

        def live_reps():
            arr = np.fromiter(live, dtype=np.int64, count=len(live))
            return representatives(arr, groups)

        bg, bg_size = stats.background((ms.generation, id(groups), len(live)), live_reps)
        fg = stats.counts(reps)
        size = len(reps)
        sources = ms.facets.count("source", ms.docnums)[:SOURCES_SHOWN]
        return stats, fg, size, bg, bg_size, sources, notes, sample, len(docs), len(np.unique(
            groups.key[docs])) if groups.any and len(docs) else len(docs), ms.analyzer

    stats, fg, size, bg, bg_size, sources, notes, sample, total, stories, analyzer = \
        engine.matches(params.search, fn)
    stems = _query_stems(analyzer, params.search.q)

    def keep(i: int) -> bool:
        if not stems:
            return True
        return not ({t.text for t in analyzer(stats.words[i])} & stems)

    minimum = MIN_COUNT if size >= 30 else 2
    top = []
    for i in np.argsort(-fg, kind="stable"):
        if fg[i] < minimum or len(top) >= limit:
            break
        if keep(int(i)):
            top.append({"term": stats.words[i], "count": int(fg[i])})

    significant = []
    # the rest of the index: the sampled stories stand for all of the matches
    scale = (stories / size) if size else 1.0
    rest = np.maximum(bg - fg * scale, 0)
    rest_size = max(bg_size - stories, 0)
    if size and rest_size:
        g2 = log_likelihood(fg, size, rest, rest_size)
        g2[fg < minimum] = 0.0
        for i in np.argsort(-g2, kind="stable"):
            if g2[i] <= 0 or len(significant) >= limit:
                break
            if keep(int(i)):
                significant.append({"term": stats.words[i], "count": int(fg[i]),
                                    "score": round(float(g2[i]), 2), "index_count": int(bg[i])})
    elif size:
        notes.append("Toutes les histoires de l'index correspondent : aucun mot ne les distingue du reste.")
    return {"query": params.search.q, "total": total, "total_stories": stories, "sample": sample,
            "top": top, "significant": significant, "sources": sources, "notes": notes,
            "took_ms": round((time.perf_counter() - t0) * 1000, 2)}

