"""Full and incremental reindexing into OpenSearch.

The same pipeline as the Whoosh backend (:mod:`searchsvc.pipeline`: files shared out
between workers that extract and enrich them). Each worker turns its articles into
documents (:func:`~searchsvc.backends.opensearch.mapping.document`); the parent sends
them in bulk requests as the workers hand them over after each chunk
(:class:`DocumentSink`, :data:`BULK_FROM` ``"parent"``, measured faster than each worker
sending its own bulks with :class:`BulkSink`: the workers go on working meanwhile).

- A **full** reindex creates a new concrete index ``<alias>-gen-<n>``, loads every document
  into it (no refresh, no replica meanwhile), refreshes it, checks that it holds exactly
  the articles indexed, then moves the alias to it in one ``_aliases`` request and
  deletes the previous index. Until that request the alias stays on the complete
  previous index; a failure deletes the partial one (or, when the cluster cannot be
  reached, the next run does).
- An **incremental** run (the alias on an index of the same mapping version and
  fingerprint, recorded in its ``_meta``) sends only the documents of new and changed
  files and deletes those of deleted files, as the Whoosh backend decides from the local
  state. A run that fails half-way leaves a ``pending`` mark: the next run is full.

The local state of each concrete index lives in ``<index_dir>/opensearch/<index>/``:
``state.json`` (per-file signatures, :mod:`searchsvc.backends.whoosh.indexer.state`) and
the copy store (:mod:`searchsvc.enrich.copies`), so the alias alone says which state is
live. One reindex at a time: the reindex lock of ``index_dir``.
"""

from __future__ import annotations

import heapq
import json
import os
import re
import shutil
import time
from pathlib import Path

from searchsvc import pipeline
from searchsvc.backends.opensearch import mapping
from searchsvc.backends.opensearch.client import composite_terms
from searchsvc.backends.whoosh.indexer.build import fingerprint as analysis_fingerprint
from searchsvc.backends.whoosh.indexer.state import IndexState
from searchsvc.backends.whoosh.indexer.store import os_errors_as, reindex_lock
from searchsvc.engine import BackendUnavailable, NoIndexError
from searchsvc.enrich import copies
from searchsvc.french import count_fr
from searchsvc.pipeline import (Manifest, ReindexError, ReindexReport, Run, check_corpus, copy_rows,
                                count, drop_losers, duplicate_losers, list_corpus,
                                plan_incremental, run_workers, settle_unchanged, tally, timed)

__all__ = ["BulkSink", "ReindexError", "ReindexReport", "build_from_articles", "index_stats",
           "live_generation", "live_index", "reindex", "state_dir"]

#: Documents per bulk request, and the request size (bytes) that sends one sooner.
BULK_DOCS = 500
BULK_BYTES = 8 * 1024 * 1024
#: Seconds a request may take (a bulk on a busy two-core machine is slow).
TIMEOUT = 120
#: How long a bulk waits for a shard without an active primary (a node restarting)
#: before its documents are refused (OpenSearch's bulk ``timeout``).
SHARD_WAIT = "60s"
#: The largest segment a full build's merge aims at (Lucene's own default ceiling for
#: merged segments), and how long the merge may take (a batch job: minutes at 100x).
SEGMENT_BYTES = 5 * 1024 ** 3
MERGE_TIMEOUT = 3600
#: Who sends the bulk requests: ``"workers"`` (each worker its own documents) or
#: ``"parent"`` (workers make the documents, the parent sends them); see
#: docs/opensearch-indexing.md for the measurement that chose it.
BULK_FROM = "parent"
#: Copy groups read a page by ``searchsvc stats`` (a ``composite`` page's buckets count
#: against the cluster's ``search.max_buckets``).
GROUP_PAGE = 10_000
#: Where the local states live, under ``index_dir``.
STATE_FOLDER = "opensearch"
#: Mark of an incremental run under way (the next run is full if it is left).
PENDING = "pending"


def connect(url: str | None = None):
    """The project's client (:func:`searchsvc.backends.opensearch.client.connect`:
    several nodes, authentication, TLS) of the environment's cluster, or of ``url``
    (node URLs, comma-separated: what a worker is given)."""
    from searchsvc.backends.opensearch import client

    env = dict(os.environ)
    if url:
        env["SEARCHSVC_OPENSEARCH_URL"] = url
    return client.connect(env)


def client_url(client) -> str:
    """The URLs of ``client``'s nodes, comma-separated (for :func:`connect` elsewhere)."""
    out = []
    for host in client.transport.hosts:
        scheme = "https" if host.get("use_ssl") or host.get("scheme") == "https" else "http"
        out.append(f"{scheme}://{host['host']}:{host['port']}{host.get('url_prefix', '')}")
    return ",".join(out)


