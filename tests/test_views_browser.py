"""How the views read, in Chromium at desktop (1280 px) and phone (390 px) widths: the
concordance and the filters panel (the chart: test_chart_browser.py; the article page:
test_article_browser.py). Each test saves its screenshots under its tmp folder (paths
printed with ``-s``)."""

from __future__ import annotations

import re

import pytest

from test_browser import api, browser, browser_store, new_page, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

#: For each concordance row: the boxes of the contexts' clipping windows, of the word
#: nearest the keyword on each side, and of the keyword.
ROWS_JS = """() => Array.from(document.querySelectorAll('#kwic tbody tr')).map(tr => {
  const box = el => { const r = el.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width}; };
  const word = (el, last) => {
    const node = el.firstChild; const text = node ? node.textContent : '';
    const m = last ? /\\S+$/.exec(text) : /^\\S+/.exec(text);
    if (!m) { return null; }
    const range = document.createRange();
    range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
    return box(range);
  };
  const left = tr.querySelector('.kwic-left .kwic-clip'), right = tr.querySelector('.kwic-right .kwic-clip');
  return {left: box(left), right: box(right), match: box(tr.querySelector('.kwic-match a')),
          before: word(left.firstElementChild, true), after: word(right.firstElementChild, false)};
})"""


def concordance_rows(page, tmp_path, name):
    page.screenshot(path=str(tmp_path / name), full_page=True)
    print(f"screenshot: {tmp_path / name}")
    return page.evaluate(ROWS_JS)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_concordance_keeps_the_words_next_to_the_keyword_visible(server, new_page, tmp_path, size):
    from playwright.sync_api import expect

    expected = api(server, "/api/concordance", q="munitions")
    assert expected["total"] >= 3 and any(len(line["left"]) > 40 for line in expected["lines"])
    p = new_page(**(DESKTOP if size == "desktop" else PHONE))
    width = 1280 if size == "desktop" else 390
    with p.screenshot_on_failure() as page:
        page.goto(server + "/concordance?q=munitions&sort=left")
        expect(page.locator("#kwic tbody tr")).to_have_count(min(expected["total"], 50))
        rows = concordance_rows(page, tmp_path, f"concordance-{width}.png")
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        centres = []
        for row in rows:
            # both sides show some context, the keyword between them
            assert row["left"]["width"] >= (70 if size == "phone" else 300)
            assert row["right"]["width"] >= (70 if size == "phone" else 300)
            assert row["left"]["right"] <= row["match"]["left"] <= row["match"]["right"] <= row["right"]["left"]
            # the words nearest the keyword are inside their windows (what "Mot avant" sorts on)
            if row["before"]:
                assert row["left"]["left"] - 0.5 <= row["before"]["left"]
                assert row["before"]["right"] <= row["left"]["right"] + 0.5
            if row["after"]:
                assert row["right"]["left"] - 0.5 <= row["after"]["left"]
                assert row["after"]["right"] <= row["right"]["right"] + 0.5
            centres.append((row["match"]["left"] + row["match"]["right"]) / 2)
        # the keywords are centred and aligned: one column down the middle
        assert max(centres) - min(centres) <= 2
        assert abs(centres[0] - width / 2) <= width * 0.2
    assert p.errors == []


#: What the filters' panel cuts off: a select narrower than its chosen option's text (plus
#: its padding and arrow), or any element whose content overflows it sideways.
CUT_JS = """() => {
  const cut = [];
  const ctx = document.createElement('canvas').getContext('2d');
  document.querySelectorAll('.filters select').forEach(sel => {
    const cs = getComputedStyle(sel);
    ctx.font = cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
    Array.from(sel.options).forEach(opt => {
      const need = ctx.measureText(opt.text).width + parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight) + 20;
      if (need > sel.clientWidth) { cut.push('select ' + sel.name + ': ' + opt.text); }
    });
  });
  document.querySelectorAll('.filters *').forEach(node => {
    if (node.getClientRects().length && node.scrollWidth > node.clientWidth + 1 && getComputedStyle(node).overflowX !== 'visible') {
      cut.push(node.tagName + '#' + node.id + '.' + node.className);
    }
  });
  return cut;
}"""


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_filters_panel_cuts_nothing_off(server, new_page, tmp_path, size):
    from playwright.sync_api import expect

    p = new_page(**(DESKTOP if size == "desktop" else PHONE))
    with p.screenshot_on_failure() as page:
        page.goto(server + "/?q=munitions")
        if size == "phone":
            page.locator("#filters-panel summary").click()
        expect(page.locator("#facet-source")).to_be_visible()
        page.locator(".filters").screenshot(path=str(tmp_path / "filters.png"))
        assert page.evaluate(CUT_JS) == []
        # counting stories: a radio choice that updates the search and survives Back
        page.get_by_label("les histoires (copies comptées une fois)").check()
        expect(page).to_have_url(re.compile(r"count=stories"))
        expect(page.locator("#facets-count")).to_contain_text("histoires")
        page.go_back()
        expect(page.get_by_label("les articles (chaque copie)")).to_be_checked()
    assert p.errors == []
