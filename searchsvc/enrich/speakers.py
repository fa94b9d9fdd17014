"""Who speaks each quote, from the syntax of the sentence around it.

Only the sentences that hold a quote are parsed (spaCy's French ``parser`` over
its own ``tok2vec``, nothing else loaded), each as a *frame*: the sentence with
every quote in it replaced by a placeholder, so the parser sees "« XXX », a
déclaré le ministre" and never the quote's own words (and reads few tokens).

Per quote it finds the *subject phrase* of the speech verb:

- after the quote, a speech verb (« … », explique à l'AFP Kenta Iwana): the
  verb's first right dependent that is no prepositional phrase (the listener
  "à l'AFP", "devant les caméras", "sur France 2" are skipped), or an inverted
  pronoun ("a-t-il dit", "poursuit-elle");
- otherwise the nearest verb above the quote that has a subject (X a déclaré :
  « … »; X a salué « … »), "qui" standing for the noun it hangs on.

What is kept is the phrase's place in the text and a few facts (pronoun, head
word, determiner) -- no names: :mod:`searchsvc.enrich.quotes` resolves them
against the article's entities.

Contract: ``analyse(text, spans, nlp) -> [Subject | None]`` (one per quote span
of :func:`searchsvc.enrich.quotemarks.pairs`), ``Subject`` a JSON-able dict
``{"side": "after"|"before"|"any", "span": [start, end] | None, "pron": bool,
"head": str, "det": str, "speech": bool}`` (``head``: the pronoun as written for a
pronoun; ``speech``: whether the phrase is the subject of a speech verb, not of any
verb above the quote).
"""

from __future__ import annotations

import os
import re

#: bump when the analysis changes (the parsed subjects are cached by text and version)
VERSION = 25
PLACEHOLDER = "XXX"
#: characters of a sentence kept on each side of a quote
SIDE_CHARS = 300
#: the parser's pipes (everything else excluded)
PIPES = ("tok2vec", "parser")

SPEECH = re.compile(
    r"(?:déclar|affirm|accus|ajout|dit$|disai|dis$|dise|expliqu|indiqu|soulign|estim|assur|précis|"
    r"preci|confi|lanc|martel|martè|insist|rappel|poursui|conclu|répond|repond|racont|prévien|"
    r"previen|prévenu|admet|admis|reconn|ironis|tranch|comment|écri|ecri|note|not[ée]|observ|"
    r"jug|avert|menac|promet|promis|annonc|révél|revel|souffl|résum|resum|renchér|plaid|détaill|"
    r"detaill|répliqu|rétorqu|retorqu|dénonc|denonc|déplor|deplor|regrett|salu|alarm|témoign|"
    r"raill|fustig|tacl|interrog|demand|lâch|lach|exclam|insurg|indign|concè|conced|nuanc|défend|"
    r"justifi|argu|prédi|avanc|répèt|repet|assén|tonn|clam|signal|relat|cit|avou|jur|gliss|"
    r"murmur|cri|hurl|félicit|espér|craign|redout|pens|sourit|s'amus|amus|analys|décrypt|"
    r"explic|invit|appel|exhort|implor|supplie|réagi|reagi|confirm|ajoute|reprend|enchaîn|"
    r"conseill|recommand|insiste|atteste|mis en garde|met en garde|tempêt|s'emport|s'étonn|"
    r"étonn|constat|résume|précise|témoigne|lâche|prévient|rassur|rapport|déclare|publi|tweet|"
    r"twitt|poste|écrit|confesse|concède|cingl|ajouté|dit)", re.I)
_PRON = {"il", "elle", "-il", "-elle"}
_SKIP_BEFORE_VERB = {"a", "avait", "aurait", "ont", "avaient", "auraient", "va", "vient", "t", "-t",
                     "-il", "-elle", "il", "elle", "t'", "t’", "-t-il", "-t-elle", "de", "d'", "encore",
                     "aussi", "également", "egalement", "alors", "ainsi", "enfin", "ensuite", "même",
                     "pourtant", "lui", "leur", "y", "en", "s'", "se", "l'", "le", "la"}
#: tokens after a verb that are no subject (time words)
_TIME = set("lundi mardi mercredi jeudi vendredi samedi dimanche matin soir midi hier aujourd'hui "
            "encore aussi également egalement alors ainsi enfin ensuite même pourtant notamment "
            "déjà toujours récemment recemment".split())
