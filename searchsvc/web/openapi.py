"""The OpenAPI 3.1 description of the JSON API (served at ``/api/openapi.json``).

Schemas are JSON Schema 2020-12, so the tests validate real responses
against them with ``jsonschema``.
"""

from __future__ import annotations

import copy

from searchsvc.search.filters import openapi_parameters

NULLABLE_STR = {"type": ["string", "null"]}
DATE_OR_NULL = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$"}
# The metadata every article shape shares (search hits, documents, similar articles).
ARTICLE_META = {
    "id": {"type": "string", "minLength": 1},
    "title": NULLABLE_STR,
    "source": NULLABLE_STR,
    "date": DATE_OR_NULL,
    "url": NULLABLE_STR,
    "lang": NULLABLE_STR,
    "author": {**NULLABLE_STR, "description": "Auteur(s) selon la signature de l'article, séparés par des virgules."},
}


def _json(schema_ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


def _error(description: str) -> dict:
    return _json("Error", description)


_PARAM = lambda name, description, schema, **kw: {  # noqa: E731
    "name": name, "in": "query", "required": False, "description": description, "schema": schema, **kw}

SEARCH_PARAMETERS = [
    _PARAM("q", "Texte de la recherche : mots, \"expressions\" (formes voisines comprises), "
           "=\"expression\" ou =mot (telle qu'écrite), -exclusion, OR, title:, source:, préfixe*.",
           {"type": "string"}),
    _PARAM("sort", "Ordre des résultats.", {"type": "string", "enum": ["relevance", "newest", "oldest"],
                                             "default": "relevance"}),
    _PARAM("page", "Page (à partir de 1).", {"type": "integer", "minimum": 1, "default": 1}),
    _PARAM("per_page", "Résultats par page.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}),
    _PARAM("copies", "« collapse » : un résultat par groupe de copies (le mieux classé) ; « all » : "
           "toutes les copies.", {"type": "string", "enum": ["collapse", "all"], "default": "collapse"}),
    _PARAM("count", "Ce que comptent les facettes : « articles » ou « stories » (un groupe de copies "
           "compte une fois).", {"type": "string", "enum": ["articles", "stories"], "default": "articles"}),
    # the filter set of every view (searchsvc.search.filters): sources, languages, dates,
    # years, person/org/place, exact mode
    *openapi_parameters(),
]

# One member of a copy group (a hit's other copies, a document's versions).
COPY_MEMBER = {
    "type": "object", "required": ["id", "source", "date", "url"],
    "properties": {"id": {"type": "string", "minLength": 1}, "title": NULLABLE_STR,
                   "source": NULLABLE_STR, "date": DATE_OR_NULL, "url": NULLABLE_STR},
}

_DOC_ID = {"name": "id", "in": "path", "required": True,
           "description": "Identifiant de l'article (jamais un chemin de fichier).",
           "schema": {"type": "string"}}

_BEARER = [{"adminToken": []}]
#: a batch list with at least one line to search (not blank, not a "#" comment)
_A_LINE = r"(^|\n)[ \t]*[^\s#]"

#: the 503 of every endpoint that reads the index
_UNAVAILABLE = ("Aucun index n'est encore disponible (no_index), ou l'index en service est "
                "endommagé (index_damaged).")


_DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "searchsvc",
        "version": "0.1.0",
        "description": "Recherche plein texte dans des articles de presse en français. "
                       "Les erreurs ont toujours la forme {\"error\": {\"code\", \"message\"}}.",
    },
    "paths": {
        "/api/search": {"get": {
            "operationId": "search",
            "summary": "Rechercher des articles",
            "parameters": SEARCH_PARAMETERS,
            "responses": {
                "200": _json("SearchResult", "Résultats, facettes et suggestion."),
                "400": _error("Paramètre invalide (page 0, per_page 1000, date impossible, tri inconnu…)."),
                "503": _error(_UNAVAILABLE),
            },
        }},
        "/api/documents/{id}": {"get": {
            "operationId": "getDocument",
            "summary": "Un article nettoyé et ses métadonnées",
            "parameters": [_DOC_ID, _PARAM("q", "Requête dont les mots sont surlignés dans « highlighted ».",
                                            {"type": "string"}),
                           *[p for p in openapi_parameters() if p["name"] == "exact"]],
            "responses": {
                "200": _json("Document", "L'article."),
                "400": _error("« exact » invalide."),
                "404": _error("Identifiant inconnu."),
                "503": _error(_UNAVAILABLE),
            },
        }},
        "/api/documents/{id}/similar": {"get": {
            "operationId": "getSimilar",
            "summary": "Articles similaires",
            "parameters": [_DOC_ID, _PARAM("limit", "Nombre d'articles (1 à 20).",
                                            {"type": "integer", "minimum": 1, "maximum": 20, "default": 5})],
            "responses": {
                "200": _json("SimilarList", "Articles proches, sans l'article lui-même."),
                "400": _error("« limit » invalide."),
                "404": _error("Identifiant inconnu."),
                "503": _error(_UNAVAILABLE),
            },
        }},
        "/api/documents/{id}/copies": {"get": {
            "operationId": "getCopies",
            "summary": "Les autres versions de l'article (groupe de copies) et leurs différences",
            "parameters": [_DOC_ID, _PARAM("compare", "Identifiant d'une autre version : différences "
                                            "de cet article à celle-ci.", {"type": "string"})],
            "responses": {
                "200": _json("Versions", "Le groupe, première publication d'abord."),
                "400": _error("« compare » n'est pas une autre version de cet article."),
                "404": _error("Identifiant inconnu."),
                "503": _error("Aucun index n'est encore disponible."),
            },
        }},
        "/api/concordance": {"get": {
            "operationId": "concordance",
            "summary": "Concordance : chaque occurrence des mots de la recherche dans son contexte",
            "parameters": [p for p in SEARCH_PARAMETERS if p["name"] not in ("sort", "page", "per_page")] + [
                _PARAM("sort", "Ordre : des articles (relevance, newest, oldest) ou des lignes par le mot "
                       "avant (left) ou après (right) l'occurrence.",
                       {"type": "string", "enum": ["relevance", "newest", "oldest", "left", "right"],
                        "default": "relevance"}),
                _PARAM("page", "Page de lignes (à partir de 1).", {"type": "integer", "minimum": 1, "default": 1}),
                _PARAM("per_page", "Lignes par page.", {"type": "integer", "minimum": 1, "maximum": 500,
                                                        "default": 50}),
                _PARAM("format", "json, ou csv (toutes les lignes, en pièce jointe).",
                       {"type": "string", "enum": ["json", "csv"], "default": "json"}),
            ],
            "responses": {
                "200": {**_json("Concordance", "Une page de lignes (JSON) ou toutes les lignes (CSV)."),
                        "content": {**_json("Concordance", "")["content"],
                                    "text/csv": {"schema": {"type": "string"}}}},
                "400": _error("Paramètre invalide."),
                "503": _error(_UNAVAILABLE),
            },
        }},
        "/api/export": {"get": {
            "operationId": "export",
            "summary": "Export complet (sans limite) des articles trouvés, en flux CSV ou JSON Lines",
            "description": "Une ligne par article trouvé (toutes les copies ; « group » nomme le groupe), "
                           "dans l'ordre de la recherche. Première ligne : commentaire « # » (CSV) ou objet "
                           "{\"header\": ExportHeader} (JSONL) ; puis des ExportRow. L'en-tête X-Total-Count "
                           "donne le nombre de lignes.",
            "parameters": [p for p in SEARCH_PARAMETERS if p["name"] not in ("page", "per_page")] + [
                _PARAM("format", "csv (défaut) ou jsonl.", {"type": "string", "enum": ["csv", "jsonl"],
                                                            "default": "csv"}),
            ],
            "responses": {
                "200": {"description": "Le flux, en pièce jointe.", "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/x-ndjson": {"schema": {"type": "string"}}}},
                "400": _error("Paramètre invalide."),
                "503": _error(_UNAVAILABLE + " Ou trop d'exports en cours (too_many_exports, Retry-After)."),
            },
        }},
        "/api/batch": {"post": {
            "operationId": "batch",
            "summary": "Recherche par lot : chaque ligne (nom, expression ; 500 au plus) cherchée à son tour",
            "description": "La liste vient du corps : JSON {\"lines\": [str] | str, filtres…}, ou formulaire "
                           "(champ « lines » ou fichier « file »). Chaque ligne est cherchée comme une "
                           "expression exacte sauf si elle contient une syntaxe de requête (ou as_written=1).",
            "parameters": [p for p in SEARCH_PARAMETERS if p["name"] not in ("q", "page", "per_page")] + [
                _PARAM("format", "json (défaut) ou csv : tous les articles trouvés, chacun avec sa ligne.",
                       {"type": "string", "enum": ["json", "csv"], "default": "json"}),
                _PARAM("hits", "Premiers articles donnés par ligne (0 à 20).",
                       {"type": "integer", "minimum": 0, "maximum": 20, "default": 3}),
                _PARAM("as_written", "1 : chercher chaque ligne telle quelle (défaut 0 : chaque ligne "
                       "comme une expression exacte, sauf syntaxe de requête).",
                       {"type": "string", "enum": ["0", "1", "true", "false", "oui", "non", "on", "off"],
                        "default": "0"}),
            ],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "lines": {"oneOf": [{"type": "string", "pattern": _A_LINE},
                                        {"type": "array", "items": {"type": "string"}, "minItems": 1,
                                         "maxItems": 500, "contains": {"type": "string",
                                                                       "pattern": _A_LINE}}]}}}},
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "lines": {"type": "string"}, "file": {"type": "string", "format": "binary"}}}},
                "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                    "lines": {"type": "string"}}}}}},
            "responses": {
                "200": {**_json("BatchResult", "Pour chaque ligne : total et premiers articles (JSON), ou "
                                "le CSV de tous les articles trouvés."),
                        "content": {**_json("BatchResult", "")["content"],
                                    "text/csv": {"schema": {"type": "string"}}}},
                "400": _error("Liste absente, vide, de plus de 500 lignes ; paramètre invalide."),
                "413": _error("Corps de plus de 64 Ko."),
                "503": _error(_UNAVAILABLE + " Ou trop d'exports en cours (too_many_exports)."),
            },
        }},
        "/feeds/search.atom": {"get": {
            "operationId": "searchFeed",
            "summary": "Flux Atom des articles les plus récents d'une recherche (50)",
            "parameters": [p for p in SEARCH_PARAMETERS if p["name"] not in ("sort", "page", "per_page")],
            "responses": {
                "200": {"description": "Document Atom (RFC 4287), dates RFC 3339.",
                        "content": {"application/atom+xml": {"schema": {"type": "string"}}}},
                "400": {"description": "Paramètre invalide (page d'erreur HTML)."},
                "503": {"description": _UNAVAILABLE + " (page d'erreur HTML)."},
            },
        }},
        "/healthz": {"get": {
            "operationId": "health",
            "summary": "État du service",
            "responses": {
                "200": _json("Health", "Le service répond et un index est chargé."),
                "503": _json("Health", "Aucun index n'est encore disponible (no_index), ou "
                                       "l'index en service est endommagé (damaged)."),
            },
        }},
        "/api/reindex": {"post": {
            "operationId": "startReindex",
            "summary": "Lancer une réindexation en arrière-plan",
            "security": _BEARER,
            "parameters": [_PARAM("full", "Reconstruction complète (nouvelle génération) si vrai.",
                                  {"type": "boolean", "default": False})],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"full": {"type": "boolean"}}}}}},
            "responses": {
                "202": _json("ReindexAccepted", "Réindexation lancée ; suivez-la à « status_url »."),
                "401": _error("Jeton absent ou invalide."),
                "403": _error("Réindexation par l'API désactivée (SEARCHSVC_ADMIN_TOKEN non défini)."),
                "409": _error("Une réindexation est déjà en cours."),
            },
        }},
        "/api/reindex/status": {"get": {
            "operationId": "reindexStatus",
            "summary": "État de la dernière réindexation lancée par l'API",
            "security": _BEARER,
            "responses": {
                "200": _json("ReindexStatus", "État courant."),
                "401": _error("Jeton absent ou invalide."),
                "403": _error("Réindexation par l'API désactivée (SEARCHSVC_ADMIN_TOKEN non défini)."),
            },
        }},
        "/api/openapi.json": {"get": {
            "operationId": "openapi",
            "summary": "Ce document",
            "responses": {"200": {"description": "Document OpenAPI 3.1.",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }},
    },
    "components": {
        "securitySchemes": {"adminToken": {
            "type": "http", "scheme": "bearer",
            "description": "Jeton défini par SEARCHSVC_ADMIN_TOKEN au lancement du service."}},
        "schemas": {
            "Error": {
                "type": "object", "required": ["error"], "additionalProperties": False,
                "properties": {"error": {
                    "type": "object", "required": ["code", "message"], "additionalProperties": False,
                    "properties": {
                        "code": {"type": "string", "minLength": 1},
                        "message": {"type": "string", "minLength": 1},
                        "field": {"type": "string", "description": "Paramètre en cause, s'il y en a un."},
                    }}},
            },
            "Hit": {
                "type": "object", "additionalProperties": False,
                "required": ["id", "title", "title_html", "source", "date", "url", "lang", "score",
                             "snippet", "partial", "group", "copies"],
                "properties": {
                    **ARTICLE_META,
                    "title_html": {"type": ["string", "null"],
                                   "description": "Titre en HTML : texte échappé, mots trouvés dans <mark>."},
                    "score": {"type": ["number", "null"]},
                    "snippet": {"type": "string",
                                "description": "Extrait HTML : texte échappé, mots trouvés dans <mark>."},
                    "group": {"type": "string", "description": "Groupe de copies : identifiant de sa "
                              "première publication (celui de l'article s'il est seul)."},
                    "copies": {
                        "type": "object", "required": ["count", "items"], "additionalProperties": False,
                        "description": "Les autres copies du groupe (première publication d'abord), "
                                       "au plus 5 dans « items ».",
                        "properties": {"count": {"type": "integer", "minimum": 0},
                                       "items": {"type": "array", "maxItems": 5, "items": COPY_MEMBER}}},
                    "partial": {"type": "boolean",
                                "description": "Vrai : l'article ne contient qu'une partie des mots "
                                               "(compté dans total_partial, classé après les autres)."},
                },
            },
            "FacetValue": {
                "type": "object", "required": ["value", "count"], "additionalProperties": False,
                "properties": {"value": NULLABLE_STR, "count": {"type": "integer", "minimum": 0}},
            },
            "SearchResult": {
                "type": "object", "additionalProperties": False,
                "required": ["query", "total", "total_stories", "total_partial", "page", "per_page",
                             "took_ms", "results", "facets", "facets_count", "copies", "suggestion",
                             "notes"],
                "properties": {
                    "query": {"type": "string"},
                    "total": {"type": "integer", "minimum": 0,
                              "description": "Articles contenant tous les mots de la requête (les requêtes "
                                             "longues : le nombre de mots indiqué dans « notes »)."},
                    "total_partial": {"type": "integer", "minimum": 0,
                                      "description": "Articles contenant une partie des mots seulement."},
                    "total_stories": {"type": "integer", "minimum": 0,
                                      "description": "Groupes de copies distincts parmi les articles trouvés."},
                    "facets_count": {"type": "string", "enum": ["articles", "stories"]},
                    "copies": {"type": "string", "enum": ["collapse", "all"]},
                    "page": {"type": "integer", "minimum": 1},
                    "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
                    "took_ms": {"type": "number", "minimum": 0},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                    "facets": {
                        "type": "object", "required": ["source", "year", "month", "lang"],
                        "properties": {k: {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}}
                                       for k in ("source", "year", "month", "lang")},
                    },
                    "suggestion": NULLABLE_STR,
                    "notes": {"type": "array", "items": {"type": "string"},
                              "description": "Remarques en français : règle des requêtes longues, temps de "
                                             "calcul dépassé (résultats incomplets)…"},
                },
            },
            "Document": {
                "type": "object",
                "required": ["id", "title", "source", "date", "url", "lang", "text"],
                "properties": {
                    **ARTICLE_META,
                    "title_html": {"type": ["string", "null"],
                                   "description": "Avec ?q= : titre en HTML échappé, mots trouvés dans <mark>."},
                    "text": {"type": "string", "description": "Texte nettoyé, paragraphes séparés par une ligne vide."},
                    "highlighted": {"type": "array", "items": {"type": "string"},
                                    "description": "Avec ?q= : paragraphes en HTML échappé, mots trouvés dans <mark>."},
                },
            },
            "SimilarList": {
                "type": "object", "required": ["id", "results"], "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "results": {"type": "array", "items": {
                        "type": "object", "required": ["id", "title"],
                        "properties": {**ARTICLE_META, "score": {"type": ["number", "null"]}}}},
                },
            },
            "Versions": {
                "type": "object", "required": ["id", "group", "versions", "compare", "diff"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "group": {"type": "string"},
                    "versions": {"type": "array", "items": {
                        **COPY_MEMBER, "required": COPY_MEMBER["required"] + ["first"],
                        "properties": {**COPY_MEMBER["properties"], "first": {
                            "type": "boolean", "description": "Première publication du groupe."}}}},
                    "compare": NULLABLE_STR,
                    "diff": {"type": ["object", "null"], "required": ["ops", "summary"], "properties": {
                        "ops": {"type": "array", "items": {
                            "type": "object", "required": ["op", "html"],
                            "properties": {"op": {"enum": ["same", "added", "removed", "changed"]},
                                           "html": {"type": "string", "description":
                                                    "Phrase en HTML échappé ; seules balises <del> et <ins>."}}}},
                        "summary": {"type": "object", "additionalProperties": {"type": "integer"}}}},
                },
            },
            "Concordance": {
                "type": "object", "additionalProperties": False,
                "required": ["query", "total", "articles", "page", "per_page", "sort", "lines", "notes"],
                "properties": {
                    "query": {"type": "string"},
                    "total": {"type": "integer", "minimum": 0, "description": "Occurrences en tout."},
                    "articles": {"type": "integer", "minimum": 0, "description": "Articles trouvés (total de la recherche)."},
                    "page": {"type": "integer", "minimum": 1},
                    "per_page": {"type": "integer", "minimum": 0},
                    "sort": {"type": "string", "enum": ["relevance", "newest", "oldest", "left", "right"]},
                    "lines": {"type": "array", "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["id", "left", "match", "right", "source", "date"],
                        "properties": {"id": {"type": "string", "minLength": 1},
                                       "left": {"type": "string", "description": "Texte brut (non HTML) avant l'occurrence, environ 60 caractères."},
                                       "match": {"type": "string", "minLength": 1,
                                                 "description": "L'occurrence telle qu'écrite (une expression entière)."},
                                       "right": {"type": "string"},
                                       "source": NULLABLE_STR, "date": DATE_OR_NULL}}},
                    "notes": {"type": "array", "items": {"type": "string"}},
                },
            },
            "ExportHeader": {
                "type": "object", "additionalProperties": False,
                "required": ["query", "filters", "parameters", "generation", "exported_at", "total",
                             "columns", "notes"],
                "properties": {
                    "query": {"type": "string"},
                    "filters": {"type": "object", "description": "Chaque paramètre qui a changé les lignes "
                                "ou leur ordre (filtres donnés, mode exact, tri, copies, count)."},
                    "parameters": {"type": "string", "description": "Les mêmes, avec la requête, en "
                                   "chaîne de requête d'URL : /api/export?<parameters> redonne les mêmes lignes."},
                    "generation": {"type": "string"},
                    "exported_at": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"},
                    "total": {"type": "integer", "minimum": 0},
                    "columns": {"type": "array", "items": {"type": "string"}},
                    "notes": {"type": "array", "items": {"type": "string"}},
                },
            },
            "ExportRow": {
                "type": "object", "additionalProperties": False,
                "required": ["id", "title", "source", "date", "url", "lang", "score", "group", "snippet"],
                "properties": {**ARTICLE_META, "score": {"type": ["number", "null"]},
                               "group": {"type": "string"},
                               "snippet": {"type": "string", "description": "Extrait en texte brut."}},
            },
            "BatchResult": {
                "type": "object", "additionalProperties": False,
                "required": ["total_lines", "matched_lines", "lines", "notes"],
                "properties": {
                    "total_lines": {"type": "integer", "minimum": 1, "description": "Lignes de la liste "
                                    "(« lines » peut en donner moins : voir « notes »)."},
                    "notes": {"type": "array", "items": {"type": "string"}},
                    "matched_lines": {"type": "integer", "minimum": 0},
                    "lines": {"type": "array", "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["line", "text", "query", "total", "total_stories", "hits", "notes"],
                        "properties": {
                            "line": {"type": "integer", "minimum": 1, "description": "Numéro de la ligne dans la liste."},
                            "text": {"type": "string"}, "query": {"type": "string"},
                            "total": {"type": "integer", "minimum": 0},
                            "total_stories": {"type": "integer", "minimum": 0},
                            "hits": {"type": "array", "items": {
                                "type": "object", "required": ["id", "title", "source", "date", "score"],
                                "properties": {"id": {"type": "string"}, "title": NULLABLE_STR,
                                               "source": NULLABLE_STR, "date": DATE_OR_NULL,
                                               "score": {"type": ["number", "null"]}}}},
                            "notes": {"type": "array", "items": {"type": "string"}}}}},
                },
            },
            "Health": {
                "type": "object", "required": ["status", "documents", "generation"],
                "properties": {
                    "status": {"type": "string", "enum": ["ok", "no_index", "damaged"]},
                    "documents": {"type": "integer", "minimum": 0},
                    "generation": NULLABLE_STR,
                    "message": {"type": "string"},
                },
            },
            "ReindexAccepted": {
                "type": "object", "required": ["status", "full", "status_url"], "additionalProperties": False,
                "properties": {"status": {"const": "started"}, "full": {"type": "boolean"},
                               "status_url": {"type": "string"}},
            },
            "ReindexStatus": {
                "type": "object",
                "required": ["state", "full", "started_at", "finished_at", "duration_s", "report", "error"],
                "properties": {
                    "state": {"type": "string", "enum": ["idle", "running", "done", "failed"]},
                    "full": {"type": ["boolean", "null"]},
                    "started_at": NULLABLE_STR,
                    "finished_at": NULLABLE_STR,
                    "duration_s": {"type": ["number", "null"]},
                    "report": {"type": ["object", "null"], "description": "Bilan de searchsvc reindex."},
                    "error": NULLABLE_STR,
                },
            },
        },
    },
}


