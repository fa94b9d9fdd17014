"""Organisation and place spans of the NER model made whole and of the right kind.

Scraped news text glues words across a lost line break, and the model then reads one span
across two names or two sentences; it also reads an institution's name as a place. Each
raw span is cut or re-labelled here before :func:`searchsvc.enrich.entities.clean` trims
and filters it:

- a quotation mark inside a span, or a full stop glued to what follows ("GfK.\\"Ça",
  "HAS.129,6"), ends the name there; a span opening with "en" is the place after it ("en
  Irak");
- an organisation or place whose first word heads an institution ("Cour suprême
  israélienne", "Conseil régional des Hauts-de-France", "Préfecture maritime de
  l'Atlantique") is an organisation;
- a person written right after an organisation's acronym or a minister's portfolio ("à
  l'AFP Sophie", "ministre des Transports Ali Abedzadeh") is a person of their own; the
  portfolio alone is no organisation;
- an organisation whose first word is a one-word person of the article ("Tedros" then
  "Tedros Adhanom Ghebreyesus") is that person's full name;
- a minister's portfolio alone is no organisation ("ministre des Armées"); a name followed
  by a one- or two-digit number is a channel ("Europe 1", "France 2");
- a place shaped like a demonym written after "au" or "du" is a newspaper ("au Parisien");
- a person the text puts in apposition to an organisation's noun ("le magazine Closer",
  "l'association Ferus") is that organisation.

Contract: ``split(text, start, end, kind, persons, lower_words, alone) -> [(kind, start,
end)]`` (``persons``: the one-word person names the model found in the article, civility
dropped; ``lower_words``: the words the article writes in lower case; ``alone``: the
one-word organisations the model found on their own).
"""

from __future__ import annotations

import re

#: first words of an institution's capitalised name (the model often reads them as places;
#: not "Fédération", "République": "Fédération de Russie" is a country)
INSTITUTION_HEADS = {"cour", "conseil", "préfecture", "prefecture", "tribunal", "assemblée",
                     "assemblee", "agence", "office", "ministère", "ministere", "commission",
                     "haute", "caisse", "assurance", "trésor", "tresor", "banque", "comité", "comite", "institut", "observatoire", "parquet",
                     "sénat", "senat", "syndicat", "association", "parlement", "direction"}
_CUT = re.compile(r"[\"“”«»]|(?<=\w)\.(?=[\"“”«»\d])")
#: "ministre de l'", "secrétaire d'État aux": the capitalised words after are a portfolio
_PORTFOLIO = re.compile(r"(?:ministre|ministère|secrétaire\s+d['’]État|secrétariat\s+d['’]État)"
                        r"(?:\s+[\w-]+)?\s+(?:de\s+la|de\s+l['’]|des|du|aux|à\s+la|au|de)\s*$", re.I)
#: a lower-case noun of an organisation right before a name: the name is the organisation's
_ORG_APPOSITION = re.compile(
    r"(?<![\w-])(?:le|la|l['’]|du|de\s+la|de\s+l['’]|au|à\s+la|à\s+l['’])\s*(?:magazine|journal|quotidien|"
    r"hebdomadaire|mensuel|site|parti|association|société|entreprise|groupe|marque|enseigne|"
    r"chaîne|radio|laboratoire|syndicat|fondation|collectif|mouvement|club|start-up|firme|"
    r"constructeur|opérateur|plateforme|compagnie|agence|ONG|fédération)\s+$", re.I)
_DEMONYM_SHAPE = re.compile(r"(?:ien|ienne|ain|aine|ais|aise|ois|oise)$")
#: a portfolio after "ministre(s) de …", also the second of "de l'Intérieur et de la Justice"
_OF = r"(?:de\s+la|de\s+l['’]|des|du|aux|à\s+la|au|de)\s*"
_PORTFOLIO_ANY = re.compile(r"(?:ministres?|ministère|secrétaire\s+d['’]État)\s+" + _OF
                            + r"(?:[A-ZÀ-Ý][\w'’-]*\s+et\s+" + _OF + r")?$")
#: a one- or two-digit number right after a name, not a quantity ("France 2", not "Paris 2 fois")
_CHANNEL_NUMBER = re.compile(r" (\d{1,2})(?![\d,.%])(?!\s*(?:ans?|mois|jours?|heures?|h|km|m|fois|euros?|€|"
                             r"millions?|milliards?|%|à|et|ou|sur)\b)")
_CAP_WORD = re.compile(r"[A-ZÀ-Ý][\w'’-]*")
_ACRONYM = re.compile(r"^[A-ZÀ-Ý]{2,6}$")


def _person_tail(words: list[str], lower_words: set[str]) -> bool:
    """Whether ``words`` read as a person's name: capitalised, not all capitals, never
    written in lower case in the article."""
    return bool(words) and len(words) <= 3 and all(
        _CAP_WORD.fullmatch(w) and not w.isupper() and w.lower() not in lower_words for w in words)


def split(text: str, start: int, end: int, kind: str, persons: set[str],
          lower_words: set[str], alone: set[str] = frozenset()) -> list[tuple[str, int, int]]:
    """The span ``text[start:end]`` of ``kind`` as the names it holds, each with its kind
    (``alone``: the one-word organisations the model found on their own in the article)."""
    piece = text[start:end]
    cut = _CUT.search(piece)
    if cut and cut.start() > 0:
        end = start + cut.start()
        piece = text[start:end]
    lead = re.match(r"en\s+(?=[A-ZÀ-Ý])", piece)
    if lead and kind != "person":  # "en Irak": the model took the preposition in
        return [("place", start + lead.end(), end)]
    if kind != "person" and len(piece.split()) == 1 and _PORTFOLIO_ANY.search(text[max(0, start - 60):start]):
        return []  # "ministre des Armées", "… de l'Intérieur et de la Justice": a portfolio
    number = _CHANNEL_NUMBER.match(text, end)
    if number and kind != "person":  # "Europe 1", "France 2": a channel's name
        return [("org", start, number.end(1))]
    if kind == "person":
        if _ORG_APPOSITION.search(text[max(0, start - 30):start]):
            return [("org", start, end)]  # "le magazine Closer", "l'association Ferus"
        return [(kind, start, end)]
    words = piece.split()
    if not words:
        return []
    if words[0].lower() in INSTITUTION_HEADS and len(words) > 1:
        return [("org", start, end)]
    if kind == "place" and len(words) == 1 and _DEMONYM_SHAPE.search(piece.lower()) \
            and re.search(r"\b(?:au|du)\s+" + re.escape(piece) + r"\b", text):
        return [("org", start, end)]  # "au Parisien", "du Parisien": a newspaper
    if kind != "org" or len(words) < 2:
        return [(kind, start, end)]
    if words[0] in persons and len(words) >= 3 and _person_tail(words[1:], lower_words):
        return [("person", start, end)]  # "Tedros" then "Tedros Adhanom Ghebreyesus"
    first_end = start + piece.index(words[0]) + len(words[0])
    rest = words[1:]
    rest_start = start + piece.index(rest[0], first_end - start)
    if _PORTFOLIO.search(text[max(0, start - 40):start]) and len(rest) >= 2 \
            and _person_tail(rest, lower_words):
        return [("person", rest_start, end)]  # "ministre des Transports Ali Abedzadeh"
    if _ACRONYM.match(words[0]) and words[0] in alone and _person_tail(rest, lower_words):
        return [("org", start, first_end), ("person", rest_start, end)]  # "AFP Sophie"
    return [(kind, start, end)]
