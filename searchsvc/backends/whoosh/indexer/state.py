"""What an incremental reindex needs to know about each indexed file.

``gen-<n>/state.json`` maps each corpus file (path relative to the corpus
root) to its *signature* (size and mtime of the file and of its sidecar
metadata files, digest of its manifest entry), its *content hash* (file bytes
+ sidecar bytes + manifest entry) and the document ids it produced. A file
whose signature is unchanged is not read at all; one whose signature changed
is hashed, and re-extracted only when the hash differs. The state is written
after Whoosh's commit: if a run dies in between, the next run redoes those
files (idempotently: ids are deleted before being added again).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from searchsvc.backends.whoosh.indexer.store import write_atomic, write_checksums

STATE_NAME = "state.json"
STATE_FORMAT = 1
_CHUNK = 1 << 20


def _sidecar_names(path: str) -> tuple[str, ...]:
    """``ARTICLE.meta.json`` and ``ARTICLE.txt.meta.json`` for ``ARTICLE.txt``."""
    return (os.path.splitext(path)[0] + ".meta.json", path + ".meta.json")


def sidecars(path) -> list[Path]:
    """Sidecar metadata files that may describe ``path`` (those that exist)."""
    return [Path(p) for p in _sidecar_names(os.fspath(path)) if os.path.isfile(p)]


def manifest_entry(manifest: dict, rel: str, doc_id=None):
    """The manifest entry of a file (keyed by document id), or None.

    Looked up by the path without extension (the usual id), the path, the id
    computed by ``doc_id()`` (a callable, only called when needed), the file
    name and its stem.
    """
    if not manifest:
        return None
    noext = os.path.splitext(rel)[0]
    if noext in manifest:
        return manifest[noext]
    if rel in manifest:
        return manifest[rel]
    ident = doc_id() if callable(doc_id) else doc_id
    name = rel.rsplit("/", 1)[-1]
    for key in (ident, name, os.path.splitext(name)[0]):
        if key is not None and key in manifest:
            return manifest[key]
    return None


def _entry_digest(entry) -> str:
    if entry is None:
        return ""
    blob = json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(blob.encode("utf-8"), digest_size=8).hexdigest()


def manifest_digest(corpus_dir) -> str:
    """Digest of the corpus's ``manifest.jsonl`` bytes ("" when there is none): while it
    is the one a state recorded, every file's manifest entry is the one it recorded."""
    from searchsvc.ingest.meta import MANIFEST_NAME

    h = hashlib.blake2b(digest_size=16)
    try:
        with open(os.path.join(corpus_dir, MANIFEST_NAME), "rb") as f:
            while block := f.read(_CHUNK):
                h.update(block)
    except FileNotFoundError:
        return ""
    return h.hexdigest()


def signature(path: Path, entry, *, entry_digest: str | None = None,
              sidecars: set | None = None) -> list | None:
    """Cheap change detector: stat of the file and its sidecars, manifest digest.

    None when the file cannot be stat'ed (it will be re-extracted, and
    ingestion gives the reason). ``entry_digest`` stands for the digest of
    ``entry`` when the caller knows it (the manifest did not change);
    ``sidecars`` (the sidecar paths a listing of the corpus found, see
    :func:`searchsvc.ingest.corpus_files`) saves looking for absent ones.
    """
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except OSError:
        return None
    side = []
    for name in _sidecar_names(path):
        if sidecars is not None and name not in sidecars:
            continue
        try:
            sst = os.stat(name)
        except OSError:
            continue
        if stat.S_ISREG(sst.st_mode):
            side.append([os.path.basename(name), sst.st_size, sst.st_mtime_ns])
    return [st.st_size, st.st_mtime_ns, side,
            _entry_digest(entry) if entry_digest is None else entry_digest]


def skip_signature(path: Path, entry, **known) -> list | None:
    """Signature of a skipped file: also its ctime, so that a chmod makes it retried."""
    sig = signature(path, entry, **known)
    if sig is None:
        return None
    try:
        return sig + [os.stat(path).st_ctime_ns]
    except OSError:
        return None


def content_hash(path: Path, entry) -> str:
    """Hash of the file's bytes, its sidecars' bytes and its manifest entry."""
    h = hashlib.blake2b(digest_size=16)
    buf = bytearray(_CHUNK)
    view = memoryview(buf)

    def feed(p):
        with open(p, "rb", buffering=0) as f:
            while n := f.readinto(buf):
                h.update(view[:n])

    feed(path)
    for s in sidecars(path):
        h.update(b"\0sidecar\0" + s.name.encode("utf-8", "surrogateescape") + b"\0")
        feed(s)
    if entry is not None:
        h.update(b"\0manifest\0" + _entry_digest(entry).encode())
    return h.hexdigest()


@dataclass
class FileRecord:
    """One corpus file as last indexed."""

    sig: list | None
    hash: str
    ids: list[str] = field(default_factory=list)

    def to_json(self):
        return [self.sig, self.hash, self.ids]

    @classmethod
    def from_json(cls, v):
        return cls(v[0], v[1], list(v[2]))


@dataclass
class IndexState:
    """``files``: indexed files; ``skipped``: path -> [skip signature, reason, kind]
    for files that could not be indexed (kind ``bad``, or ``dup`` for an id
    clash), not retried until their signature changes (``dup``: until any file
    changes). ``manifest``: :func:`manifest_digest` of the manifest every signature
    was computed with, when it could be read (else None)."""

    fingerprint: str
    corpus: str
    files: dict[str, FileRecord] = field(default_factory=dict)
    skipped: dict[str, list] = field(default_factory=dict)
    manifest: str | None = None

    def save(self, gen_dir) -> None:
        data = {
            "format": STATE_FORMAT,
            "fingerprint": self.fingerprint,
            "corpus": self.corpus,
            "files": {rel: rec.to_json() for rel, rec in sorted(self.files.items())},
            "skipped": dict(sorted(self.skipped.items())),
            "manifest": self.manifest,
        }
        write_checksums(gen_dir)  # saved after each commit: the files as committed
        write_atomic(Path(gen_dir) / STATE_NAME,
                     json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    @classmethod
    def load(cls, gen_dir) -> "IndexState | None":
        """The saved state, or None when missing, unreadable or of another format."""
        try:
            data = json.loads((Path(gen_dir) / STATE_NAME).read_bytes())
            if data.get("format") != STATE_FORMAT:
                return None
            files = {rel: FileRecord.from_json(v) for rel, v in data["files"].items()}
            skipped = {rel: list(v) for rel, v in data.get("skipped", {}).items()}
            manifest = data.get("manifest")
            return cls(data["fingerprint"], data["corpus"], files, skipped,
                       manifest if isinstance(manifest, str) else None)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None
