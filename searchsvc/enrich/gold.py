"""Precision and recall of entities and quotes against a hand annotation.

The annotation (``tests/fixtures/entities/seed_gold.json``) gives, per article,
the people, organisations and places (canonical forms) and the direct quotes
(the start of the text, the speaker or speakers). What is scored is what the
service shows: :meth:`SearchEngine.document`'s ``entities`` and ``quotes``
(raw entities under the query-time view). Two names are the same entity when
:func:`~searchsvc.enrich.entities.entity_key` makes them equal (and the kind
agrees); a quote is found when a predicted quote starts like the annotated one
and its speaker names one of the annotated speakers (word-wise).
"""

from __future__ import annotations

import json
from pathlib import Path

from searchsvc.enrich.entities import KINDS, entity_key
from searchsvc.synonyms import words_key


def load(path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))["articles"]


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 1.0
    r = tp / n_gold if n_gold else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "tp": tp, "predicted": n_pred,
            "gold": n_gold}


def _same_speaker(pred, golds) -> bool:
    if not pred:
        return False
    pk = set(entity_key(pred))
    return any(pk and (set(entity_key(g)) <= pk or pk <= set(entity_key(g))) for g in golds)


def score(engine, gold: dict) -> dict:
    """``{"entities": prf, "quotes": prf, "by_kind": {kind: prf}, "errors": [...]}``."""
    tp = n_pred = n_gold = 0
    qtp = q_pred = q_gold = 0
    kinds = {k: [0, 0, 0] for k in KINDS}
    errors = []
    for doc_id, want in gold.items():
        doc = engine.document(doc_id) or {}
        got = doc.get("entities") or {}
        pred = {(k, entity_key(n)) for k in KINDS for n in got.get(k, [])}
        ref = {(k, entity_key(n)) for k in KINDS for n in want.get(k, [])}
        hit = pred & ref
        tp, n_pred, n_gold = tp + len(hit), n_pred + len(pred), n_gold + len(ref)
        for k in KINDS:
            kinds[k][0] += sum(1 for e in hit if e[0] == k)
            kinds[k][1] += sum(1 for e in pred if e[0] == k)
            kinds[k][2] += sum(1 for e in ref if e[0] == k)
        names = {(k, entity_key(n)): n for k in KINDS for n in got.get(k, []) + want.get(k, [])}
        errors += [f"{doc_id} en trop : {k} {names[(k, key)]}" for k, key in sorted(pred - ref)]
        errors += [f"{doc_id} manquant : {k} {names[(k, key)]}" for k, key in sorted(ref - pred)]
        quotes = doc.get("quotes") or []
        used = set()
        for g in want.get("quotes", []):
            start = words_key(g["start"])
            for i, q in enumerate(quotes):
                if i not in used and words_key(q["text"])[:len(start)] == start:
                    if _same_speaker(q.get("speaker"), g["speakers"]):
                        used.add(i)
                        qtp += 1
                    else:
                        errors.append(f"{doc_id} citation « {g['start']} » : orateur "
                                      f"{q.get('speaker')!r} au lieu de {g['speakers']}")
                    break
            else:
                errors.append(f"{doc_id} citation manquante : « {g['start']} »")
        q_pred += len(quotes)
        q_gold += len(want.get("quotes", []))
    return {"entities": _prf(tp, n_pred, n_gold), "quotes": _prf(qtp, q_pred, q_gold),
            "by_kind": {k: _prf(*v) for k, v in kinds.items()}, "errors": errors}
