"""The HTML pages through Flask's test client, on a real index built from the fixtures."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from searchsvc.search import parse_params
from searchsvc.web import create_app
from searchsvc.web.formatting import date_fr, int_fr, lang_fr, month_name_fr, ms_fr, safe_http_url


@pytest.fixture
def client(app):
    return app.test_client()


def page(client, url, status=200) -> str:
    resp = client.get(url)
    assert resp.status_code == status, (url, resp.status_code)
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    return resp.get_data(as_text=True)


def checkboxes(text: str, name: str) -> dict[str, bool]:
    """``{value: checked}`` for the checkboxes called *name*."""
    out = {}
    for tag in re.findall(r"<input [^>]*>", text):
        if f'name="{name}"' in tag:
            value = html.unescape(re.search(r'value="([^"]*)"', tag).group(1))
            out[value] = " checked" in tag
    return out


def hit_titles(text: str) -> list[str]:
    return [html.unescape(re.sub(r"</?mark>", "", t))
            for t in re.findall(r'<h3 class="hit-title"><a [^>]*>(.*?)</a>', text)]


# -- French formatting -------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("2022-09-22", "22 septembre 2022"),
    ("2023-08-01", "1er août 2023"),
    ("2022-02-28", "28 février 2022"),
    ("2021-12", "décembre 2021"),
    ("2020", "2020"),
    (None, "date inconnue"),
    ("", "date inconnue"),
    ("2022-13-01", "2022-13-01"),
    ("hier", "hier"),
])
def test_french_dates_without_locale(value, expected, monkeypatch):
    monkeypatch.setenv("LC_ALL", "C")
    assert date_fr(value) == expected


def test_french_numbers_durations_languages_and_months():
    assert int_fr(1234567) == "1\u202f234\u202f567" and int_fr(12) == "12"
    assert ms_fr(4.25) == "4,2\u00a0ms" or ms_fr(4.25) == "4,3\u00a0ms"
    assert ms_fr(37.6) == "38\u00a0ms"
    assert lang_fr("fr") == "français" and lang_fr(None) == "langue inconnue" and lang_fr("xx") == "xx"
    assert month_name_fr("2022-09") == "septembre"


@pytest.mark.parametrize("url, ok", [
    ("https://www.example.org/a?b=1", True), ("http://example.org", True),
    ("javascript:alert(1)", False), ("JAVASCRIPT:alert(1)", False), (" javascript:alert(1)", False),
    ("data:text/html,<script>", False), ("//example.org", False), ("example.org/x", False),
    ("https://", False), ("https://ex\nample.org", False), (None, False), ("", False),
])
def test_only_http_urls_become_links(url, ok):
    assert (safe_http_url(url) is not None) is ok


# -- search page -------------------------------------------------------------

def test_home_page_is_french_accessible_and_has_no_inline_script(client, engine):
    text = page(client, "/")
    assert '<html lang="fr">' in text
    assert '<meta name="viewport"' in text
    assert re.search(r'<label for="q"[^>]*>', text) and 'id="q"' in text and 'name="q"' in text
    for landmark in ("<header", "<main", "<footer", 'role="search"'):
        assert landmark in text
    assert 'class="skip-link" href="#contenu"' in text
    # CSP compliance: only external scripts, no inline handlers.
    scripts = re.findall(r"<script\b[^>]*>", text)
    assert scripts and all(" src=" in s for s in scripts)
    assert not re.search(r"\son[a-z]+\s*=", text)
    assert "articles indexés" in text
    assert re.search(r'<form [^>]*method="get"', text)


def test_results_page_without_javascript(client, engine):
    expected = engine.search(parse_params({"q": "munitions"}))
    text = page(client, "/?q=munitions")
    assert "articles trouvés" in text or "article trouvé" in text
    assert f"<strong>{int_fr(expected['total'])}</strong>" in text
    assert hit_titles(text) == [r["title"] or "Sans titre" for r in expected["results"]]
    assert text.count("<mark>") >= len(expected["results"])
    first = expected["results"][0]
    assert f'href="/documents/{first["id"]}?q=munitions"' in text
    for r in expected["results"]:
        shown = date_fr(r["date"])
        assert shown in text
        if r["date"]:
            assert re.search(r"\d{1,2}(er)? [a-zéû]+ \d{4}", shown)
    assert 'value="munitions"' in text  # the form keeps the query


def test_facets_drill_down_and_months_under_the_year(client, engine):
    base = engine.search(parse_params({"q": "munitions"}))
    text = page(client, "/?q=munitions")
    sources = checkboxes(text, "source")
    assert sources == {(f["value"] or "unknown"): False for f in base["facets"]["source"]}
    assert "months" not in text and not checkboxes(text, "month")
    chosen = next(f["value"] for f in base["facets"]["source"] if f["value"])
    narrowed = page(client, f"/?q=munitions&source={chosen}")
    boxes = checkboxes(narrowed, "source")
    assert boxes[chosen] is True
    assert set(boxes) == set(sources)  # other sources stay offered with their counts
    n = next(f["count"] for f in base["facets"]["source"] if f["value"] == chosen)
    assert f"<strong>{int_fr(n)}</strong>" in narrowed
    year = next(f["value"] for f in base["facets"]["year"] if f["value"])
    by_year = page(client, f"/?q=munitions&year={year}")
    months = checkboxes(by_year, "month")
    assert months and all(m.startswith(year + "-") for m in months)
    month = sorted(months)[0]
    by_month = page(client, f"/?q=munitions&year={year}&month={month}")
    assert checkboxes(by_month, "month")[month] is True
    direct = engine.search(parse_params({"q": "munitions", "date_from": month, "date_to": month}))
    assert f"<strong>{int_fr(direct['total'])}</strong>" in by_month or direct["total"] == 0


def test_unknown_source_bucket_is_selectable(client, engine):
    base = engine.search(parse_params({"q": "", "sort": "newest", "lang": "fr"}))
    unknown = [f for f in base["facets"]["source"] if f["value"] is None]
    if not unknown:
        pytest.skip("no article without a source in the fixture index")
    text = page(client, "/?lang=fr&source=unknown")
    assert "source inconnue" in text and checkboxes(text, "source")["unknown"] is True
    assert f"<strong>{int_fr(unknown[0]['count'])}</strong>" in text


def test_sort_date_range_and_pagination(client, engine):
    total = engine.search(parse_params({"q": "munitions"}))["total"]
    assert total >= 2, "the fixture index needs two articles about munitions"
    text = page(client, "/?q=munitions&per_page=1&sort=newest")
    assert '<option value="newest" selected>' in text
    assert 'aria-label="Pagination"' in text and 'aria-current="page"' in text
    assert 'rel="next"' in text and 'rel="prev"' not in text
    assert '<input type="hidden" name="per_page" value="1">' in text
    nxt = html.unescape(re.search(r'<a href="([^"]+)" data-page="2" rel="next"', text).group(1))
    assert parse_qs(urlsplit(nxt).query) == {"q": ["munitions"], "per_page": ["1"], "sort": ["newest"], "page": ["2"]}
    second = page(client, nxt)
    assert 'rel="prev"' in second and f"page 2 sur {total}" in second
    newest = hit_titles(text)[0]
    oldest = hit_titles(page(client, "/?q=munitions&per_page=1&sort=oldest"))[0]
    dated = [r for r in engine.search(parse_params({"q": "munitions", "per_page": "100"}))["results"] if r["date"]]
    if len({r["date"] for r in dated}) > 1:
        assert newest != oldest
    ranged = page(client, "/?q=munitions&date_from=1990&date_to=1990-06")
    assert 'value="1990"' in ranged and 'value="1990-06"' in ranged


def test_bad_input_shows_a_message_not_a_crash(client):
    text = page(client, "/?q=munitions&date_from=2022-13-45", status=400)
    assert 'role="alert"' in text and "Date invalide" in text
    assert 'value="munitions"' in text and 'value="2022-13-45"' in text
    assert re.search(r'id="date_from"[^>]*aria-invalid="true"', text)
    assert not re.search(r'id="date_to"[^>]*aria-invalid', text)
    text = page(client, "/?q=munitions&page=0", status=400)
    assert "page" in text and 'role="alert"' in text


def test_empty_result_is_helpful(client):
    text = page(client, "/?q=qwxzvbnmplk")
    assert "Aucun article ne correspond à «&nbsp;qwxzvbnmplk&nbsp;»" in text
    assert "orthographe" in text and "chercher sans filtre" in text


def test_suggestion_is_offered(client, engine):
    res = engine.search(parse_params({"q": "munitons"}))
    assert res["suggestion"], "the engine suggests a correction for a misspelt word"
    text = page(client, "/?q=munitons")
    assert "Essayez avec :" in text and html.escape(res["suggestion"], quote=False) in text


def test_query_text_is_escaped_everywhere(client):
    evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    resp = client.get("/", query_string={"q": evil})
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "<script>alert(1)" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def _injection_id(engine) -> str:
    res = engine.search(parse_params({"q": "alert", "per_page": "100"}))
    for r in res["results"]:
        if "&lt;script&gt;" in r["snippet"] or "<script>" in (r["title"] or ""):
            return r["id"]
    raise AssertionError("the script-injection fixture must be in the test index")


def test_injected_article_is_shown_literally(client, engine):
    doc_id = _injection_id(engine)
    for url in ("/?q=alert", f"/documents/{doc_id}", f"/documents/{doc_id}?q=alert"):
        text = page(client, url)
        assert "<script>alert(1)</script>" not in text, url
        # the title is highlighted like a snippet: escaped, the query's word in <mark>
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in re.sub(r"</?mark>", "", text), url
        assert all(" src=" in s for s in re.findall(r"<script\b[^>]*>", text)), url


# -- document page -------------------------------------------------------------

def test_document_page(client, engine):
    hit = engine.search(parse_params({"q": "munitions"}))["results"][0]
    doc = engine.document(hit["id"])
    text = page(client, f"/documents/{hit['id']}")
    h1 = re.search(r'<h1 id="doc-title">(.*?)</h1>', text).group(1)
    assert html.unescape(h1) == (doc["title"] or "Sans titre")
    meta = {dt: html.unescape(re.sub(r"<[^>]+>", "", dd))
            for dt, dd in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", text)}
    assert meta["Source"] == (doc["source"] or "inconnue")
    assert meta["Date"] == (date_fr(doc["date"]) if doc["date"] else "inconnue")
    assert meta["Langue"] == (lang_fr(doc["lang"]) if doc["lang"] else "inconnue")
    assert "Articles similaires" in text
    for s in engine.similar(hit["id"], limit=5):
        assert f'href="/documents/{s["id"]}"' in text
    url = safe_http_url(doc["url"])
    if url:
        assert f'href="{html.escape(url)}" rel="noopener noreferrer nofollow"' in text
    assert "<mark>" not in text
    marked = page(client, f"/documents/{hit['id']}?q=munitions")
    assert "<mark>" in marked and "Retour aux résultats" in marked
    assert 'href="/?q=munitions"' in marked


def test_unknown_document_page_is_a_french_404(client):
    text = page(client, "/documents/../../etc/passwd", status=404)
    assert "Page introuvable" in text and '<html lang="fr">' in text
    page(client, "/documents/inconnu", status=404)


def test_non_http_url_is_never_a_link(tmp_path):
    """An article whose url is ``javascript:`` shows it as text only."""
    from searchsvc.article import Article
    from searchsvc.backends.whoosh.indexer import build_index_from_articles

    index = tmp_path / "index"
    build_index_from_articles(index, [
        Article(id="piege", title="Piège", text="Un texte sur les munitions.", url="javascript:alert(1)",
                source="Test", date="2022-09-22", lang="fr"),
        Article(id="sain", title="Sain", text="Un autre texte sur les munitions.",
                url="https://exemple.fr/a?x=1&y=2", source="Test", date=None, lang="fr"),
    ])
    c = create_app({"TESTING": True, "INDEX_DIR": str(index)}).test_client()
    text = page(c, "/documents/piege")
    assert 'href="javascript' not in text and "javascript:alert(1)" in text
    assert "22 septembre 2022" in text
    text = page(c, "/documents/sain")
    assert 'href="https://exemple.fr/a?x=1&amp;y=2"' in text and "<dt>Date</dt><dd>inconnue</dd>" in text


# -- issue 8: partial matches, notes, repeated facets without JavaScript --------------

def test_partial_matches_come_under_a_separator(client, engine):
    r = engine.search(parse_params({"q": "munitions Téhéran", "per_page": "10"}))
    assert r["total"] and r["total_partial"]
    text = page(client, "/?q=munitions+T%C3%A9h%C3%A9ran")
    head = text.index('id="partial-heading"')
    assert "Articles contenant une partie des mots" in text[head:head + 200]
    assert 'hidden' not in text[head:text.index(">", head)]
    full = [x["title"] or "Sans titre" for x in r["results"] if not x["partial"]]
    partial = [x["title"] or "Sans titre" for x in r["results"] if x["partial"]]
    assert hit_titles(text[:head]) == full and hit_titles(text[head:]) == partial
    assert f"{int_fr(r['total_partial'])} en contien" in text


def test_when_no_article_has_every_word_the_page_says_so(client, engine):
    r = engine.search(parse_params({"q": "munitions zinzolinxyzq"}))
    assert r["total"] == 0 and r["total_partial"]
    text = page(client, "/?q=munitions+zinzolinxyzq")
    assert "Aucun article ne contient tous les mots" in text
    assert hit_titles(text) == [x["title"] or "Sans titre" for x in r["results"]]


def test_notes_are_shown(client):
    text = page(client, "/?q=munitions+Russie+Cor%C3%A9e+Iran+Washington+Moscou+armes+drones")
    notes = re.search(r'<ul id="notes" class="notes">(.*?)</ul>', text, re.DOTALL)
    assert notes and "Requête longue" in notes.group(1)
    assert '<ul id="notes" class="notes" hidden>' in page(client, "/?q=munitions")


def test_two_years_ticked_without_javascript_are_both_kept(client, engine):
    years = [f["value"] for f in engine.search(parse_params({"q": ""}))["facets"]["year"] if f["value"]][:2]
    assert len(years) == 2
    text = page(client, f"/?year={years[0]}&year={years[1]}")
    boxes = checkboxes(text, "year")
    assert boxes[years[0]] is True and boxes[years[1]] is True
    both = engine.search(parse_params({"year": years}))["total"]
    each = [engine.search(parse_params({"year": y}))["total"] for y in years]
    assert both == sum(each) and f"<strong>{int_fr(both)}</strong>" in text
    assert not checkboxes(text, "month")  # months are offered under a single year


def test_help_line_states_the_matching_rule(client):
    from searchsvc.search import matching

    text = page(client, "/")
    help_line = re.search(r'<p id="q-help" class="help">(.*?)</p>', text, re.DOTALL).group(1)
    assert "tous les mots" in help_line and matching.describe_fr() in html.unescape(help_line)
    assert f"au-delà de {matching.STRICT_MAX_UNITS} mots" in help_line
