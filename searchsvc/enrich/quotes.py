"""Direct quotations of an article and who said them: the right name or none.

Quotes are the spans of :func:`searchsvc.enrich.quotemarks.pairs` with at least
:data:`MIN_WORDS` words (a word holds a letter or a digit), except glosses in
parentheses (« ("Une équipe qui veut faire peur") ») and page code.

The speaker comes from the subject phrase of the speech verb that
:mod:`searchsvc.enrich.speakers` found in the sentence's syntax, resolved
against the article's entities:

- a person the phrase names as its head or in apposition ("le ministre de
  l'Intérieur Christophe Castaner", "la directrice de la troupe, Ayaka
  Imaide"), never one in a complement ("un proche d'Emmanuel Macron", "la mère
  du prince Harry"); else an organisation heading the phrase, or whose
  spokesperson, management or communiqué speaks ("un porte-parole de Zoom");
  else a capitalised name as written ("M. Asseed");
- a definite role ("le ministre", "l'acteur âgé de 28 ans", "le chef de
  l'État" = the president) resolved to the person the article names with that
  role; an indefinite one ("une manifestante") or a role the article never
  ties to a name gives no name (the phrase is kept as ``role``);
- a pronoun ("a-t-il ajouté") is the previous quote's speaker within two
  paragraphs, else the person named last before the quote there.

Without syntax (no speech verb found): "selon X", "X : « … »", then a quote
continued in the same paragraph with nobody else named in between.

Contract: ``extract(text, entities, subjects=None) -> [{"text", "speaker",
"position", "role"?}]`` (``position``: offset of the quote's first character in
``text``; ``subjects``: :func:`searchsvc.enrich.speakers.analyse_many`'s list for
``spans(text)``, or None for the rules alone).
"""

from __future__ import annotations

import re

from searchsvc.enrich.quotemarks import pairs
from searchsvc.synonyms import words_key

MIN_WORDS = 5
MAX_QUOTE_CHARS = 3000
_WORD = re.compile(r"\w")
_CODE = re.compile(r"[{};=]|window\.|function\s*\(")
_SELON_AFTER = re.compile(r"^[\s,;:.!?…»”\"]*(?:a\s+)?(?:selon|d['’]après)\s+", re.I)
_SELON = re.compile(r"\b(?:selon|d['’]après)\s+", re.I)
_ET_DE = re.compile(r"\b(?:et|puis)\s+d['’]\w+\s*:?\s*$", re.I)
_SENT_END = re.compile(r"[.!?…]\s+(?=[A-ZÀ-Ý«\"“])")
_DET = re.compile(r"^(?:(?:l['’]un|l['’]une|un|une|le|la|les|l['’]|des|du|de|d['’]|ce|cet|cette|ces|"
                  r"notre|son|sa|ses|leur|leurs)\s*)+", re.I)
_INDEFINITE = {"un", "une", "des", "l'un", "l'une", "l’un", "l’une", "plusieurs", "certains",
               "certaines", "d'autres", "quelques"}
#: words before a name that make it a complement of the phrase's head, not its apposition
_COMPLEMENT = {"de", "d", "du", "des", "à", "a", "au", "aux", "par", "pour", "avec", "contre", "chez",
               "entre", "sans", "sur", "selon", "envers", "vers", "après", "avant"}
_ARTICLES = {"le", "la", "les", "l", "un", "une"}
#: heads through which an organisation speaks
_ORG_VOICE = {"porte-parole", "direction", "communiqué", "communique", "service", "services",
              "présidence", "presidence", "dirigeants", "direction", "cabinet", "entourage",
              "secrétariat", "secretariat", "bureau", "avocats", "message", "lettre", "compte",
              "déclaration", "declaration", "rapport", "note", "syndicat", "association"}
#: roles written another way in news French (-> the role the article names people with)
_ROLE_SAME = {
    "chef de l'état": "président", "chef de l’état": "président", "chef de l'etat": "président",
    "locataire de l'élysée": "président", "président de la république": "président",
    "chef du gouvernement": "premier ministre", "locataire de matignon": "premier ministre",
    "hôte de matignon": "premier ministre", "chef de matignon": "premier ministre",
    "locataire de la place beauvau": "ministre de l'intérieur",
    "locataire de beauvau": "ministre de l'intérieur", "premier flic de france": "ministre de l'intérieur",
    "locataire de bercy": "ministre de l'économie", "patron de bercy": "ministre de l'économie",
    "chef de la diplomatie": "ministre des affaires étrangères",
    "garde des sceaux": "ministre de la justice",
}
_INCISE = re.compile(r",\s+(?:a\s+|avait\s+)?(?:(?:a|avait)-t-(il|elle)\s+)?"
                     r"((?:déclar|affirm|ajout|expliqu|indiqu|soulign|estim|assur|précis|confi|lanc|"
                     r"martel|martè|insist|poursui|concl|répond|racont|analys|résum|renchér|plaid|"
                     r"détaill|rétorqu|dénonc|déplor|regrett|ironis|tranch|comment|observ|jug|"
                     r"avert|prévien|reconn|admet|souffl|peste|tonn|glisse|lâch)\w*)"
                     r"(?:-t)?(?:-(il|elle))?", re.I)
