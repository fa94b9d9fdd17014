"""Characteristic words on the Whoosh backend (the object of :mod:`searchsvc.analytics.terms`).

The words are read from the stored text of at most :data:`~searchsvc.analytics.terms.SAMPLE_MAX`
stories of the matches; the background is each word's document frequency in the
``spell`` field (a lexicon lookup, cached per generation); each article's words are
kept per generation as word ids once read (:class:`DocWords`), so a later search
reading it only counts. A per-generation matrix of every word's postings was tried
first: exact, about 50 ms a query, but its build took over 3 minutes on news-fr.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from searchsvc.analysis import TOKEN_RE
from searchsvc.analytics.cache import PerGeneration
from searchsvc.analytics import terms as tm
from searchsvc.analytics.terms import TermsParams, query_stems, spell_word, term_cache, word_lists


class Background:
    """Per generation: each word's document frequency in the index (``spell``),
    looked up once and kept."""

    def __init__(self, reader):
        self.size = reader.doc_count()
        self._df: dict[str, int] = {}
        self._lock = threading.Lock()

    def df(self, reader, words) -> np.ndarray:
        out = np.zeros(len(words), dtype=np.int64)
        missing = []
        for i, w in enumerate(words):
            v = self._df.get(w)
            if v is None:
                missing.append(i)
            else:
                out[i] = v
        if missing:
            found = {words[i]: reader.doc_frequency("spell", words[i]) for i in missing}
            with self._lock:
                self._df.update(found)
            for i in missing:
                out[i] = found[words[i]]
        return out


_backgrounds: PerGeneration[Background] = PerGeneration()


class DocWords:
    """Per generation: the words of each article read so far, as word ids (numpy), so
    that an article is split once however many searches read it (at most the index's
    articles, about 1 KB each)."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.words: list[str] = []
        self.capital_form: list[str | None] = []
        self._docs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def _parse(self, searcher, d: int) -> tuple[np.ndarray, np.ndarray]:
        stored = searcher.stored_fields(d)
        text = (stored.get("title") or "") + "\n" + (stored.get("body") or "")
        terms: set[str] = set()
        capital: dict[str, str] = {}
        lower: set[str] = set()
        cache_get = term_cache.get
        for raw in set(TOKEN_RE.findall(text)):
            got = cache_get(raw) or spell_word(raw)
            term = got[0]
            if term is None:
                continue
            terms.add(term)
            if got[1].islower():
                lower.add(term)
            else:
                capital[term] = got[1]
        with self._lock:
            vocab = self.vocab
            ids = []
            for term in terms:
                i = vocab.get(term)
                if i is None:
                    i = vocab[term] = len(self.words)
                    self.words.append(term)
                    self.capital_form.append(None)
                ids.append(i)
            caps = []
            for term, written in capital.items():
                if term not in lower:
                    i = vocab[term]
                    caps.append(i)
                    if self.capital_form[i] is None:
                        self.capital_form[i] = written
            got = (np.asarray(ids, dtype=np.int32), np.asarray(caps, dtype=np.int32))
            self._docs[d] = got
        return got

    def read(self, searcher, docs) -> tuple[dict[str, int], dict[str, list]]:
        """For each word, how many of ``docs`` contain it; and for the words some of
        them write only with a capital, ``[how many do, one such form]``."""
        parts = [self._docs.get(int(d)) or self._parse(searcher, int(d)) for d in docs]
        if not parts:
            return {}, {}
        n = len(self.words)
        counts = np.bincount(np.concatenate([p[0] for p in parts]), minlength=n)
        caps = np.bincount(np.concatenate([p[1] for p in parts]), minlength=n)
        words = self.words
        return ({words[i]: int(counts[i]) for i in np.flatnonzero(counts).tolist()},
                {words[i]: [int(caps[i]), self.capital_form[i]] for i in np.flatnonzero(caps).tolist()})


_doc_words: PerGeneration[DocWords] = PerGeneration()


def representatives(docs: np.ndarray, groups) -> np.ndarray:
    """One docnum per copy group among ``docs`` (the smallest)."""
    if not groups.any or not len(docs):
        return np.sort(docs)
    keys = groups.key[docs]
    _, first = np.unique(keys, return_index=True)
    return np.sort(docs[first])


def terms(engine, params: TermsParams) -> dict:
    """The terms object (see the module docs)."""
    t0 = time.perf_counter()
    limit = params.limit

    def fn(ms):
        docs = np.fromiter(ms.docnums, dtype=np.int64, count=len(ms.docnums))
        groups = ms.groups()
        reps = representatives(docs, groups)
        notes = list(ms.notes)
        sample = None
        if len(reps) > tm.SAMPLE_MAX:
            reps = reps[np.linspace(0, len(reps) - 1, tm.SAMPLE_MAX).astype(np.int64)]
            sample = tm.SAMPLE_MAX
            notes.append(f"Mots comptés sur {tm.SAMPLE_MAX} histoires réparties sur l'ensemble des "
                         f"{len(np.unique(groups.key[docs])) if groups.any else len(docs)} trouvées.")
        counts, forms = _doc_words.get(ms.facets, DocWords).read(ms.searcher, reps)
        background = _backgrounds.get(ms.facets, lambda: Background(ms.searcher.reader()))
        minimum = tm.MIN_COUNT if len(reps) >= 30 else 2
        words = [w for w, c in counts.items() if c >= minimum]
        fg = np.array([counts[w] for w in words], dtype=np.int64)
        bg = background.df(ms.searcher.reader(), words)
        stories = int(len(np.unique(groups.key[docs]))) if groups.any and len(docs) else len(docs)
        sources = ms.facets.count("source", ms.docnums)[:tm.SOURCES_SHOWN]
        return (words, fg, bg, len(reps), background.size, forms, sources, notes, sample,
                len(docs), stories, ms.analyzer)

    (words, fg, bg, size, index_size, forms, sources, notes, sample, total, stories,
     analyzer) = engine.matches(params.search, fn)
    top, significant = word_lists(words, fg, bg, forms, query_stems(analyzer, params.search.q),
                                  analyzer, size, total, index_size, limit, notes)
    return {"query": params.search.q, "total": total, "total_stories": stories, "sample": sample,
            "top": top, "significant": significant, "sources": sources, "notes": notes,
            "took_ms": round((time.perf_counter() - t0) * 1000, 2)}
