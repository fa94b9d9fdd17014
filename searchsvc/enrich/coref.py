"""Who a pronoun or a definite role stands for: grammatical gender and kind, from the text.

French marks gender on the words around a name: "la ministre des Transports, Élisabeth
Borne", "Mme Borne", "Sophie, une étudiante", "le procureur Etienne Manteaux". A person's
gender is read from those words (the determiner heading the phrase written right before
or right after the name; a civility), never from a list of first names; a person whose
mentions disagree, or say nothing, has no gender and matches any pronoun.

A role's gender comes from its determiner ("la candidate", "le magistrat") or, after
"l'", from its words' endings ("l'actrice", "l'acteur"); its kind (a person, or an
organisation: "la société", "l'association", "le quotidien régional") from its head noun.

Contract: ``person_genders(text, mentions) -> {name: "f"|"m"}`` (``mentions``:
``[(start, end, name)]``), ``role_gender(phrase, det) -> "f"|"m"|None``,
``pronoun_gender(word) -> "f"|"m"|"plural"|None``, ``org_role(phrase) -> bool``,
``thing(phrase) -> bool``,
``agrees(gender, other) -> bool``.
"""

from __future__ import annotations

import re

_FEM_DET = {"la", "une", "cette", "mme", "madame", "mlle", "mademoiselle", "sa"}
_MASC_DET = {"le", "un", "ce", "cet", "m.", "monsieur", "mr"}
_LEAD = {"l", "le", "la", "les", "ce", "cette", "cet", "ces", "des", "un", "une", "son", "sa", "ses",
         "leur", "leurs"}
_VERBISH = {"a", "ont", "est", "sont", "avait", "était", "aurait", "qui", "que", "et", "ou"}
_PREP = {"de", "du", "des", "d", "à", "au", "aux", "pour", "par", "sur", "en", "avec", "contre",
         "chez", "dans", "selon", "entre", "vers"}
#: words of a role phrase between its determiner and the name: no clause, no sentence end
_ROLE_WORDS = re.compile(r"^[\w'’\- ]*$")
_LEFT = 60
#: endings of feminine and masculine nouns and adjectives (roles after "l'")
_FEM_END = re.compile(r"(?:trice|euse|enne|esse|ière|ienne|ante|ée|aine|oise|ive)$")
_MASC_END = re.compile(r"(?:teur|eur|ier|ien|ant|é|ain|ois|if|ien|ien|ial|el|eux)$")
#: head nouns of a role that names an organisation, not a person
ORG_NOUNS = {"organisation", "société", "association", "entreprise", "groupe", "compagnie",
             "institut", "institution", "quotidien", "hebdomadaire", "mensuel", "journal",
             "magazine", "site", "chaîne", "radio", "agence", "syndicat", "ong", "fédération",
             "federation", "préfecture", "prefecture", "mairie", "municipalité",
             "ministère", "ministere", "parquet", "gendarmerie", "université", "établissement",
             "etablissement", "enseigne", "marque", "firme", "constructeur", "opérateur",
             "operateur", "plateforme", "fondation", "collectif", "parti", "formation",
             "mouvement", "club", "équipe", "rectorat", "tribunal", "cour", "conseil",
             "commission", "autorité", "autorite", "office", "observatoire", "prévisionniste"}
#: head nouns of a subject that is a text or an event, never a person: their words belong
#: to a named author only when the article says so ("le rapport", "le texte", "la lettre")
THINGS = {"rapport", "texte", "document", "communiqué", "communique", "message", "lettre", "tweet",
          "courrier", "note", "étude", "etude", "pétition", "petition", "article", "livre", "ouvrage",
          "film", "vidéo", "video", "enquête", "enquete", "sondage", "décision", "decision", "arrêté",
          "jugement", "avis", "tribune", "publication", "post", "projet", "loi", "plan", "bilan",
          "tuerie", "affaire", "attaque", "courriel", "mail", "e-mail", "dossier", "procès-verbal",
          "compte-rendu", "compte", "ordonnance", "réquisitoire", "requisitoire", "motion", "appel"}
