"""The OpenSearch reindex (searchsvc.backends.opensearch.indexer) against a real cluster.

The cluster: the ``opensearch_cluster`` fixture when the suite has one, else the node at
``SEARCHSVC_TEST_OPENSEARCH_URL``; without either these tests are skipped. The test that
kills a node with ``kill -9`` starts its own node from the OpenSearch install in
``SEARCHSVC_TEST_OPENSEARCH_HOME`` (skipped without it). Every test works under its own
alias and deletes its indexes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from searchsvc.ingest import corpus_files, extract, load_manifest

opensearchpy = pytest.importorskip("opensearchpy")

from searchsvc.backends.opensearch import indexer  # noqa: E402
from searchsvc.pipeline import ReindexError  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def opensearch_url(request) -> str:
    try:
        cluster = request.getfixturevalue("opensearch_cluster")
    except pytest.FixtureLookupError:
        cluster = None
    if cluster is not None:
        return cluster if isinstance(cluster, str) else cluster.url
    url = os.environ.get("SEARCHSVC_TEST_OPENSEARCH_URL")
    if not url:
        pytest.skip("ni fixture opensearch_cluster ni SEARCHSVC_TEST_OPENSEARCH_URL")
    return url.rstrip("/")


@pytest.fixture
def client(opensearch_url):
    c = indexer.connect(opensearch_url)
    yield c
    c.close()


@pytest.fixture
def alias(client):
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    client.indices.delete(index=f"{name}-*", params={"expand_wildcards": "all",
                                                     "ignore_unavailable": "true"})


@pytest.fixture(autouse=True)
def _no_ner(monkeypatch):
    monkeypatch.setenv("SEARCHSVC_NER", "0")


def corpus_ids(corpus: Path) -> list[str]:
    """The article ids of ``corpus`` read by the ingestion directly (the expectation)."""
    manifest = load_manifest(corpus)
    ids = []
    for path in corpus_files(corpus):
        try:
            ids += [a.id for a in extract(path, root=corpus, manifest=manifest)]
        except Exception:
            continue
    return sorted(ids)


def index_ids(client, alias) -> list[str]:
    client.indices.refresh(index=alias)
    res = client.search(index=alias, body={"size": 10_000, "_source": False,
                                           "query": {"match_all": {}}})
    return sorted(h["_id"] for h in res["hits"]["hits"])


def reindex(corpus, index_dir, client, alias, **kw):
    return indexer.reindex(corpus, index_dir, client=client, alias=alias, workers=kw.pop("workers", 1),
                           **kw)


def test_full_reindex_gives_exactly_the_corpus(tmp_path, seed_corpus, client, alias):
    report = reindex(seed_corpus, tmp_path / "index", client, alias, full=True)
    expected = corpus_ids(seed_corpus)
    assert expected and index_ids(client, alias) == expected
    assert report.total_documents == report.documents == len(expected)
    assert report.generation == indexer.live_index(client, alias) == f"{alias}-gen-1"
    assert not report.skipped
    meta = client.indices.get_mapping(index=alias)[report.generation]["mappings"]["_meta"]
    assert meta == indexer.index_meta()
    settings = client.indices.get_settings(index=alias)[report.generation]["settings"]["index"]
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == ("3", "1")
    assert (tmp_path / "index" / "opensearch" / report.generation / "state.json").is_file()


def _segments(client, index: str) -> dict:
    """Segments of each primary shard of ``index``."""
    from collections import Counter

    return dict(Counter(r["shard"] for r in client.cat.segments(index=index, format="json")
                        if r["prirep"] == "p"))


def test_a_full_build_merges_its_segments(tmp_path, seed_corpus, client, alias):
    """A search visits every segment of a shard: a full build ends with one a shard
    (bench/scale.py: ~20 a shard after loading 10x news-fr, a p50 2.7x slower)."""
    from searchsvc.backends.opensearch import mapping

    said: list[str] = []
    reindex(seed_corpus, tmp_path / "index", client, alias, full=True, log=said.append)
    assert "fusion des segments…" in said
    # the merge itself, on an index loaded in several refreshes (a segment each)
    index = f"{alias}-gen-99"
    client.indices.create(index=index, body=mapping.index_body())
    for k in range(12):
        client.index(index=index, id=str(k), body={"id": str(k), "body": "x"}, params={"refresh": "true"})
    assert max(_segments(client, index).values()) > 1
    cluster = indexer._Cluster(client, alias, indexer.client_url(client))
    indexer._Job(cluster, tmp_path, tmp_path, None, 1, None, said.append).merge(index)
    client.indices.refresh(index=index)  # as loaded() does next: the searcher sees the merge
    assert set(_segments(client, index).values()) == {1}
    assert client.count(index=index)["count"] == 12


def test_engine_and_exports_name_the_index_the_reindex_named(tmp_path, seed_corpus, client, alias):
    from searchsvc.backends.opensearch.engine import OpenSearchEngine
    from searchsvc.search.params import parse_params

    report = reindex(seed_corpus, tmp_path / "index", client, alias, full=True)
    engine = OpenSearchEngine(tmp_path / "index", alias=alias, client=client)
    exp = engine.open_export(parse_params({"q": "Corée"}), "jsonl")
    try:
        assert engine.generation() == exp.header["generation"] == report.generation
    finally:
        exp.close()


def test_articles_built_through_the_pipeline_replace_the_previous_index(tmp_path, client, alias):
    from searchsvc.article import Article

    first = [Article(id=f"a{i}", text=f"Texte numéro {i} sur la Corée.", title=f"Titre {i}",
                     source="Source", date="2020-01-0{}".format(i + 1)) for i in range(3)]
    name1 = indexer.build_from_articles(client, alias, first, tmp_path / "s")
    assert index_ids(client, alias) == ["a0", "a1", "a2"] and name1 == f"{alias}-gen-1"
    long_text = " ".join(f"La délégation numéro {k} a rencontré les ministres à Séoul pour parler "
                         f"du sommet et des essais de missiles." for k in range(12))
    first[0] = Article(id="a0", text=long_text, title="Titre 0", source="Source", date="2020-01-01")
    copy = Article(id="b", text=long_text, title="Copie", source="Autre", date="2020-02-01")
    name2 = indexer.build_from_articles(client, alias, [first[0], copy], tmp_path / "s")
    assert name2 == indexer.live_index(client, alias) and not client.indices.exists(index=name1)
    assert index_ids(client, alias) == ["a0", "b"]
    groups = {h["_id"]: h["_source"]["group"]
              for h in client.search(index=alias, body={"query": {"match_all": {}}})["hits"]["hits"]}
    assert groups["a0"] == groups["b"]  # the copy grouped, as the reindex groups copies


@pytest.mark.parametrize("bulk_from", ["workers", "parent"])
def test_richer_corpus_with_workers_and_parts(tmp_path, fixture_corpus, client, alias, monkeypatch,
                                              bulk_from):
    """Two worker processes sending their own bulks, or making the documents the parent
    sends; a big .jsonl cut into parts."""
    import searchsvc.pipeline as pipeline

    monkeypatch.setattr(indexer, "BULK_FROM", bulk_from)

    corpus = tmp_path / "corpus"
    shutil.copytree(fixture_corpus, corpus)
    with open(corpus / "flux.jsonl", "w", encoding="utf-8") as f:
        for i in range(400):
            f.write(json.dumps({"id": f"flux-{i}", "title": f"Dépêche numéro {i}",
                                "text": f"Le conseil municipal de la ville {i} a voté. " * 12,
                                "date": "2024-05-0" + str(1 + i % 9)}, ensure_ascii=False) + "\n")
    monkeypatch.setattr(pipeline, "MIN_FILES_PER_WORKER", 2)
    monkeypatch.setattr(pipeline, "PART_BYTES", 64 * 1024)
    logs = []
    report = reindex(corpus, tmp_path / "index", client, alias, workers=2, log=logs.append)
    expected = corpus_ids(corpus)
    assert len(expected) > 400 and index_ids(client, alias) == expected
    assert report.total_documents == len(expected)
    assert any("par 2 processus" in line for line in logs), logs
    doc = client.get(index=alias, id="flux/flux-7")["_source"]
    assert doc["title"] == "Dépêche numéro 7" and doc["day"] == "2024-05-08"


def test_alias_switch_is_atomic_for_a_reader(tmp_path, seed_corpus, client, alias, monkeypatch):
    monkeypatch.setattr(indexer, "BULK_DOCS", 2)  # several bulks: a reader could see halves
    first = reindex(seed_corpus, tmp_path / "index", client, alias, full=True)
    n = first.total_documents
    counts, stop = [], threading.Event()

    def read():
        reader = indexer.connect(indexer.client_url(client))
        while not stop.is_set():
            counts.append(reader.count(index=alias)["count"])

    thread = threading.Thread(target=read)
    thread.start()
    try:
        second = reindex(seed_corpus, tmp_path / "index", client, alias, full=True)
        time.sleep(0.2)
    finally:
        stop.set()
        thread.join()
    assert second.generation == f"{alias}-gen-2" == indexer.live_index(client, alias)
    assert second.removed_generations == [first.generation]
    assert not client.indices.exists(index=first.generation)
    assert len(counts) > 5 and set(counts) == {n}, counts[:50]


def _versions(client, alias) -> dict:
    client.indices.refresh(index=alias)
    res = client.search(index=alias, body={"size": 10_000, "version": True, "_source": False})
    return {h["_id"]: h["_version"] for h in res["hits"]["hits"]}


def test_incremental_run_sends_only_what_changed(tmp_path, corpus_copy, client, alias):
    index = tmp_path / "index"
    reindex(corpus_copy, index, client, alias)
    before = _versions(client, alias)
    files = sorted(p for p in corpus_copy.glob("*.txt"))
    touched, changed, deleted = files[0], files[1], files[2]
    os.utime(touched, (time.time() + 5, time.time() + 5))
    with open(changed, "a", encoding="utf-8") as f:
        f.write("\nUn paragraphe ajouté sur le zinzolin des volets.\n")
    deleted.unlink()
    (corpus_copy / "nouveau.txt").write_text(
        "Un nouvel article\n\nLa mairie ouvre une médiathèque le mois prochain.\n", encoding="utf-8")
    report = reindex(corpus_copy, index, client, alias)
    assert not report.full
    assert (report.added, report.updated, report.deleted) == (1, 1, 1)
    assert report.unchanged == len(files) - 2
    assert index_ids(client, alias) == corpus_ids(corpus_copy)
    after = _versions(client, alias)
    ids = {p: next(i for i in before if p.stem in i) for p in (touched, changed, deleted)}
    assert after[ids[touched]] == before[ids[touched]]  # not sent again
    assert after[ids[changed]] == before[ids[changed]] + 1
    assert ids[deleted] not in after
    untouched = set(before) - set(ids.values())
    assert all(after[i] == before[i] for i in untouched)
    body = client.get(index=alias, id=ids[changed])["_source"]["body"]
    assert "zinzolin" in body
    again = reindex(corpus_copy, index, client, alias)
    assert not again.changed and _versions(client, alias) == after


def test_a_running_engine_sees_an_incremental_run(tmp_path, corpus_copy, client, alias):
    """An incremental run updates the live index in place: a running engine drops what it
    cached of it (the vocabulary of prefixes and suggestions, the document count)."""
    from searchsvc.backends.opensearch import engine as os_engine
    from searchsvc.search.params import parse_params

    index = tmp_path / "index"
    reindex(corpus_copy, index, client, alias)
    engine = os_engine.OpenSearchEngine(index, alias=alias, client=client)
    before = engine.info()["documents"]
    assert engine.search(parse_params({"q": "zinzol*"}))["total"] == 0  # the prefix is cached
    (corpus_copy / "nouveau.txt").write_text(
        "Un nouvel article\n\nLe zinzolin des volets de la mairie.\n", encoding="utf-8")
    reindex(corpus_copy, index, client, alias)
    time.sleep(os_engine.CHECK_INTERVAL + 0.1)
    assert engine.search(parse_params({"q": "zinzol*"}))["total"] == 1
    assert engine.info()["documents"] == before + 1
    assert engine.generation() == indexer.live_index(client, alias)  # the same index, updated


def test_malformed_file_is_skipped_and_named(tmp_path, corpus_copy, client, alias):
    (corpus_copy / "casse.json").write_text("{cassé", encoding="utf-8")
    report = reindex(corpus_copy, tmp_path / "index", client, alias)
    reasons = dict(report.skipped)
    assert "casse.json" in reasons and "JSON invalide" in reasons["casse.json"]
    assert index_ids(client, alias) == corpus_ids(corpus_copy)
    again = reindex(corpus_copy, tmp_path / "index", client, alias)  # still named, not retried
    assert dict(again.skipped) == reasons and not again.changed


def test_copy_groups_are_set_on_the_documents(tmp_path, corpus_copy, client, alias, monkeypatch):
    src = sorted(corpus_copy.glob("*.txt"))[0]
    text = src.read_text(encoding="utf-8")
    (corpus_copy / "reprise.txt").write_text(text + "\nRepris par un autre titre.\n",
                                             encoding="utf-8")
    # published first: the group is named after the copy, so removing it renames the group
    (corpus_copy / "reprise.meta.json").write_text('{"date": "1990-01-01"}', encoding="utf-8")
    index = tmp_path / "index"
    reindex(corpus_copy, index, client, alias)
    client.indices.refresh(index=alias)
    groups = {h["_id"]: h["_source"]["group"] for h in client.search(
        index=alias, body={"size": 100, "_source": ["group"]})["hits"]["hits"]}
    pair = [i for i in groups if i.startswith(src.stem) or i.startswith("reprise")]
    assert len(pair) == 2 and groups[pair[0]] == groups[pair[1]]
    # a full build writes each document once, its group set (indexer.Spool): no replaced
    # version left behind (a soft delete weighs on BM25's statistics until it merges)
    docs = client.indices.stats(index=alias, metric="docs")["_all"]["primaries"]["docs"]
    assert docs == {"count": len(groups), "deleted": 0}
    assert not list((index / "opensearch").glob("*/spool.ndjson"))
    # stats reads the groups in pages (a 100x collection has more groups than the 65,535
    # buckets a search may return): here of 2, the pair's group in one of them
    monkeypatch.setattr(indexer, "GROUP_PAGE", 2)
    stats = indexer.index_stats(index, client=client, alias=alias)
    assert stats["documents"] == len(groups) > 2 * indexer.GROUP_PAGE  # 3 pages at least
    title = client.get(index=alias, id=groups[pair[0]])["_source"]["title"]
    assert stats["copy_groups"] == {"groups": 1, "grouped_documents": 2, "largest": [
        {"group": groups[pair[0]], "size": 2, "title": title}]}
    # the copy removed: the original is alone again, in the index too
    original = next(i for i in pair if not i.startswith("reprise"))
    assert groups[original] != original
    (corpus_copy / "reprise.txt").unlink()
    (corpus_copy / "reprise.meta.json").unlink()
    reindex(corpus_copy, index, client, alias)
    client.indices.refresh(index=alias)
    assert client.get(index=alias, id=original)["_source"]["group"] == original


def test_stats_of_the_live_index(tmp_path, fixture_corpus, client, alias, monkeypatch):
    """The same statistics as the Whoosh backend's (the copy groups read in pages of 2)."""
    from searchsvc.backends.whoosh.indexer import index_stats, reindex as whoosh_reindex

    index = tmp_path / "index"
    report = reindex(fixture_corpus, index, client, alias)
    monkeypatch.setattr(indexer, "GROUP_PAGE", 2)
    st = indexer.index_stats(index, client=client, alias=alias)
    whoosh_reindex(fixture_corpus, tmp_path / "whoosh", workers=1)
    ref = index_stats(tmp_path / "whoosh")
    assert st["generation"] == report.generation
    for key in ("documents", "sources", "source_count", "date_min", "date_max", "undated",
                "languages", "files", "copy_groups"):
        assert st[key] == ref[key], key
    assert st["size_bytes"] > 0


