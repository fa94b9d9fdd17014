"""HTML pages: page metadata and the main article text.

Parsed with ``lxml.html`` directly. BeautifulSoup was measured first: on the 500 pages
of news-fr/html_dev, ``BeautifulSoup(page, "lxml")`` alone takes ~15 ms a page (as
long as trafilatura's whole extraction) against ~0.5 ms for ``lxml.html``; the issue's
"at least as fast as trafilatura" target rules it out (see bench/extract_quality.py).

Steps: (1) metadata from <head>, JSON-LD and <time>; (2) page chrome removed by tag
(script, style, nav, aside, footer, forms, figures...) and comment sections by
class/id; (3) the main container: ``itemprop="articleBody"``, else the element that
holds the most paragraph text (readability-style scoring, links discounted);
(4) inside it, share bars, related lists, captions, bylines... dropped with a reason;
(5) its blocks go through the plain-text rules (:func:`searchsvc.ingest.text.clean_text`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

from searchsvc.article import Dropped

from . import author, dates, fallback
from .dates import parse_stamp
from .reader import IngestError
from .text import BYLINE, CAPTION, CREDIT, MENU, RELATED, SHARE, Cleaned, clean_text

COMMENTS = "commentaires"
PAYWALL = "accès abonnés"
ADVERT = "publicité"
TAGS = "mots-clés"

# never content
# (rt/rp: ruby annotations, the reading of the characters they follow, not more text)
_DROP_TAGS = frozenset("""script style noscript template iframe svg canvas button select
textarea input picture video audio object embed map dialog link meta rt rp""".split())
# page chrome: dropped silently outside the article, with a reason inside it
_CHROME_TAGS = {"nav": MENU, "aside": "encadré", "footer": "pied de page", "form": "formulaire",
                "figure": CAPTION, "figcaption": CAPTION, "menu": MENU}
_BLOCK_TAGS = frozenset("""p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd
blockquote pre table tr td th header address center hr br""".split())
_SCORED_TAGS = ("p", "div", "td", "li", "blockquote", "pre", "dd", "section", "center")

# class/id words -> reason, inside the article container (outside it everything goes)
_CLASS_RULES = [
    (re.compile(r"(?:^|[\s_-])(?:o?social|share|sharing|partage|partager|sharebar|addthis|sociaux)(?:$|[\s_-])"), SHARE),
    (re.compile(r"(?:^|[\s_-])(?:newsletter|subscribe|subscription|abonnement|inscription|follow|suivez)(?:$|[\s_-])"), SHARE),
    (re.compile(r"(?:^|[\s_-])(?:related|connexe|connexes|lire[\s_-]?aussi|voir[\s_-]?aussi|a[\s_-]lire|"
                r"sur[\s_-]le[\s_-]meme[\s_-]sujet|recommand\w*|outbrain|taboola|more[\s_-]stories|"
                r"read[\s_-]more|most[\s_-]read|plus[\s_-]lus|recommend\w*|trending|most[\s_-]popular|popular|"
                r"read[\s_-]next|up[\s_-]next|more[\s_-]from|also[\s_-]read|teasers?)(?:$|[\s_-])"), RELATED),
    (re.compile(r"(?:^|[\s_-])(?:paywall|regwall|piano|subscriber[\s_-]only|premium[\s_-](?:banner|box|promo)|"
                r"metered|offer[\s_-]box)(?:$|[\s_-])"), PAYWALL),
    (re.compile(r"(?:^|[\s_-])(?:comments?|commentaires?|reactions?|disqus|graphcomment|react)(?:$|[\s_-])"), COMMENTS),
    (re.compile(r"(?:^|[\s_-])(?:caption|legende|légende|wp-caption-text|image-caption)(?:$|[\s_-])"), CAPTION),
    (re.compile(r"(?:^|[\s_-])(?:credits?|copyright|crédit)(?:$|[\s_-])"), CREDIT),
    (re.compile(r"(?:^|[\s_-])(?:pub|ads?|advert\w*|banner|sponsor\w*|promo|pave|marketing|disclosure|"
                r"disclaimer)(?:$|[\s_-])"), ADVERT),
    (re.compile(r"(?:^|[\s_-])(?:breadcrumbs?|crumbs?|ariane|menu|navbar|navigation|toolbar)(?:$|[\s_-])"), MENU),
    (re.compile(r"(?:^|[\s_-])(?:tags?|keywords|mots[\s_-]cles|mots[\s_-]clés|topics)(?:$|[\s_-])"), TAGS),
    (re.compile(r"(?:^|[\s_-])(?:byline|author|authors|auteur|signature|date|dateline|published|publication|meta)(?:$|[\s_-])"), BYLINE),
]
_COMMENT_RX = _CLASS_RULES[3][0]
# pop-ups, modal dialogs and consent banners: never the article, wherever they are
_OVERLAY_RX = re.compile(r"(?:^|[\s_-])(?:popup|pop-up|popmake|pum|modal|lightbox|cookie\w*|consent|gdpr|"
                         r"cmp)(?:$|[\s_-])")
_CHROME_RX = re.compile(f"{_COMMENT_RX.pattern}|{_OVERLAY_RX.pattern}")
# any class rule at all: most elements match none, and are tested once
_ANY_CLASS_RX = re.compile("|".join(f"(?:{rx.pattern})" for rx, _ in _CLASS_RULES))
_WS = re.compile(r"\s+")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ARTICLE_TYPES = ("NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle",
                  "BlogPosting", "OpinionNewsArticle", "LiveBlogPosting", "WebPage")


# invisible characters that cut words: soft hyphens (literal or as entities), zero-width
# spaces, word joiners, stray byte-order marks; a word must be found as it is read
_INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff]|&(?:shy|#173|#[xX][aA][dD]);")
_INVISIBLE_ENTITY = re.compile(r"&(?:shy|#173|#[xX][aA][dD]);")


def normalize(html: str) -> str:
    """The page's text as readers and queries see it: invisible word-cutting characters
    removed, then Unicode NFC (one code point for "é", whether typed or decomposed)."""
    # substring tests first: a substitution pass over the page costs ~5 ms
    if ("\u00ad" in html or "\u200b" in html or "\u2060" in html or "\ufeff" in html
            or _INVISIBLE_ENTITY.search(html)):
        html = _INVISIBLE.sub("", html)
    return html if unicodedata.is_normalized("NFC", html) else unicodedata.normalize("NFC", html)


def parse(html: str):
    """An lxml document, or :class:`IngestError` when there is nothing to parse."""
    html = _XML_INVALID.sub(" ", _XML_DECL.sub("", html, count=1))
    try:
        return lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise IngestError(f"HTML illisible : {exc}")


def _text(el) -> str:
    return " ".join(el.text_content().split())  # = _WS.sub(" ", ...).strip(), faster


def _attr_words(el) -> str:
    c = el.get("class")
    i = el.get("id")
    if c is None and i is None:
        return ""
    return f"{c or ''} {i or ''}".lower()


# ---- metadata ------------------------------------------------------------------------

def _jsonld_objects(root):
    for s in root.iter("script"):
        if (s.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(s.text or "")
        except ValueError:
            continue
        stack = [data]
        while stack:
            obj = stack.pop()
            if isinstance(obj, list):
                stack.extend(obj)
            elif isinstance(obj, dict):
                if "@graph" in obj:
                    stack.append(obj["@graph"])
                yield obj


def _types(obj: dict) -> list[str]:
    t = obj.get("@type")
    return [x for x in (t if isinstance(t, list) else [t]) if isinstance(x, str)]


def _name(v):
    if isinstance(v, dict):
        return v.get("name")
    if isinstance(v, list) and v:
        return _name(v[0])
    return v if isinstance(v, str) else None


_TITLE_SEP = re.compile(r"\s+[|–—-]\s+")


def _title_suffix(page_title: str | None, title: str | None) -> str | None:
    """"Article title | Site name" -> "Site name" when the first part is the title (and
    "Site name | Article title" when the last part is)."""
    if not page_title or not title or page_title == title:
        return None
    if page_title.startswith(title):
        rest = page_title[len(title):]
        m = _TITLE_SEP.match(rest)
        name = rest[m.end():].strip() if m else ""
    elif page_title.endswith(title):
        rest = page_title[: -len(title)]
        m = re.search(r"\s+[|–—-]\s+$", rest)
        name = rest[: m.start()].strip() if m else ""
    else:
        return None
    if 0 < len(name) <= 60 and not _TITLE_SEP.search(name):
        return name
    return None


_SITE_TYPES = ("WebSite", "Organization", "NewsMediaOrganization")


def page_metadata(root) -> dict:
    """title, source, url, author from the page (JSON-LD > Open Graph > tags), and the date
    stamps it states (``_published``, ``_modified``) with its ``_lang``, and ``_site`` (the
    host or handle to name the site by when nothing names it); the day itself is
    chosen by :func:`clean_html` (see :mod:`searchsvc.ingest.dates`)."""
    meta: dict[str, str] = {}
    for m in root.iter("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or m.get("http-equiv") or "").strip().lower()
        content = m.get("content")
        if key and content and key not in meta:
            meta[key] = content.strip()
    ld: dict = {}
    published: list = []
    modified: list = []
    site_name = None
    for obj in _jsonld_objects(root):
        types = _types(obj)
        if site_name is None and any(t in _SITE_TYPES for t in types) and isinstance(obj.get("name"), str):
            site_name = obj["name"].strip() or None
        if any(t in _ARTICLE_TYPES for t in types):
            # an article object beats a WebPage one
            if not ld or ("WebPage" in _types(ld) and "WebPage" not in types):
                ld = obj
            if "WebPage" not in types:
                published.extend(filter(None, (parse_stamp(obj.get(k)) for k in dates.LD_PUBLISHED[:1])))
    if not published:
        published.extend(filter(None, (parse_stamp(ld.get(k)) for k in dates.LD_PUBLISHED)))
    published.extend(filter(None, (parse_stamp(meta.get(k)) for k in dates.PUBLISHED_META)))
    modified.extend(filter(None, (parse_stamp(ld.get("dateModified")),
                                  *(parse_stamp(meta.get(k)) for k in dates.MODIFIED_META))))
    canonical = None
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            canonical = link.get("href").strip()
            break
    title_el = root.find(".//title")
    h1 = root.find(".//h1")
    page_title = _text(title_el) if title_el is not None else None

    title = (_name(ld.get("headline")) or meta.get("og:title") or meta.get("twitter:title")
             or (_text(h1) if h1 is not None else None) or page_title)
    source = (meta.get("og:site_name") or _name(ld.get("publisher"))
              or meta.get("application-name") or site_name or _title_suffix(page_title, title)
              or _publisher_meta(meta))
    url = canonical or meta.get("og:url")
    if not url:
        main = ld.get("mainEntityOfPage")
        url = main.get("@id") if isinstance(main, dict) else main if isinstance(main, str) else ld.get("url")
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or meta.get("content-language")
    # without a stated name: the site's address, else its social handle (after a name the
    # text states, see clean_html)
    site = (_host(url if isinstance(url, str) else None) or _host(_site_link(root))
            or _host(meta.get("twitter:url")) or _handle(meta.get("twitter:site")))
    return {"title": title.strip() if isinstance(title, str) else None,
            "source": source if isinstance(source, str) else None,
            "date": None, "url": url if isinstance(url, str) else None, "author": author.from_meta(meta, ld),
            "_published": published, "_modified": modified, "_lang": lang, "_site": site}


_PUBLISHER_META = ("dc.publisher", "dcterms.publisher", "dc:publisher", "publisher", "article:publisher",
                   "citation_journal_title", "citation_publisher")


def _publisher_meta(meta: dict) -> str | None:
    """A publisher named in the page's Dublin Core / citation / article meta tags (not a
    URL: ``article:publisher`` is often the publisher's social page)."""
    for key in _PUBLISHER_META:
        v = meta.get(key)
        if v and "://" not in v and not v.startswith("www.") and len(v) <= 100:
            return v
    return None