_INVERTED = re.compile(r"^\s*(?:-t-|-|\s+t[-'’]\s*|\s*t[-'’]|-t'|\s+)(il|elle|ils|elles)\b", re.I)
_RELATIVE = {"qui", "lequel", "laquelle"}
_NOMINAL = {"nsubj", "nsubj:pass", "obj", "appos", "dep", "obl:arg", "obl:mod", "iobj", "nmod",
            "flat:name", "conj", "xcomp", "amod", "ROOT", "expl:subj"}
_SENT_END = re.compile(r"(?<!\b[A-ZÀ-Ý])(?<!\bM)(?<!\bMme)[.!?…]+(?=\s|$)|\n")
_SENT_START = re.compile(r"(?<!\b[A-ZÀ-Ý])(?<!\bM)(?<!\bMme)[.!?…]\s+(?=[A-ZÀ-Ý«\"“])")
#: clitic pronouns, never the subject phrase
_CLITIC = {"l'", "l’", "le", "la", "les", "lui", "leur", "en", "y", "se", "s'", "s’", "me", "m'", "te", "nous", "vous"}


def frame(text: str, spans: list[tuple[int, int]], k: int):
    """The frame of quote ``k``: (frame text, placeholder offset in it, segments
    ``[(frame_offset, text_offset, length)]`` mapping it back to ``text``)."""
    begin, close = spans[k]
    para = text.rfind("\n", 0, begin) + 1
    s0 = para
    inside = [(b, c) for b, c in spans if para <= b - 1 and c < begin]
    # a quote that opens its sentence keeps the sentence before it in its frame: that is
    # where its speaker is introduced ("X, un acteur, apprécie... « … », estime l'acteur");
    # measured on who-dev, cutting it there lost 3 right speakers and gained none
    for m in _SENT_START.finditer(text, para, max(para, begin - 1)):
        if not any(b <= m.start() < c for b, c in inside):
            s0 = m.end()
    s0 = max(s0, begin - 1 - SIDE_CHARS)
    pend = text.find("\n", close)
    pend = len(text) if pend < 0 else pend
    later = [(b, c) for b, c in spans if close < b and c <= pend]
    e0 = pend
    pos = close + 1
    for m in _SENT_END.finditer(text, close + 1, pend):
        if not any(b <= m.start() < c for b, c in later):
            e0 = m.end()
            break
    e0 = min(e0, close + 1 + SIDE_CHARS)
    # the quotes of the sentence, each replaced by the placeholder
    parts: list[str] = []
    segs: list[tuple[int, int, int]] = []
    out_len, pos, ph_at = 0, s0, 0

    def copy(a: int, b: int) -> None:
        nonlocal out_len
        if b > a:
            segs.append((out_len, a, b - a))
            parts.append(text[a:b])
            out_len += b - a

    for b, c in spans:
        if b < s0 or c >= e0 or b < pos:
            continue
        copy(pos, b)
        if b == 0 or text[b - 1] not in "«“\"":
            parts.append('"')
            out_len += 1
        if (b, c) == (begin, close):
            ph_at = out_len
        # a space after the closing mark: a scraped page may glue the next word to it
        parts.append(PLACEHOLDER + text[c] + " ")
        out_len += len(PLACEHOLDER) + 2
        pos = c + 1
    copy(pos, e0)
    return "".join(parts), ph_at, segs


def _to_text(segs, start: int, end: int):
    """Frame offsets -> text offsets (None when outside the copied segments)."""
    for fo, to, ln in segs:
        if fo <= start < fo + ln:
            return [to + start - fo, to + min(end, fo + ln) - fo]
    return None


def _token_at(doc, offset: int):
    for t in doc:
        if t.idx <= offset < t.idx + len(t.text):
            return t
    return None


def _phrase(tok, ph, segs):
    """The subject phrase: the subtree of ``tok`` without relative clauses, the
    placeholder or anything past the next sentence punctuation."""
    toks = [t for t in tok.subtree]
    cut = [t.i for t in toks if t.dep_ in ("acl:relcl", "acl", "advcl", "parataxis") and t.i > tok.i]
    end_i = min(cut) if cut else toks[-1].i + 1
    end_i = min(end_i, tok.i + 15)
    if ph is not None and tok.i < ph.i < end_i:
        end_i = ph.i
    left = min(t.i for t in toks)
    if ph is not None and left <= ph.i < tok.i:
        left = ph.i + 2
    span = tok.doc[left:end_i]
    if not len(span):
        return None
    return _to_text(segs, span.start_char, span.end_char)


