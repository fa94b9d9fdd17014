"""Direct quotations of an article and who said them (index time, rules only).

A quotation is a span between French guillemets (« … »), curly (“ … ”) or
straight double quotes, inside one paragraph, of at least :data:`MIN_WORDS`
words (shorter quoted phrases are scare quotes or titles). Its speaker, in this
order of preference:

1. after the quote, a speech verb then a name: « … », a déclaré X / ajoute X /
   déclare au journal X / il a dit aux journalistes X;
2. before it, in the same sentence, a speech verb, a colon or "selon": the
   nearest person named there (X a déclaré : « … », selon X, « … »), else a
   title resolved to a person named earlier with that title ("le dirigeant
   nord-coréen" -> the person introduced as "nord-coréen Kim Jong-un"), else the
   nearest organisation, else the phrase after "selon";
3. after it, "selon X";
4. the speaker of the previous quote of the paragraph (a quote continued).

A name is given as the article's entity (a surname becomes the full name of
:mod:`searchsvc.enrich.entities`); otherwise the phrase as written, without
its determiners ("l'un des responsables américains" -> "responsables américains").

Contract: ``extract(text, entities) -> [{"text", "speaker", "position"}]``
(``position``: offset of the opening mark in ``text``; ``speaker`` may be None).
"""

from __future__ import annotations

import re

from searchsvc.synonyms import words_key

MIN_WORDS = 5
#: characters looked at after a quote for its attribution
AFTER_CHARS = 160
MAX_QUOTE_CHARS = 3000

_CLOSERS = {"«": "»", "“": "”»", '"': '"»”'}
_VERBS = (r"(?:déclar|affirm|accus|ajout|dit|dis|expliqu|indiqu|soulign|estim|assur|précis|"
          r"pr[ée]ci|confi|lanc|martel|insist|rappel|poursui|concl|répond|repond|racont|"
          r"prévien|previen|admi|reconn|ironis|tranch|comment|écri|ecri|note|not[ée]|"
          r"observ|jug|esti|avert|menac|promi|annonc|révél|revel|ajoute|souffl|résum|resum)")
_VERB_RE = re.compile(r"\b" + _VERBS + r"\w*", re.I)
_AFTER_RE = re.compile(r"^\s*[,.;:!?…)\]]*\s*(?:[»”\"]\s*)?(?:,\s*)?"
                       r"(?:(?:il|elle|ils|elles)\s+)?(?:a|avait|ont|aurait|a-t-il|a-t-elle)?\s*"
                       + _VERBS + r"[\w-]*", re.I)
_SELON_RE = re.compile(r"\bselon\s+", re.I)
_SENT_END = re.compile(r"[.!?…]\s+(?=[A-ZÀ-Ý«\"“])")
_DET = re.compile(r"^(?:(?:l['’]un|l['’]une|un|une|le|la|les|l['’]|des|du|de|d['’]|ce|cette|ces|"
                  r"au|aux|notre|son|sa|ses|leur|leurs)\s*)+", re.I)
_PHRASE_END = re.compile(r"\s*(?:,|;|:|\.|\(|\bdans\b|\bà\b|\bau\b|\baux\b|\blors\b|\bdevant\b|"
                         r"\bqui\b|\bque\b|\bselon\b|\bsur\b|\bpour\b|\bquand\b)", re.I)


def _pairs(text: str):
    """(start, end) of each quoted span: ``text[start]`` the opening mark,
    ``text[end]`` the closing one; never across a paragraph."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _CLOSERS:
            limit = text.find("\n", i)
            limit = n if limit < 0 else limit
            j = i + 1
            while j < limit and text[j] not in _CLOSERS[c]:
                j += 1
            if j < limit:
                yield i, j
                i = j + 1
                continue
            i = limit if c != '"' else i + 1
            continue
        i += 1


class _Names:
    """The article's entities found in a piece of text (persons first)."""

    def __init__(self, entities: dict):
        self.persons = list(entities.get("person", []))
        self.orgs = list(entities.get("org", []))
        # surname -> full name (the last word, and the first for "Kim")
        self.short: dict[str, str] = {}
        for p in self.persons:
            words = p.split()
            if len(words) > 1:
                self.short.setdefault(words[-1], p)
        pats = [re.escape(n) for n in sorted(set(self.persons) | set(self.short), key=len, reverse=True)]
        self.person_re = re.compile(r"\b(?:" + "|".join(pats) + r")\b") if pats else None
        opats = [re.escape(n) for n in sorted(set(self.orgs), key=len, reverse=True)]
        self.org_re = re.compile(r"(?<!\w)(?:" + "|".join(opats) + r")(?!\w)") if opats else None

    def full(self, name: str) -> str:
        return self.short.get(name, name)

    def persons_in(self, text: str) -> list[tuple[int, str]]:
        if self.person_re is None:
            return []
        return [(m.start(), self.full(m.group(0))) for m in self.person_re.finditer(text)]

    def orgs_in(self, text: str) -> list[tuple[int, str]]:
        if self.org_re is None:
            return []
        return [(m.start(), m.group(0)) for m in self.org_re.finditer(text)]


