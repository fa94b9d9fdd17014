"""The search engine: one object answers the CLI, the JSON API and the web page.

Thread-safe. Everything that is expensive and constant for one index generation
(searchers, facet arrays) is cached per (generation, Whoosh TOC generation) and
never reused across generations. At most every :data:`CHECK_INTERVAL` seconds the
engine looks at ``index/CURRENT`` and at Whoosh's own TOC generation, and switches
to a new generation; searchers of the old one are closed once no request uses them.
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import numpy as np
from whoosh import query as wq

from searchsvc import config
from searchsvc.backends.whoosh.indexer import CorruptIndexError, generation_problem, open_index
from searchsvc.search import matching
from searchsvc.backends.whoosh import collapse
from searchsvc.backends.whoosh.authors import author_docnums
from searchsvc.backends.whoosh import query as wquery
from searchsvc.search import query as qmod
from searchsvc.search.budget import Budget, configured_seconds
from searchsvc.backends.whoosh.entities import EntitySearch
from searchsvc.backends.whoosh.facets import FacetData, mask_and, mask_counts
from searchsvc.backends.whoosh.operations import WhooshOperations
from searchsvc.search.params import SearchParams
from searchsvc.search.ranking import EarlyBM25F, coord_table
from searchsvc.backends.whoosh.scoring import EXACT_FIELD, Scorer, phrase_docs
from searchsvc.backends.whoosh.vectors import Vectors
from searchsvc.backends.whoosh.vectors import by_date as date_order
from searchsvc.search.snippets import FastSpans, Marker, snippet
from searchsvc.search.suggest import suggest
from searchsvc.synonyms import load_synonyms

CHECK_INTERVAL = 1.0
#: Recent searches replayed on a new generation before it is served (as Solr's
#: autowarming): their postings, positions and expansions are then read already.
WARM_QUERIES = 48
#: Seconds the replay may take in all (the old generation serves meanwhile).
WARM_SECONDS = 3.0
#: Prefix queries run at most this many at a time in one process (bench/prefix_load.py).
HEAVY_CONCURRENCY = 1
#: Seconds a prefix query may spend waiting for plain queries, in all.
MAX_YIELD = 2.0
SIMILAR_MAX = 50
#: Searchers open at once per generation: further requests wait for one. Since
#: :mod:`searchsvc.backends.whoosh.indexer.mapped` a searcher costs about 1 MB (it was a private copy of
#: the index); four leave room for plain queries beside a prefix query (which runs one
#: at a time). A thread that already holds one (nested call) opens another.
POOL_SIZE = 4


T = TypeVar("T")


@dataclass
class MatchSet:
    """The matches of one search on one generation (see :meth:`SearchEngine.matches`).

    ``docnums`` are the full matches after filters (what ``total`` counts),
    ``partial`` the partial ones (frozensets; ``masks`` gives both as numpy
    boolean masks over the docnums, without conversion); ``searcher`` stays valid during the call only.
    ``ranked(pool, k)`` gives the first ``k`` of ``pool`` as ``[(score or None,
    docnum)]`` in the order of the search; ``groups()`` the copy groups."""

    generation: str
    searcher: object
    facets: FacetData
    built: object
    docnums: set[int] | frozenset[int]
    partial: set[int] | frozenset[int]
    notes: list[str]
    groups: Callable[[], object]
    ranked: Callable[..., list]
    analyzer: object
    masks: tuple = ()
    #: what the search marks in a body (snippets, concordance, export, quotes)
    marker: Marker | None = None


@dataclass
class _Selection:
    """Boolean masks over the generation's docnums."""

    pq: object
    built: object
    filters: dict
    full: np.ndarray
    partial: np.ndarray
    results: np.ndarray
    partial_results: np.ndarray


def _docnums(mask: np.ndarray) -> frozenset[int]:
    return frozenset(np.flatnonzero(mask).tolist())


class _Stale(Exception):
    """The generation changed under us: retry on the new one."""


#: fields whose analyzers mark snippets and titles (stemmed, and unstemmed for exact mode)
_MARKED = ("title", "body", "title_written", "body_written")