def _site_link(root) -> str | None:
    """The page's ``<base href>`` or its ``x-default`` alternate: the site's address."""
    for el in root.iter("base", "link"):
        href = (el.get("href") or "").strip()
        if href.startswith(("http://", "https://")) and (
                el.tag == "base" or (el.get("hreflang") or "").lower() == "x-default"):
            return href
    return None


def _handle(v: str | None) -> str | None:
    """``@lemondefr`` -> ``lemondefr`` (a Twitter/X handle, the last resort for a name)."""
    v = (v or "").strip().lstrip("@")
    return v if re.fullmatch(r"\w{2,30}", v or "") else None


def page_date(root, meta: dict, lang: str | None = None) -> str | None:
    """The publication day of a parsed page (before :func:`_strip_chrome`: htmldate reads
    the whole page, URL, scripts and comments included)."""
    lang = lang or meta.get("_lang")

    itemprop, times = dates.time_stamps(root)
    return dates.publication_day(meta.get("_published", []) + itemprop, meta.get("_modified", []),
                                 times, lang, lambda: dates.htmldate_day(root))


# ---- main text -------------------------------------------------------------------------

def _drop(el) -> None:
    parent = el.getparent()
    if parent is not None:
        el.drop_tree()


def _in_article(el) -> bool:
    for a in el.iterancestors():
        if a.tag in ("article", "main") or a.get("itemprop") == "articleBody" or a.get("role") == "main":
            return True
    return False


