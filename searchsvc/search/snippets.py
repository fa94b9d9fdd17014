"""Snippets and highlighted text: HTML-escaped, query words in ``<mark>``.

The text is analysed with the index field's own analyzer, so a query "munition"
marks "munitions" and "Coree" marks "Corée": a token is marked when its analysed
form is one of the query's analysed terms. No character limit: matches anywhere in
a long article are found (Whoosh's highlighter stops at 32K characters by default).
"""

from __future__ import annotations

import itertools
import re
from html import escape

SNIPPET_CHARS = 300
MAX_FRAGMENTS = 3
ELLIPSIS = "…"


def matched_spans(analyzer, text: str, terms, phrases=()) -> list[tuple[int, int, str]]:
    """``(start, end, key)`` of every token of ``text`` whose analysed form is in
    ``terms``, and of every occurrence of a phrase of ``phrases`` (``(words, slop)``:
    the analysed words in order, each at most ``slop`` positions after the previous
    one), marked as one span from its first to its last word, never word by word.
    Spans do not overlap; a phrase wins over a single word inside it."""
    if not (terms or phrases) or not text:
        return []
    n = len(text)
    toks = []
    for t in analyzer(text, chars=True, positions=True, mode="index"):
        s, e = t.startchar, t.endchar
        if t.text and s is not None and e is not None and 0 <= s < e <= n:
            toks.append((t.text, t.pos, s, e))
    return spans_of_tokens(toks, terms, phrases)


def spans_of_tokens(toks, terms, phrases=()) -> list[tuple[int, int, str]]:
    """:func:`matched_spans` from the analysed tokens ``[(term, pos, start, end)]``
    (for callers that tokenise faster, such as the full export)."""
    found = [(s, e, txt) for txt, _, s, e in toks if txt in terms]
    if phrases:
        by_first: dict[str, list] = {}
        for words, slop in phrases:
            if words:
                by_first.setdefault(words[0], []).append((words, slop))
        for i, (txt, pos, s, _) in enumerate(toks):
            for words, slop in by_first.get(txt, ()):
                end = _phrase_end(toks, i, words, slop)
                if end is not None:
                    found.append((s, end, " ".join(words)))
    # earliest first, longest first at one start; drop what overlaps a kept span
    found.sort(key=lambda sp: (sp[0], -sp[1]))
    out = []
    last_end = -1
    for s, e, key in found:
        if s >= last_end:
            out.append((s, e, key))
            last_end = e
    return out


def _phrase_end(toks, i: int, words, slop: int) -> int | None:
    """End character of ``words`` starting at token ``i``, or None."""
    cur = toks[i][1]
    end = toks[i][3]
    j = i
    for w in words[1:]:
        j += 1
        if j >= len(toks) or toks[j][0] != w or not 0 < toks[j][1] - cur <= slop:
            return None
        cur, end = toks[j][1], toks[j][3]
    return end


_GROUP = re.Match.group