def _block_writes_on_new_index(client, alias, live):
    """A progress callback that blocks writes on the index being built (a real bulk
    refusal from the cluster, mid-run)."""
    def progress(done, total, articles=0):
        for name in client.indices.get(index=f"{alias}-*"):
            if name != live:
                client.indices.put_settings(index=name, body={"index.blocks.write": True})
    return progress


def test_refused_bulk_keeps_the_previous_index(tmp_path, corpus_copy, client, alias, monkeypatch):
    index = tmp_path / "index"
    first = reindex(corpus_copy, index, client, alias)
    n = first.total_documents
    import searchsvc.pipeline as pipeline

    monkeypatch.setattr(indexer, "BULK_DOCS", 1)
    monkeypatch.setattr(pipeline, "CHUNK", 1)  # progress after each file: blocked mid-run
    (corpus_copy / "nouveau.txt").write_text("Un titre\n\nUn texte de plus pour la fin.\n",
                                             encoding="utf-8")
    with pytest.raises(ReindexError) as err:
        reindex(corpus_copy, index, client, alias, full=True,
                progress=_block_writes_on_new_index(client, alias, first.generation))
    assert "refusé" in str(err.value)
    assert indexer.live_index(client, alias) == first.generation
    assert client.count(index=alias)["count"] == n
    assert sorted(client.indices.get(index=f"{alias}-*")) == [first.generation]  # partial deleted
    again = reindex(corpus_copy, index, client, alias)
    assert index_ids(client, alias) == corpus_ids(corpus_copy)
    assert again.total_documents == n + 1