# -- entities and quotes (searchsvc.backends.whoosh.entities) ------------------------------------
_ENTITY_LISTS = {k: {"type": "array", "items": {"type": "string"}} for k in ("person", "org", "place")}
_schemas = _DOCUMENT["components"]["schemas"]
_facets = _schemas["SearchResult"]["properties"]["facets"]
_facets["properties"].update({k: {"type": "array", "maxItems": 20,
                                  "items": {"$ref": "#/components/schemas/FacetValue"}}
                              for k in ("person", "org", "place")})
_QUOTE = {"type": "object", "required": ["text", "speaker", "position"],
          "properties": {"text": {"type": "string", "minLength": 1},
                         "speaker": {**NULLABLE_STR, "description": "Personne ou organisation nommée par "
                                     "l'article ; null si l'auteur n'est pas nommé."},
                         "role": {**NULLABLE_STR, "description": "L'auteur tel que l'article le désigne "
                                  "quand il ne le nomme pas (« une manifestante »)."},
                         "position": {"type": "integer", "minimum": 0,
                                      "description": "Position du premier caractère de la citation dans le "
                                                     "texte de l'article (0 pour une citation du titre)."},
                         "title": {"type": "boolean", "description": "Citation du titre de l'article."},
                         "id": {"type": "string"}}}
