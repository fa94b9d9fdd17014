"""Every message of the command line is French: help, argument errors, OS errors,
plurals and decimals (issue 9, defect 6). The real command, in subprocesses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from searchsvc.cli import COMMANDS
from searchsvc.french import count_fr, decimal_fr, seconds_fr, size_fr

ROOT = Path(__file__).resolve().parent.parent
SEARCHSVC = [sys.executable, "-m", "searchsvc.cli"]


# argparse's and Python's English, as a user would see it
ENGLISH = re.compile(
    r"usage:|options:|positional arguments|optional arguments|show this help|error:|"
    r"\binvalid\b|\brequired\b|unrecognized|expected|choose from|the following|not allowed|"
    r"ambiguous|No such file|Errno|Traceback|Permission denied|Is a directory|must be|"
    r"\bport must\b|\bvalue\b", re.IGNORECASE)


def cli(*args, env=None, timeout=60):
    e = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C", "LC_ALL": "C", **(env or {})}
    return subprocess.run(SEARCHSVC + list(args), capture_output=True, text=True, env=e,
                          timeout=timeout, encoding="utf-8")


def assert_french(text: str) -> None:
    found = ENGLISH.findall(text)
    assert not found, f"English words {found} in:\n{text}"


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_is_french(command):
    r = cli(*([command] if command else []), "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage : searchsvc")
    assert "options\u00a0:" in r.stdout and "affiche cette aide et quitte" in r.stdout
    assert_french(r.stdout + r.stderr)
    if command in ("extract", "reindex", "serve"):  # the commands that read the corpus
        assert "SEARCHSVC_MAX_BYTES" in r.stdout and "0 = aucune" in r.stdout


BAD = [
    ([], "arguments obligatoires manquants : COMMANDE"),
    (["chercher"], "choix invalide : « chercher »"),
    (["search", "x", "--bogus"], "arguments non reconnus : --bogus"),
    (["serve", "--port", "99999"], "argument --port : 99999 hors limites : entre 0 et 65535 attendu"),
    (["serve", "--port", "abc"], "« abc » n'est pas un nombre entier"),
    (["serve", "--threads", "0"], "argument --threads : 0 hors limites : entre 1 et 256 attendu"),
    (["serve", "--port"], "argument --port : une valeur est attendue"),
    (["reindex", "--workers", "0"], "argument --workers : 0 hors limites"),
    (["reindex", "--wait", "bientôt"], "« bientôt » n'est pas un nombre"),
    (["similar"], "arguments obligatoires manquants : ID"),
    (["similar", "x", "--limit", "50"], "argument --limit : 50 hors limites : entre 1 et 20 attendu"),
    (["stats", "--jsno"], "arguments non reconnus : --jsno"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) or "(rien)" for a, _ in BAD])
def test_bad_arguments_get_a_french_error(args, message):
    r = cli(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    assert message in r.stderr, r.stderr
    assert r.stderr.startswith("usage : searchsvc") and " : erreur : " in r.stderr
    assert_french(r.stderr)


def test_os_errors_are_french_sentences_naming_the_file(tmp_path, plain_index):
    built_index = plain_index
    r = cli("search", "Corée", "--index", str(built_index), "--synonyms", "/nonexistent")
    assert r.returncode == 1
    assert "« /nonexistent » : fichier ou dossier introuvable" in r.stderr
    assert_french(r.stderr)
    r = cli("search", "Corée", "--index", str(built_index), "--synonyms", str(tmp_path))
    assert r.returncode == 1 and f"« {tmp_path} » : c'est un dossier, pas un fichier" in r.stderr
    r = cli("extract", str(tmp_path / "absent.txt"))
    assert r.returncode == 1 and "absent.txt : fichier introuvable" in r.stderr
    assert_french(r.stderr)
    (tmp_path / "fichier.txt").write_text("x", encoding="utf-8")
    r = cli("reindex", "--quiet", "--corpus", str(ROOT / "corpus"),
            "--index", str(tmp_path / "fichier.txt" / "index"))
    assert r.returncode == 1
    assert "un élément du chemin n'est pas un dossier" in r.stderr and "fichier.txt" in r.stderr
    assert_french(r.stderr)


def test_unusable_address_is_one_french_line(tmp_path):
    r = cli("serve", "--host", "hote.invalide", "--port", "0", "--index", str(tmp_path / "ix"),
            "--corpus", str(ROOT / "corpus"), timeout=120)
    assert r.returncode == 1
    assert "Impossible d'écouter sur hote.invalide:0 : adresse inconnue" in r.stderr
    assert_french(r.stderr)


def test_french_plurals_and_decimals():
    assert count_fr(0, "fichier") == "0 fichier" and count_fr(1, "fichier") == "1 fichier"
    assert count_fr(2, "fichier") == "2 fichiers" and count_fr(12345, "fichier") == "12\u202f345 fichiers"
    assert seconds_fr(0.42) == "0,4 s" and seconds_fr(7.56) == "7,6 s" and seconds_fr(75) == "1 min 15 s"
    assert decimal_fr(1234.5) == "1\u202f234,5"
    assert size_fr(1) == "1 octet" and size_fr(1536) == "1,5 Ko"


def test_reindex_summary_in_french_style(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seul.txt").write_text(
        "Un seul article\n\nLe conseil municipal a voté le budget de la culture mardi soir, "
        "après un long débat sur la nouvelle médiathèque.\n", encoding="utf-8")
    r = cli("reindex", "--corpus", str(corpus), "--index", str(tmp_path / "ix"))
    assert r.returncode == 0, r.stderr
    assert "indexation : 1 article, 1/1 fichier (100 %)" in r.stderr
    # one file is singular ("11 fichiers/s", a rate, is not "1 fichiers")
    assert "de 1 fichier" in r.stderr and not re.search(r"(?<![\d,])1 fichiers", r.stderr + r.stdout)
    assert re.search(r"durée : \d+,\d s ; \d+(,\d+)? documents?/s", r.stdout), r.stdout
    assert "; 0 document/s" not in r.stdout  # one document indexed: a rate above 0
    assert_french(r.stdout + r.stderr)


def test_unknown_values_agree_with_their_noun(tmp_path, plain_index):
    built_index = plain_index
    path = tmp_path / "sans.txt"
    path.write_text("Un article sans rien\n\nLe texte ne dit ni sa source ni sa date, ni où le "
                    "trouver ; il parle pourtant de la ligne de bus.\n", encoding="utf-8")
    r = cli("extract", str(path))
    assert r.returncode == 0, r.stderr
    assert "Source      : inconnue" in r.stdout and "Date        : inconnue" in r.stdout
    assert "URL         : inconnue" in r.stdout
    assert "inconnu\n" not in r.stdout.replace("Titre       : inconnu\n", "").replace("Auteur      : inconnu\n", "")
    r = cli("search", "", "--index", str(built_index), "--per-page", "1")
    assert "Sources : " in r.stdout and "(inconnue) (" in r.stdout and "(inconnu) (" not in r.stdout.split("Mois")[0]


def test_similar_agrees_with_the_api(corpus_store, app):
    from searchsvc.web.openapi import openapi_document

    index, env = str(corpus_store.index_dir), corpus_store.env()
    ids = json.loads(cli("search", "", "--index", index, "--json", env=env).stdout)["results"]
    doc = ids[0]["id"]
    r = cli("similar", doc, "--index", index, "--json", "--limit", "20", env=env)
    assert r.returncode == 0, r.stderr
    cli_obj = json.loads(r.stdout)
    api_obj = app.test_client().get(f"/api/documents/{doc}/similar?limit=20").get_json()
    assert cli_obj == api_obj and set(cli_obj) == {"id", "results"}
    spec = openapi_document()
    limit = next(p for p in spec["paths"]["/api/documents/{id}/similar"]["get"]["parameters"]
                 if p["name"] == "limit")["schema"]
    from searchsvc import config

    assert (limit["minimum"], limit["maximum"], limit["default"]) == (
        config.SIMILAR_MIN, config.SIMILAR_MAX, config.SIMILAR_DEFAULT)
    assert app.test_client().get(f"/api/documents/{doc}/similar?limit=21").status_code == 400
    assert cli("similar", doc, "--index", index, "--limit", "21", env=env).returncode == 2


@pytest.mark.parametrize("command", [["search", "Corée", "--json"], ["stats"], ["terms", "Corée"]])
def test_closed_pipe_is_not_an_error(plain_index, command):
    """`searchsvc search x | head`: the reader leaves, the command ends quietly with 0."""
    e = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C", "LC_ALL": "C"}
    r, w = os.pipe()
    os.close(r)  # the reader is gone before the first write
    try:
        p = subprocess.run(SEARCHSVC + command + ["--index", str(plain_index)], stdout=w,
                           stderr=subprocess.PIPE, env=e, timeout=60)
    finally:
        os.close(w)
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 0, err
    assert "EPIPE" not in err and "Broken pipe" not in err and "Traceback" not in err
