"""End to end in a real browser: Debian's Chromium driven by Playwright against the
real ``searchsvc serve`` (waitress) on a free loopback port, serving the fixture index.

No browser is ever downloaded. Without /usr/bin/chromium these tests are skipped,
except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from serving import Served

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_MS = 10_000


@contextlib.contextmanager
def serving(store, corpus, logdir):
    """``searchsvc serve --port 0`` over ``store`` (any backend: its index folder and its
    environment) in a subprocess; yields its base URL."""
    srv = Served("--host", "127.0.0.1", "--threads", "4", "--index", str(store.index_dir),
                 "--corpus", str(corpus), env={**store.env(), "_STDERR": str(logdir / "stderr.log")},
                 unset=("SEARCHSVC_ADMIN_TOKEN",), start_timeout=60)
    try:
        yield srv.url
    finally:
        assert srv.stop() == 0, "serve must stop cleanly on SIGTERM"


@pytest.fixture(scope="module")
def browser_store(corpus_store):
    """What the module's server serves: the fixture corpus on every backend and shape."""
    return corpus_store


@pytest.fixture(scope="module")
def server(browser_store, fixture_corpus, tmp_path_factory):
    """``searchsvc serve --port 0`` in a subprocess; yields its base URL."""
    with serving(browser_store, fixture_corpus, tmp_path_factory.mktemp("serve")) as url:
        yield url


def api(server, path, **params):
    url = f"{server}{path}?{urllib.parse.urlencode(params, doseq=True)}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        msg = f"{CHROMIUM} is missing (install Debian's chromium: make browser)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Page:
    """A fresh context and page that records dialogs (alert() from injected code) and
    page errors, and saves a screenshot under the test's tmp dir if the test fails."""

    def __init__(self, browser, tmp_path, **context_args):
        self.tmp_path = tmp_path
        self.context = browser.new_context(locale="fr-FR", **context_args)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _on_dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @contextlib.contextmanager
    def screenshot_on_failure(self):
        try:
            yield self.page
        except BaseException:
            with contextlib.suppress(Exception):
                path = self.tmp_path / "failure.png"
                self.page.screenshot(path=str(path), full_page=True)
                print(f"screenshot: {path}")
            raise

    def close(self):
        self.context.close()


@pytest.fixture
def new_page(browser, tmp_path):
    pages = []

    def make(**context_args) -> Page:
        p = Page(browser, tmp_path, **context_args)
        pages.append(p)
        return p

    yield make
    for p in pages:
        p.close()


def summary_total(page) -> int:
    text = page.locator("#summary strong").inner_text()
    return int(re.sub(r"\D", "", text))


def test_type_filter_open_and_nothing_injected_runs(server, new_page, tmp_path):
    from playwright.sync_api import expect

    p = new_page(viewport={"width": 1280, "height": 900})
    expected = api(server, "/api/search", q="munitions")
    assert expected["total"] >= 2
    with p.screenshot_on_failure() as page:
        page.goto(server + "/")
        page.evaluate("window.__sameDocument = true")
        box = page.get_by_label("Rechercher dans les articles")
        box.press_sequentially("munitions", delay=40)  # no Enter
        expect(page.locator("#hits li.hit").first).to_be_visible()
        expect(page.locator("#hits .hit-snippet mark").first).to_be_visible()
        expect(page.locator("#summary strong")).to_have_text(re.compile(str(expected["total"])))
        assert page.evaluate("window.__sameDocument") is True  # updated in place, no reload
        expect(page).to_have_url(re.compile(r"[?&]q=munitions(&|$)"))
        titles = page.locator("#hits .hit-title a").all_inner_texts()
        assert titles == [r["title"] or "Sans titre" for r in expected["results"]]
        page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

        # tick a source facet: the list narrows to that source, focus stays on the box
        facet = next(f for f in expected["facets"]["source"] if f["value"] and f["count"] < expected["total"])
        checkbox = page.locator(f'#facet-source input[value="{facet["value"]}"]')
        checkbox.focus()
        page.keyboard.press("Space")
        expect(page.locator("#summary strong")).to_have_text(re.compile(rf"^{facet['count']}$"))
        expect(page.locator("#hits li.hit")).to_have_count(min(facet["count"], 10))
        assert set(page.locator("#hits .hit-source").all_inner_texts()) == {facet["value"]}
        expect(page.locator(f'#facet-source input[value="{facet["value"]}"]')).to_be_checked()
        assert page.evaluate("document.activeElement.name + '=' + document.activeElement.value") \
            == f"source={facet['value']}"
        expect(page).to_have_url(re.compile(r"[?&]source="))
        assert page.evaluate("window.__sameDocument") is True

        # open a document from the results: its words are marked, similar articles below
        first = page.locator("#hits .hit-title a").first
        title = first.inner_text()
        first.click()
        expect(page.locator("h1")).to_have_text(title)
        expect(page.locator("#document-body mark").first).to_be_visible()
        expect(page.get_by_role("heading", name="Articles similaires")).to_be_visible()

        # the script-injection fixture: shown literally, never run
        page.goto(server + "/")
        page.get_by_label("Rechercher dans les articles").press_sequentially("alert", delay=30)
        injected = page.locator("#hits .hit-title a", has_text="<script>alert(1)</script>")
        expect(injected.first).to_be_visible()
        expect(page.locator("#hits .hit-snippet").first).to_contain_text("<script>")
        assert page.locator("script:not([src^='/static/'])").count() == 0  # only our own scripts
        injected.first.click()
        expect(page.locator("h1")).to_contain_text("<script>alert(1)</script>")
        expect(page.locator("#document-body")).to_contain_text("<script>alert(1)</script>")
        assert page.locator("script").count() == 1
        page.wait_for_timeout(300)
    assert p.dialogs == [], "injected script ran"
    assert p.errors == []


def test_works_without_javascript(server, new_page):
    from playwright.sync_api import expect

    p = new_page(java_script_enabled=False)
    expected = api(server, "/api/search", q="munitions")
    with p.screenshot_on_failure() as page:
        page.goto(server + "/")
        page.get_by_label("Rechercher dans les articles").fill("munitions")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"q=munitions"))
        assert summary_total(page) == expected["total"]
        facet = next(f for f in expected["facets"]["source"] if f["value"] and f["count"] < expected["total"])
        page.locator(f'#facet-source input[value="{facet["value"]}"]').check()
        page.get_by_role("button", name="Appliquer les filtres").click()
        page.wait_for_url(re.compile(r"source="))
        assert summary_total(page) == facet["count"]
        expect(page.locator("#hits .hit-source").first).to_have_text(facet["value"])