_NOTES = {"type": "array", "items": {"type": "string"},
          "description": "Remarques en français : entités et citations non extraites pour cet index "
                         "(construit avec --no-entities) et comment les obtenir."}
_schemas["Document"]["properties"].update({
    "entities": {"type": "object", "required": ["person", "org", "place"], "properties": _ENTITY_LISTS,
                 "description": "Personnes, organisations et lieux de l'article (formes canoniques)."},
    "quotes": {"type": "array", "items": _QUOTE, "description": "Citations directes et leur auteur."},
    "entities_extracted": {"type": "boolean", "description": "Faux pour un index construit avec "
                           "--no-entities (entités et citations non extraites)."},
})
_schemas["EntityTable"] = {
    "type": "object", "required": ["kind", "total", "entities", "cooccurrence", "query"],
    "additionalProperties": False,
    "properties": {
        "query": {"type": "string"},
        "kind": {"enum": ["person", "org", "place"]},
        "total": {"type": "integer", "minimum": 0, "description": "Articles trouvés."},
        "entities": {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}},
        "cooccurrence": {"type": "array", "description": "Paires d'entités citées dans les mêmes articles.",
                         "items": {"type": "object", "required": ["a", "b", "count"],
                                   "properties": {"a": {"type": "string"}, "b": {"type": "string"},
                                                  "count": {"type": "integer", "minimum": 1}}}},
        "notes": _NOTES,
    },
}
_schemas["QuoteList"] = {
    "type": "object", "required": ["total", "quotes"], "additionalProperties": False,
    "properties": {"total": {"type": "integer", "minimum": 0}, "notes": _NOTES,
                   "quotes": {"type": "array", "items": {
                       "type": "object", "required": ["text", "speaker", "id", "position", "title", "source",
                                                      "date"],
                       "properties": {**{k: v for k, v in _QUOTE["properties"].items() if k != "title"},
                                      "title": {**NULLABLE_STR, "description": "Titre de l'article."},
                                      "source": NULLABLE_STR, "date": NULLABLE_STR,
                                      "title_quote": {"type": "boolean",
                                                      "description": "Citation du titre de l'article."}}}}},
}
_LIMIT = lambda default, hi: _PARAM("limit", f"Nombre d'éléments (1 à {hi}).",  # noqa: E731
                                    {"type": "integer", "minimum": 1, "maximum": hi, "default": default})