def _strip_chrome(root) -> None:
    doomed = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):          # HTML comments, processing instructions
            doomed.append(el)
        elif tag in _DROP_TAGS:
            doomed.append(el)
        elif tag in _CHROME_TAGS or tag == "header":
            if not _in_article(el) and not (tag == "form" and _wraps_page(el)):
                doomed.append(el)
        elif tag not in ("html", "body", "article", "main"):
            words = _attr_words(el)
            if words and _CHROME_RX.search(words) and el.get("itemprop") != "articleBody":
                # an overlay word on a block holding the article's paragraphs is a feature
                # flag ("use-lightbox": its pictures open in one), not a pop-up
                if _COMMENT_RX.search(words) or not _wraps_page(el, OVERLAY_MAX_PARAGRAPHS):
                    doomed.append(el)
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()


OVERLAY_MAX_PARAGRAPHS = 3  # a pop-up or consent banner holds fewer long paragraphs than this


def _wraps_page(form, paragraphs: int = 2) -> bool:
    """A form around the whole page (ASP.NET sites), not a search box or a comment form
    (at least ``paragraphs`` paragraphs of 150 characters or more)."""
    n = 0
    for p in form.iter("p"):
        if len(_text(p)) >= 150:
            n += 1
            if n >= paragraphs:
                return True
    return False


