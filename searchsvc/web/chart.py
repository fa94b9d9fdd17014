"""The geometry of the page's timeline chart (server-rendered SVG, readable without JS).

``chart(timeline_result, mode)`` turns a timeline object
(:mod:`searchsvc.analytics.timeline`) into plain numbers for ``_chart.html``: one
bar per period for one series, one line per series for several, one column per
period (its link, its figures) and the axis labels. ``mode`` is ``"count"``
(articles) or ``"share"`` (share of the period's articles in the index).
"""

from __future__ import annotations

import math

from searchsvc.analytics.timeline import series_of
from searchsvc.french import date_fr, decimal_fr, int_fr

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 10, 26
#: One colour per query compared (contrast >= 4.5:1 on white).
COLOURS = ("#1f4fbf", "#b2400b", "#137333", "#7b2cbf", "#b0154a")
X_LABELS = 6


def period_fr(start: str, interval: str) -> str:
    """``2021-03-01`` as a period: ``mars 2021``, ``2021``, ``semaine du 1er mars 2021``…"""
    if interval == "year":
        return start[:4]
    if interval == "month":
        return date_fr(start[:7])
    if interval == "week":
        return "semaine du " + date_fr(start)
    return date_fr(start)


def short_period_fr(start: str, interval: str) -> str:
    if interval == "year":
        return start[:4]
    if interval == "month":
        return date_fr(start[:7]).replace("janvier ", "janv. ")
    return date_fr(start)


def value_fr(v: float, mode: str) -> str:
    if mode == "share":
        return decimal_fr(100 * v, 2 if v < 0.1 else 1) + "\u00a0%"
    return int_fr(v)


def _nice_ceiling(v: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above ``v``."""
    if v <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 5, 10):
        if m * k >= v - 1e-12:
            return m * k
    return 10 * k  # pragma: no cover


def chart(result: dict, mode: str = "count") -> dict:
    series = series_of(result)
    interval = result["interval"]
    buckets = series[0]["buckets"] if series else []
    n = len(buckets)
    key = "share" if mode == "share" else "count"
    vmax = max((b[key] for s in series for b in s["buckets"]), default=0)
    if mode == "share":
        top = _nice_ceiling(vmax) if vmax else 0.01
    else:  # whole numbers on the ticks (0, half, top)
        top = _nice_ceiling(vmax) if vmax >= 10 else max(2, 2 * math.ceil(vmax / 2))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / n if n else plot_w
    gap = min(1.5, step * 0.15)

    def y(v: float) -> float:
        return round(TOP + plot_h - (v / top) * plot_h, 2)

    columns = []
    for i, b in enumerate(buckets):
        columns.append({
            "x": round(LEFT + i * step, 2), "w": round(step, 2), "start": b["start"], "end": b["end"],
            "label": period_fr(b["start"], interval),
            "values": [{"count": s["buckets"][i]["count"], "share": s["buckets"][i]["share"],
                        "stories": s["buckets"][i]["stories"],
                        "count_fr": int_fr(s["buckets"][i]["count"]),
                        "share_fr": value_fr(s["buckets"][i]["share"], "share")} for s in series],
        })
    bars, lines = [], []
    if len(series) == 1:
        for i, b in enumerate(buckets):
            v = b[key]
            h = max(0.0, TOP + plot_h - y(v))
            bars.append({"x": round(LEFT + i * step + gap, 2), "w": round(max(step - 2 * gap, 0.6), 2),
                         "y": y(v), "h": round(h, 2), "colour": COLOURS[0]})
    else:
        for k, s in enumerate(series):
            pts = " ".join(f"{round(LEFT + (i + 0.5) * step, 2)},{y(b[key])}" for i, b in enumerate(s["buckets"]))
            lines.append({"points": pts, "colour": COLOURS[k % len(COLOURS)]})
    y_ticks = [{"y": y(top * f), "label": value_fr(top * f, mode)} for f in (0, 0.5, 1)]
    every = max(1, math.ceil(n / X_LABELS))
    x_labels = [{"x": round(LEFT + (i + 0.5) * step, 2), "label": short_period_fr(b["start"], interval)}
                for i, b in enumerate(buckets) if i % every == 0]
    legend = [{"label": s.get("query") or "tous les articles", "colour": COLOURS[k % len(COLOURS)],
               "total": s["total"], "stories": s["total_stories"], "undated": s["undated"]}
              for k, s in enumerate(series)]
    return {"mode": mode, "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
            "top": TOP, "bottom": TOP + plot_h, "bars": bars, "lines": lines, "columns": columns,
            "y_ticks": y_ticks, "x_labels": x_labels, "legend": legend, "interval": interval,
            "n": n, "multi": len(series) > 1}