_CIVIL = {"m.", "mme", "mlle", "me", "dr", "pr", "maître", "monsieur", "madame"}


def _facts(tok, ph, segs, side: str) -> dict:
    if tok.text.lower() in ("-t", "t", "t'", "t’") or tok.text.lower() in _PRON:
        return {"side": side, "span": None, "pron": True, "head": tok.text, "det": ""}
    if tok.text.lower().lstrip("-") in ("ils", "elles"):  # "expliquent-ils": a plural pronoun
        return {"side": side, "span": None, "pron": True, "head": tok.text.lstrip("-"), "det": ""}
    if tok.text.lower() in _RELATIVE and tok.head is not tok and tok.head.head is not tok.head:
        tok = tok.head.head  # "X, qui a déclaré": X
    det = next((c.text.lower() for c in tok.children if c.dep_ == "det"), "")
    span = _phrase(tok, ph, segs)
    if tok.text.lower() in _CIVIL:  # "M. Tedros": the name after the civility
        end = tok.i + 1
        while end < len(tok.doc) and end < tok.i + 4 and tok.doc[end].text[:1].isupper():
            end += 1
        if end > tok.i + 1:
            span = _to_text(segs, tok.idx, tok.doc[end - 1].idx + len(tok.doc[end - 1].text))
    return {"side": side, "span": span, "pron": False, "head": tok.text, "det": det}


_PREPOSITIONS = {"sur", "à", "au", "aux", "dans", "de", "du", "des", "par", "pour", "avec", "chez", "en",
                 "devant", "auprès"}
#: dependencies of a noun, never of an incise's verb (« … », la maire … s'est inquiétée)
_NOUN_DEPS = {"nsubj", "nsubj:pass", "obj", "obl", "obl:arg", "obl:mod", "nmod", "appos", "det", "amod"}
#: lower-case words after « … », that open no incise
_NOT_VERB = set("selon en dans et mais qui que ou car donc de du des le la les un une pour par sur avec "
                "au aux à comme lors après avant depuis ce cette son sa ses leur leurs notamment "
                "c'est est était sont puis voire soit ni tandis alors dont quand lorsque si même "
                "contre chez sans vers entre afin parce puisque".split())


def _after(doc, ph, ftext: str, segs) -> dict | None:
    """A speech verb right after the quote (an incise), and its subject."""
    i = ph.i + 1
    n = len(doc)
    comma = False
    while i < n and (doc[i].is_punct or doc[i].text in ('"', "»", "”")):
        comma = comma or doc[i].text == ","
        i += 1
    start = i
    verb = None
    while i < n and i < start + 4:
        t = doc[i]
        low = t.text.lower()
        if t.text[:1].islower() and low not in _SKIP_BEFORE_VERB and t.dep_ not in _NOUN_DEPS and (
                SPEECH.match(low) or (comma and low not in _NOT_VERB and t.is_alpha)):
            if low.endswith("ant") and i == start:
                return None  # « … », appelant X à …: a participle, no incise; its subject is above
            verb = t
            break
        if low not in _SKIP_BEFORE_VERB and not (low.endswith("ment") and t.is_alpha):
            return None  # an adverb may come first ("…, lui a-t-il clairement proposé")
        i += 1
    if verb is None:
        return None
    verb_end = _to_text(segs, verb.idx, verb.idx + len(verb.text))
    base = {"side": "after", "span": None, "pron": False, "head": "", "det": "", "speech": True,
            "verb_end": verb_end[1] if verb_end else None}
    pron = next((doc[j].text.lower().lstrip("-") for j in range(start, verb.i)
                 if doc[j].text.lower().lstrip("-") in ("il", "elle", "ils", "elles")), None)
    inverted = _INVERTED.match(ftext[verb.idx + len(verb.text):])
    if pron or inverted:
        # a name right after the verb outweighs a stray pronoun ("il a dit aux journalistes John Kirby")
        for c in verb.children:
            if c.i > verb.i and c.text[:1].isupper() and c.dep_ in _NOMINAL and not any(
                    g.dep_ == "case" for g in c.children) and c.i != ph.i \
                    and doc[c.i - 1].text.lower() not in _PREPOSITIONS:  # not "a-t-il réagi sur Twitter"
                return dict(_facts(c, ph, segs, "after"), verb_end=base["verb_end"], speech=True)
        return dict(base, pron=True, head=pron or inverted.group(1).lower())
    heads = [verb] + [t for t in doc[verb.i + 1:verb.i + 2] if re.search(r"(?:er|ir|re)$", t.text)
                      and t.text[:1].islower() and t.text.lower() not in _NOT_VERB]  # "fait remarquer"
    heads += [h.head for h in list(heads) if h.head.i > ph.i]
    kids = sorted({c.i: c for h in heads for c in h.children if c.i > verb.i}.values(), key=lambda c: c.i)
    for c in kids:
        if c.dep_ in ("nsubj", "nsubj:pass") and c.i != ph.i and c.text != PLACEHOLDER:
            if c.text.lower() in _PRON:
                return dict(base, pron=True, head=c.text.lower().lstrip("-"))
            return dict(_facts(c, ph, segs, "after"), verb_end=base["verb_end"], speech=True)
    for c in kids:
        if c.is_punct or c.i == ph.i or c in heads or c.text == PLACEHOLDER:
            continue
        if any(g.dep_ == "case" for g in c.children) or c.dep_ in ("case", "mark", "cc", "advmod") \
                or doc[c.i - 1].text.lower() in _PREPOSITIONS:
            continue
        if (c.text.lower() in _TIME or c.text.isdigit() or c.text.lower() in ("ce", "cet", "cette")
                or c.text.lower() in _CLITIC):
            continue
        if c.dep_ in _NOMINAL:
            if c.text.lower() in _PRON:
                return dict(base, pron=True, head=c.text.lower().lstrip("-"))
            return dict(_facts(c, ph, segs, "after"), verb_end=base["verb_end"], speech=True)
    return base


