"""Ingestion. PLACEHOLDER (plain .txt read as-is) until the real package lands."""

from __future__ import annotations

from pathlib import Path

from searchsvc.article import Article

EXTENSIONS = {".txt", ".html", ".htm", ".json", ".jsonl"}


class IngestError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def corpus_files(root) -> list[Path]:
    root = Path(root)
    return sorted(
        p for p in root.rglob("*")
        if p.suffix.lower() in EXTENSIONS and p.name != "manifest.jsonl" and not p.name.endswith(".meta.json")
    )


def load_manifest(root) -> dict:
    return {}


def doc_id(path, root=None) -> str:
    path = Path(path)
    rel = path.relative_to(root) if root else Path(path.name)
    return rel.with_suffix("").as_posix()


def extract(path, root=None, manifest=None) -> list[Article]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"illisible : {exc}") from exc
    if not text.strip():
        raise IngestError("fichier vide")
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    return [Article(id=doc_id(path, root), title=lines[0], text="\n\n".join(lines[1:]),
                    path=str(path.relative_to(root)) if root else path.name, lang="fr")]
