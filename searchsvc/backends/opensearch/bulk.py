"""Writing documents to OpenSearch: a new concrete index per full build, bulk requests,
and the atomic switch of the alias the engine reads (the Whoosh backend's ``CURRENT``).

Contract:
    new_index(client, alias) -> str                  # "<alias>-gen-<n>", created with the mapping
    send(client, index, docs, chunk=500)             # bulk index (raises BulkFailed)
    switch(client, alias, index)                     # alias -> index, atomically; old indexes deleted
    build_from_articles(client, alias, articles) -> str   # a full build of exactly these articles
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from searchsvc.backends.opensearch import mapping

CHUNK = 500


class BulkFailed(RuntimeError):
    """Some documents were refused; French message, the first reasons."""


def generations(client, alias: str) -> list[tuple[int, str]]:
    """``[(n, "<alias>-gen-<n>")]`` of the concrete indexes of ``alias``, oldest first."""
    pattern = re.compile(re.escape(alias) + r"-gen-(\d+)$")
    got = client.indices.get(index=f"{alias}-gen-*", allow_no_indices=True,
                             expand_wildcards="open,closed")
    return sorted((int(m.group(1)), name) for name in got if (m := pattern.match(name)))


def current(client, alias: str) -> str | None:
    """The concrete index the alias points at, or None."""
    if not client.indices.exists_alias(name=alias):
        return None
    names = sorted(client.indices.get_alias(name=alias))
    return names[-1] if names else None


def new_index(client, alias: str) -> str:
    """A new, empty concrete index for a full build (numbered after every existing one)."""
    n = max([k for k, _ in generations(client, alias)] + [0]) + 1
    name = f"{alias}-gen-{n}"
    body = mapping.index_body()
    body["mappings"] = {**body["mappings"], "_meta": {"mapping_version": mapping.MAPPING_VERSION}}
    client.indices.create(index=name, body=body)
    return name


def _actions(index: str, docs: Iterable[dict]) -> Iterator[dict]:
    for doc in docs:
        yield {"_op_type": "index", "_index": index, "_id": doc["id"], "_source": doc}


def send(client, index: str, docs: Iterable[dict], chunk: int = CHUNK) -> int:
    """Index ``docs`` (documents of :func:`mapping.document`) into ``index``; their count."""
    from opensearchpy import helpers

    ok, errors = helpers.bulk(client, _actions(index, docs), chunk_size=chunk,
                              raise_on_error=False, max_retries=3, request_timeout=120)
    if errors:
        first = "; ".join(str(e)[:200] for e in errors[:3])
        raise BulkFailed(f"OpenSearch a refusé {len(errors)} document(s) : {first}")
    return ok


def switch(client, alias: str, index: str) -> None:
    """Point ``alias`` at ``index`` in one request, then delete the indexes it left."""
    old = [name for _, name in generations(client, alias) if name != index]
    actions = [{"add": {"index": index, "alias": alias}}]
    attached = client.indices.get_alias(name=alias) if client.indices.exists_alias(name=alias) else {}
    actions = [{"remove": {"index": name, "alias": alias}} for name in attached if name != index] + actions
    client.indices.update_aliases(body={"actions": actions})
    for name in old:
        client.indices.delete(index=name, ignore_unavailable=True)


def documents(articles: Iterable, enricher=None) -> tuple[list[dict], list]:
    """The OpenSearch documents of ``articles`` (copy groups assigned over all of them)
    and their copy records."""
    from searchsvc.backends.whoosh.indexer.schema import article_fields
    from searchsvc.enrich import copies

    fields, records = [], []
    for art in articles:
        f = article_fields(art)
        if enricher is not None:
            f.update(enricher.fields(art))
        fields.append(f)
        r = copies.record(art)
        if r is not None:
            records.append(r)
    groups = group_ids(records)
    return [mapping.document(f, groups.get(f["id"])) for f in fields], records


def group_ids(records: list) -> dict[str, str]:
    """Article id -> its copy group's id, for the articles that have copies."""
    from collections import Counter

    import numpy as np

    from searchsvc.enrich import copies

    if not records:
        return {}
    ids = [r.id for r in records]
    got = copies.assign_groups(ids, [r.date for r in records], np.stack([r.sig for r in records]),
                               np.array([r.size for r in records]))
    sizes = Counter(got)
    return {i: g for i, g in zip(ids, got) if sizes[g] > 1}


def build_from_articles(client, alias: str, articles: Iterable, enricher=None) -> str:
    """A full build holding exactly ``articles`` (tests, benchmarks): a new index, the
    documents, a refresh, the alias switched; returns the new index's name. On any
    failure the new index is deleted and the alias left as it was."""
    docs, _ = documents(articles, enricher)
    name = new_index(client, alias)
    try:
        send(client, name, docs)
        client.indices.refresh(index=name)
        switch(client, alias, name)
    except BaseException:
        client.indices.delete(index=name, ignore_unavailable=True)
        raise
    return name