def _before(doc, ph, segs) -> dict | None:
    """The subject of the nearest verb above the quote; when that verb says nothing
    (« X, qui juge que … », « les forces se prépareraient à … »), a speech verb's
    subject elsewhere in the sentence comes first."""
    got = _above(doc, ph, segs)
    if got is not None:
        got["speech"] = got.pop("_speech", False)
        if not got["speech"]:
            return _anywhere(doc, ph, segs) or got
    return got


def _above(doc, ph, segs) -> dict | None:
    cur, seen = ph, 0
    while seen < 8:
        speech = bool(SPEECH.match(cur.text.lower()))
        for c in cur.children:
            if (c.dep_ in ("nsubj", "nsubj:pass") or c.dep_ == "expl:subj" and speech
                    and c.text.lower() in _PRON) and c.i != ph.i and c.i < ph.i and c.text != PLACEHOLDER:
                # "Il y disait son « … »": the parser may read "il" as an expletive
                if c.text.lower() in _RELATIVE and cur.head is not cur:
                    return dict(_facts(cur.head, ph, segs, "before"), _speech=speech)
                if c.text.lower() in _PRON:
                    return {"side": "before", "span": None, "pron": True, "head": c.text, "det": "",
                            "_speech": speech}
                return dict(_facts(c, ph, segs, "before"), _speech=speech)
        if cur.head is cur:
            break
        cur = cur.head
        seen += 1
    return None


