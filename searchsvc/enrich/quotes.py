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
- a pronoun ("a-t-il ajouté") is the most recent, before the quote, of the
  previous quotes' speakers and the persons heading a sentence (the one a speech
  verb introduces first) in this paragraph and the previous, whose gender
  (:mod:`searchsvc.enrich.coref`) agrees; none when an unnamed speaker ("selon une
  source", "a dit le président de l'université") came last; a plural pronoun is
  nobody. A definite role that speaks ("a expliqué le magistrat") is resolved the
  same way, with the role's gender, when the article never introduced that role
  as someone new ("une journaliste").

Without syntax (no speech verb found): "selon X", "X : « … »", then a quote
continued in the same paragraph with nobody else named in between.

Contract: ``extract(text, entities, subjects=None) -> [{"text", "speaker",
"position", "role"?}]`` (``position``: offset of the quote's first character in
``text``; ``subjects``: :func:`searchsvc.enrich.speakers.analyse_many`'s list for
``spans(text)``, or None for the rules alone).
"""

from __future__ import annotations

import re

from searchsvc.enrich import coref
from searchsvc.enrich.quotemarks import pairs
from searchsvc.enrich.speakers import SPEECH
from searchsvc.synonyms import words_key

MIN_WORDS = 5
MAX_QUOTE_CHARS = 3000
_WORD = re.compile(r"\w")
_CODE = re.compile(r"[{};=]|window\.|function\s*\(")
_SELON_AFTER = re.compile(r"^[\s,»”\"]*(?:a\s+)?(?:selon|d['’]après)\s+", re.I)
_SELON = re.compile(r"\b(?:selon|d['’]après)\s+", re.I)
_ET_DE = re.compile(r"\b(?:et|puis)\s+(?:d['’]|de\s+)\w+\s*:?\s*$", re.I)
_SENT_END = re.compile(r"[.!?…]\s+(?=[A-ZÀ-Ý«\"“])")
_DET = re.compile(r"^(?:(?:l['’]une?|une|un|les|le|la|l['’]|des|du|de|d['’]|ce|cet|cette|ces|notre|son|sa|"
                  r"ses|leur|leurs)(?:\s+|(?<=['’])))+", re.I)
_INDEFINITE = {"un", "une", "des", "l'un", "l'une", "l’un", "l’une", "plusieurs", "certains",
               "certaines", "d'autres", "quelques"}
#: words before a name that make it a complement of the phrase's head, not its apposition
_COMPLEMENT = {"de", "d", "du", "des", "à", "au", "aux", "par", "pour", "avec", "contre", "chez",
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
_PREPOSITION = re.compile(r"^(?:de|d['’]|du|des|à|au|aux|par|pour|avec|contre|chez|sur|selon)\b", re.I)
#: subjects that name nobody ("c'est", "on", "cela")
_NOBODY = {"c'", "c’", "ce", "cela", "ça", "ceci", "on", "ils", "elles", "nous", "vous", "je", "j'", "tout", "rien", "chacun", "personne", "qui"}
#: words that are no role on their own
_VAGUE = {"ancien", "ancienne", "jeune", "nouveau", "nouvelle", "homme", "femme", "personne", "premier",
          "première", "ex", "fils", "fille", "autre", "même", "dernier", "dernière", "seul", "seule"}
#: "ce dernier", "le premier": the last or first thing named, not a role
_ORDINAL = {"dernier", "dernière", "premier", "première", "second", "seconde", "autre", "même"}
_APPOSED_ROLE = re.compile(r",\s*(?:(?:un|une|le|la|l['’]|notre|son|sa|leur)\s*)?(?:[\w-]+\s+){0,2}")
_DEFINITE = {"le", "la", "l'", "l’", "ce", "cet", "cette"}
_PRONOUNS = {"il", "elle", "celui-ci", "celle-ci", "ce dernier", "cette dernière",
             "celui", "celle"}
_CIVILITY = re.compile(r"^(?:M\.|Mme|Mlle|Me|Dr|Pr)\s+(?=[A-ZÀ-Ý])")
#: heads of institutions that an article names once and then calls by their head alone
_INSTITUTIONS = {"préfecture", "prefecture", "mairie", "parquet", "ministère", "ministere", "gendarmerie",
                 "police", "université", "universite", "rectorat", "tribunal", "académie", "academie",
                 "municipalité", "municipalite", "région", "region", "département", "departement"}
#: a subject that is anybody ("on dit"): no continuation
_DEMONYM = re.compile(r"(?:ien|ienne|ain|aine|ais|aise|ois|oise)$")
_GROUPS = {"on"}
_POUR = re.compile(r"^\s*pour\s+(.{3,120}?),\s*$", re.I)
_PARTICIPLE = re.compile(r"\s(\w+ant)\s+(?:(?:un|une|le|la|les|des|que|de|du|d['’]|l['’]|qu['’])\s*){0,2}[«“\"]?\s*$",
                         re.I)
#: two or more capitalised words ending a subject phrase (not all-capital acronyms)
_NAME_TAIL = re.compile(r"(?<=\s)((?:[A-ZÀ-Ý][a-zà-ÿ'’-]+\s+)+[A-ZÀ-Ý][a-zà-ÿ'’-]+)\s*,?\s*$")
#: "», a expliqué": an incise with no subject after its verb
_BARE_VERB = re.compile(r"^[\s\"»”]*,\s*(?:(?:a|avait|aurait)\s+)?[\w'’-]+$")
_PRONOUN_BEFORE_VERB = re.compile(r"(?<![\w'’])(?:t[-'’])?(il|elle|ils|elles)\b", re.I)
#: a sentence opening with "Pour X," (X's opinion): X speaks the quotes of the sentence
_POUR_OPENING = re.compile(r"\s*Pour\s+([A-ZÀ-Ý][^,]{1,80}?),")
#: a sentence opening with a participle and "que" ("Soulignant que « … », X a …")
_OPENING_PARTICIPLE = re.compile(r"\s*[A-ZÀ-Ý][\w-]*ant\s+(?:que|qu['’])\s*$")
#: the subject right after a quote and its comma, up to its verb
_SUBJECT_AFTER = re.compile(r"[\s\"»”]*,\s*([^,.;:!?«»\"“”\n]{3,100}?)\s+(?:a|avait|s['’]est|se|est|n['’]a|ne|va)\s")
#: "Comme le précise X," / "Comme l'a révélé X," right before the quote
_COMME = re.compile(r"(?:^|(?<=[.,;:]\s)|(?<=^\s))[Cc]omme\s+(?:l['’]a\s+|l['’]avait\s+|le\s+|la\s+|l['’])?"
                    r"([a-zà-ÿ]+)\s+([^,.;:!?«»\"“”\n]{2,120}?),\s*$")
#: "X a expliqué que « … »", "X, …, a estimé : « … »" right before the quote
_SAID_THAT = re.compile(r"\s*,?\s+(?:(?:a|avait|aurait)\s+(?:aussi\s+|également\s+|alors\s+|déjà\s+)?)"
                        r"([a-zà-ÿ]+)\s*(?:que\s*|qu['’]\s*|:\s*)[«“\"]?\s*$")
#: ", selon X." ending a sentence; a quoted span; a sentence end outside quotes
_SELON_ENDING = re.compile(r",\s*(?:selon|d['’]après)\s+(?=[^,;:!?«»\"“”]{2,80}[.!?]$)", re.I)
_QUOTED = re.compile(r"[«“\"][^«»“”\"]*[»”\"]")
_SENT_END_RE = re.compile(r"(?<![A-ZÀ-Ý])[.!?](?=\s|$)")
_POUR_QUI = re.compile(r",?\s+(?:pour|selon|d['’]après)\s+qui\s*$", re.I)
_RELATIVE_END = re.compile(r",?\s*\bqui\s*$")
_CIVILITY_ONLY = re.compile(r"^(?:M\.|Mme|Mlle|Me|Dr|Pr|Monsieur|Madame|Maître)\s*$")
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
        #: acronym -> full form written beside it (searchsvc.enrich.canonical)
        self.links = {a: f for a, f in (entities.get("links") or {}).items() if f in self.orgs}
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
        opats = [re.escape(n) for n in sorted(set(self.orgs) | set(self.links), key=len, reverse=True)]
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
        return [(m.start(), self.links.get(m.group(0), m.group(0))) for m in self.org_re.finditer(text)]


def _words_before(phrase: str, pos: int, n: int = 3) -> list[str]:
    return [w.lower().strip(",;:") for w in re.split(r"[\s'’]+", phrase[:pos]) if w.strip(",;:")][-n:]


#: titles written before a name ("du prince Harry"): the name is still inside the complement
_TITLES = set("prince princesse roi reine président présidente ministre pape général générale "
              "docteur professeur juge sénateur sénatrice député députée maire chanteur chanteuse "
              "acteur actrice comédien comédienne rappeur footballeur joueur joueuse candidat "
              "candidate patron patronne directeur directrice écrivain écrivaine journaliste "
              "militant militante avocat avocate frère sœur soeur fils fille père mère oncle tante "
              "cousin cousine ami amie épouse époux mari femme compagnon compagne famille".split())


def _apposed(phrase: str, pos: int) -> bool:
    """Whether the name at ``pos`` of ``phrase`` is the phrase's head or in apposition
    ("le porte-parole du gouvernement Gabriel Attal"), not inside a complement ("un proche
    d'Emmanuel Macron", "la mère du prince Harry")."""
    before = phrase[:pos].rstrip()
    if not before or before.endswith(","):
        return True
    words = [w.strip(",;:") for w in re.split(r"[\s'’]+", before) if w.strip(",;:")][-4:]
    while words and words[-1].lower() in _ARTICLES:
        words.pop()
    if words and words[-1].lower() in _COMPLEMENT:
        return False
    if len(words) >= 2 and words[-1].lower() in _TITLES and words[-1][:1].islower():
        rest = words[:-1]
        while rest and rest[-1].lower() in _ARTICLES:
            rest.pop()
        if rest and rest[-1].lower() in _COMPLEMENT:
            return False
    return True


_AUX = {"a", "avait", "aurait", "ont", "est", "s'est", "lui", "leur", "y", "en", "ne", "n'a", "alors",
        "aussi", "également", "encore", "déjà", "ainsi", "enfin", "-t-il", "-t-elle"}


#: words between a subject and its verb ("s'est pour sa part félicitée", "a de son côté estimé")
_FILLERS = _AUX | {"s'est", "s’est", "pour", "sa", "part", "de", "son", "côté", "également", "aussi", "lui",
                   "même", "à", "tour", "quant", "elle", "alors", "ensuite", "enfin", "pourtant"}


def _speaks(sentence: str, pos: int, name: str) -> bool:
    """Whether a speech verb introduces the name at ``pos`` ("a déclaré aux journalistes X",
    "X a estimé")."""
    before = re.findall(r"[\w'’-]+", sentence[:pos])[-4:]
    if any(w[:1].islower() and SPEECH.match(w.lower()) and not w.lower().startswith("not")
           for w in before):
        return True
    after = [w for w in re.findall(r"[\w'’-]+", sentence[pos + len(name):pos + len(name) + 40])]
    after = [w for w in after if w.lower() not in _AUX][:1]
    return bool(after) and after[0][:1].islower() and bool(SPEECH.match(after[0].lower()))


def _in_complement(text: str, pos: int) -> bool:
    """Whether the name at ``pos`` follows a preposition ("auprès de l'AFP", "de Sea Shepherd")."""
    words = _words_before(text, pos, 2)
    while words and words[-1] in _ARTICLES:
        words.pop()
    return bool(words) and words[-1] in _COMPLEMENT | {"auprès", "sur", "dans", "devant"}


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
        self._sentences = None
        self._genders = None
        self._in_selon = False
        self.paired: list[tuple[int, str]] = []  # quotes given to the first of a pair
        self.said: list[tuple[int, str | None]] = []  # (position, speaker) of earlier quotes
        self.spans: list[tuple[int, int]] = []  # every quote of the text (names inside speak not)

    def quoted(self, pos: int) -> bool:
        """Whether ``pos`` lies inside a quote (a name there is quoted, not speaking)."""
        return any(b <= pos < c for b, c in self.spans)

    def person_mentions(self) -> list[tuple[int, int, str]]:
        """(start, end, full name) of every person mention of the text."""
        if self._persons is None:
            rx = self.names.person_re
            self._persons = [] if rx is None else [(m.start(), m.end(), self.names.full(m.group(0)))
                                                   for m in rx.finditer(self.text) if not self.quoted(m.start())]
        return self._persons

    def paragraph(self, pos: int) -> int:
        return self.text.count("\n\n", 0, pos)

    # ------------------------------------------------------------ a subject phrase

    def from_phrase(self, phrase: str, start: int, head: str, det: str, before: int,
                    speech: bool = False):
        """(speaker or None, role as written or None) of a subject phrase found at
        ``start`` of the text; ``speech``: the phrase is the subject of a speech verb (a
        definite role may then stand for the person or organisation of the passage)."""
        names = self.names
        for pos, name in names.persons_in(phrase):
            if _apposed(phrase, pos):
                return name, None
        stripped = phrase.strip()
        rel = _RELATIVE_END.search(stripped)
        if rel:  # "les propositions de Nicolas Sarkozy, qui": the noun "qui" stands for
            head_part = stripped[:rel.start()]
            last = list(names.person_re.finditer(head_part)) if names.person_re else []
            if last and not head_part[last[-1].end():].strip(" ,") and (
                    _apposed(head_part, last[-1].start()) or speech and coref.thing(head_part)):
                # "les attaques de Sarkozy, qui juge que « … »": who judges is a person
                return names.full(last[-1].group(0)), None
        relative = re.match(r"^(?:par|pour|de|du|des|à|au|aux)\s+(.+?),?\s+qui\b", stripped)
        if relative:  # "réfutées par le juge X qui a déclaré": "qui" is the noun after "par"
            stripped = relative.group(1)
            phrase = phrase[:phrase.index(stripped) + len(stripped)]
        if _PREPOSITION.match(stripped) or head.lower() in _NOBODY:
            return None, None
        tail = _NAME_TAIL.search(stripped)
        if tail and not _DET.fullmatch(stripped[:tail.start()] + " ") and tail.group(1) not in names.places:
            before_words = _words_before(stripped, tail.start(1), 1)
            if before_words and before_words[-1][:1].islower() \
                    and before_words[-1] not in _COMPLEMENT | _ARTICLES:
                # "le juge Ahmad Mohammad": a name the model missed, in apposition to the role
                return self.name_as_written(start + phrase.index(tail.group(1))), None
        orgs = names.orgs_in(phrase)
        if orgs:
            first_pos, org = orgs[0]
            lead = phrase[:first_pos].strip().lower().rstrip("'’")
            if not lead or lead in ("le", "la", "les", "l"):
                return self.whole_name(start + first_pos, org), None
            head_l = head.lower()
            if head_l in _ORG_VOICE or any(w in _ORG_VOICE for w in _words_before(phrase, first_pos, 3)):
                return org, None  # "un porte-parole de Zoom", "la direction de X"
        if det == "les" and re.match(r"(?:les\s+)?deux\s", stripped, re.I) and speech:
            return self.pair(min(before, start)), None  # "les deux hommes": a pair named before
        if det in _INDEFINITE or det in ("les", "ces", "leurs", "ses"):
            return None, _head_phrase(phrase) or None  # someone unnamed, or several people
        bare = _DET.sub("", stripped)
        if _CIVILITY_ONLY.match(bare):  # "M." cut from its name: read the name in the text
            return self.name_as_written(start + len(phrase) - len(phrase.lstrip()) + len(stripped) - len(bare)), None
        if head[:1].isupper() and _CAP_NAME.match(bare):
            return self.name_as_written(start + len(phrase) - len(phrase.lstrip()) + len(stripped) - len(bare)), None
        role = _head_phrase(phrase)
        low = role.lower()
        if low in _PRONOUNS:
            return self.pronoun(before, coref.pronoun_gender(low)), None
        if not role or head[:1].isupper():
            return None, (role or None) if det else None
        org = self.role_org(low)
        if org:
            return org, None
        if coref.thing(role):
            return None, None  # "le rapport", "la tuerie de X": no role, nobody speaking
        who = self.role_person(low, before)
        if who is None and speech and det in _DEFINITE \
                and role.lower() not in _ORDINAL:
            who = self.role_antecedent(phrase, role, det, min(before, start))
        return who, role if det else None

    def role_antecedent(self, phrase: str, role: str, det: str, before: int) -> str | None:
        """The person (or, for "la société", "le quotidien", the organisation) a definite
        role that speaks stands for: the antecedent a pronoun of its gender would have, tied
        in some sentence of the article to every name the role holds ("le chef de l'OMS")."""
        names = self.names
        noun = coref.head(role)
        if noun and re.search(r"(?<![\w'’])(?:un|une)\s+(?:[\w-]+\s+)?" + re.escape(noun) + r"(?!\w)",
                              self.text[:before], re.I):
            return None  # "une journaliste … la journaliste": someone the article introduced unnamed
        inside = [n for _, n in names.orgs_in(phrase)] + [p for p in names.places if p in phrase]
        if names.persons_in(phrase):
            return None
        if coref.org_role(role):
            who = self.pronoun(before, None, kind="org")
            return who if who is not None and all(self.tied(who, n) for n in inside) else None
        gender = coref.role_gender(role, det)
        who = self.pronoun(before, gender, kind="person")
        if who is not None and all(self.tied(who, n) for n in inside):
            return who
        if not inside:
            return None
        # else the one person the article ties to every name of the role ("le chef de l'OMS")
        found = {p for p in names.persons if all(self.tied(p, n) for n in inside)
                 and self._fits(p, gender, "person")}
        return found.pop() if len(found) == 1 else None

    def tied(self, who: str, name: str) -> bool:
        """Whether some sentence of the article names both ``who`` and ``name``."""
        forms = {who} | {s for s, full in self.names.short.items() if full == who}
        alias = {a for a, f in self.names.links.items() if f == name} | {
            f for a, f in self.names.links.items() if a == name}
        others = {name} | alias
        for sentence in self.sentences():
            if any(f in sentence for f in forms) and any(o in sentence for o in others):
                return True
        return False

    def sentences(self) -> list[str]:
        if self._sentences is None:
            bounds = [0] + [m.end() for m in _SENT_END.finditer(self.text)] + [len(self.text)]
            self._sentences = [self.text[a:b] for a, b in zip(bounds, bounds[1:])]
        return self._sentences

    def role_org(self, role: str) -> str | None:
        """The one organisation of the article named with the role's first word ("la
        préfecture" -> "préfecture de la Marne")."""
        head = role.split()[0] if role.split() else ""
        if head not in _INSTITUTIONS:
            return None
        found = {o for o in self.names.orgs if o.split()[0].lower() == head}
        return found.pop() if len(found) == 1 else None

    def whole_name(self, pos: int, name: str) -> str:
        """``name`` found at ``pos``, or the longer entity written there ("UFC" of
        "UFC-Que Choisir")."""
        for ent in self.names.orgs + self.names.persons:
            if len(ent) > len(name) and self.text.startswith(ent, pos):
                return ent
        return name

    def name_as_written(self, pos: int) -> str | None:
        """The capitalised name written at ``pos``: an entity of the article it begins
        ("Tedros" -> "Tedros Adhanom Ghebreyesus", "Marine" -> "Marine Le Pen"), else the
        words as written when they are more than one word or follow a civility ("M. Asseed");
        a single unknown capitalised word is no name ("Déterminée")."""
        m = _CAP_NAME.match(self.text, pos)
        if not m:
            return None
        written = m.group(0)
        plain = _CIVILITY.sub("", written)
        if " " not in plain and _DEMONYM.search(plain.lower()) and re.search(
                r"\b(?:le|la|l['’]|un|une)\s*$", self.text[max(0, pos - 6):pos]):
            return None  # "le Palestinien": a demonym, nobody's name (not "Le Parisien")
        for ent in self.names.persons + self.names.orgs:
            if ent == plain or ent.startswith(plain + " ") or ent.startswith(plain + "-"):
                return ent
        if plain in self.names.short:
            return self.names.full(plain)
        if plain in self.names.places:
            return None
        if len(plain.split()) > 1 or plain != written:
            return plain  # "M. Macron" -> "Macron": the search's view joins a surname to its full name
        return None

    def role_person(self, role: str, before: int) -> str | None:
        """The person the article names with ``role`` (nearest before ``before``, else
        after). A role with a complement ("président du MoDem") is looked up whole (or as
        its news equivalent), never as its bare head ("président")."""
        keys = [v for k, v in _ROLE_SAME.items() if role.startswith(k)]
        words = role.split()
        if len(words) > 1 and words[1] in ("de", "du", "des", "d'", "d’", "à", "au", "aux"):
            keys.append(role)
            if len(words) > 2 and words[1] in ("de", "d'", "d’") and words[2] in ("la", "l'", "l’"):
                keys.append(" ".join(words[:4]))
        else:
            keys += [" ".join(words[:n]) for n in range(min(len(words), 3), 0, -1)]
            if len(words) == 2:
                keys.append(words[-1])  # "le dirigeant nord-coréen" -> "homologue nord-coréen Kim Jong-un"
        text_l = self.text.lower()
        mentions = self.person_mentions()
        for key in keys:
            if len(key) < 3 or key in _VAGUE:
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
                if re.search(r"\b(?:à|au|aux|avec|contre|par|pour|chez|de|du|des|d['’])\s*(?:l['’]|la\s+|le\s+)?$",
                             gap):
                    continue
                return name
        for pos, stop, name in mentions:
            if 0 < start - stop <= 40 and _APPOSED_ROLE.fullmatch(text[stop:start]):
                return name
        return None

    # ------------------------------------------------------------ pronouns

    def pronoun(self, before: int, gender: str | None = None, kind: str | None = None) -> str | None:
        """The person a pronoun stands for: the most recent, before the quote, of the
        previous quotes' speakers and the first person named as a head (not in a
        complement) of each sentence, in this paragraph or the previous, whose gender
        (:mod:`searchsvc.enrich.coref`) does not contradict ``gender``; a plural pronoun
        stands for a pair the passage names (:meth:`pair`), else for nobody. ``kind``: "person" or "org" to keep only those (an organisation
        only as an earlier speaker)."""
        if gender == "plural":
            return self.pair(before)
        text = self.text
        para = text.rfind("\n", 0, before) + 1
        prev = text.rfind("\n", 0, max(0, para - 2)) + 1 if para > 0 else 0
        found = [(pos, who) for pos, who in self.said if who and prev <= pos < before]
        # someone unnamed who spoke since ("…, selon le président de l'université de X.")
        found += self._unnamed_selon(prev, before)
        if kind == "org":  # earlier speakers only (the nearest organisation named measured
            found.sort(key=lambda x: -x[0])  # worse: "l'association" is rarely the last one named)
        else:
            found += self._named_heads(prev, before)
            found.sort(key=lambda x: -x[0])
        for _, who in found:
            if who is None:
                return None  # the pronoun may stand for that unnamed speaker
            if self._fits(who, gender, kind):
                return who
        here = self.paragraph(before)
        for pos, who in reversed(self.said):
            if here - self.paragraph(pos) > 2:
                break
            if who and self._fits(who, gender, kind):
                return who
        return None

    def pair(self, before: int) -> str | None:
        """Who "ils" or "les deux hommes" stands for: the first of two persons the passage names
        together ("X … une tribune co-signée avec Y"), the speaker of the pair's last quote;
        nobody for any other group."""
        text = self.text
        para = text.rfind("\n", 0, before) + 1
        prev = text.rfind("\n", 0, max(0, para - 2)) + 1 if para > 0 else 0
        found = [(pos, who) for pos, who in self.paired if prev <= pos < before]
        window = text[prev:before]
        bounds = [0] + [m.end() for m in _SENT_END.finditer(window)] + [len(window)]
        for a, b in zip(bounds, bounds[1:]):
            sentence = window[a:b]
            named = [(pos, n) for pos, n in self.names.persons_in(sentence)
                     if not self.quoted(prev + a + pos) and _apposed(sentence, pos)]
            names = list(dict.fromkeys(n for _, n in named))
            if len(names) == 2:
                first = next(pos for pos, n in named if n == names[0])
                second = next(pos for pos, n in named if n == names[1])
                if re.search(r"\b(?:et|avec)\b", sentence[first:second]):
                    found.append((prev + a + second, names[0]))
        if not found:
            return None
        who = max(found)[1]
        self.paired.append((before, who))
        return who

    def _unnamed_selon(self, start: int, end: int) -> list[tuple[int, None]]:
        """(position, None) of each "selon <someone the article does not name>" outside quotes."""
        if self._in_selon:
            return []
        self._in_selon = True
        try:
            return [(m.start(), None) for m in _SELON.finditer(self.text, start, end)
                    if not self.quoted(m.start()) and self.text[m.end():m.end() + 1].islower()
                    and self._selon(m.end(), m.start()) is None]
        finally:
            self._in_selon = False
        self.paired: list[tuple[int, str]] = []  # quotes given to the first of a pair

    def _fits(self, who: str, gender: str | None, kind: str | None) -> bool:
        if kind == "person" and who not in self.names.persons:
            return False
        if kind == "org" and who not in self.names.orgs:
            return False
        if self._genders is None:
            self._genders = coref.person_genders(self.text, self.person_mentions())
        return coref.agrees(gender, self._genders.get(who))

    def _named_heads(self, start: int, end: int) -> list[tuple[int, str]]:
        """(position, name) of the persons named as heads in each sentence, the one a speech
        verb introduces first, else the first named, placed last in the sentence."""
        window = self.text[start:end]
        bounds = [0] + [m.end() for m in _SENT_END.finditer(window)] + [len(window)]
        out = []
        for a, b in zip(bounds, bounds[1:]):
            sentence = window[a:b]
            heads = [(pos, name) for pos, name in self.names.persons_in(sentence)
                     if _apposed(sentence, pos) and not self.quoted(start + a + pos)]
            # the one a speech verb introduces first ("X, 15 ans, a souffert…, a déclaré Y")
            if b == len(window):  # the quote's own sentence: the nearest to the quote first
                heads.reverse()
            speaking = [(pos, name) for pos, name in heads if _speaks(sentence, pos, name)]
            ordered = speaking + [h for h in heads if h not in speaking]
            # the first is the sentence's; the others come after it (for a gender it lacks)
            last = start + a + max((pos for pos, _ in heads), default=0)
            out += [(last - k * 1e-3, name) for k, (_, name) in enumerate(ordered)]
        return out

    def after_verb(self, pos: int, to_comma: bool = False) -> str | None:
        """The first person (else organisation) named as a head in the clause after an
        incise's verb (up to its first comma with ``to_comma``), when the parser gave it
        no subject."""
        clause = re.split(r"[.!?;\n,]" if to_comma else r"[.!?;\n]", self.text[pos:pos + 160], maxsplit=1)[0]
        for p, name in self.names.persons_in(clause):
            if _apposed(clause, p):  # not "au journal X", "l'avocat de la famille X"
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
                return True, self.pronoun(begin, coref.pronoun_gender(m.group(1) or m.group(3)))
            rest = quote[m.end():m.end() + 80]
            found = self.names.persons_in(rest)
            if found and _apposed(rest, found[0][0]) and not _DET.sub("", rest[:found[0][0]]).strip(" ,"):
                return True, found[0][1]
        return False, None

    def opening_participle(self, begin: int, close: int) -> tuple[bool, str | None]:
        """« Soulignant que « … », la maire … s'est inquiétée »: a sentence opening with a
        participle speaks through the subject after the quote."""
        s0 = self.text.rfind("\n", 0, begin) + 1
        for sm in _SENT_END.finditer(self.text, s0, max(s0, begin - 1)):
            s0 = sm.end()
        if not _OPENING_PARTICIPLE.match(self.text[s0:max(s0, begin - 1)]):
            return False, None
        m = _SUBJECT_AFTER.match(self.text, close + 1)
        if not m:
            return False, None
        return True, self._phrase_speaker(m.start(1), m.group(1), begin)

    def comme(self, begin: int) -> tuple[bool, str | None]:
        """« Comme le précise X, « … » », « Comme l'a révélé X, « … » »: X speaks."""
        para = self.text.rfind("\n", 0, begin) + 1
        m = _COMME.search(self.text, max(para, begin - 200), max(para, begin - 1))
        if not m or not SPEECH.match(m.group(1).lower()):
            return False, None
        return True, self._phrase_speaker(m.start(2), m.group(2), begin)

    def participle(self, begin: int) -> str | None:
        """The person named right before a present participle that introduces the quote
        ("le député X saluant un « … »", "X, rappelant que « … »", "X rendant « hommage … »"),
        or before a speech verb and "que" ("…, Jean Castex, a expliqué qu'« … »")."""
        para = self.text.rfind("\n", 0, begin) + 1
        before = self.text[max(para, begin - 160):max(para, begin - 1)]
        m = _PARTICIPLE.search(before) or _SAID_THAT.search(before)
        if not m or self.names.person_re is None:
            return None
        if m.re is _SAID_THAT and not SPEECH.match(m.group(1).lower()):
            return None
        head = before[:m.start()].rstrip(" ,")
        last = list(self.names.person_re.finditer(head))
        if last and last[-1].end() == len(head):
            return self.names.full(last[-1].group(0))
        return None

    def speaking_subject(self, begin: int) -> str | None:
        """The first person named as a head in the quote's sentence when a speech verb
        follows the name ("X, la députée, s'est pour sa part félicitée que … « … »")."""
        s0 = self.text.rfind("\n", 0, begin) + 1
        for sm in _SENT_END.finditer(self.text, s0, max(s0, begin - 1)):
            s0 = sm.end()
        sentence = self.text[s0:max(s0, begin - 1)]
        rx = self.names.person_re
        for m in rx.finditer(sentence) if rx else ():
            if not _apposed(sentence, m.start()):
                continue
            rest = re.sub(r"^\s*,[^,]*,", "", sentence[m.end():])  # an apposition after the name
            words = [w for w in re.findall(r"[\w'’-]+", rest) if w.lower() not in _FILLERS][:1]
            if words and words[0][:1].islower() and SPEECH.match(words[0].lower()):
                return self.names.full(m.group(0))
            return None
        return None

    def colon(self, begin: int) -> bool:
        """Whether a colon introduces the quote."""
        return self.text[max(0, begin - 6):begin].rstrip(" «\"“").endswith(":")

    def sentence_subject(self, begin: int) -> str | None:
        """The first person named as a head in the quote's sentence, before the quote."""
        s0 = self.text.rfind("\n", 0, begin) + 1
        for sm in _SENT_END.finditer(self.text, s0, max(s0, begin - 1)):
            s0 = sm.end()
        return self._apposed_in(self.text[s0:max(s0, begin - 1)])

    def whole_paragraph(self, begin: int, close: int) -> bool:
        """Whether the quote is its paragraph (nothing else but marks and punctuation)."""
        para = self.text.rfind("\n", 0, begin) + 1
        end = self.text.find("\n", close)
        end = len(self.text) if end < 0 else end
        rest = self.text[para:begin] + self.text[close:end]
        return not rest.strip(" \"«»“”.,;!?…")

    def said_by(self, begin: int, close: int) -> bool:
        """Whether "selon" follows the quote, "selon qui" / "pour qui" opens it or its
        sentence opens with "Pour <a name>," ("Pour Human Rights Watch, les procès …")."""
        after = self.text[close + 1:close + 40].split("\n", 1)[0]
        before = self.text[max(0, begin - 20):max(0, begin - 1)]
        if _SELON_AFTER.match(after) or _POUR_QUI.search(before) or self._selon_ending(close) is not None:
            return True
        s0 = self.text.rfind("\n", 0, begin) + 1
        for sm in _SENT_END.finditer(self.text, s0, max(s0, begin - 1)):
            s0 = sm.end()
        pour = _POUR_OPENING.match(self.text, s0, max(s0, begin - 1))
        return bool(pour and self._named_first(pour.group(1)))

    def _selon_ending(self, close: int) -> int | None:
        """Where the name of a "…, selon X." ending the quote's sentence starts, when only
        other quotes and no verb of speech come between ("« A », afin d'« B », selon la
        préfecture.")."""
        end = self.text.find("\n", close)
        rest = self.text[close + 1:len(self.text) if end < 0 else end]
        stop = _SENT_END_RE.search(rest)
        rest = rest[:stop.start() + 1] if stop else rest
        m = _SELON_ENDING.search(rest)
        if not m or any(SPEECH.match(w.lower()) for w in re.findall(r"[a-zà-ÿ]+", _QUOTED.sub("", rest[:m.start()]))):
            return None
        return close + 1 + m.end()

    def by_rules(self, begin: int, close: int) -> tuple[bool, str | None]:
        """(found, speaker) from "selon X", "X : « … »" and "Et d'ajouter"."""
        text, names = self.text, self.names
        after = text[close + 1:close + 161].split("\n", 1)[0]
        m = _SELON_AFTER.match(after)
        if m:
            return True, self._selon(close + 1 + m.end(), begin)
        ending = self._selon_ending(close)
        if ending is not None:
            return True, self._selon(ending, begin)
        s0 = text.rfind("\n", 0, begin) + 1
        for sm in _SENT_END.finditer(text, s0, max(s0, begin - 1)):
            s0 = sm.end()
        before = text[s0:max(s0, begin - 1)]
        whom = _POUR_QUI.search(before)
        if whom:  # "le philosophe Roland Barthes, pour qui « … »", "…, selon qui « … »"
            head = before[:whom.start()]
            last = list(names.person_re.finditer(head)) if names.person_re else []
            if last and not head[last[-1].end():].strip(" ,"):
                return True, names.full(last[-1].group(0))  # "qui" stands for the name right before it
            return True, self._apposed_in(head, last=True)
        sel = list(_SELON.finditer(before))
        if sel:
            return True, self._selon(s0 + sel[-1].end(), begin)
        pour = _POUR.search(before) or _POUR_OPENING.match(before)
        if pour:  # "Pour le maire de Jéricho, Salem Ghrouf, « … »", "Pour HRW, les procès … « … »"
            return True, self._named_first(pour.group(1)) or self._apposed_in(pour.group(1))
        if _ET_DE.search(before):
            return True, self.pronoun(begin)
        if before.rstrip().endswith(":"):
            found = self._apposed_in(before)  # the subject: "X a critiqué le message de Y : « … »"
            if found:
                return True, found
            orgs = names.orgs_in(before)
            if orgs:
                return True, orgs[-1][1]
        return False, None

    def _selon(self, pos: int, before: int) -> str | None:
        """The speaker "selon" introduces at ``pos``: a name, else a role or an institution
        resolved as a speech verb's subject ("selon la préfecture", "selon le magistrat")."""
        phrase = re.split(r"[,.;:!?«»\"“”()\n]", self.text[pos:pos + 80], maxsplit=1)[0]
        return self._phrase_speaker(pos, phrase, before)

    def _phrase_speaker(self, pos: int, phrase: str, before: int) -> str | None:
        """The speaker a subject phrase written at ``pos`` names (a name, a pronoun, a role)."""
        name = self._named_first(phrase)
        if name or not phrase.strip():
            return name
        words = phrase.split()
        gender = coref.pronoun_gender({"lui": "il", "eux": "ils"}.get(words[0].lower(), words[0]))
        if gender:  # "selon elle", "selon lui"
            return self.pronoun(before, gender)
        det = words[0].lower() if _DET.match(words[0] + " ") else ""
        if det.endswith(("'", "’")) or (not det and re.match(r"^l['’]", words[0], re.I)):
            det, head = "l'", re.sub(r"^l['’]", "", words[0], flags=re.I)
        else:
            head = words[1] if det and len(words) > 1 else words[0]
        return self.from_phrase(phrase, pos, head, det, before, True)[0]

    def _apposed_in(self, text: str, last: bool = False) -> str | None:
        """The first (or last) person of ``text`` named as a head, not in a complement."""
        found = [name for pos, name in self.names.persons_in(text) if _apposed(text, pos)]
        return (found[-1] if last else found[0]) if found else None

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
    art.spans = found_spans
    sides: list = []
    for k, (begin, close) in enumerate(found_spans):
        quote = " ".join(text[begin:close].split()).strip()
        subj = subjects[k] if subjects is not None and k < len(subjects) else None
        speaker, role, decided = None, None, False
        if (not subj or subj.get("side") != "after") and art.participle(begin):
            decided, speaker = True, art.participle(begin)
        elif art.opening_participle(begin, close)[0]:
            decided, speaker = art.opening_participle(begin, close)
        elif art.comme(begin)[0]:
            decided, speaker = art.comme(begin)
        elif subj:
            decided = True
            if subj.get("pron") and subj.get("side") == "before" and not subj.get("speech"):
                decided = False  # "elle a été visée par des menaces, dont une disant : « … »"
            elif subj.get("pron"):
                # a name right after the verb, before any comma, outweighs a stray pronoun
                named = art.after_verb(subj["verb_end"], to_comma=True) if subj.get("verb_end") else None
                speaker = named or art.pronoun(begin, coref.pronoun_gender(subj.get("head", "")))
            elif subj.get("span"):
                s, e = subj["span"]
                # a colon introducing the quote says the subject speaks ("la dirigeante s'est fait
                # un plaisir de donner une leçon : « … »")
                speech = subj.get("speech", False) or (subj.get("side") == "before" and art.colon(begin))
                speaker, role = art.from_phrase(text[s:e], s, subj.get("head", ""), subj.get("det", ""),
                                                begin, speech)
                if subj.get("side") == "before" and not speech \
                        and speaker not in art.names.persons:
                    # the subject of a verb that says nothing ("La SNCF devrait pouvoir « … »,
                    # "Son adolescence a été rythmée de « … »"): only a person is taken as the
                    # speaker; else "selon", a colon or the passage's speaker may still tell,
                    # or the person the sentence makes speak ("X s'est félicitée que Y ait « … »")
                    speaker, role, decided = None, None, False
                    who = art.speaking_subject(begin)
                    if who:
                        speaker, decided = who, True
            elif subj.get("verb_end"):
                speaker = art.after_verb(subj["verb_end"])
                pron = _PRONOUN_BEFORE_VERB.search(text[close + 1:subj["verb_end"]])
                if speaker is None and pron:  # « … » a t-il affirmé
                    speaker = art.pronoun(begin, coref.pronoun_gender(pron.group(1)))
                elif speaker is None and _BARE_VERB.match(text[close + 1:subj["verb_end"]]):
                    # "X, qui échange avec Y comme « … », a expliqué :": the verb's subject
                    # opens the sentence, before the quote
                    speaker = art.sentence_subject(begin)
            else:
                decided = False
        if subj and subj.get("side") != "after" and art.said_by(begin, close):
            # "« … », selon X" and "X, selon qui « … »" name the speaker, unless a person speaks
            # through a speech verb and "selon" names the organisation reporting it ("X a
            # souligné « … », selon la BBC": X)
            found, source = art.by_rules(begin, close)
            if not (subj.get("speech") and speaker in art.names.persons and source in art.names.orgs):
                decided, speaker, role = found, source, None
        if not decided:
            decided, speaker = art.incise(begin, close)
        if not decided:
            decided, speaker = art.by_rules(begin, close)
        loose = not decided or (speaker is None and role is None and subj is not None
                                and subj.get("side") != "after" and not subj.get("pron")
                                and subj.get("head", "").lower() not in _GROUPS)
        if loose and out and art.said:
            # a quote continued in the same paragraph, nobody else named since the last one, or
            # a paragraph that is one quote right after a paragraph ending with an attributed one
            prev_close = found_spans[k - 1][1]
            gap = text[prev_close + 1:begin]
            last = out[-1]["speaker"]
            after = gap[re.search(r"[.!?…]\s|$", gap).end():] if "\n" in gap else gap
            if ("\n" not in gap or art.whole_paragraph(begin, close) and gap.count("\n\n") <= 1
                    and not after.strip(" \n\"«»“”.,;!?…")) \
                    and {n for _, n in art.names.persons_in(gap)} <= {last} \
                    and {n for p, n in art.names.orgs_in(gap) if not _in_complement(gap, p)} <= {last}:
                speaker = last  # nobody but the last speaker (in its incise) named since
        item = {"text": quote, "speaker": speaker, "position": begin}
        if role and not speaker:
            item["role"] = role
        out.append(item)
        art.said.append((begin, speaker))
        sides.append(subj.get("side") if subj else None)
    _shared_incise(text, found_spans, out, sides, art)
    _repeated(out)
    return out


def _shared_incise(text: str, found_spans, out: list[dict], sides: list, art: "_Article") -> None:
    """« A » et « B », a dit X: a quote without a speaker takes the speaker of the incise
    of the next quote of its sentence, with nobody named in between."""
    for k in range(len(out) - 2, -1, -1):
        if out[k]["speaker"] or not out[k + 1]["speaker"] or sides[k + 1] != "after":
            continue
        gap = text[found_spans[k][1] + 1:found_spans[k + 1][0]]
        if "\n" in gap or re.search(r"[.!?…]\s", gap) or art.names.persons_in(gap) \
                or art.names.orgs_in(gap):
            continue
        out[k]["speaker"] = out[k + 1]["speaker"]
        out[k].pop("role", None)


def _repeated(found: list[dict]) -> None:
    """A quote left without a speaker that repeats the words of an attributed quote of the
    same article (an intertitle, a title) takes that quote's speaker."""
    keyed = [(" ".join(words_key(q["text"])), q["speaker"]) for q in found]
    for i, (q, (key, speaker)) in enumerate(zip(found, keyed)):
        if speaker or len(key.split()) < 4:
            continue
        # the last word may differ ("mâtiné d'antisémite" for "mâtiné d'antisémitisme")
        stem = " ".join(key.split()[:-1]) if len(key.split()) >= 5 else key
        same = {s for j, (k, s) in enumerate(keyed)
                if s and j != i and (stem in k or k in key) and len(k.split()) >= 4}
        if len(same) == 1:
            q["speaker"] = same.pop()
            q.pop("role", None)
