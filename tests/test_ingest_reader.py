"""Corpus walk, ids, encodings and bad input: real files in tmp_path."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from searchsvc.ingest import IngestError, corpus_files, doc_id, extract

BODY = ("Le gouvernement a présenté mercredi un projet de loi sur l'énergie, "
        "qui prévoit une hausse des investissements dans les réseaux électriques.")
ARTICLE = f"Un titre d'article\n\n{BODY}\n\nLes députés examineront le texte à l'automne, selon le ministère."


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def test_corpus_files_recursive_sorted_supported_only(tmp_path):
    for rel in ["b.txt", "a.html", "sub/c.htm", "sub/deeper/d.json", "e.jsonl", "z/f.TXT",
                "manifest.jsonl", "b.meta.json", "synonyms.txt", "notes.md", "img.png",
                ".hidden.txt", ".git/x.txt"]:
        _write(tmp_path / rel, ARTICLE)
    (tmp_path / "dir.txt").mkdir()
    got = [p.relative_to(tmp_path).as_posix() for p in corpus_files(tmp_path)]
    assert got == ["a.html", "b.txt", "e.jsonl", "sub/c.htm", "sub/deeper/d.json", "z/f.TXT"]


def test_corpus_files_lists_broken_symlinks_so_they_are_reported(tmp_path):
    _write(tmp_path / "ok.txt", ARTICLE)
    (tmp_path / "broken.txt").symlink_to(tmp_path / "missing.txt")
    files = corpus_files(tmp_path)
    assert [p.name for p in files] == ["broken.txt", "ok.txt"]
    with pytest.raises(IngestError) as exc:
        extract(files[0], root=tmp_path)
    assert "lien symbolique cassé" in exc.value.reason
    assert extract(files[1], root=tmp_path)[0].text  # the rest still goes through


def test_corpus_files_missing_root(tmp_path):
    with pytest.raises(IngestError):
        corpus_files(tmp_path / "nope")


def test_doc_id_relative_without_extension_and_url_safe(tmp_path):
    assert doc_id(tmp_path / "a" / "b.c.txt", tmp_path) == "a/b.c"
    assert doc_id(tmp_path / "flat.html", tmp_path) == "flat"
    assert doc_id(tmp_path / "Été 2022" / "l'article #1?.txt", tmp_path) == "Ete-2022/l-article-1"
    assert doc_id(tmp_path / "x.txt") == "x"


def test_jsonl_and_json_array_give_several_articles_with_sub_ids(tmp_path):
    objs = [{"id": "art/1", "title": "Premier", "text": BODY, "source": "Le Monde", "date": "2021-03-04"},
            {"title": "Second", "paragraphs": [BODY, "Une autre phrase du corps de l'article, assez longue."]},
            {"title": "Troisième", "html": f"<html><body><article><p>{BODY}</p></article></body></html>"}]
    _write(tmp_path / "feed.jsonl", "\n".join(json.dumps(o, ensure_ascii=False) for o in objs) + "\n")
    _write(tmp_path / "arr.json", json.dumps(objs[:2]))
    arts = extract(tmp_path / "feed.jsonl", root=tmp_path)
    assert [a.id for a in arts] == ["feed/art-1", "feed/2", "feed/3"]
    assert arts[0].title == "Premier" and arts[0].source == "Le Monde" and arts[0].date == "2021-03-04"
    assert arts[0].text == BODY and arts[2].text == BODY
    assert all(a.path == "feed.jsonl" for a in arts)
    assert [a.id for a in extract(tmp_path / "arr.json", root=tmp_path)] == ["arr/art-1", "arr/2"]


def test_jsonl_bad_line_skipped_rest_kept(tmp_path):
    _write(tmp_path / "f.jsonl", json.dumps({"text": BODY}) + "\n{not json\n" + json.dumps({"text": BODY + " Bis."}) + "\n")
    arts = extract(tmp_path / "f.jsonl", root=tmp_path)
    assert [a.id for a in arts] == ["f/1", "f/3"]


def test_single_json_object_is_one_article(tmp_path):
    _write(tmp_path / "one.json", json.dumps({"title": "Seul", "text": BODY, "url": "https://ex.fr/a"}))
    (art,) = extract(tmp_path / "one.json", root=tmp_path)
    assert (art.id, art.title, art.url, art.text) == ("one", "Seul", "https://ex.fr/a", BODY)


# ---- encodings ---------------------------------------------------------------------

@pytest.mark.parametrize("encoding,bom", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"),
    ("utf-16-be", b"\xfe\xff"), ("cp1252", b""), ("latin-1", b""),
])
def test_encodings_read_correctly(tmp_path, encoding, bom):
    text = ARTICLE + "\n\nL’œuvre coûte 100 € : « déjà vu » à Noël, naïf et Ægée."
    if encoding == "latin-1":
        text = ARTICLE + "\n\nLe député élu à Noël dit « déjà vu », naïf, à l'Assemblée."
    path = _write(tmp_path / "a.txt", bom + text.encode(encoding))
    (art,) = extract(path)
    assert art.title == "Un titre d'article"
    assert art.text.split("\n\n")[-1] == text.split("\n\n")[-1]
    assert "\ufeff" not in art.text


def test_mixed_utf8_and_cp1252_lines_never_crash(tmp_path):
    data = (ARTICLE.encode("utf-8") + b"\n\n" + "Une ligne écrite en cp1252 à côté, très ancienne, déjà là.".encode("cp1252")
            + b"\n\nEncore de l'UTF-8 : " + "été".encode("utf-8") + b" et \x81\x8d\x90 octets.")
    (art,) = extract(_write(tmp_path / "m.txt", data))
    assert "Une ligne écrite en cp1252 à côté, très ancienne, déjà là." in art.text
    assert "été" in art.text


# ---- bad input: one clear line, IngestError ------------------------------------------

def _reason(path, **kw):
    with pytest.raises(IngestError) as exc:
        extract(path, **kw)
    reason = exc.value.reason
    assert reason and "\n" not in reason
    return reason


def test_empty_and_blank_files(tmp_path):
    assert "vide" in _reason(_write(tmp_path / "e.txt", b""))
    assert "vide" in _reason(_write(tmp_path / "b.txt", b" \n\t\n\xc2\xa0\n".replace(b"\xc2\xa0", b" ")))
    assert "vide" in _reason(_write(tmp_path / "bom.txt", b"\xef\xbb\xbf\n"))


def test_binary_files(tmp_path):
    assert "binaire" in _reason(_write(tmp_path / "p.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4))
    assert "binaire" in _reason(_write(tmp_path / "n.txt", b"abc\x00\x01\x02def" * 50))
    assert "binaire" in _reason(_write(tmp_path / "c.html", bytes(range(1, 9)) * 200))


def test_undecodable_text(tmp_path):
    # a UTF-16 byte-order mark followed by a lone surrogate: no valid decoding
    assert "indécodable" in _reason(_write(tmp_path / "u.txt", b"\xff\xfe" + "Titre\n".encode("utf-16-le") + b"\x00\xd8A\x00"))
    # bytes that are control characters in every 8-bit reading
    junk = (b"Texte " + b"\x81\x8d\x8f\x90\x9d" * 3) * 40
    assert "indécodable" in _reason(_write(tmp_path / "j.txt", junk))


def test_size_limit_parameter_and_environment(tmp_path, monkeypatch):
    path = _write(tmp_path / "big.txt", ARTICLE + "\n\n" + BODY * 20)
    assert "trop volumineux" in _reason(path, max_bytes=1000)
    monkeypatch.setenv("SEARCHSVC_MAX_BYTES", "1000")
    assert "trop volumineux" in _reason(path)
    monkeypatch.setenv("SEARCHSVC_MAX_BYTES", "100000")
    assert extract(path)[0].text


def test_default_size_limit_is_10_mb(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:
        f.write(ARTICLE.encode())
        f.seek(10 * 1024 * 1024)
        f.write(b"x")
    assert "trop volumineux" in _reason(path)


@contextlib.contextmanager
def _unprivileged():
    """Permission checks need a non-root user: as root, the effective uid is switched to
    "nobody" for the duration. Yields a fresh folder "nobody" can traverse."""
    base = Path(tempfile.mkdtemp(prefix="searchsvc-perm-"))
    base.chmod(0o755)
    root = os.geteuid() == 0
    try:
        yield base, (lambda: os.seteuid(65534)) if root else (lambda: None)
    finally:
        if root:
            os.seteuid(0)
        for p in [base, *base.rglob("*")]:
            if not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(base)


def test_unreadable_file():
    with _unprivileged() as (base, drop_privileges):
        path = _write(base / "secret.txt", ARTICLE)
        path.chmod(0)
        drop_privileges()
        assert "permissions insuffisantes" in _reason(path)


def test_unreadable_folder_listed_and_reported():
    with _unprivileged() as (base, drop_privileges):
        _write(base / "ok.txt", ARTICLE)
        _write(base / "prive" / "a.txt", ARTICLE)
        (base / "prive").chmod(0)
        drop_privileges()
        files = corpus_files(base)
        assert [p.name for p in files] == ["ok.txt", "prive"]
        assert "dossier illisible" in _reason(files[1])
        assert extract(files[0], root=base)[0].text


def test_file_in_untraversable_folder():
    with _unprivileged() as (base, drop_privileges):
        path = _write(base / "prive" / "a.txt", ARTICLE)
        (base / "prive").chmod(0)
        drop_privileges()
        assert "permissions insuffisantes" in _reason(path)


def test_unreadable_reported_even_as_root(tmp_path):
    """A path that cannot be opened (here: a directory named like an article)."""
    (tmp_path / "d.txt").mkdir()
    assert "dossier" in _reason(tmp_path / "d.txt")


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="Linux /proc needed")
def test_read_error_reported_even_as_root(tmp_path):
    """/proc/self/mem opens but fails on read (EIO) whoever reads it: a real unreadable file."""
    (tmp_path / "mem.txt").symlink_to("/proc/self/mem")
    assert "lecture impossible" in _reason(tmp_path / "mem.txt")


def test_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "tube.txt")
    assert [p.name for p in corpus_files(tmp_path)] == ["tube.txt"]
    assert "pas un fichier ordinaire" in _reason(tmp_path / "tube.txt")


def test_walk_skips_bad_files_and_keeps_the_rest(tmp_path):
    _write(tmp_path / "a.txt", ARTICLE)
    _write(tmp_path / "b.txt", b"")
    _write(tmp_path / "c.txt", b"\x00\x01\x02" * 100)
    (tmp_path / "d.txt").symlink_to(tmp_path / "gone.txt")
    _write(tmp_path / "e.txt", ARTICLE.replace("titre", "autre titre"))
    ok, skipped = [], []
    for p in corpus_files(tmp_path):
        try:
            ok.extend(a.id for a in extract(p, root=tmp_path))
        except IngestError as exc:
            skipped.append((p.name, exc.reason))
    assert ok == ["a", "e"]
    assert [s[0] for s in skipped] == ["b.txt", "c.txt", "d.txt"]


def test_symlink_loop_reported(tmp_path):
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    assert [p.name for p in corpus_files(tmp_path)] == ["a.txt", "b.txt"]
    assert "lien symbolique" in _reason(tmp_path / "a.txt")


def test_unsupported_extension_refused(tmp_path):
    assert "extension" in _reason(_write(tmp_path / "a.pdf", ARTICLE))
