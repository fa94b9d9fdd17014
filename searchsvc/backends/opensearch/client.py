"""The connection to OpenSearch, from the environment, and the one error its failures map to.

``SEARCHSVC_OPENSEARCH_URL``       node URLs, comma-separated (``http://h1:9200,http://h2:9200``);
                                   requests go round them, a node that fails is set aside
                                   and the request retried on another one
``SEARCHSVC_OPENSEARCH_USER``,     basic authentication, or
``SEARCHSVC_OPENSEARCH_PASSWORD``
``SEARCHSVC_OPENSEARCH_API_KEY``   an API key (``Authorization: ApiKey …``)
``SEARCHSVC_OPENSEARCH_CA``        CA file for ``https://`` URLs (TLS verification is on)
``SEARCHSVC_OPENSEARCH_INSECURE``  ``1``: do not verify TLS certificates (a test cluster only)
``SEARCHSVC_OPENSEARCH_TIMEOUT``   seconds a request may take (default 10)
``SEARCHSVC_OPENSEARCH_RETRIES``   other nodes tried after a failed connection (default 3)

A refused or broken connection (a node down) is retried on another node; a timeout is
not: no request waits longer than the timeout for a node that does not answer. A search
that some shards failed to answer (a node lost between the query and fetch phases: the
total is right, hits are missing) is asked again by :func:`search` / :func:`complete`. Every
failure to reach the cluster becomes :class:`BackendUnavailable`, whose French message the
web layer answers with a 503.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterator, Mapping
from urllib.parse import urlsplit, urlunsplit

from searchsvc import engine

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_RETRIES = 3
#: kept connections per node (the service's threads share one client)
POOL_MAXSIZE = 16
#: statuses retried on another node, as the client does by default (gateway, unavailable)
RETRY_ON_STATUS = (502, 503, 504)
#: times a search answered by only some shards is asked again (see :func:`complete`)
PARTIAL_RETRIES = 4


class BackendUnavailable(engine.BackendUnavailable):
    """OpenSearch cannot answer now. ``str()`` is a French sentence for the user."""


class ConfigurationError(BackendUnavailable):
    """The environment does not describe a usable connection (French message)."""


def _public(url: str) -> str:
    """The URL without its user and password, for messages."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def parse_urls(value: str | None) -> list[str]:
    """The node URLs of ``SEARCHSVC_OPENSEARCH_URL`` (:class:`ConfigurationError` if unusable)."""
    urls = [u.strip() for u in (value or "").split(",") if u.strip()]
    if not urls:
        raise ConfigurationError(
            "SEARCHSVC_OPENSEARCH_URL n'est pas défini : indiquez l'URL d'OpenSearch, par "
            "exemple http://127.0.0.1:9200 (plusieurs URL séparées par des virgules).")
    for url in urls:
        parts = urlsplit(url)
        try:
            parts.port
        except ValueError:
            raise ConfigurationError(f"Port invalide dans SEARCHSVC_OPENSEARCH_URL : "
                                     f"« {_public(url)} ».") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                f"URL invalide dans SEARCHSVC_OPENSEARCH_URL : « {_public(url)} » "
                "(attendu : http://hôte:port ou https://hôte:port).")
    return urls


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise ConfigurationError(f"{name} vaut « {raw} » : un nombre entre "
                                 f"{low:g} et {high:g} est attendu.")
    return value


