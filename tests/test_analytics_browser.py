"""The timeline chart, the words panel, the home page and the phone layout in Chromium,
against the real server over the analytics corpus (tests/analytics_corpus.py)."""

from __future__ import annotations

import re

import pytest
from search_stores import make_articles_store

from analytics_corpus import ARTICLES
from test_browser import api, browser, new_page, serving, summary_total  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["one-segment", "opensearch"])
def server(request, tmp_path_factory):
    """One Whoosh index shape and OpenSearch here (the analytics run on the engine of
    every shape in the other suites)."""
    store = make_articles_store(request.param, "analytics-browser", ARTICLES,
                                tmp_path_factory.mktemp(f"analytics-{request.param}"), request)
    corpus = tmp_path_factory.mktemp("analytics-corpus")
    with serving(store, corpus, tmp_path_factory.mktemp("analytics-serve")) as url:
        yield url


def test_chart_bars_hover_and_selecting_a_span_filters_the_list(server, new_page):
    from playwright.sync_api import expect

    timeline = api(server, "/api/timeline", q="zeppelin", interval="month")
    p = new_page(viewport={"width": 1280, "height": 900})
    with p.screenshot_on_failure() as page:
        page.goto(server + "/?q=zeppelin&interval=month")
        chart = page.locator("#timeline .chart-count svg")
        expect(chart).to_be_visible()
        expect(chart.locator("rect.bar")).to_have_count(len(timeline["buckets"]))
        heights = [float(h) for h in chart.locator("rect.bar").evaluate_all("rs => rs.map(r => r.getAttribute('height'))")]
        counts = [b["count"] for b in timeline["buckets"]]
        assert heights.index(max(heights)) == counts.index(max(counts))
        assert [h == 0 for h in heights] == [c == 0 for c in counts]

        # hover: the period's figures
        bars = chart.locator("a.bucket")
        bars.nth(2).hover()
        expect(page.locator("#chart-tip")).to_contain_text(f"{counts[2]} articles")
        expect(page.locator("#chart-tip")).to_contain_text("mars 2021")

        # drag from the 2nd bar to the 3rd: the results of February and March only
        first, last = timeline["buckets"][1], timeline["buckets"][2]
        expected = api(server, "/api/search", q="zeppelin", date_from=first["start"], date_to=last["end"])
        b1, b2 = bars.nth(1).bounding_box(), bars.nth(2).bounding_box()
        page.mouse.move(b1["x"] + b1["width"] / 2, b1["y"] + b1["height"] / 2)
        page.mouse.down()
        page.mouse.move(b2["x"] + b2["width"] / 2, b2["y"] + b2["height"] / 2, steps=5)
        page.mouse.up()
        expect(page).to_have_url(re.compile(rf"date_from={first['start']}.*date_to={last['end']}"))
        expect(page.locator("#summary strong")).to_have_text(str(expected["total"]))
        assert expected["total"] < timeline["total"]
        expect(page.locator("#date_from")).to_have_value(first["start"])
        # the chart follows the new search: two months (the chosen period, shown whole)
        expect(page.locator("#timeline .chart-count svg rect.bar")).to_have_count(2)

        # raw/share switch: the share chart replaces the count chart
        page.locator("label[for=mode-share]").click()
        expect(page.locator("#timeline .chart-share svg")).to_be_visible()
        expect(page.locator("#timeline .chart-count svg")).to_be_hidden()
    assert p.errors == []


def test_compared_queries_one_line_each(server, new_page):
    from playwright.sync_api import expect

    p = new_page()
    with p.screenshot_on_failure() as page:
        page.goto(server + "/?q=zeppelin&compare=gondolier&compare=a%C3%A9rostat")
        expect(page.locator("#timeline .chart-count polyline.series-line")).to_have_count(3)
        colours = page.locator("#timeline .chart-count polyline").evaluate_all(
            "ls => ls.map(l => l.getAttribute('stroke'))")
        assert len(set(colours)) == 3
        rows = page.locator("#timeline .chart-legend tbody tr")
        expect(rows).to_have_count(3)
        totals = api(server, "/api/timeline", q=["zeppelin", "gondolier", "aérostat"])
        for row, s in zip(rows.all(), totals["series"]):
            assert row.locator("td").first.inner_text() == str(s["total"])


