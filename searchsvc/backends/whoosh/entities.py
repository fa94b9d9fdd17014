"""Entities at search time: canonical forms, aliases, facets, filters, quotes.

The index stores each article's *raw* entities (:mod:`searchsvc.enrich.entities`)
in the ``entities`` column and its quotes in ``quotes``. Per generation,
:class:`EntityData` reads the column once; a :class:`View` (per generation, alias
file version and synonyms) groups the raw names into entities:

- names with the same :func:`~searchsvc.enrich.entities.entity_key` are one
  entity (Kim Jong-un = Kim Jong Un; synonym groups apply: RPDC = Corée du Nord);
- an entity's kind is the one most articles give it (ties: person, org, place),
  its name the form most articles use (accented before unaccented);
- the aliases file (:class:`Aliases`) then merges names (``A = B, C``), drops
  false positives (``-Shahed``) and changes kinds (``Kremlin : organisation``).

Facet counts are over the whole result set (numpy ``bincount`` for a large one);
the filters ``person=``/``org=``/``place=`` take facet values, ``personne:``,
``organisation:``, ``lieu:`` in a query restrict word-wise (``personne:poutine``
is every entity of that kind whose name has the word).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from itertools import chain
from pathlib import Path

import numpy as np

from searchsvc import config
from searchsvc.enrich.entities import KINDS, NOTE_OFF, entity_key
from searchsvc.backends.whoosh.indexer.columns import column_values

DEFAULT_ALIASES = Path(__file__).resolve().parents[2] / "data" / "entities.txt"
#: facet values listed per kind
FACET_TOP = 20
#: French and English kind names accepted in the aliases file
KIND_NAMES = {"personne": "person", "person": "person", "organisation": "org", "org": "org",
              "organization": "org", "lieu": "place", "place": "place", "location": "place"}
KIND_FR = {"person": "personne", "org": "organisation", "place": "lieu"}
#: below this share of the documents, counts go through per-document tuples
SMALL_SHARE = 0.05
RELOAD_INTERVAL = 1.0
MAX_COOCCURRENCE = 20


# ---------------------------------------------------------------- aliases


class Aliases:
    """Parsed aliases: ``merge`` key -> (display name, kind or None), ``drop`` keys,
    ``kinds`` key -> kind. ``errors``: French lines about lines that were ignored."""

    def __init__(self):
        self.merge: dict[tuple, str] = {}
        self.drop: set[tuple] = set()
        self.kinds: dict[tuple, str] = {}
        self.errors: list[str] = []

    def read(self, path, synonyms=None) -> None:
        with open(path, encoding="utf-8-sig") as fh:
            for n, raw in enumerate(fh, 1):
                line = raw.split("#", 1)[0].strip()
                if not line:
                    continue
                if line.startswith("-"):
                    key = entity_key(line[1:], synonyms)
                    if key:
                        self.drop.add(key)
                    continue
                if "=" in line:
                    head, _, tail = line.partition("=")
                    head = head.strip()
                    hk = entity_key(head, synonyms)
                    if not hk:
                        self.errors.append(f"{path}, ligne {n} : nom vide avant « = »")
                        continue
                    self.merge[hk] = head
                    for alias in tail.split(","):
                        ak = entity_key(alias, synonyms)
                        if ak:
                            self.merge[ak] = head
                    continue
                if ":" in line:
                    name, _, kind = line.rpartition(":")
                    kind = KIND_NAMES.get(kind.strip().lower())
                    key = entity_key(name, synonyms)
                    if kind and key:
                        self.kinds[key] = kind
                        continue
                self.errors.append(f"{path}, ligne {n} ignorée : « {line[:60]} »")


def aliases_path(value=None) -> Path | None:
    """The user's aliases file: explicit, ``SEARCHSVC_ENTITIES``, else ``entities.txt``
    of the corpus folder (watched even while it does not exist: created later, it is
    read within a second like a modified one)."""
    v = value or os.environ.get("SEARCHSVC_ENTITIES")
    if v:
        return Path(v)
    return config.corpus_dir() / "entities.txt"


class AliasFile:
    """The package's default aliases plus the user's file, reloaded within about a
    second of a change (mtime), like the synonyms."""

    def __init__(self, path=None):
        self.path = Path(path) if path else aliases_path()
        self._lock = threading.Lock()
        self._checked = 0.0
        self._stamp = None
        self._synonyms = None
        self.version = 0
        self.aliases = Aliases()

    def _mtime(self):
        try:
            return os.stat(self.path).st_mtime_ns if self.path else None
        except OSError:
            return None

    def current(self, synonyms=None) -> Aliases:
        now = time.monotonic()
        if now - self._checked < RELOAD_INTERVAL and synonyms is self._synonyms and self.version:
            return self.aliases
        with self._lock:
            self._checked = now
            stamp = self._mtime()
            if self.version and stamp == self._stamp and synonyms is self._synonyms:
                return self.aliases
            al = Aliases()
            try:
                al.read(DEFAULT_ALIASES, synonyms)
                if self.path is not None and stamp is not None:
                    al.read(self.path, synonyms)
            except (OSError, UnicodeError):
                if self.version:
                    return self.aliases  # keep what we have
            self.aliases, self._stamp, self._synonyms = al, stamp, synonyms
            self.version += 1
            for error in al.errors:  # the service keeps running with the lines it understood
                logging.getLogger("searchsvc").warning("alias d'entité ignoré : %s", error)
            return al


# ---------------------------------------------------------------- per generation


class EntityData:
    """The raw entities of every docnum of one generation (read once)."""

    def __init__(self, reader, live):
        self.size = reader.doc_count_all()
        self.live = live
        table: dict[tuple[str, str], int] = {}
        docs, codes = [], []
        self.quote_docs: set[int] = set()
        values = column_values(reader, "entities") if "entities" in reader.schema else []
        extracted = False
        link_votes: dict[str, Counter] = {}
        for d, v in enumerate(values):
            if not v or d not in live:
                continue
            try:
                ents = json.loads(v)
            except ValueError:
                continue
            extracted = True
            for acr, full in (ents.get("links") or {}).items():
                link_votes.setdefault(acr, Counter())[full] += 1
            for kind in KINDS:
                for name in ents.get(kind, ()):
                    c = table.setdefault((kind, name), len(table))
                    docs.append(d)
                    codes.append(c)
        self.raw = list(table)
        self.docs = np.asarray(docs, dtype=np.int64)
        self.codes = np.asarray(codes, dtype=np.int64)
        #: False on an index built with --no-entities (no article has an entity record)
        self.enabled = extracted
        #: acronym -> the full form most articles write beside it (searchsvc.enrich.canonical)
        self.links = {a: c.most_common(1)[0][0] for a, c in link_votes.items()}
        self._views: dict = {}
        self._lock = threading.Lock()

    def view(self, aliases: Aliases, version: int, synonyms) -> "View":
        key = (version, id(synonyms))
        got = self._views.get(key)
        if got is None:
            with self._lock:
                got = self._views.get(key)
                if got is None:
                    got = View(self, aliases, synonyms)
                    self._views = {key: got}
        return got


class View:
    """Raw names grouped into entities under one set of aliases."""

    def __init__(self, data: EntityData, aliases: Aliases, synonyms):
        self.data = data
        raw = data.raw
        keys = [entity_key(name, synonyms) for _, name in raw]
        # an acronym and the full form some article links it to are one entity
        linked = {entity_key(a, synonyms): entity_key(f, synonyms) for a, f in data.links.items()}
        keys = [k if k in aliases.merge else linked.get(k, k) for k in keys]
        keys = [aliases_key(k, aliases, synonyms) for k in keys]
        df = np.bincount(data.codes, minlength=len(raw)) if len(raw) else np.zeros(0, np.int64)
        order = {"person": 0, "org": 1, "place": 2}

        def group(keys):
            votes: dict[tuple, Counter] = {}
            forms: dict[tuple, Counter] = {}
            for i, ((kind, name), key) in enumerate(zip(raw, keys)):
                if not key or key in aliases.drop:
                    continue
                votes.setdefault(key, Counter())[kind] += int(df[i])
                forms.setdefault(key, Counter())[name] += int(df[i])
            return votes, forms

        votes, forms = group(keys)
        # a surname alone ("Poutine") is the most cited full name ending with it ("Vladimir
        # Poutine"), unless the aliases file says otherwise
        best: dict[str, tuple[int, tuple]] = {}
        for key, v in votes.items():
            if len(key) > 1 and max(v, key=v.get) == "person" and key not in aliases.merge:
                n = sum(v.values())
                if n > best.get(key[-1], (0, ()))[0]:
                    best[key[-1]] = (n, key)
        redirect = {key: best[key[0]][1] for key, v in votes.items()
                    if len(key) == 1 and key[0] in best and max(v, key=v.get) == "person"
                    and key not in aliases.merge and key not in aliases.kinds}
        if redirect:
            keys = [redirect.get(k, k) for k in keys]
            votes, forms = group(keys)
        #: a surname alone -> the full name's key (a speaker written "Macron" is "Emmanuel Macron")
        self.redirect = redirect
        self.names: list[str] = []
        self.kinds: list[str] = []
        index: dict[tuple, int] = {}
        for key, v in votes.items():
            kind = aliases.kinds.get(key) or max(v, key=lambda k: (v[k], -order[k]))
            f = forms[key]
            name = aliases.merge.get(key) or max(f, key=lambda s: (f[s], s != _ascii(s), len(s), s))
            index[key] = len(self.names)
            self.names.append(name)
            self.kinds.append(kind)
        self.index = index
        remap = np.array([index.get(k, -1) if k and k not in aliases.drop else -1 for k in keys],
                         dtype=np.int64) if keys else np.zeros(0, np.int64)
        canon = remap[data.codes] if len(data.codes) else data.codes
        keep = canon >= 0
        pairs = np.unique(np.stack([data.docs[keep], canon[keep]]), axis=1) if keep.any() \
            else np.zeros((2, 0), np.int64)
        self.entry_docs, self.entry_codes = pairs[0], pairs[1]
        self.kind_of = np.array([order[k] for k in self.kinds], dtype=np.int64)
        per_doc: dict[int, list[int]] = {}
        for d, c in zip(self.entry_docs.tolist(), self.entry_codes.tolist()):
            per_doc.setdefault(d, []).append(c)
        self.per_doc = {d: tuple(cs) for d, cs in per_doc.items()}
        self.docsets: dict[int, frozenset[int]] = {}
        self.words: dict[str, set[int]] = {}
        for key, code in index.items():
            for w in key:
                self.words.setdefault(w, set()).add(code)
        self.keys = {code: key for key, code in index.items()}
        self.synonyms = synonyms

    def code_for(self, kind: str, name: str) -> int | None:
        key = entity_key(name, self.synonyms)
        code = self.index.get(key)
        if code is None and key in self.redirect:
            code = self.index.get(self.redirect[key])
        if code is None:
            return None
        return code if kind is None or self.kinds[code] == kind else None

    def docs_of(self, code: int) -> frozenset[int]:
        got = self.docsets.get(code)
        if got is None:
            got = frozenset(self.entry_docs[self.entry_codes == code].tolist())
            self.docsets[code] = got
        return got

    def matching(self, kind: str, text: str) -> list[int]:
        """Entities of ``kind`` whose name has every word of ``text``."""
        words = entity_key(text, self.synonyms)
        if not words:
            return []
        sets = [self.words.get(w, set()) for w in words]
        found = set.intersection(*sets) if sets else set()
        return sorted(c for c in found if self.kinds[c] == kind)

    def counts(self, docs) -> np.ndarray:
        """Documents of ``docs`` (docnums, or a boolean mask of them) per entity code."""
        n = len(self.names)
        mask = np.zeros(self.data.size, dtype=bool)
        if isinstance(docs, np.ndarray) and docs.dtype == bool:
            k = min(len(docs), self.data.size)
            mask[:k] = docs[:k]
            docs = np.flatnonzero(mask).tolist()
        elif docs:
            mask[np.fromiter(docs, np.int64, len(docs))] = True
        if not n or not docs:
            return np.zeros(n, np.int64)
        if len(docs) < SMALL_SHARE * max(1, self.data.size):
            # a few documents: walk their entities
            got = Counter(chain.from_iterable(self.per_doc.get(d, ()) for d in docs))
            out = np.zeros(n, np.int64)
            if got:
                out[np.fromiter(got.keys(), np.int64, len(got))] = np.fromiter(got.values(), np.int64, len(got))
            return out
        return np.bincount(self.entry_codes[mask[self.entry_docs]], minlength=n)

    def top(self, counts: np.ndarray, kind: str, k: int) -> list[tuple[int, int]]:
        sel = np.nonzero((counts > 0) & (self.kind_of == {"person": 0, "org": 1, "place": 2}[kind]))[0]
        if not len(sel):
            return []
        if len(sel) > 4 * k:
            part = np.argpartition(-counts[sel], 4 * k)[:4 * k]
            sel = sel[part]
        pairs = sorted(((int(counts[c]), int(c)) for c in sel), key=lambda p: (-p[0], self.names[p[1]]))
        return [(c, n) for n, c in pairs[:k]]


def _ascii(s: str) -> str:
    from searchsvc.analysis import fold

    return fold(s)


def aliases_key(key: tuple, aliases: Aliases, synonyms) -> tuple:
    """The key of the entity an alias line sends ``key`` to (itself otherwise)."""
    head = aliases.merge.get(key)
    return entity_key(head, synonyms) if head else key


def data_for(facets, reader) -> EntityData:
    """The generation's :class:`EntityData`, kept on its facet arrays (one per generation)."""
    got = getattr(facets, "_entity_data", None)
    if got is None:
        got = EntityData(reader, facets.live)
        facets._entity_data = got
    return got


