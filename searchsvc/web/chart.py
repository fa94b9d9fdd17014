"""The geometry of the page's timeline chart (server-rendered SVG, readable without JS).

``chart(timeline_result, mode)`` turns a timeline object
(:mod:`searchsvc.analytics.timeline`) into plain numbers for ``_chart.html``: one
bar per period for one series, one line per series for several, one column per
period (its link, its figures) and the axis labels. ``mode`` is ``"count"``
(articles) or ``"share"`` (share of the period's articles in the index).

``shape`` is ``"wide"`` (the desktop chart) or ``"narrow"`` (the phone chart: a
squarer plot, larger labels in its own units, fewer and shorter period labels), so
that at 390 px labels stay >= 11 px high and the plot >= 160 px tall; the page
draws both and shows one by the screen's width.
"""

from __future__ import annotations

import math

from searchsvc.analytics.timeline import series_of
from searchsvc.french import date_fr, decimal_fr, int_fr

#: The geometry of each shape, in SVG units: size, margins, period labels, label size.
SHAPES = {
    "wide": {"width": 720, "height": 200, "left": 52, "right": 8, "top": 10, "bottom": 26,
             "x_labels": 6, "font": 12.5},
    "narrow": {"width": 340, "height": 250, "left": 58, "right": 8, "top": 12, "bottom": 30,
               "x_labels": 3, "font": 14},
}
WIDTH, HEIGHT = SHAPES["wide"]["width"], SHAPES["wide"]["height"]
#: One colour per query compared (contrast >= 4.5:1 on white).
COLOURS = ("#1f4fbf", "#b2400b", "#137333", "#7b2cbf", "#b0154a")


def period_fr(start: str, interval: str) -> str:
    """``2021-03-01`` as a period: ``mars 2021``, ``2021``, ``semaine du 1er mars 2021``…"""
    if interval == "year":
        return start[:4]
    if interval == "month":
        return date_fr(start[:7])
    if interval == "week":
        return "semaine du " + date_fr(start)
    return date_fr(start)


def short_period_fr(start: str, interval: str, narrow: bool = False) -> str:
    """A period's axis label; ``narrow``: at most 10 characters (``03/2021``, ``22/09/2022``)."""
    if interval == "year":
        return start[:4]
    if narrow:
        y, m, d = (start.split("-") + ["", ""])[:3]
        return f"{m}/{y}" if interval == "month" else f"{d}/{m}/{y}"
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


def chart(result: dict, mode: str = "count", shape: str = "wide") -> dict:
    g = SHAPES[shape]
    width, height, pad_l, pad_r, pad_t, pad_b = (g[k] for k in ("width", "height", "left", "right", "top", "bottom"))
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
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    step = plot_w / n if n else plot_w
    gap = min(1.5, step * 0.15)

    def y(v: float) -> float:
        return round(pad_t + plot_h - (v / top) * plot_h, 2)

    columns = []
    for i, b in enumerate(buckets):
        columns.append({
            "x": round(pad_l + i * step, 2), "w": round(step, 2), "start": b["start"], "end": b["end"],
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
            h = max(0.0, pad_t + plot_h - y(v))
            bars.append({"x": round(pad_l + i * step + gap, 2), "w": round(max(step - 2 * gap, 0.6), 2),
                         "y": y(v), "h": round(h, 2), "colour": COLOURS[0]})
    else:
        for k, s in enumerate(series):
            pts = " ".join(f"{round(pad_l + (i + 0.5) * step, 2)},{y(b[key])}" for i, b in enumerate(s["buckets"]))
            lines.append({"points": pts, "colour": COLOURS[k % len(COLOURS)]})
    y_ticks = [{"y": y(top * f), "label": value_fr(top * f, mode)} for f in (0, 0.5, 1)]
    every = max(1, math.ceil(n / g["x_labels"]))
    x_labels = [{"x": round(pad_l + (i + 0.5) * step, 2),
                 "label": short_period_fr(b["start"], interval, shape == "narrow")}
                for i, b in enumerate(buckets) if i % every == 0]
    legend = [{"label": s.get("query") or "tous les articles", "colour": COLOURS[k % len(COLOURS)],
               "total": s["total"], "stories": s["total_stories"], "undated": s["undated"]}
              for k, s in enumerate(series)]
    return {"mode": mode, "shape": shape, "font": g["font"], "width": width, "height": height,
            "left": pad_l, "right": width - pad_r,
            "top": pad_t, "bottom": pad_t + plot_h, "bars": bars, "lines": lines, "columns": columns,
            "y_ticks": y_ticks, "x_labels": x_labels, "legend": legend, "interval": interval,
            "n": n, "multi": len(series) > 1}
