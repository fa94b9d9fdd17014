"""Accent restriction of query words typed with accents.

The index terms are folded stems: "côte" and "côté", "pêche" and "péché",
"thé" and "The" share one. A query word typed *without* accents keeps matching
all of them ("Coree" finds "Corée"). A word typed *with* accents matches the
documents where it occurs with the same accents (an unaccented capital counts
as any accent: "Etat" for "État") or in its unaccented spelling ("cote" for
"côte", a text written without accents); it leaves out the documents whose
forms of its term all carry other accents or contradict them ("côté", "péché",
"The"): they hold a different word. The ``forms`` field
(:func:`searchsvc.analysis.form_terms`) holds the accented and capitalised forms
of each document. The restriction is a document filter: the word still scores
through its stem.
"""

from __future__ import annotations

from whoosh import query as wq

from searchsvc.analysis import (
    NOACCENT,
    TOKEN_RE,
    accents_compatible,
    fold,
    form_term,
)

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


def family_forms(reader, term: str, form: str) -> tuple[list[str], list[str]]:
    """The ``forms`` terms of ``term``: (those whose accents agree with ``form``, the others)."""
    prefix = term + "|"
    agree, other = [], []
    try:
        for i, t in enumerate(reader.expand_prefix(FORMS_FIELD, prefix)):
            if i >= MAX_FORMS_SCAN:
                break
            t = t.decode("utf-8") if isinstance(t, bytes) else t
            (agree if accents_compatible(form, t[len(prefix):]) else other).append(t)
    except (KeyError, ValueError, UnicodeError):
        return [], []
    return agree, other


def _any(terms: list[str]) -> wq.Query:
    return wq.Or([wq.Term(FORMS_FIELD, t) for t in terms])


def restrict(q: wq.Query, text: str, schema, reader) -> wq.Query:
    """``q`` (the query of a word or phrase typed as ``text``) without the documents
    where an accented word of ``text`` only occurs with other accents."""
    if FORMS_FIELD not in schema:
        return q
    excluded = []
    for term, form in accented_words(text):
        agree, other = family_forms(reader, term, form)
        if other:
            excluded.append(wq.AndNot(_any(other), _any(agree + [NOACCENT])))
    if not excluded:
        return q
    return wq.AndNot(q, excluded[0] if len(excluded) == 1 else wq.Or(excluded))