_APPOSED_ROLE = re.compile(r",\s*(?:(?:un|une|le|la|l['’]|notre|son|sa|leur)\s*)?(?:[\w-]+\s+){0,2}")
_PRONOUNS = {"il", "elle", "ils", "elles", "celui-ci", "celle-ci", "ce dernier", "cette dernière",
             "celui", "celle"}
_CIVILITY = re.compile(r"^(?:M\.|Mme|Mlle|Me|Dr|Pr)\s+(?=[A-ZÀ-Ý])")
_CAP_NAME = re.compile(r"(?:(?:M\.|Mme|Mlle|Me|Dr|Pr)\s+)?[A-ZÀ-Ý][\w'’-]+(?:\s+(?:de\s+|d['’]|van\s+|von\s+|le\s+)?"
                       r"[A-ZÀ-Ý][\w'’-]+)*")


def n_words(text: str) -> int:
    return sum(1 for w in text.split() if _WORD.search(w))


def spans(text: str) -> list[tuple[int, int]]:
    """The quote spans of ``text`` worth keeping (``text[begin:close]``)."""
    out = []
    for b, c in pairs(text):
        q = text[b:c]
        if n_words(q) < MIN_WORDS or len(q) > MAX_QUOTE_CHARS or _CODE.search(q):
            continue
        if b >= 2 and text[b - 2] == "(" and c + 1 < len(text) and text[c + 1] == ")":
            continue  # a gloss or translation in parentheses
        out.append((b, c))
    return out


class _Names:
    """The article's entities found in a piece of text (persons first)."""

    def __init__(self, entities: dict):
        self.persons = list(entities.get("person", []))
        self.orgs = list(entities.get("org", []))
        self.places = set(entities.get("place", []))
        # surname -> full name (the last word; "M. Castaner" -> Christophe Castaner)
        self.short: dict[str, str] = {}
        for p in self.persons:
            words = p.split()
            if len(words) > 1:
                self.short.setdefault(words[-1], p)
                if len(words) > 2:
                    self.short.setdefault(" ".join(words[-2:]), p)
        pats = [re.escape(n) for n in sorted(set(self.persons) | set(self.short), key=len, reverse=True)]
        self.person_re = re.compile(r"(?<!\w)(?:" + "|".join(pats) + r")(?!\w)") if pats else None
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


def _words_before(phrase: str, pos: int, n: int = 3) -> list[str]:
    return [w.lower().strip(",;:") for w in re.split(r"[\s'’]+", phrase[:pos]) if w.strip(",;:")][-n:]


def _apposed(phrase: str, pos: int) -> bool:
    """Whether the name at ``pos`` of ``phrase`` is the phrase's head or in apposition
    (not inside a complement "de X", "du prince X", "à X")."""
    before = phrase[:pos].rstrip()
    if not before or before.endswith(","):
        return True
    words = _words_before(phrase, pos, 4)
    while words and words[-1] in _ARTICLES:
        words.pop()
    if words and words[-1] in _COMPLEMENT:
        return False
    # one lower-case title word between a preposition and the name ("du prince Harry")
    if len(words) >= 2 and words[-1].isalpha() and words[-1] == words[-1].lower():
        rest = words[:-1]
        while rest and rest[-1] in _ARTICLES:
            rest.pop()
        if rest and rest[-1] in _COMPLEMENT:
            return False
    return True


def _head_phrase(phrase: str) -> str:
    """The role as written, without determiners, cut at its first comma or clause."""
    p = _DET.sub("", phrase.strip())
    p = re.split(r"\s*(?:,|;|:|\(|\bqui\b|\bque\b|\bdont\b)\s*", p, maxsplit=1)[0]
    return " ".join(p.split()[:6]).strip(" .»\"”")