def _link_density(el, length: int) -> float:
    if not length:
        return 1.0
    links = sum(len(_text(a)) for a in el.iter("a"))
    return min(1.0, links / length)


def find_container(root):
    """The element holding the article text."""
    body = root.find("body")
    if body is None:
        body = root
    for el in body.iter():
        if el.get("itemprop") == "articleBody" and len(_text(el)) >= 80:
            return el
    scores: dict = {}
    for p in body.iter(*_SCORED_TAGS):
        if any(isinstance(c.tag, str) and c.tag in _BLOCK_TAGS and c.tag != "br" for c in p):
            continue  # only the innermost text holders are scored
        text = _text(p)
        n = len(text)
        if n < 25:
            continue
        density = _link_density(p, n)
        if density > 0.5:
            continue
        score = 1 + min(n, 3000) / 100 + text.count(",") * 0.5
        score *= 1 - density
        parent = p.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + score
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + score / 2
    if not scores:
        return body
    best = max(scores, key=scores.get)
    # an <article> around the winner is the natural boundary (keeps lead, headings)
    for anc in [best, *best.iterancestors()]:
        if anc.tag in ("article", "main") or anc.get("role") == "main":
            if len(_text(anc)) < 3 * max(1, len(_text(best))):
                return anc
            break
    return _with_siblings(best, scores)


def _with_siblings(best, scores: dict):
    """The best block, or its parent pruned to the article's run of siblings when the text
    goes on in siblings (an article cut into several blocks, paragraphs beside the block):
    siblings that score at least a fifth of the best, or are long link-free paragraphs,
    and what lies between them unless it is mostly links."""
    parent = best.getparent()
    if parent is None or parent.tag in ("html", "body"):
        return best
    threshold = max(10.0, 0.2 * scores[best])
    children = [c for c in parent if isinstance(c.tag, str)]
    kept = []
    for i, sib in enumerate(children):
        if sib is best or scores.get(sib, 0.0) >= threshold:
            kept.append(i)
        elif sib.tag == "p":
            text = _text(sib)
            if len(text) >= 80 and _link_density(sib, len(text)) < 0.25:
                kept.append(i)
    if len(kept) == 1:
        return best
    first, last = kept[0], kept[-1]
    for i, sib in enumerate(children):
        if first <= i <= last and (i in kept or not _mostly_links(sib)):
            continue
        sib.drop_tree()
    return parent


