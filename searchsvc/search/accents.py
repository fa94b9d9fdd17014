"""Accent restriction of query words typed with accents.

The index terms are folded stems: "côte" and "côté", "pêche" and "péché",
"thé" and "The", "Moïse" and "mois" share one. A query word typed *without*
accents keeps matching all of them ("Coree" finds "Corée"); a word typed *with*
accents is restricted to the documents where a form of it with compatible
accents occurs (the ``forms`` field, see :func:`searchsvc.analysis.form_terms`),
or that are French texts written without any accent (their unaccented spelling).
The restriction is a document filter: the word still scores through its stem.
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


def compatible_forms(reader, term: str, form: str) -> list[str]:
    """The ``forms`` terms of ``term`` whose accents agree with ``form``."""
    prefix = term + "|"
    out = []
    try:
        for i, t in enumerate(reader.expand_prefix(FORMS_FIELD, prefix)):
            if i >= MAX_FORMS_SCAN:
                break
            t = t.decode("utf-8") if isinstance(t, bytes) else t
            if accents_compatible(form, t[len(prefix):]):
                out.append(t)
    except (KeyError, ValueError, UnicodeError):
        return []
    return out


def restrict(q: wq.Query, text: str, schema, reader) -> wq.Query:
    """``q`` (the query of a word or phrase typed as ``text``) restricted to the
    documents where each of its accented words occurs with compatible accents."""
    if FORMS_FIELD not in schema:
        return q
    filters = []
    for term, form in accented_words(text):
        terms = compatible_forms(reader, term, form) + [NOACCENT]
        filters.append(wq.Or([wq.Term(FORMS_FIELD, t) for t in terms]))
    if not filters:
        return q
    return wq.And([q] + filters)