def _unreachable(url: str, exc: Exception) -> BackendUnavailable:
    return BackendUnavailable(f"OpenSearch injoignable à {url} ({type(exc).__name__}) : "
                              "démarrez le cluster (searchsvc cluster start) ou corrigez "
                              "SEARCHSVC_OPENSEARCH_URL.")


def index_meta() -> dict:
    """What an index records of how it was built (its mapping's ``_meta``)."""
    return {"mapping_version": mapping.MAPPING_VERSION, "fingerprint": analysis_fingerprint()}


def state_dir(index_dir, index: str) -> Path:
    """The local state folder of the concrete index ``index``."""
    return Path(index_dir) / STATE_FOLDER / index


# ---------------------------------------------------------------- the sink


class BulkSink:
    """A worker's writer (:class:`searchsvc.pipeline.Sink`) when each worker sends its own
    bulks (:data:`BULK_FROM` ``"workers"``): documents into ``index`` by bulk requests of
    :data:`BULK_DOCS`. :meth:`finish` returns the count sent."""

    def __init__(self, url: str, index: str):
        self.client = connect(url)
        self.url, self.index = url, index
        self.lines: list[str] = []
        self.size = 0
        self.sent = 0

    def add(self, fields: dict) -> None:
        doc = mapping.document(fields)
        head = json.dumps({"index": {"_index": self.index, "_id": doc["id"]}})
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        self.lines += (head, body)
        self.size += len(head) + len(body) + 2
        if len(self.lines) >= 2 * BULK_DOCS or self.size >= BULK_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            n = len(self.lines) // 2
            bulk(self.client, self.lines, self.url)
            self.lines, self.size = [], 0
            self.sent += n

    def finish(self) -> int:
        self.flush()
        return self.sent

    def cancel(self) -> None:
        self.lines = []


class DocumentSink:
    """A worker's writer when the parent sends the bulks (:data:`BULK_FROM` ``"parent"``,
    the default): documents made here, handed over after each chunk (:meth:`drain`)."""

    def __init__(self):
        self.lines: list[str] = []
        self.sent = 0

    def add(self, fields: dict) -> None:
        doc = mapping.document(fields)
        doc = {"group": doc.pop("group"), **doc}  # first: Spool.send sets it in place
        self.lines += (json.dumps({"index": {"_id": doc["id"]}}),
                       json.dumps(doc, ensure_ascii=False, separators=(",", ":")))

    def drain(self) -> list[str]:
        lines, self.lines = self.lines, []
        self.sent += len(lines) // 2
        return lines

    def finish(self) -> int:
        return self.sent

    def cancel(self) -> None:
        self.lines = []


class _ParentSender:
    """The parent's side of :class:`DocumentSink`: bulks of :data:`BULK_DOCS` to ``index``."""

    def __init__(self, client, index: str, url: str):
        self.client, self.index, self.url = client, index, url
        self.lines: list[str] = []

    def __call__(self, lines) -> None:
        self.lines += lines or []
        while len(self.lines) >= 2 * BULK_DOCS:
            self.send(2 * BULK_DOCS)

    def send(self, n: int | None = None) -> None:
        if self.lines:
            part = self.lines[:n]
            del self.lines[:len(part)]
            bulk(self.client, part, self.url, self.index)


