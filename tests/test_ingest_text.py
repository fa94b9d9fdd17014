"""Plain-text rules one by one, with the look-alike body lines they must keep.

The "keep" cases are real shapes found in news-fr (AFP sub-headings "- X -", a French
sentence listing English names, a body line starting with "Partager", a TV show named
"Envoyé spécial"...): each once made a rule drop body text.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from searchsvc.ingest import IngestError, decode
from searchsvc.ingest.text import clean_text, split_units

LEAD = ("Le gouvernement a présenté mercredi un projet de loi sur l'énergie, qui prévoit une "
        "hausse des investissements dans les réseaux électriques et les barrages.")
TAIL = "Les députés examineront le texte à l'automne, selon le ministère de la Transition écologique."


def _run(line, before=(LEAD,), after=(TAIL,)):
    text = "\n\n".join(["Un titre d'article", *before, line, *after])
    c = clean_text(text)
    return c, {d.text: d.reason for d in c.dropped}


@pytest.mark.parametrize("line,reason", [
    ("Accueil / Politique / Économie / Monde / Sport", "menu"),
    ("Partager Cet Article", "partage"),
    ("Suivez-nous sur Telegram via le lien suivant : https://t.me/exemple", "partage"),
    ("Abonnez-vous à notre newsletter pour recevoir l'essentiel chaque matin.", "partage"),
    ("Lire aussi : Le budget 2024 adopté en commission", "lien connexe"),
    ("Crédit photo : Getty Images", "crédit photo"),
    ("Crédit photo Lionel Allorge / Agencia Brasil / ABr", "crédit photo"),
    ("Illustration : une autoroute vue par un capteur LiDAR", "crédit photo"),
    ("Le ministre à Lyon, le 3 mars 2021. © AFP", "légende photo"),
    ("Le président et son homologue (L) et (R) lors du sommet de Vladivostok, le 25 avril 2019.", "légende photo"),
    ("PHOTO/Reuters - Un char ukrainien près de Bakhmout, le 2 mars 2023", "légende photo"),
    ("Des manifestants devant l'Assemblée nationale, à Paris. (Photo AFP)", "légende photo"),
    ("rusia-maniobras-militares", "slug d'image"),
    ("img_2023-03-01.jpg", "slug d'image"),
    ("Propos recueillis par Daphné Rousseau", "signature"),
    ("Coordinatrice pour l'Europe : Anne Martin", "signature"),
    ("Avec AFP", "signature"),
    ("| PREUVE 1, MONDE |", "pied de page"),
    ("SOURCE: FRENCH PRESS TV", "pied de page"),
    ("Tous droits réservés", "pied de page"),
    ("Si conoces o tienes alguna pista en relación con una noticia, no dudes en hacérnosla llegar a través de cualquiera de las siguientes vías.", "langue étrangère (es)"),
    ("The minister said on Wednesday that the bill would be debated in the autumn, after the summer recess of the parliament.", "langue étrangère (en)"),
])
def test_boilerplate_dropped_with_reason(line, reason):
    c, dropped = _run(line)
    assert dropped == {line: reason}
    assert c.paragraphs == [LEAD, TAIL]


@pytest.mark.parametrize("line", [
    "- Récession mondiale -",
    "- Plus de 260.000 morts -",
    "Partager l'affiche avec Sophie Marceau avant de quitter définitivement les plateaux de cinéma : Alain Delon en rêvait.",
    "\" Partagez-vous l'avis de ces internautes ?",
    "Envoyé Spécial : Elise Lucet lance sa nouvelle formule avec l'affaire Bygmalion",
    "« Envoyé Spécial » lève le voile sur les relations troubles d'Alexandre Benalla",
    "Parmi les signataires figurent Dua Lipa, Skepta, Rita Ora, Coldplay, Eric Clapton, Annie Lennox, Sam Smith, Rod Stewart, Liam Gallagher.",
    "Le taux de reproduction effectif (R) du virus mesure le nombre moyen de personnes qu'un malade contamine.",
    "Cette histoire est ridicule et totalement fausse, a déclaré une porte-parole de l'acteur au Daily Mail.",
    "Par ailleurs, le ministre a confirmé que le texte serait examiné en procédure accélérée.",
    "Les derniers alliés",
    "Moscou s'engage à dynamiser les relations avec Pyongyang",
    "Selon Moscou, plus de 50 000 soldats participent aux exercices Vostok 2022, qui ont débuté le 1er septembre.",
])
def test_body_look_alikes_kept(line):
    c, dropped = _run(line)
    assert dropped == {}
    assert c.paragraphs == [LEAD, line, TAIL]


def test_repeated_title_and_paragraph_are_doublons():
    c = clean_text("\n\n".join(["Le titre", LEAD, TAIL, "Le titre", LEAD]))
    assert c.title == "Le titre" and c.paragraphs == [LEAD, TAIL]
    assert [(d.text, d.reason) for d in c.dropped] == [("Le titre", "doublon"), (LEAD, "doublon")]


def test_byline_block_in_header_then_dateline():
    text = "\n".join(["Publié par : Jeanne Petit", "Dernière mise à jour : 1er septembre 2022, 10h05",
                      "Lyon, France", LEAD, TAIL])
    c = clean_text(text)
    assert [d.reason for d in c.dropped] == ["signature", "signature", "lieu de rédaction"]
    assert c.date == "2022-09-01" and c.title is None and c.paragraphs == [LEAD, TAIL]


def test_bullet_bylines_only_after_a_byline():
    c = clean_text("\n".join(["Titre", "", "03.02.2021 0 Par admin", "  • Jean Dupont", "  • nouvelles de la BBC", "", LEAD]))
    assert [d.reason for d in c.dropped] == ["signature"] * 3
    assert (c.source, c.date) == ("BBC", "2021-02-03")


def test_caption_after_legend_marker_only():
    c = clean_text("\n\n".join(["Titre", LEAD, "Légende de la photo :", "Des soldats à l'entraînement, en 2019", TAIL]))
    assert [d.reason for d in c.dropped] == ["légende photo", "légende photo"] and c.paragraphs == [LEAD, TAIL]


def test_trailing_photo_credit_split_from_the_paragraph():
    c = clean_text("\n\n".join(["Titre", LEAD + "Crédit photo : © Shell", TAIL]))
    assert c.paragraphs == [LEAD, TAIL]
    assert [(d.text, d.reason) for d in c.dropped] == [("Crédit photo : © Shell", "crédit photo")]


def test_short_foreign_line_next_to_a_foreign_paragraph():
    es = ("Si conoces o tienes alguna pista en relación con una noticia, no dudes en hacérnosla llegar "
          "a través de cualquiera de las siguientes vías.")
    c = clean_text("\n".join(["Titre", "", LEAD, "", TAIL, "", "Envíanos tus noticias", es]))
    assert c.paragraphs == [LEAD, TAIL]
    assert [d.reason for d in c.dropped] == ["langue étrangère (es)"] * 2


def test_hard_wrapped_lines_joined_back():
    wrapped = ("Le gouvernement a présenté mercredi un projet de loi sur\nl'énergie, qui prévoit une "
               "hausse des investissements dans les\nréseaux électriques.")
    assert split_units("Titre\n\n" + wrapped) == ["Titre", wrapped.replace("\n", " ")]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_clean_text_never_raises_and_loses_nothing_silently(text):
    c = clean_text(text)
    units = split_units(text)
    accounted = len(c.paragraphs) + len(c.dropped) + (c.title is not None)
    assert accounted == len(units)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_decode_never_crashes_on_any_bytes(data):
    try:
        assert isinstance(decode(data), str)
    except IngestError as exc:
        assert exc.reason and "\n" not in exc.reason
