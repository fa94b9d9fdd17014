"""Named entities (people, organisations, places) of an article, at index time.

spaCy's French model :data:`MODEL` runs with only ``ner`` (its own tok2vec; the
rest of the pipeline is never loaded; :mod:`searchsvc.enrich.models`), once per worker
process, over a worker's whole chunk of articles (``nlp.pipe``), on the sentences of the
title and the cleaned text that may hold a name (:mod:`searchsvc.enrich.nerinput`).
Its raw spans are cached by content hash in ``<index>/entities-cache.sqlite`` (beside
the generations, so a full rebuild or a new generation never runs the model again on an
unchanged article; the key names the model, its version and :data:`PIPELINE_VERSION`). The spans
are then cleaned (:func:`clean`): cut at line breaks, elisions, articles and
punctuation stripped, common words and demonyms dropped, a surname or a short
form joined to the full name used in the same article, one form per entity.
What is stored is this *raw* list; aliases and exclusions (``entities.txt``) and
the corpus-wide canonical forms are applied at query time
(:mod:`searchsvc.backends.whoosh.entities`).

Contract:
    enabled() -> bool                                  # SEARCHSVC_NER=0 turns it off
    extract(article, cache=None) -> {"person": [...], "org": [...], "place": [...]}
    Enricher(index_dir).fields(article) -> dict       # the index fields (in the workers)
    entity_key(name, synonyms=None) -> tuple[str, ...] # how names are compared
    fingerprint() -> str                              # part of the indexer's
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
from pathlib import Path

from searchsvc.analysis import fold
from searchsvc.enrich import orgs

#: measured on who-dev (bench/who_quality.py): md's NER gives entity F1 0.829 against sm's
#: 0.799 (places 0.838 / 0.800, organisations 0.745 / 0.722, persons 0.915 / 0.884) for about
#: 7 % more CPU (20.9 against 19.8 ms per 400 words, alternating runs in one process)
MODEL = "fr_core_news_md"
#: the pipes kept (everything else is excluded at load time): the French models' ``ner``
#: has its own tok2vec, the shared ``tok2vec`` only feeds the parser and tagger (same
#: spans without it, about 30 % less CPU)
PIPES = ("ner",)
#: said wherever entities or quotes would be shown, on an index built with --no-entities
NOTE_OFF = ("Les entités (personnes, organisations, lieux) et les citations n'ont pas été extraites "
            "pour cet index (construit avec --no-entities). Pour les obtenir : "
            "searchsvc reindex --full, sans --no-entities.")
#: Bump when :func:`clean` changes (the raw spaCy spans in the cache stay valid).
CLEAN_VERSION = 10
#: Bump when what the models read or how they run changes (what NER reads, the parser's
#: model): part of the cache keys of spans and subjects, and of :func:`fingerprint`.
PIPELINE_VERSION = 3
CACHE_NAME = "entities-cache.sqlite"
KINDS = ("person", "org", "place")
_LABELS = {"PER": "person", "ORG": "org", "LOC": "place", "MISC": "org"}
#: a MISC span is kept (as an organisation: media, brands, parties the model could not
#: place) only when it looks like a proper name: capitalised words and particles only
_MISC_OK = re.compile(r"^(?:[A-ZÀ-Ý0-9][\w'’.&+-]*)(?:\s+(?:(?:de|du|des|d['’]|la|le|les|l['’]|et|&)\s*)?"
                      r"[A-ZÀ-Ý0-9][\w'’.&+-]*)*$")
#: texts longer than this are cut before NER (bounded time for a giant article)
MAX_CHARS = 100_000
#: texts given to ``nlp.pipe`` at a time (a worker's chunk of files is one batch at most):
#: measured on news-fr, 16-64 cost about 22 % less CPU than one ``nlp(text)`` a text,
#: 256 no less; the spans are the same
BATCH = 32

_ELISION = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu)['’ʼ‘]\s*", re.I)
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
_DASH_SPLIT = re.compile(r"\s+[-–—]\s+")
_WORD = re.compile(r"\w+")
#: plural demonyms taken as places or organisations ("Ukrainiens", "Occidentaux", "Russes")
_DEMONYM = re.compile(r"(?:iens|iennes|ains|aines|ais|aises|ois|oises|ques|aux|sses|ens)$")
#: lower-case words an organisation's name may start with
_ORG_HEADS = {"ministère", "ministere", "conseil", "commission", "gouvernement", "parlement",
              "armée", "armee", "agence", "banque", "cour", "tribunal", "parti", "groupe",
              "institut", "comité", "comite", "assemblée", "assemblee", "sénat", "senat",
              "fonds", "organisation", "office", "université", "universite", "académie"}
#: leading words that are not part of a name
_LEADING = {"le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "au", "aux", "pays",
            "selon", "i"}
#: single words of _ORG_HEADS that name one institution ("le Sénat")
_ONE_INSTITUTION = {"sénat", "senat"}
_SHORT_OK = {"UE", "US", "UK", "G7", "G8", "G20", "PS", "FN", "RN", "PC"}
_DAYS_MONTHS = set("lundi mardi mercredi jeudi vendredi samedi dimanche janvier février fevrier "
                   "mars avril mai juin juillet août aout septembre octobre novembre décembre "
                   "decembre".split())
#: civilities before a person's name ("M. Macron" is Macron)
_CIVILITIES = {"m.", "mme", "mme.", "mlle", "me", "dr", "dr.", "pr", "pr.", "mr", "mr.", "mrs", "ms"}
#: lower-case words inside a person's name ("Charles de Gaulle", "Jean-Marie Le Pen")
_PARTICLES = {"de", "du", "des", "d", "la", "le", "van", "von", "der", "den", "di", "da", "dos", "bin",
              "ben", "al", "el", "y", "e"}
#: articles a longer name may start with, so that "Guardian" joins "The Guardian"
_NAME_ARTICLES = {"the", "le", "la", "les", "l"}

_lock = threading.Lock()
_nlp = None
_default_synonyms = None


def enabled() -> bool:
    """Whether reindexing runs NER (``SEARCHSVC_NER=0`` or ``reindex --no-entities``: off)."""
    return os.environ.get("SEARCHSVC_NER", "1").strip().lower() not in ("0", "off", "non", "no")


def model_name() -> str:
    """The spaCy package used: :data:`MODEL`, or ``SEARCHSVC_NER_MODEL`` (benchmarks)."""
    return os.environ.get("SEARCHSVC_NER_MODEL", "").strip() or MODEL


def model_version(name: str | None = None) -> str:
    """The installed version of the spaCy package ``name`` (default :func:`model_name`)."""
    try:
        from importlib.metadata import version

        return version((name or model_name()).replace("_", "-"))
    except Exception:  # pragma: no cover - model missing
        return "absent"


def fingerprint() -> str:
    """Part of the indexer's fingerprint: switching NER, the parser or the cleaning rebuilds fully."""
    from searchsvc.enrich import speakers

    return (f"ner-{model_name()}-{model_version()}-{CLEAN_VERSION}-{speakers.parser_name()}-"
            f"{speakers.VERSION}-{PIPELINE_VERSION}" if enabled() else "ner-off")


