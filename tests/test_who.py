"""Who said what (issue 23): quote pairing, speakers right or none, the entity rules, the
"off" note and the aliases file created after start."""

from __future__ import annotations

import time

from searchsvc.enrich import entities as ent
from searchsvc.enrich import quotes, speakers
from searchsvc.enrich.quotemarks import pairs


def _extract(text: str, ents: dict) -> list[dict]:
    subjects = speakers.analyse_many([(text, quotes.spans(text))], speakers.parser())[0]
    return quotes.extract(text, ents, subjects)


def test_straight_marks_lent_to_the_next_paragraph_are_paired_as_read():
    text = ('Une troupe joue dans une maison hantée.\"\n\n'
            'Nous avons perdu 80% de nos clients" à cause de la crise, explique un acteur.\"\n\n'
            'Nous avons même des spectacles annulés", ajoute-t-il.')
    got = [text[b:c] for b, c in pairs(text)]
    assert got == ["Nous avons perdu 80% de nos clients", "Nous avons même des spectacles annulés"]


def test_a_closing_mark_opening_the_next_paragraph_closes_the_quote():
    text = 'Il reproche "d\'interférer dans le débat politique.\n\n" Invité de la radio, il répond.'
    assert [text[b:c].strip() for b, c in pairs(text)] == ["d'interférer dans le débat politique."]


def test_glosses_in_parentheses_are_no_quotes():
    assert quotes.spans('Une troupe, Kowa ("Une équipe qui veut faire peur"), joue.') == []


def test_the_listener_is_not_the_speaker_and_unnamed_people_get_no_name():
    text = ('« Nous ne partirons pas avant la fin de la semaine », a indiqué à l\'Agence '
            'France-Presse une manifestante.')
    got = _extract(text, {"person": [], "org": ["Agence France-Presse"], "place": []})
    assert got[0]["speaker"] is None


def test_a_role_resolves_to_the_person_the_article_names_with_it():
    text = ("Le ministre de l'Intérieur, Christophe Castaner, était à Lyon.\n\n"
            "« Nous ne laisserons rien passer dans ce dossier », a déclaré le ministre.")
    got = _extract(text, {"person": ["Christophe Castaner"], "org": [], "place": ["Lyon"]})
    assert got[0]["speaker"] == "Christophe Castaner"


def test_a_person_in_a_complement_of_the_subject_is_not_the_speaker():
    text = "« Il a toujours été un enfant très discret », a confié un proche d'Emmanuel Macron."
    got = _extract(text, {"person": ["Emmanuel Macron"], "org": [], "place": []})
    assert got[0]["speaker"] is None


def test_groups_roles_and_institutions_are_not_persons_or_places():
    text = ("Les Gilets jaunes ont manifesté devant l'Etat. Le Premier ministre a parlé à Paris.\n\n"
            "La République est en danger, dit-il à BordeauxL'édile.")
    spans = [[4, 17, "PER"], [len("Les Gilets jaunes ont manifesté devant l'"), 
              len("Les Gilets jaunes ont manifesté devant l'Etat"), "LOC"]]
    i = text.index("Premier")
    spans.append([i, i + len("Premier ministre"), "PER"])
    i = text.index("République")
    spans.append([i, i + len("République"), "PER"])
    i = text.index("Bordeaux")
    spans.append([i, i + len("Bordeaux"), "LOC"])
    got = ent.clean(text, spans)
    assert got["person"] == [] and got["place"] == ["Bordeaux"]


def test_entities_off_note_and_aliases_file_created_after_start(tmp_path, monkeypatch):
    """An index built with --no-entities says so (API notes, search notes, page); an
    entities.txt written beside the corpus after start is read within a second."""
    from searchsvc.indexer import reindex
    from searchsvc.search import SearchEngine, parse_params
    from searchsvc.search.entities import NOTE_OFF, AliasFile

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Titre\n\nLe Kremlin a parlé avec Emmanuel Macron à Paris.\n",
                                  encoding="utf-8")
    monkeypatch.setenv("SEARCHSVC_NER", "0")
    reindex(corpus, tmp_path / "index", full=True, workers=1)
    engine = SearchEngine(tmp_path / "index")
    try:
        assert NOTE_OFF in engine.search(parse_params({"q": "Kremlin"}))["notes"]
        doc = engine.document("a")
        assert doc["entities_extracted"] is False
    finally:
        engine.close()
    path = corpus / "entities.txt"
    monkeypatch.setenv("SEARCHSVC_CORPUS", str(corpus))
    monkeypatch.delenv("SEARCHSVC_ENTITIES", raising=False)
    aliases = AliasFile(path)
    assert not aliases.current().drop
    path.write_text("-Kremlin\n", encoding="utf-8")
    time.sleep(1.1)
    assert aliases.current().drop
