"""Copy groups: near-identical articles (reprints, trimmed or lightly edited versions).

Each article long enough (:data:`MIN_WORDS`) gets a MinHash signature of its word
:data:`SHINGLE`-grams (our own numpy code: one 64-bit hash a shingle, ``NUM_PERM``
multiply-shift permutations). Locality-sensitive hashing (:data:`BANDS` bands of
:data:`ROWS` rows) proposes candidate pairs; a pair is a copy when its estimated
Jaccard similarity reaches :data:`JACCARD` or its estimated containment (the
share of the smaller text's shingles found in the other) reaches
:data:`CONTAINMENT`, unless their figures differ (:mod:`searchsvc.enrich.figures`:
daily bulletins share their wording, not their numbers: one story each). Groups are
the connected components of copy pairs; a
group's id is the id of its first publication (oldest date, then smallest id).

Groups are a function of the set of signatures only (rows sorted by id, order
independent), so a full rebuild and any sequence of incremental runs over the
same files give the same groups. The parameters were chosen on the development
set of ``bench/copies_quality.py`` (see docs/guide.md, "Copies").

Contract:
    signature(text) -> (np.ndarray[uint32] | None, n_shingles)
    record(article) -> CopyRecord | None          # in the indexing workers
    CopyStore.load(gen_dir) / .update(new, keep_ids) / .save(gen_dir)
    assign_groups(ids, dates, sigs, sizes, figs=None) -> list[str]   # group id of each row
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from searchsvc.enrich import figures

#: Words per shingle.
SHINGLE = 2
#: MinHash permutations (signature length).
NUM_PERM = 128
#: LSH banding: BANDS * ROWS <= NUM_PERM.
BANDS = 42
ROWS = 3
#: A candidate pair is a copy when its estimated overlap (shared shingles over the
#: shingles of the larger text) reaches this.
OVERLAP = 0.55
#: Articles with fewer words stand alone (captions, two-line briefs).
MIN_WORDS = 60
#: LSH buckets larger than this are linked as a chain of verified neighbours
#: instead of all pairs (bounded work on mass-reprinted texts).
MAX_BUCKET_PAIRS = 64
#: The store file in a generation folder.
STORE_NAME = "copies.npz"
#: ``SEARCHSVC_COPY_GROUPS=0`` turns grouping off (bench/index_speed.py measures its cost);
#: switching it either way means a full rebuild.
ENABLED = os.environ.get("SEARCHSVC_COPY_GROUPS", "1").strip().lower() not in ("0", "off", "non", "no")

_WORD = re.compile(r"\w+", re.UNICODE)
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_rng = np.random.Generator(np.random.PCG64(20261201))
_MUL = (_rng.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1))
_ADD = _rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)
_POS = (_rng.integers(1, 2**63, size=8, dtype=np.uint64) * np.uint64(2) + np.uint64(1))


def words(text: str) -> list[str]:
    """The lower-cased words of ``text`` (what shingles are made of)."""
    return _WORD.findall(text.lower())


_P = np.uint64(0x100000001B3)  # odd: invertible modulo 2**64
_P_INV = np.uint64(pow(0x100000001B3, -1, 2**64))
_pow = np.ones(1, dtype=np.uint64)
_pow_inv = np.ones(1, dtype=np.uint64)
_IS_WORD = None  # bool per BMP code point: what ``\w`` matches
_STOP_HASHES = None


def _powers(n: int):
    global _pow, _pow_inv
    if len(_pow) < n:
        m = max(n, 2 * len(_pow))
        with np.errstate(over="ignore"):
            _pow = np.cumprod(np.concatenate([[np.uint64(1)], np.full(m - 1, _P, dtype=np.uint64)]),
                              dtype=np.uint64)
            _pow_inv = np.cumprod(np.concatenate([[np.uint64(1)], np.full(m - 1, _P_INV, dtype=np.uint64)]),
                                  dtype=np.uint64)
    return _pow[:n], _pow_inv[:n]


def _word_hashes(text: str) -> np.ndarray:
    """One 64-bit hash per word of ``text`` (the words of :func:`words`), computed with
    numpy over the code points: a polynomial hash from prefix sums, no Python loop."""
    global _IS_WORD
    if _IS_WORD is None:
        _IS_WORD = np.array([bool(_WORD.match(chr(c))) if not 0xD800 <= c < 0xE000 else False
                             for c in range(0x10000)], dtype=bool)
    cps = np.frombuffer(text.lower().encode("utf-32-le", "replace"), dtype=np.uint32)
    if not len(cps):
        return np.empty(0, dtype=np.uint64)
    isw = np.zeros(len(cps) + 2, dtype=bool)
    bmp = cps < 0x10000
    isw[1:-1][bmp] = _IS_WORD[cps[bmp]]
    edges = np.flatnonzero(isw[1:] != isw[:-1])
    starts, ends = edges[0::2], edges[1::2]
    if not len(starts):
        return np.empty(0, dtype=np.uint64)
    pw, pinv = _powers(len(cps))
    with np.errstate(over="ignore"):
        prefix = np.concatenate([[np.uint64(0)], np.cumsum(cps.astype(np.uint64) * pw, dtype=np.uint64)])
        h = (prefix[ends] - prefix[starts]) * pinv[starts]
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(29)
    return h


def _stop_hashes() -> np.ndarray:
    words_ = []
    for line in (Path(__file__).resolve().parent.parent / "data" / "french_stopwords.txt").read_text(
            encoding="utf-8").splitlines():
        words_.extend(line.split("|", 1)[0].split())
    return np.unique(_word_hashes(" ".join(words_)))


def _hashes(text, k: int = SHINGLE) -> np.ndarray:
    """Distinct 64-bit hashes of the ``k``-word shingles of ``text`` (or of its word
    hashes), without the shingles made of stop words only ("de la", "il a": shared
    by unrelated texts)."""
    global _STOP_HASHES
    if _STOP_HASHES is None:
        _STOP_HASHES = _stop_hashes()
    h = _word_hashes(text) if isinstance(text, str) else text
    if len(h) < k:
        return np.unique(h)
    n = len(h) - k + 1
    stops = _STOP_HASHES
    stop = stops[np.minimum(np.searchsorted(stops, h), len(stops) - 1)] == h
    with np.errstate(over="ignore"):
        acc = h[:n] * _POS[0]
        content = ~stop[:n]
        for j in range(1, k):
            acc = acc + h[j: n + j] * _POS[j]
            content |= ~stop[j: n + j]
        if content.any():
            acc = acc[content]
        acc ^= acc >> np.uint64(29)
        acc *= np.uint64(0xBF58476D1CE4E5B9)
        acc ^= acc >> np.uint64(32)
    return np.unique(acc)


def minhash(hashes: np.ndarray) -> np.ndarray:
    """The ``NUM_PERM`` MinHash values (uint32) of a set of shingle hashes."""
    with np.errstate(over="ignore"):
        v = hashes[:, None] * _MUL[None, :] + _ADD[None, :]
    return (v.min(axis=0) >> np.uint64(32)).astype(np.uint32)


def signature(text: str, k: int = SHINGLE, min_words: int | None = None):
    """``(signature, number of distinct shingles)``; the signature is None below
    ``min_words`` words (default :data:`MIN_WORDS`)."""
    hs_words = _word_hashes(text or "")
    if len(hs_words) < (MIN_WORDS if min_words is None else min_words):
        return None, 0
    hs = _hashes(hs_words, k)
    return minhash(hs), len(hs)


@dataclass
class CopyRecord:
    """What the group assignment needs of one article (made by the indexing workers)."""

    id: str
    date: str
    source: str
    url: str
    title: str
    size: int
    sig: np.ndarray
    #: :func:`searchsvc.enrich.figures.sketch` of the text (None: no figures known)
    figures: np.ndarray | None = None


def record(article) -> CopyRecord | None:
    """The :class:`CopyRecord` of an article, None when it is too short to be grouped."""
    if not ENABLED:
        return None
    sig, size = signature(article.text or "")
    if sig is None:
        return None
    return CopyRecord(article.id, (article.date or "").strip()[:10], (article.source or "").strip(),
                      article.url or "", article.title or "", size, sig, figures.sketch(article.text or ""))


# ---------------------------------------------------------------- grouping


def _first_key(date: str, doc_id: str):
    return (date or "9999-99-99", doc_id)


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting (numpy 2's hash-based unique is slower on these codes)."""
    a.sort()
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if len(a) else a


