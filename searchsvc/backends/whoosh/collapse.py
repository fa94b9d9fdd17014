"""Copy groups at search time: one hit per group, story counts, a group's members.

Reads the generation's copy store (:mod:`searchsvc.enrich.copies`) once per
(generation, TOC, store file) and maps it onto docnums: ``key[docnum]`` is the
docnum itself for an article alone, ``size + group number`` for a member of a
group of copies. A story is a distinct key.

Contract (used by :mod:`searchsvc.backends.whoosh.engine`):
    groups_for(gen, searcher, index_dir) -> GroupData
    GroupData.page(ranked, offset, per_page) -> [(score, docnum)]   # one per group
    GroupData.stories(docnums) -> int
    GroupData.hit_fields(docnum, doc_id) -> {"group", "copies": {"count", "items"}}
    GroupData.members_of(doc_id) -> [member dicts, first publication first] | None
    story_facets(facet_data, groups, matched, filters) -> facets counted in stories
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from searchsvc.enrich.copies import STORE_NAME, CopyStore
from searchsvc.backends.whoosh.facets import FACET_FIELDS, intersect
from searchsvc.search.params import UNKNOWN

#: Other copies listed with a hit (the rest is counted).
COPIES_SHOWN = 5

_lock = threading.Lock()


def _stamp(path: Path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class GroupData:
    """The copy groups of one opened generation, by docnum."""

    def __init__(self, store: CopyStore, searcher, stamp=None):
        reader = searcher.reader()
        self.stamp = stamp
        self.size = n = reader.doc_count_all()
        self.key = np.arange(n, dtype=np.int64)
        self.groups: list[list[dict]] = []  # group number -> members, first publication first
        self.group_ids: list[str] = []
        self.by_docnum: dict[int, int] = {}
        self.by_id: dict[str, int] = {}
        for gid, rows in store.members().items():
            members = []
            for r in rows:
                doc_id = store.ids[r]
                try:
                    docnum = searcher.document_number(id=doc_id)
                except Exception:  # pragma: no cover - a malformed id
                    docnum = None
                if docnum is None:
                    continue  # not (or no longer) in this index
                m = store.meta[r]
                members.append({"id": doc_id, "title": m.get("title") or None,
                                "source": m.get("source") or None, "date": m.get("date") or None,
                                "url": m.get("url") or None, "_docnum": docnum})
            if len(members) < 2:
                continue
            g = len(self.groups)
            self.groups.append(members)
            self.group_ids.append(members[0]["id"])
            for m in members:
                self.key[m["_docnum"]] = n + g
                self.by_docnum[m["_docnum"]] = g
                self.by_id[m["id"]] = g
        self._codes: dict[str, np.ndarray] = {}

    @property
    def any(self) -> bool:
        return bool(self.groups)

    def stories(self, docnums) -> int:
        """Distinct groups (an article alone counts as one) among ``docnums`` (a set
        or a boolean mask over the docnums)."""
        arr = _ids(docnums)
        if not self.groups or not len(arr):
            return len(arr)
        return int(len(np.unique(self.key[arr])))

    def page(self, ranked, offset: int, per_page: int) -> list:
        """Hits ``offset .. offset + per_page`` of the collapsed list: the best-ranked
        member of each group. ``ranked(k)`` gives the first ``k`` (score, docnum)
        of the full ranking, in order (fewer when there are fewer matches)."""
        need = offset + per_page
        k = need * 2 + 10
        key = self.key
        while True:
            top = ranked(k)
            seen, out = set(), []
            for hit in top:
                g = int(key[hit[1]])
                if g not in seen:
                    seen.add(g)
                    out.append(hit)
                    if len(out) >= need:
                        break
            if len(out) >= need or len(top) < k:
                return out[offset:need]
            k *= 4

    def hit_fields(self, docnum: int, doc_id: str | None) -> dict:
        """``group`` (the group id: its first publication's id, else the article's own)
        and ``copies``: the other members (first publication first), capped."""
        g = self.by_docnum.get(docnum)
        if g is None:
            return {"group": doc_id, "copies": {"count": 0, "items": []}}
        others = [_public(m) for m in self.groups[g] if m["_docnum"] != docnum]
        return {"group": self.group_ids[g],
                "copies": {"count": len(others), "items": others[:COPIES_SHOWN]}}

    def members_of(self, doc_id: str) -> list[dict] | None:
        """Every member of ``doc_id``'s group, first publication first (``first``
        marks it); None when the article has no copies."""
        g = self.by_id.get(doc_id)
        if g is None:
            return None
        return [dict(_public(m), first=(k == 0)) for k, m in enumerate(self.groups[g])]

    def codes(self, data, name: str) -> np.ndarray:
        got = self._codes.get(name)
        if got is None or len(got) != len(data.codes[name]):
            got = np.asarray(data.codes[name], dtype=np.int64)
            self._codes[name] = got
        return got


def _ids(docnums) -> np.ndarray:
    """Docnums as an int array, from a set or a boolean mask."""
    if isinstance(docnums, np.ndarray):
        return np.flatnonzero(docnums) if docnums.dtype == bool else docnums
    return np.fromiter(docnums, dtype=np.int64, count=len(docnums))


def _public(m: dict) -> dict:
    return {k: v for k, v in m.items() if not k.startswith("_")}


def groups_for(gen, searcher, index_dir) -> GroupData:
    """The :class:`GroupData` of an opened generation (cached on it; reloaded when
    the store file changes)."""
    path = Path(index_dir) / gen.name / STORE_NAME
    stamp = _stamp(path)
    cached = getattr(gen, "_copy_groups", None)
    if cached is not None and cached.stamp == stamp:
        return cached
    with _lock:
        cached = getattr(gen, "_copy_groups", None)
        if cached is not None and cached.stamp == stamp:
            return cached
        data = GroupData(CopyStore.load(path.parent), searcher, stamp)
        gen._copy_groups = data
        return data


def story_facets(data, groups: GroupData, matched, filters: dict) -> dict:
    """Like :func:`searchsvc.backends.whoosh.facets.facet_counts`, counting stories (distinct
    groups) instead of articles."""
    out = {}
    for name in FACET_FIELDS:
        others = [s for key, s in filters.items() if key != name]
        if isinstance(matched, np.ndarray):
            docs = matched.copy()
            for m in others:
                docs &= m
        else:
            docs = intersect(matched, others)
        arr = _ids(docs)
        if not len(arr):
            out[name] = []
            continue
        codes = groups.codes(data, name)[arr]
        pairs = np.unique(codes * (2 * groups.size + 1) + groups.key[arr])
        values, counts = np.unique(pairs // (2 * groups.size + 1), return_counts=True)
        names = data.values[name]
        entries = [(names[c], int(k)) for c, k in zip(values.tolist(), counts.tolist())]
        entries.sort(key=lambda vk: (-vk[1], vk[0] == UNKNOWN, vk[0]))
        out[name] = [{"value": None if v == UNKNOWN else v, "count": k} for v, k in entries]
    return out
