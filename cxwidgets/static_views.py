"""Static pictures of what the widgets show, drawn as SVG text from plain data: the journey map
(stage columns, moment cards, the MIS curve and each persona's emotion curves), the MIS bar
charts of the weight tuner and the threshold tuner's histogram with its bands.

They are what a host without a kernel shows (nbconvert HTML, GitHub, the docs site: see
:mod:`cxwidgets.widgets._static`), what ``save_image`` writes and what ``to_html`` pages embed.
Drawn here, in plain Python (no browser, no network, milliseconds), from the same view data the
widgets receive; a PNG is the SVG rasterised by vl-convert (:func:`svg_to_png`).

User text (stage and moment names, owners, personas) is XML-escaped: a moment named
``<img src=x onerror=alert(1)>`` is drawn as those characters, never parsed as markup.

Example:
    >>> svg = journey_svg({"name": "Q&A", "stages": [{"name": "<b>", "moments": [{"name": "A"}]}]})
    >>> svg.startswith("<svg") and "&lt;b&gt;" in svg and "<b>" not in svg
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from cxwidgets._util.html import text as esc
from cxwidgets.palette import RAG_COLOURS, STATUS_LABELS

__all__ = ["band_of", "band_rules", "bars_svg", "histogram_svg", "journey_svg", "stack_svgs", "svg_size", "svg_to_png"]

_FONT = "font-family=\"Liberation Sans, DejaVu Sans, Arial, Helvetica, sans-serif\""
_FG = "#1f1f1f"
_MUTED = "#5f5f5f"
_GRID = "#dddddd"
_PERSONA_COLOURS = ("#1f5fa8", "#7b3fa0", "#00838f", "#ad4e00", "#5d6b00")
_STATES = ("green", "amber", "red")


def _clip(value: Any, n: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        return None
    return float(value)


def _t(x: float, y: float, content: str, *, size: int = 12, weight: str = "normal", fill: str = _FG,
       anchor: str = "start", fit: float | None = None) -> str:
    """A text element; with ``fit`` (a width), a text likely wider than that is squeezed into it
    (``textLength``), whatever font the viewer has, instead of running over its box."""
    squeeze = ""
    if fit is not None and len(content) * size * (0.62 if weight == "bold" else 0.56) > fit:
        squeeze = f' textLength="{fit:.0f}" lengthAdjust="spacingAndGlyphs"'
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" fill="{fill}" '
            f'text-anchor="{anchor}"{squeeze}>{esc(content)}</text>')


def _frame(width: float, height: float, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{esc(title)}" {_FONT}>'
        f"<title>{esc(title)}</title>"
        f'<rect width="100%" height="100%" fill="#ffffff"/>' + "".join(body) + "</svg>"
    )


def _status(value: Any) -> str:
    return value if value in _STATES else "none"


def _mark(x: float, y: float, status: str) -> str:
    """The status mark of a curve point: a circle (green, not scored), a triangle (amber), a
    square (red): shape tells the state, not colour alone (as on the live map)."""
    colour = RAG_COLOURS[status]
    if status == "amber":
        points = f"{x:.1f},{y - 7:.1f} {x + 7:.1f},{y + 5:.1f} {x - 7:.1f},{y + 5:.1f}"
        return f'<polygon points="{points}" fill="{colour}"/>'
    if status == "red":
        return f'<rect x="{x - 5.5:.1f}" y="{y - 5.5:.1f}" width="11" height="11" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}"/>'


def _personas(journey: Mapping[str, Any]) -> list[str]:
    names = [*dict(journey.get("emotions") or {}), *dict(journey.get("to_be") or {})]
    return list(dict.fromkeys(names))


def journey_svg(
    journey: Mapping[str, Any],
    scores: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    col_width: int = 200,
    title: str | None = None,
    personas: Sequence[str] | None = None,
) -> str:
    """The journey map as an SVG picture: a column per stage with its moment cards (primary
    signal, value, MIS with the state in words, owner), the MIS curve across the journey when
    there are scores, and each persona's emotion curve (as-is solid, to-be dashed) when set.

    ``journey`` is the journey as plain data (``Journey.model_dump(mode="json")``, the map's
    ``journey_data``); ``scores`` the map's ``scores`` (moment -> {mis, status, value_text});
    ``personas`` the personas whose curves are drawn (``None``: every persona with emotions).

    Example:
        >>> import cxwidgets as cx
        >>> svg = journey_svg(cx.Journey.template("saas").model_dump(mode="json"))
        >>> svg.count('class="cx-card"'), "Renewal Decision" in svg
        (8, True)
    """
    scores = scores or {}
    stages = [s for s in journey.get("stages") or [] if isinstance(s, Mapping)]
    all_moments = [m for s in stages for m in s.get("moments") or [] if isinstance(m, Mapping)]
    extra = max([len(_workshop_lines(m)) for m in all_moments] or [0])
    gap, pad, card_h, card_gap = 10, 16, 96 + 17 * extra, 8
    n_cols = max(1, len(stages))
    width = pad * 2 + n_cols * col_width + (n_cols - 1) * gap
    name = title if title is not None else str(journey.get("name") or "Journey")
    body: list[str] = [_t(pad, 26, _clip(name, 110), size=17, weight="bold")]
    top = 44
    n_rows = max([len(s.get("moments") or []) for s in stages] or [0])
    xs: list[tuple[str, float]] = []
    for i, stage in enumerate(stages):
        left = pad + i * (col_width + gap)
        moments = [m for m in stage.get("moments") or [] if isinstance(m, Mapping)]
        col_h = 30 + max(1, n_rows) * (card_h + card_gap)
        body.append(f'<rect x="{left}" y="{top}" width="{col_width}" height="{col_h}" rx="6" fill="#f4f4f4"/>')
        body.append(_t(left + 10, top + 20, _clip(stage.get("name", ""), 32), size=13, weight="bold",
                       fit=col_width - 20))
        for k, m in enumerate(moments):
            xs.append((str(m.get("name", "")), left + col_width * (k + 0.5) / len(moments)))
            body.append(_card(m, scores.get(str(m.get("name", ""))) or {}, left + 6, top + 30 + k * (card_h + card_gap),
                              col_width - 12, card_h))
        if not moments:
            body.append(_t(left + 10, top + 50, "No moments yet", size=12, fill=_MUTED))
    if not stages:
        body.append(_t(pad, top + 24, "No stages yet: add a stage to start mapping.", size=13, fill=_MUTED))
    y: float = top + 30 + max(1, n_rows) * (card_h + card_gap) + 16
    x_of = dict(xs)
    points = [(x_of[n], _num((scores.get(n) or {}).get("mis")), _status((scores.get(n) or {}).get("status")), n)
              for n, _ in xs]
    scored = [(x, v, s, n) for x, v, s, n in points if v is not None]
    if scored:
        y = _curve_chart(body, y, width, pad, "Moment Impact Score (0-100)", (0, 100), [100, 75, 50, 25, 0],
                         [("MIS", "#1f1f1f", False, [(x, v, s) for x, v, s, _ in scored])])
    personas = list(personas) if personas is not None else _personas(journey)
    emotions = dict(journey.get("emotions") or {})
    to_be = dict(journey.get("to_be") or {})
    series: list[tuple[str, str, bool, list[tuple[float, float, str]]]] = []
    for i, persona in enumerate(personas):
        colour = _PERSONA_COLOURS[i % len(_PERSONA_COLOURS)]
        for label, table, dashed in (("as-is", emotions, False), ("to-be", to_be, True)):
            marks = dict(table.get(persona) or {})
            pts = [(x, v, "") for n, x in xs if (v := _num(marks.get(n))) is not None]
            if pts:
                series.append((f"{_clip(persona, 24)} {label}", colour, dashed, pts))
    y_chart = y
    y = _curve_chart(body, y, width, pad, "Emotion (-2 to +2)", (-2, 2), [2, 1, 0, -1, -2], series)
    if not series:  # as the live map: the empty chart says so
        who = ", ".join(_clip(p, 24) for p in personas) or "any persona"
        body.append(_t(width / 2, y_chart + 24 + 55 + 4, f"No emotions set for {who} yet", size=12, fill=_MUTED,
                       anchor="middle"))
    return _frame(width, y + 8, f"Journey map: {name}", body)


def _workshop_lines(m: Mapping[str, Any]) -> list[str]:
    """A card's workshop lines, as the live map writes them: dot votes and opportunities, the comment."""
    votes = int(m.get("votes") or 0)
    opps = len(m.get("opportunities") or [])
    lines = []
    if votes or opps:
        parts = [f"● {votes} vote{'' if votes == 1 else 's'}"] if votes else []
        parts += [f"◆ {opps} opportunit{'y' if opps == 1 else 'ies'}"] if opps else []
        lines.append("   ".join(parts))
    if m.get("comment"):
        lines.append(f"“{_clip(m['comment'], 34)}”")
    return lines


