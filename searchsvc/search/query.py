"""The query language, parsed by hand so that no input can make it raise.

Syntax: plain words; ``"quoted phrases"``; ``-word`` / ``-"phrase"`` / ``NOT word``
to exclude; ``a OR b`` (also ``OU``); ``title:`` / ``titre:`` and ``source:``
prefixes (on a word or a phrase); ``munit*`` prefix search. Anything else is taken
as literal words (``date:[last week to now]`` searches "date", "last", ...).
Terms are analysed with the index schema's own field analyzers, so query analysis
always matches index analysis. Documents with all the words rank first; documents
with most of them still match below (an OR with a coordination bonus).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as wq

from searchsvc.analysis import NUMBER_RE, fold
from searchsvc.search import accents
from searchsvc.synonyms import words_key

DEFAULT_FIELDS = ("title", "body")
FIELD_ALIASES = {
    "title": "title",
    "titre": "title",
    "source": "source",
    "body": "body",
    "texte": "body",
    "text": "body",
}
MAX_CLAUSES = 32          # clauses beyond this are ignored
MAX_PREFIX_TERMS = 50     # a prefix expands to at most this many terms (the most frequent)
MAX_PREFIX_SCAN = 5000    # index terms looked at for one prefix
MIN_PREFIX_CHARS = 2
MAX_TERMS = 400           # expanded terms in one query
MAX_PHRASE_WORDS = 16
#: How plain words combine: "coord" (OR, scores times a coordination factor, see
#: searchsvc.search.ranking; measured best by bench/ranking.py), "andboost" (OR plus
#: a boosted AND), "or" (plain OR).
DEFAULT_STRATEGY = "coord"
AND_BOOST = 2.0

#: Query-time weight of title matches, on top of the schema's index-time title boost
#: (so that a title match outranks an early mention in the body).
TITLE_BOOST = 2.0
#: Weight of a match on the word exactly as written (accents kept, unstemmed: the
#: spell field), added to the stemmed match (0: off). +0.01 MRR@10, bench/ranking.py.
EXACT_BOOST = 1.0

_FIELD_RE = re.compile(r"(\w+):(?=[^\s:])")
_OR_WORDS = {"OR", "OU", "||"}
_AND_WORDS = {"AND", "ET", "&&"}
_NOT_WORDS = {"NOT", "SAUF"}
_PREFIX_CLEAN_RE = re.compile(r"[^\w]+")


@dataclass
class Clause:
    """One searchable piece of the query."""

    kind: str                 # "word", "phrase" or "prefix"
    text: str
    field: str | None = None  # None: title and body
    negated: bool = False
    span: tuple[int, int] | None = None  # where a plain word sits in the query text


@dataclass
class ParsedQuery:
    """``units``: positive units, each a list of alternatives (OR); ``negatives``:
    excluded clauses; ``words``: the plain words with their spans (for suggestions)."""

    text: str
    units: list[list[Clause]] = field(default_factory=list)
    negatives: list[Clause] = field(default_factory=list)
    words: list[Clause] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.units and not self.negatives


def tokenize(text: str) -> list:
    """Clauses and the string ``"OR"`` for OR operators, in order."""
    items: list = []
    i, n = 0, len(text)
    pending_not = False
    while i < n and len(items) < 4 * MAX_CLAUSES:
        c = text[i]
        if c.isspace() or c in "()[]{}":
            i += 1
            continue
        negated = pending_not
        pending_not = False
        if c in "-+!":
            negated = negated or c in "-!"
            i += 1
            if i >= n or text[i].isspace():
                continue  # a lone "-" means nothing
        fieldname = None
        m = _FIELD_RE.match(text, i)
        if m and m.group(1).lower() in FIELD_ALIASES:
            fieldname = FIELD_ALIASES[m.group(1).lower()]
            i = m.end()
        if i < n and text[i] == '"':
            j = text.find('"', i + 1)
            if j < 0:
                j = n  # unbalanced quote: the phrase runs to the end
            phrase = text[i + 1 : j]
            i = j + 1
            if phrase.strip():
                items.append(Clause("phrase", phrase, fieldname, negated))
            continue
        number = NUMBER_RE.match(text, i)  # "50 000": one word, as in the documents
        j = number.end() if number else i
        while j < n and not text[j].isspace() and text[j] not in '"()[]{}':
            j += 1
        word = text[i:j]
        start = i
        i = j
        if not word:
            continue
        if fieldname is None and not negated:
            if word in _OR_WORDS:
                items.append("OR")
                continue
            if word in _AND_WORDS:
                continue
            if word in _NOT_WORDS:
                pending_not = True
                continue
        stem = word.rstrip("*")
        if word.endswith("*") and "*" not in stem and "?" not in stem:
            core = _PREFIX_CLEAN_RE.sub("", stem)
            if len(core) >= MIN_PREFIX_CHARS:
                items.append(Clause("prefix", stem, fieldname, negated))
                continue
        items.append(Clause("word", word, fieldname, negated, span=(start, j)))
    return items


def parse(text: str, synonyms=None) -> ParsedQuery:
    """Parse a query; never raises."""
    pq = ParsedQuery(text=text)
    items = _apply_synonyms(tokenize(text), synonyms) if synonyms else tokenize(text)
    join_next = False
    count = 0
    for item in items:
        if item == "OR":
            join_next = bool(pq.units)
            continue
        alternatives = item if isinstance(item, list) else [item]
        if count >= MAX_CLAUSES:
            break
        count += len(alternatives)
        first = alternatives[0]
        if first.negated:
            pq.negatives.extend(alternatives)
            join_next = False
            continue
        for clause in alternatives:
            if clause.kind == "word" and clause.field in (None, "title", "body") and clause.span:
                pq.words.append(clause)
        if join_next and pq.units:
            pq.units[-1].extend(alternatives)
        else:
            pq.units.append(list(alternatives))
        join_next = False
    return pq


def _apply_synonyms(items: list, synonyms) -> list:
    """Replace runs of plain words (and whole phrases) that name a synonym term by
    the list of the group's terms (alternatives)."""
    out: list = []
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, Clause) and item.field is None and item.kind == "phrase":
            words = item.text.split()
            m = synonyms.match(words, 0)
            if m and m[0] == len(words):
                out.append(_alternatives(m[1], item))
            else:
                out.append(item)
            i += 1
            continue
        if not (isinstance(item, Clause) and item.kind == "word" and item.field is None):
            out.append(item)
            i += 1
            continue
        # the run of plain words starting here
        j = i
        while (
            j < len(items)
            and isinstance(items[j], Clause)
            and items[j].kind == "word"
            and items[j].field is None
            and items[j].negated == item.negated
        ):
            j += 1
        run = items[i:j]
        words = [c.text for c in run]
        k = 0
        while k < len(run):
            m = synonyms.match(words, k)
            if m:
                n, group = m
                alt = _alternatives(group, run[k])
                if n == 1:
                    # keep the user's own word (and its span for suggestions) first
                    own = words_key(run[k].text)
                    alt = [run[k]] + [a for a in alt if words_key(a.text) != own]
                out.append(alt)
                k += n
            else:
                out.append(run[k])
                k += 1
        i = j
    return out


