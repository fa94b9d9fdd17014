"""Dates, text cues, sidecar and manifest precedence, language, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from searchsvc.cli import main
from searchsvc.ingest import IngestError, extract, load_manifest
from searchsvc.ingest.meta import clean_source, date_cue, parse_date, source_cue

ROOT = Path(__file__).resolve().parent.parent
BODY = ("Le gouvernement a présenté mercredi un projet de loi sur l'énergie, "
        "qui prévoit une hausse des investissements dans les réseaux électriques.")


@pytest.mark.parametrize("text,iso", [
    ("2022-09-22", "2022-09-22"), ("2022-09-22T08:15:00+02:00", "2022-09-22"),
    ("22.09.2022", "2022-09-22"), ("22/09/2022", "2022-09-22"), ("20220922", "2022-09-22"),
    ("30 août 2023, 23h23 IST", "2023-08-30"), ("1er septembre 2022", "2022-09-01"),
    ("mardi 19 juillet 2022", "2022-07-19"), ("5 févr. 2021", "2021-02-05"),
    ("12 DÉCEMBRE 2020", "2020-12-12"), ("September 22, 2022", "2022-09-22"),
    ("31.02.2022", None), ("hier", None), ("", None), (None, None),
])
def test_parse_date(text, iso):
    assert parse_date(text) == iso


def test_text_cues():
    assert source_cue("SOURCE: FRENCH PRESS TV") == "French Press TV"
    assert source_cue("  • nouvelles de la BBC") == "BBC"
    assert source_cue("(Cette histoire n’a pas été éditée par le personnel de News18 et est publiée)") == "News18"
    assert source_cue("Le Kremlin a démenti") is None
    assert date_cue("Dernière mise à jour : 30 août 2023, 23h23 IST") == "2023-08-30"
    assert date_cue("22.09.2022 0 Par admin") == "2022-09-22"
    assert date_cue("Publié le 3 mars 2021 à 10h") == "2021-03-03"
    assert date_cue("Le sommet s'est tenu le 25 avril 2019.") is None
    assert clean_source("LE MONDE") == "Le Monde" and clean_source("  ") is None


def _corpus(tmp_path, text):
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    return tmp_path / "a.txt"


ARTICLE = (f"Titre dans le texte\n\nPublié le 3 mars 2021 par Jean Dupont\n\n{BODY}\n\n"
           "Les députés examineront le texte à l'automne, selon le ministère.\n\nSOURCE: LA CROIX")


def test_text_cues_used_without_metadata(tmp_path):
    (art,) = extract(_corpus(tmp_path, ARTICLE), root=tmp_path)
    assert (art.title, art.source, art.date, art.lang) == ("Titre dans le texte", "La Croix", "2021-03-03", "fr")


def test_manifest_beats_text_and_null_falls_through(tmp_path):
    path = _corpus(tmp_path, ARTICLE)
    (tmp_path / "manifest.jsonl").write_text(
        "# commentaire\n\n" + json.dumps({"path": "a.txt", "source": "Ouest-France", "date": None,
                                          "url": "https://ex.fr/a"}) + "\n", encoding="utf-8")
    (art,) = extract(path, root=tmp_path)
    assert (art.source, art.date, art.url, art.title) == ("Ouest-France", "2021-03-03", "https://ex.fr/a", "Titre dans le texte")
    assert extract(path, root=tmp_path, manifest={})[0].source == "La Croix"  # explicit: no manifest


def test_sidecar_beats_manifest(tmp_path):
    path = _corpus(tmp_path, ARTICLE)
    (tmp_path / "manifest.jsonl").write_text(json.dumps({"id": "a", "source": "Ouest-France", "title": "Du manifeste"}) + "\n", encoding="utf-8")
    (tmp_path / "a.meta.json").write_text(json.dumps({"source": "Libération", "date": "2020-01-02"}), encoding="utf-8")
    (art,) = extract(path, root=tmp_path)
    assert (art.source, art.date, art.title) == ("Libération", "2020-01-02", "Du manifeste")


def test_manifest_reloaded_when_changed_and_errors_are_clear(tmp_path):
    mf = tmp_path / "manifest.jsonl"
    mf.write_text(json.dumps({"id": "a", "source": "Un"}) + "\n", encoding="utf-8")
    assert load_manifest(tmp_path)["a"]["source"] == "Un"
    mf.write_text(json.dumps({"id": "a", "source": "Deux, plus long"}) + "\n", encoding="utf-8")
    assert load_manifest(tmp_path)["a"]["source"] == "Deux, plus long"
    mf.write_text('{"id": "a"}\n{oops\n', encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        load_manifest(tmp_path)
    assert "ligne 2" in exc.value.reason
    assert load_manifest(tmp_path / "nowhere") == {}


def test_foreign_paragraph_dropped_and_document_language_recorded(tmp_path):
    en = ("The government presented a bill on energy on Wednesday, which provides for "
          "higher investment in the electricity networks, the ministry said.")
    (art,) = extract(_corpus(tmp_path, f"Titre\n\n{BODY}\n\n{en}\n\n{BODY[:-1]} encore."))
    assert art.lang == "fr" and en not in art.text
    assert [(d.text, d.reason) for d in art.dropped] == [(en, "langue étrangère (en)")]
    (art,) = extract(_corpus(tmp_path, f"Title\n\n{en}\n\n{en.replace('Wednesday', 'Monday')}"))
    assert art.lang == "en" and not art.dropped


def test_stopword_shortcut_changes_no_decision_on_seeds(seed_corpus):
    from searchsvc.ingest.text import clean_text
    for p in sorted(seed_corpus.glob("*.txt")):
        text = p.read_text(encoding="utf-8")
        fast, full = clean_text(text), clean_text(text, check_all_languages=True)
        assert (fast.paragraphs, fast.dropped, fast.lang) == (full.paragraphs, full.dropped, full.lang)


def test_langdetect_rs_labels_identical_to_langdetect(seed_corpus):
    """The fast backend is only used because it agrees with langdetect (seed 0)."""
    langdetect = pytest.importorskip("langdetect")
    rs = pytest.importorskip("langdetect_rs")
    langdetect.DetectorFactory.seed = 0
    rs.DetectorFactory.seed = 0
    texts = []
    for p in sorted(seed_corpus.glob("*.txt")):
        texts += [l.strip() for l in p.read_text(encoding="utf-8").splitlines() if len(l.strip()) > 15]
    assert len(texts) > 90
    for t in texts:
        a = [(x.lang, round(x.prob, 6)) for x in langdetect.detect_langs(t)]
        b = [(x.lang, round(x.prob, 6)) for x in rs.detect_langs(t)]
        assert a == b, t


# ---- CLI ------------------------------------------------------------------------------

def test_cli_json_object(tmp_path, capsys):
    path = _corpus(tmp_path, ARTICLE)
    assert main(["extract", str(path), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert list(obj) == ["id", "title", "text", "source", "date", "url", "lang", "author", "dropped"]
    assert obj["id"] == "a" and obj["text"].split("\n\n")[0] == BODY
    assert {"text": "Publié le 3 mars 2021 par Jean Dupont", "reason": "signature"} in obj["dropped"]
    assert obj["author"] == "Jean Dupont"  # the byline dropped from the text, kept as metadata


def test_cli_json_lines_for_a_multi_article_file(tmp_path, capsys):
    lines = [json.dumps({"id": f"n{i}", "title": f"Titre {i}", "text": BODY}) for i in range(3)]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert main(["extract", str(tmp_path / "feed.jsonl"), "--json"]) == 0
    objs = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in objs] == ["feed/n0", "feed/n1", "feed/n2"]
    assert [o["title"] for o in objs] == ["Titre 0", "Titre 1", "Titre 2"]


def test_cli_readable_view_in_french(tmp_path, capsys):
    assert main(["extract", str(_corpus(tmp_path, ARTICLE))]) == 0
    out = capsys.readouterr().out
    assert "Titre       : Titre dans le texte" in out
    assert "Date        : 3 mars 2021 (2021-03-03)" in out
    assert "[signature] Publié le 3 mars 2021 par Jean Dupont" in out


def test_cli_bad_input_exits_non_zero_with_one_line(tmp_path):
    (tmp_path / "vide.txt").write_bytes(b"")
    proc = subprocess.run([sys.executable, "-m", "searchsvc.cli", "extract", str(tmp_path / "vide.txt")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [f"searchsvc extract : {tmp_path / 'vide.txt'} : fichier vide"]


def test_cli_uses_the_corpus_manifest(seed_corpus, capsys):
    assert main(["extract", str(seed_corpus / "000_19fa334dcca6aece.txt"), "--json", "--corpus", str(seed_corpus)]) == 0
    assert json.loads(capsys.readouterr().out)["source"] == load_manifest(seed_corpus)["000_19fa334dcca6aece"]["source"]
