"""Spelling suggestions from the index's own vocabulary.

The ``spell`` field holds lower-cased, accented, unstemmed words: a stemmed field
would turn "munitons" into "union". A word needs correcting when it is neither in
that vocabulary nor, once analysed, in the searched fields; its correction is the
most frequent vocabulary word at the smallest edit distance (accents kept).
"""

from __future__ import annotations

import re

from searchsvc.analysis import fold
from searchsvc.search.memo import remember

SPELL_FIELD = "spell"
_ELISION_RE = re.compile(r"^((?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu)['’ʼ‘])", re.IGNORECASE)
_CORE_RE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)
MIN_WORD = 4
MAX_WORD = 40
MAX_WORDS_CORRECTED = 8


def _known(reader, schema, word: str) -> bool:
    try:
        if reader.doc_frequency(SPELL_FIELD, word) > 0:
            return True
    except (KeyError, ValueError, UnicodeError):
        pass
    for fieldname in ("body", "title"):
        if fieldname not in schema:
            continue
        toks = [t.text for t in schema[fieldname].analyzer(word, mode="query")]
        if not toks:
            return True  # a stop word
        if all(reader.doc_frequency(fieldname, t) > 0 for t in toks):
            return True
    return False


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment), cut off above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2 = None
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def correct_word(reader, word: str) -> str | None:
    """The best vocabulary word for a misspelt lower-case ``word``, or None."""
    maxdist = 1 if len(word) < 6 else 2
    folded = fold(word)
    best = None
    for dist in range(1, maxdist + 1):
        try:
            cands = list(reader.terms_within(SPELL_FIELD, word, dist, prefix=1))
        except (KeyError, ValueError, UnicodeError):
            return None
        for c in cands:
            c = c.decode("utf-8") if isinstance(c, bytes) else c
            if c == word:
                continue
            # accent differences are cheaper than real edits
            d = _distance(fold(c), folded, maxdist) + (0.5 if c != fold(c) and fold(c) != folded else 0)
            key = (d, -reader.doc_frequency(SPELL_FIELD, c), c)
            if best is None or key < best[0]:
                best = (key, c)
        if best is not None:
            break
    return best[1] if best else None


def _verdict(reader, schema, word: str, cache) -> str | None:
    """The correction of a lower-case ``word``, None when it is known or has none."""
    key = ("spelling", word)
    if cache is not None and key in cache:
        return cache[key]
    got = None if _known(reader, schema, word) else correct_word(reader, word)
    return got if cache is None else remember(cache, key, got, CACHE_SIZE)


def _restore_case(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


#: words' verdicts (known, or their correction) kept in a generation's cache
CACHE_SIZE = 1024


def _checked(text: str, words):
    """``(start, end, elision, before, word, after)`` of each of ``words`` worth checking."""
    for clause in words[:MAX_WORDS_CORRECTED]:
        s, e = clause.span
        raw = text[s:e]
        m = _ELISION_RE.match(raw)
        lead = m.group(1) if m else ""
        pre, core, post = _CORE_RE.match(raw[len(lead):]).groups()
        if MIN_WORD <= len(core) <= MAX_WORD and core.isalpha():
            yield s, e, lead, pre, core, post


def lookups(schema, text: str, words, cache=None) -> list[tuple[str, str]]:
    """The ``(field, term)`` document frequencies :func:`suggest` may read to tell whether
    its words are known (the words whose verdict ``cache`` does not hold yet): a backend
    whose every lookup is a request can fetch them together beforehand."""
    if SPELL_FIELD not in schema:
        return []
    out = []
    for *_, core, _post in _checked(text, words):
        word = core.lower()
        if cache is not None and ("spelling", word) in cache:
            continue
        out.append((SPELL_FIELD, word))
        for fieldname in ("body", "title"):
            if fieldname in schema:
                out += [(fieldname, t.text) for t in schema[fieldname].analyzer(word, mode="query")]
    return list(dict.fromkeys(out))


def suggest(reader, schema, text: str, words, cache=None) -> str | None:
    """``text`` with its misspelt ``words`` (clauses with spans) corrected, or None.
    ``cache``: a dict kept per index generation (each word's verdict is remembered)."""
    if SPELL_FIELD not in schema:
        return None
    replacements = []
    for s, e, lead, pre, core, post in _checked(text, words):
        fixed = _verdict(reader, schema, core.lower(), cache)
        if fixed:
            replacements.append((s, e, lead + pre + _restore_case(core, fixed) + post))
    if not replacements:
        return None
    out = text
    for s, e, new in sorted(replacements, reverse=True):
        out = out[:s] + new + out[e:]
    return out if out != text else None