def settings(env: Mapping[str, str] = os.environ) -> dict:
    """The keyword arguments of :class:`opensearchpy.OpenSearch` for ``env``."""
    urls = parse_urls(env.get("SEARCHSVC_OPENSEARCH_URL"))
    kwargs: dict = {
        "hosts": urls,
        "timeout": _number(env, "SEARCHSVC_OPENSEARCH_TIMEOUT", DEFAULT_TIMEOUT_S, 0.1, 3600),
        "max_retries": int(_number(env, "SEARCHSVC_OPENSEARCH_RETRIES", DEFAULT_RETRIES, 0, 20)),
        "retry_on_timeout": False,
        "retry_on_status": RETRY_ON_STATUS,
        "pool_maxsize": POOL_MAXSIZE,
        "verify_certs": True,
    }
    user, password = env.get("SEARCHSVC_OPENSEARCH_USER"), env.get("SEARCHSVC_OPENSEARCH_PASSWORD")
    api_key = env.get("SEARCHSVC_OPENSEARCH_API_KEY")
    if api_key and user:
        raise ConfigurationError("SEARCHSVC_OPENSEARCH_API_KEY et SEARCHSVC_OPENSEARCH_USER sont "
                                 "tous deux définis : choisissez l'un des deux.")
    if user:
        if password is None:
            raise ConfigurationError("SEARCHSVC_OPENSEARCH_USER est défini sans "
                                     "SEARCHSVC_OPENSEARCH_PASSWORD.")
        kwargs["http_auth"] = (user, password)
    elif api_key:
        kwargs["headers"] = {"Authorization": f"ApiKey {api_key}"}
    ca = env.get("SEARCHSVC_OPENSEARCH_CA")
    if ca:
        if not Path(ca).is_file():
            raise ConfigurationError(f"SEARCHSVC_OPENSEARCH_CA : le fichier « {ca} » n'existe pas.")
        kwargs["ca_certs"] = ca
    if (env.get("SEARCHSVC_OPENSEARCH_INSECURE") or "").strip().lower() in ("1", "true", "oui", "yes"):
        kwargs["verify_certs"] = False
        kwargs["ssl_show_warn"] = False  # asked for explicitly: no warning on each request
    return kwargs


def connect(env: Mapping[str, str] = os.environ):
    """An :class:`opensearchpy.OpenSearch` client for ``env`` (no request is sent yet)."""
    from opensearchpy import OpenSearch

    return OpenSearch(**settings(env))


def _connections(client) -> list:
    """Every node's connection, dead ones included (the pool sets those aside)."""
    pool = client.transport.connection_pool
    return list(getattr(pool, "orig_connections", None) or pool.connections)


def _urls_text(client) -> str:
    try:
        conns = _connections(client)
        hosts = [_public(c.host) for c in conns]
    except AttributeError:
        return ""
    return " (" + ", ".join(hosts) + ")" if hosts else ""


def unavailable(exc: BaseException, client=None) -> BackendUnavailable:
    """The :class:`BackendUnavailable` (French message) for an error of the client."""
    from opensearchpy import exceptions as ex

    where = _urls_text(client) if client is not None else ""
    if isinstance(exc, BackendUnavailable):
        return exc
    if isinstance(exc, ex.ConnectionTimeout):
        timeout = ""
        if client is not None:
            conns = _connections(client)
            if conns:
                timeout = f" en {conns[0].timeout:g} s".replace(".", ",")
        return BackendUnavailable(f"OpenSearch n'a pas répondu{timeout}{where} : "
                                  "le moteur de recherche est surchargé ou injoignable.")
    if isinstance(exc, ex.SSLError):
        return BackendUnavailable(
            f"Connexion TLS à OpenSearch impossible{where} : certificat non vérifié ou "
            "refusé (indiquez l'autorité de certification dans SEARCHSVC_OPENSEARCH_CA).")
    if isinstance(exc, ex.ConnectionError):
        return BackendUnavailable(f"OpenSearch est injoignable{where} : aucun nœud du cluster "
                                  "ne répond.")
    if isinstance(exc, ex.AuthenticationException):
        return BackendUnavailable(
            f"OpenSearch refuse l'authentification{where} : vérifiez SEARCHSVC_OPENSEARCH_USER "
            "et SEARCHSVC_OPENSEARCH_PASSWORD, ou SEARCHSVC_OPENSEARCH_API_KEY.")
    if isinstance(exc, ex.AuthorizationException):
        return BackendUnavailable(f"OpenSearch refuse l'accès à cet utilisateur{where}.")
    if isinstance(exc, ex.TransportError):
        status = exc.status_code if isinstance(exc.status_code, int) else None
        code = f" (code {status})" if status else ""
        return BackendUnavailable(f"OpenSearch n'a pas pu répondre{code}{where}.")
    return BackendUnavailable(f"OpenSearch n'a pas pu répondre{where}.")


