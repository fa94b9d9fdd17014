"""The timeline chart in Chromium at 1280 and 390 px, over the analytics corpus (the server
of tests/test_analytics_browser.py): labels >= 11 px and a plot >= 160 px tall at phone
width, and no talk of bars in line mode. Screenshots of the chart under the test's tmp
folder (paths printed with ``-s``)."""

from __future__ import annotations

import pytest

from test_analytics_browser import server  # noqa: F401  (fixture: the analytics corpus served)
from test_browser import api, browser, new_page  # noqa: F401  (fixtures)
from test_views_browser import DESKTOP, PHONE

pytestmark = pytest.mark.browser


#: The visible timeline chart: its axis labels' rendered font sizes and boxes, its plot's height.
CHART_JS = """() => {
  const svg = Array.from(document.querySelectorAll('#timeline svg.chart-svg')).find(s => s.getClientRects().length);
  if (!svg) { return null; }
  const box = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
  const scale = Math.min(box.width / vb.width, box.height / vb.height);  // the viewBox fits inside
  const ticks = Array.from(svg.querySelectorAll('text.tick')).map(t => {
    const r = t.getBoundingClientRect();
    return {size: parseFloat(getComputedStyle(t).fontSize) * scale, left: r.left, right: r.right,
            bottom: r.bottom, text: t.textContent};
  });
  const hit = svg.querySelector('rect.bucket-hit');
  return {ticks: ticks, plot: hit ? hit.getBoundingClientRect().height : 0,
          lines: svg.querySelectorAll('polyline').length, bars: svg.querySelectorAll('rect.bar').length,
          cls: svg.getAttribute('class')};
}"""


#: a phone held sideways: the filters beside the results leave the chart about 490 px
LANDSCAPE = {"viewport": {"width": 844, "height": 390}, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize("size", ["desktop", "phone", "landscape"])
def test_timeline_chart_is_readable_at_desktop_and_phone_width(server, new_page, tmp_path, size):
    from playwright.sync_api import expect

    timeline = api(server, "/api/timeline", q="zeppelin", interval="month")
    width = {"desktop": 1280, "phone": 390, "landscape": 844}[size]
    p = new_page(**{"desktop": DESKTOP, "phone": PHONE, "landscape": LANDSCAPE}[size])
    with p.screenshot_on_failure() as page:
        page.goto(server + "/?q=zeppelin&interval=month")
        expect(page.locator("#timeline")).to_be_visible()
        page.locator("#timeline").screenshot(path=str(tmp_path / f"timeline-{width}.png"))
        print(f"screenshot: {tmp_path / f'timeline-{width}.png'}")
        got = page.evaluate(CHART_JS)
        assert got is not None and ("chart-narrow" in got["cls"]) == (size != "desktop")
        assert got["bars"] == len(timeline["buckets"])
        print(f"{width} px: smallest axis label {min(t['size'] for t in got['ticks']):.1f} px, "
              f"plot {got['plot']:.0f} px tall")
        assert got["plot"] >= 160
        assert got["ticks"] and all(t["size"] >= 11 for t in got["ticks"]), got["ticks"]
        x_labels = sorted((t for t in got["ticks"] if t["bottom"] > max(u["bottom"] for u in got["ticks"]) - 1),
                          key=lambda t: t["left"])
        assert len(x_labels) >= 2
        assert all(a["right"] < b["left"] for a, b in zip(x_labels, x_labels[1:]))  # no overlap
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # the share mode switches the phone chart too
        page.locator("label[for=mode-share]").click()
        assert "chart-share" in page.evaluate(
            "Array.from(document.querySelectorAll('#timeline svg.chart-svg')).find(s => s.getClientRects().length)"
            ".closest('figure').className")

        # queries compared: lines, and no talk of bars
        page.goto(server + "/?q=zeppelin&compare=gondolier&interval=month")
        got = page.evaluate(CHART_JS)
        assert got["lines"] == 2 and got["bars"] == 0
        expect(page.locator("#timeline .chart-help")).not_to_contain_text("barre")
        expect(page.locator("#timeline .chart-help")).to_contain_text("période")
    assert p.errors == []
