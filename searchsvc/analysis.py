"""French analysis chain: one analyzer for indexing and for queries.

``french_analyzer()`` turns text into index terms:

1. one compiled regular expression finds the words of the *original* text,
   so that character offsets (used by the highlighter) point at the words
   as written; a word is a run of letters/digits (with combining accents),
   possibly joined by apostrophes (``aujourd'hui``); hyphens separate words
   (``nord-coréen`` -> ``nord`` ``coréen``, ``Kim Jong-un`` -> ``kim jong un``);
   a number written with thin, non-breaking or plain spaces as thousands
   separators (``100 000``) is one word;
2. apostrophes ’ ‘ ʼ ′ become ``'``; a leading elision (``l' d' qu' jusqu'``...)
   is removed, case-insensitively (``l’Ukraine`` -> ``ukraine``, its offsets
   then cover ``Ukraine`` only);
3. lower case, then accent and ligature folding (``Corée`` -> ``coree``,
   ``manœuvres`` -> ``manoeuvres``), *before* stop words and stemming, so
   that a query typed without accents finds the accented words;
4. the Snowball French stop list (``data/french_stopwords.txt``, accented and
   folded forms) and one-letter words are dropped; positions are renumbered
   over the words that remain, at index and query time alike, so a phrase
   with stop words in it (``"Kim Jong Un"``, ``"chef de l'État"``) matches;
5. French Snowball stemming through PyStemmer, except for the words of
   ``data/analysis_protected.txt`` (``France`` must not become ``franc``)
   and words with digits.

Steps 2-5 depend only on the word, so their result is cached per distinct
word form: after the first few documents almost every word is a dict hit,
and the per-word cost is the regex match, one dict lookup and the token
update (one reused ``Token`` object, as Whoosh's own tokenizers do).

``spelling_analyzer()`` keeps the words as a French reader writes them
(lower case, accents and ligatures kept, NFC), without stop words or
stemming: the vocabulary for "did you mean" suggestions.

Accents: folding before stemming makes "côte" and "côté", "pêche" and
"péché", "thé" and "The" one term. ``form_terms()`` gives, for each distinct
word of a text that carries an accent or a capital ("côté", "Etat",
"ETATS-UNIS", "The"), a term ``<index term>|<mark><word as written>``: the
``forms`` field of the index holds them, so that a query word typed *with*
accents can leave out the documents whose forms of its term all disagree
with its accents (:func:`accents_compatible`; see
:mod:`searchsvc.search.accents`), while a word typed without accents keeps
matching every form. A French document without a single accented letter gets
:data:`NOACCENT` instead: its spellings never disagree.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from importlib import resources
from pathlib import Path

import Stemmer
from whoosh.analysis import Token, Tokenizer

__all__ = [
    "NOACCENT",
    "NAME_WORDS",
    "NUMBER_RE",
    "WRITTEN_FIELDS",
    "FrenchTokenizer",
    "accent_form",
    "accents_compatible",
    "form_term",
    "form_terms",
    "analyze",
    "fingerprint",
    "fold",
    "french_analyzer",
    "normalize_apostrophes",
    "normalize_query",
    "spelling_analyzer",
    "written_analyzer",
]

#: Apostrophe look-alikes normalised to ASCII ``'`` (U+2019, U+2018, U+02BC, U+2032).
APOSTROPHES = "'\u2019\u2018\u02bc\u2032"
#: Words whose final apostrophe marks an elision removed from the next word.
ELISIONS = frozenset("l m t qu n s j d c jusqu quoiqu lorsqu puisqu".split())
#: Characters accepted as thousands separators inside a number.
THOUSANDS_SEPARATORS = " \u00a0\u202f\u2009\u2007"
#: Longer "words" (base64, hashes, garbage) are not indexed.
MAX_WORD_LENGTH = 80
#: The word cache is cleared when it grows past this many entries.
MAX_CACHE_SIZE = 400_000

_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_WORDCHAR = rf"[\w{_MARKS}]"
_NUMBER = (
    rf"(?<![\w{_MARKS}])\d{{1,3}}(?:"
    + "|".join(rf"(?:{sep}\d{{3}})+" for sep in THOUSANDS_SEPARATORS)
    + rf")(?![\w{_MARKS}])"
)
_WORD = rf"{_WORDCHAR}+(?:[{APOSTROPHES}]{_WORDCHAR}+)*"
#: The tokenizer: a number grouped by one kind of separator (``100 000``,
#: ``1\u202f000\u202f000``), or a word with inner apostrophes.
TOKEN_RE = re.compile(rf"{_NUMBER}|{_WORD}")
#: A number grouped by spaces of one kind ("50 000", "1\u202f000\u202f000"): one word.
NUMBER_RE = _NUMBER_RE = re.compile(_NUMBER)
_SEPARATORS_TABLE = {ord(c): None for c in THOUSANDS_SEPARATORS}
_APOSTROPHE_TABLE = {ord(c): "'" for c in APOSTROPHES[1:]}


def _build_fold_table() -> dict[int, str]:
    table = {}
    # Latin-1 Supplement, Latin Extended-A and -B: the decomposable letters.
    for code in range(0x00C0, 0x0250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base and base != char and base.isascii():
            table[code] = base
    extra = {
        "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ẞ": "SS",
        "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i",
        "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH",
        "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
        "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st",
    }
    table.update({ord(k): v for k, v in extra.items()})
    table.update(_APOSTROPHE_TABLE)
    return table


_FOLD_TABLE = _build_fold_table()


def fold(text: str) -> str:
    """Accent and ligature folding, case kept: ``"Corée manœuvres"`` -> ``"Coree manoeuvres"``.

    Latin letters go through a ``str.translate`` table; only what is still
    non-ASCII afterwards is decomposed (NFKD), stripped of its combining
    marks and recomposed (NFC), so other scripts are kept readable.
    Apostrophe look-alikes become ``'``.
    """
    text = text.translate(_FOLD_TABLE)
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", text).translate(_FOLD_TABLE)


def normalize_apostrophes(text: str) -> str:
    """Replace the apostrophe look-alikes ’ ‘ ʼ ′ by ``'`` (same length)."""
    return text.translate(_APOSTROPHE_TABLE)


