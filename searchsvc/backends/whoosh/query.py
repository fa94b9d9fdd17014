"""The Whoosh query of a parsed query (:mod:`searchsvc.search.query`: the language,
its limits and matching rules, the same for every backend): content units, the
``title:`` / ``source:`` restrictions and the exclusions as Whoosh query objects,
bounded in size, prefixes expanded from the generation's lexicon, words typed with
accents restricted to the documents writing them so (:class:`AccentRestricted`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from whoosh import query as wq

from searchsvc.analysis import NOACCENT
from searchsvc.search.accents import FORMS_FIELD, UNACCENTED_WEIGHT, accented_words, family_forms
from searchsvc.search import query as qmod
from searchsvc.search.query import (
    DEFAULT_FIELDS, DEFAULT_STRATEGY, NOTHING_SEARCHABLE, RESTRICTING_FIELDS, Clause, ParsedQuery,
    _analyze, name_marks, prefix_expansion, searched_field,
)


class AccentRestricted(wq.AndNot):
    """``a`` without the documents of ``b`` (other accents only); documents
    outside ``agree`` (the unaccented spelling only) score ``weight`` times less."""

    def __init__(self, a, b, agree, weight: float):
        super().__init__(a, b)
        self.agree = agree
        self.weight = weight


def _any(terms: list[str]) -> wq.Query:
    return wq.Or([wq.Term(FORMS_FIELD, t) for t in terms])


def restrict(q: wq.Query, text: str, schema, reader, cache=None) -> wq.Query:
    """``q`` (the query of a word or phrase typed as ``text``) without the documents
    where an accented word of ``text`` only occurs with other accents, and weighed
    down where it only occurs without accents."""
    if FORMS_FIELD not in schema:
        return q
    excluded, agreeing = [], []
    for term, form in accented_words(text):
        agree, plain, other = family_forms(reader, term, form, cache)
        agreeing.append(_any(agree + [NOACCENT]))
        if other:
            excluded.append(wq.AndNot(_any(other), _any(agree + plain + [NOACCENT])))
    if not agreeing:
        return q
    out = wq.NullQuery if not excluded else excluded[0] if len(excluded) == 1 else wq.Or(excluded)
    agree = agreeing[0] if len(agreeing) == 1 else wq.And(agreeing)
    return AccentRestricted(q, out, agree, UNACCENTED_WEIGHT)


@dataclass
class Built:
    """The Whoosh query (None: no positive terms), the analysed terms to highlight
    in each field and the phrases (word sequences, slop) marked only as a whole."""

    query: wq.Query | None
    highlight: dict[str, set[str]] = field(default_factory=dict)
    listing: bool = False  # no content unit: list documents (newest first)
    units: list[wq.Query] = field(default_factory=list)  # content units (matched, counted, scored)
    negative: wq.Query | None = None  # what is excluded
    filters: list[wq.Query] = field(default_factory=list)  # title:/source: restrictions (required)
    scored_filters: list[wq.Query] = field(default_factory=list)  # the title: ones, also scored
    phrases: dict[str, set[tuple[tuple[str, ...], int]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # French remarks for the result (prefixes cut)
    #: exact mode: the terms are those of the unstemmed fields (mark with their analyzer)
    exact: bool = False
    #: outside exact mode, the marks of the clauses typed as written (``="..."``): terms
    #: of the unstemmed analyzer, by logical field, as ``highlight`` and ``phrases``
    written_highlight: dict[str, set[str]] = field(default_factory=dict)
    written_phrases: dict[str, set[tuple[tuple[str, ...], int]]] = field(default_factory=dict)

    def marks(self, fieldname: str) -> tuple[set[str], set[tuple[tuple[str, ...], int]]]:
        """(single terms, phrases) to mark in a text of ``fieldname`` ("body" or
        "title"): the query's terms on either field, both having the same analysis."""
        terms = set(self.highlight.get("body", ())) | set(self.highlight.get("title", ()))
        phrases = set(self.phrases.get("body", ())) | set(self.phrases.get("title", ()))
        return terms, phrases

    def written_marks(self, fieldname: str) -> tuple[set[str], set[tuple[tuple[str, ...], int]]]:
        """:meth:`marks` of the clauses typed as written in a query not in exact mode
        (terms of :func:`searchsvc.analysis.written_analyzer`)."""
        terms = set(self.written_highlight.get("body", ())) | set(self.written_highlight.get("title", ()))
        phrases = set(self.written_phrases.get("body", ())) | set(self.written_phrases.get("title", ()))
        return terms, phrases