def _card(m: Mapping[str, Any], score: Mapping[str, Any], x: float, y: float, w: float, h: float) -> str:
    status = _status(score.get("status"))
    signals = [s for s in m.get("signals") or [] if isinstance(s, Mapping)]
    signal = str(signals[0].get("name", "")) if signals else "no signal yet"
    mis = _num(score.get("mis"))
    room = w - 18
    owner = "Owner: " + (str(m.get("owner") or "") or "—") + (f" · SLA {m['owner_sla']}" if m.get("owner_sla") else "")
    rows: list[tuple[str, int, str, str]] = [  # text, size, weight, colour
        (_clip(m.get("name", ""), 36), 12, "bold", _FG),
        (_clip(signal, 36), 11, "normal", _MUTED),
        (_clip(score.get("value_text") or "", 36), 11, "normal", _FG),
        (("MIS " + (f"{mis:.0f}" if mis is not None else "—")) + " · " + STATUS_LABELS[status], 12, "bold", _FG),
        *((line, 11, "normal", _FG) for line in _workshop_lines(m)),
        (_clip(owner, 40), 11, "normal", _MUTED),
    ]
    lines = [_t(x + 12, y + 18 + 16.75 * i, text, size=size, weight=weight, fill=fill, fit=room)
             for i, (text, size, weight, fill) in enumerate(rows)]
    return (
        f'<g class="cx-card"><rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h}" rx="5" fill="#ffffff" '
        f'stroke="#9e9e9e" stroke-width="1"/>'
        f'<rect x="{x:.1f}" y="{y:.1f}" width="6" height="{h}" rx="2" fill="{RAG_COLOURS[status]}"/>'
        + "".join(lines) + "</g>"
    )