# ---------------------------------------------------------------- the engine's hooks


class EntitySearch:
    """What the engine delegates to this module (one per engine)."""

    def __init__(self, path=None):
        self.aliases = AliasFile(path)

    def view(self, facets, reader, synonyms) -> View:
        al = self.aliases.current(synonyms)
        return data_for(facets, reader).view(al, self.aliases.version, synonyms)

    def filters(self, facets, reader, synonyms, params, restrictions=()) -> dict:
        """Filter name -> allowed docnums: ``person``/``org``/``place`` from the
        parameters (facet drill-down: values of one kind are alternatives) and
        ``q:<kind>`` from the query's ``personne:``/``organisation:``/``lieu:``."""
        wanted = {"person": params.persons, "org": params.orgs, "place": params.places}
        if not any(wanted.values()) and not restrictions:
            return {}
        v = self.view(facets, reader, synonyms)
        out: dict[str, frozenset[int]] = {}
        for kind, values in wanted.items():
            if values:
                codes = [c for c in (v.code_for(kind, x) for x in values) if c is not None]
                out[kind] = frozenset().union(*(v.docs_of(c) for c in codes)) if codes else frozenset()
        for i, (kind, text, negated) in enumerate(restrictions):
            docs = frozenset().union(*(v.docs_of(c) for c in v.matching(kind, text)))
            out[f"q:{i}:{kind}"] = (facets.live - docs) if negated else docs
        return out

    def facets(self, facets, reader, synonyms, matched, filters) -> dict:
        """``{"person": [{"value", "count"}], "org": ..., "place": ...}`` (top
        :data:`FACET_TOP`); each kind ignores its own selection."""
        from searchsvc.backends.whoosh.facets import mask_and

        v = self.view(facets, reader, synonyms)
        out = {}
        for kind in KINDS:
            docs = mask_and(matched, [m for k, m in filters.items() if k != kind])
            counts = v.counts(docs)
            out[kind] = [{"value": v.names[c], "count": n} for c, n in v.top(counts, kind, FACET_TOP)]
        return out

    def extracted(self, facets, reader) -> bool:
        """Whether the generation's articles went through entity and quote extraction."""
        return data_for(facets, reader).enabled

    def of_document(self, facets, reader, synonyms, docnum: int, stored: dict) -> dict:
        """``{"entities": {kind: [names]}, "quotes": [...]}`` of one document."""
        v = self.view(facets, reader, synonyms)
        ents: dict[str, list[str]] = {k: [] for k in KINDS}
        for c in v.per_doc.get(docnum, ()):
            ents[v.kinds[c]].append(v.names[c])
        for k in KINDS:
            ents[k].sort(key=lambda s: s.lower())
        return {"entities": ents, "entities_extracted": v.data.enabled,
                "quotes": [dict(q, speaker=self.speaker_name(v, q.get("speaker"))) for q in _quotes(stored)]}

    @staticmethod
    def speaker_name(v: View, speaker):
        if not speaker:
            return None
        code = v.code_for(None, speaker)
        return v.names[code] if code is not None else speaker


