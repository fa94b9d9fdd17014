"""Who said what (issue 23): quote pairing, speakers right or none, the entity rules, the
"off" note and the aliases file created after start."""

from __future__ import annotations

import time

import pytest

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
    from searchsvc.backends.whoosh.indexer import reindex
    from searchsvc.search import parse_params
    from searchsvc.backends.whoosh import SearchEngine
    from searchsvc.backends.whoosh.entities import NOTE_OFF, AliasFile

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Titre\n\nLe Kremlin a parlé avec Emmanuel Macron à Paris.\n",
                                  encoding="utf-8")
    monkeypatch.setenv("SEARCHSVC_NER", "0")
    reindex(corpus, tmp_path / "index", full=True, workers=1)
    engine = SearchEngine(tmp_path / "index")
    try:
        assert NOTE_OFF in engine.search(parse_params({"q": "Kremlin", "person": "Emmanuel Macron"}))["notes"]
        assert engine.search(parse_params({"q": "Kremlin"}))["notes"] == []  # a plain search: no noise
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


# -- canonical acronyms, organisations ---------------------------------------------------


def test_an_acronym_and_its_full_form_written_together_are_linked():
    from searchsvc.enrich.canonical import links

    got = links("Le RN (Rassemblement national) progresse. Selon l'Organisation mondiale de la Santé "
                "(OMS), non. Les Républicains (LR) aussi. Paris (AFP) - Un test (ABC) ici.")
    assert got == {"RN": "Rassemblement national", "OMS": "Organisation mondiale de la Santé",
                   "LR": "Les Républicains"}


def test_lower_case_institutions_are_organisations_and_keep_no_place():
    text = "Le parquet de Besançon a ouvert une enquête. La préfecture de la Marne confirme."
    spans = [[text.index("Besançon"), text.index("Besançon") + 8, "LOC"],
             [text.index("Marne"), text.index("Marne") + 5, "LOC"]]
    got = ent.clean(text, spans)
    assert got["org"] == ["parquet de Besançon", "préfecture de la Marne"] and got["place"] == []


def _corpus(tmp_path, files: dict) -> "Path":
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


def test_facets_show_an_acronym_and_its_full_form_as_one_value(tmp_path, monkeypatch):
    """One article links RN to Rassemblement national; another says only RN: one facet value."""
    from searchsvc.backends.whoosh.indexer import reindex
    from searchsvc.search import parse_params
    from searchsvc.backends.whoosh import SearchEngine

    corpus = _corpus(tmp_path, {
        "a.txt": "Élections\n\nLe Rassemblement national (RN) est arrivé en tête à Marseille dimanche.\n",
        "b.txt": "Sondage\n\nMarine Le Pen et le RN progressent encore selon un sondage publié lundi à "
                 "Lyon.\n"})
    monkeypatch.setenv("SEARCHSVC_NER", "1")
    reindex(corpus, tmp_path / "index", full=True, workers=1)
    engine = SearchEngine(tmp_path / "index")
    try:
        orgs = engine.search(parse_params({}))["facets"]["org"]
        rn = [o for o in orgs if o["value"] in ("RN", "Rassemblement national")]
        assert len(rn) == 1 and rn[0]["count"] == 2
    finally:
        engine.close()


# -- views: each quote with its article -------------------------------------------------


