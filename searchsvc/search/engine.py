"""The search engine: one object answers the CLI, the JSON API and the web page.

Thread-safe. Everything that is expensive and constant for one index generation
(searchers, facet arrays) is cached per (generation, Whoosh TOC generation) and
never reused across generations. At most every :data:`CHECK_INTERVAL` seconds the
engine looks at ``index/CURRENT`` and at Whoosh's own TOC generation, and switches
to a new generation; searchers of the old one are closed once no request uses them.
"""

from __future__ import annotations

import heapq
import os
import threading
import time
from pathlib import Path

from whoosh import query as wq
from whoosh.reading import TermNotFound

from searchsvc import config
from searchsvc.indexer import CorruptIndexError, generation_problem, open_index
from searchsvc.search import collapse
from searchsvc.search import query as qmod
from searchsvc.search.facets import FacetData, facet_counts, intersect
from searchsvc.search.params import SearchParams
from searchsvc.search.ranking import EarlyBM25F, coord_table
from searchsvc.search.scoring import EXACT_FIELD, Scorer, phrase_docs
from searchsvc.search.snippets import highlight_paragraphs, snippet
from searchsvc.search.suggest import suggest
from searchsvc.synonyms import load_synonyms

CHECK_INTERVAL = 1.0
SIMILAR_MAX = 50
#: Docnum sets of frequent terms kept per generation (a set of 30k docnums is ~1 MB).
TERM_CACHE_MIN_DF = 1000
TERM_CACHE_SIZE = 48


class _Stale(Exception):
    """The generation changed under us: retry on the new one."""


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
        self._pool = [first]
        self._lock = threading.Lock()
        self._refs = 0
        self.retired = False
        self._term_sets: dict[tuple[str, str], frozenset[int]] = {}

    def docset(self, s, q) -> frozenset[int] | set[int]:
        """The docnums matching ``q`` (deleted documents may remain: intersect
        with ``facets.live``). Terms read their postings directly; Or/And/AndNot
        combine sets; anything else (phrases...) goes through Whoosh's matchers."""
        if isinstance(q, wq.Term):
            key = (q.fieldname, q.text)
            got = self._term_sets.get(key)
            if got is not None:
                return got
            reader = s.reader()
            try:
                df = reader.doc_frequency(q.fieldname, q.text)
                got = frozenset(reader.postings(q.fieldname, q.text).all_ids()) if df else frozenset()
            except (KeyError, TermNotFound):
                got = frozenset()
            if df >= TERM_CACHE_MIN_DF:
                with self._lock:
                    self._term_sets[key] = got
                    while len(self._term_sets) > TERM_CACHE_SIZE:
                        self._term_sets.pop(next(iter(self._term_sets)), None)
            return got
        if isinstance(q, wq.Or):
            # an exact-form term never matches alone: it only adds to the score
            parts = [self.docset(s, sub) for sub in q.subqueries
                     if not (isinstance(sub, wq.Term) and sub.fieldname == EXACT_FIELD)]
            return frozenset().union(*parts) if parts else frozenset()
        if isinstance(q, wq.And):
            parts = sorted((self.docset(s, sub) for sub in q.subqueries), key=len)
            return frozenset(parts[0]).intersection(*parts[1:]) if parts else frozenset()
        if isinstance(q, wq.AndNot):
            return self.docset(s, q.a) - self.docset(s, q.b)
        if isinstance(q, wq.Phrase) and len(q.words) > 1:
            key = ("\x00phrase", q.fieldname, tuple(q.words), q.slop)
            got = self._term_sets.get(key)
            if got is None:
                words = list(q.words)
                sets = sorted((self.docset(s, wq.Term(q.fieldname, w)) for w in words), key=len)
                candidates = sets[0].intersection(*sets[1:])
                got = frozenset(phrase_docs(s.reader(), q.fieldname, words, q.slop, candidates))
                with self._lock:
                    self._term_sets[key] = got
                    while len(self._term_sets) > TERM_CACHE_SIZE:
                        self._term_sets.pop(next(iter(self._term_sets)), None)
            return got
        return set(s.docs_for_query(q))

    def acquire(self):
        with self._lock:
            if self.retired:
                raise _Stale()
            self._refs += 1
            if self._pool:
                return self._pool.pop()
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
        with self._lock:
            self._refs -= 1
            if s is not None:
                if self.retired:
                    s.close()
                else:
                    self._pool.append(s)
            if self.retired and self._refs == 0:
                self._close_pool()

    def retire(self) -> None:
        with self._lock:
            self.retired = True
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
    }


