"""The OpenAPI 3.1 description of the JSON API (served at ``/api/openapi.json``).

Schemas are JSON Schema 2020-12, so the tests validate real responses
against them with ``jsonschema``.
"""

from __future__ import annotations

import copy

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
}


def _json(schema_ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


def _error(description: str) -> dict:
    return _json("Error", description)


_PARAM = lambda name, description, schema, **kw: {  # noqa: E731
    "name": name, "in": "query", "required": False, "description": description, "schema": schema, **kw}

SEARCH_PARAMETERS = [
    _PARAM("q", "Texte de la recherche : mots, \"expressions\", -exclusion, OR, title:, source:, préfixe*.",
           {"type": "string"}),
    _PARAM("source", "Source(s) à retenir, valeurs exactes de la facette « source » (ex. « BBC News » ; "
           "répétable : l'une ou l'autre ; « unknown » : source inconnue).",
           {"type": "array", "items": {"type": "string"}}, style="form", explode=True),
    _PARAM("lang", "Langue(s) de l'article (code ISO, ex. fr ; répétable : l'une ou l'autre).",
           {"type": "array", "items": {"type": "string"}}, style="form", explode=True),
    _PARAM("date_from", "Date de début incluse : AAAA, AAAA-MM ou AAAA-MM-JJ.", {"type": "string"}),
    _PARAM("date_to", "Date de fin incluse : AAAA, AAAA-MM ou AAAA-MM-JJ.", {"type": "string"}),
    _PARAM("year", "Année(s) de publication (répétable : l'une ou l'autre ; les filtres de "
           "facettes différentes s'appliquent tous).",
           {"type": "array", "items": {"type": "string", "pattern": r"^(\d{4}|unknown)$"}},
           style="form", explode=True),
    _PARAM("sort", "Ordre des résultats.", {"type": "string", "enum": ["relevance", "newest", "oldest"],
                                             "default": "relevance"}),
    _PARAM("page", "Page (à partir de 1).", {"type": "integer", "minimum": 1, "default": 1}),
    _PARAM("per_page", "Résultats par page.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}),
    _PARAM("copies", "« collapse » : un résultat par groupe de copies (le mieux classé) ; « all » : "
           "toutes les copies.", {"type": "string", "enum": ["collapse", "all"], "default": "collapse"}),
    _PARAM("count", "Ce que comptent les facettes : « articles » ou « stories » (un groupe de copies "
           "compte une fois).", {"type": "string", "enum": ["articles", "stories"], "default": "articles"}),
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
                                            {"type": "string"})],
            "responses": {
                "200": _json("Document", "L'article."),
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


# -- entities and quotes (searchsvc.search.entities) ------------------------------------
ENTITY_PARAMETERS = [
    _PARAM(name, f"{label} à retenir, valeurs exactes de la facette « {name} » (répétable : l'une ou "
           "l'autre ; les alias du fichier entities.txt s'appliquent).",
           {"type": "array", "items": {"type": "string"}}, style="form", explode=True)
    for name, label in (("person", "Personne(s)"), ("org", "Organisation(s)"), ("place", "Lieu(x)"))
]
SEARCH_PARAMETERS += ENTITY_PARAMETERS
_ENTITY_LISTS = {k: {"type": "array", "items": {"type": "string"}} for k in ("person", "org", "place")}
_schemas = _DOCUMENT["components"]["schemas"]
_facets = _schemas["SearchResult"]["properties"]["facets"]
_facets["properties"].update({k: {"type": "array", "maxItems": 20,
                                  "items": {"$ref": "#/components/schemas/FacetValue"}}
                              for k in ("person", "org", "place")})
_QUOTE = {"type": "object", "required": ["text", "speaker", "position"],
          "properties": {"text": {"type": "string", "minLength": 1}, "speaker": NULLABLE_STR,
                         "position": {"type": "integer", "minimum": 0,
                                      "description": "Position du guillemet ouvrant dans « text »."},
                         "id": {"type": "string"}}}
_schemas["Document"]["properties"].update({
    "entities": {"type": "object", "required": ["person", "org", "place"], "properties": _ENTITY_LISTS,
                 "description": "Personnes, organisations et lieux de l'article (formes canoniques)."},
    "quotes": {"type": "array", "items": _QUOTE, "description": "Citations directes et leur auteur."},
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
    },
}
_schemas["QuoteList"] = {
    "type": "object", "required": ["total", "quotes"], "additionalProperties": False,
    "properties": {"total": {"type": "integer", "minimum": 0},
                   "quotes": {"type": "array", "items": {**_QUOTE, "required": ["text", "speaker", "id",
                                                                                 "position"]}}},
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


def openapi_document() -> dict:
    """A fresh copy of the document (callers may not mutate the shared one)."""
    return copy.deepcopy(_DOCUMENT)