def cluster_health(client) -> dict:
    """``/_cluster/health``, or :class:`BackendUnavailable` if the cluster cannot answer."""
    from opensearchpy import exceptions as ex

    try:
        return client.cluster.health()
    except ex.TransportError as exc:
        raise unavailable(exc, client) from exc


def _shard_failure(exc) -> bool:
    """A whole search failed because shards failed (a node lost meanwhile): worth asking again."""
    return getattr(exc, "error", None) == "search_phase_execution_exception"


def _part_failed(part: dict) -> bool:
    """A search of a multi-search failed for lost shards (its own error, in a 200
    answer): worth asking again, like :func:`_shard_failure`."""
    return (part.get("error") or {}).get("type") == "search_phase_execution_exception"


def _whole(shards: dict) -> bool:
    """Every shard answered. A shard whose copies are all gone (unassigned) is counted in
    ``total`` but neither in ``failed`` nor in ``successful``: OpenSearch then answers 200
    with ``failed: 0`` and the hits of the other shards only."""
    if not shards:
        return True
    answered = shards.get("successful", 0) + shards.get("skipped", 0)
    return not shards.get("failed") and answered >= shards.get("total", 0)


def complete(method, **kwargs) -> dict:
    """``method(**kwargs)`` (a client call answering with ``_shards``: ``search``,
    ``count``, ``msearch``) answered by every shard. A response with failed or missing
    shards, or a search phase that failed for lost shards (a multi-search's too), is asked again (up to ``PARTIAL_RETRIES`` times, a node
    in turn, as the others take over the lost node's shard copies); after that, and for any
    other error of the client, :class:`BackendUnavailable`."""
    from opensearchpy import exceptions as ex

    client = getattr(method, "__self__", None)
    for attempt in range(PARTIAL_RETRIES + 1):
        try:
            response = method(**kwargs)
        except (ex.NotFoundError, ex.RequestError):
            raise  # no such index, a malformed request: the caller's to say
        except ex.TransportError as exc:
            if attempt < PARTIAL_RETRIES and _shard_failure(exc):
                time.sleep(0.1 * (attempt + 1))
                continue
            raise unavailable(exc, client) from exc
        # a multi-search is whole when each of its searches is
        parts = response.get("responses") if isinstance(response, dict) else None
        if parts is not None and attempt < PARTIAL_RETRIES and any(map(_part_failed, parts)):
            time.sleep(0.1 * (attempt + 1))
            continue
        shards = next((r.get("_shards") or {} for r in parts or () if not _whole(r.get("_shards") or {})),
                      {}) if parts is not None else (response.get("_shards") or {} if isinstance(response, dict) else {})
        if _whole(shards):
            return response
        if attempt < PARTIAL_RETRIES:
            time.sleep(0.1 * (attempt + 1))
    raise BackendUnavailable(
        f"OpenSearch n'a répondu qu'en partie ({shards.get('successful', 0)} fragments de "
        f"l'index sur {shards.get('total', '?')} ont répondu) : un nœud du cluster manque ; "
        "réessayez dans un instant.")


def search(client, **kwargs) -> dict:
    """``client.search(**kwargs)`` answered by every shard (see :func:`complete`)."""
    return complete(client.search, **kwargs)


def composite_terms(send: Callable[[dict], dict], field: str, page: int) -> Iterator[tuple[str, int]]:
    """Every term of ``field`` with its document count, in term order, read in
    ``composite`` pages of ``page`` terms (``send(body)``: one search). One ``terms``
    aggregation of them all would pass the cluster's ``search.max_buckets`` (65,535 by
    default) on a big index; a page's buckets only count against it."""
    after = None
    while True:
        comp = {"size": page, "sources": [{"t": {"terms": {"field": field}}}]}
        if after is not None:
            comp["after"] = after
        agg = send({"size": 0, "aggs": {"t": {"composite": comp}}})["aggregations"]["t"]
        for b in agg["buckets"]:
            yield b["key"]["t"], b["doc_count"]
        after = agg.get("after_key")
        if len(agg["buckets"]) < page or after is None:
            return
