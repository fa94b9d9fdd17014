"""Every example of README.md and of the docs it links (the user guide, the API
reference) is run (Datasette style): the ``sh`` code blocks are parsed, each ``searchsvc search`` and ``curl`` line is executed against the demo
corpus (``corpus/``), and the figures written after it (``# total N, partial M``)
must be what it answers."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from searchsvc.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
#: the documents whose examples are run: the README and the docs holding the examples
DOCS = (README, ROOT / "docs" / "guide.md", ROOT / "docs" / "api.md")
TOKEN = "readme-token"
#: The lines that are this test suite's own harness (they run or serve everything).
HARNESS = ("make run", "make test")


def examples(docs=DOCS) -> list[str]:
    lines = []
    for doc in docs:
        for block in re.findall(r"```sh\n(.*?)```", doc.read_text(encoding="utf-8"), re.DOTALL):
            lines += [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    return lines


def expected(line: str) -> dict[str, int]:
    comment = line.partition(" # ")[2]
    return {k: int(v) for k, v in re.findall(r"\b(total|partial) (\d+)", comment)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory, seed_corpus):
    """A writable copy of the demo corpus and its index."""
    from searchsvc.backends.whoosh.indexer import reindex

    root = tmp_path_factory.mktemp("readme")
    corpus = root / "corpus"
    shutil.copytree(seed_corpus, corpus)
    index = root / "index"
    reindex(corpus, index, full=True, workers=1)
    return corpus, index


@pytest.fixture(scope="module")
def client(demo):
    from searchsvc.web import create_app

    corpus, index = demo
    app = create_app({"TESTING": True, "INDEX_DIR": str(index), "CORPUS_DIR": str(corpus),
                      "ADMIN_TOKEN": TOKEN})
    yield app.test_client()
    app.extensions["searchsvc.reindex"].join(60)


def test_the_readme_has_examples_of_every_kind():
    lines = examples()
    assert sum(ln.startswith("searchsvc search") for ln in lines) >= 5
    assert sum(ln.startswith("curl") for ln in lines) >= 2
    assert all(ln.startswith(("searchsvc ", "curl ") + HARNESS) for ln in lines), lines
    readme = examples((README,))  # the tour's own examples are run too
    assert any(ln.startswith("searchsvc search") for ln in readme)
    assert any(ln.startswith("curl") for ln in readme)


def test_the_readme_links_every_document_of_the_docs_folder():
    text = README.read_text(encoding="utf-8")
    for doc in ("guide.md", "api.md", "benchmarks.md", "ARCHITECTURE.md"):
        assert f"](docs/{doc})" in text, doc
    for image in re.findall(r"!\[[^\]]*\]\((docs/[^)]+)\)", text):
        assert (ROOT / image).is_file(), image


@pytest.mark.parametrize("line", [ln for ln in examples() if ln.startswith("searchsvc ")])
def test_command_example(line, demo, capsys):
    command = line.partition(" # ")[0]
    argv = shlex.split(command)[1:]
    assert cli_main(argv + ["--index", str(demo[1]), "--json"]) == 0, line
    result = json.loads(capsys.readouterr().out)
    want = expected(line)
    assert want, f"no figures written after: {line}"
    assert result["total"] == want["total"], line
    if "partial" in want:
        assert result["total_partial"] == want["partial"], line


@pytest.mark.parametrize("line", [ln for ln in examples() if ln.startswith("curl ")])
def test_curl_example(line, client, monkeypatch):
    monkeypatch.setenv("SEARCHSVC_ADMIN_TOKEN", TOKEN)
    args = shlex.split(os.path.expandvars(line.partition(" # ")[0]))[1:]
    method, headers, url = "GET", {}, None
    while args:
        a = args.pop(0)
        if a == "-X":
            method = args.pop(0)
        elif a == "-H":
            name, _, value = args.pop(0).partition(":")
            headers[name.strip()] = value.strip()
        else:
            url = a
    parts = urlsplit(url)
    assert parts.netloc == "127.0.0.1:8000"  # what `make run` serves
    resp = client.open(parts.path, method=method, query_string=parts.query, headers=headers)
    assert resp.status_code in (200, 202), (line, resp.get_data(as_text=True))
    body = resp.get_json()
    want = expected(line)
    if "total" in want:
        assert body["total"] == want["total"], line
    if "partial" in want:
        assert body["total_partial"] == want["partial"], line
