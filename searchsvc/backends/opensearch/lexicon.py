"""The index's vocabulary, answered by the cluster, in the shape the backend-neutral
query code reads a Whoosh reader: ``doc_frequency``, ``leaf_readers``/``iter_prefix``
(prefix completions, :func:`searchsvc.search.query.prefix_expansion`) and
``terms_within`` (spelling suggestions, :mod:`searchsvc.search.suggest`), plus the
``forms`` of a term (the accent rule). So the rules that decide what a prefix expands
to and which word is suggested are the same code on both backends; only the lookups
differ: a ``count`` of a term query, a ``terms`` aggregation over the keyword fields
``stems``/``words`` (most frequent first), OpenSearch's ``term`` suggester. One
lexicon per generation, its lookups cached (bounded).
"""

from __future__ import annotations

import re

from searchsvc.backends.opensearch.translate import _ANALYZER, _SPELL, _WRITTEN
from searchsvc.search.query import MAX_PREFIX_SCAN

#: the Whoosh field a lookup names -> (field of term queries, keyword field of completions)
FIELDS = {"spell": ("words", "words"), "body": ("body_t", "stems"), "title": ("title_t", "stems"),
          "forms": ("forms", "forms")}
CACHE_MAX = 4096


class _Field:
    def __init__(self, analyzer):
        self.analyzer = analyzer


#: the ``schema`` the neutral query code asks for analyzers
SCHEMA = {"spell": _Field(_SPELL), "body": _Field(_ANALYZER), "title": _Field(_ANALYZER),
          "body_written": _Field(_WRITTEN), "title_written": _Field(_WRITTEN)}


class _Info:
    def __init__(self, df: int):
        self._df = df

    def doc_frequency(self) -> int:
        return self._df