class Spool:
    """A full build's documents on local disk until their copy groups are known.

    The workers' bulk lines (action and document, in pairs) are appended as they come
    (the pipeline's ``receive``), and so are deletions (:meth:`delete`: a duplicate id's
    loser); the line of each id's last operation is kept meanwhile. :meth:`send` then
    sends each id's last version once, its ``group`` set, in bulks. So a full build
    writes each document once: the partial updates that set the groups afterwards left
    soft-deleted versions, counted in BM25's statistics until their segments merged,
    and at 10x news-fr nine documents in ten changed group (each written twice)."""

    NAME = "spool.ndjson"

    def __init__(self, folder: Path):
        self.path = Path(folder) / self.NAME
        self.file = open(self.path, "w", encoding="utf-8")
        self.lines = 0
        self.last: dict[str, int] = {}  # id -> line of its last action (-1: deleted)

    def __call__(self, lines) -> None:
        if lines:
            for k in range(0, len(lines), 2):
                self.last[json.loads(lines[k])["index"]["_id"]] = self.lines + k
            self.file.write("\n".join(lines) + "\n")
            self.lines += len(lines)

    def delete(self, ids) -> None:
        for i in ids:
            self.last[i] = -1  # the index is new: nothing to send for it

    def send(self, client, index: str, url: str, groups: dict[str, str], log=None) -> int:
        """Send each id's last version, the ``group`` of those in ``groups`` set; the
        count sent. The spool is removed."""
        from concurrent.futures import ThreadPoolExecutor

        self.file.close()
        keep = {n: doc_id for doc_id, n in self.last.items() if n >= 0}
        if log:
            log(f"envoi de {count_fr(len(keep), 'document')} à OpenSearch…")
        sent = 0
        # two bulks in flight: the nodes index one while the next is read and sent
        with ThreadPoolExecutor(2) as pool, open(self.path, encoding="utf-8") as f:
            pending: list = []
            lines: list[str] = []
            size = 0
            doc_id = None  # the id whose document is the next line
            for n, line in enumerate(f):
                if doc_id is not None:
                    lines.append(_with_group(line.rstrip("\n"), doc_id, groups.get(doc_id)))
                    size += len(line)
                    sent += 1
                    doc_id = None
                    if len(lines) >= 2 * BULK_DOCS or size >= BULK_BYTES:
                        pending.append(pool.submit(bulk, client, lines, url, index))
                        lines, size = [], 0
                        if len(pending) >= 2:
                            pending.pop(0).result()
                elif n in keep:
                    doc_id = keep[n]
                    lines.append(line.rstrip("\n"))
            if lines:
                pending.append(pool.submit(bulk, client, lines, url, index))
            for fut in pending:
                fut.result()
        self.path.unlink()
        return sent

    def close(self) -> None:
        self.file.close()
        self.path.unlink(missing_ok=True)


def _with_group(body: str, doc_id: str, group: str | None) -> str:
    """A document's bulk line (:class:`DocumentSink`'s: ``group`` first, the id) with
    ``group`` instead (unchanged when None)."""
    if group is None or group == doc_id:
        return body
    prefix = '{"group":' + json.dumps(doc_id, ensure_ascii=False) + ","
    return '{"group":' + json.dumps(group, ensure_ascii=False) + "," + body[len(prefix):]


def bulk(client, lines: list[str], url: str = "", index: str | None = None) -> None:
    """Send one bulk request (NDJSON ``lines``); raise :class:`ReindexError` (French)
    naming the first document refused, or :class:`BackendUnavailable`."""
    from opensearchpy.exceptions import ConnectionError as OSConnectionError
    from opensearchpy.exceptions import TransportError

    try:
        resp = client.bulk(body="\n".join(lines) + "\n", index=index,
                           params={"request_timeout": TIMEOUT, "timeout": SHARD_WAIT})
    except OSConnectionError as exc:
        raise ReindexError(_unreachable(url or client_url(client), exc).message) from None
    except TransportError as exc:
        raise ReindexError(f"requête groupée refusée par OpenSearch ({exc.status_code}) : "
                           f"{_reason(exc.info)}") from None
    if resp.get("errors"):
        for item in resp["items"]:
            op, res = next(iter(item.items()))
            if res.get("error") and not (op == "delete" and res.get("status") == 404):
                raise ReindexError(f"document « {res.get('_id')} » refusé par OpenSearch : "
                                   f"{_reason(res['error'])}")


def _reason(info) -> str:
    if isinstance(info, dict):
        err = info.get("error", info)
        if isinstance(err, dict):
            return f"{err.get('type', '')} {err.get('reason', '')}".strip()
        return str(err)
    return str(info)


# ---------------------------------------------------------------- the cluster