def test_latest_query_wins_and_url_is_shareable(server, new_page):
    from playwright.sync_api import expect

    p = new_page()
    with p.screenshot_on_failure() as page:
        page.goto(server + "/")
        box = page.get_by_label("Rechercher dans les articles")
        box.press_sequentially("munitions", delay=20)
        page.wait_for_timeout(260)  # a request for "munitions" is on its way
        box.fill("")
        box.press_sequentially("qwxzvbnmplk", delay=10)
        expect(page.locator("#empty")).to_contain_text("Aucun article ne correspond")
        page.wait_for_timeout(600)  # a late answer for "munitions" must not repaint
        expect(page.locator("#hits li.hit")).to_have_count(0)
        expect(page).to_have_url(re.compile(r"q=qwxzvbnmplk"))
        shared = page.url
        page.goto(shared)  # the same URL, server-rendered
        expect(page.locator("#empty")).to_contain_text("qwxzvbnmplk")
        page.get_by_label("Rechercher dans les articles").fill("")  # back to the start page
        expect(page.locator("#summary")).to_contain_text("articles indexés")
        expect(page.locator("#empty")).to_be_hidden()
        expect(page).to_have_url(re.compile(r"/$"))
    assert p.errors == []


def test_keyboard_focus_and_phone_layout(server, new_page):
    p = new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    with p.screenshot_on_failure() as page:
        page.goto(server + "/?q=munitions")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
        assert outline not in ("", "0px")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        page.get_by_label("Rechercher dans les articles").focus()
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"


def test_pagination_and_suggestion_without_reload(server, new_page):
    from playwright.sync_api import expect

    p = new_page()
    expected = api(server, "/api/search", q="munitions", per_page=2)
    pages = -(-expected["total"] // 2)
    assert pages >= 2
    suggested = api(server, "/api/search", q="munitons")["suggestion"]
    assert suggested
    with p.screenshot_on_failure() as page:
        page.goto(server + "/?q=munitions&per_page=2")
        page.evaluate("window.__sameDocument = true")
        page.get_by_role("link", name="Suivante ›").click()
        expect(page.locator("#summary")).to_contain_text(f"page 2 sur {pages}")
        expect(page).to_have_url(re.compile(r"page=2"))
        second = api(server, "/api/search", q="munitions", per_page=2, page=2)
        expect(page.locator("#hits .hit-title a")).to_have_text(
            [r["title"] or "Sans titre" for r in second["results"]])
        assert page.evaluate("window.__sameDocument") is True

        box = page.get_by_label("Rechercher dans les articles")
        box.fill("")
        box.press_sequentially("munitons", delay=20)
        link = page.locator("#suggestion a")
        expect(link).to_have_text(suggested)
        expect(page.locator("#suggestion")).to_contain_text("Essayez avec :")
        link.click()
        expect(box).to_have_value(suggested)
        expect(page).to_have_url(re.compile(r"q=" + re.escape(urllib.parse.quote_plus(suggested))))
        expect(page.locator("#hits .hit-snippet mark").first).to_be_visible()
        assert page.evaluate("window.__sameDocument") is True
    assert p.errors == []


def test_partial_matches_under_their_heading_and_two_years_with_javascript(server, new_page):
    from playwright.sync_api import expect

    p = new_page()
    expected = api(server, "/api/search", q="munitions Téhéran")
    assert expected["total"] and expected["total_partial"]
    with p.screenshot_on_failure() as page:
        page.goto(server + "/")
        page.get_by_label("Rechercher dans les articles").press_sequentially("munitions Téhéran", delay=20)
        expect(page.locator("#partial-heading")).to_be_visible()
        expect(page.locator("#partial-heading")).to_contain_text("Articles contenant une partie des mots")
        expect(page.locator("#hits li.hit")).to_have_count(expected["total"])
        expect(page.locator("#hits-partial li.hit")).to_have_count(
            min(expected["total_partial"], 10 - expected["total"]))
        expect(page.locator("#summary")).to_contain_text("en contien")
        # two years ticked: both stay ticked (any of), the total is their sum
        page.get_by_label("Rechercher dans les articles").fill("")
        listing = api(server, "/api/search", q="", per_page="1")
        years = [f for f in listing["facets"]["year"] if f["value"]][:2]
        page.goto(server + "/?year=" + years[0]["value"])
        page.locator(f'#facet-year input[value="{years[1]["value"]}"]').check()
        expect(page.locator("#summary strong")).to_have_text(str(years[0]["count"] + years[1]["count"]))
        expect(page.locator(f'#facet-year input[value="{years[0]["value"]}"]')).to_be_checked()
    assert p.errors == []
