"""Altair charts of MIS roll-ups: one bar per moment, stage or segment, coloured and labelled by status.

These are plain chart builders over the frames :meth:`cxwidgets.mis.MISModel.score` returns, so
a notebook, a widget and a static export draw the same picture. ``altair`` is imported only when
a chart is built (``import cxwidgets`` stays light). Status is never told by colour alone: each
bar carries its value and a text label ("Green", "Amber", "Red").

Example:
    >>> import cxwidgets as cx
    >>> from cxwidgets.charts import mis_chart
    >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(300, seed=0))
    >>> mis_chart(model.score("moment"), "moment").to_dict()["title"]
    'MIS by moment'
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from cxwidgets import palette as _palette
from cxwidgets._util.files import atomic_write
from cxwidgets._util.html import script_json
from cxwidgets._util.html import text as html_text

__all__ = [
    "RAG_COLOURS",
    "STATUS_LABELS",
    "by_chart",
    "by_records",
    "by_title",
    "chart_html",
    "chart_view",
    "mis_chart",
    "mis_records",
    "save_chart",
]

#: Bar colours per status and the status in words: the one palette (:mod:`cxwidgets.palette`),
#: re-exported here where the charts use it.
RAG_COLOURS = _palette.RAG_COLOURS
STATUS_LABELS = _palette.STATUS_LABELS

_LEVEL_TITLES = {"moment": "MIS by moment", "stage": "MIS by stage", "segment": "MIS by segment"}


def mis_records(frame: pl.DataFrame, level: str, changes: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    """The rows a chart needs, as plain JSON-able dicts: label, mis, status, label text, rank change.

    ``changes`` maps a label to its rank change since a baseline (positive: moved up).

    Example:
        >>> import polars as pl
        >>> f = pl.DataFrame({"moment": ["A"], "mis": [61.04], "status": ["amber"]})
        >>> mis_records(f, "moment", {"A": 2})[0]["text"]
        '61.0 · Amber · ▲2'
    """
    if level not in _LEVEL_TITLES:
        raise ValueError(f"level must be one of {', '.join(map(repr, _LEVEL_TITLES))}, got {level!r}")
    if level not in frame.columns:
        raise ValueError(f"the frame has no {level!r} column; pass model.score({level!r})")
    out: list[dict[str, Any]] = []
    for i, row in enumerate(frame.select(level, "mis", "status").iter_rows()):
        label, mis, status = row
        status = status if status in ("green", "amber", "red") else "none"
        parts = ["—" if mis is None else f"{mis:.1f}", STATUS_LABELS[status]]
        change = (changes or {}).get(label, 0)
        if change:
            parts.append(f"{'▲' if change > 0 else '▼'}{abs(change)}")
        out.append(
            {
                "order": i,
                "label": str(label),
                "mis": None if mis is None else round(float(mis), 3),
                "status": status,
                "state": STATUS_LABELS[status],
                "text": " · ".join(parts),
                "change": int(change),
            }
        )
    return out


def by_title(by: str | Sequence[str]) -> str:
    """The title of a chart of MIS per group: ``"MIS by region"``, ``"MIS by region × plan"``.

    Example:
        >>> by_title("segment"), by_title(["region", "plan"])
        ('MIS by segment', 'MIS by region × plan')
    """
    return "MIS by " + " × ".join(_by_columns(by))


def by_records(frame: pl.DataFrame, by: str | Sequence[str]) -> list[dict[str, Any]]:
    """The rows a "MIS by <dimension>" chart needs, from ``model.score("journey", by=by)``: per
    group its label (the dimension's values as text, a null value "(no value)"), MIS, status
    and the accounts it rests on (``n``), as plain JSON-able dicts in the frame's order.

    Example:
        >>> import polars as pl
        >>> f = pl.DataFrame({"region": ["EU", None], "mis": [61.04, None], "n_accounts": [1200, 3],
        ...                   "status": ["amber", None]})
        >>> [r["text"] for r in by_records(f, "region")]
        ['61.0 · Amber · n 1,200', '— · Not scored · n 3']
        >>> by_records(f, "region")[1]["label"]
        '(no value)'
    """
    from cxwidgets.views import group_label

    columns = _by_columns(by)
    missing = [c for c in (*columns, "mis", "status") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the frame has no {', '.join(map(repr, missing))} column; pass model.score('journey', by={by!r})"
        )
    has_n = "n_accounts" in frame.columns
    out: list[dict[str, Any]] = []
    for i, row in enumerate(frame.iter_rows(named=True)):
        mis, status = row["mis"], row["status"]
        status = status if status in ("green", "amber", "red") else "none"
        mis = None if mis is None or not math.isfinite(mis) else float(mis)
        n = int(row["n_accounts"]) if has_n and row["n_accounts"] is not None else None
        parts = ["—" if mis is None else f"{mis:.1f}", STATUS_LABELS[status]]
        if n is not None:
            parts.append(f"n {n:,}")
        out.append(
            {
                "order": i,
                "label": " · ".join(group_label(row[c]) for c in columns),
                "mis": None if mis is None else round(mis, 3),
                "status": status,
                "state": STATUS_LABELS[status],
                "text": " · ".join(parts),
                "change": 0,
                "n": n,
            }
        )
    return out


def by_chart(frame: pl.DataFrame, by: str | Sequence[str], *, width: int = 200) -> Any:
    """"MIS by <dimension>": a bar per group of ``model.score("journey", by=by)``, coloured and
    labelled by status, with the accounts of each group (:func:`by_records`).

    Example:
        >>> import cxwidgets as cx
        >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(300, seed=0))
        >>> by_chart(model.score("journey", by="segment"), "segment").to_dict()["title"]
        'MIS by segment'
    """
    return mis_chart(by_records(frame, by), " × ".join(_by_columns(by)), width=width, title=by_title(by))


def chart_view(
    frame: pl.DataFrame, level: str, *, by: str | Sequence[str] | None = None,
    changes: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """What one bar chart of a tuner shows: its title and rows (aggregates only: one row per
    moment, stage or group, never an account). ``level`` is ``"moment"`` or ``"stage"`` (rows
    of :func:`mis_records`), or ``"segment"`` with ``by`` (``model.score("journey", by=by)``,
    rows of :func:`by_records`).

    Example:
        >>> import polars as pl
        >>> f = pl.DataFrame({"region": ["EU"], "mis": [61.04], "n_accounts": [12], "status": ["amber"]})
        >>> view = chart_view(f, "segment", by="region")
        >>> view["title"], view["rows"][0]["text"]
        ('MIS by region', '61.0 · Amber · n 12')
    """
    if level == "segment" and by is not None:
        return {"level": level, "title": by_title(by), "rows": by_records(frame, by)}
    return {"level": level, "title": _LEVEL_TITLES.get(level, level), "rows": mis_records(frame, level, changes)}


def _by_columns(by: str | Sequence[str]) -> list[str]:
    if isinstance(by, str):
        return [by]
    columns = list(by)
    if not columns or not all(isinstance(c, str) for c in columns):
        raise ValueError(f"by must name one accounts column or several, got {by!r}")
    return columns


def mis_chart(
    frame: pl.DataFrame | Sequence[Mapping[str, Any]],
    level: str = "moment",
    *,
    changes: Mapping[str, int] | None = None,
    width: int = 360,
    title: str | None = None,
) -> Any:
    """A horizontal bar chart of MIS (0-100) by moment, stage or segment, in the frame's order.

    ``frame`` is ``model.score(level)`` (or the records of :func:`mis_records`). Bars are coloured
    by status and labelled with the value, the state in words and the rank change.

    Example:
        >>> import cxwidgets as cx
        >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(300, seed=0))
        >>> chart = mis_chart(model.score("stage"), "stage")
        >>> chart.save("stages.svg")  # doctest: +SKIP
    """
    import altair as alt

    records = frame if not isinstance(frame, pl.DataFrame) else mis_records(frame, level, changes)
    records = [dict(r) for r in records]
    data = alt.Data(values=records)
    labels = [r["label"] for r in records]
    y = alt.Y("label:N", sort=labels, title=None, axis=alt.Axis(labelLimit=220))
    base = alt.Chart(data).encode(y=y)
    states = list(STATUS_LABELS)
    bars = base.mark_bar(height={"band": 0.7}).encode(
        x=alt.X("mis:Q", scale=alt.Scale(domain=[0, 100]), title="MIS (0-100)"),
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=states, range=[RAG_COLOURS[s] for s in states]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("label:N", title=level[:1].upper() + level[1:]),
            alt.Tooltip("mis:Q", format=".1f", title="MIS"),
            alt.Tooltip("state:N", title="Status"),
            *([alt.Tooltip("n:Q", format=",", title="Accounts")] if records and all("n" in r for r in records)
              else [alt.Tooltip("change:Q", title="Rank change")]),
        ],
    )
    text = base.mark_text(align="left", dx=4, baseline="middle").encode(
        x=alt.X("text_x:Q", scale=alt.Scale(domain=[0, 100])),
        text="text:N",
    ).transform_calculate(text_x="datum.mis == null ? 0 : datum.mis")
    n = max(len(records), 1)
    return (
        (bars + text)
        .properties(width=width, height=max(60, 26 * n), title=title or _LEVEL_TITLES[level])
        .configure_view(stroke=None)
        .configure_axis(grid=False)
    )


def save_chart(chart: Any, path: str | os.PathLike[str], *, scale: float = 2.0) -> Path:
    """Save an altair chart as PNG, SVG, HTML or JSON (by extension) atomically
    (:func:`cxwidgets._util.files.atomic_write`), drawn with vl-convert (no browser, no
    network). The file opens with no Python running; an HTML page carries vega-embed inline
    (no CDN) and the spec as escaped JSON (:func:`chart_html`), so no name in the chart can run
    as script.

    Example:
        >>> save_chart(mis_chart(model.score("moment")), "moments.png")  # doctest: +SKIP
        PosixPath('moments.png')
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".png", ".svg", ".html", ".json"):
        raise ValueError(f"save_chart: {target.name!r} has no supported extension; use .png, .svg, .html or .json")
    data: bytes | str
    if suffix == ".png":
        buf = io.BytesIO()
        chart.save(buf, format="png", scale_factor=scale)
        data = buf.getvalue()
    elif suffix == ".svg":
        text = io.StringIO()
        chart.save(text, format="svg")
        data = text.getvalue()
    elif suffix == ".html":
        data = chart_html(chart)
    else:
        data = json.dumps(chart.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    return atomic_write(target, data)


def chart_html(chart: Any, *, title: str = "cxwidgets chart") -> str:
    r"""A standalone HTML page of an altair chart: vega-embed inlined from vl-convert (works
    offline) and the spec embedded as JSON escaped by :func:`cxwidgets._util.html.script_json`
    (``<``, ``>``, ``&``, U+2028/9 as ``\u003c``-style escapes), read with ``JSON.parse``.

    Example:
        >>> rows = [{"label": "</b>", "mis": 50.0, "status": "amber", "state": "Amber", "text": "50",
        ...          "change": 0, "order": 0}]
        >>> page = chart_html(mis_chart(rows, "stage"))
        >>> '"</b>"' in page, '"\\u003c/b\\u003e"' in page
        (False, True)
    """
    from altair.utils._importers import import_vl_convert, vl_version_for_vl_convert

    vl_version = vl_version_for_vl_convert()
    bundle = import_vl_convert().javascript_bundle(vl_version=vl_version)
    if "</script" in bundle.lower():  # pragma: no cover - the bundle is code, never closes its element
        raise ValueError("the vega-embed bundle cannot be inlined: it contains '</script'")
    options = {"mode": "vega-lite", "actions": False, "renderer": "svg"}
    payload = script_json({"spec": chart.to_dict(), "options": options})
    return _CHART_PAGE.format(title=html_text(title), bundle=bundle, payload=payload)


_CHART_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="cxwidgets">
<title>{title}</title>
<style>body {{ margin: 16px; background: #ffffff; }}</style>
<script>{bundle}</script>
</head>
<body>
<div id="cx-chart"></div>
<script type="application/json" id="cx-chart-data">{payload}</script>
<script>
const data = JSON.parse(document.getElementById("cx-chart-data").textContent);
vegaEmbed("#cx-chart", data.spec, data.options).catch((err) => {{
  const el = document.getElementById("cx-chart");
  el.textContent = "The chart could not be drawn: " + err;
}});
</script>
</body>
</html>
"""


def journey_chart(
    journey: Any,
    scores: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    card_width: int = 190,
    card_height: int = 112,
) -> Any:
    """The journey map as a static chart: stages as columns, a card per moment with its
    primary signal, MIS and state in words, and owner; for PNG/SVG export with vl-convert.

    ``scores`` is ``JourneyMap.scores`` (moment -> {mis, status, value_text}); without it the
    cards show no MIS. User text is drawn as text by Vega, never parsed as HTML.

    Example:
        >>> import cxwidgets as cx
        >>> chart = journey_chart(cx.Journey.template("saas"))
        >>> save_chart(chart, "journey.png")  # doctest: +SKIP
    """
    import altair as alt

    scores = scores or {}
    rows: list[dict[str, Any]] = []
    stages = [s.name for s in journey.stages]
    for stage in journey.stages:
        for i, m in enumerate(stage.moments):
            sc = scores.get(m.name) or {}
            status = str(sc.get("status")) if sc.get("status") in ("green", "amber", "red") else "none"
            mis = sc.get("mis")
            signal = m.signals[0].name if m.signals else "no signal yet"
            value = sc.get("value_text")
            lines = [
                _clip(m.name, 28),
                _clip(signal, 30),
                _clip(value or "", 30),
                ("MIS " + (f"{mis:.0f}" if isinstance(mis, (int, float)) else "—")) + " · " + STATUS_LABELS[status],
                _clip("Owner: " + (m.owner or "—"), 30),
            ]
            rows.append({"stage": stage.name, "row": i, "status": status, "lines": lines, "name": m.name})
    if not rows:
        rows.append({"stage": stages[0] if stages else "(no stages)", "row": 0, "status": "none",
                     "lines": ["No moments yet"], "name": ""})
        stages = stages or ["(no stages)"]
    data = alt.Data(values=rows)
    n_rows = max(r["row"] for r in rows) + 1
    x = alt.X("stage:N", sort=stages, title=None,
              axis=alt.Axis(orient="top", labelAngle=0, labelFontWeight="bold", labelLimit=card_width, ticks=False,
                            domain=False),
              scale=alt.Scale(paddingInner=0.08, paddingOuter=0.02))
    y = alt.Y("row:O", axis=None, scale=alt.Scale(paddingInner=0.1, paddingOuter=0.05))
    states = list(STATUS_LABELS)
    base = alt.Chart(data).encode(x=x, y=y)
    cards = base.mark_rect(cornerRadius=5, strokeWidth=1.5, stroke="#9e9e9e", fill="#ffffff")
    strip = base.mark_tick(orient="vertical", thickness=6, opacity=1, xOffset=-(card_width * 0.92) / 2 + 3,
                           size=card_height * 0.9).encode(
        color=alt.Color("status:N", scale=alt.Scale(domain=states, range=[RAG_COLOURS[s] for s in states]),
                        legend=None)
    )
    text = base.mark_text(align="left", baseline="top", dx=-(card_width * 0.92) / 2 + 12, dy=-card_height * 0.38,
                          fontSize=11, lineHeight=16, color="#1f1f1f").encode(text="lines:N")
    return (
        (cards + strip + text)
        .properties(width=card_width * len(stages), height=card_height * n_rows, title=_clip(journey.name, 80),
                    background="#ffffff")
        .configure_view(stroke=None)
    )


def _clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"
