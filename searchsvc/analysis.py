"""French analysis chain. PLACEHOLDER (StandardAnalyzer) until the real chain lands."""

import unicodedata

from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer


def fold(text: str) -> str:
    """Accent and ligature folding."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def french_analyzer():
    return StemmingAnalyzer()


def spelling_analyzer():
    return StandardAnalyzer(stoplist=None)