def _curve_chart(
    body: list[str], y0: float, width: float, pad: float, title: str, domain: tuple[float, float],
    ticks: Sequence[float], series: Sequence[tuple[str, str, bool, Sequence[tuple[float, float, str]]]],
) -> float:
    """A curve chart below the map (its x positions are the cards'): returns the next free y."""
    h = 110
    lo, hi = domain
    top = y0 + 24
    body.append(_t(pad, y0 + 12, title, size=13, weight="bold"))
    lx = pad + 16 + len(title) * 8.4
    for label, colour, dashed, _ in series:
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        body.append(f'<line x1="{lx:.0f}" x2="{lx + 20:.0f}" y1="{y0 + 8}" y2="{y0 + 8}" stroke="{colour}" '
                    f'stroke-width="2"{dash}/>')
        body.append(_t(lx + 24, y0 + 12, label, size=11))
        lx += 40 + len(label) * 7

    def y_of(v: float) -> float:
        return top + (hi - v) / (hi - lo) * h

    for v in ticks:
        body.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y_of(v):.1f}" y2="{y_of(v):.1f}" stroke="{_GRID}"/>')
        body.append(_t(pad + 2, y_of(v) - 3, f"{v:+g}" if lo < 0 and v else f"{v:g}", size=10, fill=_MUTED))
    for _label, colour, dashed, pts in series:
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y_of(v):.1f}" for x, v, _ in pts)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for x, v, status in pts:
            if status:
                body.append(_mark(x, y_of(v), status))
                body.append(_t(x + 9, y_of(v) - 7, f"{v:.0f}", size=11))
            elif dashed:
                body.append(f'<rect x="{x - 4:.1f}" y="{y_of(v) - 4:.1f}" width="8" height="8" fill="#ffffff" '
                            f'stroke="{colour}" stroke-width="2" transform="rotate(45 {x:.1f} {y_of(v):.1f})"/>')
            else:
                body.append(f'<circle cx="{x:.1f}" cy="{y_of(v):.1f}" r="4.5" fill="{colour}"/>')
    return top + h + 14