def normalize_query(text: str) -> str:
    """Prepare a raw query string for Whoosh's ``QueryParser``.

    The parser splits a query on spaces *before* analysis, so a number typed
    as ``100 000`` would become two words; this joins such numbers
    (``100000``) and normalises apostrophes. Everything else is unchanged.
    """
    text = normalize_apostrophes(text)
    return _NUMBER_RE.sub(lambda m: m.group().translate(_SEPARATORS_TABLE), text)


#: ``forms`` term of a French document written without any accented letter.
NOACCENT = "~"
#: Letters that carry accents in French: an unaccented capital of one of them
#: may have lost its accent ("Etat" for "État").
_ACCENTABLE = frozenset("aeiouyc")
_LIGATURES = {ord("œ"): "oe", ord("æ"): "ae", ord("ß"): "ss"}
_ACCENTED_RE = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u017f]")


def accent_form(word: str) -> str:
    """A word as written, for accent comparisons: lower case, NFC, ligatures
    expanded (``œ`` is no accent), prefixed by ``*`` when it is in capitals (its
    accents may all have been dropped) or ``^`` when it starts with a capital
    (which may have lost its accent: "Etat"); ``""`` for a word in lower case
    without any accent."""
    lw = unicodedata.normalize("NFC", word.lower()).translate(_LIGATURES)
    plain = fold(lw) == lw
    if len(word) > 1 and word.isupper():
        mark = "*"
    elif word[0].isupper():
        mark = "^"
    elif plain:
        return ""
    else:
        mark = ""
    return mark + lw