class FastSpans:
    """:func:`matched_spans` for many texts: the same spans, with the per-token work
    done by C-level list operations (the search's snippets, the export, the
    concordance).

    The French analyzer gives each match of its ``TOKEN_RE`` a term that depends on
    that word alone (stop word, folding, stemming), with consecutive positions for
    the words it keeps. So the words of a text are read by the regular expression,
    mapped to terms through the analyzer's own word cache (each distinct word
    analysed once per process), and only the tokens that can be marked (a query term
    or a phrase word) and the words after them that a phrase would need are handed
    to :func:`spans_of_tokens`. Another analyzer goes through :func:`matched_spans`.
    Safe to share between threads. ``tests/test_analytics_export.py`` checks the
    spans equal :func:`matched_spans`' on generated and fixture texts."""

    _MISSING = object()

    def __init__(self, analyzer):
        from searchsvc.analysis import TOKEN_RE, FrenchTokenizer

        self.analyzer = analyzer
        self.ok = type(analyzer) is FrenchTokenizer
        self._re = TOKEN_RE
        if self.ok:
            # word -> (term or None, offset of the term in the word): the analyzer's own cache
            self._entries, self._learn = _word_entries(analyzer)

    def spans(self, text: str, terms, phrases=()) -> list:
        if not (terms or phrases) or not text:
            return []
        if not self.ok:
            return matched_spans(self.analyzer, text, terms, phrases)
        found = list(self._re.finditer(text))
        words = list(map(_GROUP, found))
        missing = self._MISSING
        got = list(map(self._entries.get, words, itertools.repeat(missing)))
        if missing in got:
            learn = self._learn
            for k, w in enumerate(words):
                if got[k] is missing:
                    got[k] = learn(w)
        term_of = [e[0] for e in got]
        triggers = set(terms)
        follow = 0
        for words_, _ in phrases:
            triggers.update(words_)
            follow = max(follow, len(words_) - 1)
        hits = set()
        for t in triggers:
            k = -1
            try:
                while True:
                    k = term_of.index(t, k + 1)
                    hits.add(k)
            except ValueError:
                pass
        if not hits:
            return []
        keep = set(hits)
        n = len(term_of)
        for k in hits:  # the words a phrase starting here would need
            j, left = k + 1, follow
            while left and j < n:
                if term_of[j] is not None:
                    keep.add(j)
                    left -= 1
                j += 1
        toks = []
        nones = prev = 0
        for k in sorted(keep):
            w = words[k]
            nones += term_of[prev:k].count(None)
            prev = k
            pos = k - nones
            first = found[k].start()
            start, end = first + got[k][1], first + len(w)
            if start < end:
                toks.append((term_of[k], pos, start, end))
        return spans_of_tokens(toks, terms, phrases)


def _word_entries(analyzer):
    """``(entries, learn)``: the cache the French analyzer's character-offset path
    reads, word (one ``TOKEN_RE`` match) -> ``(term or None, offset of the term in the
    word)``, and ``learn(word)``, which analyses a word missing from it and remembers
    it, exactly as ``analyzer(text, chars=True)`` does for each match. (Here rather
    than in :mod:`searchsvc.analysis`, whose source is part of the index fingerprint:
    reading its cache changes no term.)"""
    from searchsvc import analysis

    stem, stop = analyzer.stem, analyzer.stop
    caches = analysis._CACHES.setdefault((analyzer.flavour, stem, stop), ({}, {}))
    entries = caches[0]
    make_term = analysis._search_term if analyzer.flavour == "search" else analysis._spelling_term

    def learn(word: str) -> tuple:
        return analysis._lookup(word, entries, make_term, stem, stop)

    return entries, learn


class Marker:
    """What one search marks in the texts of one field: ``parts`` are ``(FastSpans,
    terms, phrases)``, each set of terms with the analyzer it was made by (the stemmed
    one, and the unstemmed one for the clauses typed as written, ``="..."``); their
    spans are merged as :func:`spans_of_tokens` does (earliest, then longest, first;
    no overlaps)."""

    def __init__(self, parts):
        self.parts = [(fast, set(terms), set(phrases)) for fast, terms, phrases in parts
                      if terms or phrases]

    def __bool__(self) -> bool:
        return bool(self.parts)

    def spans(self, text: str) -> list:
        if len(self.parts) == 1:
            fast, terms, phrases = self.parts[0]
            return fast.spans(text, terms, phrases)
        found = sorted((sp for fast, terms, phrases in self.parts for sp in fast.spans(text, terms, phrases)),
                       key=lambda sp: (sp[0], -sp[1]))
        out, last_end = [], -1
        for sp in found:
            if sp[0] >= last_end:
                out.append(sp)
                last_end = sp[1]
        return out

    def has_terms(self) -> bool:
        """Whether single words are marked (not only phrases)."""
        return any(terms for _, terms, _ in self.parts)

    def has_term(self, text: str) -> bool:
        """Whether ``text`` holds one of the single words marked."""
        return any(terms & {t.text for t in fast.analyzer(text)} for fast, terms, _ in self.parts if terms)

    def html(self, text: str) -> str:
        """All of ``text`` escaped, the marks in ``<mark>``."""
        return mark(text, self.spans(text))

    def paragraphs(self, text: str) -> list[str]:
        """Every paragraph of ``text`` escaped, the marks in ``<mark>``."""
        return [self.html(p.strip()) for p in (text or "").split("\n\n") if p.strip()]


