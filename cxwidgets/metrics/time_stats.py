"""The building blocks of a time summary: elapsed time, its quantiles, attainment and the group-by.

Shared by the ticket-time summaries (:mod:`cxwidgets.metrics.tickets`) and time to first value
(:mod:`cxwidgets.metrics.ttv`); the conventions (linear quantiles, Wilson attainment) are in
:mod:`cxwidgets.metrics.time`.
"""

from __future__ import annotations

import polars as pl

from cxwidgets.metrics.calendar import BusinessCalendar
from cxwidgets.metrics.intervals import wilson
from cxwidgets.metrics.time_inputs import _unit_us


def _col(c: str | pl.Expr) -> pl.Expr:
    return pl.col(c) if isinstance(c, str) else c


def _elapsed(start: str | pl.Expr, end: str | pl.Expr, unit: str, calendar: BusinessCalendar | None) -> pl.Expr:
    us = _unit_us(unit)
    s, e = _col(start), _col(end)
    if calendar is None:
        micro = (e - s).dt.total_microseconds()
    else:
        micro = calendar._clock_us(e) - calendar._clock_us(s)
    return micro.cast(pl.Float64) / us


def _quantiles(x: pl.Expr, suffix: str = "") -> list[pl.Expr]:
    return [
        x.quantile(0.5, interpolation="linear").alias(f"median{suffix}"),
        x.quantile(0.9, interpolation="linear").alias(f"p90{suffix}"),
        x.mean().alias(f"mean{suffix}"),
    ]


def _attainment(prefix: str, confidence: float) -> list[pl.Expr]:
    met, breached = pl.col(f"{prefix}_met"), pl.col(f"{prefix}_breached")
    den = met + breached
    low, high = wilson(met, den, confidence)
    return [
        pl.when(den > 0).then(met.cast(pl.Float64) / den.cast(pl.Float64)).alias(f"{prefix}_attainment"),
        low.alias(f"{prefix}_attainment_low"),
        high.alias(f"{prefix}_attainment_high"),
    ]


def _group(lf: pl.LazyFrame, keys: list[str], aggs: list[pl.Expr]) -> pl.LazyFrame:
    if keys:
        return lf.group_by(keys).agg(aggs).sort(keys, nulls_last=True)
    return lf.select(aggs)