def bars_svg(records: Sequence[Mapping[str, Any]], title: str, *, width: int = 420) -> str:
    """A horizontal bar per record (``label``, ``mis`` 0-100, ``status``, optional ``text``),
    coloured by status and labelled with the MIS and the state in words: the weight tuner's
    "MIS by moment / stage / segment" charts.

    Example:
        >>> svg = bars_svg([{"label": "Onboard", "mis": 61.0, "status": "amber"}], "MIS by stage")
        >>> "61.0 · Amber" in svg
        True
    """
    label_w, row_h, top = min(170, int(width * 0.4)), 24, 34
    plot_w = width - label_w - 120
    body = [_t(8, 20, title, size=14, weight="bold")]
    for i, r in enumerate(records):
        y = top + i * row_h
        status = _status(r.get("status"))
        mis = _num(r.get("mis"))
        body.append(_t(label_w - 6, y + 15, _clip(r.get("label", ""), int(label_w / 6.3)), size=11, anchor="end"))
        if mis is not None:
            body.append(f'<rect x="{label_w}" y="{y + 3}" width="{max(0.0, min(mis, 100.0)) / 100 * plot_w:.1f}" '
                        f'height="{row_h - 8}" fill="{RAG_COLOURS[status]}"/>')
        text = r.get("text") or (("—" if mis is None else f"{mis:.1f}") + " · " + STATUS_LABELS[status])
        x = label_w + (0 if mis is None else max(0.0, min(mis, 100.0)) / 100 * plot_w) + 5
        body.append(_t(x, y + 15, str(text), size=11))
    h = top + max(1, len(records)) * row_h + 8
    if not records:
        body.append(_t(8, top + 15, "Nothing to show yet", size=12, fill=_MUTED))
    return _frame(width, h, title, body)


def band_of(lo: float, hi: float, green: float, amber: float, higher_is_better: bool = True) -> str:
    """The band a bin ``[lo, hi)`` of a histogram is drawn in: the band its middle falls in (the
    thresholds sit on bin edges, so that is the band of every account in it).

    Example:
        >>> band_of(74, 75, 75, 50), band_of(75, 76, 75, 50), band_of(10, 11, 20, 40, higher_is_better=False)
        ('amber', 'green', 'green')
    """
    mid = (lo + hi) / 2
    if higher_is_better:
        return "green" if mid >= green else "amber" if mid >= amber else "red"
    return "green" if mid <= green else "amber" if mid <= amber else "red"


def band_rules(green: float, amber: float, higher_is_better: bool = True) -> dict[str, str]:
    """Each band's rule in words, as the histograms' legends write it.

    Example:
        >>> band_rules(75, 50)["amber"], band_rules(10, 30, higher_is_better=False)["red"]
        ('50 to below 75', 'above 30')
    """
    if higher_is_better:
        return {"red": f"below {amber:g}", "amber": f"{amber:g} to below {green:g}", "green": f"{green:g} and above"}
    return {"green": f"{green:g} or less", "amber": f"above {green:g} to {amber:g}", "red": f"above {amber:g}"}