def accents_compatible(query: str, form: str) -> bool:
    """Whether a document word (its :func:`accent_form`) agrees with the accents
    of a query word (its :func:`accent_form`, or the lower-cased word).

    Letters are compared up to the shorter word (inflections differ at the end);
    where the same letter carries different accents they disagree ("côte" /
    "côté", "pêche" / "péché", "thé" / "the"), unless the unaccented one is a
    capital that may have lost its accent (a ``^`` form's first letter, any
    letter of a ``*`` form, on either side)."""
    qmark = query[:1] if query[:1] in ("^", "*") else ""
    fmark = form[:1] if form[:1] in ("^", "*") else ""
    q, f = query[len(qmark):], form[len(fmark):]
    for i, (a, b) in enumerate(zip(q, f)):
        if a == b:
            continue
        fa, fb = fold(a), fold(b)
        if fa != fb:
            return True  # the words part here (an inflection): nothing more to compare
        if (a == fa and (qmark == "*" or (qmark == "^" and i == 0))) or (
            b == fb and (fmark == "*" or (fmark == "^" and i == 0))
        ):
            continue
        return False
    return True


def form_terms(text: str, lang: str | None = "fr") -> list[str]:
    """The distinct ``forms`` terms of a text (see the module docs): one per
    distinct accented or capitalised word form, or ``[NOACCENT]`` for a French
    text of at least 200 characters without a single accented letter."""
    if not text:
        return []
    if lang in (None, "fr") and len(text) >= 200 and _ACCENTED_RE.search(text) is None:
        return [NOACCENT]
    cache = _FORM_CACHE
    out: dict[str, None] = {}
    for word in dict.fromkeys(TOKEN_RE.findall(text)):
        term = cache.get(word)
        if term is None:
            term = cache[word] = form_term(word)
            if len(cache) >= MAX_CACHE_SIZE:
                cache.clear()
        if term:
            out[term] = None
    return list(out)


def form_term(word: str) -> str:
    """``<index term>|<accent form>`` of one raw word, ``""`` when it has no
    accent form (or is a stop word, a number)."""
    number, bare, _ = _word_start(word)
    if bare is None or not bare or any(c.isdigit() for c in bare):
        return ""
    form = accent_form(bare)
    if not form:
        return ""
    term = _search_term(bare, True, True)[0]
    return f"{term}|{form}" if term else ""


_FORM_CACHE: dict[str, str] = {}


def _read_words(name: str) -> list[str]:
    data = resources.files("searchsvc").joinpath("data", name).read_text("utf-8")
    words = []
    for line in data.splitlines():
        words.extend(line.split("|", 1)[0].split())
    return words


def _read_protected(name: str) -> dict[str, str]:
    """``word [term]`` lines: the folded word is indexed as ``term`` (default: itself)."""
    data = resources.files("searchsvc").joinpath("data", name).read_text("utf-8")
    protected = {}
    for line in data.splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            word = fold(fields[0].lower())
            protected[word] = fold(fields[1].lower()) if len(fields) > 1 else word
    return protected


STOP_WORDS = frozenset(fold(w.lower()) for w in _read_words("french_stopwords.txt"))
#: Words left out of the stop list only because they are parts of names ("un" of
#: "Kim Jong Un", see data/french_stopwords.txt): the snippets and the concordance mark
#: them only inside the name typed (searchsvc.search.query.name_marks).
NAME_WORDS = frozenset({"un"})
#: Folded word -> index term, bypassing the stemmer: the hand-made list
#: (``data/analysis_protected.txt``) over the generated proper nouns
#: (``data/analysis_proper_nouns.txt``, see bench/collisions.py).
PROTECTED = {**_read_protected("analysis_proper_nouns.txt"), **_read_protected("analysis_protected.txt")}

_stemmer = Stemmer.Stemmer("french")
_stemmer.maxCacheSize = 0  # our own cache holds the whole word -> term mapping
_stem_word = _stemmer.stemWord

# Per-flavour caches: raw word form -> (term or None if stopped, offset of
# the term's first character in the word, i.e. the length of the elision),
# for offsets (highlighting, queries); and raw word form -> term or "" if
# stopped, for the indexing path. Each is cleared past MAX_CACHE_SIZE entries
# (the 33,930 news-fr articles have 171,388 word forms: about 25 MB a flavour).
_CACHES: dict[tuple, tuple[dict[str, tuple], dict[str, str]]] = {}


