"""Language detection: deterministic langdetect, called as rarely as possible.

``langdetect_rs`` (a Rust port with bit-identical output, 28-45x faster) is used when
importable, else ``langdetect``; both with ``DetectorFactory.seed = 0``. Set
``SEARCHSVC_LANGDETECT=langdetect`` to force the pure-Python one.

Cost control: one detection per document, and one per paragraph only for paragraphs
that are long enough to be reliable (:data:`MIN_PARAGRAPH_CHARS`) and not obviously
French by a cheap stop-word ratio (:func:`looks_french`).
"""

from __future__ import annotations

import os
import re

if os.environ.get("SEARCHSVC_LANGDETECT", "").strip() == "langdetect":
    import langdetect as _ld
    BACKEND = "langdetect"
else:
    try:
        import langdetect_rs as _ld
        BACKEND = "langdetect_rs"
    except ImportError:  # pragma: no cover - depends on the environment
        import langdetect as _ld
        BACKEND = "langdetect"

_ld.DetectorFactory.seed = 0
LangDetectException = _ld.LangDetectException

MIN_PARAGRAPH_CHARS = 60   # below this, langdetect is not reliable enough to drop text
MIN_PROB = 0.90            # a paragraph is dropped only when its language is this sure
DOC_SAMPLE_CHARS = 2000    # the document language is detected on this much body text

# Words that are frequent in French and rare in English, Spanish, Italian, German
# (no "de", "la", "en", "que", "a", "son", "se": those are shared).
FRENCH_WORDS = frozenset("""
le les des du et est une dans pour pas qui sur au aux avec ce cette ces il elle ils
elles sont ont été était avait être avoir fait plus ne sa ses leur leurs nous vous
mais où comme aussi après selon entre très tout tous toutes même deux lors dont
à l d qu n j c jusqu lorsqu puisqu année ans contre depuis encore
""".split())
_WORD = re.compile(r"[a-zàâäéèêëîïôöùûüÿçœæáíóúñãõß]+")
FRENCH_RATIO = 0.15
MIN_WORDS = 6


# Function words of the languages a French news page most often mixes in. A paragraph
# detected as one of these is dropped only if it also has their grammar words (a French
# sentence listing English names, "Dua Lipa, Skepta, Rita Ora...", is not English).
FUNCTION_WORDS = {
    "en": frozenset("the of and to in is was for on that with by at from as are were be has have it this an or which who will".split()),
    "es": frozenset("el los las del y en por con una para que es se su lo al como más pero sus fue".split()),
    "it": frozenset("il gli della di che per con una sono non è del nel alla dei come anche".split()),
    "de": frozenset("der die das und ist nicht mit den von zu sich auf für ein eine dem des im auch".split()),
    "pt": frozenset("os das dos do da em para com uma não que por mais como foi são".split()),
    "nl": frozenset("de het een van en in is dat op te zijn met voor niet aan er".split()),
}
FUNCTION_WORDS["fr"] = FRENCH_WORDS
FOREIGN_RATIO = 0.15


def _function_ratio(text: str, code: str) -> float | None:
    words = FUNCTION_WORDS.get(code)
    if words is None:
        return None
    tokens = _WORD.findall(text.lower())
    return sum(map(words.__contains__, tokens)) / len(tokens) if tokens else 0.0


def french_ratio(text: str) -> tuple[float, int]:
    """(share of distinctive French words, number of words) in ``text``."""
    words = _WORD.findall(text.lower())
    if not words:
        return 0.0, 0
    hits = sum(map(FRENCH_WORDS.__contains__, words))
    return hits / len(words), len(words)


def looks_french(text: str) -> bool:
    """Cheap check: enough words and enough distinctive French words."""
    ratio, n = french_ratio(text)
    return n >= MIN_WORDS and ratio >= FRENCH_RATIO


def detect(text: str) -> str | None:
    """The most probable language code of ``text``, or None if langdetect can't tell."""
    try:
        return _ld.detect(text)
    except LangDetectException:
        return None


def detect_sure(text: str) -> tuple[str | None, float]:
    """(language, probability) of the best guess; (None, 0.0) when undetectable."""
    try:
        langs = _ld.detect_langs(text)
    except LangDetectException:
        return None, 0.0
    if not langs:
        return None, 0.0
    return langs[0].lang, langs[0].prob


DOC_FRENCH_RATIO = 0.20    # a sample this French (and DOC_MIN_WORDS long) is French
DOC_MIN_WORDS = 40


def document_language(paragraphs: list[str], check_all: bool = False) -> str | None:
    """One detection on the first :data:`DOC_SAMPLE_CHARS` of the long paragraphs.

    A sample whose distinctive-French-word ratio is at least :data:`DOC_FRENCH_RATIO`
    is French without calling langdetect (``check_all`` disables the shortcut). On all
    33,930 news-fr articles the shortcut fires for 99.85 % of them and langdetect says
    "fr" for every one of those; English, Spanish, Italian, Catalan text stays below 0.1.
    """
    parts, size = [], 0
    for p in paragraphs:
        if len(p) >= MIN_PARAGRAPH_CHARS:
            parts.append(p)
            size += len(p)
            if size >= DOC_SAMPLE_CHARS:
                break
    if not parts:
        parts = paragraphs
    sample = " ".join(parts)[:DOC_SAMPLE_CHARS * 2]
    if not sample.strip():
        return None
    if not check_all:
        ratio, n_words = french_ratio(sample)
        if n_words >= DOC_MIN_WORDS and ratio >= DOC_FRENCH_RATIO:
            return "fr"
    return detect(sample)


def foreign_language(paragraph: str, doc_lang: str | None, check_all: bool = False) -> str | None:
    """The paragraph's language if it is surely not ``doc_lang``, else None.

    Short paragraphs are never judged; when the document is French, paragraphs that
    :func:`looks_french` are not sent to langdetect (``check_all`` disables that
    shortcut, for verifying it changes nothing).
    """
    if doc_lang is None or len(paragraph) < MIN_PARAGRAPH_CHARS:
        return None
    if doc_lang == "fr" and not check_all and looks_french(paragraph):
        return None
    lang, prob = detect_sure(paragraph)
    if lang is None or lang == doc_lang or prob < MIN_PROB:
        return None
    ratio = _function_ratio(paragraph, lang)
    if ratio is None:  # a language we have no word list for: be stricter
        return lang if prob >= 0.99 else None
    return lang if ratio >= FOREIGN_RATIO else None