def candidate_pairs(sigs: np.ndarray) -> np.ndarray:
    """(i, j) row pairs, i < j, sharing at least one LSH band (deduplicated)."""
    n = len(sigs)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    # each pair as one int64 i * n + j, deduplicated band by band: sorting int64s is
    # fast, and only the distinct pairs are held (ten versions of every article at 339,300
    # signatures: 55 M band pairs for 1.5 M distinct ones; np.unique(axis=0) over all of
    # them took minutes and gigabytes)
    seen = np.empty(0, dtype=np.int64)
    for b in range(BANDS):
        band = np.ascontiguousarray(sigs[:, b * ROWS:(b + 1) * ROWS])
        keys = band.view(f"V{ROWS * 4}").ravel()
        order = np.argsort(keys, kind="stable")
        sk = keys[order]
        # sorted keys: sk[k] == sk[k + gap] means k..k+gap are one bucket. All pairs of a
        # bucket up to MAX_BUCKET_PAIRS apart (a chain beyond that)
        out = [seen]
        for gap in range(1, min(MAX_BUCKET_PAIRS, n - 1) + 1):
            idx = np.nonzero(sk[gap:] == sk[:-gap])[0]
            if not len(idx):
                break
            a, c = order[idx].astype(np.int64), order[idx + gap].astype(np.int64)
            out.append(np.minimum(a, c) * n + np.maximum(a, c))
        if len(out) > 1:
            seen = _sorted_unique(np.concatenate(out))
    return np.stack([seen // n, seen % n], axis=1)


def similar_pairs(sigs: np.ndarray, sizes: np.ndarray, pairs: np.ndarray, figs: np.ndarray | None = None
                  ) -> np.ndarray:
    """The candidate ``pairs`` whose estimated overlap is high enough, without those whose
    figures (``figs``, one sketch a row) make them two stories."""
    if not len(pairs):
        return pairs
    keep = []
    for start in range(0, len(pairs), 50_000):
        p = pairs[start:start + 50_000]
        j = (sigs[p[:, 0]] == sigs[p[:, 1]]).mean(axis=1)
        a, b = sizes[p[:, 0]].astype(float), sizes[p[:, 1]].astype(float)
        overlap = j * (a + b) / (1.0 + j) / np.maximum(a, b)
        p = p[overlap >= OVERLAP]
        if figs is not None and len(p):
            p = p[~figures.different(figs[p[:, 0]], figs[p[:, 1]])]
        keep.append(p)
    return np.concatenate(keep)


def _components(n: int, pairs: np.ndarray) -> np.ndarray:
    parent = np.arange(n)

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for start in range(0, len(pairs), 100_000):  # as Python ints a chunk at a time: 2.8 M
        for a, b in pairs[start:start + 100_000].tolist():  # pairs at 10x were 370 MB at once
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(n)])


