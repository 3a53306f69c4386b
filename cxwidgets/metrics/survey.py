"""Survey metrics: NPS, CSAT, PSAT and CES as polars expressions and summary tables.

Scales and directions are arguments, never guessed. Shares are fractions in [0, 1];
NPS is in points (-100..100). Every expression works in any ``group_by().agg()``::

    import polars as pl
    import cxwidgets as cx

    df.group_by("moment").agg(cx.nps("score"), cx.csat("score", scale=(1, 5)))

The scale rule (:mod:`cxwidgets.scales`) is the same everywhere: an answer off its declared
scale (NaN, outside it, or a fraction on a whole-point scale) never enters a share or a mean.
An expression cannot raise inside ``agg``, so it returns null for a group holding such an
answer; the summaries raise :class:`~cxwidgets.errors.CXDataError` naming the rows.

The summaries take a table in hand or a lazy one (a polars LazyFrame or ``scan_parquet``, a DuckDB
relation, a PySpark DataFrame: :mod:`cxwidgets.engines`). Either way their work is one narwhals
group-by: the engine where the rows live filters the metric, groups, counts (n, missing, promoters,
detractors, top boxes, the answers off the scale by kind) and takes means and sds; one row per
group crosses into Python, where the intervals are computed. A table in hand goes through the same
step on polars, so there is one formula for every engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import polars as pl

from cxwidgets.metrics.intervals import adjusted_wald_nps, t_interval, wilson
from cxwidgets.metrics.summary_rows import _aggregate, _prepare
from cxwidgets.scales import (
    NPS_SCALE,
    check_scale,
    guard,
    in_top_box,
    is_detractor,
    is_promoter,
)

__all__ = [
    "NPS_SCALE",
    "nps",
    "csat",
    "psat",
    "ces",
    "top_box",
    "nps_summary",
    "csat_summary",
    "psat_summary",
    "ces_summary",
    "mean_summary",
]

Scale = tuple[float, float]
By = str | Sequence[str] | None


def _col(score: str | pl.Expr) -> pl.Expr:
    return pl.col(score) if isinstance(score, str) else score


def top_box(score: str | pl.Expr = "score", *, scale: Scale = (1, 5), top: int = 2) -> pl.Expr:
    """Share (0..1) of answers in the top ``top`` points of ``scale``; nulls are not counted.

    Answers are whole points on the declared scale: a group holding any answer off the scale
    (a 0 coded for "not applicable" on 1-5, a 3.5) gives null, never a share (see
    :mod:`cxwidgets.scales`; the summaries raise on the same answers).

    >>> import cxwidgets as cx
    >>> df = pl.DataFrame({"g": ["a", "a", "a", "b", "b"], "score": [7, 6, 2, 7, 0]})
    >>> df.group_by("g", maintain_order=True).agg(cx.top_box("score", scale=(1, 7))).rows()
    [('a', 0.6666666666666666), ('b', None)]
    """
    s = _col(score)
    top_answer = in_top_box(s, scale, top, "top_box")
    lo, hi = check_scale(scale, "top_box")
    n = s.count()
    share = pl.when(n > 0).then(top_answer.sum() / n)
    return guard(share, s, (lo, hi), integer=True).alias("top_box")


def nps(score: str | pl.Expr = "score") -> pl.Expr:
    """Net Promoter Score in points: %promoters (9-10) minus %detractors (0-6), -100..100.

    Nulls are skipped; an empty group gives null. NPS answers are whole points 0-10: a group
    holding any other answer (11, -1, 6.5, NaN) gives null, never a score (the summaries
    raise on the same answers).

    >>> import cxwidgets as cx
    >>> pl.DataFrame({"score": [10, 9, 7, 3]}).select(cx.nps("score")).item()
    25.0
    >>> print(pl.DataFrame({"score": [10, 9, 7, 11]}).select(cx.nps("score")).item())
    None
    """
    s = _col(score)
    n = s.count()
    # boolean sums are unsigned: cast before subtracting
    promoters = is_promoter(s).sum().cast(pl.Int64)
    detractors = is_detractor(s).sum().cast(pl.Int64)
    value = pl.when(n > 0).then((promoters - detractors) * 100.0 / n)
    return guard(value, s, NPS_SCALE, integer=True).alias("nps")


def csat(
    score: str | pl.Expr = "score",
    *,
    scale: Scale = (1, 5),
    method: Literal["top2box", "mean"] = "top2box",
    continuous: bool = False,
) -> pl.Expr:
    """Customer satisfaction: the top-two-box share (default, a fraction) or the mean score.

    ``scale`` is declared, not guessed: on 1-5 the top two boxes are 4 and 5; on any scale
    they are its top two points. Answers are whole points on the scale; a group holding any
    answer off it (a 0 for "not applicable", a 6 on 1-5, a 3.5) gives null. With
    ``method="mean"``, ``continuous=True`` declares answers that need not be whole (3.5), still
    within the scale.

    >>> import cxwidgets as cx
    >>> pl.DataFrame({"score": [5, 4, 3, 1]}).select(cx.csat("score", scale=(1, 5))).item()
    0.5
    >>> print(pl.DataFrame({"score": [5, 4, 3, 0]}).select(cx.csat("score", scale=(1, 5))).item())
    None
    >>> pl.DataFrame({"score": [4.5, 3.5]}).select(cx.csat("score", method="mean", continuous=True)).item()
    4.0
    """
    return _satisfaction(score, scale=scale, method=method, name="csat", continuous=continuous)


def psat(
    score: str | pl.Expr = "score",
    *,
    scale: Scale = (1, 5),
    method: Literal["top2box", "mean"] = "top2box",
    continuous: bool = False,
) -> pl.Expr:
    """Product satisfaction: CSAT asked about a product or feature (same arguments and scale rule as csat).

    >>> import cxwidgets as cx
    >>> pl.DataFrame({"score": [5, 4, 3, 1]}).select(cx.psat("score")).item()
    0.5
    """
    return _satisfaction(score, scale=scale, method=method, name="psat", continuous=continuous)


def _satisfaction(score: str | pl.Expr, *, scale: Scale, method: str, name: str, continuous: bool) -> pl.Expr:
    if method == "top2box":
        if continuous:
            raise ValueError(
                f"{name}: continuous answers have no top two boxes (method='top2box' counts whole points); "
                "use method='mean'"
            )
        return top_box(score, scale=scale, top=2).alias(name)
    if method == "mean":
        return _mean(score, scale, continuous, name)
    raise ValueError(f"{name}: method must be 'top2box' or 'mean', got {method!r}")


def _mean(score: str | pl.Expr, scale: Scale, continuous: bool, name: str) -> pl.Expr:
    if not isinstance(continuous, bool):
        raise ValueError(f"{name}: continuous must be True or False, got {continuous!r}")
    s = _col(score)
    return guard(s.mean(), s, check_scale(scale, name), integer=not continuous).alias(name)


def ces(
    score: str | pl.Expr = "score",
    *,
    scale: Scale = (1, 7),
    lower_is_better: bool = True,
    continuous: bool = False,
) -> pl.Expr:
    """Customer Effort Score: the mean on the declared scale.

    The direction is declared, not guessed: the playbook's "<= 2.0 on a 1-7 scale" means
    lower is better (the default). The value itself is the plain mean; the direction is what
    gates and normalisers read. Answers are whole points on the scale (``continuous=True``
    allows fractions within it); a group holding any other answer gives null.

    >>> import cxwidgets as cx
    >>> pl.DataFrame({"score": [1, 2, 3]}).select(cx.ces("score", scale=(1, 7))).item()
    2.0
    >>> print(pl.DataFrame({"score": [1, 2, 8]}).select(cx.ces("score", scale=(1, 7))).item())
    None
    """
    check_scale(scale, "ces")
    if not isinstance(lower_is_better, bool):
        raise ValueError("ces: lower_is_better must be True or False (declare the direction)")
    return _mean(score, scale, continuous, "ces")


# ----------------------------------------------------------------------------------------
# Summaries: value, n and a 95% interval, one row per group
# ----------------------------------------------------------------------------------------


def nps_summary(
    df: object,
    score: str = "score",
    by: By = None,
    *,
    metric: str | None = "nps",
    confidence: float = 0.95,
    table: str = "responses",
) -> pl.DataFrame:
    """NPS by group with n, the three shares and an adjusted-Wald interval (Rocks 2016).

    Returns one row per group with: n (answers used), n_missing (null scores skipped),
    promoters, passives, detractors (fractions), nps, nps_low, nps_high (points) and
    ``margin`` (half the interval's width, in points). When the frame has a ``metric``
    column, only rows with ``metric == "nps"`` are used (``metric=None`` uses every row).

    Moment a: 10, 9, 7, 3 (2 promoters, 1 passive, 1 detractor of 4: NPS 25); moment b: 10, 0
    (NPS 0). The interval is wide at such small n (see :func:`~cxwidgets.metrics.adjusted_wald_nps`):

    >>> import cxwidgets as cx
    >>> df = pl.DataFrame({"moment": ["a", "a", "a", "a", "b", "b"], "score": [10, 9, 7, 3, 10, 0]})
    >>> out = cx.metrics.nps_summary(df, by="moment")
    >>> out.select("moment", "n", "promoters", "passives", "detractors", "nps").rows()
    [('a', 4, 0.5, 0.25, 0.25, 25.0), ('b', 2, 0.5, 0.0, 0.5, 0.0)]
    >>> out.select(pl.col("nps_low", "nps_high").round(2)).rows()
    [(-44.16, 72.73), (-73.34, 73.34)]

    A lazy table (here polars'; a DuckDB relation or a Spark DataFrame alike) is grouped where it
    lives, and only one row per moment crosses:

    >>> with cx.collected() as wire:
    ...     lazy = cx.metrics.nps_summary(df.lazy(), by="moment")
    >>> wire.rows, lazy.equals(out)
    (2, True)
    """
    import narwhals as nw

    rows = _prepare(df, score, by, metric, table)
    keys = rows.keys
    x = nw.col(score).cast(nw.Float64)
    agg = _aggregate(rows, NPS_SCALE, "NPS", integer=True, counts={"_p": is_promoter(x), "_d": is_detractor(x)})
    n, p, d = pl.col("n"), pl.col("_p"), pl.col("_d")
    low, high = adjusted_wald_nps(p, d, n, confidence)
    nf = n.cast(pl.Float64)
    has = n > 0
    return agg.with_columns(
        pl.when(has).then(p / nf).alias("promoters"),
        pl.when(has).then((n - p - d) / nf).alias("passives"),
        pl.when(has).then(d / nf).alias("detractors"),
        pl.when(has).then((p - d) * 100.0 / nf).alias("nps"),
        low.alias("nps_low"),
        high.alias("nps_high"),
    ).with_columns(((pl.col("nps_high") - pl.col("nps_low")) / 2).alias("margin")).select(
        *keys, "n", "n_missing", "promoters", "passives", "detractors", "nps", "nps_low", "nps_high", "margin"
    )


def _share_summary(
    df: object,
    score: str,
    by: By,
    *,
    scale: Scale,
    name: str,
    metric: str | None,
    confidence: float,
    table: str,
) -> pl.DataFrame:
    import narwhals as nw

    lo, hi = check_scale(scale, name)
    in_top_box(0, scale, 2, name)  # the scale has top two boxes, before any data is read
    rows = _prepare(df, score, by, metric, table)
    keys = rows.keys
    x = nw.col(score).cast(nw.Float64)
    top = {"_k": in_top_box(x, scale, 2, name)}
    agg = _aggregate(rows, (lo, hi), name.upper(), integer=True, counts=top, mean="mean")
    low, high = wilson(pl.col("_k"), pl.col("n"), confidence)
    return agg.with_columns(
        pl.when(pl.col("n") > 0).then(pl.col("_k") / pl.col("n").cast(pl.Float64)).alias(name),
        low.alias(f"{name}_low"),
        high.alias(f"{name}_high"),
    ).select(*keys, "n", "n_missing", name, f"{name}_low", f"{name}_high", "mean")


def _mean_summary(
    df: object,
    score: str,
    by: By,
    *,
    scale: Scale | None,
    name: str,
    metric: str | None,
    confidence: float,
    table: str,
    continuous: bool,
) -> pl.DataFrame:
    if not isinstance(continuous, bool):
        raise ValueError(f"{name}: continuous must be True or False, got {continuous!r}")
    if scale is not None:
        scale = check_scale(scale, name)
    rows = _prepare(df, score, by, metric, table)
    keys = rows.keys
    agg = _aggregate(rows, scale, name.upper(), integer=not continuous, mean=name, sd="sd")
    low, high = t_interval(
        agg.get_column(name).to_numpy(), agg.get_column("sd").to_numpy(), agg.get_column("n").to_numpy(), confidence
    )
    if scale is not None:
        # a mean cannot leave its scale, so neither may its interval
        low, high = np.clip(low, scale[0], scale[1]), np.clip(high, scale[0], scale[1])
    return agg.with_columns(
        pl.Series(f"{name}_low", low, dtype=pl.Float64).fill_nan(None),
        pl.Series(f"{name}_high", high, dtype=pl.Float64).fill_nan(None),
    ).select(*keys, "n", "n_missing", name, f"{name}_low", f"{name}_high", "sd")


def csat_summary(
    df: object,
    score: str = "score",
    by: By = None,
    *,
    scale: Scale = (1, 5),
    method: Literal["top2box", "mean"] = "top2box",
    metric: str | None = "csat",
    confidence: float = 0.95,
    table: str = "responses",
    continuous: bool = False,
) -> pl.DataFrame:
    """CSAT by group with n and a 95% interval.

    ``method="top2box"`` (default): columns n, n_missing, csat (top-two-box share), csat_low,
    csat_high (Wilson interval) and mean. ``method="mean"``: n, n_missing, csat (the mean),
    csat_low, csat_high (Student-t interval) and sd.

    Answers are whole points on ``scale``; any other answer (a 0 for "not applicable", a 6 on
    1-5, a 3.5) raises :class:`~cxwidgets.errors.CXDataError` naming the rows. With
    ``method="mean"``, ``continuous=True`` accepts fractions within the scale. When the frame
    has a ``metric`` column, only its ``metric`` rows are used (case and spaces ignored).

    Scores 5, 4, 3, 1 on 1-5: two of four in the top two boxes, mean 3.25:

    >>> import cxwidgets as cx
    >>> df = pl.DataFrame({"score": [5, 4, 3, 1]})
    >>> cx.metrics.csat_summary(df, scale=(1, 5)).select("n", "csat", "mean").row(0)
    (4, 0.5, 3.25)
    >>> out = cx.metrics.csat_summary(df, method="mean")
    >>> out.select("csat", pl.col("csat_low", "csat_high", "sd").round(4)).row(0)
    (3.25, 1.0, 5.0, 1.7078)
    """
    if method == "top2box":
        if continuous:
            csat(score, scale=scale, method=method, continuous=True)  # raises: no top boxes when continuous
        return _share_summary(
            df, score, by, scale=scale, name="csat", metric=metric, confidence=confidence, table=table
        )
    if method == "mean":
        return _mean_summary(
            df, score, by, scale=scale, name="csat", metric=metric, confidence=confidence, table=table,
            continuous=continuous,
        )
    raise ValueError(f"csat_summary: method must be 'top2box' or 'mean', got {method!r}")


def psat_summary(
    df: object,
    score: str = "score",
    by: By = None,
    *,
    scale: Scale = (1, 5),
    method: Literal["top2box", "mean"] = "top2box",
    metric: str | None = "psat",
    confidence: float = 0.95,
    table: str = "responses",
    continuous: bool = False,
) -> pl.DataFrame:
    """PSAT (CSAT about a product or feature) by group; same shape and scale rule as :func:`csat_summary`.

    >>> import cxwidgets as cx
    >>> df = pl.DataFrame({"feature": ["export", "export", "search"], "score": [5, 2, 4]})
    >>> cx.metrics.psat_summary(df, by="feature").select("feature", "n", "psat").rows()
    [('export', 2, 0.5), ('search', 1, 1.0)]
    """
    out = csat_summary(
        df, score, by, scale=scale, method=method, metric=metric, confidence=confidence, table=table,
        continuous=continuous,
    )
    return out.rename({"csat": "psat", "csat_low": "psat_low", "csat_high": "psat_high"})


def ces_summary(
    df: object,
    score: str = "score",
    by: By = None,
    *,
    scale: Scale = (1, 7),
    lower_is_better: bool = True,
    metric: str | None = "ces",
    confidence: float = 0.95,
    table: str = "responses",
    continuous: bool = False,
) -> pl.DataFrame:
    """CES by group: n, n_missing, ces (the mean), ces_low, ces_high (Student-t), sd, lower_is_better.

    Answers are whole points on ``scale`` unless ``continuous=True`` (fractions within it);
    others raise :class:`~cxwidgets.errors.CXDataError` naming the rows.

    Scores 1, 2, 3 on 1-7: mean 2, sd 1; the t interval 2 -/+ 4.3027 / sqrt(3) (-0.48..4.48)
    is clipped to the scale:

    >>> import cxwidgets as cx
    >>> df = pl.DataFrame({"score": [1, 2, 3]})
    >>> out = cx.metrics.ces_summary(df, scale=(1, 7))
    >>> out.select("n", "ces", pl.col("ces_low", "ces_high").round(4), "sd", "lower_is_better").row(0)
    (3, 2.0, 1.0, 4.4841, 1.0, True)
    """
    ces(score, scale=scale, lower_is_better=lower_is_better, continuous=continuous)  # validates the arguments
    out = _mean_summary(
        df, score, by, scale=scale, name="ces", metric=metric, confidence=confidence, table=table,
        continuous=continuous,
    )
    return out.with_columns(pl.lit(lower_is_better).alias("lower_is_better"))


def mean_summary(
    df: object,
    value: str = "score",
    by: By = None,
    *,
    scale: Scale | None = None,
    name: str = "mean",
    metric: str | None = None,
    confidence: float = 0.95,
    table: str = "data",
    continuous: bool = True,
) -> pl.DataFrame:
    """Mean of any numeric column by group with n and a Student-t interval.

    Any value may be fractional (``continuous=True``, the default for a generic value);
    ``continuous=False`` requires whole points. NaN, infinities and values off ``scale`` raise
    :class:`~cxwidgets.errors.CXDataError`.

    Goal attainment 1, 0.5, 0, 0.5: mean 0.5, sd sqrt(0.5 / 3) = 0.4082; the interval is kept
    within the declared 0-1 scale:

    >>> import cxwidgets as cx
    >>> df = pl.DataFrame({"metric": ["goal_attainment"] * 4, "score": [1.0, 0.5, 0.0, 0.5]})
    >>> out = cx.metrics.mean_summary(df, "score", metric="goal_attainment", scale=(0, 1))
    >>> out.select("n", "mean", pl.col("mean_low", "mean_high", "sd").round(4)).row(0)
    (4, 0.5, 0.0, 1.0, 0.4082)
    """
    return _mean_summary(
        df, value, by, scale=scale, name=name, metric=metric, confidence=confidence, table=table,
        continuous=continuous,
    )