def test_a_word_joins_the_query_and_back_restores_the_previous_search(server, new_page):
    from playwright.sync_api import expect

    p = new_page()
    zeppelin = api(server, "/api/search", q="zeppelin")["total"]
    with p.screenshot_on_failure() as page:
        page.goto(server + "/")
        page.get_by_label("Rechercher dans les articles").press_sequentially("zeppelin", delay=30)
        expect(page.locator("#summary strong")).to_have_text(str(zeppelin))
        word = page.locator("#terms a[data-term]").first
        expect(word).to_be_visible()
        term = word.get_attribute("data-term")
        word.click()
        expect(page.locator("#q")).to_have_value(f"zeppelin {term}")
        both = api(server, "/api/search", q=f"zeppelin {term}")["total"]
        expect(page.locator("#summary strong")).to_have_text(str(both))
        # a facet click is one more search
        page.locator("#facet-source input[type=checkbox]").first.check()
        expect(page).to_have_url(re.compile(r"source="))
        page.go_back()
        expect(page).not_to_have_url(re.compile(r"source="))
        expect(page.locator("#q")).to_have_value(f"zeppelin {term}")
        page.go_back()
        expect(page.locator("#q")).to_have_value("zeppelin")
        expect(page.locator("#summary strong")).to_have_text(str(zeppelin))
        page.go_back()  # the home page, before any search
        expect(page.locator("#q")).to_have_value("")
        expect(page.locator("#overview")).to_be_visible()
        page.go_forward()
        expect(page.locator("#q")).to_have_value("zeppelin")
    assert p.errors == []


def test_home_page_shows_the_corpus(server, new_page):
    from playwright.sync_api import expect

    p = new_page()
    with p.screenshot_on_failure() as page:
        page.goto(server + "/")
        overview = page.locator("#overview")
        expect(overview).to_contain_text(f"{len(ARTICLES)} articles")
        expect(overview).to_contain_text(f"{len({a.source for a in ARTICLES})} sources")
        dated = sorted(a.date for a in ARTICLES if a.date)
        expect(overview).to_contain_text("du 1er janvier 2021")
        expect(page.locator("#timeline .chart-count rect.bar")).to_have_count(
            len(api(server, "/api/timeline")["buckets"]))
        expect(page.locator("#latest li")).to_have_count(5)
        assert page.locator("#date_from").get_attribute("placeholder") == dated[0]
        assert page.locator("#date_to").get_attribute("placeholder") == dated[-1]


def test_phone_layout_filters_panel_above_the_results(server, new_page):
    from playwright.sync_api import expect

    p = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    with p.screenshot_on_failure() as page:
        page.goto(server + "/?q=zeppelin")
        panel = page.locator("#filters-panel")
        expect(page.locator("#hits li.hit").first).to_be_visible()
        assert panel.bounding_box()["y"] < page.locator("#hits").bounding_box()["y"]
        assert panel.bounding_box()["y"] < 844  # on the first screen
        expect(page.locator("#facet-source")).to_be_hidden()  # collapsed
        page.locator("#filters-panel summary").click()
        expect(page.locator("#facet-source")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling


def test_javascript_page_keeps_what_the_server_page_has(server, new_page):
    from playwright.sync_api import expect

    p = new_page()
    with p.screenshot_on_failure() as page:
        page.goto(server + "/")
        page.get_by_label("Rechercher dans les articles").press_sequentially("zeppelin", delay=20)
        expect(page.locator("#clear-filters")).to_be_visible()
        total = summary_total(page)
        page.locator("#facet-source input[type=checkbox]").first.check()
        expect(page.locator("#summary strong")).not_to_have_text(str(total))
        # a bad date: the error names the field by its label, the chosen source stays
        page.locator("#date_from").fill("2021-13")
        expect(page.locator("#error")).to_contain_text("« Du »")
        expect(page.locator("#date_from")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#facet-source input:checked")).to_have_count(1)
        expect(page.locator("#facet-source .facet-count")).to_have_count(0)  # no stale counts
        page.locator("#date_from").fill("")
        expect(page.locator("#error")).to_be_hidden()
        expect(page.locator("#facet-source .facet-count").first).to_be_visible()  # refreshed
        page.locator("#clear-filters").click()
        expect(page.locator("#summary strong")).to_have_text(str(total))
        expect(page.locator("#facet-source input:checked")).to_have_count(0)
        # nothing found under a filter: "chercher sans filtre" brings the matches back
        page.locator("#date_from").fill("2021-05-01")
        page.locator("#date_to").fill("2021-05-31")
        expect(page.locator("#empty a.no-filters")).to_be_visible()
        page.locator("#empty a.no-filters").click()
        expect(page.locator("#summary strong")).to_have_text(str(total))
        expect(page.locator("#date_from")).to_have_value("")
    assert p.errors == []
