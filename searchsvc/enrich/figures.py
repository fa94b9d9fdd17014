"""The figures of a text (its numbers: counts, dates, hours, scores), to tell apart two
stories told with the same words: daily bulletins ("la pandémie a fait au moins 461.665
morts…"), results, weather reports. Their wording is shared, their figures are not.

A text's figures are its distinct numbers, separators removed ("28.300", "28 300" and
"28,300" are one figure), kept as a bottom-k sketch: the :data:`K` smallest of their
32-bit hashes, sorted, after their count. Two sketches give the figures the texts share
exactly when both hold all their figures, else an estimate from the range both cover.

Contract:
    sketch(text) -> np.ndarray[uint32] of K + 1    # [count, bottom-k hashes…, padding]
    EMPTY                                         # the sketch of a text without figures
    different(a, b) -> np.ndarray[bool]           # rows of sketches a, b (m, K + 1): two stories
"""

from __future__ import annotations

import re
import zlib

import numpy as np

#: Hashes kept per text (most articles have fewer distinct numbers).
K = 32
#: Two texts are different stories when the one with fewer figures has at least this
#: many...
MIN_FIGURES = 5
#: ...and shares less than this part of them with the other.
SHARED = 0.5

_PAD = np.uint32(0xFFFFFFFF)
#: "1 206 000", "461.665", "28,300" (groups of three), else "2020", "2,5", "19"
_NUMBER = re.compile(r"\d{1,3}(?:[.,\u00a0\u202f ]\d{3}(?!\d))+|\d+(?:[.,]\d+)?")
_SEPARATORS = re.compile(r"[.,\u00a0\u202f ]")

EMPTY = np.concatenate([[np.uint32(0)], np.full(K, _PAD, dtype=np.uint32)])


def numbers(text: str) -> set[str]:
    """The distinct numbers of ``text``, separators removed, leading zeros kept ("09")."""
    return {_SEPARATORS.sub("", m) for m in _NUMBER.findall(text or "")}


def sketch(text: str) -> np.ndarray:
    """``[count, the K smallest hashes (sorted), padding]`` of the figures of ``text``."""
    found = numbers(text)
    if not found:
        return EMPTY.copy()
    hashes = np.unique(np.array([zlib.crc32(n.encode("ascii", "replace")) for n in found], dtype=np.uint32))
    hashes = hashes[hashes != _PAD][:K]
    out = EMPTY.copy()
    out[0] = min(len(found), 0xFFFFFFFE)
    out[1:1 + len(hashes)] = hashes
    return out


def shared(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The number of figures rows of ``a`` and ``b`` (sketches, shape (m, K + 1)) share:
    exact when both rows hold all their figures, else estimated from their Jaccard
    similarity over the hash range both sketches cover."""
    ca, cb = a[:, 0].astype(float), b[:, 0].astype(float)
    ha, hb = a[:, 1:], b[:, 1:]
    # the range both sketches cover completely: up to the smaller of their last hashes
    # when they are full, everything otherwise
    last = np.minimum(np.where(ca > K, ha[:, -1], _PAD), np.where(cb > K, hb[:, -1], _PAD))
    ina = (ha != _PAD) & (ha <= last[:, None])
    inb = (hb != _PAD) & (hb <= last[:, None])
    both = ((ha[:, :, None] == hb[:, None, :]).any(axis=2) & ina).sum(axis=1)
    union = ina.sum(axis=1) + inb.sum(axis=1) - both
    j = np.divide(both, union, out=np.zeros(len(a)), where=union > 0)
    return j * (ca + cb) / (1.0 + j)


def different(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True for the row pairs that are two stories by their figures: the text with fewer
    figures has at least :data:`MIN_FIGURES` and shares under :data:`SHARED` of them."""
    fewer = np.minimum(a[:, 0], b[:, 0]).astype(float)
    return (fewer >= MIN_FIGURES) & (shared(a, b) < SHARED * fewer)
