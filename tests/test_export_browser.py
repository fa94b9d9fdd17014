"""End to end in Chromium against the real server: the search page's export link
downloads a CSV with as many rows as the total, also after the search was changed
in place (the links follow the address bar)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from search_stores import make_corpus_store

from test_browser import api, browser, new_page, server  # noqa: F401  (fixtures)



def _rows(path) -> tuple[str, list[list[str]]]:
    text = path.read_text(encoding="utf-8")
    first, rest = text.split("\n", 1)
    rows = list(csv.reader(io.StringIO(rest)))
    return first, rows[1:]


pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["one-segment", "opensearch"])
def browser_store(request, fixture_corpus, tmp_path_factory):
    """One Whoosh index shape and OpenSearch here: the export reads through the engine,
    whose shapes are tested by the other suites."""
    work = tmp_path_factory.mktemp(f"export-browser-{request.param}")
    return make_corpus_store(request.param, "export-browser", fixture_corpus, work, request)


def test_export_link_downloads_every_match_of_the_search_shown(server, new_page, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    p = new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    expected = api(server, "/api/search", q="munitions", copies="all")
    assert expected["total"] >= 2
    with p.screenshot_on_failure() as page:
        page.goto(server + "/")
        box = page.get_by_label("Rechercher dans les articles")
        box.press_sequentially("munitions", delay=40)  # updated in place, no reload
        expect(page.locator("#summary strong")).to_have_text(re.compile(str(expected["total"])))
        with page.expect_download() as info:
            page.locator("#export-csv").click()
        dl = info.value
        assert dl.suggested_filename == "export-munitions.csv"
        path = tmp_path / "export.csv"
        dl.save_as(path)
        first, rows = _rows(path)
        assert first.startswith("# searchsvc export ; requête : munitions")
        assert len(rows) == expected["total"]
        assert {r[0] for r in rows} >= {h["id"] for h in expected["results"] if not h["partial"]}

        # a filter ticked in place: the export follows it
        facet = next(f for f in expected["facets"]["source"] if f["value"] and f["count"] < expected["total"])
        page.locator(f'#facet-source input[value="{facet["value"]}"]').check()
        expect(page.locator("#summary strong")).to_have_text(re.compile(rf"^{facet['count']}$"))
        with page.expect_download() as info:
            page.locator("#export-csv").click()
        info.value.save_as(tmp_path / "filtered.csv")
        _, rows = _rows(tmp_path / "filtered.csv")
        assert len(rows) == facet["count"] and {r[2] for r in rows} == {facet["value"]}

        # the concordance link opens the page of the same search, escaped
        page.locator("#concordance-link").click()
        expect(page.locator("#kwic tbody tr").first).to_be_visible()
        assert page.locator("#kwic .kwic-match").first.inner_text().lower().startswith("munition")
    assert p.errors == [] and p.dialogs == []
