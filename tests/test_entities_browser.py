"""Entity facets in a real browser (Debian's Chromium + Playwright, real ``searchsvc serve``
over the seeds indexed with entities): a person facet filters the results, an article's
entity links and quotes lead back to a filtered search and to the quote's paragraph."""

from __future__ import annotations

import pytest

from test_browser import browser, new_page, server, summary_total  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
WATLING = "002_209a75ba72bab8cf"


@pytest.fixture(scope="module")
def fixture_corpus(entity_index):  # the server of test_browser serves these
    return entity_index[0]


@pytest.fixture(scope="module")
def browser_store(entity_index):
    """The seeds indexed with entities (the Whoosh backend: spaCy runs in the reindex)."""
    from search_stores import Store

    return Store("whoosh", entity_index[1])


def test_a_person_facet_filters_the_results(server, new_page):  # noqa: F811
    from playwright.sync_api import expect

    p = new_page()
    with p.screenshot_on_failure() as page:
        page.goto(server + "/")
        page.fill("#q", "munitions")  # results and facets rendered by app.js
        box = page.locator('#facet-person input[value="Jack Watling"]')
        box.wait_for()
        assert summary_total(page) == 4
        box.check()
        expect(page.locator("#hits li.hit")).to_have_count(1)
        assert "person=Jack+Watling" in page.url
        assert WATLING in page.locator("#hits li.hit h3 a").get_attribute("href")
        assert page.locator('#facet-person input[value="Jack Watling"]').is_checked()
        # the "Citations" part follows the search: Watling's quotes holding the word
        expect(page.locator("#search-quotes li")).to_have_count(2)
        assert "Jack Watling" in page.locator("#search-quotes").inner_text()
        page.reload()  # the same state, rendered by the server
        assert page.locator("#hits li.hit").count() == 1
        assert page.locator('#facet-person input[value="Jack Watling"]').is_checked()
    assert p.dialogs == [] and p.errors == []


def test_document_entities_link_to_a_filtered_search_and_quotes_to_their_place(server, new_page):  # noqa: F811
    p = new_page()
    with p.screenshot_on_failure() as page:
        page.goto(f"{server}/documents/{WATLING}")
        page.locator("#quotes li").first.locator("a", has_text="voir dans l'article").click()
        target = page.evaluate("location.hash")
        assert target.startswith("#p-")
        assert "Nos informations" in page.locator(target).inner_text()
        page.locator("#entities-place a", has_text="Tumangang").click()
        page.wait_for_selector("#hits li.hit")
        assert "place=Tumangang" in page.url
        assert page.locator("#hits li.hit").count() == 1
    assert p.dialogs == [] and p.errors == []


def test_mentions_are_highlighted_in_the_text_on_demand(server, new_page):  # noqa: F811
    from playwright.sync_api import expect

    p = new_page()
    with p.screenshot_on_failure() as page:
        page.goto(f"{server}/documents/{WATLING}?q=munitions")
        body = page.locator("#document-body")
        text = body.inner_text()
        assert body.locator("mark.entity").count() == 0
        page.locator("#mentions-on").click()
        expect(body.locator("mark.entity-person", has_text="Jack Watling").first).to_be_visible()
        assert body.locator("mark.entity-place", has_text="Tumangang").count() >= 1
        assert body.locator("mark:not(.entity)", has_text="munitions").count() >= 1  # the query's
        assert body.inner_text() == text  # marks only: the text is the same
        assert "highlight=entities" in page.url and "q=munitions" in page.url
        page.locator("#mentions-off").click()
        expect(body.locator("mark.entity")).to_have_count(0)
    assert p.dialogs == [] and p.errors == []
