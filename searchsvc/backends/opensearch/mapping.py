"""The OpenSearch index: its settings, its mapping, and an article as a document.

One analysis chain for both backends: the searchable fields hold *our* analyzer's
terms (:func:`searchsvc.analysis.french_analyzer`, positions renumbered over the
words kept), joined by spaces and split again by OpenSearch's core ``whitespace``
analyzer, so a term and its position are the same in OpenSearch as in Whoosh, and a
query is analysed by us too (:mod:`searchsvc.backends.opensearch.translate`). The text
as written is in ``_source`` (``title``, ``body``, ``source``) for display and
snippets. The analysed copies are kept in ``_source`` too: a partial update (the
reindex's copy groups, a bulk ``update`` of ``group``) rebuilds a document from its
``_source``, and a field left out of it would be lost from the index (the copies of a
story were no longer found). Reads leave them out (:data:`INDEX_ONLY`).

Fields (beside the Whoosh schema of :mod:`searchsvc.backends.whoosh.indexer.schema`):

==============  ===========================================================
``id``          keyword, the document id (also the OpenSearch ``_id``)
``title_t``     analysed title, positions (phrases), searched with ``body_t``
``body_t``      analysed body, positions
``source_t``    analysed source, for ``source:``
``title_w``, ``body_w``, ``source_w``  the same texts as written (:func:`searchsvc.analysis.written_analyzer`:
                unstemmed, accents and case folded), positions: exact mode and ``="..."``
``stems``       keyword: the distinct terms of ``title_t`` and ``body_t`` (prefix expansion)
``words``       keyword: the spelling analyser's distinct words (accented, unstemmed:
                suggestions, prefixes typed as words, word counts)
``spell_t``     the spelling analyser's words, frequencies (the exact-form bonus)
``forms``       keyword: ``<term>|<word as written>`` (the accent rule)
``source_facet``, ``lang``, ``year``, ``month``, ``date``  keyword (``unknown`` when unknown; ``date`` absent)
``author_facet`` keyword: each name of the byline (``author``, kept in ``_source``)
``day``         date (``date`` as a date), for ``date_histogram`` and sorts
``group``       keyword: the copy group (the first publication's id; the id itself when alone)
``person``, ``org``, ``place``  keyword: the raw entity names of each kind
``hash``        keyword: content hash (incremental reindex)
``entities``, ``quotes``  object kept in ``_source`` only (not indexed)
==============  ===========================================================
"""

from __future__ import annotations

import json
import re

from searchsvc.analysis import analyze, french_analyzer, spelling_analyzer, written_analyzer
from searchsvc.search import ranking

#: Bump when the mapping or the way articles become documents changes: a reindex
#: then builds a new index (an incremental run over an older one rebuilds fully).
MAPPING_VERSION = 10

#: The alias the engine reads (``CURRENT`` of the Whoosh backend), and the prefix of
#: each full build's concrete index (``<prefix>-<n>``, ``n`` the generation).
DEFAULT_ALIAS = "searchsvc"


def alias_name(env=None) -> str:
    """The alias of this deployment: ``SEARCHSVC_OPENSEARCH_INDEX``, default ``searchsvc``
    (several deployments can share a cluster under their own aliases)."""
    import os

    env = os.environ if env is None else env
    return (env.get("SEARCHSVC_OPENSEARCH_INDEX") or DEFAULT_ALIAS).strip() or DEFAULT_ALIAS

SHARDS = 3
REPLICAS = 1

_ANALYSED = {"type": "text", "analyzer": "whitespace", "norms": True}

#: The Whoosh backend's index-time title boost (``field_boost`` of its schema's ``title``):
#: there a title term's frequency counts twice, its length does not. BM25 with twice the
#: frequency is BM25 with half the ``k1`` (``2tf / (2tf + k1 n) = tf / (tf + k1/2 n)``), so
#: the title fields get ``k1 / TITLE_FIELD_BOOST``; :func:`title_boost` restores the scale.
TITLE_FIELD_BOOST = 2.0
TITLE_K1 = ranking.K1 / TITLE_FIELD_BOOST


