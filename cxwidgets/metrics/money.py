"""Money metrics: customer lifetime value and return on investment."""

from __future__ import annotations

from typing import Any, overload

import polars as pl

from cxwidgets.errors import CXDataError

__all__ = ["clv", "roi"]

Number = float | int


@overload
def clv(avg_purchase_value: Number, purchase_frequency: Number, lifespan: Number, *, margin: Number = 1.0) -> float: ...
# an expression anywhere gives an expression: one overload per first expression, so none overlaps the numbers
@overload
def clv(
    avg_purchase_value: pl.Expr,
    purchase_frequency: pl.Expr | Number,
    lifespan: pl.Expr | Number,
    *,
    margin: pl.Expr | Number = 1.0,
) -> pl.Expr: ...
@overload
def clv(
    avg_purchase_value: Number,
    purchase_frequency: pl.Expr,
    lifespan: pl.Expr | Number,
    *,
    margin: pl.Expr | Number = 1.0,
) -> pl.Expr: ...
@overload
def clv(
    avg_purchase_value: Number, purchase_frequency: Number, lifespan: pl.Expr, *, margin: pl.Expr | Number = 1.0
) -> pl.Expr: ...
@overload
def clv(avg_purchase_value: Number, purchase_frequency: Number, lifespan: Number, *, margin: pl.Expr) -> pl.Expr: ...
def clv(avg_purchase_value: Any, purchase_frequency: Any, lifespan: Any, *, margin: Any = 1.0) -> Any:
    """Simple customer lifetime value: average purchase value x purchase frequency x lifespan.

    ``margin`` (a fraction) gives the margin-adjusted form. Numbers in, a number out;
    polars expressions in, an expression out.

    >>> import cxwidgets as cx
    >>> cx.clv(120.0, 4, 3)          # $120 a purchase, 4 a year, 3 years
    1440.0
    >>> cx.clv(120.0, 4, 3, margin=0.25)
    360.0
    """
    parts = (avg_purchase_value, purchase_frequency, lifespan, margin)
    if any(isinstance(p, pl.Expr) for p in parts):
        return (
            pl.lit(1.0)
            * avg_purchase_value
            * purchase_frequency
            * lifespan
            * margin
        ).alias("clv")
    for label, value in zip(("avg_purchase_value", "purchase_frequency", "lifespan", "margin"), parts):
        if value < 0:
            raise CXDataError(f"{label} must not be negative, got {value}", fix=f"pass a {label} >= 0")
    return float(avg_purchase_value) * float(purchase_frequency) * float(lifespan) * float(margin)


@overload
def roi(gain: Number, investment: Number) -> float: ...
@overload
def roi(gain: pl.Expr, investment: pl.Expr | Number) -> pl.Expr: ...
@overload
def roi(gain: Number, investment: pl.Expr) -> pl.Expr: ...
def roi(gain: Any, investment: Any) -> Any:
    """Return on investment, net form: (gain - investment) / investment, as a fraction.

    One source writes savings / investment but computes 50% for $150K saved on $100K; this
    is the net form that gives that 50%.

    >>> import cxwidgets as cx
    >>> cx.roi(150_000, 100_000)
    0.5
    """
    if isinstance(gain, pl.Expr) or isinstance(investment, pl.Expr):
        inv = investment if isinstance(investment, pl.Expr) else pl.lit(float(investment))
        return pl.when(inv > 0).then((gain - inv) / inv).alias("roi")
    if investment <= 0:
        raise CXDataError(
            f"ROI needs a positive investment, got {investment}",
            fix="pass the amount invested (> 0); with nothing invested ROI is undefined",
        )
    return (float(gain) - float(investment)) / float(investment)
