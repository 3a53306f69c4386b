"""The ``cx`` expression namespace: ``pl.col("score").cx.nps()`` and friends."""

from __future__ import annotations

from typing import Literal

import polars as pl

from cxwidgets.metrics import rates, survey

__all__ = ["CXExprNamespace"]


@pl.api.register_expr_namespace("cx")
class CXExprNamespace:
    """CX metrics as methods on any polars expression.

    >>> df.group_by("moment").agg(pl.col("score").cx.nps())  # doctest: +SKIP
    """

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr

    def nps(self) -> pl.Expr:
        """Net Promoter Score in points (see :func:`cxwidgets.nps`)."""
        return survey.nps(self._expr)

    def csat(self, scale: tuple[float, float] = (1, 5), method: Literal["top2box", "mean"] = "top2box") -> pl.Expr:
        """CSAT top-two-box share or mean (see :func:`cxwidgets.csat`)."""
        return survey.csat(self._expr, scale=scale, method=method)

    def psat(self, scale: tuple[float, float] = (1, 5), method: Literal["top2box", "mean"] = "top2box") -> pl.Expr:
        """PSAT top-two-box share or mean (see :func:`cxwidgets.psat`)."""
        return survey.psat(self._expr, scale=scale, method=method)

    def ces(self, scale: tuple[float, float] = (1, 7), lower_is_better: bool = True) -> pl.Expr:
        """Customer Effort Score mean (see :func:`cxwidgets.ces`)."""
        return survey.ces(self._expr, scale=scale, lower_is_better=lower_is_better)

    def top_box(self, scale: tuple[float, float] = (1, 5), top: int = 2) -> pl.Expr:
        """Top-``top``-box share (see :func:`cxwidgets.top_box`)."""
        return survey.top_box(self._expr, scale=scale, top=top)

    def rate(self) -> pl.Expr:
        """Share of true values (see :func:`cxwidgets.rate`)."""
        return rates.rate(self._expr)
