"""The ``cx`` expression namespace: ``pl.col("score").cx.nps()`` and friends."""

from __future__ import annotations

from typing import Literal

import polars as pl

from cxwidgets.metrics import rates, survey

__all__ = ["CXExprNamespace"]


@pl.api.register_expr_namespace("cx")
class CXExprNamespace:
    """CX metrics as methods on any polars expression.

    ``import cxwidgets`` registers it. Moment a: one promoter, one detractor (NPS 0); b: one promoter:

    >>> df = pl.DataFrame({"moment": ["a", "a", "b"], "score": [10, 3, 9]})
    >>> df.group_by("moment", maintain_order=True).agg(pl.col("score").cx.nps()).rows()
    [('a', 0.0), ('b', 100.0)]
    """

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr

    def nps(self) -> pl.Expr:
        """Net Promoter Score in points (see :func:`cxwidgets.nps`); null for a group holding
        an answer that is not a whole point 0-10.

        >>> pl.DataFrame({"score": [10, 9, 7, 3]}).select(pl.col("score").cx.nps()).item()
        25.0
        """
        return survey.nps(self._expr)

    def csat(
        self,
        scale: tuple[float, float] = (1, 5),
        method: Literal["top2box", "mean"] = "top2box",
        continuous: bool = False,
    ) -> pl.Expr:
        """CSAT top-two-box share or mean (see :func:`cxwidgets.csat`); null for a group
        holding an answer off the scale.

        >>> print(pl.DataFrame({"score": [5, 4, 0]}).select(pl.col("score").cx.csat()).item())
        None
        """
        return survey.csat(self._expr, scale=scale, method=method, continuous=continuous)

    def psat(
        self,
        scale: tuple[float, float] = (1, 5),
        method: Literal["top2box", "mean"] = "top2box",
        continuous: bool = False,
    ) -> pl.Expr:
        """PSAT top-two-box share or mean (see :func:`cxwidgets.psat`); null for a group
        holding an answer off the scale.

        >>> pl.DataFrame({"score": [5, 4, 3, 1]}).select(pl.col("score").cx.psat()).item()
        0.5
        """
        return survey.psat(self._expr, scale=scale, method=method, continuous=continuous)

    def ces(
        self, scale: tuple[float, float] = (1, 7), lower_is_better: bool = True, continuous: bool = False
    ) -> pl.Expr:
        """Customer Effort Score mean (see :func:`cxwidgets.ces`); null for a group holding an
        answer off the scale.

        >>> pl.DataFrame({"score": [1, 2, 3]}).select(pl.col("score").cx.ces()).item()
        2.0
        """
        return survey.ces(self._expr, scale=scale, lower_is_better=lower_is_better, continuous=continuous)

    def top_box(self, scale: tuple[float, float] = (1, 5), top: int = 2) -> pl.Expr:
        """Top-``top``-box share (see :func:`cxwidgets.top_box`); null for a group holding an
        answer off the scale.

        >>> pl.DataFrame({"score": [5, 5, 4, 1]}).select(pl.col("score").cx.top_box(top=1)).item()
        0.5
        """
        return survey.top_box(self._expr, scale=scale, top=top)

    def rate(self) -> pl.Expr:
        """Share of true values (see :func:`cxwidgets.rate`); null for a group holding a flag
        that is not true/false or 0/1.

        >>> pl.DataFrame({"x": [1, 0, 1, 1]}).select(pl.col("x").cx.rate()).item()
        0.75
        """
        return rates.rate(self._expr)
