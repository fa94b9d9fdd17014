"""A parsed query (:mod:`searchsvc.search.query`) as OpenSearch query DSL, under the
same matching rules as the Whoosh backend (:mod:`searchsvc.search.matching`).

Our analyzer turns each clause into the index's own terms (the ``*_t`` fields hold
them, see :mod:`searchsvc.backends.opensearch.mapping`), so a term query here is the
Whoosh backend's term query:

- a word: its term in ``title_t`` (boosted) or ``body_t``, several terms (``nord-coréen``)
  a phrase; typed with accents, the documents whose forms of the word all carry
  other accents are left out (:mod:`searchsvc.search.accents`);
- a phrase: ``match_phrase`` of its terms with the slop of the stop words inside it;
- a prefix: ``prefix`` on the folded stems and on the words as written;
- an ``OR`` group or a synonym group: one unit, any of its alternatives;
- ``title:``/``source:``: restrictions (filters); exclusions: ``must_not``;
- ``personne:``/``organisation:``/``lieu:``: entity filters.

A document is a full match with at least :func:`searchsvc.search.matching.required`
units (``minimum_should_match``), a partial match with at least one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from searchsvc.analysis import fold, french_analyzer, spelling_analyzer, written_analyzer
from searchsvc.backends.opensearch.mapping import EARLY_STEP, EARLY_STEPS, title_boost
from searchsvc.search import matching, ranking
from searchsvc.search import query as qmod
from searchsvc.search.accents import accented_words
from searchsvc.search.params import UNKNOWN, SearchParams

FIELDS = {"title": "title_t", "body": "body_t", "source": "source_t"}
#: exact mode and ``="..."``: the unstemmed twins (the Whoosh backend's ``*_written``)
WRITTEN = {"title": "title_w", "body": "body_w", "source": "source_w"}
_ANALYZER = french_analyzer()
_SPELL = spelling_analyzer()
_WRITTEN = written_analyzer()


@dataclass
class Translated:
    """The parts of a search: ``units`` (one query each: what is counted),
    ``restrictions`` (``title:``/``source:``, always required), ``negative`` (excluded),
    and the marks of the snippets (``terms``, ``phrases``; a prefix's completions among the terms)."""

    units: list[dict] = field(default_factory=list)
    restrictions: list[dict] = field(default_factory=list)
    scored_restrictions: list[dict] = field(default_factory=list)
    negatives: list[dict] = field(default_factory=list)
    entities: list[tuple[str, str, bool]] = field(default_factory=list)
    terms: set[str] = field(default_factory=set)
    phrases: set[tuple[tuple[str, ...], int]] = field(default_factory=set)
    nothing: bool = False  # words given, none searchable: no document matches
    notes: list[str] = field(default_factory=list)
    words: list = field(default_factory=list)  # plain words with their spans (suggestions)
    exact: bool = False  # exact mode: ``terms``/``phrases`` are unstemmed (written_analyzer)
    #: outside exact mode, the marks of the clauses typed as written (``="..."``)
    written_terms: set[str] = field(default_factory=set)
    written_phrases: set[tuple[tuple[str, ...], int]] = field(default_factory=set)
    single: list[str] = field(default_factory=list)  # the one-term units, in order (proximity)
    #: the units that count in the coordination (all but the question words' units)
    counted: list[dict] = field(default_factory=list)

    def proximity(self) -> list[dict]:
        """Two query words close together score more (BM25TP in the Whoosh backend,
        :data:`ranking.PROX_WINDOW`, :data:`ranking.PROX_WEIGHT`): a sloppy phrase of
        each pair of consecutive single words, never required."""
        if ranking.PROX_WEIGHT <= 0:
            return []
        out = []
        for a, b in zip(self.single, self.single[1:]):
            out.append({"match_phrase": {"body_t": {"query": f"{a} {b}", "slop": ranking.PROX_WINDOW - 1,
                                                    "boost": ranking.PROX_WEIGHT}}})
        return out

    def coordinated(self, q: dict, partial: bool) -> dict:
        """``q`` with its score multiplied by the Whoosh backend's coordination factor,
        ``(m / n) ** COORD_POWER`` for ``m`` of the ``n`` counted units (``title:``
        restrictions included, as there) in the document: a ``function_score`` adding
        up the factor's step at each count a document reaches (``minimum_should_match``).
        Only the counts a full (or partial) match can have get a step of their own (one
        count: one factor for all, the order is BM25's, the scores the Whoosh backend's)."""
        fixed = len(self.scored_restrictions)  # always matched
        n = len(self.counted) + fixed
        if n < 2 or ranking.COORD_POWER == 0:
            return q
        table = ranking.coord_table(n)
        asked = len(self.units) - len(self.counted)  # the question words' units
        lo = max(1, (0 if partial else self.need - asked) + fixed)
        hi = min(n, self.need - 1 + fixed) if partial else n
        if lo >= hi and table[hi] == 1.0:
            return q  # every document has every counted unit
        functions = [{"filter": {"match_all": {}}, "weight": table[lo]}]
        for m in range(lo + 1, hi + 1):
            functions.append({"filter": {"bool": {"should": self.counted,
                                                  "minimum_should_match": m - fixed}},
                              "weight": table[m] - table[m - 1]})
        return {"function_score": {"query": q, "functions": functions, "score_mode": "sum",
                                   "boost_mode": "multiply"}}

    def marker(self):
        """What the search marks (:class:`~searchsvc.search.snippets.Marker`): its terms
        with the analyzer they were made by, as the Whoosh backend marks them."""
        from searchsvc.search.snippets import Marker

        main = _WRITTEN if self.exact else _ANALYZER
        return Marker([(_spans(main), self.terms, self.phrases),
                       (_spans(_WRITTEN), self.written_terms, self.written_phrases)])

    @property
    def listing(self) -> bool:
        """No content unit and nothing scored: documents are listed newest first."""
        return not self.units and not self.scored_restrictions

    @property
    def need(self) -> int:
        return matching.required(len(self.units)) if self.units else 0

    def full(self) -> dict:
        """The query of the full matches (before the parameters' filters)."""
        if self.nothing:
            return {"bool": {"must_not": [{"match_all": {}}]}}
        must: list[dict] = []
        if len(self.units) == 1:
            must.append(self.units[0])
        elif self.units:
            must.append({"bool": {"should": self.units, "minimum_should_match": max(self.need, 1)}})
        return self.coordinated(self._with_rest(must), False)

    def partial(self) -> dict | None:
        """The query of the partial matches (some units, fewer than required), or None."""
        if self.nothing or len(self.units) < 2 or self.need <= 1:
            return None
        must = [{"bool": {"should": self.units, "minimum_should_match": 1}}]
        q = self._with_rest(must)
        q["bool"].setdefault("must_not", []).append(
            {"bool": {"should": self.units, "minimum_should_match": self.need}})
        return self.coordinated(q, True)

    def _with_rest(self, must: list[dict]) -> dict:
        out: dict = {"must": must or [{"match_all": {}}]}
        if self.restrictions:
            out["filter"] = list(self.restrictions)
        should = list(self.scored_restrictions) + self.proximity()
        if should:
            out["should"] = should
        if self.negatives:
            out["must_not"] = list(self.negatives)
        return {"bool": out}


_FAST: dict = {}


def _spans(analyzer):
    """One :class:`~searchsvc.search.snippets.FastSpans` per analyzer (its word cache)."""
    from searchsvc.search.snippets import FastSpans

    got = _FAST.get(id(analyzer))
    if got is None:
        got = _FAST[id(analyzer)] = FastSpans(analyzer)
    return got


def analysed(text: str, fieldname: str = "body", written: bool = False) -> list[tuple[str, int]]:
    """``[(term, position)]`` of ``text`` as the query analyser gives them (``written``:
    the unstemmed analyser of exact mode)."""
    analyzer = _SPELL if fieldname == "spell" else _WRITTEN if written else _ANALYZER
    out = []
    for t in analyzer(text, positions=True, mode="query"):
        if t.text:
            out.append((t.text, t.pos))
        if len(out) >= qmod.MAX_PHRASE_WORDS:
            break
    return out


def translate(text: str, synonyms, lexicon, exact: bool = False) -> Translated:
    """The query ``text`` as OpenSearch clauses. ``lexicon``: the index's vocabulary
    (:class:`~searchsvc.backends.opensearch.lexicon.Lexicon`: prefix completions, the
    accent rule). ``exact``: every word and phrase on the unstemmed fields (as written)."""
    pq = qmod.parse(text, synonyms)
    out = Translated(entities=list(pq.entities), words=list(pq.words), exact=exact)
    prefetch = getattr(lexicon, "prefetch_forms", None)
    if prefetch is not None:  # the accent rule's lookups of every word, together
        prefetch([term for c in [*(c for unit in pq.units for c in unit), *pq.negatives]
                  if c.kind in ("word", "phrase") for term, _ in accented_words(c.text)])
    for unit in pq.units:
        alts = [q for q in (_clause(c, out, lexicon, exact or c.exact) for c in unit) if q]
        if not alts:
            continue
        q = alts[0] if len(alts) == 1 else {"bool": {"should": alts, "minimum_should_match": 1}}
        asked = _question(unit)
        if asked:  # "combien", "quel"...: a tenth of a word (ranking.QUESTION_WEIGHT)
            q = {"bool": {"must": [q], "boost": ranking.QUESTION_WEIGHT}}
        elif len(unit) == 1 and unit[0].kind == "word" and unit[0].field is None:
            toks = analysed(unit[0].text)
            if len(toks) == 1:
                out.single.append(toks[0][0])
        if all(c.field in qmod.RESTRICTING_FIELDS for c in unit):
            out.restrictions.append(q)
            if all(c.field == "title" for c in unit):
                out.scored_restrictions.append(q)
        else:
            out.units.append(q)
            if not asked:
                out.counted.append(q)
    for c in pq.negatives:
        q = _clause(c, Translated(exact=exact), lexicon, exact or c.exact)
        if q:
            out.negatives.append(q)
    from searchsvc.backends.opensearch.lexicon import SCHEMA

    # a name word ("un" of "Kim Jong Un") marked only inside the name (the same rule)
    qmod.name_marks(pq, SCHEMA, {"title": out.terms, "body": out.terms},
                    {"title": out.phrases, "body": out.phrases}, exact)
    if not out.units and not out.restrictions and (
            pq.units or (not pq.negatives and not pq.entities and pq.text.strip())):
        # text given but no word of it searchable: no match, and said so
        out.nothing = True
        out.notes.append(qmod.NOTHING_SEARCHABLE)
    return out


def _should(subs: list[dict]) -> dict:
    return subs[0] if len(subs) == 1 else {"bool": {"should": subs, "minimum_should_match": 1}}


def _prefix(clause: qmod.Clause, name: str, target: str, boost: float, out: Translated,
            lexicon) -> dict | None:
    """A prefix on one field: its completions (:func:`searchsvc.search.query.prefix_expansion`,
    the Whoosh backend's rule) as term queries, constant-scored when they are many."""
    from searchsvc.backends.opensearch.lexicon import SCHEMA

    terms, postings, truncated = qmod.prefix_expansion(SCHEMA, lexicon, name, clause.text, lexicon.cache)
    terms = terms[:qmod.MAX_PREFIX_TERMS]
    if not terms:
        return None
    out.terms.update(terms)
    if truncated and (clause.field or name == "body"):
        out.notes.append(f"Préfixe « {clause.text}* » : seuls les {len(terms)} mots les plus "
                         "fréquents qui commencent ainsi ont été cherchés.")
    if postings > qmod.PREFIX_SCORED_POSTINGS:
        return {"constant_score": {"filter": {"terms": {target: terms}}, "boost": 0.0}}
    return _should([{"term": {target: {"value": t, "boost": boost}}} for t in terms])


def _clause(clause: qmod.Clause, out: Translated, lexicon, written: bool = False) -> dict | None:
    fields = [clause.field] if clause.field else list(qmod.DEFAULT_FIELDS)
    subs: list[dict] = []
    # the marks of a clause typed as written, outside exact mode, are apart (their analyzer)
    terms, phrases = ((out.written_terms, out.written_phrases) if written and not out.exact
                      else (out.terms, out.phrases))
    for name in fields:
        target = (WRITTEN if written else FIELDS).get(name)
        if target is None:
            continue
        boost = title_boost(qmod.TITLE_BOOST) if name == "title" else 1.0
        if clause.kind == "prefix":
            if written:  # the words as written that start so (no stem completions)
                stem = fold(clause.text.lower()).strip("'’ ")
                q = {"prefix": {target: {"value": stem, "boost": boost}}} if stem else None
            else:
                q = _prefix(clause, name, target, boost, out, lexicon)
            if q:
                subs.append(q)
            continue
        toks = analysed(clause.text, name, written)
        if not toks:
            continue
        if len(toks) == 1:
            terms.add(toks[0][0])
            term = {"term": {target: {"value": toks[0][0], "boost": boost}}}
            if name == "body" and ranking.EARLY_WEIGHT > 0 and not written:
                # an occurrence among the opening words scores more (ranking.EARLY_BONUS)
                term = {"function_score": {"query": term, "boost_mode": "multiply",
                                           "score_mode": "max", "functions": early_functions(toks[0][0])}}
            subs.append(term)
        else:
            gaps = [b[1] - a[1] for a, b in zip(toks, toks[1:])]
            slop = max(1, max(gaps)) if all(g >= 0 for g in gaps) else 1
            words = [t for t, _ in toks]
            phrases.add((tuple(words), slop))
            subs.append({"match_phrase": {target: {"query": " ".join(words), "slop": slop - 1,
                                                   "boost": boost}}})
    if not subs:
        return None
    q = _should(subs)
    if clause.kind == "word" and clause.field is None and qmod.EXACT_BOOST > 0 and not written:
        exact = [t for t, _ in analysed(clause.text, "spell")]
        if len(exact) == 1:
            # the word exactly as written scores a little more (never matches alone)
            q = {"bool": {"must": [q], "should": [
                {"term": {"spell_t": {"value": exact[0], "boost": qmod.EXACT_BOOST * ranking.EXACT_WEIGHT}}}]}}
    if clause.kind in ("word", "phrase"):
        q = _accents(q, clause, lexicon.forms_of)
    return q


def _accents(q: dict, clause: qmod.Clause, forms_of) -> dict:
    """``q`` without the documents where an accented word of the clause only occurs
    with other accents (:func:`searchsvc.backends.whoosh.query.restrict`)."""
    from searchsvc.analysis import NOACCENT
    from searchsvc.search.accents import classify_forms

    excluded = []
    for term, form in accented_words(clause.text):
        agree, plain, other = classify_forms(term, form, forms_of(term))
        if other:
            excluded.append({"bool": {"filter": [{"terms": {"forms": other}}],
                                      "must_not": [{"terms": {"forms": agree + plain + [NOACCENT]}}]}})
    if not excluded:
        return q
    return {"bool": {"must": [q], "must_not": excluded}}


def early_functions(term: str) -> list[dict]:
    """The early-position bonus of a body term (:data:`ranking.EARLY_BONUS`): its score
    times the gain the Whoosh backend's bonus gives the document's own frequencies,
    indexed in steps (:func:`searchsvc.backends.opensearch.mapping.early_gain`), weighed by
    :data:`ranking.EARLY_WEIGHT`; a document without the term early keeps its score."""
    return [{"filter": {"term": {"early_t": f"{term}~{k}"}},
             "weight": 1 + ranking.EARLY_WEIGHT * k * EARLY_STEP} for k in range(1, EARLY_STEPS + 1)]


def _question(unit: list) -> bool:
    """A unit made only of question words."""
    terms = {t for c in unit if c.kind == "word" for t, _ in analysed(c.text)}
    return bool(terms) and all(c.kind == "word" for c in unit) and terms <= ranking.QUESTION_TERMS


def filter_clauses(params: SearchParams) -> dict[str, dict]:
    """Filter name -> OpenSearch filter of the metadata parameters in use (any of its
    values; different filters all apply; the entity filters are
    :mod:`searchsvc.backends.opensearch.entities`')."""
    out: dict[str, dict] = {}
    if params.sources:
        out["source"] = {"terms": {"source_facet": list(params.sources)}}
    if params.authors:
        out["author"] = {"terms": {"author_facet": list(params.authors)}}
    if params.langs:
        out["lang"] = {"terms": {"lang": list(params.langs)}}
    if params.years:
        out["year"] = {"terms": {"year": list(params.years)}}
    lo, hi = params.date_range
    if lo or hi:
        rng = {}
        if lo:
            rng["gte"] = lo
        if hi:
            rng["lte"] = hi
        out["date"] = {"range": {"date": rng}}
    return out


def unknown_value(value: str | None) -> str | None:
    return None if value in (None, UNKNOWN) else value