class _Budget:
    def __init__(self, n: int):
        self.left = n

    def take(self, n: int = 1) -> bool:
        if self.left < n:
            return False
        self.left -= n
        return True


def clause_query(clause: Clause, schema, reader, budget: _Budget, highlight,
                 phrases=None, cache=None, notes=None, exact: bool = False) -> wq.Query | None:
    """The query of one clause. ``exact``: on the unstemmed fields (every word as
    written, accents and case folded); ``highlight`` and ``phrases`` are keyed by the
    logical field (``title``, ``body``) either way."""
    fields = [clause.field] if clause.field else list(DEFAULT_FIELDS)
    subs = []
    for logical in fields:
        fieldname = searched_field(logical, exact)
        if fieldname not in schema:
            continue
        if clause.kind == "prefix":
            subs.extend(_prefix_query(clause, schema, reader, fieldname, budget,
                                      highlight.setdefault(logical, set()), cache, notes, logical))
            continue
        toks = _analyze(schema, fieldname, clause.text)
        if not toks or not budget.take(len(toks)):
            continue
        boost = qmod.TITLE_BOOST if logical == "title" else 1.0
        if len(toks) == 1:
            highlight.setdefault(logical, set()).add(toks[0][0])
            subs.append(wq.Term(fieldname, toks[0][0], boost=boost))
        else:
            gaps = [b[1] - a[1] for a, b in zip(toks, toks[1:])]
            slop = max(1, max(gaps)) if all(g >= 0 for g in gaps) else 1
            words = [t for t, _ in toks]
            if phrases is not None:
                # a phrase or multi-word synonym is marked only where all of it occurs
                phrases.setdefault(logical, set()).add((tuple(words), slop))
            subs.append(wq.Phrase(fieldname, words, slop=slop, boost=boost))
    if (clause.kind == "word" and clause.field is None and qmod.EXACT_BOOST > 0 and "spell" in schema
            and subs and not exact):
        # the word exactly as written (accents kept, unstemmed) scores a little more
        exact = [t for t, _ in _analyze(schema, "spell", clause.text)]
        if len(exact) == 1 and budget.take():
            subs.append(wq.Term("spell", exact[0], boost=qmod.EXACT_BOOST))
    if not subs:
        return None
    if clause.kind == "prefix" and any(isinstance(q, wq.ConstantScoreQuery) for q in subs):
        # one large expansion: the whole prefix matches with a constant score (one
        # cached docnum set instead of a posting list per term and field)
        terms = []
        for q in subs:
            if isinstance(q, wq.ConstantScoreQuery):
                q = q.child
            terms.extend(q.subqueries if isinstance(q, wq.Or) else [q])
        return wq.ConstantScoreQuery(wq.Or(terms), 0.0)
    q = subs[0] if len(subs) == 1 else wq.Or(subs)
    if clause.kind in ("word", "phrase"):
        q = restrict(q, clause.text, schema, reader, cache)  # words typed with accents
    return q


def _prefix_query(clause, schema, reader, fieldname, budget, marked: set, cache, notes,
                  logical: str) -> list[wq.Query]:
    """The terms of a prefix on one field: scored one by one, or, beyond
    :data:`qmod.PREFIX_SCORED_POSTINGS` postings, one constant-score query (as Lucene
    does with large expansions: scoring each term costs as much as reading it).
    ``marked``: the set of terms to highlight, for the logical field ``logical``."""
    terms, postings, truncated = prefix_expansion(schema, reader, fieldname, clause.text, cache)
    picked = []
    for t in terms:
        if not budget.take():
            truncated = True
            break
        picked.append(wq.Term(fieldname, t))
        marked.add(t)
    if truncated and notes is not None and (clause.field or logical == "body"):  # one note a clause
        notes.append(f"Préfixe « {clause.text}* » : seuls les {len(picked)} mots les plus "
                     "fréquents qui commencent ainsi ont été cherchés.")
    if picked and postings > qmod.PREFIX_SCORED_POSTINGS:
        return [wq.ConstantScoreQuery(picked[0] if len(picked) == 1 else wq.Or(picked), 0.0)]
    return picked