def assign_groups(ids, dates, sigs: np.ndarray, sizes: np.ndarray, figs: np.ndarray | None = None
                  ) -> list[str]:
    """The group id of each row: the id of the first publication of its component."""
    n = len(ids)
    if n == 0:
        return []
    roots = _components(n, similar_pairs(sigs, sizes, candidate_pairs(sigs), figs))
    first: dict[int, tuple] = {}
    for i, r in enumerate(roots.tolist()):
        key = _first_key(dates[i], ids[i])
        if r not in first or key < first[r]:
            first[r] = key
    return [first[r][1] for r in roots.tolist()]


# ---------------------------------------------------------------- store


class CopyStore:
    """The copy records and groups of one generation (``copies.npz`` in its folder).

    Rows are kept sorted by id. ``groups[i]`` is the group id of row ``i``;
    articles without a row (too short, or indexed before grouping existed) are
    alone in a group named after themselves.
    """

    def __init__(self, ids=(), meta=(), sizes=None, sigs=None, groups=(), figs=None):
        self.ids: list[str] = list(ids)
        self.meta: list[dict] = list(meta)  # date, source, url, title
        self.sizes = np.asarray(sizes if sizes is not None else [], dtype=np.int64)
        self.sigs = (np.asarray(sigs, dtype=np.uint32) if sigs is not None
                     else np.empty((0, NUM_PERM), dtype=np.uint32))
        self.groups: list[str] = list(groups)
        self.figs = (np.asarray(figs, dtype=np.uint32) if figs is not None
                     else np.tile(figures.EMPTY, (len(self.ids), 1)))

    @classmethod
    def load(cls, gen_dir) -> "CopyStore":
        """The store of ``gen_dir``; an empty one when absent or unreadable."""
        path = Path(gen_dir) / STORE_NAME
        try:
            with np.load(path, allow_pickle=False) as z:
                info = json.loads(bytes(z["info"]).decode("utf-8"))
                sigs = z["sigs"]
                sizes = z["sizes"]
                figs = z["figs"]
        except (OSError, ValueError, KeyError):
            return cls()
        if info.get("params") != params() or sigs.shape[1:] != (NUM_PERM,):
            return cls()  # built with other parameters: regrouped from the articles
        return cls(info["ids"], info["meta"], sizes, sigs, info["groups"], figs)

    def save(self, gen_dir) -> None:
        """Write atomically (temp file, fsync, rename)."""
        path = Path(gen_dir) / STORE_NAME
        info = {"params": params(), "ids": self.ids, "meta": self.meta, "groups": self.groups}
        tmp = path.with_name(f".{STORE_NAME}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, info=np.frombuffer(json.dumps(info, ensure_ascii=False).encode("utf-8"),
                                           dtype=np.uint8),
                     params=np.frombuffer(json.dumps(params()).encode("utf-8"), dtype=np.uint8),
                     sigs=self.sigs, sizes=self.sizes, figs=self.figs)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def update(self, new: list[CopyRecord], keep_ids=None, drop_ids=()) -> None:
        """Add the rows of ``new`` (replacing rows of the same id), drop the rows of
        ``drop_ids`` (articles re-read: too short now, or gone) and those whose id is
        not in ``keep_ids`` (when given), then recompute every group."""
        fresh = {r.id: r for r in new}
        drop = set(drop_ids)
        rows = [i for i, doc_id in enumerate(self.ids)
                if doc_id not in fresh and doc_id not in drop
                and (keep_ids is None or doc_id in keep_ids)]
        ids = [self.ids[i] for i in rows] + list(fresh)
        meta = [self.meta[i] for i in rows] + [
            {"date": r.date, "source": r.source, "url": r.url, "title": r.title} for r in fresh.values()]
        sizes = np.concatenate([self.sizes[rows], np.array([r.size for r in fresh.values()], dtype=np.int64)])
        sigs = np.concatenate([self.sigs[rows].reshape(-1, NUM_PERM),
                               np.array([r.sig for r in fresh.values()], dtype=np.uint32).reshape(-1, NUM_PERM)])
        figs = np.concatenate([self.figs[rows].reshape(-1, figures.K + 1),
                               np.array([figures.EMPTY if r.figures is None else r.figures
                                         for r in fresh.values()], dtype=np.uint32).reshape(-1, figures.K + 1)])
        order = sorted(range(len(ids)), key=ids.__getitem__)
        self.ids = [ids[i] for i in order]
        self.meta = [meta[i] for i in order]
        self.sizes = sizes[order]
        self.sigs = sigs[order]
        self.figs = figs[order]
        self.groups = assign_groups(self.ids, [m["date"] for m in self.meta], self.sigs, self.sizes, self.figs)

    def members(self) -> dict[str, list[int]]:
        """Group id -> rows, for groups of two or more, first publication first."""
        out: dict[str, list[int]] = {}
        for i, g in enumerate(self.groups):
            out.setdefault(g, []).append(i)
        return {g: sorted(rows, key=lambda i: _first_key(self.meta[i]["date"], self.ids[i]))
                for g, rows in out.items() if len(rows) > 1}

    def stats(self, top: int = 5) -> dict:
        """``{"groups", "grouped_documents", "largest": [{"group", "size", "title"}]}``."""
        groups = self.members()
        largest = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
        return {
            "groups": len(groups),
            "grouped_documents": sum(len(r) for r in groups.values()),
            "largest": [{"group": g, "size": len(rows), "title": self.meta[rows[0]].get("title") or None}
                        for g, rows in largest],
        }


