"""Entities on the OpenSearch backend: the same canonical entities as the Whoosh backend.

The grouping of raw names into entities (the aliases file, a surname alone joined to the
full name, an acronym to the full form articles write beside it, the majority kind and
form) is the Whoosh backend's own :class:`~searchsvc.backends.whoosh.entities.View`,
built once per generation from ``composite`` aggregations read page by page: every raw
name of each kind with its document count, and every acronym link with its votes (news-fr
has 88,697 raw names: more than the 65,535 buckets a search may return by default). The
counts of a search come from the cluster: ``terms`` aggregations of the most frequent raw
names give the candidates of each kind, then one ``filters`` aggregation counts the first
of them exactly (an article naming an entity twice, as "Poutine" and "Vladimir Poutine",
counts once).
"""

from __future__ import annotations

import json
import threading
from collections import Counter

import numpy as np

from searchsvc.backends.opensearch.client import composite_terms
from searchsvc.backends.whoosh.entities import FACET_TOP, KINDS, MAX_COOCCURRENCE, AliasFile, View
from searchsvc.enrich.entities import NOTE_OFF

#: raw names a page when a generation's names are read (``composite`` pages: each page's
#: buckets count against the cluster's ``search.max_buckets``, 65,535 by default)
PAGE = 10_000
#: the most frequent raw names of each kind a search reads for its candidates, in each
#: distinct scope (3 kinds x 3 scopes at most: 18,000 buckets). An entity left out has
#: every one of its names below the last one read, in a scope where 2,000 names rank higher
RAW_CANDIDATES = 2_000
CANDIDATES = 4  # times the entities shown: candidates counted exactly
FIELDS = (*KINDS, "links")


class _Data:
    """What :class:`View` reads of a generation's entities, from aggregations: ``raw``
    (kind, name) pairs, one entry per (document, raw name) (documents are stand-ins:
    only the counts and the grouping are used here), the acronym links."""

    def __init__(self, raw: list[tuple[str, str]], df: list[int], links: dict[str, str], size: int):
        self.raw = raw
        self.codes = np.repeat(np.arange(len(raw), dtype=np.int64), np.asarray(df, dtype=np.int64))
        self.docs = np.arange(len(self.codes), dtype=np.int64)
        self.links = links
        self.size = max(size, len(self.codes))
        self.enabled = bool(raw)
        self.first = np.concatenate([[0], np.cumsum(df)[:-1]]).astype(np.int64) if raw else np.zeros(0, np.int64)


class Canon:
    """One generation's canonical entities: the view, and the raw names of each one."""

    def __init__(self, data: _Data, view: View):
        self.view = view
        self.enabled = data.enabled
        self.raw_of: dict[int, list[tuple[str, str]]] = {}
        self.code_of_raw: dict[tuple[str, str], int] = {}
        for i, pair in enumerate(data.raw):
            got = view.per_doc.get(int(data.first[i])) if len(data.first) else None
            if got:
                self.raw_of.setdefault(got[0], []).append(pair)
                self.code_of_raw[pair] = got[0]

    def clause(self, codes) -> dict:
        """The documents naming any raw name of these entities, in any kind's field."""
        return self.names_clause(pair for c in codes for pair in self.raw_of.get(c, ()))

    @staticmethod
    def names_clause(pairs) -> dict:
        """The documents naming any of these ``(kind, raw name)`` pairs."""
        terms: dict[str, list[str]] = {}
        for kind, name in pairs:
            terms.setdefault(kind, []).append(name)
        should = [{"terms": {k: sorted(v)}} for k, v in terms.items()]
        return {"bool": {"should": should, "minimum_should_match": 1}} if should else \
            {"bool": {"must_not": [{"match_all": {}}]}}


class Picks(dict):
    """``{kind: {entity: summed count}}`` of :meth:`OpenSearchEntities.picks`, and
    ``seen``: ``{kind: {entity: [(field, raw name)]}}``, the raw names each candidate has
    in that kind's scope, or None for a kind whose scope has more names than were read."""

    def __init__(self, counts: dict, seen: dict):
        super().__init__(counts)
        self.seen = seen