class _Generation:
    """One opened index generation: a pool of searchers and the facet arrays."""

    def __init__(self, name: str, ix):
        self.name = name
        self.ix = ix
        first = ix.searcher(weighting=EarlyBM25F())
        self.toc = first.reader().generation()
        self.schema = first.schema
        self.facets = FacetData(first.reader())
        self.scorer = Scorer(first.reader())
        for fieldname in ("title", "body", "spell"):
            if fieldname in self.schema:
                self.scorer.norms(first.reader(), fieldname)
        self.documents = first.doc_count()
        self.vectors = Vectors(self.scorer, self.facets.size)
        self.scorer.arrays = self.vectors
        self._pool = [first]
        self._lock = threading.Lock()
        self._free = threading.Condition(self._lock)
        self._opened = 1
        self._held = threading.local()
        self._refs = 0
        self.retired = False
        #: query expansions: prefixes (searchsvc.search.query.prefix_terms), accent
        #: families (searchsvc.search.accents), spelling verdicts (searchsvc.search.suggest)
        self.prefixes: dict = {}
        #: the snippets' and titles' marked spans (word -> term cache per analyzer)
        self.spans = {f: FastSpans(self.schema[f].analyzer) for f in _MARKED if f in self.schema}

    def marker(self, built, logical: str) -> Marker:
        """What ``built`` marks in a text of ``logical`` (``title``, ``body``): its
        terms with the analyzer they were made by (:class:`~searchsvc.search.snippets.Marker`)."""
        parts = [(self.spans[self.marked_field(logical, built.exact)], *built.marks(logical))]
        written = built.written_marks(logical)
        if written[0] or written[1]:
            parts.append((self.spans[self.marked_field(logical, True)], *written))
        return Marker(parts)

    def marked_field(self, logical: str, exact: bool) -> str:
        """The field whose analyzer marks a text of ``logical`` (``title``, ``body``)
        for a query built in exact mode or not."""
        name = qmod.searched_field(logical, exact)
        return name if name in self.schema else logical

    def mask(self, s, q) -> np.ndarray:
        """Boolean mask of the docnums matching ``q`` (deleted documents may remain:
        AND it with ``facets.live_mask``); read-only when it comes from the cache.
        Terms read their postings directly; Or/And/AndNot combine masks; phrases
        check positions among the documents with all their words; anything else
        goes through Whoosh's matchers."""
        v = self.vectors
        if isinstance(q, wq.Term):
            return v.mask_of(v.postings(s.reader(), q.fieldname, q.text)[0])
        if isinstance(q, wq.Or):
            # an exact-form term never matches alone: it only adds to the score
            parts = [sub for sub in q.subqueries
                     if not (isinstance(sub, wq.Term) and sub.fieldname == EXACT_FIELD)]
            out = v.empty()
            for sub in parts:
                out |= self.mask(s, sub)
            return out
        if isinstance(q, wq.And):
            if not q.subqueries:
                return v.empty()
            return mask_and(self.mask(s, q.subqueries[0]), (self.mask(s, sub) for sub in q.subqueries[1:]))
        if isinstance(q, wq.AndNot):
            return self.mask(s, q.a) & ~self.mask(s, q.b)
        if isinstance(q, (wq.ConstantScoreQuery, wq.Phrase)):  # kept whole: costly to rebuild
            key = ("m", q)
            got = v.cache.get(key)
            if got is None:
                if isinstance(q, wq.ConstantScoreQuery):
                    got = self.mask(s, q.child)
                elif len(q.words) > 1:
                    words = list(q.words)
                    candidates = mask_and(self.mask(s, wq.Term(q.fieldname, words[0])),
                                          (self.mask(s, wq.Term(q.fieldname, w)) for w in words[1:]))
                    found = phrase_docs(s.reader(), q.fieldname, words, q.slop,
                                        set(np.flatnonzero(candidates).tolist()), self.scorer.positions)
                    got = v.mask_of(np.fromiter(found, dtype=np.int64, count=len(found)))
                else:
                    got = self._generic(s, q)
                got.flags.writeable = False
                v.cache.put(key, got)
            return got
        return self._generic(s, q)

    def _generic(self, s, q) -> np.ndarray:
        found = list(s.docs_for_query(q))
        return self.vectors.mask_of(np.asarray(found, dtype=np.int64))

    def docset(self, s, q) -> frozenset[int]:
        """The docnums matching ``q``, as a set (:meth:`mask` converted; for the
        set-based :class:`~searchsvc.backends.whoosh.scoring.Scorer`, e.g. bench/ltr.py)."""
        return _docnums(self.mask(s, q))

    def cache_stats(self) -> dict:
        """Sizes of this generation's caches (the benchmarks print them)."""
        groups = getattr(self, "_copy_groups", None)
        return {"arrays": self.vectors.cache.stats(), "prefixes": len(self.prefixes),
                "searchers": len(self._pool), "facets": self.facets.cache_stats(),
                "copy_groups": 0 if groups is None else len(groups.groups)}

    def acquire(self):
        nested = getattr(self._held, "n", 0) > 0
        with self._free:
            while (not self.retired and not self._pool and self._opened >= POOL_SIZE
                   and not nested):
                self._free.wait(1.0)
            if self.retired:
                raise _Stale()
            self._refs += 1
            self._held.n = getattr(self._held, "n", 0) + 1
            if self._pool:
                return self._pool.pop()
            self._opened += 1
        try:
            s = self.ix.searcher(weighting=EarlyBM25F())
        except Exception:
            self.release(None)
            raise _Stale()
        if s.reader().generation() != self.toc:
            # the index was committed to since this generation was opened
            s.close()
            self.release(None)
            raise _Stale()
        return s

    def release(self, s) -> None:
        with self._free:
            self._refs -= 1
            self._held.n = getattr(self._held, "n", 1) - 1
            if s is None or self.retired or self._opened > POOL_SIZE or len(self._pool) >= POOL_SIZE:
                self._opened -= 1
                if s is not None:
                    s.close()
            else:
                self._pool.append(s)
            self._free.notify()
            if self.retired and self._refs == 0:
                self._close_pool()

    def retire(self) -> None:
        with self._free:
            self.retired = True
            self._free.notify_all()
            if self._refs == 0:
                self._close_pool()

    def _close_pool(self) -> None:
        pool, self._pool = self._pool, []
        for s in pool:
            try:
                s.close()
            except Exception:  # pragma: no cover - closing is best effort
                pass