def nlp():
    """The spaCy pipeline (:data:`PIPES` only), loaded once per process."""
    global _nlp
    with _lock:
        if _nlp is None:
            from searchsvc.enrich import models

            _nlp = models.load(model_name(), PIPES)
        return _nlp


def _synonyms():
    global _default_synonyms
    if _default_synonyms is None:
        from searchsvc.synonyms import load_synonyms

        _default_synonyms = load_synonyms()
    return _default_synonyms


# ---------------------------------------------------------------- keys


def entity_key(name: str, synonyms=None) -> tuple[str, ...]:
    """Accent-folded lower-case words of ``name``, hyphens as spaces, each word (and
    the whole name) replaced by its synonym group's first term: "Kim Jong-un" = "Kim
    Jong Un", "Choïgou" = "Choïgu", "RPDC" = "Corée du Nord"."""
    from searchsvc.synonyms import words_key

    syn = synonyms if synonyms is not None else _synonyms()
    words = list(words_key(name))
    if not words:
        return ()
    whole = syn.match(words, 0) if words else None
    if whole and whole[0] == len(words):
        return words_key(whole[1][0])
    out: list[str] = []
    for w in words:
        m = syn.match([w], 0)
        out.extend(words_key(m[1][0]) if m and m[0] == 1 else (w,))
    return tuple(out)


