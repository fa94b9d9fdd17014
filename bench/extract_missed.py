"""Where our extractor loses html-diverse's must-keep passages (a diagnostic, not a score).

For every ``with`` snippet of the ``trafilatura`` source that our text misses, says at which
stage of :func:`searchsvc.ingest.html.clean_html` it went: gone with the page chrome,
outside the chosen main block (before or after it in document order, and how far up the
tree the common ancestor is), removed inside the block (with the reason), or dropped by the
line rules (with the reason). Also lists leaked ``without`` snippets by where they sit.

    .venv/bin/python bench/extract_missed.py [--limit N] [--half A|B] [--show K] [--ids]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from extract_quality import half, load_diverse, _score_module  # noqa: E402


def stages(html: str):
    """(page text after chrome removal, container text before/after pruning, text before
    the block, text after the block, final text, fallback used) of one page."""
    from searchsvc.ingest import html as H
    from searchsvc.ingest import fallback

    root = H.parse(html)
    meta = H.page_metadata(root)
    H._strip_chrome(root)
    body = root.find("body")
    body = body if body is not None else root
    page_text = H._text(body)
    container = H.find_container(root)
    lead = H.lead_blocks(container)
    raw_block = " ".join([*(H._text(el) for el in lead), H._text(container)])
    # document order: text of the body before / after the block
    before, after, seen = [], [], False
    inside = set(container.iter()).union(*(el.iter() for el in lead))
    for el in body.iter():
        if el is container:
            seen = True
        if el in inside:
            continue
        if not isinstance(el.tag, str):
            continue
        bits = [el.text or ""]
        if el.tail and el.getparent() is not None and el.getparent() not in inside:
            bits.append(el.tail)
        (after if seen else before).append(" ".join(bits))
    dropped: list = []
    for el in lead:
        H._strip_inside(el, dropped)
    H._strip_inside(container, dropped)
    blocks = [line for el in lead for line in H._blocks(el)] + H._blocks(container)
    kept = H._drop_phrases(list(blocks), dropped)
    cleaned = H.clean_text("\n\n".join(kept), known_title=meta.get("title"), title_in_text=False)
    used_fallback = False
    lead_lines = {line for el in lead for line in H._blocks(el)}
    main = "\n\n".join(p for p in cleaned.paragraphs if p not in lead_lines)
    if fallback.looks_short(main, page_text):
        lines = fallback.trafilatura_lines(html)
        if lines and fallback.better(main, "\n".join(lines)):
            used_fallback = True
    return {"page": page_text, "block": raw_block, "before": " ".join(before), "after": " ".join(after),
            "dropped": dropped + cleaned.dropped, "final": cleaned.text, "fallback": used_fallback,
            "container": f"{container.tag}.{container.get('class') or ''}#{container.get('id') or ''}"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int)
    ap.add_argument("--half", choices="AB")
    ap.add_argument("--show", type=int, default=0, help="print K missed passages with their page")
    ap.add_argument("--ids", action="store_true", help="list the page ids of each kind")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    from searchsvc.ingest import decode_html
    from searchsvc.ingest.html import clean_html

    sc = _score_module()
    items = [(r, raw) for r, raw in load_diverse(["trafilatura"], args.limit)
             if not args.half or half(r) == args.half]
    kinds: Counter = Counter()
    leaks: Counter = Counter()
    where: dict[str, list] = {}
    total = 0
    for rec, raw in items:
        html = decode_html(raw)
        text = clean_html(html)[0].text
        t = sc.norm(text)
        missed = [s for s in rec["with"] if sc.norm(s) and sc.norm(s) not in t]
        leaked = [s for s in rec["without"] if sc.norm(s) and sc.norm(s) in t]
        total += sum(1 for s in rec["with"] if sc.norm(s))
        if not missed and not leaked:
            continue
        st = stages(html)
        for s in missed:
            n = sc.norm(s)
            if st["fallback"]:
                kind = "fallback text"
            elif n not in sc.norm(st["page"]):
                kind = "not in page after chrome removal"
            elif n in sc.norm(st["block"]):
                reasons = [d.reason for d in st["dropped"] if n in sc.norm(d.text) or sc.norm(d.text) in n and sc.norm(d.text)]
                kind = f"in block, dropped: {reasons[0] if reasons else '?'}"
            elif n in sc.norm(st["before"]):
                kind = "before the block"
            elif n in sc.norm(st["after"]):
                kind = "after the block"
            else:
                kind = "across the block's edge"
            kinds[kind] += 1
            where.setdefault(kind, []).append((rec["id"], s, st["container"]))
        for s in leaked:
            n = sc.norm(s)
            leaks["fallback" if st["fallback"] else "in block"] += 1
            where.setdefault("leak", []).append((rec["id"], s, st["container"]))
    print(f"{len(items)} pages, {total} must-keep passages, {sum(kinds.values())} missed")
    for k, v in kinds.most_common():
        print(f"  {v:>4}  {k}")
    print(f"leaked must-drop passages: {sum(leaks.values())} ({dict(leaks)})")
    if args.show or args.ids:
        for k, rows in where.items():
            print(f"\n-- {k}")
            for pid, s, cont in rows[: args.show or None]:
                print(f"  {pid}  [{cont[:60]}]  {s[:100]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
