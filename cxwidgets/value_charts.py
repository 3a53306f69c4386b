"""Altair charts of customer value: the cohort heat map, retention curves and the holdout check.

Plain chart builders over the frames of :mod:`cxwidgets.value` (``retention``,
``holdout_check``); ``altair`` is imported when a chart is built. Every mark carries its number
(share and n in the tooltip, the share written in each heat-map cell), so colour is never the only
carrier of the value.

Example:
    >>> import datetime as dt
    >>> from cxwidgets.value import simulate_transactions
    >>> from cxwidgets.value.cohorts import retention
    >>> log = simulate_transactions(500, r=0.8, alpha=4.0, a=1.0, b=3.0, acquisition_days=120,
    ...     start=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), end=dt.datetime(2024, 12, 31, tzinfo=dt.UTC), seed=0)
    >>> spec = cohort_heatmap(retention(log, by="month")).to_dict()
    >>> spec["title"]
    'Active share by acquisition cohort'
"""

from __future__ import annotations

from typing import Any

import polars as pl

from cxwidgets.errors import CXDataError

__all__ = ["cohort_heatmap", "retention_curves", "holdout_chart"]


def _check(frame: pl.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CXDataError(f"not a {what} frame: missing {missing}", table=what, column=missing[0],
                          fix=f"pass the frame cxwidgets.value returns for {what}")


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.with_columns(pl.col("cohort").cast(pl.String)).to_dicts()


def cohort_heatmap(frame: pl.DataFrame, *, width: int = 420) -> Any:
    """Cohorts down, periods since acquisition across, each cell's active share as colour and text."""
    import altair as alt

    _check(frame, ["cohort", "period", "n_cohort", "n_active", "active_share"], "retention")
    data = alt.Data(values=_records(frame))
    base = alt.Chart(data).encode(
        x=alt.X("period:O", title="periods since acquisition"),
        y=alt.Y("cohort:O", title="acquisition cohort"),
    )
    tooltip = [alt.Tooltip("cohort:O"), alt.Tooltip("period:O"), alt.Tooltip("n_cohort:Q", title="n in cohort"),
               alt.Tooltip("n_active:Q", title="n active"), alt.Tooltip("active_share:Q", format=".1%")]
    cells = base.mark_rect().encode(
        color=alt.Color("active_share:Q", title="active share", scale=alt.Scale(scheme="blues", domain=[0, 1])),
        tooltip=tooltip,
    )
    text = base.mark_text(fontSize=9).encode(
        text=alt.Text("active_share:Q", format=".0%"),
        color=alt.condition("datum.active_share > 0.6", alt.value("white"), alt.value("black")),
    )
    return (cells + text).properties(width=width, title="Active share by acquisition cohort")


def retention_curves(frame: pl.DataFrame, *, width: int = 420, height: int = 240) -> Any:
    """One line per cohort: active share against periods since acquisition (n in the tooltip)."""
    import altair as alt

    _check(frame, ["cohort", "period", "n_cohort", "n_active", "active_share"], "retention")
    data = alt.Data(values=_records(frame))
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("period:Q", title="periods since acquisition"),
        y=alt.Y("active_share:Q", title="active share", axis=alt.Axis(format="%")),
        color=alt.Color("cohort:N", title="cohort"),
        tooltip=[alt.Tooltip("cohort:N"), alt.Tooltip("period:Q"), alt.Tooltip("n_cohort:Q", title="n in cohort"),
                 alt.Tooltip("n_active:Q", title="n active"), alt.Tooltip("active_share:Q", format=".1%")],
    ).properties(width=width, height=height, title="Retention curves by cohort")


def holdout_chart(frame: pl.DataFrame, *, width: int = 420, height: int = 240) -> Any:
    """Actual against predicted mean holdout purchases by calibration frequency (the papers' figure)."""
    import altair as alt

    _check(frame, ["group", "n", "actual", "predicted"], "holdout_check")
    long = frame.unpivot(index=["group", "n"], on=["actual", "predicted"], variable_name="series",
                         value_name="purchases")
    order = frame.get_column("group").to_list()
    return alt.Chart(alt.Data(values=long.to_dicts())).mark_line(point=True).encode(
        x=alt.X("group:O", sort=order, title="purchases in the calibration period"),
        y=alt.Y("purchases:Q", title="mean purchases in the holdout period"),
        strokeDash=alt.StrokeDash("series:N", title=None),
        color=alt.Color("series:N", title=None),
        tooltip=["group:O", "series:N", alt.Tooltip("purchases:Q", format=".2f"), alt.Tooltip("n:Q", title="n")],
    ).properties(width=width, height=height, title="Holdout: actual vs predicted purchases")