class OpenSearchEntities:
    """The entity calls of one :class:`~searchsvc.backends.opensearch.engine.OpenSearchEngine`."""

    def __init__(self, engine, path=None):
        self.engine = engine
        self.aliases = AliasFile(path)
        self._canon: tuple | None = None
        self._lock = threading.Lock()

    def extracted(self) -> bool:
        """Whether the index's articles went through entity and quote extraction."""
        return self.canon().enabled

    def canon(self) -> Canon:
        engine = self.engine
        gen = engine.state()
        al = self.aliases.current(engine.synonyms)
        key = (gen, self.aliases.version, id(engine.synonyms))
        got = self._canon
        if got is not None and got[0] == key:
            return got[1]
        with self._lock:
            names, total, extracted = self._read_names()
            raw, df = [], []
            for k in KINDS:
                for name, n in names[k]:
                    raw.append((k, name))
                    df.append(n)
            votes: dict[str, Counter] = {}
            for link, n in names["links"]:
                acr, _, full = link.partition("\t")
                votes.setdefault(acr, Counter())[full] += n
            links = {a: c.most_common(1)[0][0] for a, c in votes.items()}
            data = _Data(raw, df, links, total)
            data.enabled = extracted
            canon = Canon(data, View(data, al, engine.synonyms))
            self._canon = (key, canon)
            return canon

    def _read_names(self) -> tuple[dict[str, list[tuple[str, int]]], int, bool]:
        """``({field: [(name, documents)]}, articles, extracted)``: every raw name of each
        kind and every acronym link, most frequent first (then by name, as ``terms``
        orders them), read in pages of :data:`PAGE`."""
        engine = self.engine

        def send(body: dict) -> dict:
            return engine.call(lambda c: c.search(index=engine.alias, body=body))

        head = send({"size": 0, "track_total_hits": True,
                     "aggs": {"extracted": {"filter": {"term": {"extracted": True}}}}})
        names = {f: sorted(composite_terms(send, f, PAGE), key=lambda kn: (-kn[1], kn[0]))
                 for f in FIELDS}
        return names, head["hits"]["total"]["value"], head["aggregations"]["extracted"]["doc_count"] > 0

    # -- filters -------------------------------------------------------------------------

    def filter_clauses(self, params, restrictions=()) -> dict[str, dict]:
        """Filter name -> clause: ``person``/``org``/``place`` of the parameters (the
        values of a kind are alternatives) and ``q:<i>:<kind>`` of ``personne:``..."""
        wanted = {"person": params.persons, "org": params.orgs, "place": params.places}
        if not any(wanted.values()) and not restrictions:
            return {}
        canon = self.canon()
        v = canon.view
        out = {}
        for kind, values in wanted.items():
            if values:
                out[kind] = canon.clause([c for c in (v.code_for(kind, x) for x in values) if c is not None])
        for i, (kind, text, negated) in enumerate(restrictions):
            clause = canon.clause(v.matching(kind, text))
            out[f"q:{i}:{kind}"] = {"bool": {"must_not": [clause]}} if negated else clause
        return out

    # -- counts ---------------------------------------------------------------------------
    #
    # A search's entity facets take two steps: the raw names' counts in each kind's scope
    # (``candidate_aggs``, aggregations a caller puts into its own search), summed per
    # entity (``picks``: exact for an entity written one way, an upper bound for one
    # written several ways); then the entities written several ways among the candidates
    # counted exactly (``exact_requests``, searches a caller sends with its others), and
    # the first ``limit`` of each kind (``ranked``).

    def facets(self, query: dict, filters: dict[str, dict], limit: int = FACET_TOP) -> dict:
        """``{kind: [{"value", "count"}]}`` of the documents of ``query`` under
        ``filters`` (each kind ignoring its own selection), the first ``limit`` of each."""
        canon = self.canon()
        scopes = {k: {"bool": {"must": [query], "filter": [f for n, f in filters.items() if n != k]}}
                  for k in KINDS}
        return self._top(canon, scopes, limit)

    def active(self) -> bool:
        """Whether the generation has any entity name (else every entity facet is empty)."""
        return bool(self.canon().code_of_raw)

    @staticmethod
    def scope_names(scopes: dict[str, object]) -> dict[str, str]:
        """Kind -> the kind whose scope it shares (the first with an equal one): without
        an entity filter the three scopes are one, read once."""
        seen: dict[str, str] = {}
        out = {}
        for kind in KINDS:
            key = json.dumps(scopes[kind], sort_keys=True, ensure_ascii=False)
            out[kind] = seen.setdefault(key, kind)
        return out

    @staticmethod
    def _filter_scopes(filters: dict[str, dict]) -> dict[str, list[dict]]:
        """Kind -> the filters of its scope: every filter but that kind's own."""
        return {kind: [f for n, f in filters.items() if n != kind] for kind in KINDS}

    @classmethod
    def candidate_aggs(cls, filters: dict[str, dict]) -> dict:
        """Aggregations (``ek_<kind>``) of the most frequent raw names' counts in each
        kind's scope (the search's matches under every filter but that kind's own), one
        a distinct scope; :meth:`candidates_of` reads them back."""
        scopes = cls._filter_scopes(filters)
        return {f"ek_{kind}": {"filter": {"bool": {"filter": scopes[kind]}}, "aggs": cls._raw_aggs()}
                for kind in set(cls.scope_names(scopes).values())}

    @classmethod
    def candidates_of(cls, aggregations: dict, filters: dict[str, dict]) -> dict[str, dict]:
        """``{kind: its scope's raw names' aggregations}`` of a response to
        :meth:`candidate_aggs`."""
        scopes = cls._filter_scopes(filters)
        return {kind: aggregations[f"ek_{shared}"] for kind, shared in cls.scope_names(scopes).items()}

    @staticmethod
    def _raw_aggs() -> dict:
        return {k: {"terms": {"field": k, "size": RAW_CANDIDATES}} for k in KINDS}

    def picks(self, canon: Canon, aggs_of: dict[str, dict], limit: int) -> Picks:
        """``{kind: {entity: summed count}}``: the ``CANDIDATES * limit`` first entities of
        each kind by the sum of their raw names' counts (``aggs_of[kind]``: the raw names'
        ``terms`` aggregations in that kind's scope). The sum is an upper bound of an
        entity's count, its most frequent name's count a lower bound: an entity whose sum
        is below the ``limit``-th lower bound cannot be shown, and is not counted exactly."""
        v = canon.view
        out, seen = {}, {}
        for kind in KINDS:
            summed: Counter = Counter()
            high: Counter = Counter()
            names: dict[int, list[tuple[str, str]]] = {}
            for k in KINDS:
                for b in aggs_of[kind][k]["buckets"]:
                    c = canon.code_of_raw.get((k, b["key"]))
                    if c is not None and v.kinds[c] == kind:
                        summed[c] += b["doc_count"]
                        high[c] = max(high[c], b["doc_count"])
                        names.setdefault(c, []).append((k, b["key"]))
            lows = sorted(high.values(), reverse=True)
            floor = lows[limit - 1] if len(lows) >= limit else 0
            out[kind] = dict(sorted(((c, n) for c, n in summed.items() if n >= floor),
                                    key=lambda cn: (-cn[1], v.names[cn[0]]))[:CANDIDATES * limit])
            every = all(not aggs_of[kind][k].get("sum_other_doc_count") for k in KINDS)
            seen[kind] = {c: names[c] for c in out[kind]} if every else None
        return Picks(out, seen)

    def exact_requests(self, canon: Canon, picks: Picks,
                       scopes: dict[str, dict]) -> list[tuple[str, dict]]:
        """``[(scope, search body)]`` counting exactly the candidates written several ways
        in their scope (an article may name them twice); the others' sums are their exact
        counts. When every raw name of a kind's scope was read, an entity is written
        several ways there only if several of its names were, and only those names are
        asked for. Kinds sharing a scope share a search (filters named ``<kind>:<entity>``).
        On 100 news-fr headlines: 41 filters and 106 kB a search before, 16 after."""
        filters: dict[str, dict] = {}
        shared = self.scope_names(scopes)
        for kind in KINDS:
            seen = picks.seen.get(kind)
            if seen is None:
                asked = {c: canon.clause([c]) for c in picks[kind] if len(canon.raw_of.get(c, ())) > 1}
            else:
                asked = {c: canon.names_clause(seen[c]) for c in picks[kind] if len(seen[c]) > 1}
            filters.setdefault(shared[kind], {}).update({f"{kind}:{c}": q for c, q in asked.items()})
        return [(scope, {"size": 0, "query": scopes[scope], "aggs": {"e": {"filters": {"filters": f}}}})
                for scope, f in filters.items() if f]

    @staticmethod
    def ranked(canon: Canon, picks: Picks, exact: dict[str, dict],
               limit: int) -> dict:
        """``{kind: [{"value", "count"}]}``: the candidates by their exact counts
        (``exact``: the responses of the :meth:`exact_requests` searches, by scope)."""
        v = canon.view
        counted: dict[str, dict[int, int]] = {k: {} for k in KINDS}
        for r in exact.values():
            for key, b in (r or {}).get("aggregations", {}).get("e", {}).get("buckets", {}).items():
                kind, _, c = key.partition(":")
                counted[kind][int(c)] = b["doc_count"]
        out = {}
        for kind in KINDS:
            counts = dict(picks[kind])
            counts.update(counted[kind])
            rows = sorted(((c, n) for c, n in counts.items() if n), key=lambda cn: (-cn[1], v.names[cn[0]]))
            out[kind] = [{"value": v.names[c], "count": n} for c, n in rows[:limit]]
        return out

    def _top(self, canon: Canon, scopes: dict[str, dict], limit: int) -> dict:
        engine = self.engine
        shared = self.scope_names(scopes)
        distinct = sorted(set(shared.values()), key=KINDS.index)
        reqs = []
        for kind in distinct:
            reqs += [{"index": engine.alias}, {"size": 0, "query": scopes[kind], "aggs": self._raw_aggs()}]
        first = dict(zip(distinct, engine._msearch(reqs)))
        picks = self.picks(canon, {kind: first[shared[kind]]["aggregations"] for kind in KINDS}, limit)
        todo = self.exact_requests(canon, picks, scopes)
        reqs = [x for _, body in todo for x in ({"index": engine.alias}, body)]
        exact = dict(zip([k for k, _ in todo], engine._msearch(reqs))) if todo else {}
        return self.ranked(canon, picks, exact, limit)

    def table(self, query: dict, kind: str, limit: int) -> dict:
        """The entity table of a search (:func:`searchsvc.backends.whoosh.entities.entity_table`):
        the entities of ``kind`` with counts, and the co-occurrence of the first ones."""
        canon = self.canon()
        engine, v = self.engine, canon.view
        top = self._top(canon, {k: query for k in KINDS}, limit)[kind]
        codes = [v.code_for(kind, e["value"]) for e in top[:MAX_COOCCURRENCE]]
        co = []
        pairs = [(a, b) for i, a in enumerate(codes) for b in codes[i + 1:]]
        if pairs:
            body = {"size": 0, "query": query, "aggs": {"p": {"filters": {"filters": {
                f"{a}:{b}": {"bool": {"filter": [canon.clause([a]), canon.clause([b])]}} for a, b in pairs}}}}}
            res = engine.call(lambda c: c.search(index=engine.alias, body=body))
            for key, b in res["aggregations"]["p"]["buckets"].items():
                if b["doc_count"]:
                    a, c = (int(x) for x in key.split(":"))
                    x, y = sorted((v.names[a], v.names[c]))
                    co.append({"a": x, "b": y, "count": b["doc_count"]})
            co.sort(key=lambda p: (-p["count"], p["a"], p["b"]))
        return {"kind": kind, "entities": top, "cooccurrence": co,
                "notes": [] if canon.enabled else [NOTE_OFF]}

    # -- one document ---------------------------------------------------------------------

    def of_document(self, src: dict) -> dict:
        """``{kind: [names]}`` of one article, its raw names as canonical entities."""
        canon = self.canon()
        v = canon.view
        ents: dict[str, list[str]] = {k: [] for k in KINDS}
        raw = src.get("entities") or {}
        for kind in KINDS:
            for name in raw.get(kind) or ():
                c = canon.code_of_raw.get((kind, name))
                if c is not None and v.names[c] not in ents[v.kinds[c]]:
                    ents[v.kinds[c]].append(v.names[c])
        for k in KINDS:
            ents[k].sort(key=lambda s: s.lower())
        return ents

    def speaker_name(self, speaker):
        if not speaker:
            return None
        v = self.canon().view
        code = v.code_for(None, speaker)
        return v.names[code] if code is not None else speaker