_DOCUMENT["paths"]["/api/entities"] = {"get": {
    "operationId": "entities",
    "summary": "Les entités d'un ensemble de résultats, leurs effectifs et leurs co-occurrences",
    "parameters": SEARCH_PARAMETERS + [
        _PARAM("kind", "Sorte d'entité.", {"enum": ["person", "org", "place"], "default": "person"}),
        _LIMIT(50, 200)],
    "responses": {"200": _json("EntityTable", "Entités par nombre d'articles, paires d'entités."),
                  "400": _error("Paramètre invalide."), "503": _error(_UNAVAILABLE)},
}}
_DOCUMENT["paths"]["/api/quotes"] = {"get": {
    "operationId": "quotes",
    "summary": "Citations directes des articles trouvés contenant les mots de la requête",
    "parameters": SEARCH_PARAMETERS + [
        _PARAM("speaker", "Auteur de la citation (mot à mot, sans accents ni majuscules).",
               {"type": "string"}), _LIMIT(20, 100)],
    "responses": {"200": _json("QuoteList", "Citations, meilleurs articles d'abord."),
                  "400": _error("Paramètre invalide."), "503": _error(_UNAVAILABLE)},
}}


# -- analytics: timeline and characteristic terms (searchsvc.analytics) ---------------------

_BUCKET = {
    "type": "object", "required": ["start", "end", "count", "stories", "share"], "additionalProperties": False,
    "properties": {
        "start": {"type": "string", "format": "date", "description": "Premier jour de la période."},
        "end": {"type": "string", "format": "date", "description": "Dernier jour de la période (inclus)."},
        "count": {"type": "integer", "minimum": 0, "description": "Articles trouvés datés de la période."},
        "stories": {"type": "integer", "minimum": 0,
                    "description": "Histoires : un groupe de copies compte une fois dans la période."},
        "share": {"type": "number", "minimum": 0, "maximum": 1,
                  "description": "count / tous les articles de l'index datés de la période (de cette "
                                 "source, avec by=source)."},
    },
}
_SERIES_PROPS = {
    "query": {"type": "string"},
    "total": {"type": "integer", "minimum": 0},
    "total_stories": {"type": "integer", "minimum": 0},
    "undated": {"type": "integer", "minimum": 0, "description": "Articles trouvés sans date."},
    "buckets": {"type": "array", "items": {"$ref": "#/components/schemas/TimelineBucket"}},
    "source": {**NULLABLE_STR, "description": "Avec by=source : la source (null : inconnue ; "
                                              "« autres » quand other est vrai)."},
    "other": {"type": "boolean", "description": "Avec by=source : la série des sources au-delà des 8 premières."},
}
_TIMELINE_PARAMETERS = [
    _PARAM("q", "Requête ; répétée (5 au plus), une série par requête sur les mêmes périodes.",
           {"type": "array", "items": {"type": "string"}, "maxItems": 5}, style="form", explode=True),
    *[p for p in SEARCH_PARAMETERS if p["name"] not in ("q", "sort", "page", "per_page", "copies", "count")],
    _PARAM("interval", "Période (défaut : la plus fine qui donne au plus 120 périodes).",
           {"type": "string", "enum": ["day", "week", "month", "year"]}),
    _PARAM("by", "« source » : une série par source (les 8 premières et « autres »), une seule requête.",
           {"type": "string", "enum": ["source"]}),
]
_TERM = {"type": "object", "required": ["term", "count"], "additionalProperties": False,
         "properties": {"term": {"type": "string", "minLength": 1},
                        "count": {"type": "integer", "minimum": 1,
                                  "description": "Histoires trouvées (copies comptées une fois) qui contiennent le mot."}}}