# ---------------------------------------------------------------- cache


class Cache:
    """Raw spaCy spans by content hash, in one SQLite file shared by the worker
    processes and kept across generations. Any error makes it a no-op (it is a cache)."""

    def __init__(self, index_dir):
        self.path = Path(index_dir) / CACHE_NAME
        self.db = None
        try:
            Path(index_dir).mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=OFF")
            self.db.execute("CREATE TABLE IF NOT EXISTS spans (key TEXT PRIMARY KEY, spans TEXT)")
        except sqlite3.Error:
            self.db = None

    def get(self, key: str):
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT spans FROM spans WHERE key = ?", (key,)).fetchone()
            return json.loads(row[0]) if row else None
        except (sqlite3.Error, ValueError):
            return None

    def put(self, key: str, spans) -> None:
        if self.db is None:
            return
        try:
            self.db.execute("INSERT OR REPLACE INTO spans VALUES (?, ?)", (key, json.dumps(spans)))
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


def ner_text(article) -> str:
    """What NER reads: the title, a blank line, the cleaned text."""
    return "\n\n".join(p for p in (article.title, article.text) if p)[:MAX_CHARS]


def _key(text: str) -> str:
    return hashlib.blake2b(f"{model_name()}-{_version()}-{PIPELINE_VERSION}\x00{text}".encode("utf-8"),
                           digest_size=16).hexdigest()


_model_version = None


def _version() -> str:
    global _model_version
    if _model_version is None:
        _model_version = model_version()
    return _model_version


def _spans(doc, segs) -> list[list]:
    """The entities of ``doc`` (what the model read of a text), as offsets in the text."""
    from searchsvc.enrich import nerinput

    return nerinput.to_text([[e.start_char, e.end_char, e.label_] for e in doc.ents], segs)


def _read(texts):
    """The spans of each of ``texts``, in order: ``nlp.pipe`` in :data:`BATCH` batches over
    what :func:`searchsvc.enrich.nerinput.joined` keeps of them."""
    from searchsvc.enrich import nerinput

    inputs = [nerinput.joined(t) for t in texts]
    docs = nlp().pipe((j for j, _ in inputs), batch_size=BATCH)
    for (_, segs), doc in zip(inputs, docs):
        yield _spans(doc, segs)


def raw_spans(text: str, cache: Cache | None = None, ready: dict | None = None) -> list[list]:
    """``[[start, end, label]]`` of spaCy's entities in ``text`` (cached by its hash;
    ``ready``: spans already computed by :func:`raw_spans_many`, by key)."""
    key = _key(text)
    got = ready.get(key) if ready else None
    if got is None and cache is not None:
        got = cache.get(key)
    if got is not None:
        return got
    spans = next(_read([text]))
    if cache is not None:
        cache.put(key, spans)
    return spans


def _syntax_key(text: str) -> str:
    from searchsvc.enrich import speakers

    name = speakers.parser_name()
    return "syn-" + hashlib.blake2b(
        f"{name}-{_parser_version(name)}-{speakers.VERSION}-{PIPELINE_VERSION}\x00{text}".encode("utf-8"),
        digest_size=16).hexdigest()


_parser_versions: dict[str, str] = {}


def _parser_version(name: str) -> str:
    if name not in _parser_versions:
        _parser_versions[name] = model_version(name)
    return _parser_versions[name]


def _split_cached(texts, key_fn, cache: Cache | None) -> tuple[dict, dict]:
    """``(found, todo)``: by key, what ``cache`` holds for ``texts`` and the texts it lacks."""
    out: dict[str, list] = {}
    todo: dict[str, str] = {}
    for text in texts:
        key = key_fn(text)
        if key in out or key in todo:
            continue
        got = cache.get(key) if cache is not None else None
        if got is not None:
            out[key] = got
        else:
            todo[key] = text
    return out, todo