def test_duplicate_id_keeps_the_first_file_by_path(tmp_path, corpus_copy, client, alias):
    txt = sorted(corpus_copy.glob("*.txt"))[0]
    (corpus_copy / f"{txt.stem}.json").write_text(json.dumps(
        {"title": "Doublon", "text": "Un texte en double sur les vendanges tardives du Jura."}),
        encoding="utf-8")
    report = reindex(corpus_copy, tmp_path / "index", client, alias)
    assert dict(report.skipped) == {txt.name: f"identifiant « {txt.stem} » déjà utilisé par "
                                              f"{txt.stem}.json"}
    client.indices.refresh(index=alias)
    assert "vendanges tardives" in client.get(index=alias, id=txt.stem)["_source"]["body"]
    assert report.total_documents == client.count(index=alias)["count"] == len(
        index_ids(client, alias))


def test_interrupted_incremental_run_means_a_full_one_next(tmp_path, corpus_copy, client, alias,
                                                           monkeypatch):
    import searchsvc.pipeline as pipeline

    index = tmp_path / "index"
    first = reindex(corpus_copy, index, client, alias)
    for k in range(3):
        (corpus_copy / f"ajout_{k}.txt").write_text(f"Ajout {k}\n\nUn article ajouté, numéro {k}.\n",
                                                    encoding="utf-8")
    monkeypatch.setattr(indexer, "BULK_DOCS", 1)
    monkeypatch.setattr(pipeline, "CHUNK", 1)

    def block_live(done, total, articles=0):
        client.indices.put_settings(index=first.generation, body={"index.blocks.write": True})

    try:
        with pytest.raises(ReindexError):
            reindex(corpus_copy, index, client, alias, progress=block_live)
    finally:
        client.indices.put_settings(index=first.generation, body={"index.blocks.write": None})
    (corpus_copy / "ajout_2.txt").unlink()  # gone before the next run: must not stay indexed
    again = reindex(corpus_copy, index, client, alias)
    assert again.full and "interrompue" in again.reason
    assert index_ids(client, alias) == corpus_ids(corpus_copy)