def _split_elision(word: str) -> tuple[str, int]:
    """``"l'Ukraine"`` -> (``"Ukraine"``, 2); words without a listed elision are unchanged.

    Elisions are removed one after the other (``qu'aujourd'hui`` keeps
    ``aujourd'hui``), so any part of a word analyses like the word does.
    """
    offset = 0
    cut = word.find("'")
    while cut > 0 and word[offset:cut].lower() in ELISIONS:
        offset = cut + 1
        cut = word.find("'", offset)
    return word[offset:], offset


def _word_start(word: str) -> tuple[str | None, str | None, int]:
    """The steps both flavours share: ``(number, None, 0)`` for a grouped number
    ("100 000" -> "100000"), else ``(None, word without its elision, offset)``;
    ``(None, None, 0)`` for an over-long word."""
    if len(word) > MAX_WORD_LENGTH:
        return (None, None, 0)
    word = normalize_apostrophes(word)
    if word[0].isdigit() and not word.isdigit():
        # A grouped number ("100 000") or a word starting with a digit ("2e").
        digits = word.translate(_SEPARATORS_TABLE)
        if digits.isdigit():
            return (digits, None, 0)
    word, offset = _split_elision(word)
    return (None, word, offset)


def _search_term(word: str, stem: bool, stop: bool) -> tuple:
    """The term for one raw word of the French analyzer, and its start offset."""
    number, word, offset = _word_start(word)
    if word is None:
        return (number, offset)
    term = fold(word.lower())
    if stop and (term in STOP_WORDS or (len(term) < 2 and not term.isdigit())):
        return (None, offset)
    if stem:
        protected = PROTECTED.get(term)
        if protected is not None:
            term = protected
        elif term.isalpha() and "'" not in term:
            term = _stem_word(term)
    return (term or None, offset)


def _spelling_term(word: str, stem: bool, stop: bool) -> tuple:
    """The term for one raw word of the spelling analyzer: accents kept."""
    number, word, offset = _word_start(word)
    if word is None:
        return (number, offset)
    term = unicodedata.normalize("NFC", word.lower())
    if stop and len(term) < 2 and not term.isdigit():
        return (None, offset)
    return (term or None, offset)


class FrenchTokenizer(Tokenizer):
    """The whole French chain in one Whoosh tokenizer (usable as an analyzer).

    ``flavour`` is ``"search"`` (folded, stop words, stemmed: the index and
    query terms) or ``"spelling"`` (accented, unstemmed words). Instances
    hold only these settings, so they pickle small into the index schema.
    """

    def __init__(self, flavour: str = "search", stem: bool = True, stop: bool = True):
        if flavour not in ("search", "spelling"):
            raise ValueError(f"unknown analysis flavour: {flavour!r}")
        self.flavour = flavour
        self.stem = bool(stem) and flavour == "search"
        self.stop = bool(stop)
        self.is_morph = self.stem

    def __eq__(self, other):
        return (
            other is not None
            and self.__class__ is other.__class__
            and self.__dict__ == other.__dict__
        )

    def __hash__(self):
        return hash((self.__class__, self.flavour, self.stem, self.stop))

    def single_term(self, value: str) -> str:
        """The term for an untokenized value (prefix, wildcard, range ends).

        Normalised like a word (apostrophes, case, accents for the search
        flavour) but neither split nor stemmed: a prefix is a word's
        beginning, and stemming it would widen it (``coré*`` must not become
        ``cor*``). Prefixes therefore reach the stemmed terms they begin
        (``munit*`` finds "munitions", ``coré*`` finds "Corée").
        """
        value = normalize_apostrophes(value).lower()
        if self.flavour == "spelling":
            return unicodedata.normalize("NFC", value)
        return fold(value)

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        no_morph=False,
        **kwargs,
    ):
        if not isinstance(value, str):
            raise TypeError(f"{value!r} is not a str")
        token = Token(positions, chars, removestops=removestops, mode=mode)
        if not tokenize:
            token.text = self.single_term(value)
            token.original = value
            token.stopped = False
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return

        stem = self.stem and not no_morph
        key = (self.flavour, stem, self.stop)
        caches = _CACHES.get(key)
        if caches is None:
            caches = _CACHES[key] = ({}, {})
        entries, terms_cache = caches
        make_term = _search_term if self.flavour == "search" else _spelling_term
        stop = self.stop
        token.boost = 1.0
        token.stopped = False

        if removestops and not chars and not keeporiginal:
            # The indexing path: whole-document list operations, then only
            # the token updates in the Python loop.
            words = TOKEN_RE.findall(value)
            terms = list(map(terms_cache.get, words))
            if None in terms:
                for i, term in enumerate(terms):
                    if term is None:
                        word = words[i]
                        term = terms_cache[word] = make_term(word, stem, stop)[0] or ""
                        terms[i] = term
                if len(terms_cache) >= MAX_CACHE_SIZE:
                    terms_cache.clear()
            if positions:
                for pos, term in enumerate(filter(None, terms), start_pos):
                    token.text = term
                    token.pos = pos
                    yield token
            else:
                for term in filter(None, terms):
                    token.text = term
                    yield token
            return

        pos = start_pos
        for match in TOKEN_RE.finditer(value):
            word = match.group()
            entry = entries.get(word)
            if entry is None:
                entry = _lookup(word, entries, make_term, stem, stop)
            term, offset = entry
            if term is None:
                if removestops:
                    continue
                token.stopped = True
                token.text = ""
                if positions:
                    token.pos = pos
            else:
                token.stopped = False
                token.text = term
                if positions:
                    token.pos = pos
                    pos += 1
            if keeporiginal:
                token.original = word[offset:]
            if chars:
                token.startchar = start_char + match.start() + offset
                token.endchar = start_char + match.end()
            yield token