def title_boost(query_boost: float) -> float:
    """The query boost of a title term that scores as the Whoosh backend's: OpenSearch's
    BM25 multiplies by ``k1 + 1`` of the field's own ``k1`` (the title's is smaller)."""
    return query_boost * ranking.TITLE_WEIGHT * (ranking.K1 + 1) / (TITLE_K1 + 1)

SETTINGS = {
    "number_of_shards": SHARDS,
    "number_of_replicas": REPLICAS,
    "refresh_interval": "1s",
    "max_result_window": 10_000,
    # the ranking model's BM25 (searchsvc.search.ranking: K1 1.5, B 0.75)
    "similarity": {"default": {"type": "BM25", "k1": ranking.K1, "b": ranking.B},
                   "title": {"type": "BM25", "k1": TITLE_K1, "b": ranking.B}},
}

#: The analysed fields: searched, never shown; every read of ``_source`` leaves them out.
INDEX_ONLY = ("title_t", "body_t", "early_t", "source_t", "title_w", "body_w", "source_w",
              "stems", "words", "spell_t", "forms")

MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "title": {"type": "keyword", "index": False, "doc_values": False},
        "body": {"type": "keyword", "index": False, "doc_values": False},
        "source": {"type": "keyword", "index": False, "doc_values": False},
        "author": {"type": "keyword", "index": False, "doc_values": False},
        "author_facet": {"type": "keyword"},
        "title_t": {**_ANALYSED, "index_options": "positions", "similarity": "title"},
        "body_t": {**_ANALYSED, "index_options": "positions"},
        "source_t": {**_ANALYSED, "index_options": "freqs"},
        # exact mode: the words as written (unstemmed), as the Whoosh backend's *_written
        "title_w": {**_ANALYSED, "index_options": "positions", "similarity": "title"},
        "body_w": {**_ANALYSED, "index_options": "positions"},
        "source_w": {**_ANALYSED, "index_options": "positions"},
        # the terms among the opening words of the body (ranking.EARLY_WORDS), each with
        # the step of its early gain (``<term>~<step>``, :func:`early_terms`)
        "early_t": {**_ANALYSED, "index_options": "docs", "norms": False},
        # the vocabulary as keywords with doc values: a prefix's completions are a terms
        # aggregation, most frequent first, as the Whoosh backend reads its term lists
        "stems": {"type": "keyword"},
        "words": {"type": "keyword"},
        # the same words with their frequencies and the text's length: the exact-form
        # bonus scores as the Whoosh backend's BM25 on its ``spell`` field
        "spell_t": {**_ANALYSED, "index_options": "freqs"},
        "forms": {"type": "keyword"},  # doc values: the accent rule aggregates a term's forms
        "source_facet": {"type": "keyword"},
        "lang": {"type": "keyword"},
        "year": {"type": "keyword"},
        "month": {"type": "keyword"},
        "date": {"type": "keyword"},
        "day": {"type": "date", "format": "strict_date"},
        "url": {"type": "keyword", "index": False, "doc_values": False},
        "path": {"type": "keyword", "index": False, "doc_values": False},
        "hash": {"type": "keyword"},
        "group": {"type": "keyword"},
        "person": {"type": "keyword"},
        "org": {"type": "keyword"},
        "place": {"type": "keyword"},
        # "<acronym>\t<full form>" written together in the article (searchsvc.enrich.canonical)
        "links": {"type": "keyword"},
        # the article went through entity and quote extraction (false with --no-entities)
        "extracted": {"type": "boolean"},
        "entities": {"type": "object", "enabled": False},
        "quotes": {"type": "object", "enabled": False},
    },
}

_SEARCH = french_analyzer()
_SPELL = spelling_analyzer()
_WRITTEN = written_analyzer()
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def index_body() -> dict:
    """The body of the create-index request."""
    return {"settings": {"index": dict(SETTINGS)}, "mappings": MAPPINGS}