def histogram_svg(
    bins: Sequence[Mapping[str, Any]],
    green: float,
    amber: float,
    *,
    higher_is_better: bool = True,
    title: str = "Thresholds",
    axis: str = "",
    bands: Mapping[str, Any] | None = None,
    outcome: str = "",
    width: int = 620,
) -> str:
    """The threshold tuner's histogram: a bar per bin (``lo``, ``hi``, ``n``) coloured by the band
    its middle falls in, the two thresholds as dashed rules, and a legend naming each band with its
    rule and its accounts (from ``bands`` when given, else summed from the bins). With an
    ``outcome`` and the tuner's ``bands`` (rates per band, precision / recall / lift of red), the
    legend says the outcome rate of each band and how well red warns of it.

    Example:
        >>> svg = histogram_svg([{"lo": 0, "hi": 50, "n": 3}, {"lo": 50, "hi": 100, "n": 5}], 75, 50)
        >>> "Red: below 50 (3 accounts)" in svg, "Green: 75 and above (5 accounts)" in svg
        (True, True)
    """
    rows = [(float(b["lo"]), float(b["hi"]), int(b.get("n") or 0)) for b in bins]

    def band(lo: float, hi: float) -> str:
        return band_of(lo, hi, green, amber, higher_is_better)

    rules = band_rules(green, amber, higher_is_better)
    order = ("red", "amber", "green") if higher_is_better else ("green", "amber", "red")
    counts = {k: sum(n for lo, hi, n in rows if band(lo, hi) == k) for k in order}
    if bands:
        counts = {k: int((bands.get(k) or {}).get("n", counts[k])) for k in order}
    left, right, top, h = 52, 16, 34, 170
    plot_w = width - left - right
    body = [_t(8, 20, _clip(title, 90), size=14, weight="bold")]
    if not rows:
        body.append(_t(left, top + 40, "No values to bin yet", size=12, fill=_MUTED))
        return _frame(width, top + 80, title, body)
    x_lo, x_hi = rows[0][0], rows[-1][1]
    span = (x_hi - x_lo) or 1.0
    n_max = max(n for _, _, n in rows) or 1

    def x_of(v: float) -> float:
        return left + (v - x_lo) / span * plot_w

    for tick in sorted({0, n_max // 2, n_max}):
        yy = top + h - tick / n_max * h
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{_GRID}"/>')
        body.append(_t(left - 4, yy + 4, f"{tick:,}", size=10, fill=_MUTED, anchor="end"))
    for lo, hi, n in rows:
        bh = n / n_max * h
        body.append(f'<rect x="{x_of(lo):.2f}" y="{top + h - bh:.2f}" width="{max(0.5, x_of(hi) - x_of(lo)):.2f}" '
                    f'height="{bh:.2f}" fill="{RAG_COLOURS[band(lo, hi)]}"/>')
    for v, name in ((amber, "amber"), (green, "green")):
        if x_lo <= v <= x_hi:
            body.append(f'<line x1="{x_of(v):.1f}" x2="{x_of(v):.1f}" y1="{top - 4}" y2="{top + h}" stroke="{_FG}" '
                        f'stroke-width="1.5" stroke-dasharray="4 3"/>')
            body.append(_t(x_of(v) + 4, top + 8, f"{name} {v:g}", size=11))
    for v in (x_lo, (x_lo + x_hi) / 2, x_hi):
        body.append(_t(x_of(v), top + h + 14, f"{v:g}", size=10, fill=_MUTED, anchor="middle"))
    body.append(_t(left + plot_w / 2, top + h + 30, _clip(axis, 100), size=11, anchor="middle"))
    y = top + h + 52
    for k in order:
        body.append(f'<rect x="{left}" y="{y - 10}" width="12" height="12" fill="{RAG_COLOURS[k]}"/>')
        line = f"{STATUS_LABELS[k]}: {rules[k]} ({counts[k]:,} accounts)"
        band_k = (bands or {}).get(k) or {}
        if outcome and "rate" in band_k:
            rate = _num(band_k.get("rate"))
            events, known = int(band_k.get("events") or 0), int(band_k.get("known") or 0)
            line += (f" · {outcome} {rate:.1%} ({events:,} of {known:,})"
                     if rate is not None else f" · {outcome}: no account with a known outcome")
        body.append(_t(left + 18, y, _clip(line, 110), size=12))
        y += 18
    if outcome and bands and _num(bands.get("precision")) is not None:
        p, r, lift = _num(bands.get("precision")), _num(bands.get("recall")), _num(bands.get("lift"))
        words = f"Red as a warning of {outcome}: precision {p:.0%}, recall {r or 0:.0%}"
        words += f", lift {lift:.2f}x" if lift is not None else ", lift not defined (no events outside red)"
        body.append(_t(left, y + 4, _clip(words, 110), size=12))
        y += 22
    return _frame(width, y + 4, title, body)


def stack_svgs(parts: Sequence[str], *, across: bool = False, title: str = "", gap: int = 12) -> str:
    """SVG pictures of this module placed in one picture, one below the other (``across``: side
    by side), each kept whole as a nested ``<svg>``.

    Example:
        >>> both = stack_svgs([bars_svg([], "a", width=300), bars_svg([], "b", width=200)], across=True)
        >>> svg_size(both)[0], both.count("<svg")
        (512, 3)
    """
    sizes = [svg_size(p) for p in parts]
    if across:
        width = sum(w for w, _ in sizes) + gap * max(0, len(parts) - 1)
        height = max([h for _, h in sizes] or [0])
    else:
        width = max([w for w, _ in sizes] or [0])
        height = sum(h for _, h in sizes) + gap * max(0, len(parts) - 1)
    body: list[str] = []
    at = 0
    for part, (w, h) in zip(parts, sizes, strict=True):
        x, y = (at, 0) if across else (0, at)
        body.append(part.replace("<svg ", f'<svg x="{x}" y="{y}" ', 1))
        at += (w if across else h) + gap
    return _frame(width, height, title or "cxwidgets", body)


def svg_size(svg: str) -> tuple[int, int]:
    """The ``width`` and ``height`` an SVG of this module declares.

    Example:
        >>> svg_size(bars_svg([], "x", width=300))[0]
        300
    """
    import re

    head = svg[: svg.index(">")]
    w = re.search(r'width="([\d.]+)"', head)
    h = re.search(r'height="([\d.]+)"', head)
    return (int(float(w.group(1))) if w else 0, int(float(h.group(1))) if h else 0)


def svg_to_png(svg: str, *, scale: float = 1.0) -> bytes:
    """The SVG rasterised to PNG by vl-convert (resvg: no browser, no network).

    Example:
        >>> svg_to_png(bars_svg([], "x"))[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
        True
    """
    import vl_convert as vlc

    return bytes(vlc.svg_to_png(svg, scale=scale))