def test_serve_builds_a_missing_index_and_the_web_worker_reindexes(tmp_path, seed_corpus,
                                                                   opensearch_url, alias,
                                                                   monkeypatch, capsys):
    from searchsvc.backends.opensearch import mapping
    from searchsvc.commands.serve import ensure_index
    from searchsvc.web import reindex_worker

    monkeypatch.setenv("SEARCHSVC_BACKEND", "opensearch")
    monkeypatch.setenv("SEARCHSVC_OPENSEARCH_URL", opensearch_url)
    monkeypatch.setattr(mapping, "DEFAULT_ALIAS", alias)
    out = tmp_path / "out.txt"
    with open(out, "w", encoding="utf-8") as f:
        assert ensure_index(seed_corpus, tmp_path / "index", out=f)
    assert f"Index prêt ({alias}-gen-1)." in out.read_text(encoding="utf-8")
    assert reindex_worker.main([str(seed_corpus), str(tmp_path / "index"), "--full"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["generation"] == f"{alias}-gen-2" and got["total_documents"] == len(corpus_ids(seed_corpus))


def test_unreachable_cluster_is_a_french_error(tmp_path, seed_corpus):
    dead = indexer.connect("http://127.0.0.1:9")
    with pytest.raises(ReindexError) as err:
        indexer.reindex(seed_corpus, tmp_path / "index", client=dead, workers=1)
    assert "OpenSearch injoignable" in str(err.value)


def test_cli_reindex_and_stats_use_the_configured_backend(tmp_path, seed_corpus, opensearch_url,
                                                          alias, client):
    env = {**os.environ, "SEARCHSVC_BACKEND": "opensearch",
           "SEARCHSVC_OPENSEARCH_URL": opensearch_url, "SEARCHSVC_TEST_ALIAS": alias}
    code = ("import sys; from searchsvc.backends.opensearch import mapping; "
            "mapping.DEFAULT_ALIAS = __import__('os').environ['SEARCHSVC_TEST_ALIAS']; "
            "from searchsvc.cli import main; sys.exit(main(sys.argv[1:]))")
    run = subprocess.run([sys.executable, "-c", code, "reindex", "--workers", "1", "--corpus",
                          str(seed_corpus), "--index", str(tmp_path / "index")],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"{alias}-gen-1" in run.stdout and "documents indexés : 5" in run.stdout
    st = subprocess.run([sys.executable, "-c", code, "stats", "--json", "--index",
                         str(tmp_path / "index")], env=env, capture_output=True, text=True,
                        timeout=120)
    assert st.returncode == 0, st.stderr
    got = json.loads(st.stdout)
    assert got["generation"] == f"{alias}-gen-1" and got["documents"] == len(corpus_ids(seed_corpus))


# ---------------------------------------------------------------- a node killed


class _Node:
    """A single OpenSearch node of its own (ports 9710/9810), run from the install at
    ``SEARCHSVC_TEST_OPENSEARCH_HOME`` with its data in ``data``; as nobody when root."""

    single = True

    def __init__(self, home: Path, data: Path):
        self.home, self.data = home, data
        self.url = "http://127.0.0.1:9710"
        self.proc = None

    def start(self):
        self.data.mkdir(parents=True, exist_ok=True)
        args = [str(self.home / "bin" / "opensearch"), "-Enetwork.host=127.0.0.1",
                "-Ehttp.port=9710", "-Etransport.port=9810", "-Ediscovery.type=single-node",
                "-Ecluster.name=osindex-kill", f"-Epath.data={self.data / 'data'}",
                f"-Epath.logs={self.data / 'logs'}",
                "-Ecluster.routing.allocation.disk.threshold_enabled=false"]
        env = {**os.environ, "OPENSEARCH_JAVA_OPTS": "-Xms512m -Xmx512m"}
        if not (self.home / "jdk").exists():
            java = Path(shutil.which("java")).resolve().parent.parent
            env["OPENSEARCH_JAVA_HOME"] = str(java)
        if os.geteuid() == 0:
            shutil.chown(self.data, "nobody")
            for sub in ("data", "logs"):
                (self.data / sub).mkdir(exist_ok=True)
                shutil.chown(self.data / sub, "nobody")
            args = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *args]
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        c = indexer.connect(self.url)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                c.cluster.health(wait_for_status="yellow")
                return c
            except Exception:
                if self.proc.poll() is not None:
                    raise RuntimeError("le nœud OpenSearch de test s'est arrêté au démarrage")
                time.sleep(1)
        raise RuntimeError("le nœud OpenSearch de test n'a pas démarré")

    def kill(self, client=None, index=None):
        """``kill -9`` of the node's whole session (the JVM and its launcher)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


class _ClusterNode:
    """A node of the session's ``opensearch_cluster`` (several nodes): the one holding a
    primary of the index being built is killed, then restarted and the cluster waited
    green."""

    single = False

    def __init__(self, cluster):
        self.cluster, self.victim = cluster, None

    def start(self):
        if self.victim is not None:
            self.cluster.restart_node(self.victim)
            self.cluster.wait_green()
        return indexer.connect(self.cluster.url)

    def kill(self, client, index):
        rows = client.cat.shards(index=index, format="json")
        hosts = [r["node"] for r in rows if r.get("prirep") == "p" and r.get("node")]
        self.victim = next((n for n in hosts if n in self.cluster.nodes), self.cluster.nodes[0])
        self.cluster.kill_node(self.victim)


@pytest.fixture
def killable(request):
    """A node to kill: one of the session cluster's when it has several (its
    ``kill_node``/``restart_node``), else a node of its own started from the install at
    ``SEARCHSVC_TEST_OPENSEARCH_HOME``."""
    try:
        cluster = request.getfixturevalue("opensearch_cluster")
    except pytest.FixtureLookupError:
        cluster = None
    if cluster is not None and hasattr(cluster, "kill_node") and len(cluster.nodes) > 1:
        node = _ClusterNode(cluster)
        yield node
        if node.victim is not None and cluster.status():
            cluster.wait_green()
        return
    home = os.environ.get("SEARCHSVC_TEST_OPENSEARCH_HOME")
    if not home:
        pytest.skip("ni cluster de plusieurs nœuds ni SEARCHSVC_TEST_OPENSEARCH_HOME")
    import tempfile

    data = Path(tempfile.mkdtemp(prefix="searchsvc-test-node-"))  # pytest's tmp is root-only
    data.chmod(0o755)  # the node may run as nobody
    node = _Node(Path(home), data / "node")
    yield node
    node.kill()
    shutil.rmtree(data, ignore_errors=True)


def test_node_killed_during_full_reindex(tmp_path, corpus_copy, killable, monkeypatch):
    """kill -9 of a node holding part of the index being built: the run fails (a single
    node) or survives it (a cluster); either way the alias is only ever on a complete
    index, and after the restart the next run ends with exactly the corpus."""
    client = killable.start()
    index, alias = tmp_path / "index", f"tue-{uuid.uuid4().hex[:8]}"
    first = reindex(corpus_copy, index, client, alias)
    n = first.total_documents
    for k in range(30):
        (corpus_copy / f"extra_{k:02d}.txt").write_text(
            f"Article {k}\n\nLe texte numéro {k} sur la ville et son marché.\n", encoding="utf-8")
    monkeypatch.setattr(indexer, "BULK_DOCS", 2)
    monkeypatch.setattr(indexer, "SHARD_WAIT", "5s")
    calls = []

    def kill_midway(done, total, articles=0):
        calls.append(done)
        if len(calls) == 2:  # bulks sent to the new index already
            killable.kill(client, f"{alias}-gen-2")

    try:
        second = reindex(corpus_copy, index, client, alias, full=True, progress=kill_midway)
    except ReindexError as exc:
        second, error = None, str(exc)
    assert len(calls) >= 2
    if killable.single:
        assert second is None and "injoignable" in error
    client = killable.start()
    try:
        if second is None:
            assert indexer.live_index(client, alias) == first.generation
            assert client.count(index=alias)["count"] == n
        again = reindex(corpus_copy, index, client, alias)
        if second is None:
            # the partial index was deleted by the failed run or by this one (its note)
            assert again.added == 30 and not again.full
        if second is None and killable.single:  # the failing run could not delete it
            assert any("index partiel" in note for note in again.cleaned), again.cleaned
        ids = index_ids(client, alias)
        assert ids == corpus_ids(corpus_copy) and len(ids) == n + 30
        assert sorted(client.indices.get(index=f"{alias}-*")) == [again.generation]  # nothing partial
    finally:
        client.indices.delete(index=f"{alias}-*", params={"expand_wildcards": "all",
                                                         "ignore_unavailable": "true"})
