"""Plain-text boilerplate removal: keep the article body, drop the rest with a reason.

The text is cut into units (one a line; hard-wrapped lines are joined back). Each unit
goes through precompiled rules in a fixed order; the first that matches drops it with
a short French reason. The rules look at the unit itself and at a little context: the
"header zone" (units before the first body-like paragraph), the previous unit's fate
(a dateline follows a byline; a caption follows "Légende des photos,") and the units
seen before (repeats). Language is detected once for the document and only for long,
not obviously French paragraphs (see :mod:`searchsvc.ingest.lang`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from searchsvc.article import Dropped

from . import lang as _lang
from .meta import date_cue, parse_date, source_cue

# reasons (short, French, stable: tests and users read them)
MENU = "menu"
SHARE = "partage"
RELATED = "lien connexe"
CAPTION = "légende photo"
CREDIT = "crédit photo"
BYLINE = "signature"
DATELINE = "lieu de rédaction"
DUPLICATE = "doublon"
FOOTER = "pied de page"
SLUG = "slug d'image"
TITLE = "__title__"  # internal: the unit is the title (metadata, neither body nor dropped)


def foreign(code: str) -> str:
    return f"langue étrangère ({code})"


_I = re.I
_SENTENCE_END = ('.', '!', '?', '…', '»', '"', '”', ')', ';')
_MENU_SPLIT = re.compile(r"\s+(?:/|\||»|›|•|·|>|–)\s+")
_SHARE = re.compile(
    r"^\W*(?:partager|partagez(?!-vous)|partage\s*:|suivez[- ]nous|abonnez[- ]vous|inscrivez[- ]vous|"
    r"rejoignez[- ]nous|retrouvez[- ]nous|téléchargez\s+(?:notre|l['’]application)|"
    r"newsletter|cliquez\s+ici|tweeter|imprimer\s+(?:cet|l['’])|envoyer\s+par\s+e-?mail|"
    r"recevez\s+(?:notre|nos|les))\b", _I)
_SUBSCRIBE = re.compile(
    r"\b(?:abonnez[- ]vous|s['’]abonner\s+à\s+(?:notre|nos)|suivez[- ]nous\s+sur|"
    r"rejoignez[- ]nous\s+sur|notre\s+(?:chaîne|canal|compte)\s+telegram)\b", _I)
_RELATED = re.compile(r"^\W*(?:(?:à\s+)?lire\s+aussi|(?:à\s+)?voir\s+aussi|lire\s+la\s+suite|sur\s+le\s+même\s+sujet)\b", _I)
_CREDIT = re.compile(
    r"^\W*(?:(?:crédits?(?:\s+(?:photos?|images?))?|photos?|images?|illustration|source\s+(?:photo|image))"
    r"\s*:|crédits?\s+(?:photos?|images?)\b)\s*\S", _I)
_CAPTION_MARK = re.compile(r"^\W*légendes?(?:\s+(?:des|de\s+la|de\s+l['’]|du)\s*(?:photos?|images?|vidéos?))?\s*[,:.]?\s*$", _I)
_CAPTION_PATTERNS = (  # (pattern, longest caption it may drop)
    (re.compile(r"(?:^|\s)©\s*\w[\w .&/'’-]{0,40}\W?$"), 300),          # "... 2022. © President.ir"
    (re.compile(r"^PHOTOS?\s*/", _I), 600),                                # "PHOTO/Agency via AP - ..."
    (re.compile(r"\((?:[^()]{0,30}\s)?photos?(?:\s[^()]{0,30})?\)\s*$", _I), 600),  # "(Fichier photo AP)"
    (re.compile(r"\((?:L|G)\).*\((?:R|D)\)|\((?:R|D)\).*\((?:L|G)\)"), 300),  # "(L) ... (R)"
)
_BYLINE = (
    re.compile(r"^\W*(?:publié|posté|écrit|rédigé|mis\s+en\s+ligne)e?s?\s+(?:par|le)\b", _I),
    re.compile(r"^\W*(?:dernière\s+)?mis(?:e)?\s+à\s+jour\b", _I),
    re.compile(r"^\W*par\s+[A-ZÉÈ][\w'’.-]+(?:\s+[A-ZÉÈ][\w'’.-]+){0,3}(?:\s*[,/–-]\s*.{0,40})?$"),
    re.compile(r"^\W*\d{1,2}[./]\d{1,2}[./]\d{4}\b.{0,40}\bpar\b", _I),
    re.compile(r"^\W*(?:coordinat(?:eur|rice)|rédact(?:eur|rice)|correspondante?|envoyée?\s+spéciale?|"
               r"traduction)\b[^:.!?]{0,40}:\s*(?:[\w'’.-]+\s*){1,5}$", _I),
    re.compile(r"^\W*(?:propos\s+recueillis|traduit|textes?|reportage)\s+(?:par|de)\s+[A-ZÉ]", _I),
    re.compile(r"^\W*(?:[Aa]vec\s+)?(?:l['’])?(?:AFP|AP|Reuters|Belga|ATS)(?:\s*[/,]\s*[\w. ]{1,30})?\W*$"),
)
_BULLET = re.compile(r"^[•·▪◦*-]\s*\S(?!.*-$)")
_TRAILING_CREDIT = re.compile(
    r"^(.{40,}?[.!?…»\"”])\s*((?:crédits?\s+(?:photos?|images?)|photos?|illustration)\s*:\s*.{1,80})$", re.I)
_FOOTER = (
    re.compile(r"^\|.*\|$"),
    re.compile(r"^\(\s*cette\s+(?:histoire|dépêche|article|information)\b.{0,250}(?:édité|publié|syndiqué)|"
               r"^\W*cette\s+(?:histoire|dépêche)\s+n['’]a\s+pas\s+été\s+éditée", _I),
    re.compile(r"^\W*source\s*:\s*\S", _I),
    re.compile(r"^\W*(?:tous\s+droits\s+réservés|copyright\b|©\s*\d{4})", _I),
)
_SLUG = re.compile(r"^(?:[a-z0-9]+(?:-[a-z0-9]+)+|[\w-]+\.(?:jpe?g|png|gif|webp|avif))$")
_WS = re.compile(r"\s+")


@dataclass
class Cleaned:
    """What the text pipeline makes of one body of text."""

    title: str | None
    paragraphs: list[str]
    dropped: list[Dropped] = field(default_factory=list)
    source: str | None = None
    date: str | None = None
    lang: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def split_units(text: str) -> list[str]:
    """Non-blank lines, stripped; a hard-wrapped line is joined to its continuation
    (a long line without final punctuation followed by one starting in lower case)."""
    units: list[str] = []
    joinable = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            joinable = False
            continue
        if joinable and line[0].islower():
            units[-1] = f"{units[-1]} {line}"
        else:
            units.append(line)
        if len(units[-1]) > 120 and (m := _TRAILING_CREDIT.match(units[-1])):
            units[-1:] = [m[1], m[2]]  # "... fin du paragraphe.Crédit photo : X"
        last = units[-1]
        joinable = len(line) >= 40 and not last.endswith(_SENTENCE_END + (':', ','))
    return units


def _key(s: str) -> str:
    return " ".join(s.split()).casefold()


def _body_like(u: str) -> bool:
    return u.endswith(_SENTENCE_END) and u.count(" ") >= 14


def _is_menu(u: str) -> bool:
    if len(u) > 400:
        return False
    parts = _MENU_SPLIT.split(u)
    return len(parts) >= 3 and all(p.count(" ") <= 3 for p in parts)


def _title_like(u: str) -> bool:
    return len(u) <= 220 and u.count(" ") < 35 and (not u.endswith(".") or u.endswith("..."))


def _structural(u: str, i: int, units: list[str], header: bool, prev: str | None,
                caption_next: bool) -> str | None:
    """The reason to drop unit ``u`` on its own form and position, or None."""
    n_words = u.count(" ") + 1
    short = len(u) <= 300
    if short and _CREDIT.search(u):
        return CREDIT
    if _is_menu(u):
        return MENU
    if header and n_words <= 2 and len(u) <= 25 and not u.endswith(_SENTENCE_END) and (
            prev == MENU or (i + 1 < len(units) and _is_menu(units[i + 1]))):
        return MENU
    if (len(u) <= 100 and _SHARE.search(u)) or (short and _SUBSCRIBE.search(u)):
        return SHARE
    if short and _RELATED.search(u):
        return RELATED
    if _CAPTION_MARK.match(u):
        return CAPTION
    if caption_next and short:
        return CAPTION
    if _SLUG.match(u):
        return SLUG
    if len(u) <= 150:
        for rx in _BYLINE:
            if rx.search(u):
                return BYLINE
        if header and prev == BYLINE and n_words <= 6 and _BULLET.match(u):
            return BYLINE
        if header and len(u) <= 40 and parse_date(u):
            return BYLINE
        if header and prev == BYLINE and n_words <= 8 and not u.endswith(_SENTENCE_END[:3]):
            return DATELINE
    if len(u) <= 400:
        for rx in _FOOTER:
            if rx.search(u):
                return FOOTER
    return None


def _caption(u: str) -> bool:
    n = len(u)
    return any(n <= limit and rx.search(u) for rx, limit in _CAPTION_PATTERNS)


def clean_text(text: str, known_title: str | None = None, title_in_text: bool = True,
               lang: str | None = None, check_all_languages: bool = False) -> Cleaned:
    """Clean a plain-text article.

    ``title_in_text``: the first title-like unit is the title (plain .txt files);
    otherwise a unit is taken as the title only when it repeats ``known_title``.
    ``lang`` forces the document language (from metadata) instead of detecting it.
    """
    units = split_units(text)
    body_start = next((i for i, u in enumerate(units) if _body_like(u)), len(units))
    reasons: list[str | None] = [None] * len(units)
    title_idx: int | None = None
    seen: set[str] = set()
    if known_title:
        seen.add(_key(known_title))
    prev: str | None = None
    caption_next = False
    kept_any = False

    for i, u in enumerate(units):
        header = i < body_start
        r = _structural(u, i, units, header, prev, caption_next)
        caption_next = r == CAPTION and _CAPTION_MARK.match(u) is not None
        if r is None:
            k = _key(u)
            if k in seen:
                r = DUPLICATE
                if known_title and title_idx is None and k == _key(known_title):
                    r, title_idx = TITLE, i  # the known title, first time in the text
            else:
                seen.add(k)
                if (title_in_text and title_idx is None and not kept_any and known_title is None
                        and _title_like(u)):
                    r, title_idx = TITLE, i
                kept_any = kept_any or r is None
        reasons[i] = r
        prev = r

    doc_lang = _language_pass(units, reasons, lang, check_all_languages)
    for i, u in enumerate(units):
        if reasons[i] is None and _caption(u):
            reasons[i] = CAPTION

    title = units[title_idx] if title_idx is not None else None
    paragraphs, dropped = [], []
    src = date = None
    for i, (u, r) in enumerate(zip(units, reasons)):
        if r is None:
            paragraphs.append(u)
            continue
        if r == TITLE:
            continue
        dropped.append(Dropped(u, r))
        if r in (BYLINE, FOOTER, DATELINE) or (i < body_start and r != CAPTION):
            src = src or source_cue(u)
            date = date or date_cue(u)
    return Cleaned(title=title, paragraphs=paragraphs, dropped=dropped, source=src, date=date,
                   lang=doc_lang)


def _language_pass(units: list[str], reasons: list, lang: str | None, check_all: bool) -> str | None:
    """Detect the document language (unless given) and drop surely-foreign paragraphs.

    Guard: if what would be dropped as foreign outweighs what is kept, the document
    language was wrong (short or mixed text): the majority language is taken instead.
    """
    todo = [i for i, r in enumerate(reasons) if r is None]
    doc_lang = lang or _lang.document_language([units[i] for i in todo], check_all)
    for _attempt in range(2):
        found = {i: _lang.foreign_language(units[i], doc_lang, check_all) for i in todo}
        foreign_chars: dict[str, int] = {}
        for i, code in found.items():
            if code:
                foreign_chars[code] = foreign_chars.get(code, 0) + len(units[i])
        kept_chars = sum(len(units[i]) for i, code in found.items() if not code)
        if lang or not foreign_chars or sum(foreign_chars.values()) <= kept_chars:
            break
        doc_lang = max(foreign_chars, key=foreign_chars.get)
    for i, code in found.items():
        if code:
            reasons[i] = foreign(code)
    # short lines next to a foreign paragraph, with no French in them
    if doc_lang == "fr":
        for i in todo:
            u = units[i]
            if reasons[i] is None and len(u) < _lang.MIN_PARAGRAPH_CHARS and u.count(" ") < 8:
                for j in (i + 1, i - 1):
                    if 0 <= j < len(units) and (reasons[j] or "").startswith("langue étrangère"):
                        if _lang.french_ratio(u)[0] == 0.0:
                            reasons[i] = reasons[j]
                        break
    return doc_lang
