"""``threshold_chart``: the threshold tuner's histogram as an altair chart, for exports
(``ThresholdTuner.save_image``, ``ThresholdTuner.chart``): aggregated bins only, coloured by band
with the one RAG palette, every band named in words in its legend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NotRequired, TypedDict

from cxwidgets.static_views import band_of, band_rules

__all__ = ["threshold_chart"]


class _BinRow(TypedDict):
    """One bar of the chart."""

    lo: float
    hi: float
    n: int
    band: str  # green, amber or red
    label: NotRequired[str]  # the band's legend entry


def threshold_chart(
    bins: Sequence[Mapping[str, Any]],
    green: float,
    amber: float,
    *,
    higher_is_better: bool = True,
    title: str = "",
    unit: str = "",
    axis: str = "",
    width: int = 560,
    height: int = 220,
) -> Any:
    """An altair chart of binned counts coloured by band, with the thresholds as rules and
    every band named in its legend with its rule and its count (colour is never the only cue).

    Example:
        >>> bins = [{"lo": 0, "hi": 50, "n": 3}, {"lo": 50, "hi": 100, "n": 5}]
        >>> threshold_chart(bins, 75, 50).mark.type  # doctest: +SKIP
    """
    import altair as alt
    import polars as pl

    from cxwidgets.charts import RAG_COLOURS, STATUS_LABELS

    rows: list[_BinRow] = [
        {"lo": float(b["lo"]), "hi": float(b["hi"]), "n": int(b["n"]),
         "band": band_of(float(b["lo"]), float(b["hi"]), green, amber, higher_is_better)}
        for b in bins
    ]
    counts = {k: sum(r["n"] for r in rows if r["band"] == k) for k in ("green", "amber", "red")}
    rules = band_rules(green, amber, higher_is_better)
    order = ["red", "amber", "green"] if higher_is_better else ["green", "amber", "red"]
    labels = {k: f"{STATUS_LABELS[k]}: {rules[k]} ({counts[k]:,} accounts)" for k in order}
    for r in rows:
        r["label"] = labels[r["band"]]
    frame = pl.DataFrame(
        rows, schema={"lo": pl.Float64, "hi": pl.Float64, "n": pl.Int64, "band": pl.String, "label": pl.String}
    )
    x_title = axis or (title + (f" ({unit})" if unit else ""))
    colour = alt.Color(
        "label:N",
        scale=alt.Scale(domain=[labels[k] for k in order], range=[RAG_COLOURS[k] for k in order]),
        legend=alt.Legend(title="Band", orient="bottom", direction="vertical", labelLimit=400),
    )
    bars = alt.Chart(frame).mark_bar(stroke="#ffffff", strokeWidth=0.3).encode(
        x=alt.X("lo:Q", title=x_title or "value", scale=alt.Scale(domain=[rows[0]["lo"], rows[-1]["hi"]], nice=False)),
        x2="hi:Q",
        y=alt.Y("n:Q", title="accounts", scale=alt.Scale(zero=True)),
        y2=alt.datum(0),
        color=colour,
        tooltip=["lo", "hi", "n", "band"],
    )
    cuts = pl.DataFrame({"at": [amber, green], "what": [f"amber {amber:g}", f"green {green:g}"]})
    rule = alt.Chart(cuts).mark_rule(color="#1f1f1f", strokeDash=[4, 3], strokeWidth=1.5).encode(x="at:Q")
    text = alt.Chart(cuts).mark_text(align="left", dx=4, dy=-4, baseline="bottom", color="#1f1f1f").encode(
        x="at:Q", y=alt.value(12), text="what:N"
    )
    return (bars + rule + text).properties(width=width, height=height, title=title or "Thresholds").configure_view(
        stroke=None
    ).configure(background="#ffffff")
