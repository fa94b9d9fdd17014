"""The byline kept as the article's author (searchsvc.ingest.author), from real files."""

from __future__ import annotations

import json

import pytest

from searchsvc.ingest import extract
from searchsvc.ingest.author import clean_author

BODY = ("<p>" + "Le conseil municipal a voté lundi soir le budget après trois heures de débats animés. " * 6
        + "</p><p>" + "Les habitants rassemblés devant la mairie ont réagi avec colère à cette décision. " * 6
        + "</p>")


def page(head: str = "", byline: str = "", after: str = "") -> str:
    return (f"<html><head><title>Budget voté</title>{head}</head><body><article><h1>Budget voté</h1>"
            f"{byline}{BODY}</article>{after}</body></html>")


def read(tmp_path, name: str, content: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return extract(path, root=tmp_path)[0]


@pytest.mark.parametrize("html, author", [
    (page(byline='<p class="byline">Par Jeanne Martin, à Lyon · 12 mars 2023</p>'), "Jeanne Martin"),
    (page(byline="<p>Par Jeanne Martin, à Lyon</p>"), "Jeanne Martin"),
    (page(byline="<p>Publié le 3 mars 2021 par Jean Dupont</p>"), "Jean Dupont"),
    (page(head='<meta name="author" content="Source Euronews">'), "Euronews"),
    (page(head='<meta property="article:author" content="https://www.facebook.com/x">'), None),
    (page(head='<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Budget voté", '
               '"author": [{"@type": "Person", "name": "Paul Durand"}, {"name": "Ana Lima"}]}</script>'),
     "Paul Durand, Ana Lima"),
    (page(byline='<span itemprop="author" itemscope><span itemprop="name">Léa Petit</span></span>'), "Léa Petit"),
    # a reader's name in the comments is no byline
    (page(after='<div class="comments"><span class="comment-author">Troll Anonyme</span><p>nul</p></div>'), None),
])
def test_an_html_byline_becomes_the_author(tmp_path, html, author):
    art = read(tmp_path, "a.html", html)
    assert art.author == author
    assert "Le conseil municipal" in art.text


def test_a_json_object_and_a_sidecar_name_the_author(tmp_path):
    text = "Le conseil municipal a voté lundi soir le budget après trois heures de débats. " * 8
    art = read(tmp_path, "a.json", json.dumps({"title": "Budget", "text": text, "auteur": "Marie Curie"}))
    assert art.author == "Marie Curie"
    (tmp_path / "b.meta.json").write_text(json.dumps({"author": "Pierre Curie"}), encoding="utf-8")
    art = read(tmp_path, "b.json", json.dumps({"title": "Budget", "text": text, "authors": ["A B", "C D"]}))
    assert art.author == "Pierre Curie"  # the sidecar wins, as for every field
    assert art.to_dict()["author"] == "Pierre Curie"


@pytest.mark.parametrize("value, expected", [
    ("By John Smith, Reuters", "John Smith, Reuters"),
    ("Jean-Pierre Dupont et Marie Curie", "Jean-Pierre Dupont et Marie Curie"),
    ("Par la rédaction", None),
    ("Publié le 3 mars 2023 à 10h00", None),
    ("@lemondefr", None),
    ("By", None),
    ("Le conseil municipal a voté lundi soir le budget après trois heures", None),
])
def test_clean_author_keeps_names_only(value, expected):
    assert clean_author(value) == expected


def test_extract_command_shows_the_author(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "a.html"
    path.write_text(page(byline="<p>Par Jeanne Martin, à Lyon</p>"), encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    p = subprocess.run([sys.executable, "-m", "searchsvc.cli", "extract", str(path)], capture_output=True,
                       text=True, env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "Auteur      : Jeanne Martin" in p.stdout
