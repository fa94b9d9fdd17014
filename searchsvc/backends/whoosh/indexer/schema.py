"""The Whoosh schema and the mapping from an :class:`~searchsvc.article.Article` to its fields."""

from __future__ import annotations

import re

from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Existence

from searchsvc.analysis import (WRITTEN_FIELDS, form_terms, french_analyzer, spelling_analyzer,
                                written_analyzer)

#: Bump when the schema or the way articles become fields changes: an
#: incremental reindex over an index of another version rebuilds it fully.
SCHEMA_VERSION = 4

#: Value of the facet fields (source_facet, year, month, lang) when unknown.
UNKNOWN = "unknown"

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
#: white space that may separate chunks: never a space between two digits, so that a
#: grouped number ("100 000", one kind of separator) stays whole, separators as written
_WS = re.compile(r"[\t\r\n]+| +(?!\d)|(?<!\d) +")


def build_schema() -> Schema:
    """The index schema (see docs/ARCHITECTURE.md, "Schema").

    Only ``body`` and ``title`` and their unstemmed ``*_written`` twins keep
    positions (phrase search); nothing stores
    term vectors; ``spell`` keeps frequencies only; ``forms`` (the accented and
    capitalised word forms of :func:`searchsvc.analysis.form_terms`) only which
    documents have a term.
    """
    return Schema(
        id=ID(unique=True, stored=True),
        title=TEXT(analyzer=french_analyzer(), stored=True, field_boost=2.0),
        body=TEXT(analyzer=french_analyzer(), stored=True),
        source=TEXT(analyzer=french_analyzer(), stored=True),
        source_facet=ID(sortable=True),
        date=ID(stored=True, sortable=True),
        year=ID(sortable=True),
        month=ID(sortable=True),
        lang=ID(stored=True, sortable=True),
        url=STORED(),
        path=STORED(),
        # the byline (searchsvc.ingest.author): shown as stored, filtered name by name
        author=STORED(),
        author_facet=KEYWORD(commas=True, lowercase=False),
        hash=ID(stored=True),
        spell=TEXT(analyzer=spelling_analyzer(), phrase=False),
        # the same texts unstemmed (searchsvc.analysis.written_analyzer), with positions
        title_written=TEXT(analyzer=written_analyzer(), field_boost=2.0),
        body_written=TEXT(analyzer=written_analyzer()),
        source_written=TEXT(analyzer=written_analyzer()),
        forms=_forms_field(),
        # entities and quotes (searchsvc.enrich; empty with SEARCHSVC_NER=0)
        entities=_StoredColumn(),
        quotes=STORED(),
        person=_entity_field(),
        org=_entity_field(),
        place=_entity_field(),
    )


class _StoredColumn(COLUMN):
    """A stored value that is also a per-document column (the raw entities as JSON:
    the document page reads it stored, the search's facet arrays as a column)."""

    stored = True

    def __init__(self):
        super().__init__()

    def to_bytes(self, v):
        return v.encode("utf-8") if isinstance(v, str) else v

    def to_column_value(self, value):
        return self.to_bytes(value)


def _entity_field() -> KEYWORD:
    """Comma-separated raw entity names of one kind, each an index term as written."""
    field = KEYWORD(commas=True, lowercase=False)
    field.format = Existence()
    return field


def _forms_field() -> KEYWORD:
    """Space-separated ``forms`` terms; only which documents have one is kept."""
    field = KEYWORD()
    field.format = Existence()
    return field


def spell_text(*parts: str | None) -> str:
    """The text given to the ``spell`` field: each distinct word once.

    ``spell`` only needs the vocabulary and document frequencies, so repeated
    words are dropped before analysis (about 40 % fewer tokens to analyse). A
    space between two digits does not split, so that "100 000" stays one chunk
    as written, and chunks are joined by newlines, so that no two numbers
    become adjacent: the analysed vocabulary is the same as the full text's
    (checked in tests/test_indexer.py).
    """
    text = "\n".join(p for p in parts if p)
    return "\n".join(dict.fromkeys(c for c in _WS.split(text) if c))


def article_fields(article, content_hash: str = "") -> dict:
    """The keyword arguments of ``writer.add_document`` for one article.

    Unknown source/year/month/lang go into the facet fields as ``unknown`` so
    that such documents stay searchable and countable; unknown stored values
    (title, source, date, url) are left out, so readers get ``None`` for them.
    """
    fields = {
        "id": article.id,
        "body": article.text or "",
        "hash": content_hash,
        "lang": (article.lang or "").strip() or UNKNOWN,
        "spell": spell_text(article.title, article.text),
        "forms": " ".join(form_terms("\n".join(p for p in (article.title, article.text) if p),
                                     (article.lang or "").strip() or None)),
    }
    if article.title:
        fields["title"] = article.title
    source = (article.source or "").strip()
    if source:
        fields["source"] = source
    for name, written in WRITTEN_FIELDS.items():
        if fields.get(name):
            fields[written] = fields[name]
    fields["source_facet"] = source or UNKNOWN
    m = _DATE.match((article.date or "").strip())
    if m:
        fields["date"] = m.group(0)
        fields["year"] = m.group(1)
        fields["month"] = f"{m.group(1)}-{m.group(2)}" if m.group(2) else UNKNOWN
    else:
        fields["year"] = fields["month"] = UNKNOWN
    if article.url:
        fields["url"] = article.url
    author = (getattr(article, "author", None) or "").strip()
    if author:
        fields["author"] = author
    from searchsvc.ingest.author import author_names  # (lxml: not for a run that changes nothing)

    fields["author_facet"] = ",".join(author_names(author)) or UNKNOWN
    if article.path:
        fields["path"] = str(article.path)
    return fields