def _alternatives(group, like: Clause) -> list[Clause]:
    alts = []
    for term in group:
        kind = "phrase" if len(term.split()) > 1 or "-" in term or "'" in term else "word"
        alts.append(Clause(kind, term, None, like.negated))
    return alts


# Building Whoosh queries ------------------------------------------------------


@dataclass
class Built:
    """The Whoosh query (None: no positive terms), and the analysed terms to
    highlight in each field."""

    query: wq.Query | None
    highlight: dict[str, set[str]] = field(default_factory=dict)
    listing: bool = False  # no positive clause: list documents (newest first)
    units: list[wq.Query] = field(default_factory=list)  # positive units (for coordination)
    negative: wq.Query | None = None  # what is excluded


def _analyze(schema, fieldname: str, text: str) -> list[tuple[str, int]]:
    analyzer = schema[fieldname].analyzer
    out = []
    for t in analyzer(text, positions=True, mode="query"):
        if t.text:
            out.append((t.text, t.pos))
        if len(out) >= MAX_PHRASE_WORDS:
            break
    return out


class _Budget:
    def __init__(self, n: int):
        self.left = n

    def take(self, n: int = 1) -> bool:
        if self.left < n:
            return False
        self.left -= n
        return True


def _expand_prefix(reader, fieldname: str, prefix: str) -> list[str]:
    terms = []
    try:
        for i, t in enumerate(reader.expand_prefix(fieldname, prefix)):
            if i >= MAX_PREFIX_SCAN:
                break
            terms.append(t.decode("utf-8") if isinstance(t, bytes) else t)
    except (KeyError, ValueError, UnicodeError):
        return []
    if len(terms) > MAX_PREFIX_TERMS:
        terms.sort(key=lambda t: -reader.doc_frequency(fieldname, t))
        terms = terms[:MAX_PREFIX_TERMS]
    return terms