@pytest.fixture(scope="module")
def who_client(tmp_path_factory):
    """A small corpus with a manifest (source, date), indexed with entities and quotes."""
    from searchsvc.backends.whoosh.indexer import reindex
    from searchsvc.web import create_app

    work = tmp_path_factory.mktemp("who")
    corpus = work / "corpus"
    corpus.mkdir()
    (corpus / "castaner.txt").write_text(
        "Castaner défend la police\n\nLe ministre de l'Intérieur, Christophe Castaner, était à Lyon "
        "jeudi.\n\n« Nous ne laisserons rien passer dans ce dossier », a déclaré le ministre.\n\n"
        "« Nous ne partirons pas avant la fin de la semaine », a indiqué à l'Agence France-Presse "
        "une manifestante.\n", encoding="utf-8")
    (corpus / "manifest.jsonl").write_text(
        '{"id": "castaner", "source": "Le Quotidien", "date": "2019-02-09"}\n', encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEARCHSVC_NER", "1")
        reindex(corpus, work / "index", full=True, workers=1)
    app = create_app({"TESTING": True, "INDEX_DIR": str(work / "index"), "CORPUS_DIR": str(corpus),
                      "ADMIN_TOKEN": None})
    return app.test_client(), work / "index"


def test_api_quotes_give_the_article_title_source_date_and_roles(who_client):
    from test_api import assert_matches_openapi

    client, _ = who_client
    resp = client.get("/api/quotes?q=dossier OR semaine")
    assert_matches_openapi(resp, "/api/quotes")
    quotes_ = {q["text"]: q for q in resp.get_json()["quotes"]}
    minister = quotes_["Nous ne laisserons rien passer dans ce dossier"]
    assert minister["speaker"] == "Christophe Castaner"
    assert (minister["title"], minister["source"], minister["date"][:10]) == (
        "Castaner défend la police", "Le Quotidien", "2019-02-09")
    protester = quotes_["Nous ne partirons pas avant la fin de la semaine"]
    assert protester["speaker"] is None and protester["role"] == "manifestante"


def test_search_page_links_each_quote_to_its_article_by_title(who_client):
    client, _ = who_client
    html = client.get("/?q=dossier").get_data(as_text=True)
    assert 'href="/documents/castaner#quotes">Castaner défend la police</a> · Le Quotidien, 2019-02-09' in html
    assert "manifestante (non nommé)" in client.get("/documents/castaner").get_data(as_text=True)


def test_cli_quotes_show_title_source_and_date(who_client, capsys):
    from searchsvc.cli import main

    _, index = who_client
    assert main(["quotes", "dossier", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "— Christophe Castaner · Castaner défend la police (Le Quotidien, 2019-02-09)" in out


def test_an_index_without_entities_says_so_on_pages_api_and_cli(tmp_path, monkeypatch, capsys):
    from searchsvc.cli import main
    from searchsvc.backends.whoosh.indexer import reindex
    from searchsvc.backends.whoosh.entities import NOTE_OFF
    from searchsvc.web import create_app

    corpus = _corpus(tmp_path, {"a.txt": "Titre\n\n« Nous ne céderons rien à personne ici », a dit "
                                         "Emmanuel Macron à Paris.\n"})
    monkeypatch.setenv("SEARCHSVC_NER", "0")
    reindex(corpus, tmp_path / "index", full=True, workers=1)
    app = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "index"), "CORPUS_DIR": str(corpus),
                      "ADMIN_TOKEN": None})
    client = app.test_client()
    assert client.get("/api/quotes").get_json()["notes"] == [NOTE_OFF]
    assert client.get("/api/entities").get_json()["notes"] == [NOTE_OFF]
    for url in ("/?q=Macron", "/documents/a", "/entites?q=Macron"):
        page = client.get(url).get_data(as_text=True)
        assert "n&#39;ont pas été extraites pour cet index" in page and "Aucune entité" not in page, url
    assert main(["quotes", "--index", str(tmp_path / "index")]) == 0
    assert capsys.readouterr().out.startswith(NOTE_OFF)


def test_a_pronoun_is_the_person_named_before_never_one_inside_a_quote():
    text = ("Philippe Lacube, éleveur, dénonce ces méthodes.\n\n"
            "« C'est comme un grand maître Jedi auprès de Laurent Wauquiez, je le respecte », souffle-t-il.")
    got = _extract(text, {"person": ["Philippe Lacube", "Laurent Wauquiez"], "org": [], "place": []})
    assert got[0]["speaker"] == "Philippe Lacube"


def test_an_incise_inside_the_marks_names_the_speaker():
    text = ("« Ça commence au soir du premier tour de la présidentielle, a analysé Thierry Solère. "
            "Rappelez-vous, il était déjà bien seul ce soir-là. »")
    got = _extract(text, {"person": ["Thierry Solère"], "org": [], "place": []})
    assert got[0]["speaker"] == "Thierry Solère"


def test_an_intertitle_repeating_an_attributed_quote_takes_its_speaker():
    text = ("Le sénateur Roger Karoutchi a réagi.\n\n« Il met tout le monde au pied du mur », a dit "
            "Roger Karoutchi.\n\n« Il met tout le monde au pied du mur »\n\nLa suite du texte.")
    got = _extract(text, {"person": ["Roger Karoutchi"], "org": [], "place": []})
    assert [q["speaker"] for q in got] == ["Roger Karoutchi", "Roger Karoutchi"]


