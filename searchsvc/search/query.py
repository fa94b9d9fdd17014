"""The query language, parsed by hand so that no input can make it raise.

Syntax: plain words; ``"quoted phrases"``; ``="phrase"`` / ``=word`` as written
(unstemmed, no synonyms: exact mode for one clause); ``-word`` / ``-"phrase"`` / ``NOT word``
to exclude; ``a OR b`` (also ``OU``); ``title:`` / ``titre:`` and ``source:``
prefixes (on a word or a phrase); ``munit*`` prefix search. Anything else is taken
as literal words (``date:[last week to now]`` searches "date", "last", ...).
Terms are analysed with the index schema's own field analyzers, so query analysis
always matches index analysis. A parsed query holds the content units (what a
document must contain, see :mod:`searchsvc.search.matching`), the ``title:`` /
``source:`` restrictions (always required) and the exclusions; each backend builds
its own query of it (:func:`searchsvc.backends.whoosh.query.build`,
:mod:`searchsvc.backends.opensearch.translate`) within the limits set here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


from searchsvc.analysis import NAME_WORDS, NUMBER_RE, WRITTEN_FIELDS, fold
from searchsvc.search.memo import remember
from searchsvc.synonyms import words_key

DEFAULT_FIELDS = ("title", "body")
FIELD_ALIASES = {
    "title": "title",
    "titre": "title",
    "source": "source",
    "body": "body",
    "texte": "body",
    "text": "body",
    # entity restrictions, resolved by searchsvc.backends.whoosh.entities (never searched as text)
    "personne": "person",
    "organisation": "org",
    "lieu": "place",
}
ENTITY_FIELDS = ("person", "org", "place")
MAX_CLAUSES = 32          # clauses beyond this are ignored
MAX_PREFIX_TERMS = 50     # a prefix expands to at most this many terms (the most frequent)
MAX_PREFIX_POSTINGS = 100_000  # ... and to at most this many postings (the first term always)
MAX_PREFIX_SCAN = 5000    # index terms looked at for one prefix, in each segment
PREFIX_CACHE_SIZE = 1024  # prefix expansions kept per index generation
PREFIX_SCORED_POSTINGS = 20_000  # larger expansions match with a constant score
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
_BARE_FIELD_RE = re.compile(r"(\w+):+(?=\s|$)")
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
    exact: bool = False       # ``="..."`` / ``=word``: matched as written (no stemming, no synonyms)


@dataclass
class ParsedQuery:
    """``units``: positive units, each a list of alternatives (OR); ``negatives``:
    excluded clauses; ``words``: the plain words with their spans (for suggestions)."""

    text: str
    units: list[list[Clause]] = field(default_factory=list)
    negatives: list[Clause] = field(default_factory=list)
    words: list[Clause] = field(default_factory=list)
    #: ``personne:``/``organisation:``/``lieu:`` restrictions: (kind, text, negated)
    entities: list[tuple[str, str, bool]] = field(default_factory=list)

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
        bare = _BARE_FIELD_RE.match(text, i)
        if bare and bare.group(1).lower() in FIELD_ALIASES:
            i = bare.end()  # "title:" with nothing after it restricts nothing
            continue
        m = _FIELD_RE.match(text, i)
        if m and m.group(1).lower() in FIELD_ALIASES:
            fieldname = FIELD_ALIASES[m.group(1).lower()]
            i = m.end()
        written = i + 1 < n and text[i] == "=" and not text[i + 1].isspace() and text[i + 1] != "="
        if written:
            i += 1  # ="gilets jaunes", =missile: as written
        if i < n and text[i] == '"':
            j = text.find('"', i + 1)
            if j < 0:
                j = n  # unbalanced quote: the phrase runs to the end
            phrase = text[i + 1 : j]
            i = j + 1
            if phrase.strip():
                items.append(Clause("phrase", phrase, fieldname, negated, exact=written))
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
        if fieldname is None and not negated and not written:
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
                items.append(Clause("prefix", stem, fieldname, negated, exact=written))
                continue
        items.append(Clause("word", word, fieldname, negated, span=(start, j), exact=written))
    return items


def is_heavy(text: str) -> bool:
    """Whether a query has a prefix clause (the kind whose cost grows with the index)."""
    return "*" in text and any(isinstance(c, Clause) and c.kind == "prefix" for c in tokenize(text))


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
        if first.field in ENTITY_FIELDS:
            pq.entities.extend((c.field, c.text, c.negated) for c in alternatives)
            join_next = False
            continue
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
        if isinstance(item, Clause) and item.exact:
            out.append(item)
            i += 1
            continue
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
            and not items[j].exact
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


def _analyze(schema, fieldname: str, text: str) -> list[tuple[str, int]]:
    analyzer = schema[fieldname].analyzer
    out = []
    for t in analyzer(text, positions=True, mode="query"):
        if t.text:
            out.append((t.text, t.pos))
        if len(out) >= MAX_PHRASE_WORDS:
            break
    return out


def _completions(reader, fieldname: str, prefix: str) -> list[tuple[str, int]]:
    """``(term, document frequency)`` of the field's terms that start with ``prefix``,
    most frequent first. Each segment is read on its own (merging the segments'
    term lists, or a frequency lookup per term, costs several times more)."""
    dfs: dict[str, int] = {}
    try:
        for leaf, _ in reader.leaf_readers():
            for i, (t, ti) in enumerate(leaf.iter_prefix(fieldname, prefix)):
                if i >= MAX_PREFIX_SCAN:
                    break
                t = t.decode("utf-8") if isinstance(t, bytes) else t
                dfs[t] = dfs.get(t, 0) + ti.doc_frequency()
    except (KeyError, ValueError, UnicodeError):
        return []
    return sorted(dfs.items(), key=lambda kv: (-kv[1], kv[0]))


def _most_frequent(completions: list[tuple[str, int]]) -> list[str]:
    """The most frequent completions first, at most :data:`MAX_PREFIX_TERMS` terms and
    (beyond the first) :data:`MAX_PREFIX_POSTINGS` postings in all."""
    out, postings = [], 0
    for t, df in completions:
        if len(out) >= MAX_PREFIX_TERMS or (out and postings + df > MAX_PREFIX_POSTINGS):
            break
        out.append(t)
        postings += df
    return out


def prefix_terms(schema, reader, fieldname: str, text: str, cache=None) -> list[str]:
    """The index terms of ``fieldname`` that a prefix query ``text*`` searches.

    The field holds stems ("munit") while users type the start of words
    ("munitions*", "mobilisatio*"), so two sources are merged: the field's terms
    that start with the folded prefix ("munit*", "coré*"), and, when these are fewer
    than :data:`MAX_PREFIX_TERMS`, the analysed forms of the unstemmed, accented
    words of the ``spell`` vocabulary that start with the prefix ("munitions" ->
    "munit", "mobilisatio" -> "mobilisation" -> "mobilis"; like any word query, the
    stem also matches the word's other forms). The most frequent completions come
    first (see :func:`_most_frequent`); when neither source finds a term, the
    prefix's own analysed form. ``cache``: a dict kept per index generation.
    """
    return prefix_expansion(schema, reader, fieldname, text, cache)[0]


def prefix_expansion(schema, reader, fieldname: str, text: str, cache=None) -> tuple[list[str], int, bool]:
    """``(terms, their postings, truncated)`` of :func:`prefix_terms`; ``truncated``:
    more completions exist than were kept."""
    key = (fieldname, text)
    if cache is not None and key in cache:
        return cache[key]
    prefix = _PREFIX_CLEAN_RE.sub("", fold(text).lower())
    found = dict(_completions(reader, fieldname, prefix)) if prefix else {}
    if len(found) < MAX_PREFIX_TERMS and fieldname in DEFAULT_FIELDS and "spell" in schema:
        word = [t for t, _ in _analyze(schema, "spell", text)]
        if len(word) == 1 and len(word[0]) >= MIN_PREFIX_CHARS:
            for w, _ in _completions(reader, "spell", word[0])[:4 * MAX_PREFIX_TERMS]:
                forms = _analyze(schema, fieldname, w)
                if len(forms) == 1 and forms[0][0] not in found:
                    found[forms[0][0]] = _doc_frequency(reader, fieldname, forms[0][0])
    ranked = sorted(((t, df) for t, df in found.items() if df > 0), key=lambda kv: (-kv[1], kv[0]))
    terms = _most_frequent(ranked)
    postings = sum(df for _, df in ranked[:len(terms)])
    if not terms:
        # no word starts with it as typed (e.g. "nucleaire*", accents left out, where
        # the vocabulary has "nucléaire"): search the prefix as a word. Only as a
        # fallback: the stem of a partial word can be shorter ("mobilis" -> "mobil").
        own = [t for t, _ in _analyze(schema, fieldname, text)]
        if len(own) == 1:
            df = _doc_frequency(reader, fieldname, own[0])
            if df > 0:
                terms, postings = own, df
    got = (terms, postings, len(ranked) > len(terms))
    return got if cache is None else remember(cache, key, got, PREFIX_CACHE_SIZE)


def _doc_frequency(reader, fieldname: str, text: str) -> int:
    try:
        return reader.doc_frequency(fieldname, text)
    except (KeyError, ValueError, UnicodeError):
        return 0


def searched_field(fieldname: str, exact: bool = False) -> str:
    """The index field a clause on ``fieldname`` reads: itself, or in exact mode its
    unstemmed twin (``body`` -> ``body_written``, see ``WRITTEN_FIELDS``)."""
    return WRITTEN_FIELDS.get(fieldname, fieldname) if exact else fieldname


RESTRICTING_FIELDS = ("title", "source")
#: the note of a query whose text has no searchable word ("((((", "OR", "-", "le la")
NOTHING_SEARCHABLE = ("La requête ne contient aucun mot à chercher (seulement des opérateurs, "
                      "de la ponctuation ou des mots trop courants comme « le » ou « de ») : "
                      "aucun article n'est compté.")


def name_marks(pq: ParsedQuery, schema, highlight: dict, phrases: dict, exact: bool = False) -> None:
    """Mark a word kept in the index only for names (:data:`~searchsvc.analysis.NAME_WORDS`:
    "un" of "Kim Jong Un") only where it is part of the name typed: its term leaves
    ``highlight``, and the run of plain words typed next to it ("Kim Jong Un"), and
    its pairs with each neighbour ("Jong Un"), become phrases. A name word typed
    alone stays a marked word. Counting is unchanged: only the marks."""
    words = [c for c in pq.words if c.field is None and c.span and (exact or not c.exact)]
    runs: list[list[Clause]] = []
    for c in words:
        if runs and pq.text[runs[-1][-1].span[1]:c.span[0]].isspace():
            runs[-1].append(c)
        else:
            runs.append([c])
    for run in runs:
        named = [i for i, c in enumerate(run) if fold(c.text.lower()) in NAME_WORDS]
        if not named or len(run) < 2:
            continue
        pieces = {(0, len(run))}
        for i in named:
            pieces.update({(max(0, i - 1), i + 1), (i, min(len(run), i + 2))})
        for logical in DEFAULT_FIELDS:
            fieldname = searched_field(logical, exact)
            if fieldname not in schema:
                continue
            for i in named:
                for t, _ in _analyze(schema, fieldname, run[i].text):
                    highlight.get(logical, set()).discard(t)
            for a, b in pieces:
                if b - a < 2:
                    continue
                toks = _analyze(schema, fieldname, pq.text[run[a].span[0]:run[b - 1].span[1]])
                if len(toks) > 1:
                    gaps = [y[1] - x[1] for x, y in zip(toks, toks[1:])]
                    slop = max(1, max(gaps)) if all(g >= 0 for g in gaps) else 1
                    phrases.setdefault(logical, set()).add((tuple(t for t, _ in toks), slop))