def mark(text: str, spans, start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` escaped, with ``spans`` inside it wrapped in ``<mark>``."""
    end = len(text) if end is None else end
    out = []
    pos = start
    for s, e, _ in spans:
        if s < pos or e > end:
            continue
        out.append(escape(text[pos:s]))
        out.append("<mark>" + escape(text[s:e]) + "</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def _word_start(text: str, i: int, limit: int = 30) -> int:
    """Move ``i`` back to the start of a word (at most ``limit`` characters)."""
    if i <= 0:
        return 0
    j = i
    while j > 0 and i - j < limit and not text[j - 1].isspace():
        j -= 1
    return j if (j == 0 or text[j - 1].isspace()) else i


def _word_end(text: str, i: int, limit: int = 30) -> int:
    n = len(text)
    if i >= n:
        return n
    j = i
    while j < n and j - i < limit and not text[j].isspace():
        j += 1
    return j


def _windows(spans, width: int):
    """Best windows of ``width`` characters: greedy on new distinct terms, then matches."""
    chosen = []
    covered_terms: set[str] = set()
    remaining = list(spans)
    while remaining and len(chosen) < MAX_FRAGMENTS:
        best = None
        for i, (s, _, _) in enumerate(remaining):
            inside = [sp for sp in remaining[i:] if sp[1] <= s + width]
            terms = {sp[2] for sp in inside}
            key = (len(terms - covered_terms), len(terms), len(inside), -s)
            if best is None or key > best[0]:
                best = (key, s, inside)
            if len(remaining) > 200 and i > 200:
                break
        key, s, inside = best
        if chosen and key[0] == 0:
            break  # nothing new to show
        chosen.append((s, inside[-1][1]))
        covered_terms |= {sp[2] for sp in inside}
        remaining = [sp for sp in remaining if sp[1] <= s - width or sp[0] >= inside[-1][1] + width]
    return sorted(chosen)


def snippet(analyzer, text: str, terms, size: int = SNIPPET_CHARS, phrases=(), spans=None) -> str:
    """One to three fragments of ``text`` (about ``size`` characters in all) around the
    matches, HTML-escaped, matches in ``<mark>``; the opening of the text when
    nothing matches. ``spans``: :func:`matched_spans` of ``text`` when already known."""
    text = text or ""
    if not text.strip():
        return ""
    if spans is None:
        spans = matched_spans(analyzer, text, terms, phrases)
    if not spans:
        end = _word_end(text, size) if len(text) > size else len(text)
        out = escape(text[:end].strip()) + (" " + ELLIPSIS if end < len(text) else "")
        return " ".join(out.split())
    windows = _windows(spans, size // 2)
    width = max(size // len(windows), 60)
    frags = []
    for s, e in windows:
        core = e - s
        before = max((width - core) // 3, 15)
        a = _word_start(text, max(0, s - before))
        b = _word_end(text, max(e, a + width))
        if frags and a <= frags[-1][1]:
            frags[-1] = (frags[-1][0], max(b, frags[-1][1]))
        else:
            frags.append((a, b))
    parts = []
    for a, b in frags:
        piece = mark(text, spans, a, b).strip()
        if a > 0:
            piece = ELLIPSIS + " " + piece
        parts.append(piece)
    out = " ".join(parts)
    if frags[-1][1] < len(text):
        out += " " + ELLIPSIS
    return " ".join(out.split())


def highlight_paragraphs(analyzer, text: str, terms, phrases=()) -> list[str]:
    """Every paragraph of ``text`` escaped, matches in ``<mark>``."""
    out = []
    for para in (text or "").split("\n\n"):
        para = para.strip()
        if para:
            out.append(highlight(analyzer, para, terms, phrases))
    return out


def highlight(analyzer, text: str, terms, phrases=()) -> str:
    """All of ``text`` (a title, a paragraph) escaped, matches in ``<mark>``."""
    return mark(text, matched_spans(analyzer, text, terms, phrases))