def _anywhere(doc, ph, segs) -> dict | None:
    """A speech verb elsewhere in the sentence (after the quote first) and its subject
    (« … » à cause de la crise, explique à l'AFP X; comme l'a expliqué X, …)."""
    verbs = [t for t in doc if t.i != ph.i and SPEECH.match(t.text.lower()) and t.text[:1].islower()]
    verbs.sort(key=lambda t: (t.i < ph.i, abs(t.i - ph.i)))
    for verb in verbs:
        if verb.text.lower().endswith("ant") and not any(
                c.dep_ in ("nsubj", "nsubj:pass") for c in verb.children):
            if verb.is_ancestor(ph):  # the quote is what the participle says
                got = _participle_subject(verb, ph, segs)
                if got is not None:
                    return got
            continue
        for c in verb.children:
            if c.text == PLACEHOLDER:
                continue
            if (c.dep_ in ("nsubj", "nsubj:pass") or c.dep_ == "expl:subj" and c.text.lower() in _PRON) \
                    and c.i != ph.i:
                if c.text.lower() in _PRON:
                    return {"side": "any", "span": None, "pron": True, "head": c.text, "det": "",
                            "speech": True}
                return dict(_facts(c, ph, segs, "any"), speech=True)
        for c in verb.children:
            if c.i > verb.i and c.dep_ in ("obj", "appos", "dep") and not any(
                    g.dep_ == "case" for g in c.children) and c.text.lower() not in _TIME \
                    and c.text.lower() not in _CLITIC and doc[c.i - 1].text.lower() not in _PREPOSITIONS \
                    and c.text != PLACEHOLDER:
                return dict(_facts(c, ph, segs, "any"), speech=True)
        nxt = next((t for t in doc[ph.i + 1:] if not t.is_punct and t.text.strip()), None)
        if verb.i > ph.i and nxt is not None and not nxt.text[:1].isupper():
            # « … » de la rentrée, a affirmé jeudi X: the words after the verb (not after a
            # capital that opens another sentence: an intertitle glued to the text)
            end = _to_text(segs, verb.idx, verb.idx + len(verb.text))
            if end:
                return {"side": "any", "span": None, "pron": False, "head": "", "det": "",
                        "speech": True, "verb_end": end[1]}
    return None


def _participle_subject(verb, ph, segs) -> dict | None:
    """The subject of a present participle ("X saluant « … »", "…, a déclaré X, saluant
    « … »"): the noun it modifies, else the subject of the verb it depends on."""
    head = verb.head
    if head is verb or head.text == PLACEHOLDER or head.i == ph.i:
        return None
    if verb.dep_ == "acl" and head.pos_ in ("PROPN", "NOUN"):
        return dict(_facts(head, ph, segs, "any"), speech=True)
    for c in head.children:
        if c.dep_ in ("nsubj", "nsubj:pass") and c.text != PLACEHOLDER:
            if c.text.lower() in _PRON:
                return {"side": "any", "span": None, "pron": True, "head": c.text, "det": "", "speech": True}
            return dict(_facts(c, ph, segs, "any"), speech=True)
    for c in head.children:
        if c.i > head.i and c.i < verb.i and c.dep_ in _NOMINAL and c.text != PLACEHOLDER and not any(
                g.dep_ == "case" for g in c.children) and c.text.lower() not in _TIME | _CLITIC:
            return dict(_facts(c, ph, segs, "any"), speech=True)  # inverted: "a déclaré X, saluant"
    return None


def analyse_doc(doc, ph_at: int, segs) -> dict | None:
    ph = _token_at(doc, ph_at)
    if ph is None:
        return None
    after = _after(doc, ph, doc.text, segs)
    if after is not None and after["pron"]:
        before = _before(doc, ph, segs)
        if before is not None and not before["pron"] and before["span"]:
            return before  # X a riposté : « … », estime-t-il
    return after or _before(doc, ph, segs) or _anywhere(doc, ph, segs)


def analyse_many(items, nlp, batch_size: int = 64) -> list[list]:
    """``items``: ``[(text, spans)]``; the subjects of every quote of every text,
    parsed in one ``nlp.pipe`` over all the frames."""
    frames, where = [], []
    for n, (text, spans) in enumerate(items):
        for k in range(len(spans)):
            f, ph_at, segs = frame(text, spans, k)
            frames.append(f)
            where.append((n, ph_at, segs))
    out: list[list] = [[] for _ in items]
    for (n, ph_at, segs), doc in zip(where, nlp.pipe(frames, batch_size=batch_size)):
        out[n].append(analyse_doc(doc, ph_at, segs))
    return out


_parser = None
#: the parser's model: on who-dev, md's parser gave fewer right speakers than sm's (speaker
#: precision 0.820 against 0.866 with md's NER alike), and sm's parser is the cheaper
PARSER_MODEL = "fr_core_news_sm"


def parser_name() -> str:
    """:data:`PARSER_MODEL`, or ``SEARCHSVC_PARSER_MODEL`` (benchmarks)."""
    return os.environ.get("SEARCHSVC_PARSER_MODEL", "").strip() or PARSER_MODEL


def parser():
    """spaCy's French parser alone (its ``tok2vec`` and ``parser``), loaded once per process."""
    global _parser
    from searchsvc.enrich import entities

    with entities._lock:
        if _parser is None:
            from searchsvc.enrich import models

            _parser = models.load(parser_name(), PIPES)
        return _parser
