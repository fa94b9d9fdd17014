"""The second strategy of HTML extraction: trafilatura, when our main block looks too small.

Our extractor (:mod:`searchsvc.ingest.html`) picks one main block. On pages built unlike the
ones it was tuned on (an essay page, a live commentary, a press release in a table layout),
that block can hold a few lines of a long article. Measured on html-diverse
(bench/extract_quality.py), running trafilatura 2.3.1 (a well-kept extractor with its own
readability/jusText fallbacks) on the pages where our text has fewer than
``MIN_WORDS`` words or less than ``MIN_SHARE`` of the page's candidate text, and keeping its
text when ours misses much of it, recovered most of the must-keep passages we lost, while
trafilatura runs on about a quarter of the pages only. ``fast=True`` (without trafilatura's
own readability/jusText fallbacks) was measured in the same run: pages/s 1.21x trafilatura's
instead of 1.02x, but full-text F1 0.968 -> 0.959 on fundus and 0.964 -> 0.960 on scrapinghub,
must-keep 0.924 -> 0.918, so the full extraction is used.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

MIN_WORDS = 100     # below this many words our text is always checked
MIN_SHARE = 0.3     # ... and below this share of the page's candidate text
COVER = 0.7         # trafilatura's text wins when ours holds less than this share of its words
MIN_THEIRS = 20     # ... and it has at least this many words (a menu word is not an article)
FAST = False        # True skips its readability/jusText fallbacks: faster, but measured worse

_WORD = re.compile(r"\w+")
_RULE = re.compile(r"^:?-{3,}:?$")  # the line under a table's header row
log = logging.getLogger(__name__)


def words(text: str) -> Counter:
    return Counter(_WORD.findall(text.lower()))


def looks_short(ours: str, page_text: str) -> bool:
    """Our text is small for the page: fewer than MIN_WORDS words or MIN_SHARE of its text."""
    n = len(_WORD.findall(ours))
    return n < MIN_WORDS or n < MIN_SHARE * len(_WORD.findall(page_text))


def trafilatura_lines(html: str) -> list[str] | None:
    """trafilatura's main text of the page as lines, or None (nothing found, or a failure)."""
    try:
        import trafilatura

        text = trafilatura.extract(html, include_comments=False, include_tables=True, fast=FAST)
    except Exception as exc:  # a library failure must never lose the page: keep ours
        log.debug("trafilatura failed: %s", exc)
        return None
    if not text:
        return None
    lines: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|") and line.endswith("|"):  # a table row: one line a cell
            lines.extend(c for c in (cell.strip() for cell in line.strip("|").split("|"))
                         if c and not _RULE.match(c))
        elif line:
            lines.append(line)
    return lines


def better(ours: str, theirs: str) -> bool:
    """Their text holds much that ours misses (ours has less than COVER of its words)."""
    a, b = words(ours), words(theirs)
    total = sum(b.values())
    return total >= MIN_THEIRS and sum((a & b).values()) < COVER * total