class SearchEngine:
    """Searches the index in ``index_dir`` (its live generation).

    ``synonyms_path``: the user's synonyms file; by default ``SEARCHSVC_SYNONYMS``,
    else ``corpus/synonyms.txt`` (of ``SEARCHSVC_CORPUS``) when present. The package's
    default groups always apply.
    """

    def __init__(
        self,
        index_dir: str | os.PathLike,
        synonyms_path: str | os.PathLike | None = None,
        strategy: str = qmod.DEFAULT_STRATEGY,
    ):
        self.index_dir = Path(index_dir)
        self.strategy = strategy
        self._lock = threading.Lock()
        self._gen: _Generation | None = None
        self._checked = 0.0
        self.synonyms_path = self._resolve_synonyms(synonyms_path)
        self._syn_mtime = self._mtime(self.synonyms_path)
        self.synonyms = load_synonyms(self.synonyms_path)

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
        with self._lock:
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
            self._gen = new
            if gen is not None:
                gen.retire()
            return new

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
                problem = generation_problem(self.index_dir / gen.name)
                if problem is None:
                    raise
                self._drop(gen)
                raise CorruptIndexError(self.index_dir, gen.name, problem) from exc
            finally:
                gen.release(s)
        raise RuntimeError("index generation keeps changing")

    def close(self) -> None:
        with self._lock:
            if self._gen is not None:
                self._gen.retire()
                self._gen = None

    # -- public API ----------------------------------------------------------

    def search(self, params: SearchParams) -> dict:
        """The result object (see the module docs of :mod:`searchsvc.search`)."""
        t0 = time.perf_counter()
        result = self._run(lambda gen, s: self._search(gen, s, params))
        result["took_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        return result

    def _search(self, gen: _Generation, s, params: SearchParams) -> dict:
        data = gen.facets
        reader = s.reader()
        pq = qmod.parse(params.q, self.synonyms)
        built = qmod.build(pq, gen.schema, reader, self.strategy)
        filters = data.filters_for(params)

        if built.query is None:
            matched = data.live
        elif built.query is wq.NullQuery:
            matched = frozenset()
        else:
            matched = self._matching(gen, s, built)
            matched &= data.live
        results = intersect(matched, filters.values())
        total = len(results)
        if built.query is None:
            facets = data.listing_facets(params)
        else:
            facets = facet_counts(data, matched, filters)

        offset = (params.page - 1) * params.per_page
        limit = offset + params.per_page
        datekey = data.datekey

        def ranked(k: int) -> list[tuple[float | None, int]]:
            """The first ``k`` matches in result order."""
            if built.listing or params.sort != "relevance":
                if params.sort == "oldest":
                    top = heapq.nsmallest(k, results, key=lambda d: (datekey[d] or 99999999, d))
                else:
                    top = heapq.nlargest(k, results, key=lambda d: (datekey[d], -d))
                return [(None, d) for d in top]
            coord = self.strategy == "coord" and len(built.units) > 1
            table = coord_table(len(built.units)) if coord else None
            return gen.scorer.top(reader, built.units, lambda q: gen.docset(s, q), results,
                                  k, datekey, table)

        groups = collapse.groups_for(gen, s, self.index_dir)
        hits: list[tuple[float | None, int]] = []
        if offset < total:
            if params.copies == "all" or not groups.any:
                hits = ranked(limit)[offset:limit]
            else:
                hits = groups.page(ranked, offset, params.per_page)
        if params.count == "stories":
            facets = collapse.story_facets(data, groups, matched, filters)

        terms = set(built.highlight.get("body", ())) | set(built.highlight.get("title", ()))
        analyzer = gen.schema["body"].analyzer
        out = []
        for score, docnum in hits:
            stored = s.stored_fields(docnum)
            item = _meta(stored)
            item["score"] = None if score is None else round(float(score), 4)
            item["snippet"] = snippet(analyzer, stored.get("body") or "", terms)
            item.update(groups.hit_fields(docnum, item["id"]))
            out.append(item)

        suggestion = None
        if pq.words:
            suggestion = suggest(reader, gen.schema, params.q, pq.words)
        return {
            "query": params.q,
            "total": total,
            "total_stories": groups.stories(results),
            "page": params.page,
            "per_page": params.per_page,
            "took_ms": 0.0,
            "results": out,
            "facets": facets,
            "facets_count": params.count,
            "copies": params.copies,
            "suggestion": suggestion,
        }

    def _matching(self, gen, s, built) -> set[int]:
        """All matching docnums: term postings read once into sets (cached per
        generation for frequent terms), then C-speed set algebra."""
        if built.units:
            unit_sets = [gen.docset(s, u) for u in built.units]
            matched = set().union(*unit_sets) if len(unit_sets) > 1 else set(unit_sets[0])
            if built.negative is not None:
                matched -= gen.docset(s, built.negative)
            return matched
        if built.listing and built.negative is not None:
            return set(gen.facets.live - gen.docset(s, built.negative))
        return set(s.docs_for_query(built.query))

    def _docnum(self, s, doc_id) -> int | None:
        if not isinstance(doc_id, str) or not doc_id or len(doc_id) > 1000:
            return None
        try:
            doc_id.encode("utf-8")
            return s.document_number(id=doc_id)
        except (UnicodeError, KeyError, ValueError):
            return None

    def document(self, doc_id: str, q: str | None = None) -> dict | None:
        """The cleaned article (``id, title, text, source, date, url, lang``) or None;
        with ``q``, also ``highlighted``: each paragraph escaped, the query's words in
        ``<mark>``."""

        def run(gen, s):
            docnum = self._docnum(s, doc_id)
            if docnum is None:
                return None
            stored = s.stored_fields(docnum)
            doc = _meta(stored)
            doc["text"] = stored.get("body") or ""
            if q:
                pq = qmod.parse(str(q)[:1000], self.synonyms)
                built = qmod.build(pq, gen.schema, s.reader(), self.strategy)
                terms = set(built.highlight.get("body", ())) | set(built.highlight.get("title", ()))
                doc["highlighted"] = highlight_paragraphs(gen.schema["body"].analyzer, doc["text"], terms)
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
