"""HTML extraction on hand-written, realistic pages (tests/fixtures/ingest/page_*.html).

Each page has a hand annotation (``page_*.expected.json``): body paragraphs in order,
metadata, and strings from the page chrome that must never reach the text.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hypothesis import given, settings, strategies as st

from searchsvc.ingest import IngestError, extract
from searchsvc.ingest.html import clean_html

FIX = Path(__file__).parent / "fixtures" / "ingest"
PAGES = ["page_jsonld", "page_divsoup_latin9"]


def _expected(name):
    return json.loads((FIX / f"{name}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", PAGES)
def test_body_kept_in_order_and_chrome_dropped(name):
    exp = _expected(name)
    (art,) = extract(FIX / f"{name}.html", root=FIX, manifest={})
    assert art.text.split("\n\n") == exp["body"]
    for s in exp["never_in_text"]:
        assert s not in art.text, s
    reasons = {d.reason for d in art.dropped}
    assert set(exp["dropped_reasons"]) <= reasons


@pytest.mark.parametrize("name", PAGES)
def test_page_metadata(name):
    exp = _expected(name)
    (art,) = extract(FIX / f"{name}.html", root=FIX, manifest={})
    assert (art.title, art.source, art.date, art.url, art.lang) == (
        exp["title"], exp["source"], exp["date"], exp["url"], exp["lang"])


def _variant(tmp_path, replace: dict, name="page_jsonld"):
    html = (FIX / f"{name}.html").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in html, old
        html = html.replace(old, new)
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    return extract(path, root=tmp_path, manifest={})[0]


def test_date_falls_back_from_jsonld_to_open_graph_to_time(tmp_path):
    a = _variant(tmp_path, {'"datePublished": "2023-08-14T07:30:00+02:00",': '',
                            'content="2023-08-14T07:30:00+02:00">': 'content="2023-08-13T10:00:00Z">'})
    assert a.date == "2023-08-13"  # article:published_time
    a = _variant(tmp_path, {'"datePublished": "2023-08-14T07:30:00+02:00",': '',
                            'content="2023-08-14T07:30:00+02:00">': 'content="2023-08-13T22:00:00Z">'})
    assert a.date == "2023-08-14"  # 22:00 UTC is midnight in Paris: the French page's day
    a = _variant(tmp_path, {'"datePublished": "2023-08-14T07:30:00+02:00",': '',
                            '<meta property="article:published_time" content="2023-08-14T07:30:00+02:00">': '',
                            '<time datetime="2023-08-14T07:30:00+02:00">': '<time datetime="2023-08-12">'})
    assert a.date == "2023-08-12"  # <time datetime>


def test_source_and_url_fall_back(tmp_path):
    a = _variant(tmp_path, {'<meta property="og:site_name" content="La Gazette du Midi">': '',
                            '<link rel="canonical" href="https://www.gazette-midi.example/environnement/secheresse-nappes">': ''})
    assert a.source == "La Gazette du Midi"  # JSON-LD publisher
    assert a.url == "https://www.gazette-midi.example/environnement/secheresse-nappes?utm_source=facebook"  # og:url


def test_sidecar_beats_html_metadata(tmp_path):
    shutil.copy(FIX / "page_jsonld.html", tmp_path / "p.html")
    (tmp_path / "p.meta.json").write_text(json.dumps({"source": "Autre journal", "date": "2020-02-02"}), encoding="utf-8")
    (art,) = extract(tmp_path / "p.html", root=tmp_path)
    assert (art.source, art.date) == ("Autre journal", "2020-02-02")
    assert art.title == _expected("page_jsonld")["title"]


def test_comments_never_win_even_when_longer_than_the_article(tmp_path):
    long_comment = "<p>" + "Je ne suis pas du tout d'accord avec cet article, c'est une honte, vraiment. " * 30 + "</p>"
    a = _variant(tmp_path, {'<p class="author">Marie-Lou</p>': '<p class="author">Marie-Lou</p>' + long_comment * 3})
    assert "honte" not in a.text
    assert a.text.split("\n\n") == _expected("page_jsonld")["body"]


def test_script_content_never_in_text_but_escaped_text_kept_literally():
    (art,) = extract(FIX / "page_jsonld.html", manifest={})
    assert "track()" not in art.text and "document.write" not in art.text
    assert "<script>alert(1)</script>" in art.text  # text, for the web layer to escape


def test_declared_charset_is_honoured():
    raw = (FIX / "page_divsoup_latin9.html").read_bytes()
    assert b"\xa4" in raw  # the euro sign in ISO-8859-15
    (art,) = extract(FIX / "page_divsoup_latin9.html", manifest={})
    assert "45 €" in art.text


@pytest.mark.parametrize("content", [b"", b"   \n", b"<html><head><title></title></head><body></body></html>",
                                     b"<html><body><nav><a href='/'>Accueil</a></nav></body></html>"])
def test_empty_pages_are_reported(tmp_path, content):
    (tmp_path / "e.html").write_bytes(content)
    with pytest.raises(IngestError) as exc:
        extract(tmp_path / "e.html")
    assert exc.value.reason


def test_xml_declaration_and_broken_markup(tmp_path):
    body = "Le conseil municipal a voté lundi soir le budget, après trois heures de débats animés en séance publique."
    (tmp_path / "x.html").write_text(
        f"<?xml version='1.0' encoding='utf-8'?>\n<html><body><div><p>{body}<p>Deuxième paragraphe, "
        "sans balise fermante, pour vérifier que le texte est gardé tel quel.</div></span></body>", encoding="utf-8")
    (art,) = extract(tmp_path / "x.html")
    assert art.text.split("\n\n")[0] == body


_TAGS = ["<p>", "</p>", "<div class='share'>", "</div>", "<article>", "</article>", "<br>", "<nav>",
         "<script>", "</script>", "<!--", "-->", "<h1>", "</h1>", "<figure>", "<time datetime='2020-01-01'>",
         "<meta property='og:site_name' content='X'>", "<script type='application/ld+json'>{", "&amp;", "&#0;", "<"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_TAGS), st.text(max_size=40)), max_size=40))
def test_clean_html_never_raises_anything_but_ingest_error(parts):
    try:
        cleaned, meta = clean_html("".join(parts))
    except IngestError as exc:
        assert exc.reason
    else:
        assert isinstance(cleaned.text, str) and set(meta) == {"title", "source", "date", "url", "author"}


def test_deeply_nested_page_does_not_crash(tmp_path):
    body = "Le conseil municipal a voté lundi soir le budget, après trois heures de débats animés."
    (tmp_path / "deep.html").write_text("<html><body>" + "<div>" * 5000 + f"<p>{body}</p>" + "</div>" * 5000, encoding="utf-8")
    try:
        (art,) = extract(tmp_path / "deep.html")
    except IngestError as exc:  # libxml2 caps nesting depth: then the page is reported
        assert exc.reason
    else:
        assert body in art.text


def test_jsonld_article_preferred_to_webpage_and_list_types(tmp_path):
    html = """<html><head>
    <script type="application/ld+json">{"@type": "WebPage", "headline": "Page d'accueil", "datePublished": "2001-01-01"}</script>
    <script type="application/ld+json">[{"@type": ["NewsArticle", "Thing"], "headline": "Le vrai titre",
      "datePublished": "2022-05-06", "publisher": [{"name": "Le Quotidien"}]}]</script>
    <script type="application/ld+json">{ not json</script></head><body><article>
    <p>Le conseil municipal a voté lundi soir le budget, après trois heures de débats animés en séance publique.</p>
    </article></body></html>"""
    (tmp_path / "ld.html").write_text(html, encoding="utf-8")
    (art,) = extract(tmp_path / "ld.html")
    assert (art.title, art.date, art.source) == ("Le vrai titre", "2022-05-06", "Le Quotidien")
