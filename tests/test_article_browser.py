"""The article page in Chromium at 1280 and 390 px, over the seeds indexed with entities
and quotes and an article signed in its HTML: on a wide screen, who and what the article
cites sit beside the text (not lists under it), and the byline is shown as its author."""

from __future__ import annotations

import re

import pytest

from test_authors import write_signed_corpus
from test_browser import browser, new_page, server  # noqa: F401  (fixtures)
from test_views_browser import DESKTOP, PHONE

pytestmark = pytest.mark.browser
WATLING = "002_209a75ba72bab8cf"  # entities and quotes


@pytest.fixture(scope="module")
def signed_entity_index(tmp_path_factory, seed_corpus):
    from searchsvc.backends.whoosh.indexer import reindex

    work = tmp_path_factory.mktemp("article-page")
    write_signed_corpus(work / "corpus", seed_corpus)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEARCHSVC_NER", "1")
        reindex(work / "corpus", work / "index", full=True, workers=1)
    return work / "corpus", work / "index"


@pytest.fixture(scope="module")
def fixture_corpus(signed_entity_index):  # the server of test_browser serves these
    return signed_entity_index[0]


@pytest.fixture(scope="module")
def browser_store(signed_entity_index):
    """The signed seeds with entities (the Whoosh backend: spaCy runs in the reindex)."""
    from search_stores import Store

    return Store("whoosh", signed_entity_index[1])


BOXES_JS = """() => {
  const box = sel => { const el = document.querySelector(sel); if (!el) { return null; }
    const r = el.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  return {main: box('main'), text: box('#document-body'), article: box('article.document'),
          entities: box('#entities'), quotes: box('#quotes'), similar: box('.similar'),
          scroll: document.documentElement.scrollWidth};
}"""


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_article_page_puts_entities_and_quotes_beside_the_text(server, new_page, tmp_path, size):
    from playwright.sync_api import expect

    width = 1280 if size == "desktop" else 390
    p = new_page(**(DESKTOP if size == "desktop" else PHONE))
    with p.screenshot_on_failure() as page:
        page.goto(f"{server}/documents/{WATLING}")
        expect(page.locator("#entities .entity-link").first).to_be_visible()
        expect(page.locator("#quotes li").first).to_be_visible()
        page.screenshot(path=str(tmp_path / f"article-{width}.png"), full_page=False)
        print(f"screenshot: {tmp_path / f'article-{width}.png'}")
        b = page.evaluate(BOXES_JS)
        assert b["scroll"] <= width  # no sideways scrolling
        if size == "desktop":
            # beside the text, from the top of the article: the width is used
            for name in ("entities", "quotes", "similar"):
                assert b[name]["left"] >= b["article"]["right"], name
            assert b["entities"]["top"] < b["article"]["top"] + 50
            assert b["quotes"]["top"] < b["text"]["bottom"]
            used = (max(b["similar"]["right"], b["entities"]["right"]) - b["article"]["left"])
            assert used >= 0.9 * (b["main"]["right"] - b["main"]["left"] - 32)
        else:  # stacked on a phone: the text first, full width
            assert b["entities"]["top"] >= b["article"]["bottom"]
            assert b["article"]["right"] - b["article"]["left"] >= width - 40
        # entity names are chips (links to their articles), not a bulleted list
        assert page.locator("#entities li").first.evaluate("li => getComputedStyle(li).listStyleType") == "none"
    assert p.errors == []


def test_article_page_shows_its_author_as_a_filter_link(server, new_page):
    from playwright.sync_api import expect

    p = new_page(**DESKTOP)
    with p.screenshot_on_failure() as page:
        page.goto(f"{server}/documents/signe_duo")
        expect(page.locator("#doc-author")).to_contain_text("Paul Durand, Jeanne Martin")
        page.locator("#doc-author a", has_text="Jeanne Martin").click()
        expect(page.locator("#summary strong")).to_have_text("2")
        expect(page.locator("#facet-author input[value='Jeanne Martin']")).to_be_checked()
        expect(page.locator("#hits .hit-author").first).to_contain_text("Jeanne Martin")
        # unticking the author filter (JavaScript search) lists every article again
        page.locator("#facet-author input").uncheck()
        expect(page).not_to_have_url(re.compile("author="))
    assert p.errors == []
