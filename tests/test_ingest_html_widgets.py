"""Extraction rules for pages unlike the ones the extractor was tuned on: link blocks and
their headings, a main block that holds only a teaser (the trafilatura fallback), live
commentaries in order (tests/fixtures/ingest/widgets/*.html, widgets.expected.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchsvc.ingest import fallback
from searchsvc.ingest.html import clean_html

FIX = Path(__file__).parent / "fixtures" / "ingest"
EXPECTED = json.loads((FIX / "widgets.expected.json").read_text(encoding="utf-8"))


def _clean(name):
    return clean_html((FIX / "widgets" / f"{name}.html").read_text(encoding="utf-8"))[0]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_kept_in_order_and_widgets_gone(name):
    text = _clean(name).text
    kept = EXPECTED[name]["kept"]
    positions = [text.find(k) for k in kept]
    assert -1 not in positions, [k for k, p in zip(kept, positions) if p < 0]
    assert positions == sorted(positions), "entries out of order"
    for gone in EXPECTED[name]["gone"]:
        assert gone not in text, gone


def test_related_blocks_are_reported_as_related():
    dropped = {d.text: d.reason for d in _clean("related_blocks").dropped}
    assert dropped.get("Sur le même sujet") == "lien connexe"
    assert any("Les impôts locaux en hausse" in t and r == "lien connexe" for t, r in dropped.items())


def test_teaser_main_block_falls_back_to_trafilatura(monkeypatch):
    calls = []
    real = fallback.trafilatura_lines
    monkeypatch.setattr(fallback, "trafilatura_lines", lambda html: calls.append(1) or real(html))
    _clean("articlebody_teaser")
    assert calls, "a teaser-sized main block must try the next strategy"


def test_full_article_does_not_call_trafilatura(monkeypatch):
    def never(html):
        raise AssertionError("trafilatura called on a page whose article we found")
    monkeypatch.setattr(fallback, "trafilatura_lines", never)
    page = (FIX / "page_jsonld.html").read_text(encoding="utf-8")
    assert "nappes phréatiques" in clean_html(page)[0].text


def test_fallback_rules():
    long_page = "mot " * 1000
    assert fallback.looks_short("un deux trois", "un deux trois")           # under MIN_WORDS
    assert fallback.looks_short("mot " * 150, long_page)                    # 15 % of the page
    assert not fallback.looks_short("mot " * 400, long_page)
    assert fallback.better("a b", " ".join(f"w{i}" for i in range(30)))
    assert not fallback.better("Accueil", "Accueil Rechercher")            # a menu is not an article
    theirs = " ".join(f"w{i}" for i in range(40))
    assert not fallback.better(theirs, theirs)                             # ours already has it


def test_paywall_lines_and_boxes_are_reported():
    reasons = {d.reason for d in _clean("paywall_teaser").dropped}
    assert {"accès abonnés", "lien connexe", "crédit photo"} <= reasons


def test_search_form_is_still_chrome():
    page = ('<html><body><form action="/s"><p>Rechercher dans le site</p></form><article>'
            + "<p>Le conseil municipal a voté le budget de la commune, après un long débat sur la dette.</p>" * 12
            + "</article></body></html>")
    assert "Rechercher" not in clean_html(page)[0].text


def test_heading_left_alone_at_the_end_goes():
    page = ("<html lang='fr'><body><article><h1>Budget voté</h1>"
            + "<p>Le conseil municipal a voté le budget de la commune, après un long débat sur la dette.</p>" * 12
            + "<h3>Ce qu’en pensent nos lecteurs</h3><div class='comments'><p>Très bon article, merci.</p></div>"
            + "</article></body></html>")
    cleaned = clean_html(page)[0]
    assert "Ce qu’en pensent nos lecteurs" not in cleaned.text
    assert "budget de la commune" in cleaned.text


def test_lead_is_taken_between_the_title_and_the_block_only():
    from searchsvc.ingest import html as H

    root = H.parse((FIX / "widgets" / "lead_standfirst.html").read_text(encoding="utf-8"))
    H._strip_chrome(root)
    container = H.find_container(root)
    assert "Les travaux ont duré" in H._text(container)
    lead = [H._text(el) for el in H.lead_blocks(container)]
    assert len(lead) == 1 and lead[0].startswith("La deuxième ligne")  # not the date, not the share bar


def test_lead_walk_stops_after_its_budget(monkeypatch):
    from searchsvc.ingest import html as H

    monkeypatch.setattr(H, "LEAD_BUDGET", 10)
    monkeypatch.setattr(H, "LEAD_SHARE", 0.0)
    text = _clean("lead_standfirst").text
    assert "La deuxième ligne" not in text and "Les travaux ont duré" in text


def _page(body: str) -> str:
    return f"<html><head><title>T</title></head><body><article>{body}</article></body></html>"


_PARAS = ("<p>Les élus ont voté le budget mardi soir, après un long débat sur les impôts locaux "
          "et sur le prix des cantines scolaires de la ville.</p>") * 4


def test_soft_hyphens_and_zero_width_spaces_do_not_cut_words():
    text = clean_html(_page("<p>La Schutz\u00adge&shy;mein&#173;schaft du vi\u200bgnoble a défendu "
                            "ses vins devant la commission régionale mardi.</p>" + _PARAS))[0].text
    assert "Schutzgemeinschaft" in text and "vignoble" in text


def test_text_is_nfc():
    text = clean_html(_page("<p>Le marche\u0301 de Noe\u0308l ouvre ses portes samedi sur la place, "
                            "avec quarante chalets et une patinoire.</p>" + _PARAS))[0].text
    assert "marché de Noël" in text


def test_ruby_readings_are_not_text():
    text = clean_html(_page("<p><ruby>法律<rp>(</rp><rt>ほうりつ</rt><rp>)</rp></ruby>では、"
                            "親が子どもをたたくことを禁止しました。</p>" + _PARAS))[0].text
    assert "法律では" in text and "ほうりつ" not in text


def test_trafilatura_table_rows_become_one_line_a_cell():
    page = _page("<p>" + "Les tarifs de la piscine municipale changent au premier janvier. " * 6 + "</p>"
                 "<table><tr><th>Tarif</th><th>Prix</th></tr><tr><td>Adulte</td><td>4,50 euros</td></tr>"
                 "<tr><td>Enfant</td><td>2,20 euros</td></tr></table>")
    lines = fallback.trafilatura_lines(page)
    assert "4,50 euros" in lines and "Enfant" in lines
    assert not any(line.startswith("|") or set(line) <= set("-:|") for line in lines)