def _quotes(stored: dict) -> list[dict]:
    raw = stored.get("quotes")
    if not raw:
        return []
    try:
        got = json.loads(raw)
    except ValueError:
        return []
    return [q for q in got if isinstance(q, dict) and "text" in q]


# ---------------------------------------------------------------- analytics (API)


def entity_table(ms, search: EntitySearch, synonyms, kind: str, limit: int = 50) -> dict:
    """The entities of ``kind`` in a result set (:class:`~searchsvc.backends.whoosh.engine.MatchSet`)
    with counts, and the co-occurrence of the first :data:`MAX_COOCCURRENCE` of them
    (articles where both appear)."""
    reader = ms.searcher.reader()
    v = search.view(ms.facets, reader, synonyms)
    docs = ms.docnums
    counts = v.counts(docs)
    top = v.top(counts, kind, limit)
    head = {c for c, _ in top[:MAX_COOCCURRENCE]}
    pairs: Counter = Counter()
    if head:
        for d in docs:
            present = sorted(c for c in v.per_doc.get(d, ()) if c in head)
            for i, a in enumerate(present):
                for b in present[i + 1:]:
                    pairs[(a, b)] += 1
    co = [{"a": v.names[a], "b": v.names[b], "count": n}
          for (a, b), n in sorted(pairs.items(), key=lambda p: (-p[1], v.names[p[0][0]], v.names[p[0][1]]))]
    return {"kind": kind, "total": len(docs),
            "entities": [{"value": v.names[c], "count": n} for c, n in top],
            "cooccurrence": co, "notes": [] if v.data.enabled else [NOTE_OFF]}