def _mostly_links(el) -> bool:
    text = _text(el)
    return bool(text) and _link_density(el, len(text)) > 0.5


# ---- the lead: article text just before the main block --------------------------------

LEAD_BUDGET = 800       # chars of page text looked at before the block (at least) ...
LEAD_SHARE = 0.5        # ... or this share of the block's text, whichever is larger
LEAD_MIN_CHARS = 60     # a lead block holds at least this many characters
LEAD_MAX_LINKS = 0.3    # ... and at most this share of them in links
LEAD_NEEDS_TITLE = False  # True: a lead only when the walk reaches the title
_SENTENCE = re.compile(r"[.!?…:;»\"”)]\s|[.!?…»\"”)]$")
_HOLDER_TAGS = frozenset(_SCORED_TAGS) | {"header", "article", "span", "strong", "em", "b", "i"}


def _article_like(el, text: str) -> bool:
    """A text block that reads like article prose: long enough, few links, sentences."""
    n = len(text)
    return (n >= LEAD_MIN_CHARS and text.count(" ") >= 7 and _SENTENCE.search(text) is not None
            and _link_density(el, n) <= LEAD_MAX_LINKS)


def _lead_holders(sib) -> list:
    """The article-like innermost text blocks of a sibling before the main block (in
    document order); subtrees that page-chrome rules name (share bars, bylines, related
    lists...) and captions (a picture with a short text) are left out. A class that names
    related links is not trusted here ("teaser" is as often the lead): link density is."""
    reason = _reason(sib)
    if reason is not False and reason != RELATED:
        return []
    text = _text(sib)
    if not text or (len(text) < 200 and next(sib.iter("img", "picture"), None) is not None):
        return []
    blocks = [c for c in sib if isinstance(c.tag, str) and c.tag in _BLOCK_TAGS and c.tag != "br"]
    if not blocks:
        return [sib] if _article_like(sib, text) else []
    # text directly in the sibling beside its blocks goes with them: keep it whole if so
    loose = (sib.text or "").strip() or any((c.tail or "").strip() for c in sib if isinstance(c.tag, str))
    if loose:
        return [sib] if _article_like(sib, text) else []
    out = []
    for c in blocks:
        out.extend(_lead_holders(c))
    return out


def lead_blocks(container) -> list:
    """Article-like blocks before the main block and after the title (the standfirst, a
    lead paragraph, a first paragraph set apart), nearest first in the walk, returned in
    document order. Walks the preceding siblings of the block and of its ancestors; stops
    at the title (``h1``, whose later blocks are still taken when it sits inside a
    sibling) or after ``max(LEAD_BUDGET, LEAD_SHARE * block text)`` characters of page."""
    budget = max(LEAD_BUDGET, LEAD_SHARE * len(_text(container)))
    untitled = [] if LEAD_NEEDS_TITLE else None
    seen = 0
    found: list = []
    node = container
    while True:
        parent = node.getparent()
        if parent is None or node.tag == "body":
            return found if untitled is None else untitled
        for sib in node.itersiblings(preceding=True):
            if not isinstance(sib.tag, str):
                continue
            if sib.tag == "h1":
                return found
            text = _text(sib)
            if not text:
                continue
            title = next(sib.iter("h1"), None)
            if title is not None:
                after = [el for el in title.itersiblings() if isinstance(el.tag, str)]
                holders = [h for el in after for h in _lead_holders(el)]
                # the h1's own later siblings, then those of its ancestors inside ``sib``
                for anc in title.iterancestors():
                    if anc is sib:
                        break
                    holders.extend(h for el in anc.itersiblings() if isinstance(el.tag, str)
                                   for h in _lead_holders(el))
                return holders + found
            seen += len(text)
            if seen > budget:
                return found if untitled is None else untitled
            found[:0] = _lead_holders(sib)
        node = parent