#: the note of a search as written on an index built before exact mode
NO_WRITTEN_FIELDS = ("Cet index ne permet pas encore le mode exact (mots tels qu'écrits) : "
                     "relancez « searchsvc reindex », qui le reconstruit.")


def build(pq: ParsedQuery, schema, reader, strategy: str = DEFAULT_STRATEGY, cache=None,
          exact: bool = False) -> Built:
    """The Whoosh query for a parsed query, bounded in size. ``cache``: a dict kept
    per index generation (prefix expansions). ``exact``: every word and phrase on the
    unstemmed fields (:func:`searched_field`); the marks are then terms of
    :func:`searchsvc.analysis.written_analyzer` (``Built.exact``)."""
    clauses = [c for u in pq.units for c in u] + pq.negatives
    if (exact or any(c.exact for c in clauses)) and clauses and searched_field("body", True) not in schema:
        # an index built before exact mode: nothing as written can be found, say why
        return Built(wq.NullQuery, {}, exact=exact, notes=[NO_WRITTEN_FIELDS])
    budget = _Budget(qmod.MAX_TERMS)
    highlight: dict[str, set[str]] = {}
    phrases: dict[str, set] = {}
    notes: list[str] = []
    written_highlight: dict[str, set[str]] = {}
    written_phrases: dict[str, set] = {}
    units, filters, scored_filters = [], [], []
    for unit in pq.units:
        alts = [q for q in (clause_query(c, schema, reader, budget,
                                         written_highlight if c.exact and not exact else highlight,
                                         written_phrases if c.exact and not exact else phrases,
                                         cache, notes, exact or c.exact)
                            for c in unit) if q]
        if not alts:
            continue
        q = alts[0] if len(alts) == 1 else wq.Or(alts)
        if all(c.field in RESTRICTING_FIELDS for c in unit):
            # title:/source: restrict to documents whose title/source has the words
            filters.append(q)
            if all(c.field == "title" for c in unit):
                scored_filters.append(q)
        else:
            units.append(q)
    negs = [q for q in (clause_query(c, schema, reader, budget, {}, None, cache, exact=exact or c.exact)
                        for c in pq.negatives) if q]
    negative = (wq.Or(negs) if len(negs) > 1 else negs[0]) if negs else None
    name_marks(pq, schema, highlight, phrases, exact)
    if not units and not filters:
        if pq.units or (not pq.negatives and not pq.entities and pq.text.strip()):
            # text was given but no word of it is searchable (only stop words, or only
            # operators and brackets): no match, and said so (never every article)
            return Built(wq.NullQuery, highlight, exact=exact, notes=[NOTHING_SEARCHABLE])
        if negative is None:
            return Built(None, highlight, listing=True, exact=exact)
        return Built(wq.AndNot(wq.Every(), negative), highlight, listing=True, negative=negative,
                     exact=exact)
    positive = units + filters
    if len(positive) == 1:
        q = positive[0]
    elif strategy == "andboost":
        q = wq.Or([wq.And(positive, boost=qmod.AND_BOOST), wq.Or(positive)])
    else:  # "coord" (factor applied by the collector) and "or"
        q = wq.Or(positive)
    if negative is not None:
        q = wq.AndNot(q, negative)
    listing = not units and not scored_filters  # only source: restrictions: newest first
    return Built(q, highlight, listing=listing, units=units, negative=negative,
                 filters=filters, scored_filters=scored_filters, phrases=phrases, notes=notes,
                 exact=exact, written_highlight=written_highlight, written_phrases=written_phrases)
