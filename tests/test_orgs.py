"""Organisation and place spans cut and re-labelled (searchsvc.enrich.orgs) and their effect
through searchsvc.enrich.entities.clean."""

from __future__ import annotations

from searchsvc.enrich import entities as ent
from searchsvc.enrich import orgs


def _span(text: str, words: str, label: str) -> list:
    i = text.index(words)
    return [i, i + len(words), label]


def _names(text: str, spans: list) -> list[tuple[str, str]]:
    return [(orgs_kind, text[s:e]) for orgs_kind, s, e in spans]


def test_a_quote_mark_or_a_glued_full_stop_ends_a_name():
    text = 'Selon le cabinet Kantar."Ça ne va pas", dit-il. La HAS.129,6 millions.'
    low = {"ne", "va", "pas", "dit", "il", "millions"}
    got = orgs.split(text, text.index("Kantar"), text.index("Ça") + 2, "org", set(), low)
    assert _names(text, got) == [("org", "Kantar")]
    got = orgs.split(text, text.index("HAS"), text.index(",6"), "org", set(), low)
    assert _names(text, got) == [("org", "HAS")]


def test_an_institution_read_as_a_place_is_an_organisation():
    text = "La Cour suprême argentine a tranché."
    got = orgs.split(text, 3, text.index(" a "), "place", set(), {"tranché", "a"})
    assert got == [("org", 3, text.index(" a "))]


def test_a_person_after_an_acronym_or_a_portfolio_is_a_person():
    text = ("Interrogée par l'AFP Lina Marsh, une étudiante, témoigne. Le vice-ministre des "
            "Finances Karim Saleh a parlé.")
    low = {"interrogée", "par", "une", "étudiante", "témoigne", "a", "parlé"}
    got = orgs.split(text, text.index("AFP"), text.index(", une"), "org", set(), low, {"AFP"})
    assert _names(text, got) == [("org", "AFP"), ("person", "Lina Marsh")]
    got = orgs.split(text, text.index("Finances"), text.index(" a parlé"), "org", set(), low)
    assert _names(text, got) == [("person", "Karim Saleh")]
    # an acronym the article never writes alone keeps its span ("EM Lyon")
    got = orgs.split(text, text.index("AFP"), text.index(", une"), "org", set(), low)
    assert _names(text, got) == [("org", "AFP Lina Marsh")]


def test_a_person_s_full_name_read_as_an_organisation_and_a_person_named_as_an_organisation():
    text = "M. Kofi Amadou Mensah parle. Selon le magazine Gala, il viendra."
    got = orgs.split(text, 3, text.index(" parle"), "org", {"Kofi"}, {"parle", "selon", "il", "viendra"})
    assert got == [("person", 3, text.index(" parle"))]
    got = orgs.split(text, text.index("Gala"), text.index(", il"), "person", set(), set())
    assert got == [("org", text.index("Gala"), text.index(", il"))]


def test_clean_keeps_the_person_and_the_organisation_apart():
    text = "Une étudiante a parlé à l'AFP.\n\nElle a dit à l'AFP Lina Marsh que tout allait bien."
    spans = [_span(text, "AFP", "ORG")]
    i = text.index("AFP Lina")
    spans.append([i, i + len("AFP Lina Marsh"), "ORG"])
    got = ent.clean(text, spans)
    assert got["person"] == ["Lina Marsh"] and got["org"] == ["AFP"]


def test_a_name_never_runs_into_the_next_sentence_glued_after_capitals():
    text = "Le direct par BFMTVLe rendez-vous est fixé. VIDEO. Une vidéo circule. La NASA parle."
    spans = [_span(text, "BFMTVLe", "ORG"), _span(text, "VIDEO", "MISC"), _span(text, "NASA", "ORG")]
    assert ent.clean(text, spans)["org"] == ["BFMTV", "NASA"]


def test_initials_and_particles_are_no_person():
    text = "Selon D. De, la grève continue. Philippe Martin parle."
    spans = [_span(text, "D. De", "PER"), _span(text, "Philippe Martin", "PER")]
    assert ent.clean(text, spans)["person"] == ["Philippe Martin"]


def test_a_place_after_en_and_a_region_shaped_like_a_demonym():
    text = "Des orages dans le nord de la Lorraine et en Lorraine encore. L'armée est en Irak."
    spans = [_span(text, "Lorraine", "LOC"), _span(text, "en Irak", "MISC")]
    assert ent.clean(text, spans)["place"] == ["Lorraine", "Irak"]


def test_names_the_cleaning_used_to_drop_or_mislabel():
    text = ("Le président du Sénat a parlé au Parisien. Selon Le Dauphiné Libéré, la star de D8 "
            "(NDLR : la chaîne) a quitté le parti Les Républicains, puis a parlé sur Europe 1 lundi, "
            "avec la ministre des Armées.")
    spans = [_span(text, "Sénat", "ORG"), _span(text, "Parisien", "LOC"),
             _span(text, "Le Dauphiné Libéré", "MISC"), _span(text, "D8", "ORG"), _span(text, "NDLR", "ORG"),
             _span(text, "Républicains", "ORG"), _span(text, "Europe", "LOC"), _span(text, "Armées", "ORG")]
    got = ent.clean(text, spans)
    assert got["org"] == ["Sénat", "Parisien", "Dauphiné Libéré", "D8", "Républicains", "Europe 1"]
    assert got["place"] == []


def test_a_quantity_after_a_place_makes_no_channel():
    text = "Il a vécu en France 2 ans puis à Paris 3 fois par an."
    got = ent.clean(text, [_span(text, "France", "LOC"), _span(text, "Paris", "LOC")])
    assert got["place"] == ["France", "Paris"] and got["org"] == []