_DENSE_TAGS = frozenset("div section ul ol table dl p nav center".split())
_HEADINGS = ("h2", "h3", "h4", "h5", "h6")


def _reason(el):
    """Why an element inside the article goes: a reason, None (dropped silently: the
    title), or False (kept, look inside)."""
    if el.tag == "h1":  # the title: page metadata, not body
        return None
    reason = _CHROME_TAGS.get(el.tag)
    if reason == "encadré":
        text = _text(el)
        if text and _link_density(el, len(text)) > 0.4:
            reason = RELATED
    if reason:
        return reason
    if "author" in (el.get("itemprop") or "").lower().split():  # kept as the author (.author)
        return BYLINE
    words = _attr_words(el)
    if words and _ANY_CLASS_RX.search(words):
        for rx, why in _CLASS_RULES:
            if rx.search(words):
                return why
    if el.tag in _DENSE_TAGS:
        # teaser lists and link blocks: most of their text is links
        text = _text(el)
        if text and (el.tag != "p" or len(text) < 300) and _link_density(el, len(text)) > 0.5:
            return RELATED
    return False


def _announces(el) -> bool:
    """A heading, or a short unpunctuated line, that can introduce the block after it."""
    if el.tag in _HEADINGS:
        return True
    if el.tag in ("p", "div", "span", "strong", "b"):
        text = _text(el)
        return 0 < len(text) <= 80 and not text.endswith((".", "!", "?", ":")) and len(el) <= 2
    return False


def _nothing_after(el, container) -> bool:
    """No text follows ``el`` inside the container."""
    node = el
    while node is not container and node is not None:
        if (node.tail or "").strip():
            return False
        for sib in node.itersiblings():
            if not isinstance(sib.tag, str):
                continue
            if sib.text_content().strip() or (sib.tail or "").strip():
                return False
        node = node.getparent()
    return True


def _strip_inside(container, dropped: list[Dropped]) -> None:
    doomed = []

    def visit(el):
        for child in el:
            if not isinstance(child.tag, str):
                continue
            reason = _reason(child)
            if reason is False:
                visit(child)
                continue
            doomed.append((child, reason))
            if reason == RELATED:  # the heading that announces a related block goes with it
                prev = child.getprevious()
                while prev is not None and not isinstance(prev.tag, str):
                    prev = prev.getprevious()
                if prev is not None and _announces(prev) and all(prev is not d for d, _ in doomed):
                    doomed.append((prev, RELATED))
    visit(container)
    for el, reason in doomed:
        if el.getparent() is None:
            continue
        text = " ".join(_blocks(el))
        if text and reason:
            dropped.append(Dropped(text[:500], reason))
        el.drop_tree()
    # a heading left with nothing after it announced a block that was removed
    for h in reversed([h for h in container.iter(*_HEADINGS)]):
        if h.getparent() is not None and _nothing_after(h, container):
            text = _text(h)
            if text:
                dropped.append(Dropped(text[:500], RELATED))
            h.drop_tree()


def _blocks(container) -> list[str]:
    """The container's text as lines: a break at every block element and <br>."""
    out: list[str] = []
    buf: list[str] = []

    def flush():
        if buf:
            line = _WS.sub(" ", "".join(buf)).strip()
            if line:
                out.append(line)
            buf.clear()

    def walk(el):
        block = el.tag in _BLOCK_TAGS
        if block:
            flush()
        if el.text:
            buf.append(el.text)
        for child in el:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                buf.append(child.tail)
        if block:
            flush()

    walk(container)
    flush()
    return out


# phrase lists, a complement to the structural rules: lines that are widgets in any page
_PAYWALL_LINE = re.compile(
    r"^\W*(?:pour\s+lire\s+la\s+suite|pour\s+accéder\s+en\s+illimité|la\s+suite\s+(?:de\s+cet\s+article\s+)?est\s+réservée|"
    r"cet\s+article\s+est\s+réservé|(?:vous\s+êtes\s+)?déjà\s+abonné|il\s+vous\s+reste\s+\d+|"
    r"to\s+read\s+the\s+full\s+(?:story|article)|subscribe\s+(?:now|today|to\s+(?:read|continue))|already\s+a\s+subscriber|"
    r"sign\s+in\s+to\s+(?:read|continue)|jetzt\s+(?:abonnieren|weiterlesen|testen)|bereits\s+abonnent|weiterlesen\s+mit|"
    r"para\s+(?:seguir|continuar)\s+leyendo|ya\s+eres\s+suscriptor)"
    r"|\barticles?\s+gratuits?\b|\bfree\s+articles?\s+(?:left|remaining)", re.I)
