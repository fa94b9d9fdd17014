"""Copy groups in a real browser (Debian's Chromium + Playwright, real ``searchsvc serve``):
a collapsed hit expands to its copies, the checkbox shows every copy, the diff is escaped."""

from __future__ import annotations

import urllib.parse

import pytest

from test_browser import browser, new_page, server  # noqa: F401  (fixtures)
from test_copies import SEED
from test_copies_search import COPIES, GROUP, corpus, store  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fixture_corpus(corpus):  # noqa: F811  (the server of test_browser serves these)
    return corpus


@pytest.fixture(scope="module")
def browser_store(store):  # noqa: F811
    return store


def _group_hits(page) -> list[str]:
    hrefs = page.locator("#hits > li.hit h3 a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    ids = [urllib.parse.unquote(h.split("/documents/", 1)[1].split("?", 1)[0]) for h in hrefs]
    return [i for i in ids if i in GROUP]


@pytest.mark.parametrize("live", [False, True], ids=["server-rendered", "typed"])
def test_a_collapsed_hit_expands_to_its_copies(server, new_page, live):  # noqa: F811
    p = new_page()
    with p.screenshot_on_failure() as page:
        if live:  # results rendered by app.js as the user types
            page.goto(server + "/")
            page.fill("#q", "Corée")
            page.wait_for_selector("#hits li.hit")
        else:
            page.goto(server + "/?q=Cor%C3%A9e")
        shown = _group_hits(page)
        assert len(shown) == 1
        details = page.locator("#hits details.hit-copies")
        assert details.count() == 1
        summary = details.locator("summary")
        assert "3 autres versions" in summary.inner_text()
        links = details.locator(".copies-list a")
        assert not links.first.is_visible()
        summary.click()
        assert links.first.is_visible()
        assert links.count() == 3
        text = details.inner_text()
        sources = {SEED: "BBC News", **{i: src for i, (src, _) in COPIES.items()}}
        assert all(sources[i] in text for i in GROUP - set(shown))
        assert ("première publication" in text) == (shown[0] != SEED)
        # the first publication is marked, in its hit or in the list of copies
        assert page.locator("#hits li.hit").filter(has=page.locator("details.hit-copies")).locator(".first-published").count() == 1
        assert "histoires distinctes" in page.locator("#summary").inner_text()
        # the checkbox shows every copy (live update, then the server-rendered URL)
        page.check("#copies")
        page.locator("#hits details.hit-copies").nth(3).wait_for()
        assert set(_group_hits(page)) == GROUP
        assert "copies=all" in page.url
    assert p.dialogs == [] and p.errors == []


def test_document_page_diff_is_escaped_and_links_the_versions(server, new_page):  # noqa: F811
    p = new_page()
    with p.screenshot_on_failure() as page:
        page.goto(server + "/documents/copie_gazette")
        versions = page.locator("#versions li")
        assert versions.count() == 4
        assert "première publication" in versions.first.inner_text()
        assert SEED in versions.first.locator("a").first.get_attribute("href")
        versions.first.locator("a.compare-link").click()
        page.wait_for_selector("#diff")
        assert page.locator("#diff del").count() and page.locator("#diff ins").count()
        assert "<script>alert('copie')</script>" in page.locator("#diff").inner_text()
        assert page.locator("#diff script").count() == 0
    assert p.dialogs == [] and p.errors == []
