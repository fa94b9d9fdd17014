"""The OpenSearch backend of :class:`searchsvc.engine.Engine`.

Every count is computed in the cluster: totals with ``track_total_hits``, full and
partial matches as two queries of one ``_msearch``, facets as ``terms`` aggregations
(each filtered by the other filters, as the Whoosh backend counts them), stories as a
``cardinality`` of the copy group, one hit per story with ``collapse`` on ``group``.
What only Python can do (snippets and marks, with our analyzer, on the page's hits)
is bounded by the page. The analytics are in
:mod:`searchsvc.backends.opensearch.operations`.
"""

from __future__ import annotations

import json
import os
import threading
import time
import zlib
from pathlib import Path

from searchsvc import config
from searchsvc.backends.opensearch import mapping
from searchsvc.backends.opensearch import translate as tr
from searchsvc.backends.opensearch.entities import OpenSearchEntities
from searchsvc.backends.whoosh.entities import FACET_TOP, KINDS
from searchsvc.backends.opensearch.lexicon import SCHEMA, Lexicon
from searchsvc.backends.opensearch.mapping import alias_name, terms_text
from searchsvc.backends.opensearch.operations import OpenSearchOperations
from searchsvc.engine import NoIndexError
from searchsvc.search.params import UNKNOWN, SearchParams
from searchsvc.search.snippets import snippet
from searchsvc.search.suggest import lookups as suggest_lookups
from searchsvc.search.suggest import suggest
from searchsvc.synonyms import load_synonyms

FACETS = {"source": "source_facet", "year": "year", "month": "month", "lang": "lang"}
FACET_SIZE = 1000
#: copy-group members shown with a hit (the rest is counted)
COPIES_SHOWN = 5
SIMILAR_MAX = 20
#: cardinality is exact below this many distinct groups (OpenSearch's maximum)
PRECISION = 40_000
_META = ("id", "title", "source", "author", "date", "url", "lang")
#: what a result needs of its article's ``_source`` (the text: its snippet)
PAGE_SOURCE = (*_META, "body", "group")
#: hits OpenSearch pages through at most (``index.max_result_window``)
WINDOW = 10_000
#: below this many articles, relevance uses the whole index's term statistics
#: (``dfs_query_then_fetch``): a shard of a small index is a biased sample; above it
#: (33,000 articles a shard of 3) a shard's statistics are the index's, and the extra
#: phase (a third of a search's time at 1x news-fr, measured) is saved
DFS_MAX_DOCS = 100_000
CHECK_INTERVAL = 1.0


def meta(src: dict) -> dict:
    """The metadata of a hit as the result objects give it."""
    out = {k: (str(src[k]).strip() or None) if src.get(k) is not None else None for k in _META}
    if out["lang"] in (None, UNKNOWN):
        out["lang"] = None
    return out