_PLURAL = {"ils", "elles"}


def _tokens(s: str) -> list[str]:
    return [w for w in re.split(r"[\s'’]+", s.lower()) if w]


def _left_gender(left: str) -> str | None:
    """The gender of the determiner heading the role phrase that ends right before a name
    ("le ministre de la Santé " -> m: "la" follows a preposition and heads nothing)."""
    left = left.rstrip()
    civil = re.search(r"(?<!\w)(M\.|Mr|Monsieur|Mme|Mlle|Madame|Mademoiselle)$", left)
    if civil:
        return "m" if civil.group(1) in ("M.", "Mr", "Monsieur") else "f"
    if left.endswith(","):
        left = left[:-1].rstrip()
    cut = max(left.rfind(c) for c in ".,;:!?\n«»\"“”()")
    left = left[cut + 1:]
    words = re.findall(r"[\w.-]+|['’]", left.lower())[-5:]
    for k in range(len(words) - 1, -1, -1):
        w = words[k]
        if w in _PREP or w in ("'", "’") or w in _VERBISH:
            return None  # "la décision du président X", "sa disparition a déclaré X"
        if w in _FEM_DET or w in _MASC_DET:
            if k and (words[k - 1] in _PREP or words[k - 1] in ("'", "’")):
                return None  # "l'avocat de la famille X"
            if w in ("m.", "mme", "mlle", "madame", "monsieur", "mademoiselle", "mr") and k != len(words) - 1:
                return None  # a civility not right before the name belongs to someone else
            return "f" if w in _FEM_DET else "m"
    return None


def person_genders(text: str, mentions) -> dict[str, str]:
    """The gender of each person whose mentions are introduced by gendered words that agree."""
    votes: dict[str, set[str]] = {}
    for start, end, name in mentions:
        got = set()
        left = _left_gender(text[max(0, start - _LEFT):start])
        if left:
            got.add(left)
        right = re.match(r"\s*,\s*(?:(la|une|cette)|(le|un|cet|ce))\s", text[end:end + 12], re.I)
        if right:
            got.add("f" if right.group(1) else "m")
        if got:
            votes.setdefault(name, set()).update(got)
    return {name: g.pop() for name, g in votes.items() if len(g) == 1}


def role_gender(phrase: str, det: str) -> str | None:
    """The gender of a role: its determiner's, else its words' endings after "l'"."""
    det = det.lower().strip()
    if det in _FEM_DET:
        return "f"
    if det in _MASC_DET:
        return "m"
    words = _tokens(re.split(r"\s(?:de|du|des|d['’]|à|au|aux)\s", " " + phrase + " ", maxsplit=1)[0])
    words = [w for w in words if w not in ("l", "le", "la", "les", "un", "une")][:3]
    fem = any(_FEM_END.search(w) for w in words)
    masc = any(_MASC_END.search(w) and not _FEM_END.search(w) for w in words)
    if fem != masc:
        return "f" if fem else "m"
    return None


def pronoun_gender(word: str) -> str | None:
    w = word.lower().strip("-")
    if w in _PLURAL:
        return "plural"
    if w in ("il", "celui-ci", "ce dernier", "celui"):
        return "m"
    if w in ("elle", "celle-ci", "cette dernière", "celle"):
        return "f"
    return None


def head(phrase: str) -> str:
    words = _tokens(phrase)
    while words and (words[0] in _LEAD or words[0] in _PREP):  # "sur les attaques de X"
        words.pop(0)
    return words[0] if words else ""


def org_role(phrase: str) -> bool:
    """Whether a role's head noun names an organisation ("la société", "le quotidien régional")."""
    return head(phrase) in ORG_NOUNS


def thing(phrase: str) -> bool:
    """Whether a subject's head noun is a text or an event ("le rapport", "les attaques")."""
    noun = head(phrase)
    return noun in THINGS or (noun[-1:] in ("s", "x") and noun[:-1] in THINGS)


def agrees(gender: str | None, other: str | None) -> bool:
    return gender is None or other is None or gender == other