_WIDGET_LINE = re.compile(
    r"^\W*(?:articles?\s+correspondants?|en\s+savoir\s+plus|vos\s+réactions|réagissez|permalien|"
    r"related\s+(?:articles?|stories|posts)|you\s+(?:may|might)\s+also\s+like|more\s+from|most\s+(?:popular|read)|"
    r"read\s+next|permalink|mehr\s+zum\s+thema|ähnliche\s+(?:beiträge|artikel)|das\s+könnte\s+sie\s+auch\s+interessieren|"
    r"weitere\s+artikel|lesen\s+sie\s+auch|auch\s+interessant|noticias\s+relacionadas|te\s+puede\s+interesar|"
    r"leia\s+também|veja\s+também|читайте\s+также|zobacz\s+(?:też|także)|inne\s+artykuły)\W*$", re.I)
_FOTO_LINE = re.compile(r"^\W*(?:foto|fotos|bild|bilder|photo|credit|crédit)s?\s*:\s*\S.{0,80}$", re.I)


def _drop_phrases(blocks: list[str], dropped: list[Dropped]) -> list[str]:
    """Blocks without paywall/teaser lines, lone widget headings and photo credits."""
    out = []
    for line in blocks:
        reason = None
        if len(line) <= 200 and _PAYWALL_LINE.search(line):
            reason = PAYWALL
        elif len(line) <= 60 and _WIDGET_LINE.match(line):
            reason = RELATED
        elif _FOTO_LINE.match(line):
            reason = CREDIT
        if reason:
            dropped.append(Dropped(line, reason))
        else:
            out.append(line)
    return out


def clean_html(html: str, lang: str | None = None) -> tuple[Cleaned, dict]:
    """(cleaned text, page metadata) of one HTML page."""
    html = normalize(html)
    root = parse(html)
    meta = page_metadata(root)
    meta["date"] = page_date(root, meta, lang)
    site = meta.pop("_site")
    for private in ("_published", "_modified", "_lang"):
        del meta[private]
    _strip_chrome(root)
    if not meta.get("author") and author.MAYBE.search(html, max(0, html.find("<body"))):
        meta["author"] = author.from_markup(root)  # a byline in the markup (comments are gone)
    body = root.find("body")
    page_text = _text(body if body is not None else root)
    container = find_container(root)
    dropped: list[Dropped] = []
    lead = lead_blocks(container)
    for el in lead:
        _strip_inside(el, dropped)
    _strip_inside(container, dropped)
    lead_lines = [line for el in lead for line in _blocks(el)]
    blocks = _drop_phrases(lead_lines + _blocks(container), dropped)
    cleaned = clean_text("\n\n".join(blocks), known_title=meta.get("title"), title_in_text=False, lang=lang)
    cleaned.dropped = dropped + cleaned.dropped
    # the next strategy is judged on the main block alone: a lead does not make it an article
    main = "\n\n".join(p for p in cleaned.paragraphs if p not in set(lead_lines)) if lead_lines else cleaned.text
    if fallback.looks_short(main, page_text):
        lines = fallback.trafilatura_lines(html)
        if lines and fallback.better(main, "\n".join(lines)):
            dropped = []
            lines = _drop_phrases(lines, dropped)
            cleaned = clean_text("\n\n".join(lines), known_title=meta.get("title"), title_in_text=False, lang=lang)
            cleaned.dropped = dropped + cleaned.dropped
    if cleaned.title is None:
        cleaned.title = meta.get("title")
    if not meta.get("source"):  # a name stated in the text, else the site's host
        meta["source"] = cleaned.source or site
    return cleaned, meta


def _host(url: str | None) -> str | None:
    """``https://www.example.org/a`` -> ``example.org``."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    return host[4:] if host.startswith("www.") else host