def syntax_many(texts, cache: Cache | None = None) -> dict[str, list]:
    """The speakers' syntax (:func:`searchsvc.enrich.speakers.analyse_many`) of every text
    of ``texts`` by :func:`_syntax_key`: cached ones read, the others parsed at once."""
    from searchsvc.enrich import quotes, speakers

    out, todo = _split_cached(texts, _syntax_key, cache)
    items = {key: (text, quotes.spans(text)) for key, text in todo.items()}
    parse = {key: item for key, item in items.items() if item[1]}
    got = dict.fromkeys(items, [])
    if parse:
        got.update(zip(parse, speakers.analyse_many(list(parse.values()), speakers.parser())))
    for key, subjects in got.items():
        out[key] = subjects
        if cache is not None:
            cache.put(key, subjects)
    return out


def raw_spans_many(texts, cache: Cache | None = None) -> dict[str, list]:
    """The spans of every text of ``texts`` by key: the cached ones read, the others
    computed in batches by ``nlp.pipe`` and cached (the same spans as :func:`raw_spans`)."""
    out, todo = _split_cached(texts, _key, cache)
    if todo:
        for key, spans in zip(todo, _read(list(todo.values()))):
            out[key] = spans
            if cache is not None:
                cache.put(key, spans)
    return out


# ---------------------------------------------------------------- cleaning


def _trim(name: str, kind: str) -> str:
    """Elisions, leading articles, edge punctuation removed; a person's leading title
    words too ("président Poutine"). An organisation or place that still starts with
    a lower-case word is no name ("ministre iranien des Affaires étrangères",
    "d'information britannique"), except an institution ("ministère russe de...")."""
    name = _EDGE.sub("", _ELISION.sub("", name.strip()))
    parts = name.split()
    while parts:
        w = parts[0]
        low = w.lower()
        if _ELISION.match(w):
            parts[0] = _ELISION.sub("", w)
            continue
        if low in _LEADING or (kind == "person" and (w[:1].islower() or low in _CIVILITIES)):
            parts.pop(0)
            continue
        break
    if parts and parts[0][:1].islower() and not (kind == "org" and parts[0].lower() in _ORG_HEADS):
        return ""
    return _EDGE.sub("", " ".join(parts))


_COMMON_END = re.compile(r"(?:é|ée|és|ées|ez|er|ir|ion|ions|ment|ive|ique|iste|ité|ure|eur|euse|oire|"
                         r"ance|ence|age|elle|ue|ues|ot|ons)$")


