"""What differs between two versions of an article: sentences added, removed or changed.

Sentences of the two cleaned texts are aligned (difflib over normalised
sentences); inside a replaced block, sentence pairs that share most of their
words are "changed" and get a word-level diff, the others are removed/added.
Every piece of text is HTML-escaped; the only markup is ``<del>`` and ``<ins>``.

    diff(old, new) -> {"ops": [{"op", "html"}], "summary": {"same", "added", "removed", "changed"}}
"""

from __future__ import annotations

import difflib
import re
from html import escape

_SENTENCE = re.compile(r"(?<=[.!?…»])\s+(?=[«\"“(\w])")
_WORD = re.compile(r"\w+")
#: Share of words two sentences must have in common to count as one changed sentence.
CHANGED_RATIO = 0.5
#: Sentences compared at most (a longer text's tail is left out of the comparison).
MAX_SENTENCES = 1000
#: Added sentences looked at to pair one removed sentence (bounds the work on long texts).
PAIR_WINDOW = 12


def sentences(text: str) -> list[str]:
    """The sentences of a cleaned text (paragraph breaks are sentence breaks)."""
    out = []
    for para in (text or "").split("\n\n"):
        out.extend(s.strip() for s in _SENTENCE.split(para.strip()) if s.strip())
    return out


def _key(sentence: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(sentence.lower()))


def _words_html(a: str, b: str) -> str:
    wa, wb = a.split(), b.split()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(escape(" ".join(wa[i1:i2])))
            continue
        if i2 > i1:
            out.append("<del>" + escape(" ".join(wa[i1:i2])) + "</del>")
        if j2 > j1:
            out.append("<ins>" + escape(" ".join(wb[j1:j2])) + "</ins>")
    return " ".join(out)


def _ratio(a: tuple, b: tuple) -> float:
    if not a or not b:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def diff(old: str, new: str) -> dict:
    """The sentence-level differences from ``old`` to ``new``."""
    sa, sb = sentences(old)[:MAX_SENTENCES], sentences(new)[:MAX_SENTENCES]
    ka, kb = [_key(s) for s in sa], [_key(s) for s in sb]
    ops: list[dict] = []
    summary = {"same": 0, "added": 0, "removed": 0, "changed": 0}

    def emit(op, html):
        ops.append({"op": op, "html": html})
        summary[op] += 1

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes():
        if tag == "equal":
            for s in sb[j1:j2]:
                emit("same", escape(s))
            continue
        # pair each removed sentence with the most similar added one, in order
        j = j1
        for i in range(i1, i2):
            best, score = None, CHANGED_RATIO
            for jj in range(j, min(j2, j + PAIR_WINDOW)):
                r = _ratio(ka[i], kb[jj])
                if r >= score:
                    best, score = jj, r
            if best is None:
                emit("removed", "<del>" + escape(sa[i]) + "</del>")
                continue
            for jj in range(j, best):
                emit("added", "<ins>" + escape(sb[jj]) + "</ins>")
            emit("changed", _words_html(sa[i], sb[best]))
            j = best + 1
        for jj in range(j, j2):
            emit("added", "<ins>" + escape(sb[jj]) + "</ins>")
    return {"ops": ops, "summary": summary}