def test_a_speaker_written_by_surname_is_shown_under_the_full_name(tmp_path, monkeypatch):
    """« … », a dit M. Macron: the search's view joins the surname to the corpus's full name."""
    from searchsvc.backends.whoosh.indexer import reindex
    from searchsvc.search import parse_params
    from searchsvc.backends.whoosh import SearchEngine
    from searchsvc.backends.whoosh.entities import quote_search

    corpus = _corpus(tmp_path, {
        "a.txt": "Visite\n\nEmmanuel Macron était à Lyon jeudi avec Emmanuel Macron en tête.\n",
        "b.txt": "Discours\n\n« Nous ne reculerons devant rien cette fois », a déclaré M. Macron à Paris.\n"})
    monkeypatch.setenv("SEARCHSVC_NER", "1")
    reindex(corpus, tmp_path / "index", full=True, workers=1)
    engine = SearchEngine(tmp_path / "index")
    try:
        got = engine.matches(parse_params({"q": "reculerons"}), lambda ms: quote_search(
            ms, engine.entity_search, engine.synonyms, None, 5))
        assert [q["speaker"] for q in got["quotes"]] == ["Emmanuel Macron"]
    finally:
        engine.close()


def test_misc_proper_names_are_organisations_and_opening_common_words_no_names():
    text = ("Déterminée, la ministre répond.\n\nSelon BFMTV, M. Macron a parlé jeudi. La vidéo a circulé "
            "sur Twitter mardi 2 avril.")
    spans = [[0, 10, "PER"]]
    for word, label in (("BFMTV", "MISC"), ("M. Macron", "PER"), ("Twitter", "MISC"),
                        ("mardi 2 avril", "MISC")):
        i = text.index(word)
        spans.append([i, i + len(word), label])
    got = ent.clean(text, spans)
    assert got["org"] == ["BFMTV", "Twitter"] and got["person"] == ["Macron"]


def test_on_dit_is_nobody():
    text = "Pierre Martin est arrivé.\n\n« Il ne reviendra plus jamais ici », dit-on au village."
    got = _extract(text, {"person": ["Pierre Martin"], "org": [], "place": []})
    assert got[0]["speaker"] is None


def test_roles_resolve_to_the_person_the_article_names_with_them():
    """"le ministre", and roles written another way ("le chef de l'État", "le locataire de la
    place Beauvau"), never the channel they spoke on."""
    text = ("Le président Emmanuel Macron était à Rouen. Le ministre de l'Intérieur Christophe "
            "Castaner l'accompagnait.\n\n« Nous tiendrons bon face à cette crise », a déclaré le chef "
            "de l'État sur LCI.\n\n« Aucun débordement ne sera toléré ce samedi », a prévenu le "
            "locataire de la place Beauvau.\n\n« Nous ne laisserons rien passer dans ce dossier », "
            "a ajouté le ministre.")
    got = _extract(text, {"person": ["Emmanuel Macron", "Christophe Castaner"], "org": ["LCI"],
                          "place": ["Rouen"]})
    assert [q["speaker"] for q in got] == ["Emmanuel Macron", "Christophe Castaner", "Christophe Castaner"]


def test_pour_x_and_pour_qui_introduce_the_speaker():
    text = ("Pour le maire de Jéricho, Salem Ghrouf, « de nombreux habitants risquent de perdre leur "
            "travail ».\n\nReste le philosophe Roland Barthes, pour qui « le sourire est le symbole du "
            "neutre ».")
    got = _extract(text, {"person": ["Salem Ghrouf", "Roland Barthes"], "org": [], "place": ["Jéricho"]})
    assert [q["speaker"] for q in got] == ["Salem Ghrouf", "Roland Barthes"]


def test_et_de_preciser_continues_the_speaker():
    text = ("Alvin de Coninck a été libéré lundi après sept ans.\n\nEt de préciser : « Les années passées "
            "dans une prison belge ont été très dures pour moi ».")
    got = _extract(text, {"person": ["Alvin de Coninck"], "org": [], "place": []})
    assert got[0]["speaker"] == "Alvin de Coninck"


def test_quotes_of_an_index_without_entities_on_every_store(store_index):
    """An index built without extraction has no quote to give, on every backend: an empty
    answer that says why (the OpenSearch backend no longer reads 200 articles for it)."""
    from search_stores import held
    from searchsvc.article import Article
    from searchsvc.enrich.entities import NOTE_OFF
    from searchsvc.search import parse_params

    text = "« Nous ne céderons rien à personne ici », a dit Emmanuel Macron à Paris."
    store = store_index("quotes-off", [Article(id="a", title="Titre", text=text)])
    engine = store.engine()
    try:
        got = engine.quotes(parse_params({"q": "céderons"}), None, 10)
        assert got == {"total": 0, "quotes": [], "notes": [NOTE_OFF]}
        assert held(engine) == 0
        if store.backend == "opensearch":  # known from the cached entity counts alone
            from searchsvc.backends.opensearch.trace import recording

            with recording(engine.client) as trips:
                assert engine.quotes(parse_params({"q": "céderons"}), None, 10) == got
            assert [t.kind for t in trips if t.kind != "generation"] == []
    finally:
        engine.close()