def terms_text(text: str | None, written: bool = False) -> str:
    """``text`` as our analyzer's terms joined by spaces (what a ``*_t`` field holds;
    ``written``: the unstemmed terms of a ``*_w`` field)."""
    if not text:
        return ""
    return " ".join(analyze(text, _WRITTEN if written else _SEARCH))


#: The early gain is indexed in steps of EARLY_STEP (at most EARLY_STEPS of them).
EARLY_STEP = 0.05
EARLY_STEPS = 12


def early_gain(tf: int, early: int) -> float:
    """What the Whoosh backend's early-position bonus multiplies a body term's BM25 by:
    ``early`` of its ``tf`` occurrences are among the opening words, each adding
    ``EARLY_BONUS`` to the frequency, ``(tf + bonus) / (tf + bonus + n)`` over
    ``tf / (tf + n)``, at the average length (``n = K1``: the query DSL cannot read
    the document's length against the index's average)."""
    k1, boosted = ranking.K1, tf + ranking.EARLY_BONUS * early
    return boosted * (tf + k1) / ((boosted + k1) * tf)


def early_terms(terms: list[str]) -> str:
    """``early_t`` of a body's terms: ``<term>~<step>`` for each term among the first
    ``EARLY_WORDS``, its :func:`early_gain` in steps of :data:`EARLY_STEP`."""
    from collections import Counter

    early = Counter(terms[:ranking.EARLY_WORDS])
    if not early:
        return ""
    tf = Counter(terms)
    out = []
    for term, n in early.items():
        step = min(EARLY_STEPS, round((early_gain(tf[term], n) - 1) / EARLY_STEP))
        if step > 0:
            out.append(f"{term}~{step}")
    return " ".join(out)


def document(fields: dict, group: str | None = None) -> dict:
    """The OpenSearch document of one article, from the same field values the Whoosh
    writer gets (:func:`searchsvc.backends.whoosh.indexer.schema.article_fields` plus
    :meth:`searchsvc.enrich.entities.Enricher.fields`)."""
    title_t, body_t = terms_text(fields.get("title")), terms_text(fields.get("body"))
    spell = analyze(fields.get("spell") or "", _SPELL)
    doc = {
        "id": fields["id"],
        "body": fields.get("body") or "",
        "title_t": title_t,
        "body_t": body_t,
        "early_t": early_terms(body_t.split()),
        "source_t": terms_text(fields.get("source")),
        "title_w": terms_text(fields.get("title"), written=True),
        "body_w": terms_text(fields.get("body"), written=True),
        "source_w": terms_text(fields.get("source"), written=True),
        "stems": sorted(set(title_t.split()) | set(body_t.split())),
        "spell_t": " ".join(spell),
        "words": sorted(set(spell)),
        "forms": (fields.get("forms") or "").split(),
        "source_facet": fields.get("source_facet"),
        "lang": fields.get("lang"),
        "year": fields.get("year"),
        "month": fields.get("month"),
        "hash": fields.get("hash") or "",
        "group": group or fields["id"],
    }
    doc["author_facet"] = [n for n in (fields.get("author_facet") or "").split(",") if n]
    for name in ("title", "source", "author", "date", "url", "path"):
        if fields.get(name):
            doc[name] = fields[name]
    if doc.get("date") and _DATE.match(doc["date"]):
        doc["day"] = doc["date"]
    for kind in ("person", "org", "place"):
        if fields.get(kind):
            doc[kind] = [n for n in fields[kind].split(",") if n]
    doc["extracted"] = bool(fields.get("entities"))
    for name in ("entities", "quotes"):
        if fields.get(name):
            value = json.loads(fields[name])
            links = value.get("links") if name == "entities" and isinstance(value, dict) else None
            if isinstance(links, dict) and links:
                doc["links"] = [f"{a}\t{f}" for a, f in sorted(links.items())]
            # "enabled": false objects take any JSON object; a list of quotes is wrapped
            doc[name] = value if isinstance(value, dict) else {"items": value}
    return doc