_FORMAT_CSV = _PARAM("format", "« csv » : le même contenu en tableau à télécharger (une ligne d'en-tête).",
                     {"type": "string", "enum": ["json", "csv"], "default": "json"})

_DOCUMENT["paths"].update({
    "/api/timeline": {"get": {
        "operationId": "timeline",
        "summary": "Articles trouvés par période (attention dans le temps)",
        "parameters": _TIMELINE_PARAMETERS + [_FORMAT_CSV],
        "responses": {
            "200": {**_json("Timeline", "Une série (une requête) ou plusieurs (« series »)."),
                    "content": {**_json("Timeline", "")["content"], "text/csv": {"schema": {"type": "string"}}}},
            "400": _error("Paramètre invalide (interval, by, plus de 5 requêtes, trop de périodes…)."),
            "503": _error(_UNAVAILABLE),
        },
    }},
    "/api/terms": {"get": {
        "operationId": "terms",
        "summary": "Mots caractéristiques des articles trouvés, et leurs sources",
        "parameters": [*[p for p in SEARCH_PARAMETERS if p["name"] not in ("sort", "page", "per_page", "copies", "count")],
                       _PARAM("limit", "Mots par liste (1 à 100).",
                              {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}),
                       _FORMAT_CSV],
        "responses": {
            "200": {**_json("Terms", "Mots les plus fréquents, mots distinctifs, sources."),
                    "content": {**_json("Terms", "")["content"], "text/csv": {"schema": {"type": "string"}}}},
            "400": _error("Paramètre invalide."),
            "503": _error(_UNAVAILABLE),
        },
    }},
})
_DOCUMENT["components"]["schemas"].update({
    "TimelineBucket": _BUCKET,
    "TimelineSeries": {"type": "object", "additionalProperties": False,
                       "required": ["query", "total", "total_stories", "undated", "buckets"],
                       "properties": _SERIES_PROPS},
    "Timeline": {
        "type": "object", "additionalProperties": False,
        "required": ["interval", "by", "notes", "took_ms"],
        "properties": {
            **_SERIES_PROPS,
            "interval": {"type": "string", "enum": ["day", "week", "month", "year"]},
            "by": {"type": ["string", "null"], "enum": ["source", None]},
            "series": {"type": "array", "items": {"$ref": "#/components/schemas/TimelineSeries"}},
            "notes": {"type": "array", "items": {"type": "string"}},
            "took_ms": {"type": "number", "minimum": 0},
        },
        "oneOf": [{"required": ["series"], "not": {"required": ["buckets"]}},
                  {"required": ["query", "total", "total_stories", "undated", "buckets"],
                   "not": {"required": ["series"]}}],
    },
    "Terms": {
        "type": "object", "additionalProperties": False,
        "required": ["query", "total", "total_stories", "sample", "top", "significant", "sources",
                     "notes", "took_ms"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "total_stories": {"type": "integer", "minimum": 0},
            "sample": {"type": ["integer", "null"],
                       "description": "Histoires de l'échantillon quand les mots n'ont pas été comptés sur toutes."},
            "top": {"type": "array", "items": {"$ref": "#/components/schemas/Term"}},
            "significant": {"type": "array", "items": {
                "type": "object", "required": ["term", "count", "score", "index_count"],
                "additionalProperties": False,
                "properties": {**_TERM["properties"],
                               "score": {"type": "number", "exclusiveMinimum": 0,
                                         "description": "Log-vraisemblance (G²) contre le reste de l'index."},
                               "index_count": {"type": "integer", "minimum": 1,
                                               "description": "Histoires de tout l'index qui contiennent le mot."}}}},
            "sources": {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}},
            "notes": {"type": "array", "items": {"type": "string"}},
            "took_ms": {"type": "number", "minimum": 0},
        },
    },
    "Term": _TERM,
})