def _lookup(word, entries, make_term, stem, stop) -> tuple:
    """Analyse one word form and remember it in its flavour's offsets cache."""
    entry = make_term(word, stem, stop)
    if len(entries) >= MAX_CACHE_SIZE:
        entries.clear()
    entries[word] = entry
    return entry


def french_analyzer() -> FrenchTokenizer:
    """The analyzer of every French text field, for indexing and for queries."""
    return FrenchTokenizer("search")


def spelling_analyzer() -> FrenchTokenizer:
    """Lower-cased, accented, unstemmed words (one-letter words dropped): suggestions' vocabulary."""
    return FrenchTokenizer("spelling", stem=False, stop=True)


#: The index fields holding the words as written (:func:`written_analyzer`), by the
#: field whose text they index (exact mode, :mod:`searchsvc.search.query`).
WRITTEN_FIELDS = {"title": "title_written", "body": "body_written", "source": "source_written"}


def written_analyzer() -> FrenchTokenizer:
    """The words as written, for exact mode: the French chain without stemming
    (elisions removed, lower case, accents and ligatures folded, the same stop words
    dropped and positions renumbered as :func:`french_analyzer`), so that "missile"
    and "missiles", "gilet jaune" and "gilets jaunes" are different terms while a
    query typed without accents still finds the accented words."""
    return FrenchTokenizer("search", stem=False, stop=True)


_DEFAULT = FrenchTokenizer("search")


def analyze(text: str, analyzer: FrenchTokenizer | None = None) -> list[str]:
    """The terms of ``text`` (for tests and other modules): ``analyze("l’Ukraine")`` -> ``["ukrain"]``."""
    analyzer = analyzer or _DEFAULT
    return [t.text for t in analyzer(text)]


def _digest(files) -> str:
    h = hashlib.blake2b(digest_size=12)
    h.update(f"pystemmer-{Stemmer.version()}".encode())
    for path in files:
        h.update(Path(path).name.encode() + b"\0" + Path(path).read_bytes())
    return h.hexdigest()


def fingerprint() -> str:
    """Identifies the analysis: this module's code, its data files and PyStemmer's version.

    An index built under another fingerprint has other terms: rebuild it.
    """
    here = Path(__file__).resolve()
    data = here.parent / "data"
    files = [here, data / "french_stopwords.txt", *sorted(data.glob("analysis_*"))]
    return _digest(files)