class _Article:
    """One article's text, names and the speakers found so far."""

    def __init__(self, text: str, entities: dict):
        self.text = text
        self.names = _Names(entities)
        self._persons = None
        self.said: list[tuple[int, str | None]] = []  # (position, speaker) of earlier quotes

    def person_mentions(self) -> list[tuple[int, int, str]]:
        """(start, end, full name) of every person mention of the text."""
        if self._persons is None:
            rx = self.names.person_re
            self._persons = [] if rx is None else [(m.start(), m.end(), self.names.full(m.group(0)))
                                                   for m in rx.finditer(self.text)]
        return self._persons

    def paragraph(self, pos: int) -> int:
        return self.text.count("\n\n", 0, pos)

    # ------------------------------------------------------------ a subject phrase

    def from_phrase(self, phrase: str, start: int, head: str, det: str, before: int):
        """(speaker or None, role as written or None)."""
        names = self.names
        for pos, name in names.persons_in(phrase):
            if _apposed(phrase, pos):
                return name, None
        bare = _DET.sub("", phrase.strip())
        orgs = names.orgs_in(phrase)
        if orgs:
            first_pos, org = orgs[0]
            lead = phrase[:first_pos].strip().lower().rstrip("'’")
            if not lead or lead in ("le", "la", "les", "l"):
                return org, None
            head_l = head.lower()
            if head_l in _ORG_VOICE or any(w in _ORG_VOICE for w in _words_before(phrase, first_pos, 3)):
                return org, None
        m = _CAP_NAME.match(bare)
        if m and head[:1].isupper() and m.group(0) not in names.places and m.group(0) not in (
                "Elle", "Il", "Ils", "Elles", "Celui-ci", "Celle-ci"):
            name = m.group(0)
            return names.full(_CIVILITY.sub("", name)) if _CIVILITY.sub("", name) in names.short else name, None
        role = _head_phrase(phrase)
        low = role.lower()
        if low in _PRONOUNS:
            return self.pronoun(before), None
        if det in _INDEFINITE or not role or head[:1].isupper():
            return None, role or None
        return self.role_person(low, before), role

    def role_person(self, role: str, before: int) -> str | None:
        """The person the article names with ``role`` (nearest before ``before``, else after)."""
        keys = []
        for k, v in _ROLE_SAME.items():
            if role.startswith(k):
                keys.append(v)
        words = role.split()
        keys += [" ".join(words[:n]) for n in range(min(len(words), 5), 0, -1)]
        if len(words) == 2:
            keys.append(words[-1])  # "le dirigeant nord-coréen" -> "homologue nord-coréen Kim Jong-un"
        text_l = self.text.lower()
        mentions = self.person_mentions()
        for key in keys:
            if len(key) < 3:
                continue
            best = None
            for m in re.finditer(r"(?<!\w)" + re.escape(key) + r"(?!\w)", text_l):
                who = self._named_near(m.start(), m.end(), mentions)
                if who is None:
                    continue
                dist = before - m.start()
                score = (0 if dist >= 0 else 1, abs(dist))
                if best is None or score < best[0]:
                    best = (score, who)
            if best is not None:
                return best[1]
        return None

    def _named_near(self, start: int, end: int, mentions) -> str | None:
        """A person named right after a role mention (role [de …] [,] Name) or right
        before it (Name, [det] role)."""
        text = self.text
        for pos, _, name in mentions:
            if end <= pos <= end + 60:
                gap = text[end:pos]
                if "\n" in gap or re.search(r"[.;:!?]|\b(?:et|qui|que|a|ont|est)\b", gap):
                    continue
                if re.search(r"\b(?:à|au|aux|avec|contre|par|pour|chez)\s+(?:l['’]|la\s+|le\s+)?$", gap):
                    continue
                return name
        for pos, stop, name in mentions:
            if 0 < start - stop <= 40 and _APPOSED_ROLE.fullmatch(text[stop:start]):
                return name
        return None

    # ------------------------------------------------------------ pronouns

    def pronoun(self, before: int) -> str | None:
        """The person a pronoun stands for: the first person named as a head (not in a
        complement) in the nearest sentence of the paragraph before the quote; else the
        previous quote's speaker within two paragraphs; else the same search in the
        previous paragraph."""
        text = self.text
        para = text.rfind("\n", 0, before) + 1
        found = self._last_named(para, before)
        if found:
            return found
        here = self.paragraph(before)
        for pos, who in reversed(self.said):
            if here - self.paragraph(pos) > 2:
                break
            if who:
                return who
        prev = text.rfind("\n", 0, max(0, para - 2)) + 1
        return self._last_named(prev, max(prev, para - 1)) if para > 0 else None

    def _last_named(self, start: int, end: int) -> str | None:
        window = self.text[start:end]
        bounds = [0] + [m.end() for m in _SENT_END.finditer(window)] + [len(window)]
        for a, b in reversed(list(zip(bounds, bounds[1:]))):
            sentence = window[a:b]
            for pos, name in self.names.persons_in(sentence):
                if _apposed(sentence, pos):
                    return name
        return None

    # ------------------------------------------------------------ without syntax

    def after_verb(self, pos: int) -> str | None:
        """The first person (else organisation) named as a head in the clause after an
        incise's verb, when the parser gave it no subject."""
        clause = re.split(r"[.!?;\n]", self.text[pos:pos + 160], maxsplit=1)[0]
        for p, name in self.names.persons_in(clause):
            words = _words_before(clause, p, 1)
            if not words or words[-1] not in _COMPLEMENT | _ARTICLES:  # "au journal X": X speaks
                return name
        for p, org in self.names.orgs_in(clause):
            if not _DET.sub("", clause[:p]).strip(" ,"):
                return org
        return None

    def incise(self, begin: int, close: int) -> tuple[bool, str | None]:
        """An incise inside the marks ("…, a analysé Thierry Solère. …", "…, lance X, …")."""
        quote = self.text[begin:close]
        for m in _INCISE.finditer(quote):
            if m.group(1) or m.group(3):
                return True, self.pronoun(begin)
            rest = quote[m.end():m.end() + 80]
            found = self.names.persons_in(rest)
            if found and _apposed(rest, found[0][0]) and not _DET.sub("", rest[:found[0][0]]).strip(" ,"):
                return True, found[0][1]
        return False, None

    def by_rules(self, begin: int, close: int) -> tuple[bool, str | None]:
        """(found, speaker) from "selon X", "X : « … »" and "Et d'ajouter"."""
        text, names = self.text, self.names
        after = text[close + 1:close + 161].split("\n", 1)[0]
        m = _SELON_AFTER.match(after)
        if m:
            rest = after[m.end():]
            return True, self._named_first(rest[:80])
        s0 = text.rfind("\n", 0, begin) + 1
        for sm in _SENT_END.finditer(text, s0, max(s0, begin - 1)):
            s0 = sm.end()
        before = text[s0:max(s0, begin - 1)]
        sel = list(_SELON.finditer(before))
        if sel:
            return True, self._named_first(before[sel[-1].end():][:80])
        if _ET_DE.search(before):
            return True, self.pronoun(begin)
        if before.rstrip().endswith(":"):
            found = names.persons_in(before)
            if found:
                return True, found[-1][1]
            orgs = names.orgs_in(before)
            if orgs:
                return True, orgs[-1][1]
        return False, None

    def _named_first(self, text: str) -> str | None:
        for pos, name in self.names.persons_in(text):
            if _apposed(text, pos):
                return name
            return None
        orgs = self.names.orgs_in(text)
        if orgs and not _DET.sub("", text[:orgs[0][0]]).strip():
            return orgs[0][1]
        return None


