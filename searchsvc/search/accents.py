"""Accent restriction of query words typed with accents.

The index terms are folded stems: "côte" and "côté", "pêche" and "péché",
"thé" and "The" share one. A query word typed *without* accents keeps matching
all of them ("Coree" finds "Corée"). A word typed *with* accents matches the
documents where it occurs with the same accents (an unaccented capital counts
as any accent: "Etat" for "État") and, below them, those where it occurs in
its unaccented spelling ("cote" for "côte", "The" for "thé", a text written
without accents): their match weighs :data:`UNACCENTED_WEIGHT`. It leaves out
the documents whose forms of its term all carry other accents ("côté",
"péché"): they hold a different word. The ``forms`` field
(:func:`searchsvc.analysis.form_terms`) holds the accented and capitalised forms
of each document. The word still scores through its stem.

The rule's parts (which forms agree, :func:`classify_forms`) are the same for every
backend; the Whoosh query of it is
:func:`searchsvc.backends.whoosh.query.restrict`, the OpenSearch one
:mod:`searchsvc.backends.opensearch.translate`'s.
"""

from __future__ import annotations

from searchsvc.analysis import (
    TOKEN_RE,
    accents_compatible,
    fold,
    form_term,
)
from searchsvc.search.memo import remember

FORMS_FIELD = "forms"
#: Forms of one stem looked at (the most frequent stems have a few hundred).
MAX_FORMS_SCAN = 2000


def accented_words(text: str) -> list[tuple[str, str]]:
    """``(index term, accent form)`` of the words of ``text`` typed with accents
    (stop words and words without accents left out)."""
    out = []
    for word in TOKEN_RE.findall(text):
        term, _, form = form_term(word).partition("|")
        letters = form.lstrip("^*")
        if letters and fold(letters) != letters:
            out.append((term, form))
    return out


#: Weight of a word typed with accents where only its unaccented spelling occurs.
UNACCENTED_WEIGHT = 0.5


#: family forms kept in a generation's cache (shared with the prefix expansions)
CACHE_SIZE = 1024


def family_forms(reader, term: str, form: str, cache=None) -> tuple[list[str], list[str], list[str]]:
    """The ``forms`` terms of ``term``: those whose accents agree with ``form``,
    those without any accent (unaccented spellings), those with other accents.
    ``cache``: a dict kept per index generation (the lexicon scan is remembered)."""
    key = ("accent forms", term, form)
    if cache is not None:
        got = cache.get(key)
        if got is not None:
            return got
    got = _family_forms(reader, term, form)
    return got if cache is None else remember(cache, key, got, CACHE_SIZE)


def _family_forms(reader, term: str, form: str) -> tuple[list[str], list[str], list[str]]:
    prefix = term + "|"
    found = []
    try:
        for i, t in enumerate(reader.expand_prefix(FORMS_FIELD, prefix)):
            if i >= MAX_FORMS_SCAN:
                break
            found.append(t.decode("utf-8") if isinstance(t, bytes) else t)
    except (KeyError, ValueError, UnicodeError):
        return [], [], []
    return classify_forms(term, form, found)


def classify_forms(term: str, form: str, forms) -> tuple[list[str], list[str], list[str]]:
    """The ``forms`` terms of ``term`` (``<term>|<word as written>``, any backend's)
    whose accents agree with ``form``, those without accents, those with other accents."""
    prefix = term + "|"
    agree, plain, other = [], [], []
    for t in forms:
        letters = t[len(prefix):].lstrip("^*")
        if accents_compatible(form, t[len(prefix):]):
            agree.append(t)
        elif fold(letters) == letters:
            plain.append(t)
        else:
            other.append(t)
    return agree, plain, other


