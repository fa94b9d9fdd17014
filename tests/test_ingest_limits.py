"""Size limits per article, SEARCHSVC_MAX_BYTES, streamed and split .jsonl files, and
reindex summaries that name every skipped file (issue 9, defects 2 and 7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import searchsvc.pipeline as pipeline
from searchsvc.backends.whoosh.indexer import ReindexError, open_index, reindex
from searchsvc.ingest import IngestError, extract, jsonl_parts
from searchsvc.ingest.reader import DEFAULT_MAX_BYTES, jsonl_lines, parse_size

ROOT = Path(__file__).resolve().parent.parent
SEARCHSVC = [sys.executable, "-m", "searchsvc.cli"]

PLACES = ["Rennes", "Nantes", "Lille", "Dijon", "Nîmes", "Tours", "Brest", "Metz", "Pau", "Caen"]
TOPICS = ["la rénovation du stade", "le marché couvert", "la ligne de bus", "la piscine municipale",
          "le festival de jazz", "la nouvelle médiathèque", "les travaux du pont"]


def cli(*args, env=None, timeout=180):
    e = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(SEARCHSVC + list(args), capture_output=True, text=True, env=e,
                          timeout=timeout)


def record(i: int, own_id=None) -> dict:
    place, topic = PLACES[i % len(PLACES)], TOPICS[(i // len(PLACES)) % len(TOPICS)]
    paras = [f"À {place}, les élus ont débattu de {topic}, dossier numéro {i}, pendant la séance.",
             f"Le conseil se réunira de nouveau le {1 + i % 28} du mois prochain pour examiner "
             f"le rapport {i * 7 + 3} sur {topic} et son financement par la région.",
             "Les habitants interrogés se disent partagés : certains saluent le projet, "
             "d'autres craignent une hausse des impôts locaux et des travaux trop longs." * 3]
    rec = {"title": f"{topic.capitalize()} à {place} (épisode {i})", "paragraphs": paras,
           "source": "Le Courrier", "date": f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}"}
    if own_id is not None:
        rec["id"] = own_id
    return rec


def write_jsonl(path: Path, records, extra_lines=()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def index_ids(index) -> list[str]:
    _, ix = open_index(index)
    with ix.searcher() as s:
        return sorted(f["id"] for f in s.all_stored_fields())


# ---- SEARCHSVC_MAX_BYTES ---------------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("10MB", 10_000_000), ("10 MB", 10_000_000), ("10M", 10_000_000), ("10000000", 10_000_000),
    ("10 Mo", 10_000_000), ("512k", 512_000), ("512 Ko", 512_000), ("1,5 Mo", 1_500_000),
    ("10 MiB", 10 * 2**20), ("2G", 2 * 10**9), ("0", 0), (" 7 ", 7),
])
def test_size_values_accepted(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["1e7", "-1", "10 MBs", "dix", "1.5", "", "10 Mb/s", "0x10"])
def test_other_size_values_rejected_in_french(text):
    with pytest.raises(ValueError) as err:
        parse_size(text)
    message = str(err.value)
    assert "SEARCHSVC_MAX_BYTES invalide" in message and "0 = aucune limite" in message
    assert "10MB" in message and "10000000" in message


def test_default_limit_is_10_mb():
    assert DEFAULT_MAX_BYTES == parse_size("10 MB")


def test_invalid_variable_stops_every_command_at_once_with_one_message(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"a{i}.txt").write_text(f"Titre {i}\n\n" + record(i)["paragraphs"][0], encoding="utf-8")
    env = {"SEARCHSVC_MAX_BYTES": "1e7"}
    r = cli("reindex", "--corpus", str(corpus), "--index", str(tmp_path / "ix"), env=env)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("SEARCHSVC_MAX_BYTES invalide : « 1e7 »") == 1
    assert "Traceback" not in r.stderr and not (tmp_path / "ix" / "CURRENT").exists()
    r = cli("extract", str(corpus / "a0.txt"), env=env)
    assert r.returncode == 2 and "SEARCHSVC_MAX_BYTES invalide" in r.stderr
    # the library says so too, once, instead of failing file by file
    os.environ["SEARCHSVC_MAX_BYTES"] = "1e7"
    try:
        with pytest.raises(ReindexError, match="SEARCHSVC_MAX_BYTES invalide"):
            reindex(corpus, tmp_path / "ix2", full=True, workers=1)
    finally:
        del os.environ["SEARCHSVC_MAX_BYTES"]


@pytest.mark.parametrize("value", ["10MB", "10 MB", "10M", "10000000"])
def test_spelled_sizes_index_the_corpus(tmp_path, value):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Un titre\n\n" + record(1)["paragraphs"][1], encoding="utf-8")
    r = cli("reindex", "--corpus", str(corpus), "--index", str(tmp_path / "ix"),
            env={"SEARCHSVC_MAX_BYTES": value})
    assert r.returncode == 0, r.stderr
    assert "ajoutés : 1," in r.stdout and "ignorés : 0" in r.stdout


def test_zero_means_no_limit(tmp_path, monkeypatch):
    path = tmp_path / "long.txt"
    path.write_text("Un long titre\n\n" + "\n\n".join(record(i)["paragraphs"][1] for i in range(40)),
                    encoding="utf-8")
    monkeypatch.setenv("SEARCHSVC_MAX_BYTES", "2k")
    with pytest.raises(IngestError, match="trop volumineux"):
        extract(path)
    monkeypatch.setenv("SEARCHSVC_MAX_BYTES", "0")
    assert extract(path)[0].text


# ---- the limit is per article: a .jsonl is a stream ---------------------------------------

def test_jsonl_larger_than_the_limit_indexes_each_article(tmp_path, monkeypatch):
    records = [record(i) for i in range(60)]
    big_line = json.dumps({"title": "Énorme", "text": "mot " * 5000})
    path = write_jsonl(tmp_path / "corpus" / "news.jsonl", records, [big_line, "{pas du json"])
    limit = 8000
    assert path.stat().st_size > 8 * limit
    monkeypatch.setenv("SEARCHSVC_MAX_BYTES", str(limit))
    errors = []
    arts = extract(path, root=tmp_path / "corpus", errors=errors)
    assert len(arts) == 60
    assert errors[0].startswith("ligne 61 : article trop volumineux : 20")
    assert errors[1].startswith("ligne 62 : JSON invalide")
    report = reindex(tmp_path / "corpus", tmp_path / "ix", full=True, workers=1)
    assert report.documents == 60 and report.skipped == []
    assert [r for _, r in report.skipped_articles] == errors


def test_oversized_line_is_skipped_without_reading_it_whole(tmp_path):
    path = tmp_path / "f.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(record(0)) + "\n")
        f.write('{"text": "' + "x" * 3_000_000 + '"}\n')
        f.write(json.dumps(record(2)) + "\n")
    got = list(jsonl_lines(path, limit=100_000))
    assert [n for n, _ in got] == [1, 2, 3]
    assert isinstance(got[1][1], IngestError) and "3,0 Mo" in got[1][1].reason
    assert json.loads(got[2][1])["title"] == record(2)["title"]


def test_skipped_files_are_named_even_when_nothing_is_indexed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "vide.txt").write_bytes(b"")
    (corpus / "gros.txt").write_text("Titre\n\n" + "Une phrase assez longue. " * 400, encoding="utf-8")
    (corpus / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    r = cli("reindex", "--corpus", str(corpus), "--index", str(tmp_path / "ix"),
            env={"SEARCHSVC_MAX_BYTES": "5 Ko"})
    assert r.returncode == 1
    assert "aucun document n'a pu être indexé" in r.stderr
    assert "ignoré : gros.txt : fichier trop volumineux : 10007 octets (limite 5000 octets" in r.stderr
    assert "ignoré : vide.txt : fichier vide" in r.stderr
    assert "ignoré : image.html : fichier binaire (PNG)" in r.stderr
    with pytest.raises(ReindexError) as err:
        os.environ["SEARCHSVC_MAX_BYTES"] = "5 Ko"
        try:
            reindex(corpus, tmp_path / "ix", full=True, workers=1)
        finally:
            del os.environ["SEARCHSVC_MAX_BYTES"]
    assert sorted(p for p, _ in err.value.skipped) == ["gros.txt", "image.html", "vide.txt"]


# ---- a big .jsonl is shared out between the workers --------------------------------------

def test_parts_give_the_ids_of_the_whole_file(tmp_path):
    # own ids repeated far apart, so that a part must know the lines before it
    recs = [record(i, own_id=f"a{i % 150}" if i % 3 else None) for i in range(400)]
    path = write_jsonl(tmp_path / "news.jsonl", recs, ["", "{cassé", json.dumps({"id": "a1-4", "text": "x y z w"})])
    whole = [a.id for a in extract(path, root=tmp_path)]
    assert len(whole) == len(set(whole)) == 401
    parts = list(jsonl_parts(path, 16 * 1024))
    assert len(parts) > 20 and [p.index for p in parts] == list(range(len(parts)))
    assert {p.count for p in parts} == {len(parts)}
    from searchsvc.ingest import iter_extract

    split = [a.id for p in parts for a in iter_extract(path, root=tmp_path, part=p)]
    assert split == whole


def test_big_jsonl_is_indexed_by_every_worker(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    recs = [record(i, own_id=f"r{i % 200}") for i in range(420)]
    path = write_jsonl(corpus / "news.jsonl", recs, ["{cassé"])
    assert path.stat().st_size > 300_000  # about 840 bytes a line
    monkeypatch.setattr(pipeline, "PART_BYTES", 32 * 1024)
    monkeypatch.setattr(pipeline, "JSONL_ARTICLE_BYTES", 512)
    logs = []
    report = reindex(corpus, tmp_path / "ix", full=True, workers=2, log=logs.append)
    assert any("(1 .jsonl découpé en parties) par 2 processus" in m for m in logs), logs
    expected = sorted(a.id for a in extract(path, root=corpus))
    assert index_ids(tmp_path / "ix") == expected and report.documents == 420
    assert report.skipped == [] and report.skipped_articles == [("news.jsonl", "ligne 421 : JSON invalide (nom de clé entre guillemets attendu, colonne 2)")]
    # incremental: unchanged, then changed (all its documents replaced once)
    again = reindex(corpus, tmp_path / "ix", workers=2)
    assert not again.changed
    write_jsonl(path, recs[:300])
    third = reindex(corpus, tmp_path / "ix", workers=2)
    assert third.updated == 1 and third.total_documents == 300
    assert index_ids(tmp_path / "ix") == sorted(a.id for a in extract(path, root=corpus))


def test_the_limit_is_for_articles_not_for_the_manifest(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Un titre\n\n" + record(3)["paragraphs"][1], encoding="utf-8")
    lines = [json.dumps({"id": "a", "source": "La Gazette"})]
    lines += [json.dumps({"id": f"absent-{i}", "source": "Ailleurs" * 10}) for i in range(200)]
    (corpus / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert (corpus / "manifest.jsonl").stat().st_size > 20_000
    monkeypatch.setenv("SEARCHSVC_MAX_BYTES", "10k")
    report = reindex(corpus, tmp_path / "ix", full=True, workers=1)
    assert report.skipped == []
    _, ix = open_index(tmp_path / "ix")
    with ix.searcher() as s:
        assert [f["source"] for f in s.all_stored_fields()] == ["La Gazette"]
    (corpus / "manifest.jsonl").write_text(lines[0] + "\n{\n", encoding="utf-8")
    report = reindex(corpus, tmp_path / "ix", full=True, workers=1)
    assert report.skipped == [("manifest.jsonl", "manifeste ignoré : manifest.jsonl, ligne 2 : "
                                                 "JSON invalide (nom de clé entre guillemets attendu)")]


def test_a_part_that_cannot_be_read_is_named_and_retried(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    path = write_jsonl(corpus / "news.jsonl", [record(i) for i in range(120)])
    monkeypatch.setattr(pipeline, "PART_BYTES", 16 * 1024)
    import searchsvc.ingest as ingest

    real = ingest.jsonl_lines

    def failing(p, limit=None, start=0, end=None, first_line=1):
        if start > 0 and first_line > 60:  # the parts after the middle of the file
            raise OSError(5, "Input/output error")
        return real(p, limit, start, end, first_line)

    monkeypatch.setattr(ingest, "jsonl_lines", failing)
    report = reindex(corpus, tmp_path / "ix", full=True, workers=1)
    assert 0 < report.documents < 120
    assert report.skipped_articles[-1] == ("news.jsonl", "illisible : erreur d'entrée-sortie du disque")
    monkeypatch.setattr(ingest, "jsonl_lines", real)
    again = reindex(corpus, tmp_path / "ix", workers=1)  # not taken for unchanged
    assert again.updated == 1 and again.total_documents == 120
    assert index_ids(tmp_path / "ix") == sorted(a.id for a in extract(path, root=corpus))


def test_summary_counts_and_names_skipped_articles(tmp_path):
    corpus = tmp_path / "corpus"
    write_jsonl(corpus / "flux.jsonl", [record(i) for i in range(3)], ["{cassé"] * 25)
    r = cli("reindex", "--corpus", str(corpus), "--index", str(tmp_path / "ix"))
    assert r.returncode == 0, r.stderr
    assert "ignorés : 0 ; articles ignorés dans des fichiers indexés : 25" in r.stdout
    assert r.stdout.count("  article ignoré : flux.jsonl : ligne ") == 20
    assert "  article ignoré : flux.jsonl : ligne 4 : JSON invalide" in r.stdout
    assert "… et 5 autres articles ignorés (« searchsvc extract FICHIER » les montre tous)" in r.stdout


def test_extract_streams_a_jsonl_and_names_its_skipped_lines(tmp_path):
    path = write_jsonl(tmp_path / "flux.jsonl", [record(i) for i in range(3)], ["{cassé"])
    r = cli("extract", str(path), "--json")
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == ["flux/1", "flux/2", "flux/3"]
    assert r.stderr == (f"searchsvc extract : {path} : article ignoré : ligne 4 : JSON invalide "
                        "(nom de clé entre guillemets attendu, colonne 2)\n")
    bad = write_jsonl(tmp_path / "bad.jsonl", [], ["{cassé", "[1]"])
    r = cli("extract", str(bad))
    assert r.returncode == 1
    assert "article ignoré : ligne 1 : JSON invalide" in r.stderr
    assert "article ignoré : élément 2 : un objet JSON est attendu" in r.stderr
    assert r.stderr.endswith("aucun article utilisable dans le fichier\n")
