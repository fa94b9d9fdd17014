"""The analytic operations of :class:`searchsvc.engine.Engine` on OpenSearch.

Counted in the cluster: the timeline (``date_histogram`` of the matches and of every
article, stories as a ``cardinality`` of the copy group per period, ``by=source`` as a
``terms`` aggregation), the date bounds (``min``/``max``), the entity table (``terms``
and co-occurring ``terms``). Streamed from the cluster: the export and the batch CSV
(a point in time read with ``search_after``, no 10,000 cap). Read in Python from the
matches' text, bounded and said in ``notes``: the concordance (:data:`CONCORDANCE_DOCS`
articles, :data:`concordance.CPU_SECONDS`), the characteristic words (the text of
:data:`terms.SAMPLE_MAX` stories, backgrounds counted in the cluster), the quotes.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from typing import Iterator

import numpy as np

from searchsvc.analytics import concordance as conc
from searchsvc.analytics import export as ex
from searchsvc.analytics import terms as tm
from searchsvc.analytics import timeline as tl
from searchsvc.backends.opensearch import mapping
from searchsvc.backends.opensearch import translate as tr
from searchsvc.search.params import UNKNOWN, SearchParams

#: rows read per request of a stream
SCROLL_SIZE = 1000
#: how long a point in time stays open between two reads of a stream
KEEP_ALIVE = "2m"
#: articles the concordance reads at most (in the search's order)
CONCORDANCE_DOCS = 5000
PRECISION = 40_000
_INTERVALS = {"day": "day", "week": "week", "month": "month", "year": "year"}


class OpenSearchOperations:
    """Mixed into :class:`~searchsvc.backends.opensearch.engine.OpenSearchEngine`."""

    # -- streams ----------------------------------------------------------------------

    def _count(self, q: dict) -> int:
        return self.call(lambda c: c.count(index=self.alias, body={"query": q}))["count"]

    @contextlib.contextmanager
    def hits_of(self, params: SearchParams, source=None) -> Iterator[tuple[int, Iterator[dict]]]:
        """``(total, hits, translated)`` of every full match of ``params`` in the search's
        order (every copy), read from one point in time (closed on exit)."""
        t = self.translate(params.q, params.exact)
        q = self.query_of(params, t=t)
        total = self._count(q)
        pit = self.call(lambda c: c.create_pit(index=self.alias, params={"keep_alive": KEEP_ALIVE}))
        pit_id = pit["pit_id"]
        sort = self.sort_of(params, t)

        def hits() -> Iterator[dict]:
            after = None
            while True:
                body = {"size": SCROLL_SIZE, "query": q, "sort": sort, "track_total_hits": False,
                        "pit": {"id": pit_id, "keep_alive": KEEP_ALIVE}}
                body["_source"] = source if source is not None else {"excludes": list(mapping.INDEX_ONLY)}
                if after is not None:
                    body["search_after"] = after
                kind = "dfs_query_then_fetch" if sort[0] == "_score" else "query_then_fetch"
                page = self.call(lambda c: c.search(body=body, search_type=kind))["hits"]["hits"]
                yield from page
                if len(page) < SCROLL_SIZE:
                    return
                after = page[-1]["sort"]

        try:
            yield total, hits(), t
        finally:
            with contextlib.suppress(Exception):
                self.client.delete_pit(body={"pit_id": [pit_id]})

    def _rows(self, hits: Iterator[dict], t) -> Iterator[dict]:
        from searchsvc.backends.opensearch.engine import meta

        marker = t.marker() if t is not None and not t.listing else None

        for h in hits:
            src = h["_source"]
            item = meta(src)
            score = h.get("_score")
            body = src.get("body") or ""
            spans = marker.spans(body) if marker else ()
            yield {**{k: ex.one_line(item[k]) or None if k in ("title", "source", "url") else item[k]
                      for k in ("id", "title", "source", "date", "url", "lang")},
                   "score": None if score is None else round(float(score), 4),
                   "group": src.get("group") or item["id"],
                   "snippet": ex.plain_snippet(tr._ANALYZER, body, (), (), spans)}

    def open_export(self, params: SearchParams, fmt: str, now=None):
        cm = self.hits_of(params, source={"excludes": ["entities", "quotes", *mapping.INDEX_ONLY]})
        total, hits, t = cm.__enter__()
        try:
            header = ex.header_of(params, self.generation(), total, t.notes, now)
            return ex.RowsExport(header, self._rows(hits, t), fmt,
                                 on_close=lambda: cm.__exit__(None, None, None))
        except BaseException:
            cm.__exit__(None, None, None)
            raise

    def open_batch_csv(self, lines, base_params, exact: bool = True):
        from searchsvc.analytics.batch import BatchExport

        @contextlib.contextmanager
        def rows_of(params):
            with self.hits_of(params, source={"excludes": ["entities", "quotes", *mapping.INDEX_ONLY]}) as (_, hits, t):
                yield self._rows(hits, t)

        return BatchExport(rows_of, lines, base_params, exact)

    def batch(self, lines, base_params, hits: int = 3, exact: bool = True) -> dict:
        from searchsvc.analytics import batch as bt

        hits = max(0, min(int(hits), bt.MAX_HITS))

        def answer(line, params):
            got = self.search(replace(params, per_page=max(hits, 1), copies="all"))
            first = [{"id": r["id"], "title": ex.one_line(r["title"]) or None,
                      "source": ex.one_line(r["source"]) or None, "date": r["date"],
                      "score": r["score"]} for r in got["results"] if not r["partial"]][:hits]
            return {"line": line.number, "text": line.text, "query": params.q, "total": got["total"],
                    "total_stories": got["total_stories"], "hits": first, "notes": got["notes"]}

        return bt.run_lines(lines, base_params, exact, answer)

    def newest(self, params: SearchParams, limit: int = 50) -> dict:
        """The ``limit`` newest full matches (every copy), texts read in the same request."""
        from searchsvc.backends.opensearch.engine import meta

        gen = self.generation()
        by_date = replace(params, sort="newest")
        t = self.translate(params.q, params.exact)
        body = {"size": limit, "query": self.query_of(by_date, t=t), "sort": self.sort_of(by_date, t),
                "track_total_hits": True, "_source": ["id", "title", "source", "date", "url", "lang", "body"]}
        res = self.call(lambda c: c.search(index=self.alias, body=body))
        marker = t.marker()
        entries = []
        for h in res["hits"]["hits"]:
            src, m = h["_source"], meta(h["_source"])
            body_text = src.get("body") or ""
            entries.append({"id": m["id"], "title": ex.one_line(m["title"]) or None,
                            "source": ex.one_line(m["source"]) or None, "date": m["date"],
                            "url": ex.one_line(m["url"]) or None,
                            "summary": ex.plain_snippet(tr._ANALYZER, body_text, (), (),
                                                        marker.spans(body_text))})
        return {"generation": gen, "total": res["hits"]["total"]["value"], "entries": entries}

    # -- counted in the cluster -------------------------------------------------------

    def date_bounds(self) -> tuple[str | None, str | None, int]:
        self.generation()
        body = {"size": 0, "track_total_hits": True,
                "aggs": {"lo": {"min": {"field": "day", "format": "yyyy-MM-dd"}},
                         "hi": {"max": {"field": "day", "format": "yyyy-MM-dd"}},
                         "dated": {"value_count": {"field": "day"}}}}
        res = self.call(lambda c: c.search(index=self.alias, body=body))
        a = res["aggregations"]
        total = res["hits"]["total"]["value"]
        undated = total - int(a["dated"]["value"])
        if not a["dated"]["value"]:
            return None, None, undated
        return a["lo"]["value_as_string"], a["hi"]["value_as_string"], undated

    def timeline(self, params) -> dict:
        t0 = time.perf_counter()
        self.generation()
        queries = [self.query_of(p) for p in params.searches]
        stories = {"cardinality": {"field": "group", "precision_threshold": PRECISION}}
        bounds = []
        for q in queries:
            bounds += [{"index": self.alias}, {
                "size": 0, "track_total_hits": True, "query": q,
                "aggs": {"lo": {"min": {"field": "day"}}, "hi": {"max": {"field": "day"}},
                         "dated": {"value_count": {"field": "day"}}, "stories": stories}}]
        bounds += [{"index": self.alias}, {"size": 0, "aggs": {"lo": {"min": {"field": "day"}},
                                                               "hi": {"max": {"field": "day"}}}}]
        res = self._msearch(bounds)
        per = res[:-1]
        index_lo, index_hi = _day_of(res[-1]["aggregations"]["lo"]), _day_of(res[-1]["aggregations"]["hi"])
        firsts = [_day_of(r["aggregations"]["lo"]) for r in per]
        lasts = [_day_of(r["aggregations"]["hi"]) for r in per]
        dated = [d for d in firsts if d is not None]
        first = min(dated) if dated else None
        last = max(d for d in lasts if d is not None) if dated else None
        lo_f, hi_f = params.searches[0].date_range
        if first is not None and index_lo is not None:
            if lo_f:
                first = min(first, max(tl.day_number(lo_f), index_lo))
            if hi_f:
                last = max(last, min(tl.day_number(hi_f), index_hi))
        interval = params.interval or (tl.auto_interval(first, last) if first is not None else "month")
        step = tl.STEP[interval]
        if first is None:
            lo, n = 0, 0
        else:
            lo, hi = (int(c) for c in tl.bucket_codes(np.array([first, last], dtype=np.int64), interval))
            n = (hi - lo) // step + 1
            if n > tl.MAX_BUCKETS:
                raise tl.QueryError(f"Trop de périodes ({n}) pour l'intervalle « "
                                    f"{tl.INTERVAL_LABELS_FR[interval]} » ({tl.MAX_BUCKETS} au plus) : "
                                    "choisissez un intervalle plus long.", "interval")
        codes = [lo + i * step for i in range(n)]
        starts = [str(tl.period_start(c, interval)) for c in codes]
        ends = [str(tl.period_end(c, interval)) for c in codes]
        where = {s: i for i, s in enumerate(starts)}

        def hist(extra=None) -> dict:
            h = {"date_histogram": {"field": "day", "calendar_interval": _INTERVALS[interval],
                                    "format": "yyyy-MM-dd", "min_doc_count": 1}}
            if extra:
                h["aggs"] = extra
            return h

        def counts(buckets, with_stories=True):
            c = np.zeros(n, dtype=np.int64)
            s = np.zeros(n, dtype=np.int64)
            for b in buckets:
                i = where.get(b["key_as_string"])
                if i is not None:
                    c[i] = b["doc_count"]
                    if with_stories:
                        s[i] = b["s"]["value"]
            return c, s

        def series(c, s, totals) -> list[dict]:
            return [{"start": starts[i], "end": ends[i], "count": int(c[i]), "stories": int(s[i]),
                     "share": round(int(c[i]) / int(totals[i]), 6) if totals[i] else 0.0}
                    for i in range(n)]

        if params.by == "source":
            return self._timeline_by_source(params, queries[0], per[0], hist, counts, series, interval,
                                            n, t0)
        reqs = []
        for q in queries:
            reqs += [{"index": self.alias}, {"size": 0, "query": q, "aggs": {"h": hist({"s": stories})}}]
        reqs += [{"index": self.alias}, {"size": 0, "aggs": {"h": hist()}}]
        res = self._msearch(reqs) if n else [None] * (len(queries) + 1)
        totals = counts(res[-1]["aggregations"]["h"]["buckets"], False)[0] if n else np.zeros(0, np.int64)
        items = []
        for p, r, b in zip(params.searches, res[:-1], per):
            c, s = counts(r["aggregations"]["h"]["buckets"]) if n else (totals, totals)
            total = b["hits"]["total"]["value"]
            items.append({"query": p.q, "buckets": series(c, s, totals), "total": total,
                          "total_stories": int(b["aggregations"]["stories"]["value"]) if total else 0,
                          "undated": total - int(b["aggregations"]["dated"]["value"])})
        took = round((time.perf_counter() - t0) * 1000, 2)
        if len(items) == 1:
            return {**items[0], "interval": interval, "by": None, "notes": [], "took_ms": took}
        return {"interval": interval, "by": None, "series": items, "notes": [], "took_ms": took}

    def _timeline_by_source(self, params, q, bounds, hist, counts, series, interval, n, t0) -> dict:
        stories = {"cardinality": {"field": "group", "precision_threshold": PRECISION}}
        body = {"size": 0, "query": q, "aggs": {"src": {
            "terms": {"field": "source_facet", "size": 10_000, "order": [{"_count": "desc"}, {"_key": "asc"}]},
            "aggs": {"h": hist({"s": stories}), "s": stories,
                     "dated": {"value_count": {"field": "day"}}}}}}
        res = self.call(lambda c: c.search(index=self.alias, body=body))
        buckets = res["aggregations"]["src"]["buckets"]
        top, rest = buckets[:tl.TOP_SOURCES], buckets[tl.TOP_SOURCES:]
        totals_req = []
        for group in [[b["key"]] for b in top] + ([[b["key"] for b in rest]] if rest else []):
            totals_req += [{"index": self.alias}, {"size": 0, "query": {"terms": {"source_facet": group}},
                                                   "aggs": {"h": hist()}}]
        tot = self._msearch(totals_req) if totals_req and n else []
        out = []
        for k, b in enumerate(top):
            c, s = counts(b["h"]["buckets"]) if n else (np.zeros(0), np.zeros(0))
            totals = counts(tot[k]["aggregations"]["h"]["buckets"], False)[0] if n else c
            name = b["key"]
            out.append({"query": params.searches[0].q, "buckets": series(c, s, totals),
                        "source": None if name == UNKNOWN else name, "other": False,
                        "total": b["doc_count"], "total_stories": int(b["s"]["value"]),
                        "undated": b["doc_count"] - int(b["dated"]["value"])})
        if rest:
            req = {"size": 0, "query": {"bool": {"must": [q], "filter": [
                {"terms": {"source_facet": [b["key"] for b in rest]}}]}},
                   "track_total_hits": True,
                   "aggs": {"h": hist({"s": stories}), "s": stories, "dated": {"value_count": {"field": "day"}}}}
            r = self.call(lambda c: c.search(index=self.alias, body=req))
            c, s = counts(r["aggregations"]["h"]["buckets"]) if n else (np.zeros(0), np.zeros(0))
            totals = counts(tot[-1]["aggregations"]["h"]["buckets"], False)[0] if n else c
            total = r["hits"]["total"]["value"]
            out.append({"query": params.searches[0].q, "buckets": series(c, s, totals),
                        "source": tl.OTHERS, "other": True, "total": total,
                        "total_stories": int(r["aggregations"]["s"]["value"]),
                        "undated": total - int(r["aggregations"]["dated"]["value"])})
        return {"query": params.searches[0].q, "interval": interval, "by": "source", "series": out,
                "notes": [], "took_ms": round((time.perf_counter() - t0) * 1000, 2)}

    def _msearch(self, reqs: list[dict]) -> list[dict]:
        from searchsvc.backends.opensearch.engine import _failed

        res = self.call(lambda c: c.msearch(body=reqs))["responses"]
        for r in res:
            if "error" in r:
                raise _failed(r)
        return res

    def entities(self, params: SearchParams, kind: str, limit: int = 50) -> dict:
        self.generation()
        q = self.query_of(params)
        total = self._count(q)
        return {**self.entity_search.table(q, kind, limit), "total": total, "query": params.q}

    # -- read in Python, bounded --------------------------------------------------------

    def concordance(self, params: SearchParams, sort: str = "doc", page: int = 1,
                    per_page: int | None = 50) -> dict:
        if sort not in conc.SORTS:
            raise ValueError(sort)
        self.generation()
        lines, notes, read = [], [], 0
        deadline = time.thread_time() + conc.CPU_SECONDS
        with self.hits_of(params, source=["id", "body", "source", "date", "title"]) as (total, hits, t):
            notes += t.notes
            marker = t.marker()
            if t.listing or not marker:
                notes.append(conc.NO_WORDS)
                return conc.page_of(params.q, [], notes, total, sort, page, per_page)
            for h in hits:
                if read >= CONCORDANCE_DOCS or time.thread_time() > deadline:
                    notes.append(f"Temps de calcul dépassé : concordance des {read} premiers articles "
                                 f"sur {total}.")
                    break
                read += 1
                src = h["_source"]
                text = src.get("body") or ""
                for start, end, _ in marker.spans(text):
                    left, match, right = conc.context(text, start, end)
                    lines.append({"id": src.get("id"), "left": left, "match": match, "right": right,
                                  "source": (src.get("source") or "").strip() or None,
                                  "date": src.get("date") or None})
        return conc.page_of(params.q, lines, notes, total, sort, page, per_page)

    def terms(self, params) -> dict:
        """Characteristic words: the text of at most ``terms.SAMPLE_MAX`` stories read
        (one article a copy group, in the search's order), each word's document
        frequency in the index counted in the cluster (``words``)."""
        t0 = time.perf_counter()
        self.generation()
        t = self.translate(params.search.q, params.search.exact)
        body = {"size": tm.SAMPLE_MAX, "query": self.query_of(params.search, t=t), "collapse": {"field": "group"},
                "_source": ["title", "body"], "sort": self.sort_of(params.search, t), "track_total_hits": True,
                "aggs": {"stories": {"cardinality": {"field": "group", "precision_threshold": PRECISION}},
                         "sources": {"terms": {"field": "source_facet", "size": 1000}}}}
        res = self.call(lambda c: c.search(index=self.alias, body=body))
        total = res["hits"]["total"]["value"]
        stories = int(res["aggregations"]["stories"]["value"]) if total else 0
        counted = sorted(((b["key"], b["doc_count"]) for b in res["aggregations"]["sources"]["buckets"]),
                         key=lambda vk: (-vk[1], vk[0] == UNKNOWN, vk[0]))
        sources = [{"value": None if v == UNKNOWN else v, "count": n} for v, n in counted][:tm.SOURCES_SHOWN]
        docs = [h["_source"] for h in res["hits"]["hits"]]
        notes = []
        sample = None
        if stories > len(docs):
            sample = len(docs)
            notes.append(f"Mots comptés sur les {len(docs)} premières histoires (dans l'ordre de la "
                         f"recherche) sur les {stories} trouvées.")
        counts, forms = word_counts(docs)
        minimum = tm.MIN_COUNT if len(docs) >= 30 else 2
        words = sorted(w for w, c in counts.items() if c >= minimum)
        fg = np.array([counts[w] for w in words], dtype=np.int64)
        bg, index_size = self._df(words)
        top, significant = tm.word_lists(words, fg, bg, forms, tm.query_stems(tr._ANALYZER, params.search.q),
                                         tr._ANALYZER, len(docs), total, index_size, params.limit, notes)
        return {"query": params.search.q, "total": total, "total_stories": stories, "sample": sample,
                "top": top, "significant": significant, "sources": sources, "notes": notes,
                "took_ms": round((time.perf_counter() - t0) * 1000, 2)}

    def _df(self, words: list[str]) -> tuple[np.ndarray, int]:
        """Each word's document frequency in the index (``words``, from the shards' term
        dictionaries: :meth:`Lexicon.term_counts`), and the index size."""
        size = self.info()["documents"]
        return np.array(self.lexicon().term_counts("words", words), dtype=np.int64), size

    def quotes(self, params: SearchParams, speaker: str | None, limit: int, offset: int = 0,
               max_docs: int = 2000) -> dict:
        from searchsvc.backends.opensearch.engine import meta
        from searchsvc.enrich.entities import NOTE_OFF, entity_key

        if not self.entity_search.extracted():  # no article went through extraction
            return {"total": 0, "quotes": [], "notes": [NOTE_OFF]}
        want = entity_key(speaker, self.synonyms) if speaker else ()
        found = []
        with self.hits_of(params, source=["id", "title", "source", "date", "quotes"]) as (_, hits, t):
            marker = t.marker()
            for k, h in enumerate(hits):
                if k >= max_docs:
                    break
                src = h["_source"]
                for qt in (src.get("quotes") or {}).get("items", []):
                    if not isinstance(qt, dict) or "text" not in qt:
                        continue
                    name = self.entity_search.speaker_name(qt.get("speaker"))
                    if want and not (name and set(want) <= set(entity_key(name, self.synonyms))):
                        continue
                    if marker.has_terms() and not marker.has_term(qt["text"]):
                        continue
                    found.append(dict({k: meta(src)[k] for k in ("id", "title", "source", "date")},
                                      text=qt["text"], speaker=name, position=qt.get("position"),
                                      role=qt.get("role"), title_quote=bool(qt.get("title"))))
        return {"total": len(found), "quotes": found[offset:offset + limit], "notes": []}


def word_counts(docs: list[dict]) -> tuple[dict[str, int], dict[str, list]]:
    """For each spelling word, how many of ``docs`` contain it; and, for the words
    some write only with a capital, ``[how many do, one such form]`` (as
    :meth:`searchsvc.backends.whoosh.analytics.terms.DocWords.read`)."""
    from searchsvc.analysis import TOKEN_RE

    counts: dict[str, int] = {}
    caps: dict[str, list] = {}
    for src in docs:
        text = (src.get("title") or "") + "\n" + (src.get("body") or "")
        terms, lower, capital = set(), set(), {}
        for raw in set(TOKEN_RE.findall(text)):
            term, written = tm.spell_word(raw)
            if term is None:
                continue
            terms.add(term)
            if written.islower():
                lower.add(term)
            else:
                capital[term] = written
        for w in terms:
            counts[w] = counts.get(w, 0) + 1
        for w, written in capital.items():
            if w not in lower:
                c = caps.setdefault(w, [0, written])
                c[0] += 1
    return counts, caps


def _day_of(agg: dict) -> int | None:
    v = agg.get("value")
    return None if v is None else int(v // 86_400_000)