def quote_search(ms, search: EntitySearch, synonyms, speaker: str | None, limit: int,
                 offset: int = 0, max_docs: int = 2000) -> dict:
    """Quotes of the matching articles that hold the query's words (all quotes when
    the query has none), of ``speaker`` (word-wise) when given, best articles first."""
    reader = ms.searcher.reader()
    v = search.view(ms.facets, reader, synonyms)
    marker = ms.marker if ms.built is not None and ms.marker is not None else None
    want = entity_key(speaker, synonyms) if speaker else ()
    ranked = ms.ranked(ms.docnums, min(len(ms.docnums), max_docs))
    found = []
    for _, d in ranked:
        stored = ms.searcher.stored_fields(d)
        for q in _quotes(stored):
            name = search.speaker_name(v, q.get("speaker"))
            if want and not (name and set(want) <= set(entity_key(name, synonyms))):
                continue
            if marker is not None and marker.has_terms() and not marker.has_term(q["text"]):
                continue
            found.append(dict(_article_of(stored), text=q["text"], speaker=name,
                              position=q.get("position"), role=q.get("role"), title_quote=bool(q.get("title"))))
    return {"total": len(found), "quotes": found[offset:offset + limit],
            "notes": [] if v.data.enabled else [NOTE_OFF]}


def _article_of(stored: dict) -> dict:
    """What a quote shows of its article: id, title, source, date (the search hits' fields)."""
    from searchsvc.backends.whoosh.engine import _meta

    m = _meta(stored)
    return {k: m[k] for k in ("id", "title", "source", "date")}