def _empty_is_default(document: dict) -> None:
    """Every optional query parameter also takes an empty value, which counts as
    absent (the default): the page's forms send empty fields, and the API answers
    them so (``copies=``, ``limit=``...). The value's own keywords stay: an empty
    string is added to an enumeration or a pattern, a number or a boolean may also be
    a string of no characters."""
    for path in document["paths"].values():
        for op in path.values():
            for p in op.get("parameters", ()):
                if p["in"] != "query" or p.get("required") or p["name"] == "q":
                    continue
                sch = p["schema"]
                _allow_empty(sch["items"] if sch.get("type") == "array" else sch)
                if "vide" not in p["description"]:
                    p["description"] += " Vide : comme absent."


def _allow_empty(sch: dict) -> None:
    if "enum" in sch:
        if "" not in sch["enum"]:
            sch["enum"] = [*sch["enum"], ""]
    elif sch.get("type") in ("integer", "number", "boolean"):
        sch["type"] = [sch["type"], "string"]
        sch["maxLength"] = 0
    elif "pattern" in sch and not sch["pattern"].startswith("(^$)|"):
        sch["pattern"] = "(^$)|" + sch["pattern"]


_empty_is_default(_DOCUMENT)


def openapi_document() -> dict:
    """A fresh copy of the document (callers may not mutate the shared one)."""
    return copy.deepcopy(_DOCUMENT)
