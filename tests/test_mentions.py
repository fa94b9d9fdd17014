"""Entity mentions marked in an article's text (searchsvc.enrich.mentions) and on the
document page (``?highlight=entities``), escaped, beside the query's marks."""

from __future__ import annotations

import re

import pytest

from searchsvc.enrich.mentions import mark, mark_paragraphs, mention_spans
from searchsvc.backends.whoosh import SearchEngine
from searchsvc.web import create_app

WATLING = "002_209a75ba72bab8cf"
ENTS = {"person": ["John Kirby", "Kim Jong-un"], "org": ["Conseil de sécurité nationale"],
        "place": ["Corée du Nord"]}


def test_names_as_written_with_spaces_or_hyphens_and_surnames():
    text = ("Le porte-parole du Conseil de sécurité nationale, John Kirby, a parlé de Kim Jong Un. "
            "Kirby a ajouté que la Corée du Nord et KIM JONG-UN... Kirbyville n'est pas Kirby.")
    got = [(text[s:e], k) for s, e, k in mention_spans(text, ENTS)]
    assert got == [("Conseil de sécurité nationale", "org"), ("John Kirby", "person"),
                   ("Kim Jong Un", "person"), ("Kirby", "person"), ("Corée du Nord", "place"),
                   ("KIM JONG-UN", "person"), ("Kirby", "person")]


def test_everything_is_escaped_and_only_marks_are_markup():
    text = 'John Kirby <script>alert("x")</script> & <b>Corée du Nord</b>'
    html = mark(text, ENTS)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert re.sub(r"</?mark[^>]*>", "", html).count("<") == 0
    assert '<mark class="entity entity-person">John Kirby</mark>' in html
    assert '<mark class="entity entity-place">Corée du Nord</mark>' in html
    assert mark(text, {}) == str(__import__("markupsafe").escape(text))


def test_query_marks_are_kept_inside_and_beside_mentions():
    text = "Premier paragraphe.\n\nJohn Kirby parle des munitions."
    marked = ["Premier paragraphe.", "John <mark>Kirby</mark> parle des <mark>munitions</mark>."]
    got = mark_paragraphs(text, ENTS, marked)
    assert got[0] == "Premier paragraphe."
    assert got[1] == ('<mark class="entity entity-person">John <mark>Kirby</mark></mark> parle des '
                      "<mark>munitions</mark>.")
    # highlighting that does not match the text is ignored, never trusted as markup
    assert mark_paragraphs(text, ENTS, ["x", "<b>John Kirby</b>"])[1].count("<b>") == 0


@pytest.fixture(scope="module")
def client(entity_index):
    corpus, index = entity_index
    engine = SearchEngine(index)
    app = create_app({"TESTING": True, "INDEX_DIR": str(index), "CORPUS_DIR": str(corpus),
                      "ENGINE": engine, "ADMIN_TOKEN": None})
    yield app.test_client()
    engine.close()


def test_document_page_marks_mentions_only_when_asked(client):
    plain = client.get(f"/documents/{WATLING}").get_data(as_text=True)
    assert 'class="entity entity-' not in plain.split('id="document-body"')[1].split("</article>")[0]
    assert f'href="/documents/{WATLING}?highlight=entities"' in plain
    page = client.get(f"/documents/{WATLING}?highlight=entities").get_data(as_text=True)
    body = page.split('id="document-body"')[1].split("</article>")[0]
    assert '<mark class="entity entity-person">Jack Watling</mark>' in body
    assert 'class="entity entity-place">Tumangang</mark>' in body
    assert 'id="mentions-off"' in page and f'href="/documents/{WATLING}"' in page
    # with a query too: its words keep their marks
    both = client.get(f"/documents/{WATLING}?q=munitions&highlight=entities").get_data(as_text=True)
    body = both.split('id="document-body"')[1].split("</article>")[0]
    assert "<mark>munitions</mark>" in body and 'class="entity entity-person"' in body
    assert "highlight=entities" not in both.split('id="mentions-off"')[0].rsplit("<a", 1)[1]
