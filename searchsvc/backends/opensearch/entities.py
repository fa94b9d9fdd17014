"""Entities on the OpenSearch backend: the same canonical entities as the Whoosh backend.

The grouping of raw names into entities (the aliases file, a surname alone joined to the
full name, an acronym to the full form articles write beside it, the majority kind and
form) is the Whoosh backend's own :class:`~searchsvc.backends.whoosh.entities.View`,
built once per generation from two aggregations: every raw name of each kind with its
document count, and every acronym link with its votes. The counts of a search come from
the cluster: ``terms`` aggregations of the raw names give the candidates of each kind,
then one ``filters`` aggregation counts the first of them exactly (an article naming an
entity twice, as "Poutine" and "Vladimir Poutine", counts once).
"""

from __future__ import annotations

import threading
from collections import Counter

import numpy as np

from searchsvc.backends.whoosh.entities import FACET_TOP, KINDS, MAX_COOCCURRENCE, AliasFile, View
from searchsvc.enrich.entities import NOTE_OFF

#: distinct raw names read per kind (per generation, and per search's candidates)
RAW_MAX = 65_000
CANDIDATES = 4  # times the entities shown: candidates counted exactly


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
        terms: dict[str, list[str]] = {}
        for c in codes:
            for kind, name in self.raw_of.get(c, ()):
                terms.setdefault(kind, []).append(name)
        should = [{"terms": {k: sorted(v)}} for k, v in terms.items()]
        return {"bool": {"should": should, "minimum_should_match": 1}} if should else \
            {"bool": {"must_not": [{"match_all": {}}]}}


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
            body = {"size": 0, "track_total_hits": True, "aggs": {
                **{k: {"terms": {"field": k, "size": RAW_MAX}} for k in KINDS},
                "links": {"terms": {"field": "links", "size": RAW_MAX}},
                "extracted": {"filter": {"term": {"extracted": True}}}}}
            res = engine.call(lambda c: c.search(index=engine.alias, body=body))
            aggs = res["aggregations"]
            raw, df = [], []
            for k in KINDS:
                for b in aggs[k]["buckets"]:
                    raw.append((k, b["key"]))
                    df.append(b["doc_count"])
            votes: dict[str, Counter] = {}
            for b in aggs["links"]["buckets"]:
                acr, _, full = b["key"].partition("\t")
                votes.setdefault(acr, Counter())[full] += b["doc_count"]
            links = {a: c.most_common(1)[0][0] for a, c in votes.items()}
            data = _Data(raw, df, links, res["hits"]["total"]["value"])
            data.enabled = aggs["extracted"]["doc_count"] > 0
            canon = Canon(data, View(data, al, engine.synonyms))
            self._canon = (key, canon)
            return canon

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
    def candidate_aggs(filters: dict[str, dict]) -> dict:
        """Aggregations (``ek_<kind>``) of the raw names' counts in each kind's scope: the
        search's matches under every filter but that kind's own."""
        return {f"ek_{kind}": {"filter": {"bool": {"filter": [f for n, f in filters.items() if n != kind]}},
                               "aggs": {k: {"terms": {"field": k, "size": RAW_MAX}} for k in KINDS}}
                for kind in KINDS}

    def picks(self, canon: Canon, aggs_of: dict[str, dict], limit: int) -> dict[str, dict[int, int]]:
        """``{kind: {entity: summed count}}``: the ``CANDIDATES * limit`` first entities of
        each kind by the sum of their raw names' counts (``aggs_of[kind]``: the raw names'
        ``terms`` aggregations in that kind's scope)."""
        v = canon.view
        out = {}
        for kind in KINDS:
            summed: Counter = Counter()
            for k in KINDS:
                for b in aggs_of[kind][k]["buckets"]:
                    c = canon.code_of_raw.get((k, b["key"]))
                    if c is not None and v.kinds[c] == kind:
                        summed[c] += b["doc_count"]
            out[kind] = dict(sorted(summed.items(), key=lambda cn: (-cn[1], v.names[cn[0]]))
                             [:CANDIDATES * limit])
        return out

    def exact_requests(self, canon: Canon, picks: dict[str, dict[int, int]],
                       scopes: dict[str, dict]) -> list[tuple[str, dict]]:
        """``[(kind, search body)]`` counting exactly the candidates written several ways
        (an article may name them twice); the others' sums are their exact counts."""
        out = []
        for kind in KINDS:
            several = [c for c in picks[kind] if len(canon.raw_of.get(c, ())) > 1]
            if several:
                out.append((kind, {"size": 0, "query": scopes[kind], "aggs": {"e": {"filters": {
                    "filters": {str(c): canon.clause([c]) for c in several}}}}}))
        return out

    @staticmethod
    def ranked(canon: Canon, picks: dict[str, dict[int, int]], exact: dict[str, dict],
               limit: int) -> dict:
        """``{kind: [{"value", "count"}]}``: the candidates by their exact counts
        (``exact[kind]``: the response of that kind's :meth:`exact_requests` search)."""
        v = canon.view
        out = {}
        for kind in KINDS:
            counts = dict(picks[kind])
            buckets = (exact.get(kind) or {}).get("aggregations", {}).get("e", {}).get("buckets", {})
            counts.update({int(c): b["doc_count"] for c, b in buckets.items()})
            rows = sorted(((c, n) for c, n in counts.items() if n), key=lambda cn: (-cn[1], v.names[cn[0]]))
            out[kind] = [{"value": v.names[c], "count": n} for c, n in rows[:limit]]
        return out

    def _top(self, canon: Canon, scopes: dict[str, dict], limit: int) -> dict:
        engine = self.engine
        reqs = []
        for kind in KINDS:
            reqs += [{"index": engine.alias}, {"size": 0, "query": scopes[kind], "aggs": {
                k: {"terms": {"field": k, "size": RAW_MAX}} for k in KINDS}}]
        first = engine._msearch(reqs)
        picks = self.picks(canon, {kind: r["aggregations"] for kind, r in zip(KINDS, first)}, limit)
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