def update_generation(gen_dir, new: list[CopyRecord], *, keep_ids=None, drop_ids=(),
                      fresh: bool = False) -> CopyStore:
    """The indexer's hook: update (or, with ``fresh``, create) the store of ``gen_dir``."""
    store = CopyStore() if fresh else CopyStore.load(gen_dir)
    store.update(new, keep_ids, drop_ids)
    store.save(gen_dir)
    return store


def store_exists(gen_dir) -> bool:
    """True when ``gen_dir`` has a readable store built with the current parameters."""
    path = Path(gen_dir) / STORE_NAME
    if not path.is_file():
        return False
    try:
        with np.load(path, allow_pickle=False) as z:  # reads the small params member only
            return json.loads(bytes(z["params"]).decode("utf-8")) == params()
    except (OSError, ValueError, KeyError):
        return False


def fingerprint() -> str:
    """Part of the indexer's fingerprint: other parameters mean a full rebuild."""
    return "copies-" + "-".join(f"{k}{v}" for k, v in sorted(params().items()))


def params() -> dict:
    """The parameters a store was built with (another set means regrouping)."""
    return {"shingle": SHINGLE, "num_perm": NUM_PERM, "bands": BANDS, "rows": ROWS,
            "overlap": OVERLAP, "min_words": MIN_WORDS, "enabled": ENABLED,
            "figures": [figures.K, figures.MIN_FIGURES, figures.SHARED], "v": 2}
