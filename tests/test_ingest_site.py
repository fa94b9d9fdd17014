"""Site names of pages that do not state og:site_name (searchsvc.ingest.html)."""

from __future__ import annotations

import pytest

from searchsvc.ingest.html import clean_html

BODY = "<article><h1>Budget voté</h1>" + "<p>Le conseil municipal a voté le budget de la commune, après un long débat sur la dette.</p>" * 12 + "</article>"


@pytest.mark.parametrize("head, source", [
    ("<title>Budget voté | La Gazette</title>", "La Gazette"),
    ("<title>La Gazette – Budget voté</title>", "La Gazette"),
    ('<title>Budget voté</title><script type="application/ld+json">{"@type": "WebSite", "name": "La Gazette"}</script>',
     "La Gazette"),
    ('<title>Budget voté</title><link rel="canonical" href="https://www.gazette.example/budget">', "gazette.example"),
    # Dublin Core / publisher meta tags (a social page URL in article:publisher is not a name)
    ('<title>Budget voté</title><meta property="article:publisher" content="https://facebook.com/gazette">'
     '<meta name="DC.publisher" content="La Gazette">', "La Gazette"),
    # no name, no canonical URL: the <base> address, an x-default alternate, the Twitter handle
    ('<title>Budget voté</title><base href="https://www.gazette.example/">', "gazette.example"),
    ('<title>Budget voté</title><link rel="alternate" hreflang="x-default" href="https://gazette.example/fr/b">',
     "gazette.example"),
    ('<title>Budget voté</title><meta name="twitter:site" content="@lagazette">', "lagazette"),
    ('<title>Budget voté</title><meta property="og:site_name" content="La Gazette">'
     '<link rel="canonical" href="https://www.gazette.example/budget">', "La Gazette"),
])
def test_site_name(head, source):
    _, meta = clean_html(f"<html lang='fr'><head>{head}</head><body>{BODY}</body></html>")
    assert meta["source"] == source


def test_no_site_name_at_all():
    _, meta = clean_html(f"<html><head><title>Budget voté</title></head><body>{BODY}</body></html>")
    assert meta["source"] is None