class _Cluster:
    """The few cluster calls of a reindex, errors in French."""

    def __init__(self, client, alias: str, url: str):
        self.client, self.alias, self.url = client, alias, url

    def call(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` with the reindex's timeout, errors in French."""
        from opensearchpy.exceptions import ConnectionError as OSConnectionError
        from opensearchpy.exceptions import TransportError

        kwargs.setdefault("params", {}).setdefault("request_timeout", TIMEOUT)
        try:
            return fn(*args, **kwargs)
        except OSConnectionError as exc:
            raise _unreachable(self.url, exc) from None
        except TransportError as exc:
            raise ReindexError(f"OpenSearch a refusé la requête ({exc.status_code}) : "
                               f"{_reason(exc.info)}") from None

    def live(self) -> str | None:
        """The concrete index behind the alias, or None."""
        return live_index(self.client, self.alias, self.url)

    def concrete(self) -> list[str]:
        """Every ``<alias>-gen-<n>`` index (generation ``gen-<n>``), by ``n``."""
        got = self.call(self.client.indices.get, index=f"{self.alias}-gen-*",
                        params={"expand_wildcards": "all", "ignore_unavailable": "true",
                                "allow_no_indices": "true"})
        pattern = re.compile(rf"^{re.escape(self.alias)}-gen-(\d+)$")
        return sorted((n for n in got if pattern.match(n)), key=lambda n: int(n.rsplit("-", 1)[1]))

    def meta(self, index: str) -> dict:
        got = self.call(self.client.indices.get_mapping, index=index)
        return (got.get(index, {}).get("mappings", {}).get("_meta")) or {}

    def count(self, index: str) -> int:
        return int(self.call(self.client.count, index=index)["count"])

    def delete(self, index: str) -> bool:
        """Delete ``index``; False when the cluster cannot be asked."""
        try:
            self.client.indices.delete(index=index, params={"ignore_unavailable": "true",
                                                            "request_timeout": TIMEOUT})
            return True
        except Exception:
            return False


def live_index(client, alias: str | None = None, url: str = "") -> str | None:
    """The concrete index behind ``alias`` (default :func:`mapping.alias_name`; None
    when there is no alias)."""
    alias = alias or mapping.alias_name()
    from opensearchpy.exceptions import ConnectionError as OSConnectionError
    from opensearchpy.exceptions import NotFoundError

    try:
        got = client.indices.get_alias(name=alias)
    except NotFoundError:
        return None
    except OSConnectionError as exc:
        raise _unreachable(url or client_url(client), exc) from None
    names = sorted(got)
    return names[0] if names else None


# ---------------------------------------------------------------- reindex


def reindex(corpus_dir, index_dir, full=False, workers=None, progress=None, client=None,
            alias: str | None = None, *, wait: float = 0.0, log=None,
            **_ignored) -> ReindexReport:
    """Bring the index behind ``alias`` up to date with ``corpus_dir`` (see the module's
    docstring). ``index_dir`` holds the local state and the lock. ``progress``, ``log``,
    ``wait`` and the errors are those of the Whoosh reindex; an unreachable cluster
    raises :class:`~searchsvc.engine.BackendUnavailable`."""
    t0 = time.monotonic()
    corpus_dir, workers, log = pipeline.start(corpus_dir, workers, log)
    index_dir = Path(index_dir)
    client = client or connect()
    alias = alias or mapping.alias_name()
    try:
        return _reindex(corpus_dir, index_dir, full, workers, progress, client, alias, wait,
                        log, t0)
    except BackendUnavailable as exc:
        raise ReindexError(exc.message) from None


def build_from_articles(client, alias: str, articles, index_dir, workers: int = 1) -> str:
    """A full build holding exactly ``articles`` (:class:`~searchsvc.article.Article`
    objects: tests, benchmarks) by the reindex's own steps: the pipeline's workers enrich
    them and make the documents, the parent sends them, the copy groups are assigned, the
    alias is switched and the previous index deleted. ``index_dir`` holds the enricher's
    caches and the new index's copy store; no file state is recorded (the next
    :func:`reindex` of a corpus is full). Returns the new index's name."""
    import itertools

    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    cluster = _Cluster(client, alias, client_url(client))
    job = _Job(cluster, index_dir, index_dir, None, workers, None, lambda message: None)
    it = iter(articles)
    chunks = iter(lambda: list(itertools.islice(it, pipeline.CHUNK)), [])
    with reindex_lock(index_dir):
        live = cluster.live()
        index, final = job.new_index(live)
        folder = state_dir(index_dir, index)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            job.spool = Spool(folder)
            run = Run(DocumentSink, (), index_dir, receive=job.spool)
            outcomes, _ = pipeline.pool(run, index_dir, {}, chunks, max(1, workers), 0, None,
                                        job.log)
            rows = [r for o in outcomes if o[0] == "article" for r in o[2]]
            job.unspool(index, job._regroup(index, folder, rows, set(), {}, fresh=True))
            expected = sum(1 for o in outcomes if o[0] == "article")
            got = job.loaded(index, final)
            if got != expected:
                raise ReindexError(f"le nouvel index {index} compte {got} documents au lieu de "
                                   f"{expected} : il est abandonné")
            job.switch(live, index)
        except BaseException:
            job.drop_spool()
            job.abandon(index, folder)
            raise
        job.retire(live)
    return index


def _reindex(corpus_dir, index_dir, full, workers, progress, client, alias, wait, log, t0):
    cluster = _Cluster(client, alias, client_url(client))
    with os_errors_as(ReindexError, index_dir), reindex_lock(index_dir, wait) as stale_pid:
        live = cluster.live()
        cleaned = _clean_leftovers(cluster, index_dir, live, stale_pid)
        for note in cleaned:
            log(f"nettoyage : {note}")
        reason = "reconstruction complète demandée (--full)" if full else ""
        state = None
        if not full:
            full, reason, state = _incremental_or_not(cluster, index_dir, live)
        listing = list_corpus(corpus_dir, None if full else state.manifest)
        rels, skipped = listing.rels, listing.skipped
        job = _Job(cluster, corpus_dir, index_dir, listing.manifest, workers, progress, log)
        if full:
            log(f"reconstruction complète ({reason}) : {count_fr(len(rels), 'fichier')}")
            report = job.full(live, rels, reason, skipped)
        else:
            report = job.incremental(live, state, rels, skipped, listing.sidecars)
        report.cleaned = cleaned
    return timed(report, t0)


def _incremental_or_not(cluster: _Cluster, index_dir: Path, live):
    """(full, French reason, state) for a run not asked to be full."""
    if live is None:
        return True, "aucun index existant", None
    folder = state_dir(index_dir, live)
    state = IndexState.load(folder)
    if state is None:
        return True, f"état local de {live} absent ou illisible", None
    if (folder / PENDING).exists():
        return True, f"la dernière réindexation de {live} a été interrompue", None
    meta = cluster.meta(live)
    built = {k: meta.get(k) for k in index_meta()}  # beside them: the count of updates
    if built != index_meta() or state.fingerprint != analysis_fingerprint():
        return True, "schéma ou analyse modifiés depuis la dernière indexation", None
    if not copies.store_exists(folder):
        return True, f"groupes de copies de {live} absents ou illisibles", None
    return False, "", state


def _clean_leftovers(cluster: _Cluster, index_dir: Path, live, stale_pid) -> list[str]:
    """Remove the partial indexes (``<alias>-gen-<n>`` not behind the alias) and local states
    of other indexes that interrupted runs left; French notes."""
    notes = []
    if stale_pid is not None:
        notes.append(f"verrou d'une réindexation interrompue (processus {stale_pid}) repris")
    for name in cluster.concrete():
        if name != live and cluster.delete(name):
            notes.append(f"index partiel {name} d'une réindexation interrompue supprimé")
    root = Path(index_dir) / STATE_FOLDER
    if root.is_dir():
        for folder in root.iterdir():
            if folder.name != live:
                shutil.rmtree(folder, ignore_errors=True)
    return notes


class _Job:
    """One reindex's runs (full or incremental) against the cluster."""

    def __init__(self, cluster: _Cluster, corpus_dir: Path, index_dir: Path, manifest: Manifest,
                 workers: int, progress, log):
        self.cluster, self.corpus_dir, self.index_dir = cluster, corpus_dir, index_dir
        self.manifest, self.workers, self.progress, self.log = manifest, workers, progress, log
        #: a full build's documents until their groups are known (:class:`Spool`)
        self.spool: Spool | None = None

    def _send(self, index: str, todo: list, workers: int | None = None, quiet: bool = False):
        finishing = ("envoi des derniers documents…", "envoi des derniers documents…")
        if self.spool is not None:
            sender = None
            run = Run(DocumentSink, (), self.index_dir, ("écriture des derniers documents…",) * 2,
                      receive=self.spool)
        elif BULK_FROM == "parent":
            sender = _ParentSender(self.cluster.client, index, self.cluster.url)
            run = Run(DocumentSink, (), self.index_dir, finishing, receive=sender)
        else:
            sender, run = None, Run(BulkSink, (self.cluster.url, index), self.index_dir, finishing)
        got = run_workers(run, self.corpus_dir, self.manifest.entries(), todo,
                          workers or self.workers, None if quiet else self.progress,
                          (lambda message: None) if quiet else self.log)
        if sender:
            sender.send()
        return got

    def _delete(self, index: str, ids) -> None:
        if self.spool is not None:
            self.spool.delete(ids)
            return
        ids = sorted(ids)
        for k in range(0, len(ids), BULK_DOCS):
            bulk(self.cluster.client, [json.dumps({"delete": {"_index": index, "_id": i}})
                                       for i in ids[k:k + BULK_DOCS]], self.cluster.url)

    def _resolve_duplicates(self, index: str, owners: dict, records: dict, report, skips) -> set:
        """Two files giving one id (:func:`searchsvc.pipeline.duplicate_losers`): the
        losers' documents are deleted and the owners' files sent again (a loser sent last
        replaced the owner's document). Returns the ids sent again."""
        losers = duplicate_losers(owners, records)
        if not losers:
            return set()
        self._delete(index, {i for rec, _, _ in losers.values() for i in rec.ids})
        firsts = sorted({first for _, _, first in losers.values()})
        self.log(f"identifiants en double : {count_fr(len(firsts), 'fichier')} renvoyé"
                 + ("s" if len(firsts) > 1 else ""))
        outcomes, _ = self._send(index, firsts, 1, quiet=True)
        drop_losers(losers, records, report, skips)
        return {i for o in outcomes if o[0] == "ok" for i in o[2].ids}

    def _regroup(self, index: str, folder: Path, rows, sent: set, old_groups: dict,
                 **update) -> dict[str, str]:
        """Update the copy store in ``folder`` and the ``group`` of the documents whose
        group changed (``sent``: ids just sent, whose group is their own id); with a
        :attr:`spool`, return ``{id: group}`` of those instead, for :meth:`Spool.send`."""
        self.log("regroupement des copies…")
        store = copies.CopyStore() if update.pop("fresh", False) else copies.CopyStore.load(folder)
        store.update(rows, **update)
        store.save(folder)
        if self.spool is not None:
            return {doc_id: group for doc_id, group in zip(store.ids, store.groups) if group != doc_id}
        lines = []
        for doc_id, group in zip(store.ids, store.groups):
            before = doc_id if doc_id in sent else old_groups.get(doc_id, doc_id)
            if group != before:
                lines += (json.dumps({"update": {"_index": index, "_id": doc_id}}),
                          json.dumps({"doc": {"group": group}}))
        for k in range(0, len(lines), 2 * BULK_DOCS):
            bulk(self.cluster.client, lines[k:k + 2 * BULK_DOCS], self.cluster.url)
        return {}

    def drop_spool(self) -> None:
        """Close and remove a spool left by a failure."""
        if self.spool is not None:
            self.spool.close()
            self.spool = None

    def unspool(self, index: str, groups: dict[str, str]) -> None:
        """Send the spooled documents (:meth:`Spool.send`) into ``index``, groups set."""
        spool, self.spool = self.spool, None
        spool.send(self.cluster.client, index, self.cluster.url, groups, self.log)

    def new_index(self, live) -> tuple[str, dict]:
        """Create the next ``<alias>-gen-<n>`` for a full load (no refresh, no replica
        meanwhile: the replica is copied once, at the end); its final index settings."""
        cluster = self.cluster
        existing = cluster.concrete()
        number = max([int(n.rsplit("-", 1)[1]) for n in existing + ([live] if live else [])
                      if n.rsplit("-", 1)[-1].isdigit()] + [0]) + 1
        index = f"{cluster.alias}-gen-{number}"
        body = mapping.index_body()
        body["mappings"] = {**body["mappings"], "_meta": index_meta()}
        final = dict(body["settings"]["index"])
        # the translog synced in the background meanwhile: a load cut short is deleted
        body["settings"]["index"] = {**final, "refresh_interval": "-1", "number_of_replicas": 0,
                                     "translog.durability": "async"}
        cluster.call(cluster.client.indices.create, index=index, body=body)
        return index, final

    def loaded(self, index: str, final: dict) -> int:
        """Give a loaded index its final settings, flush it (the load's operations,
        whose translog was synced in the background, committed to disk: a node killed
        later loses none), merge its segments (:meth:`merge`) and refresh it; its
        document count."""
        cluster = self.cluster
        cluster.call(cluster.client.indices.flush, index=index)
        self.merge(index)
        cluster.call(cluster.client.indices.put_settings, index=index, body={"index": {
            "refresh_interval": final["refresh_interval"],
            "number_of_replicas": final["number_of_replicas"],
            "translog.durability": "request"}})
        cluster.call(cluster.client.indices.refresh, index=index)
        return cluster.count(index)

    def merge(self, index: str) -> None:
        """Merge a loaded index's segments, before its replicas are copied: one a shard
        up to :data:`SEGMENT_BYTES`, more for bigger shards. A search visits every
        segment of a shard (its postings, its facets' ordinals): at 10x news-fr, ~20
        segments a shard after the load made the p50 of a search 2.7x slower than one
        (bench/scale.py, docs/opensearch.md). Incremental runs add small segments that
        the cluster's merge policy merges as usual."""
        cluster = self.cluster
        stats = cluster.call(cluster.client.indices.stats, index=index, metric="store")
        size = stats["_all"]["primaries"]["store"]["size_in_bytes"]
        self.log("fusion des segments…")
        segments = max(1, -(-size // (mapping.SHARDS * SEGMENT_BYTES)))  # mapping.index_body()'s
        cluster.call(cluster.client.indices.forcemerge, index=index, params={
            "max_num_segments": segments, "request_timeout": MERGE_TIMEOUT})

    def switch(self, live, index: str) -> None:
        """Move the alias from ``live`` to ``index`` in one ``_aliases`` request."""
        cluster = self.cluster
        cluster.call(cluster.client.cluster.health, index=index, wait_for_status="yellow")
        actions = ([{"remove": {"index": live, "alias": cluster.alias}}] if live else [])
        actions.append({"add": {"index": index, "alias": cluster.alias}})
        cluster.call(cluster.client.indices.update_aliases, body={"actions": actions})

    def abandon(self, index: str, folder: Path) -> None:
        """After a failure: delete ``index`` unless the alias already points at it."""
        try:
            now = self.cluster.live()
        except BackendUnavailable:  # unknown: the next run removes it if it is partial
            now = index
        if now != index:
            self.cluster.delete(index)
            shutil.rmtree(folder, ignore_errors=True)

    def retire(self, live, report=None) -> None:
        """Delete the index the alias left, and its local state."""
        if live:
            self.cluster.delete(live)
            shutil.rmtree(state_dir(self.index_dir, live), ignore_errors=True)
            if report is not None:
                report.removed_generations = [live]

    def full(self, live, rels, reason, skipped) -> ReindexReport:
        index, final = self.new_index(live)
        folder = state_dir(self.index_dir, index)
        report = ReindexReport(generation=index, full=True, reason=reason, files=len(rels),
                               skipped=skipped)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.spool = Spool(folder)
            outcomes, _ = self._send(index, rels)
            check_corpus(self.corpus_dir, live)
            skips: dict = {}
            records = tally(outcomes, report, skips)
            self.log("validation du nouvel index…")
            self._resolve_duplicates(index, {}, records, report, skips)
            count(records, report, {})
            groups = self._regroup(index, folder, copy_rows(outcomes, records), set(), {}, fresh=True)
            self.unspool(index, groups)
            expected = sum(len(rec.ids) for rec in records.values())
            got = self.loaded(index, final)
            if got != expected:
                raise ReindexError(f"le nouvel index {index} compte {got} documents au lieu de "
                                   f"{expected} : il est abandonné"
                                   + (f", l'index {live} est conservé" if live else ""),
                                   report.skipped)
            report.total_documents = got
            if got == 0 and rels:
                raise ReindexError("aucun document n'a pu être indexé"
                                   + (f" ; l'index {live} est conservé" if live else ""),
                                   report.skipped)
            IndexState(analysis_fingerprint(), str(self.corpus_dir.resolve()), records, skips,
                       self.manifest.recorded()).save(folder)
            self.switch(live, index)
        except BaseException:
            self.abandon(index, folder)
            raise
        finally:
            self.drop_spool()
        self.retire(live, report)
        return report

    def incremental(self, live, state, rels, skipped, sidecars) -> ReindexReport:
        cluster, folder = self.cluster, state_dir(self.index_dir, live)
        report = ReindexReport(generation=live, full=False, files=len(rels), skipped=skipped)
        plan = plan_incremental(self.corpus_dir, state, rels, self.manifest, report, self.log,
                                live, sidecars)
        unchanged, todo, gone, skips = plan.unchanged, plan.todo, plan.gone, plan.skips
        if plan.nothing:
            settle_unchanged(plan, state, self.manifest, report, folder)
            return report
        old_store = copies.CopyStore.load(folder)
        old_groups = dict(zip(old_store.ids, old_store.groups))
        (folder / PENDING).write_text("", encoding="utf-8")  # removed once the state is saved
        outcomes, _ = self._send(live, todo)
        check_corpus(self.corpus_dir, live)
        records = tally(outcomes, report, skips)
        self.log(f"validation : {count_fr(len(gone), 'fichier supprimé', 'fichiers supprimés')}, "
                 f"{count_fr(len(todo), '(ré)indexé')}…")
        owners = {i: rel for rel, rec in unchanged.items() for i in rec.ids}
        sent = {i for rec in records.values() for i in rec.ids}
        stale = {i for rel in gone + todo if rel in state.files for i in state.files[rel].ids}
        self._delete(live, stale - sent)
        sent |= self._resolve_duplicates(live, owners, records, report, skips)
        count(records, report, state.files)
        state.files = dict(sorted({**unchanged, **records}.items()))
        keep = {i for rec in state.files.values() for i in rec.ids}
        cluster.call(cluster.client.indices.refresh, index=live)
        self._regroup(live, folder, copy_rows(outcomes, records), sent & keep, old_groups,
                      keep_ids=keep, drop_ids={i for rec in records.values() for i in rec.ids})
        cluster.call(cluster.client.indices.refresh, index=live)
        got, expected = cluster.count(live), len(keep)
        if got != expected:
            raise ReindexError(f"l'index {live} compte {got} documents au lieu de {expected} : "
                               "la prochaine réindexation le reconstruira en entier")
        state.skipped = skips
        state.manifest = self.manifest.recorded()
        state.save(folder)
        (folder / PENDING).unlink()
        self.count_update(live)
        report.total_documents = got
        return report

    def count_update(self, index: str) -> None:
        """Count one more incremental run in the index's ``_meta`` (``updates``): a
        running engine keys what it caches of an index (vocabulary, counts, entities) on
        the index and this count, as the Whoosh backend's on its generation."""
        cluster = self.cluster
        meta = cluster.meta(index)
        meta["updates"] = int(meta.get("updates") or 0) + 1
        cluster.call(cluster.client.indices.put_mapping, index=index, body={"_meta": meta})


# ---------------------------------------------------------------- stats


def index_stats(index_dir, client=None, alias: str | None = None) -> dict:
    """The keys of :func:`searchsvc.backends.whoosh.indexer.index_stats` for the index
    behind ``alias``: ``generation`` is the concrete index, sizes come from ``_stats``
    (``size_bytes`` the primaries, ``total_size_bytes`` with the replicas)."""
    from opensearchpy.exceptions import ConnectionError as OSConnectionError

    index_dir = Path(index_dir)
    client = client or connect()
    url = client_url(client)
    alias = alias or mapping.alias_name()
    live = live_generation(index_dir, client, alias)
    body = {"size": 0, "track_total_hits": True, "aggs": {
        "sources": {"terms": {"field": "source_facet", "size": 10_000}},
        "languages": {"terms": {"field": "lang", "size": 1_000}},
        "first": {"min": {"field": "day"}},
        "last": {"max": {"field": "day"}},
        "undated": {"missing": {"field": "date"}},
    }}
    try:
        res = client.search(index=live, body=body)
        st = client.indices.stats(index=live, metric=["store", "segments"])
        groups = _group_stats(client, live)
    except OSConnectionError as exc:
        raise _unreachable(url, exc) from None
    aggs = res["aggregations"]

    def buckets(name):
        return dict(sorted(((b["key"], b["doc_count"]) for b in aggs[name]["buckets"]),
                           key=lambda kv: (-kv[1], kv[0])))

    sources = buckets("sources")
    stats = st["indices"][live]
    folder = state_dir(index_dir, live)
    state = IndexState.load(folder)
    return {
        "generation": live,
        "documents": res["hits"]["total"]["value"],
        "sources": sources,
        "source_count": len([s for s in sources if s != "unknown"]),
        "date_min": aggs["first"].get("value_as_string", "")[:10] or None,
        "date_max": aggs["last"].get("value_as_string", "")[:10] or None,
        "undated": aggs["undated"]["doc_count"],
        "languages": buckets("languages"),
        "size_bytes": stats["primaries"]["store"]["size_in_bytes"],
        "total_size_bytes": stats["total"]["store"]["size_in_bytes"],
        "segments": stats["primaries"]["segments"]["count"],
        "copy_groups": groups,
        "files": len(state.files) if state else None,
        "corpus": state.corpus if state else None,
        "index_dir": str(index_dir.resolve()),
        "backend": "opensearch",
        "url": url,
        "alias": alias,
    }


def _group_stats(client, index: str, top: int = 5) -> dict:
    """``CopyStore.stats()``'s object, counted in the cluster: every copy group read in
    ``composite`` pages of :data:`GROUP_PAGE` (a ``terms`` aggregation of them all would
    pass the cluster's ``search.max_buckets``, 65,535 by default, past that many groups),
    the groups of two or more kept; titles of the largest groups' first publications read
    from the index."""
    sizes = [(-n, group) for group, n in composite_terms(
        lambda body: client.search(index=index, body=body), "group", GROUP_PAGE) if n >= 2]
    largest = heapq.nsmallest(top, sizes)  # the largest first, then by name
    titles = {}
    if largest:
        got = client.search(index=index, body={"size": len(largest), "_source": ["id", "title"],
                                               "query": {"ids": {"values": [g for _, g in largest]}}})
        titles = {h["_source"]["id"]: h["_source"].get("title") for h in got["hits"]["hits"]}
    return {"groups": len(sizes), "grouped_documents": -sum(n for n, _ in sizes),
            "largest": [{"group": g, "size": -n, "title": titles.get(g) or None} for n, g in largest]}


def live_generation(index_dir, client=None, alias: str | None = None) -> str:
    """The concrete index behind ``alias``; :class:`~searchsvc.engine.NoIndexError` when
    there is none, :class:`~searchsvc.engine.BackendUnavailable` when the cluster cannot
    be reached."""
    client = client or connect()
    alias = alias or mapping.alias_name()
    live = live_index(client, alias, client_url(client))
    if live is None:
        raise NoIndexError(f"aucun index OpenSearch « {alias} » à {client_url(client)} : lancez "
                           "« searchsvc reindex » d'abord.")
    return live