def _phrase(text: str) -> str | None:
    """A speaker phrase as written, determiners off, cut at its first complement."""
    text = _DET.sub("", text.strip())
    m = _PHRASE_END.search(text)
    phrase = text[:m.start()] if m else text
    phrase = " ".join(phrase.split()[:6]).strip(" ,.;:»\"”")
    return phrase if len(words_key(phrase)) >= 1 and len(phrase) > 2 else None


def _sentence_start(text: str, pos: int) -> int:
    para = text.rfind("\n", 0, pos) + 1
    start = para
    for m in _SENT_END.finditer(text, para, pos):
        start = m.end()
    return start


def _title_person(title: str, text: str, before: int, names: _Names) -> str | None:
    """A person introduced earlier next to the last word of ``title``."""
    words = title.split()
    if not words:
        return None
    cue = words[-1].lower()
    best = None
    for pos, name in names.persons_in(text[:before]):
        if cue in text[max(0, pos - 40):pos].lower() or cue in text[pos:pos + 80].lower():
            best = name
    return best


_SUBJECT_TITLE = re.compile(r"^(?:le|la|l['’])\s+((?:[a-zéèêàâîôûç-]+\s+){0,3}[a-zéèêàâîôûç-]+)\s+"
                            r"(?:a|avait|ont)\s+", re.I)


_PRONOUN = re.compile(r"^\s*(?:il|elle)\s+(?:a|avait)\s+(?:\w+\s+)?" + _VERBS, re.I)
#: marks "the previous speaker" in :func:`_speaker`'s answer
_LAST = object()


def _speaker(text: str, start: int, end: int, names: _Names) -> str | None:
    after = text[end + 1:end + 1 + AFTER_CHARS]
    nl = after.find("\n")
    if nl >= 0:
        after = after[:nl]
    m = _AFTER_RE.match(after)
    if m:
        rest = after[m.end():]
        stop = _SENT_END.search(rest)
        rest = rest[:stop.start() + 1] if stop else rest
        found = names.persons_in(rest)
        if found:
            return found[0][1]
        orgs = names.orgs_in(rest[:60])
        if orgs:
            return orgs[0][1]
        phrase = _phrase(rest)
        if phrase:
            return phrase
    s0 = _sentence_start(text, start)
    before = text[s0:start]
    if _VERB_RE.search(before) or before.rstrip().endswith(":") or _SELON_RE.search(before):
        found = names.persons_in(before)
        if found:
            return found[-1][1]
        t = _SUBJECT_TITLE.match(before)
        if t:
            who = _title_person(t.group(1), text, s0, names)
            if who:
                return who
        orgs = names.orgs_in(before)
        if orgs:
            return orgs[-1][1]
        sm = list(_SELON_RE.finditer(before))
        if sm:
            phrase = _phrase(before[sm[-1].end():])
            if phrase:
                return phrase
    if _PRONOUN.match(before):
        return _LAST  # "Il a accusé ... « … »": the speaker of the last quote
    sm = _SELON_RE.search(after[:40])
    if sm:
        rest = after[sm.end():]
        found = names.persons_in(rest[:60])
        if found:
            return found[0][1]
        return _phrase(rest)
    return None


def extract(text: str, entities: dict | None = None) -> list[dict]:
    """The direct quotations of ``text`` with their speakers."""
    names = _Names(entities or {})
    out: list[dict] = []
    last_para, last_speaker, previous = -1, None, None
    for start, end in _pairs(text):
        quote = " ".join(text[start + 1:end].split()).strip()
        if len(quote.split()) < MIN_WORDS or len(quote) > MAX_QUOTE_CHARS:
            continue
        para = text.rfind("\n", 0, start)
        speaker = _speaker(text, start, end, names)
        if speaker is _LAST:
            speaker = previous
        if speaker is None and para == last_para:
            speaker = last_speaker
        previous = speaker if speaker is not None else previous
        out.append({"text": quote, "speaker": speaker, "position": start})
        last_para, last_speaker = para, speaker
    return out
