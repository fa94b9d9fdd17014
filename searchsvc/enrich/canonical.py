"""An acronym and its full form, linked where an article writes them together.

"le Rassemblement national (RN)", "RN (Rassemblement national)", "l'Organisation mondiale
de la Santé (OMS)": the acronym's letters are the initials of the full form's words
(articles and prepositions may be skipped, a hyphenated word may give one initial per
part). The link makes one entity of both forms in the article
(:func:`searchsvc.enrich.entities.clean`) and, through the ``links`` the article stores,
in the whole corpus (:mod:`searchsvc.backends.whoosh.entities` merges them into one facet value).

Contract: ``links(text) -> {acronym: full form}``.
"""

from __future__ import annotations

import re

_SMALL = {"de", "du", "des", "d", "la", "le", "les", "l", "et", "en", "à", "a", "au", "aux",
          "pour", "sur", "of", "the", "and", "for"}
_ACR_IN_PARENS = re.compile(r"\(\s*([A-ZÀ-Ý][A-Z0-9À-Ý&.-]{1,9})\s*\)")
_ACR_THEN_FULL = re.compile(r"(?<![\w-])([A-ZÀ-Ý][A-Z0-9À-Ý&-]{1,9})\s*\(\s*([A-ZÀ-Ýa-zà-ÿ][^()]{2,80}?)\s*\)")
_WORD = re.compile(r"[\w]+(?:-[\w]+)*")


def _letters(acronym: str) -> str:
    return re.sub(r"[^A-Za-z0-9À-Ýà-ý]", "", acronym).lower()


def _initials(words: list[str]) -> set[str]:
    """The initial strings the words may spell (small words in or out, hyphens split or not)."""
    out = {""}
    for w in words:
        parts = w.split("-")
        options = {w[0].lower(), "".join(p[0].lower() for p in parts if p)}
        if w.lower() in _SMALL:
            options.add("")
        out = {o + x for o in out for x in options}
        if len(out) > 512:
            break
    return out


def _tail_matching(before: str, acronym: str) -> str | None:
    """The shortest run of last words of ``before`` whose initials spell ``acronym`` and
    that starts with a capital or a capitalised word."""
    letters = _letters(acronym)
    words = _WORD.findall(before)
    for n in range(1, min(len(words), 9) + 1):
        tail = words[-n:]
        if not tail[0][:1].isupper():
            continue
        if letters in _initials(tail):
            return " ".join(tail) if " ".join(tail) in before else _span(before, tail)
    return None


def _span(before: str, tail: list[str]) -> str | None:
    m = re.search(r"\s+".join(re.escape(w) for w in tail) + r"\s*$", before)
    return m.group(0).strip() if m else None


def links(text: str) -> dict[str, str]:
    """``{acronym: full form}`` for every acronym written beside its full form in ``text``."""
    out: dict[str, str] = {}
    for m in _ACR_IN_PARENS.finditer(text):
        acr = m.group(1).rstrip(".")
        if len(_letters(acr)) < 2 or not acr.isupper():
            continue
        before = text[max(0, m.start() - 160):m.start()].rstrip()
        full = _tail_matching(before, acr)
        if full and full != acr:
            out.setdefault(acr, full)
    for m in _ACR_THEN_FULL.finditer(text):
        acr, inside = m.group(1), m.group(2)
        if not acr.isupper() or acr in out or len(_letters(acr)) < 2:
            continue
        words = _WORD.findall(inside)
        if words and words[0][:1].isupper() and _letters(acr) in _initials(words):
            out[acr] = " ".join(words) if " ".join(words) in inside else inside.strip()
    return out