def _opening_word(name: str, text: str) -> bool:
    """A single word shaped like a common French word ("Réponse", "Déterminée", "Giflé")
    that the text only ever writes at the start of a sentence, a line or an intertitle."""
    if " " in name or not _COMMON_END.search(name.lower()) or name.isupper():
        return False
    for m in re.finditer(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", text):
        head = text[max(0, m.start() - 3):m.start()].rstrip(" \t«\"“(")
        if head and head[-1] not in ".!?:\n-–—…»\"":
            return False
    return True


def _plausible(name: str, kind: str, lower_words: set[str], sentence_start: bool = False,
               text: str = "") -> bool:
    if not name or not (name[:1].isupper() or name[:1].isdigit()
                        or (kind == "org" and name.split()[0].lower() in _ORG_HEADS)):
        return False
    words = _WORD.findall(name)
    if not words:
        return False
    if fold(name.lower()) in _NOT_NAMED or name.lower() in _NOT_NAMED:
        return False
    if kind == "person" and len(words) > 1 and any(
            w[:1].islower() and w.lower() not in _PARTICLES for w in name.split()[1:]):
        return False  # "Gilets jaunes", "Premier ministre": a group or a role
    if name.isupper() and any(w.lower() in lower_words or fold(w.lower()) in lower_words
                              for w in words if len(w) > 2 or len(words) > 1):
        return False  # a capitalised intertitle ("ENTRETIEN", "JE NE", "VIDEO", "ÇA ME")
    if (len(words) == 1 and kind in ("person", "place") and _DEMONYM_ONE.search(name.lower())
            and re.search(r"\b(?:le|la|un|une|du|au|ce|cette)\s+" + re.escape(name) + r"\b", text)
            and not re.search(r"\b(?:en|de la|dans la)\s+" + re.escape(name) + r"\b", text)):
        return False  # "le Palestinien", "un Toulousain": a demonym (not "en Lorraine")
    if len(name) <= 2 and name not in _SHORT_OK and not re.fullmatch(r"[A-Z]\d", name):
        return False  # but a channel's letter and number ("D8", "M6")
    if kind == "person" and all(len(w) <= 2 for w in words):
        return False  # initials and particles only ("D. De")
    if len(words) == 1:
        w = words[0]
        low = w.lower()
        if low in _DAYS_MONTHS or low in _LEADING or (low in _ORG_HEADS and low not in _ONE_INSTITUTION):
            return False
        if kind == "person" and low.endswith("ant") and sentence_start:
            return False  # a participle opening a sentence ("Citant des rapports...")
        if low in lower_words:  # the word also appears in lower case: a common word
            return False
        if kind in ("place", "org") and not w.isupper() and _DEMONYM.search(low) and "-" not in name \
                and re.search(r"\b(?:les|des|aux|ces|Les|Des)\s+" + re.escape(name) + r"\b", text) \
                and not re.search(r"(?<=[\w,] )Les\s+" + re.escape(name) + r"\b", text):
            return False  # "les Ukrainiens", "des Occidentaux" (not "Bordeaux", not "parti Les Républicains")
    return True


#: words glued to the previous one by a missing space on scraped pages ("BordeauxL'édile",
#: "févrierAprès"): a name never runs across them
_GLUE = re.compile(r"(?<=[a-zà-ÿ])(?=(?:L['’]|D['’]|(?:Le|La|Les|Un|Une|Il|Elle|Ils|Elles|Ce|Cette|Après|"
                   r"Avant|Pour|Dans|En|Au|Aux|A|À|Selon|Mais|Et|De|Des|Du|Depuis|Lors|Alors|Sur)\b))"
                   # after capitals ("BFMTVLe rendez-vous"): two-letter-or-longer words only ("NASA")
                   r"|(?<=[A-ZÀ-Ý]{2})(?=(?:L['’]|D['’]|(?:Le|La|Les|Un|Une|Il|Elle|Ils|Elles|Ce|Cette|Après|"
                   r"Avant|Pour|Dans|Selon|Mais|Depuis|Lors|Alors)\b))")
#: institutions and roles that are neither persons nor places ("l'État", "la République")
_NOT_NAMED = {"etat", "république", "republique", "gouvernement", "premier ministre", "président",
              "president", "présidente", "ministre", "roi", "reine", "prince", "princesse", "pape",
              "nation", "patrie", "préfet", "prefet", "maire", "procureur", "ndlr"}
#: institutions written in lower case before the place or name they belong to ("parquet de
#: Besançon", "préfecture de police de Paris", "ministère de l'Intérieur"): organisations the
#: model reads as the bare place
_PROPER = r"(?:[A-ZÀ-Ý][\w'’]*(?:-[\w'’]+)*)(?:\s+(?:de\s+|du\s+|des\s+|d['’]|la\s+)?[A-ZÀ-Ý][\w'’]*(?:-[\w'’]+)*){0,3}"
_INSTITUTION = re.compile(
    r"(?<![\w-])((?:parquet|préfecture(?:\s+de\s+police)?|sous-préfecture|mairie|rectorat|académie|"
    r"université|tribunal(?:\s+(?:correctionnel|judiciaire|administratif|de\s+grande\s+instance))?|"
    r"cour\s+d['’](?:appel|assises)|cour\s+administrative\s+d['’]appel|police\s+judiciaire|"
    r"gendarmerie|prison|maison\s+d['’]arrêt|centre\s+pénitentiaire|conseil\s+(?:départemental|"
    r"régional|municipal|général)|ministère|agence\s+régionale\s+de\s+santé|sapeurs-pompiers|"
    r"hôpital|CHU|lycée|collège|école)\s+(?:(?:de|du|des)\s+(?:la\s+|l['’])?|d['’]|de\s+l['’])" + _PROPER + ")")
_CIVILITY_WORD = re.compile(r"^(?:M\.|Mme|Mlle|Dr|Pr|Me)\s+")
_DEMONYM_ONE = re.compile(r"(?:ien|ienne|ain|aine|ais|aise|ois|oise)$")


def _cleaned(text: str, start: int, end: int, kind: str, label: str, person_tails: set,
             lower_words: set) -> list[tuple[str, str, int]]:
    """The trimmed, plausible names of one span (``(kind, name, start)``)."""
    placed: list[tuple[str, str, int]] = []
    piece = text[start:end]
    words = piece.split()
    if kind != "person" and len(words) >= 3 and " ".join(words[-2:]) in person_tails:
        piece = " ".join(words[:-2])  # "Air France Jean-Cyril Spinetta": the person is apart
    if kind == "person" and piece.isupper():
        kind = "org"  # an acronym is no person ("ISW")
    if label == "MISC":
        core = _ELISION.sub("", piece.strip())
        first = core.split()[0].lower() if core.split() else ""
        title = re.match(r"(?:Le|La|Les)\s+[A-ZÀ-Ý]", core)  # "Le Dauphiné Libéré": a title
        if (not _MISC_OK.match(core) or first in _DAYS_MONTHS or (first in _LEADING and not title)
                or (core.isupper() and len(core) > 6) or re.search(r"\d", core.split()[0] if core else "")):
            return placed
    lines = [p for p in re.split(r"[\r\n]+", piece) if p.strip()]
    if not lines:
        return placed
    for part in _DASH_SPLIT.split(lines[0]):
        name = re.sub(r"\s+", " ", _trim(part, kind))
        head = text[max(0, start - 3):start].strip()
        if _plausible(name, kind, lower_words, sentence_start=not head or head[-1] in ".!?",
                      text=text) and not _opening_word(name, text):
            placed.append((kind, name, start))
    return placed


def clean(text: str, spans) -> dict[str, list[str]]:
    """The article's entities by kind (each name once, in order of first mention)."""
    lower_words = {w for w in _WORD.findall(text) if w[:1].islower()}
    lower_words |= {fold(w) for w in lower_words}
    mentions: list[tuple[str, str]] = []
    placed: list[tuple[str, str, int]] = []
    person_tails = {" ".join(text[s:e].split()[-2:]) for s, e, lab in spans
                    if lab == "PER" and len(text[s:e].split()) >= 2}
    one_word = {_CIVILITY_WORD.sub("", text[s:e].strip()) for s, e, lab in spans if lab == "PER"}
    one_word = {w for w in one_word if len(w.split()) == 1}
    alone = {text[s:e].strip() for s, e, lab in spans if lab in ("ORG", "MISC") and len(text[s:e].split()) == 1}
    for start, end, label in spans:
        kind = _LABELS.get(label)
        if kind is None:
            continue
        while end < len(text) and (text[end].isalnum() or (text[end] == "-" and end + 1 < len(text)
                                                            and text[end + 1].isalnum())):
            if _GLUE.match(text, end):
                break
            end += 1  # a span that cuts a word ("Kim Jong" of "Kim Jong-un") takes it whole
        piece = text[start:end]
        glue = _GLUE.search(piece)
        if glue:
            piece = piece[:glue.start()]
        for kind, s0, e0 in orgs.split(text, start, start + len(piece), kind, one_word, lower_words,
                                     alone):
            placed.extend(_cleaned(text, s0, e0, kind, label, person_tails, lower_words))
    inside: list[tuple[int, int]] = []
    for m in _INSTITUTION.finditer(text):
        mentions.append(("org", m.group(1)))
        inside.append(m.span(1))
    if inside:  # the place of "préfecture de la Marne" is the institution's, not a mention
        kept = []
        for kind, name, start in placed:
            if kind == "place" and any(a < start < b for a, b in inside):
                continue
            kept.append((kind, name, start))
        placed = kept
    mentions += [(k, n) for k, n, _ in placed]
    from searchsvc.enrich import canonical

    return _resolve(mentions, canonical.links(text))


def _resolve(mentions: list[tuple[str, str]], links: dict | None = None) -> dict[str, list[str]]:
    """Short forms joined to full names, an acronym to its full form written beside it
    (:mod:`searchsvc.enrich.canonical`; kept under ``links`` when one is named); one kind
    and one form per entity."""
    syn = _synonyms()
    links = links or {}
    if links:
        named = {n for _, n in mentions}
        mentions = [("org", links[n]) if n in links else (k, n) for k, n in mentions]
        links = {a: f for a, f in links.items() if a in named or f in named}
    persons = [(entity_key(n, syn), n) for k, n in mentions if k == "person" and len(n.split()) > 1]
    longer = [(entity_key(n, syn), k, n) for k, n in mentions if len(n.split()) > 1]
    out: dict[tuple, list] = {}  # key -> [kind votes, forms]
    for kind, name in mentions:
        key = entity_key(name, syn)
        if not key:
            continue
        target = None
        if len(key) <= 2:
            # a surname or a first part of a full person name of the article ("Kirby",
            # "Kim", "Kim Jong"), whatever the model called it
            for pk, pn in persons:
                if pk != key and len(pk) > len(key) and (
                        pk[-len(key):] == key or pk[:len(key)] == key):
                    target = ("person", pk, pn)
                    break
            if target is None and len(key) == 1:
                for lk, lkind, ln in longer:  # "Guardian" -> "The Guardian"
                    if lkind == kind and len(lk) == 2 and lk[0] in _NAME_ARTICLES and lk[1] == key[0]:
                        target = (kind, lk, ln)
                        break
        if target is not None:
            kind, key, name = target
        entry = out.setdefault(key, [{}, {}])
        entry[0][kind] = entry[0].get(kind, 0) + 1
        entry[1][name] = entry[1].get(name, 0) + 1
    result: dict = {k: [] for k in KINDS}
    if links:
        result["links"] = links
    for key, (votes, forms) in out.items():
        kind = max(votes, key=lambda k: (votes[k], k == "person"))
        form = max(forms, key=lambda f: (forms[f], len(f.split()), f != fold(f), f))
        result[kind].append(form)
    return result


def extract(article, cache: Cache | None = None, ready: dict | None = None) -> dict[str, list[str]]:
    """The cleaned raw entities of one article (``ready``: see :func:`raw_spans`)."""
    text = ner_text(article)
    if not text.strip():
        return {k: [] for k in KINDS}
    return clean(text, raw_spans(text, cache, ready))


def article_quotes(article, ents: dict, cache: Cache | None = None, ready: dict | None = None) -> list:
    """The quotes of the title and the text (:func:`searchsvc.enrich.quotes.extract` on
    :func:`ner_text`); ``position`` is an offset in ``article.text``, a title's quote
    has ``"title": true`` and position 0."""
    from searchsvc.enrich import quotes

    text = ner_text(article)
    if not text.strip():
        return []
    key = _syntax_key(text)
    subjects = ready.get(key) if ready else None
    if subjects is None:
        subjects = syntax_many([text], cache).get(key)
    shift = len(article.title) + 2 if article.title else 0
    out = []
    for q in quotes.extract(text, ents, subjects):
        q["position"] -= shift
        if q["position"] < 0:
            q["position"], q["title"] = 0, True
        out.append(q)
    return out


class Enricher:
    """The entity and quote fields of the articles a worker indexes."""

    def __init__(self, index_dir):
        self.on = enabled()
        self.index_dir = index_dir
        self._cache = None
        self.ready: dict = {}

    @property
    def cache(self) -> Cache | None:
        """The span cache, opened when the first article needs it."""
        if self._cache is None and self.on:
            self._cache = Cache(self.index_dir)
        return self._cache

    def prepare(self, articles) -> None:
        """Run NER over the articles about to be indexed at once (``nlp.pipe``), so that
        :meth:`fields` finds their spans ready; what a previous call prepared is dropped."""
        self.ready = {}
        if not self.on:
            return
        texts = [t for t in (ner_text(a) for a in articles) if t.strip()]
        if len(texts) < 2:
            return
        try:
            self.ready = raw_spans_many(texts, self.cache)
            self.ready.update(syntax_many(texts, self.cache))
        except Exception:  # fields() then tries each article alone (and fails alone)
            self.ready = {}

    def fields(self, article) -> dict:
        if not self.on:
            return {}
        try:
            ents = extract(article, self.cache, self.ready)
            found = article_quotes(article, ents, self.cache, self.ready)
        except Exception:  # a failure of NER leaves the article without entities, indexed
            return {}
        out = {"entities": json.dumps(ents, ensure_ascii=False, separators=(",", ":"))}
        for kind in KINDS:
            if ents[kind]:
                out[kind] = ",".join(n.replace(",", " ") for n in ents[kind])
        if found:
            out["quotes"] = json.dumps(found, ensure_ascii=False, separators=(",", ":"))
        return out

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