def extract(text: str, entities: dict | None = None, subjects: list | None = None) -> list[dict]:
    """The direct quotations of ``text`` with their speakers (see the module's docstring)."""
    art = _Article(text, entities or {})
    out: list[dict] = []
    found_spans = spans(text)
    for k, (begin, close) in enumerate(found_spans):
        quote = " ".join(text[begin:close].split()).strip()
        subj = subjects[k] if subjects is not None and k < len(subjects) else None
        speaker, role, decided = None, None, False
        if subj:
            decided = True
            if subj.get("pron"):
                speaker = art.pronoun(begin)
            elif subj.get("span"):
                s, e = subj["span"]
                speaker, role = art.from_phrase(text[s:e], s, subj.get("head", ""), subj.get("det", ""),
                                                begin)
            elif subj.get("verb_end"):
                speaker = art.after_verb(subj["verb_end"])
            else:
                decided = False
        if not decided:
            decided, speaker = art.incise(begin, close)
        if not decided:
            decided, speaker = art.by_rules(begin, close)
        if not decided and out and art.said:
            prev_close = found_spans[k - 1][1]
            gap = text[prev_close + 1:begin]
            if "\n" not in gap and not art.names.persons_in(gap):
                speaker = out[-1]["speaker"]
        item = {"text": quote, "speaker": speaker, "position": begin}
        if role and not speaker:
            item["role"] = role
        out.append(item)
        art.said.append((begin, speaker))
    return out
