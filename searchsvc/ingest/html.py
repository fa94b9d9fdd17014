"""HTML pages (placeholder until the extractor lands): visible text through the text rules."""
from __future__ import annotations
import re
from .text import clean_text

def clean_html(html, lang=None):
    text = re.sub(r"<[^>]+>", "\n", html)
    return clean_text(text, title_in_text=False, lang=lang), {}