def prefix_terms(schema, reader, fieldname: str, text: str) -> list[str]:
    """The index terms of ``fieldname`` that a prefix query ``text*`` searches.

    The field holds stems ("munit") while users type the start of words
    ("munitions*", "mobilisatio*"), so two sources are merged: the field's terms
    that start with the folded prefix ("munit*", "coré*"), and the analysed forms
    of the unstemmed, accented words of the ``spell`` vocabulary that start with
    the prefix ("munitions" -> "munit", "mobilisatio" -> "mobilisation" ->
    "mobilis"; like any word query, the stem also matches the word's other forms).
    At most :data:`MAX_PREFIX_TERMS` terms, the most frequent first when there are
    more; when neither finds a term, the prefix's own analysed form.
    """
    found: dict[str, None] = {}
    prefix = _PREFIX_CLEAN_RE.sub("", fold(text).lower())
    found.update(dict.fromkeys(_expand_prefix(reader, fieldname, prefix)))
    if fieldname in DEFAULT_FIELDS and "spell" in schema:
        word = [t for t, _ in _analyze(schema, "spell", text)]
        if len(word) == 1 and len(word[0]) >= MIN_PREFIX_CHARS:
            for w in _expand_prefix(reader, "spell", word[0]):
                forms = _analyze(schema, fieldname, w)
                if len(forms) == 1:
                    found[forms[0][0]] = None
    terms = [t for t in found if _doc_frequency(reader, fieldname, t) > 0]
    if not terms:
        # no word starts with it as typed (e.g. "nucleaire*", accents left out, where
        # the vocabulary has "nucléaire"): search the prefix as a word. Only as a
        # fallback: the stem of a partial word can be shorter ("mobilis" -> "mobil").
        own = [t for t, _ in _analyze(schema, fieldname, text)]
        if len(own) == 1 and _doc_frequency(reader, fieldname, own[0]) > 0:
            terms = own
    if len(terms) > MAX_PREFIX_TERMS:
        terms.sort(key=lambda t: -_doc_frequency(reader, fieldname, t))
        terms = terms[:MAX_PREFIX_TERMS]
    return terms


def _doc_frequency(reader, fieldname: str, text: str) -> int:
    try:
        return reader.doc_frequency(fieldname, text)
    except (KeyError, ValueError, UnicodeError):
        return 0


def clause_query(clause: Clause, schema, reader, budget: _Budget, highlight) -> wq.Query | None:
    fields = [clause.field] if clause.field else list(DEFAULT_FIELDS)
    subs = []
    for fieldname in fields:
        if fieldname not in schema:
            continue
        if clause.kind == "prefix":
            terms = prefix_terms(schema, reader, fieldname, clause.text)
            for t in terms:
                if not budget.take():
                    break
                subs.append(wq.Term(fieldname, t))
                highlight.setdefault(fieldname, set()).add(t)
            continue
        toks = _analyze(schema, fieldname, clause.text)
        if not toks or not budget.take(len(toks)):
            continue
        highlight.setdefault(fieldname, set()).update(t for t, _ in toks)
        boost = TITLE_BOOST if fieldname == "title" else 1.0
        if len(toks) == 1:
            subs.append(wq.Term(fieldname, toks[0][0], boost=boost))
        else:
            gaps = [b[1] - a[1] for a, b in zip(toks, toks[1:])]
            slop = max(1, max(gaps)) if all(g >= 0 for g in gaps) else 1
            subs.append(wq.Phrase(fieldname, [t for t, _ in toks], slop=slop, boost=boost))
    if clause.kind == "word" and clause.field is None and EXACT_BOOST > 0 and "spell" in schema and subs:
        # the word exactly as written (accents kept, unstemmed) scores a little more
        exact = [t for t, _ in _analyze(schema, "spell", clause.text)]
        if len(exact) == 1 and budget.take():
            subs.append(wq.Term("spell", exact[0], boost=EXACT_BOOST))
    if not subs:
        return None
    q = subs[0] if len(subs) == 1 else wq.Or(subs)
    if clause.kind in ("word", "phrase"):
        q = accents.restrict(q, clause.text, schema, reader)  # words typed with accents
    return q


def build(pq: ParsedQuery, schema, reader, strategy: str = DEFAULT_STRATEGY) -> Built:
    """The Whoosh query for a parsed query, bounded in size."""
    budget = _Budget(MAX_TERMS)
    highlight: dict[str, set[str]] = {}
    units = []
    for unit in pq.units:
        alts = [q for q in (clause_query(c, schema, reader, budget, highlight) for c in unit) if q]
        if alts:
            units.append(alts[0] if len(alts) == 1 else wq.Or(alts))
    negs = [q for q in (clause_query(c, schema, reader, budget, {}) for c in pq.negatives) if q]
    negative = (wq.Or(negs) if len(negs) > 1 else negs[0]) if negs else None
    if not units:
        if pq.units:
            # words were given but none is searchable (only stop words): no match
            return Built(wq.NullQuery, highlight)
        if negative is None:
            return Built(None, highlight, listing=True)
        return Built(wq.AndNot(wq.Every(), negative), highlight, listing=True, negative=negative)
    if len(units) == 1:
        q = units[0]
    elif strategy == "andboost":
        q = wq.Or([wq.And(units, boost=AND_BOOST), wq.Or(units)])
    else:  # "coord" (factor applied by the collector) and "or"
        q = wq.Or(units)
    if negative is not None:
        q = wq.AndNot(q, negative)
    return Built(q, highlight, units=units, negative=negative)