class OpenSearchEngine(OpenSearchOperations):
    """Searches the OpenSearch index behind the alias ``SEARCHSVC_OPENSEARCH_INDEX``
    (default ``searchsvc``) of the cluster at ``SEARCHSVC_OPENSEARCH_URL``.
    ``index_dir`` is the local state folder (the reindex's signatures and caches)."""

    backend = "opensearch"

    def __init__(self, index_dir, synonyms_path=None, client=None, alias: str | None = None,
                 budget_seconds: float | None = None):
        from searchsvc.backends.opensearch.client import connect

        self.index_dir = Path(index_dir)
        self.alias = alias or alias_name()
        self.client = client if client is not None else connect()
        self.synonyms_path = config.synonyms_file(synonyms_path, corpus=config.corpus_dir())
        self._syn_stamp = _mtime(self.synonyms_path)
        self.synonyms = load_synonyms(self.synonyms_path)
        self._lexicon: Lexicon | None = None
        #: canonical entities: facets, filters, an article's names, speakers
        self.entity_search = OpenSearchEntities(self)
        self._lock = threading.Lock()
        self._checked = 0.0
        self._generation: str | None = None
        self._state = ""
        self._documents: tuple[str, int] | None = None

    # -- plumbing -----------------------------------------------------------------

    def call(self, fn):
        """``fn(client)``, its errors as :class:`~searchsvc.engine.NoIndexError` (no
        alias yet) or :class:`~searchsvc.engine.BackendUnavailable` (French)."""
        from opensearchpy import exceptions as ex

        from searchsvc.backends.opensearch.client import complete, unavailable

        try:
            # every shard's answer or BackendUnavailable: never a partial count (client.complete)
            return complete(lambda: fn(self.client))
        except ex.NotFoundError as exc:
            if "index_not_found" in str(exc) or "no such index" in str(exc):
                raise NoIndexError(f"Aucun index OpenSearch « {self.alias} » : lancez "
                                   "« searchsvc reindex ».") from exc
            raise
        except ex.ImproperlyConfigured as exc:
            raise unavailable(exc, self.client) from exc

    def generation(self) -> str:
        """The generation behind the alias (checked at most once a second)."""
        now = time.monotonic()
        if self._generation is None or now - self._checked > CHECK_INTERVAL:
            got = self.call(lambda c: c.indices.get_mapping(
                index=self.alias, params={"filter_path": "*.mappings._meta"})) or {}
            names = sorted(got)
            # the concrete index ("<alias>-gen-<n>"), as the reindex and stats name it: the
            # export headers say which index of the cluster the rows came from
            self._generation = names[-1] if names else self.alias
            meta = (got.get(self._generation) or {}).get("mappings", {}).get("_meta") or {}
            # what is cached of the index (vocabulary, counts, entities) is dropped after
            # each incremental run too (the indexer counts them in _meta)
            self._state = f"{self._generation}#{meta.get('updates') or 0}"
            if self._lexicon is None or self._lexicon.generation != self._state:
                self._lexicon = Lexicon(self, self._state)
            self._checked = now
            self._reload_synonyms()
        return self._generation

    def state(self) -> str:
        """The key of what is cached of the live index: its name and its incremental runs."""
        self.generation()
        return self._state

    def lexicon(self) -> Lexicon:
        """The vocabulary of the live generation (suggestions)."""
        self.generation()
        return self._lexicon

    def _reload_synonyms(self) -> None:
        stamp = _mtime(self.synonyms_path)
        if stamp != self._syn_stamp:
            self._syn_stamp = stamp
            self.synonyms = load_synonyms(self.synonyms_path)

    def translate(self, q: str, exact: bool = False) -> tr.Translated:
        return tr.translate(q, self.synonyms, self.lexicon(), exact)

    def filters(self, params: SearchParams, t: tr.Translated | None = None) -> dict[str, dict]:
        """Filter name -> clause: the metadata filters, the entity filters and the
        query's ``personne:``/``organisation:``/``lieu:`` (canonical entities)."""
        out = tr.filter_clauses(params)
        out.update(self.entity_search.filter_clauses(params, t.entities if t is not None else ()))
        return out

    def query_of(self, params: SearchParams, partial: bool = False,
                 t: tr.Translated | None = None) -> dict | None:
        """The query of the full (or partial) matches of ``params``, filters included."""
        t = t or self.translate(params.q, params.exact)
        base = t.partial() if partial else t.full()
        if base is None:
            return None
        flt = list(self.filters(params, t).values())
        if flt:
            base = {"bool": {"must": [base], "filter": flt}}
        return base

    def sort_of(self, params: SearchParams, t: tr.Translated) -> list:
        if t.listing or params.sort == "newest" or not t.units and not t.scored_restrictions:
            order = "asc" if params.sort == "oldest" else "desc"
            return [{"day": {"order": order, "missing": "_last"}}, {"id": "asc"}]
        if params.sort == "oldest":
            return [{"day": {"order": "asc", "missing": "_last"}}, {"id": "asc"}]
        return ["_score", {"day": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]

    # -- the interface --------------------------------------------------------------

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # pragma: no cover - closing is best effort
            pass

    def info(self) -> dict:
        gen = self.generation()
        n = self.call(lambda c: c.count(index=self.alias))["count"]
        return {"documents": n, "generation": gen}

    def search(self, params: SearchParams) -> dict:
        """Two round trips, as a rule. One ``_msearch``: the full matches (their page,
        total, stories, facets, entity candidates), the partial matches' total (and their
        first page: needed when the full matches do not fill the page, which only the
        answer tells) and the suggestion's word counts. Then one: the page's copy-group
        members and the exact counts of the entities written several ways. One request
        more for a later page reaching into the partial matches, or when only partial
        matches count (their facets: not computed in vain for every search)."""
        t0 = time.perf_counter()
        self.generation()
        t = self.translate(params.q, params.exact)
        filters = self.filters(params, t)
        full_q, partial_q = t.full(), t.partial()
        collapsed = params.copies != "all"
        by_stories = params.count == "stories"
        ents = self.entity_search
        with_entities = ents.active()
        offset = (params.page - 1) * params.per_page
        limit = offset + params.per_page
        sort = self.sort_of(params, t)
        head = self._header(params, sort)
        lex = self.lexicon()
        lookups, lookup_body = lex.frequencies_body(
            suggest_lookups(SCHEMA, params.q, t.words, lex.cache)) if t.words else ([], None)

        def body(q, page: tuple[int, int, bool] | None, aggs: bool, stories: bool = False) -> dict:
            out = {"size": 0, "track_total_hits": True, "query": q,
                   "post_filter": {"bool": {"filter": list(filters.values())}}}
            if aggs:
                out["aggs"] = self._facet_aggs(filters, by_stories)
                if with_entities:
                    out["aggs"].update(ents.candidate_aggs(filters))
            if stories:
                out.setdefault("aggs", {})["stories"] = {
                    "filter": {"bool": {"filter": list(filters.values())}},
                    "aggs": {"n": {"cardinality": {"field": "group", "precision_threshold": PRECISION}}}}
            if page is not None:
                first, count, collapse = page
                out.update({"from": first, "size": count, "sort": sort, "_source": list(PAGE_SOURCE)})
                if collapse:
                    out["collapse"] = {"field": "group"}
            return out

        full_page = (offset, params.per_page, collapsed) if limit <= WINDOW else None
        # the first page of partial matches comes with their total: needed whenever the
        # full matches do not fill the page (7 long queries out of 10 at 1x news-fr)
        partial_page = (0, params.per_page, False) if offset == 0 else None
        searches = [head, body(full_q, full_page, True, True)]
        if partial_q is not None:
            searches += [head, body(partial_q, partial_page, False)]
        if lookup_body is not None:
            searches += [{"index": self.alias}, lookup_body]
        res = self._msearch(searches)
        full_r = res[0]
        part_r = res[1] if partial_q is not None else None
        if lookup_body is not None:
            lex.absorb(lookups, res[-1])
        total = full_r["hits"]["total"]["value"]
        total_partial = part_r["hits"]["total"]["value"] if part_r else 0
        stories = full_r["aggregations"]["stories"]["n"]["value"] if total else 0
        listed = stories if collapsed else total
        hits: list[tuple[dict, bool]] = []
        if offset < listed:
            got = full_r["hits"]["hits"] if full_page else \
                self._page(full_q, filters, params, t, offset, params.per_page, collapsed)
            hits += [(h, False) for h in got]
        if limit > listed and total_partial:
            first = max(0, offset - listed)
            count = limit - max(offset, listed)
            got = part_r["hits"]["hits"][first:first + count] if partial_page else \
                self._page(partial_q, filters, params, t, first, count, False)
            hits += [(h, True) for h in got]
        # no full match: the facets count the partial matches
        shown, scope_q = (full_r, full_q) if total or not total_partial else (None, partial_q)

        # round 2: the page's copy groups; the entities written several ways, counted
        # exactly; the partial matches' facets when they are shown (their entities after)
        groups = sorted({h["_source"].get("group") for h, _ in hits} - {None, ""})
        second = [{"index": self.alias}, self._members_body(groups)] if groups else []
        exact = self._entity_counts(shown, scope_q, filters) if with_entities and shown else None
        if exact is not None:
            second += [x for _, b in exact[1] for x in ({"index": self.alias}, b)]
        if shown is None:
            second += [head, body(partial_q, None, True)]
        res2 = self._msearch(second) if second else []
        members = self._members_of(res2[0]) if groups else {}
        if shown is None:
            shown = res2.pop()
            if with_entities:
                exact = self._entity_counts(shown, scope_q, filters)
                res2 += self._msearch([x for _, b in exact[1] for x in ({"index": self.alias}, b)]) \
                    if exact[1] else []
        facets = self._facets(shown["aggregations"], by_stories)
        if with_entities:
            canon, todo, picks = exact
            answers = res2[1:] if groups else res2
            facets.update(ents.ranked(canon, picks, dict(zip([k for k, _ in todo], answers)), FACET_TOP))
        else:
            facets.update({k: [] for k in KINDS})

        out = [self._hit(h, is_partial, t, members) for h, is_partial in hits]
        notes = list(t.notes)
        if (t.entities or params.persons or params.orgs or params.places) and \
                not ents.extracted():
            from searchsvc.enrich.entities import NOTE_OFF

            notes.append(NOTE_OFF)  # an entity filter on an index built with --no-entities
        suggestion = suggest(lex, SCHEMA, params.q, t.words, lex.cache) if t.words else None
        if t.need < len(t.units):
            notes.append(f"Requête longue ({len(t.units)} mots) : un article y est compté "
                         f"s'il contient au moins {t.need} de ces mots.")
        return {
            "query": params.q, "total": total, "total_stories": stories,
            "total_partial": total_partial, "page": params.page, "per_page": params.per_page,
            "took_ms": round((time.perf_counter() - t0) * 1000, 2), "results": out,
            "facets": facets, "facets_count": params.count, "copies": params.copies,
            "suggestion": suggestion, "notes": notes,
        }

    def _entity_counts(self, shown: dict, q: dict, filters: dict[str, dict]) -> tuple:
        """``(canon, [(kind, search)], picks)``: the entity candidates of a response with
        :meth:`OpenSearchEntities.candidate_aggs`, and the searches counting exactly those
        written several ways (in the scope of each kind: ``q`` under the other filters)."""
        ents = self.entity_search
        canon = ents.canon()
        picks = ents.picks(canon, ents.candidates_of(shown["aggregations"], filters), FACET_TOP)
        scopes = {k: {"bool": {"must": [q], "filter": [f for n, f in filters.items() if n != k]}}
                  for k in KINDS}
        return canon, ents.exact_requests(canon, picks, scopes), picks

    def _header(self, params: SearchParams, sort: list) -> dict:
        """The ``_msearch`` header of a search's page and counts: the same shard copies for
        the same search (``preference``: their caches hold it), the shard request cache."""
        key = json.dumps([params.to_dict(), sort], sort_keys=True, ensure_ascii=False)
        head = {"index": self.alias, "preference": f"q{zlib.crc32(key.encode('utf-8', 'replace')):08x}",
                "request_cache": True}
        if sort[0] == "_score" and self.documents() < DFS_MAX_DOCS:
            # relevance from the whole index's term statistics, not each shard's (a shard
            # of a small index is a biased sample): one more phase, no request cache
            head["search_type"] = "dfs_query_then_fetch"
        return head

    def documents(self) -> int:
        """The articles of the live generation, counted once per generation."""
        gen = self.state()
        if self._documents is None or self._documents[0] != gen:
            n = self.call(lambda c: c.count(index=self.alias))["count"]
            self._documents = (gen, n)
        return self._documents[1]

    def _facet_aggs(self, filters: dict[str, dict], stories: bool) -> dict:
        aggs = {}
        for name, fieldname in FACETS.items():
            others = [f for k, f in filters.items() if k != name]
            inner = {"terms": {"field": fieldname, "size": FACET_SIZE}}
            if stories:
                inner["aggs"] = {"s": {"cardinality": {"field": "group", "precision_threshold": PRECISION}}}
            aggs[f"f_{name}"] = {"filter": {"bool": {"filter": others}}, "aggs": {"v": inner}}
        return aggs

    def _facets(self, aggs: dict, stories: bool) -> dict:
        out = {}
        for name in FACETS:
            buckets = aggs[f"f_{name}"]["v"]["buckets"]
            entries = []
            for b in buckets:
                n = b["s"]["value"] if stories else b["doc_count"]
                entries.append((b["key"], n))
            entries.sort(key=lambda vk: (-vk[1], vk[0] == UNKNOWN, vk[0]))
            out[name] = [{"value": None if v == UNKNOWN else v, "count": n} for v, n in entries if n]
        return out

    def _page(self, q: dict, filters: dict, params: SearchParams, t: tr.Translated,
              first: int, count: int, collapsed: bool) -> list[dict]:
        if count <= 0:
            return []
        body = {"from": first, "size": count, "query": q, "sort": self.sort_of(params, t),
                "track_total_hits": False, "_source": list(PAGE_SOURCE)}
        if filters:
            body["post_filter"] = {"bool": {"filter": list(filters.values())}}
        if collapsed:
            body["collapse"] = {"field": "group"}
        # relevance from the whole index's term statistics, not each shard's (a shard of a
        # small index is a biased sample): one more round trip, the ranking of one index
        kind = "dfs_query_then_fetch" if body["sort"][0] == "_score" else "query_then_fetch"
        res = self.call(lambda c: c.search(index=self.alias, body=body, search_type=kind))
        return res["hits"]["hits"]

    def _members(self, groups: set) -> dict[str, list[dict]]:
        """Every member of these copy groups, first publication first."""
        groups = sorted({g for g in groups if g})
        if not groups:
            return {}
        return self._members_of(self.call(lambda c: c.search(index=self.alias, body=self._members_body(groups))))

    @staticmethod
    def _members_body(groups: list[str]) -> dict:
        return {"size": 10_000, "query": {"terms": {"group": groups}}, "track_total_hits": False,
                "_source": ["id", "title", "source", "date", "url", "lang", "group"],
                "sort": [{"day": {"order": "asc", "missing": "_last"}}, {"id": "asc"}]}

    @staticmethod
    def _members_of(res: dict) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for h in res["hits"]["hits"]:
            out.setdefault(h["_source"]["group"], []).append(h["_source"])
        return {g: m for g, m in out.items() if len(m) > 1}

    def _hit(self, h: dict, is_partial: bool, t: tr.Translated, members: dict) -> dict:
        src = h["_source"]
        item = meta(src)
        score = h.get("_score")
        item["score"] = None if score is None else round(float(score), 4)
        item["partial"] = is_partial
        marker = t.marker()
        title = item["title"]
        body = src.get("body") or ""
        item["title_html"] = marker.html(title) if title else None
        item["snippet"] = snippet(tr._ANALYZER, body, (), spans=marker.spans(body))
        group = src.get("group") or item["id"]
        others = [_public(m) for m in members.get(group, []) if m["id"] != item["id"]]
        item["group"] = group if group in members else item["id"]
        item["copies"] = {"count": len(others), "items": others[:COPIES_SHOWN]}
        return item

    def document(self, doc_id: str, q: str | None = None, exact: bool = False) -> dict | None:
        src = self._source(doc_id)
        if src is None:
            return None
        doc = meta(src)
        doc["text"] = src.get("body") or ""
        doc["entities"] = self.entity_search.of_document(src)
        doc["entities_extracted"] = self.entity_search.extracted()
        doc["quotes"] = [dict(qt, speaker=self.entity_search.speaker_name(qt.get("speaker")))
                         for qt in (src.get("quotes") or {}).get("items", [])
                         if isinstance(qt, dict) and "text" in qt]
        if q:
            marker = self.translate(str(q)[:1000], exact).marker()
            doc["highlighted"] = marker.paragraphs(doc["text"])
            if doc["title"]:
                doc["title_html"] = marker.html(doc["title"])
        return doc

    def _source(self, doc_id: str) -> dict | None:
        from opensearchpy import exceptions as ex

        if not isinstance(doc_id, str) or not doc_id or len(doc_id) > 1000:
            return None
        self.generation()
        body = {"size": 1, "query": {"term": {"id": doc_id}}, "_source": {"excludes": list(mapping.INDEX_ONLY)}}
        try:
            res = self.call(lambda c: c.search(index=self.alias, body=body))
        except ex.RequestError:
            return None
        hits = res["hits"]["hits"]
        return hits[0]["_source"] if hits else None

    def similar(self, doc_id: str, limit: int = 5) -> list[dict] | None:
        limit = max(1, min(int(limit), SIMILAR_MAX))
        src = self._source(doc_id)
        if src is None:
            return None
        text = src.get("body") or ""
        if not text.strip():
            return []
        like = terms_text(text)
        body = {"size": limit, "_source": list(_META),
                "query": {"bool": {
                    "must": [{"more_like_this": {"fields": ["body_t"], "like": like,
                                                 "min_term_freq": 1, "min_doc_freq": 1,
                                                 "max_query_terms": 12}}],
                    "must_not": [{"term": {"id": doc_id}}]}}}
        res = self.call(lambda c: c.search(index=self.alias, body=body))
        out = []
        for h in res["hits"]["hits"]:
            item = meta(h["_source"])
            item["score"] = round(float(h["_score"]), 4)
            out.append(item)
        return out

    def versions(self, doc_id: str, compare: str | None = None) -> dict | None:
        from searchsvc.search.textdiff import diff

        src = self._source(doc_id)
        if src is None:
            return None
        group = src.get("group") or doc_id
        members = self._members({group}).get(group, [])
        out = {"id": doc_id, "group": members[0]["id"] if members else doc_id,
               "versions": [dict(_public(m), first=(k == 0)) for k, m in enumerate(members)],
               "compare": None, "diff": None}
        if compare and compare != doc_id and any(m["id"] == compare for m in members):
            other = self._source(compare)
            if other is not None:
                out["compare"] = compare
                out["diff"] = diff(src.get("body") or "", other.get("body") or "")
        return out


def _public(m: dict) -> dict:
    return {k: m.get(k) for k in ("id", "title", "source", "date", "url")}


def _failed(r: dict) -> Exception:
    from searchsvc.engine import BackendUnavailable

    reason = (r.get("error") or {}).get("root_cause") or [{}]
    return BackendUnavailable(f"OpenSearch n'a pas pu exécuter la recherche : "
                              f"{(reason[0] or {}).get('type', 'erreur')}.")


def _mtime(path):
    try:
        return os.stat(path).st_mtime if path else None
    except OSError:
        return None
