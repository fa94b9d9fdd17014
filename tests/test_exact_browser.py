"""The search page's exact-mode box in a real Chromium (issue 21, point 1): it searches
again without a reload, the URL and the links to articles keep it, Back restores it."""

from __future__ import annotations

import re

import pytest

from test_browser import browser, new_page, serving  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(plain_index, fixture_corpus, tmp_path_factory):
    from search_stores import Store

    with serving(Store("whoosh", plain_index), fixture_corpus, tmp_path_factory.mktemp("serve")) as url:
        yield url


def test_exact_box_searches_again_and_is_kept(server, new_page):
    from playwright.sync_api import expect

    p = new_page()
    with p.screenshot_on_failure() as page:
        page.goto(server + "/?q=missile")
        hits = page.locator("#hits li.hit")
        stemmed = hits.count()
        assert stemmed > 1
        page.get_by_label("Mode exact").check()
        expect(page).to_have_url(re.compile(r"exact=1"))
        expect(hits).not_to_have_count(stemmed)
        exact = hits.count()
        assert 0 < exact < stemmed
        marks = {m.lower() for m in page.locator("#hits mark").all_inner_texts()}
        assert marks == {"missile"}
        href = hits.first.locator("a").first.get_attribute("href")
        assert "exact=1" in href and "q=missile" in href
        page.go_back()
        expect(page.get_by_label("Mode exact")).not_to_be_checked()
        expect(hits).to_have_count(stemmed)
        page.go_forward()
        expect(page.get_by_label("Mode exact")).to_be_checked()
        expect(hits).to_have_count(exact)
    assert p.errors == []