def _text(v) -> str | None:
    if v is None:
        return None
    v = str(v).strip()
    return v or None


def _meta(stored: dict) -> dict:
    lang = _text(stored.get("lang"))
    return {
        "id": stored.get("id"),
        "title": _text(stored.get("title")),
        "source": _text(stored.get("source")),
        "date": _text(stored.get("date")),
        "url": _text(stored.get("url")),
        "lang": None if lang in (None, "unknown") else lang,
        "author": _text(stored.get("author")),
    }


class SearchEngine(WhooshOperations):
    """The Whoosh backend of :class:`searchsvc.engine.Engine`: searches the index in
    ``index_dir`` (its live generation).

    ``synonyms_path``: the user's synonyms file; by default ``SEARCHSVC_SYNONYMS``,
    else ``corpus/synonyms.txt`` (of ``SEARCHSVC_CORPUS``) when present. The package's
    default groups always apply. ``budget_seconds``: CPU time of one query (see
    :mod:`searchsvc.search.budget`).
    """

    def __init__(
        self,
        index_dir: str | os.PathLike,
        synonyms_path: str | os.PathLike | None = None,
        strategy: str = qmod.DEFAULT_STRATEGY,
        budget_seconds: float | None = None,
    ):
        self.index_dir = Path(index_dir)
        self.strategy = strategy
        #: CPU seconds a query may use (``SEARCHSVC_QUERY_BUDGET``, default 1 s)
        self.budget_seconds = configured_seconds() if budget_seconds is None else budget_seconds
        self._lock = threading.Lock()
        self._heavy = threading.BoundedSemaphore(HEAVY_CONCURRENCY)
        self._plain = threading.Condition()
        self._plain_running = 0
        self._gen: _Generation | None = None
        self._checked = 0.0
        self.synonyms_path = self._resolve_synonyms(synonyms_path)
        self._syn_mtime = self._mtime(self.synonyms_path)
        self.synonyms = load_synonyms(self.synonyms_path)
        #: entity facets, filters and aliases (searchsvc.backends.whoosh.entities)
        self.entity_search = EntitySearch()
        #: the latest searches' parameters, replayed on the next generation (:meth:`_warm`)
        self._recent: collections.deque = collections.deque(maxlen=WARM_QUERIES)

    # -- generations ---------------------------------------------------------

    @staticmethod
    def _resolve_synonyms(path) -> Path | None:
        if path:
            return Path(path)
        env = config.synonyms_file()
        if env:
            return env
        default = config.corpus_dir() / "synonyms.txt"
        return default if default.is_file() else None

    @staticmethod
    def _mtime(path) -> float | None:
        try:
            return os.stat(path).st_mtime if path else None
        except OSError:
            return None

    def _current_name(self) -> str | None:
        try:
            return (self.index_dir / "CURRENT").read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def _current(self, force: bool = False) -> _Generation:
        gen = self._gen
        if gen is not None and not force and time.monotonic() - self._checked < CHECK_INTERVAL:
            return gen
        if gen is not None and not force:
            # another request is checking or opening (and warming) the next generation:
            # this one is served by the current generation meanwhile
            if not self._lock.acquire(blocking=False):
                return gen
        else:
            self._lock.acquire()
        try:
            return self._switch(force)
        finally:
            self._lock.release()

    def _switch(self, force: bool) -> _Generation:
        """Under ``self._lock``: the generation to serve, opened and warmed if new."""
        gen = self._gen
        now = time.monotonic()
        if gen is not None and not force and now - self._checked < CHECK_INTERVAL:
            return gen
        self._checked = now
        self._reload_synonyms()
        if gen is not None:
            name = self._current_name()
            try:
                same_toc = gen.ix.latest_generation() == gen.toc
            except Exception:
                same_toc = False
            if (name in (None, gen.name) and same_toc and not force
                    and generation_problem(self.index_dir / gen.name) is None):
                return gen
        try:
            name, ix = open_index(self.index_dir)
        except CorruptIndexError:  # every request answers so until it is rebuilt
            self._drop(gen)
            raise
        new = _Generation(name, ix)
        self._warm(new)
        self._gen = new
        if gen is not None:
            gen.retire()
        return new

    def _warm(self, gen: _Generation) -> None:
        """Build what the first requests of a generation would otherwise wait for (copy
        groups, the empty query's facets), and replay the latest searches on it (at most
        :data:`WARM_QUERIES`, for :data:`WARM_SECONDS` at most), before it is served."""
        try:
            s = gen.acquire()
        except _Stale:
            return
        try:
            collapse.groups_for(gen, s, self.index_dir)
            gen.facets.listing_facets(SearchParams())
            start = time.monotonic()
            for params in reversed(dict.fromkeys(reversed(list(self._recent)))):  # newest last, once each
                if time.monotonic() - start > WARM_SECONDS:
                    break
                self._search(gen, s, params)
        except Exception:  # warming is best effort: the request that needs it builds it
            pass
        finally:
            gen.release(s)

    def _drop(self, gen: _Generation | None) -> None:
        """Stop serving ``gen`` (damaged): the next request opens the index again."""
        if gen is not None:
            if self._gen is gen:
                self._gen = None
            gen.retire()

    def _reload_synonyms(self) -> None:
        mtime = self._mtime(self.synonyms_path)
        if mtime != self._syn_mtime and (mtime is not None or self.synonyms_path is None):
            try:
                self.synonyms = load_synonyms(self.synonyms_path)
                self._syn_mtime = mtime
            except OSError:
                pass  # keep the groups we have

    def _run(self, fn):
        force = False
        for _ in range(3):
            gen = self._current(force=force)
            try:
                s = gen.acquire()
            except _Stale:
                force = True
                continue
            try:
                return fn(gen, s)
            except Exception as exc:  # damaged since it was opened? then say so (503)
                self._raise_if_damaged(gen, exc)
                raise
            finally:
                gen.release(s)
        raise RuntimeError("index generation keeps changing")

    def _raise_if_damaged(self, gen: _Generation, exc: Exception) -> None:
        """After ``exc`` on ``gen``: raise ``CorruptIndexError`` if its files are damaged."""
        problem = generation_problem(self.index_dir / gen.name)
        if problem is not None:
            self._drop(gen)
            raise CorruptIndexError(self.index_dir, gen.name, problem) from exc

    def close(self) -> None:
        with self._lock:
            if self._gen is not None:
                self._gen.retire()
                self._gen = None

    # -- public API ----------------------------------------------------------

    def search(self, params: SearchParams) -> dict:
        """The result object (see the module docs of :mod:`searchsvc.search`).

        Queries with a prefix (the costly kind) run at most
        :data:`HEAVY_CONCURRENCY` at a time in this process, and at each checkpoint
        of their budget they wait (without CPU, at most :data:`MAX_YIELD` seconds in
        all) while plain queries run, so that they cannot starve them."""
        t0 = time.perf_counter()
        heavy = qmod.is_heavy(params.q)
        if heavy:
            self._heavy.acquire()
        else:
            with self._plain:
                self._plain_running += 1
        try:
            result = self._run(lambda gen, s: self._search(gen, s, params, heavy))
        finally:
            if heavy:
                self._heavy.release()
            else:
                with self._plain:
                    self._plain_running -= 1
                    self._plain.notify_all()
        result["took_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        self._recent.append(params)
        return result

    def _yielder(self):
        """A pause for a costly query's checkpoints: wait while plain queries run."""
        left = [MAX_YIELD]

        def pause():
            if not self._plain_running or left[0] <= 0:
                return
            t = time.monotonic()
            with self._plain:
                while self._plain_running and left[0] > 0:
                    self._plain.wait(left[0])
                    left[0] -= time.monotonic() - t
                    t = time.monotonic()

        return pause

    def matches(self, params: SearchParams, fn: Callable[[MatchSet], T]) -> T:
        """Call ``fn`` with the :class:`MatchSet` of ``params`` (the documents
        :meth:`search` counts, before paging), on one generation held for the call.

        The one way for analytics (timeline, terms, concordance, export) to read the
        matches of a search: they build on the engine's own selection, never beside it."""
        return self._run(lambda gen, s: fn(self._match_set(gen, s, params)))

    def _match_set(self, gen: _Generation, s, params: SearchParams) -> MatchSet:
        budget = Budget(self.budget_seconds)
        sel = self._select(gen, s, params, budget)
        return MatchSet(
            generation=gen.name, searcher=s, facets=gen.facets, built=sel.built,
            docnums=_docnums(sel.results), partial=_docnums(sel.partial_results),
            notes=budget.notes, masks=(sel.results, sel.partial_results),
            groups=lambda: collapse.groups_for(gen, s, self.index_dir),
            ranked=lambda pool, k: self._ranked(gen, s, sel.built, params, pool, k,
                                                Budget(self.budget_seconds)),
            analyzer=gen.schema[gen.marked_field("body", sel.built.exact)].analyzer,
            marker=gen.marker(sel.built, "body"),
        )

    @contextlib.contextmanager
    def held_matches(self, params: SearchParams) -> Iterator[MatchSet]:
        """``with engine.held_matches(params) as ms:`` the :class:`MatchSet` of
        ``params``, its searcher held (one generation) until the block ends.

        For streams (full export) that read the matches longer than one call: the
        searcher is acquired on entry (errors such as no index are raised there,
        before anything is sent) and given back on exit, also when the stream is
        closed early (client gone). A retired generation is closed once the last
        holder exits; a damaged one raises ``CorruptIndexError`` like :meth:`matches`."""
        for force in (False, True, True):
            gen = self._current(force=force)
            try:
                s = gen.acquire()
                break
            except _Stale:
                continue
        else:
            raise RuntimeError("index generation keeps changing")
        try:
            yield self._match_set(gen, s, params)
        except Exception as exc:
            self._raise_if_damaged(gen, exc)
            raise
        finally:
            gen.release(s)

    def _select(self, gen: _Generation, s, params: SearchParams, budget: Budget) -> _Selection:
        """Parse and build the query, then the full and partial matches after filters."""
        data = gen.facets
        # exact mode: every word as written, so no synonyms either
        pq = qmod.parse(params.q, None if params.exact else self.synonyms)
        built = wquery.build(pq, gen.schema, s.reader(), self.strategy, gen.prefixes, exact=params.exact)
        filters = data.filter_masks(params)
        if params.authors:
            filters = {**filters, "author": gen.vectors.mask_of(author_docnums(s.reader(), params.authors))}
        if pq.entities or params.persons or params.orgs or params.places:
            entity_sets = self.entity_search.filters(data, s.reader(), self.synonyms, params,
                                                     pq.entities)
            filters = {**filters, **{k: gen.vectors.mask_of(np.fromiter(v, np.int64, len(v)))
                                     for k, v in entity_sets.items()}}
        for note in built.notes:
            budget.note(note)
        need = matching.required(len(built.units))
        if need < len(built.units):
            budget.note(f"Requête longue ({len(built.units)} mots) : un article y est compté "
                        f"s'il contient au moins {need} de ces mots.")

        partial = empty = gen.vectors.empty()
        if built.query is None:
            full = data.live_mask
        elif built.query is wq.NullQuery:
            full = empty
        else:
            full, partial = self._matching(gen, s, built, need, budget)
            full &= data.live_mask
            partial &= data.live_mask
        results = mask_and(full, filters.values())
        partial_results = mask_and(partial, filters.values()) if partial.any() else empty
        return _Selection(pq, built, filters, full, partial, results, partial_results)

    def _search(self, gen: _Generation, s, params: SearchParams, heavy: bool = False) -> dict:
        budget = Budget(self.budget_seconds, self._yielder() if heavy else None)
        data = gen.facets
        reader = s.reader()
        sel = self._select(gen, s, params, budget)
        pq, built, filters = sel.pq, sel.built, sel.filters
        full, partial = sel.full, sel.partial
        results, partial_results = sel.results, sel.partial_results
        total, total_partial = int(np.count_nonzero(results)), int(np.count_nonzero(partial_results))
        # the counts describe the documents shown: the full matches, else the partial ones
        facet_set = full if total or not total_partial else partial
        if built.query is None and filters.keys() <= {"source", "lang", "year", "date"}:
            facets = data.listing_facets(params)
        else:
            budget.checkpoint()
            facets = mask_counts(data, facet_set, filters)

        offset = (params.page - 1) * params.per_page
        limit = offset + params.per_page
        groups = collapse.groups_for(gen, s, self.index_dir)
        collapsed = params.copies != "all" and groups.any

        def page_of(pool, size: int, first: int, count: int, collapsed: bool) -> list:
            """Hits ``first .. first + count`` of ``pool``'s ranking, one per copy group
            when ``collapsed``."""
            if count <= 0 or not size:
                return []

            def rank(k: int):
                return self._ranked(gen, s, built, params, pool, min(k, size), budget)

            if collapsed:
                return groups.page(rank, first, count)
            return rank(first + count)[first:first + count]

        # the full matches as listed (one hit per story when collapsed), then the partial
        # ones, one hit per article (so that total_stories + total_partial hits are listed)
        listed = groups.stories(results) if collapsed else total
        hits: list[tuple[float | None, int, bool]] = []
        if offset < listed:
            hits = [(sc, d, False) for sc, d in page_of(results, total, offset, params.per_page, collapsed)]
        if limit > listed and total_partial:
            first = max(0, offset - listed)
            hits += [(sc, d, True) for sc, d in
                     page_of(partial_results, total_partial, first, limit - max(offset, listed),
                             False)]
        if params.count == "stories":
            facets = collapse.story_facets(data, groups, facet_set, filters)
        # entity facets (searchsvc.backends.whoosh.entities; they count articles)
        facets.update(self.entity_search.facets(data, reader, self.synonyms, facet_set, filters))
        # an entity filter on an index built with --no-entities: say why nothing matches
        if (pq.entities or params.persons or params.orgs or params.places) and \
                not self.entity_search.extracted(data, reader):
            from searchsvc.enrich.entities import NOTE_OFF

            budget.note(NOTE_OFF)

        if budget.exceeded and hits:
            budget.note("Temps de calcul dépassé : extraits affichés sans mise en évidence.")
            title_marks = body_marks = Marker(())
        else:
            title_marks, body_marks = gen.marker(built, "title"), gen.marker(built, "body")
        analyzer = gen.schema[gen.marked_field("body", built.exact)].analyzer
        out = []
        for score, docnum, is_partial in hits:
            budget.checkpoint()
            stored = s.stored_fields(docnum)
            item = _meta(stored)
            item["score"] = None if score is None else round(float(score), 4)
            item["partial"] = is_partial
            title = item["title"]
            item["title_html"] = title_marks.html(title) if title else None
            body = stored.get("body") or ""
            item["snippet"] = snippet(analyzer, body, (), spans=body_marks.spans(body))
            item.update(groups.hit_fields(docnum, item["id"]))
            out.append(item)

        suggestion = None
        if pq.words and not budget.exceeded:
            suggestion = suggest(reader, gen.schema, params.q, pq.words, gen.prefixes)
        return {
            "query": params.q,
            "total": total,
            "total_stories": groups.stories(results),
            "total_partial": total_partial,
            "page": params.page,
            "per_page": params.per_page,
            "took_ms": 0.0,
            "results": out,
            "facets": facets,
            "facets_count": params.count,
            "copies": params.copies,
            "suggestion": suggestion,
            "notes": list(budget.notes),
        }

    def _ranked(self, gen, s, built, params: SearchParams, pool, k: int, budget: Budget):
        """The first ``k`` documents of ``pool``: ``[(score or None, docnum)]`` by
        relevance, or by date (date sorts, listings, and once the budget is spent)."""
        if not isinstance(pool, np.ndarray):  # a set of docnums (MatchSet.ranked)
            pool = gen.vectors.mask_of(np.fromiter(pool, dtype=np.int64, count=len(pool)))
        if k <= 0 or not pool.any():
            return []
        units = built.units + built.scored_filters
        by_date = built.listing or params.sort != "relevance" or not units
        if not by_date and budget.checkpoint():
            budget.note("Temps de calcul dépassé : résultats classés par date, sans calcul de pertinence.")
            by_date = True
        datekey = gen.facets.datekey_array
        if not by_date and all(isinstance(u, wq.ConstantScoreQuery) for u in units):
            # large prefixes only: every score is 0, the order is the date's
            return [(0.0, d) for d in date_order(np.flatnonzero(pool), datekey, k)]
        if by_date:
            return [(None, d) for d in date_order(np.flatnonzero(pool), datekey, k,
                                              oldest=params.sort == "oldest")]
        table = coord_table(len(units)) if self.strategy == "coord" and len(units) > 1 else None
        return gen.vectors.top(s.reader(), units, lambda q: gen.mask(s, q), pool, k, datekey, table)

    def _candidates(self, gen, s, built) -> set[int]:
        """Every live document the query matches fully or in part (for the ranking
        benchmarks and tests that score a whole pool)."""
        full, partial = self._matching(gen, s, built, matching.required(len(built.units)),
                                       Budget(self.budget_seconds))
        return set(np.flatnonzero((full | partial) & gen.facets.live_mask).tolist())

    def _matching(self, gen, s, built, need: int, budget: Budget):
        """``(full, partial)`` boolean masks (the rule of :mod:`searchsvc.search.matching`:
        in at least ``need`` units, in at least one): each unit's mask (postings
        read once per generation), counted per document. Units left when the budget
        runs out are skipped (and said so in the notes)."""
        counts = np.zeros(gen.vectors.size, dtype=np.int16)
        n = 0
        for i, u in enumerate(built.units):
            if i and budget.checkpoint():
                budget.note(f"Temps de calcul dépassé : seuls les {i} premiers mots de la requête "
                            "ont été cherchés.")
                need = min(need, i)
                break
            counts += gen.mask(s, u)
            n += 1
        if not built.units:
            full, partial = gen.facets.live_mask.copy(), gen.vectors.empty()
        elif n == 1:  # one unit: its documents are full matches whatever ``need``
            full, partial = counts > 0, gen.vectors.empty()
        else:
            full = counts >= max(need, 1)
            partial = (counts > 0) & ~full
        for f in built.filters:
            allowed = gen.mask(s, f)
            full &= allowed
            partial &= allowed
        if built.negative is not None:
            excluded = ~gen.mask(s, built.negative)
            full &= excluded
            partial &= excluded
        return full, partial

    def _docnum(self, s, doc_id) -> int | None:
        if not isinstance(doc_id, str) or not doc_id or len(doc_id) > 1000:
            return None
        try:
            doc_id.encode("utf-8")
            return s.document_number(id=doc_id)
        except (UnicodeError, KeyError, ValueError):
            return None

    def document(self, doc_id: str, q: str | None = None, exact: bool = False) -> dict | None:
        """The cleaned article (``id, title, text, source, date, url, lang``) or None;
        with ``q``, also ``highlighted``: each paragraph escaped, the query's words in
        ``<mark>`` (``exact``: as written, as the search in exact mode counts them)."""

        def run(gen, s):
            docnum = self._docnum(s, doc_id)
            if docnum is None:
                return None
            stored = s.stored_fields(docnum)
            doc = _meta(stored)
            doc["text"] = stored.get("body") or ""
            doc.update(self.entity_search.of_document(gen.facets, s.reader(), self.synonyms,
                                                      docnum, stored))
            if q:
                pq = qmod.parse(str(q)[:1000], None if exact else self.synonyms)
                built = wquery.build(pq, gen.schema, s.reader(), self.strategy, exact=exact)
                doc["highlighted"] = gen.marker(built, "body").paragraphs(doc["text"])
                if doc["title"]:
                    doc["title_html"] = gen.marker(built, "title").html(doc["title"])
            return doc

        return self._run(run)

    def similar(self, doc_id: str, limit: int = 5) -> list[dict] | None:
        """Up to ``limit`` articles like ``doc_id`` by their body (more-like-this),
        never the article itself; None when the id is unknown."""
        limit = max(1, min(int(limit), SIMILAR_MAX))

        def run(gen, s):
            docnum = self._docnum(s, doc_id)
            if docnum is None:
                return None
            text = s.stored_fields(docnum).get("body") or ""
            if not text.strip():
                return []
            hits = s.more_like(docnum, "body", text=text, top=limit + 1, numterms=12)
            out = []
            for hit in hits:
                if hit.docnum == docnum:
                    continue
                item = _meta(hit.fields())
                item["score"] = round(float(hit.score), 4)
                out.append(item)
            return out[:limit]

        return self._run(run)

    def versions(self, doc_id: str, compare: str | None = None) -> dict | None:
        """The copy group of ``doc_id``: ``{"id", "group", "versions", "compare", "diff"}``.

        ``versions``: every member, first publication first (``first`` marks it;
        empty when the article has no copies). With ``compare`` (another member),
        ``diff`` is :func:`searchsvc.search.textdiff.diff` from ``doc_id``'s text to
        ``compare``'s. None when ``doc_id`` is unknown; ``compare`` outside the
        group gives ``diff`` None.
        """
        from searchsvc.search.textdiff import diff

        def run(gen, s):
            docnum = self._docnum(s, doc_id)
            if docnum is None:
                return None
            members = collapse.groups_for(gen, s, self.index_dir).members_of(doc_id) or []
            out = {"id": doc_id, "group": members[0]["id"] if members else doc_id,
                   "versions": members, "compare": None, "diff": None}
            if compare and compare != doc_id and any(m["id"] == compare for m in members):
                other = self._docnum(s, compare)
                if other is not None:
                    out["compare"] = compare
                    out["diff"] = diff(s.stored_fields(docnum).get("body") or "",
                                       s.stored_fields(other).get("body") or "")
            return out

        return self._run(run)

    def info(self) -> dict:
        """``{"documents": int, "generation": str}`` of the live generation."""
        gen = self._current()
        return {"documents": gen.documents, "generation": gen.name}