class Lexicon:
    """The vocabulary of one generation (``engine.alias`` when it was read)."""

    def __init__(self, engine, generation: str):
        self.engine = engine
        self.generation = generation
        self.cache: dict = {}  # the neutral code's per-generation memo (prefixes, verdicts)
        self._df: dict[tuple[str, str], int] = {}
        self._forms: dict[str, list[str]] = {}
        self._completions: dict[tuple[str, str], list[tuple[str, int]]] = {}
        self._routing: list[str] | None = None  # one routing value a shard (term_counts)

    def _search(self, body: dict) -> dict:
        return self.engine.call(lambda c: c.search(index=self.engine.alias, body=body))

    def doc_frequency(self, fieldname: str, text: str) -> int:
        key = (fieldname, text)
        got = self._df.get(key)
        if got is None:
            body = {"query": {"term": {FIELDS[fieldname][0]: text}}}
            got = self.engine.call(lambda c: c.count(index=self.engine.alias, body=body))["count"]
            self._remember(key, got)
        return got

    def frequencies_body(self, pairs) -> tuple[list, dict | None]:
        """The ``(field, term)`` pairs of ``pairs`` not known yet, and one search counting
        them all (a ``filters`` aggregation), to send with others (:meth:`absorb`)."""
        todo = [p for p in dict.fromkeys(pairs) if p not in self._df and p[0] in FIELDS]
        if not todo:
            return [], None
        return todo, {"size": 0, "track_total_hits": False, "aggs": {"df": {"filters": {"filters": {
            str(i): {"term": {FIELDS[f][0]: t}} for i, (f, t) in enumerate(todo)}}}}}

    def absorb(self, todo: list, response: dict) -> None:
        """Remember the counts of :meth:`frequencies_body`'s search."""
        buckets = response["aggregations"]["df"]["buckets"]
        for i, pair in enumerate(todo):
            self._remember(pair, buckets[str(i)]["doc_count"])

    def _remember(self, key, df: int) -> None:
        if len(self._df) >= CACHE_MAX:
            self._df.clear()
        self._df[key] = df

    def term_counts(self, fieldname: str, terms: list[str]) -> list[int]:
        """The document frequency of each of ``terms`` in the keyword field ``fieldname``,
        read from each shard's term dictionary (``_mtermvectors`` of one artificial
        document a shard, ``term_statistics``): one request whatever the number of terms,
        and no posting read, where a count or a ``filters`` aggregation walks every
        matching document (a list of 2,000 words, 0.2-0.4 s a chunk of 500 at 10x news-fr).
        As the Whoosh backend's term statistics, a document deleted by an incremental
        run still counts until its segment merges."""
        if not terms:
            return []
        docs = [{"doc": {fieldname: list(terms)}, "routing": r, "fields": [fieldname],
                 "term_statistics": True, "field_statistics": False, "positions": False,
                 "offsets": False, "payloads": False} for r in self._routings()]
        got = self.engine.call(lambda c: c.mtermvectors(index=self.engine.alias, body={"docs": docs}))
        out = dict.fromkeys(terms, 0)
        for d in got["docs"]:
            if "error" in d:
                raise RuntimeError(f"_mtermvectors: {d['error']}")
            for term, st in ((d.get("term_vectors") or {}).get(fieldname, {}).get("terms") or {}).items():
                if term in out:
                    out[term] += int(st.get("doc_freq") or 0)
        return [out[t] for t in terms]

    def _routings(self) -> list[str]:
        """One routing value a shard of the live index (found once a generation with
        ``_search_shards``): an artificial document goes to the shard of its routing."""
        if self._routing is None:
            first = self.engine.call(lambda c: c.search_shards(index=self.engine.alias))
            want = {group[0]["shard"] for group in first["shards"]}
            found: dict[int, str] = {}
            for k in range(64 * len(want)):
                if len(found) == len(want):
                    break
                got = self.engine.call(lambda c: c.search_shards(index=self.engine.alias,
                                                                 routing=str(k)))
                found.setdefault(got["shards"][0][0]["shard"], str(k))
            if len(found) != len(want):
                raise RuntimeError(f"routing: {len(found)} shards of {len(want)} found")
            self._routing = [found[k] for k in sorted(found)]
        return self._routing

    def leaf_readers(self):
        return [(self, 0)]

    def iter_prefix(self, fieldname: str, prefix: str):
        """``(term, info)`` of the completions of ``prefix``, in term order (read once:
        ``title`` and ``body`` complete from the same keyword field)."""
        kw = FIELDS[fieldname][1]
        got = self._completions.get((kw, prefix))
        if got is None:
            body = {"size": 0, "query": {"prefix": {kw: prefix}},
                    "aggs": {"t": {"terms": {"field": kw, "size": MAX_PREFIX_SCAN,
                                             "include": re.escape(prefix) + ".*"}}}}
            buckets = self._search(body)["aggregations"]["t"]["buckets"]
            got = sorted((b["key"], b["doc_count"]) for b in buckets)
            if len(self._completions) >= CACHE_MAX:
                self._completions.clear()
            self._completions[(kw, prefix)] = got
        for term, df in got:
            yield term, _Info(df)

    def terms_within(self, fieldname: str, word: str, maxdist: int, prefix: int = 0) -> list[str]:
        body = {"size": 0, "suggest": {"w": {"text": word, "term": {
            "field": FIELDS[fieldname][0], "suggest_mode": "always",
            "max_edits": max(1, min(maxdist, 2)), "prefix_length": prefix, "min_word_length": 1,
            "size": 50, "sort": "frequency", "string_distance": "damerau_levenshtein"}}}}
        out = []
        for entry in self._search(body)["suggest"]["w"]:
            for opt in entry["options"]:
                self._remember((fieldname, opt["text"]), opt["freq"])
                out.append(opt["text"])
        return out

    def prefetch_forms(self, terms) -> None:
        """Read the forms of every term of ``terms`` not read yet, in one request (a
        query's accented words: one round trip instead of one each)."""
        todo = [t for t in dict.fromkeys(terms) if t not in self._forms]
        if len(todo) < 2:
            return  # forms_of reads one term the same way
        body = {"size": 0, "track_total_hits": False, "aggs": {
            str(i): {"filter": {"prefix": {"forms": t + "|"}}, "aggs": {"t": {"terms": {
                "field": "forms", "size": MAX_PREFIX_SCAN, "include": re.escape(t + "|") + ".*"}}}}
            for i, t in enumerate(todo)}}
        aggs = self._search(body)["aggregations"]
        for i, t in enumerate(todo):
            self._keep_forms(t, sorted(b["key"] for b in aggs[str(i)]["t"]["buckets"]))

    def _keep_forms(self, term: str, forms: list[str]) -> None:
        if len(self._forms) >= CACHE_MAX:
            self._forms.clear()
        self._forms[term] = forms

    def forms_of(self, term: str) -> list[str]:
        """The ``forms`` terms of ``term`` (``<term>|<word as written>``)."""
        got = self._forms.get(term)
        if got is None:
            got = [t for t, _ in self.iter_prefix("forms", term + "|")]
            self._keep_forms(term, got)
        return got
