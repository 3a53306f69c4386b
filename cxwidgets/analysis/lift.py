"""Lift vs baseline: is a metric or a MIS different after a change, or between two groups?

:func:`lift` compares any metric, period vs period (before/after a date, or two date ranges) or
group vs group (treated vs control), optionally by moment and segment, and reports per row: the
baseline and comparison values, ``diff = comparison - baseline``, its 95% interval, a two-sided
p-value from the test that fits the number (see :mod:`cxwidgets.analysis._stats`), n on both sides
and a warning when a sample is too small to tell. :func:`lift_mis` does the same for the Moment
Impact Score of two :class:`~cxwidgets.mis.MISModel` (bootstrap over accounts).

Which test, by ``stat``:

=============  ===========================================  =================================
stat           value                                        test
=============  ===========================================  =================================
``"nps"``      NPS in points from 0-10 answers              two-sample z on Var(NPS)
``"share"``    share of true / 1 values (renewed, churned)  two-proportion z, Newcombe interval
``"top2box"``  share of the top two points of ``scale``     two-proportion z, Newcombe interval
``"mean"``     mean (CSAT mean, CES, TTV days)              Welch t
``"median"``   median                                       bootstrap + permutation p-value
=============  ===========================================  =================================

Shares and their differences are fractions (0.056 = 5.6 points); NPS differences are in points.
``relative`` is ``diff / |baseline|`` (null when the baseline is 0).

Example:
    >>> import cxwidgets as cx
    >>> from cxwidgets.analysis.lift import lift
    >>> data = cx.datasets.saas_before_after(2_000, seed=0)
    >>> out = lift(data.accounts, "renewed", stat="share", period=data.change_at, time="started_at")
    >>> out.select("baseline", "comparison", "diff").columns
    ['baseline', 'comparison', 'diff']
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

from cxwidgets.analysis._stats import Comparison, _finite, _warnings, bootstrap_diff, mean_diff, nps_diff, share_diff
from cxwidgets.analysis.periods import TIME_COLUMNS, When, as_boundary, resolve_time_column, side_exprs
from cxwidgets.errors import CXDataError
from cxwidgets.frames import as_list, one_metric, require_columns, to_polars, yes_no
from cxwidgets.scales import NPS_SCALE, in_top_box, scale_error

__all__ = ["STATS", "TIME_COLUMNS", "lift", "lift_mis", "resolve_time_column", "as_boundary"]

Stat = Literal["nps", "share", "top2box", "mean", "median"]
#: The statistics :func:`lift` knows.
STATS: tuple[str, ...] = ("nps", "share", "top2box", "mean", "median")
_SIDES = ("baseline", "comparison")


def _check_values(
    frame: pl.DataFrame, value: str, stat: str, scale: tuple[float, float] | None, table: str
) -> pl.DataFrame:
    dtype = frame.schema[value]
    v = pl.col(value)
    if stat == "share":  # the one outcome reader: booleans, 0/1, yes/no text; anything else refused
        return yes_no(frame, value, table=table).with_columns(v.cast(pl.Float64))
    if dtype == pl.Boolean and stat != "nps":
        return frame.with_columns(v.cast(pl.Float64))
    if not dtype.is_numeric():
        raise CXDataError(
            f"{stat} needs numbers, found dtype {dtype}", table=table, column=value,
            rows=frame.get_column(value).head(3).to_list(), fix="cast the column to numbers",
        )
    frame = frame.with_columns(v.cast(pl.Float64))
    # the one scale rule (cxwidgets.scales): NaN/inf, off-scale, or a fraction where whole points are counted
    err = scale_error(
        frame, value, NPS_SCALE if stat == "nps" else scale, integer=stat in ("nps", "top2box"),
        table=table, label="NPS" if stat == "nps" else str(stat),
    )
    if err is not None:
        raise err
    return frame


def _compare(
    a: np.ndarray,
    b: np.ndarray,
    stat: str | Callable[..., Any],
    scale: tuple[float, float] | None,
    confidence: float,
    n_resamples: int,
    seed: int | None,
) -> Comparison:
    if callable(stat):
        return bootstrap_diff(a, b, stat, confidence=confidence, n_resamples=n_resamples, seed=seed)
    if stat == "nps":
        return nps_diff(a, b, confidence=confidence)
    if stat in ("share", "top2box"):
        if stat == "top2box":
            assert scale is not None
            a, b = in_top_box(a, scale, 2, "lift").astype(float), in_top_box(b, scale, 2, "lift").astype(float)
        return share_diff(int(a.sum()), a.size, int(b.sum()), b.size, confidence=confidence)
    if stat == "mean":
        return mean_diff(a, b, confidence=confidence)
    return bootstrap_diff(a, b, np.median, confidence=confidence, n_resamples=n_resamples, seed=seed)


_SCHEMA: dict[str, pl.DataType] = {
    "baseline": pl.Float64(),
    "comparison": pl.Float64(),
    "diff": pl.Float64(),
    "relative": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "p_value": pl.Float64(),
    "n_baseline": pl.Int64(),
    "n_comparison": pl.Int64(),
    "test": pl.String(),
    "warning": pl.String(),
}


def _row(c: Comparison) -> dict[str, Any]:
    d = c.as_dict()
    base, diff = c.baseline, c.diff
    d["relative"] = diff / abs(base) if base is not None and base != 0.0 and diff is not None else None
    return d


def _empty_side_row(side: str, na: int, nb: int, test: str, where: str) -> dict[str, Any]:
    return {
        **dict.fromkeys(_SCHEMA),
        "n_baseline": na,
        "n_comparison": nb,
        "test": test,
        "warning": f"the {side} side has no values for {where}: nothing to compare",
    }


def _test_name(stat: str | Callable[..., Any]) -> str:
    if callable(stat) or stat == "median":
        return "bootstrap"
    return {
        "nps": "two-sample z (NPS)", "share": "two-proportion z", "top2box": "two-proportion z", "mean": "Welch t"
    }[stat]


def _sided(frame: pl.DataFrame, value: str, is_base: pl.Expr, is_comp: pl.Expr, where: str, table: str) -> pl.DataFrame:
    """The rows with a ``value``, each marked ``_side`` 0 (baseline) or 1 (comparison); an empty
    side is an error naming it."""
    sided = (
        frame.filter(pl.col(value).is_not_null())
        .with_columns(pl.when(is_base).then(0).when(is_comp).then(1).otherwise(None).alias("_side"))
        .filter(pl.col("_side").is_not_null())
    )
    for k, side in enumerate(_SIDES):
        if sided.filter(pl.col("_side") == k).height == 0:
            raise CXDataError(
                f"the {side} side of the lift is empty ({where}): no rows with a {value} value",
                table=table, column=value,
                fix="check the period dates / group values, or the metric= filter",
            )
    return sided


def lift(
    data: Any,
    value: str = "score",
    *,
    stat: Stat | Callable[..., Any] = "mean",
    period: When | tuple[tuple[When, When], tuple[When, When]] | None = None,
    group: str | None = None,
    baseline: Any = None,
    comparison: Any = None,
    time: str | None = None,
    by: str | Sequence[str] | None = None,
    metric: str | None = None,
    scale: tuple[float, float] | None = None,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int | None = 0,
    table: str = "data",
) -> pl.DataFrame:
    """Lift of a metric vs its baseline, with the difference, its interval and a p-value.

    Args:
        data: a long frame (any frame or CSV/parquet path): responses, tickets, accounts, or any table with a
            ``value`` column.
        value: the column compared (``score``, ``csat``, ``renewed``, ``ttv`` ...). Null values are
            skipped (not counted in n).
        stat: ``"nps"``, ``"share"``, ``"top2box"``, ``"mean"``, ``"median"`` or a vectorised
            function ``f(x, axis)`` (bootstrap), see the module docstring for the tests.
        period: a date: baseline = rows before it, comparison = rows from it on; or two ranges
            ``((b_start, b_end), (c_start, c_end))`` (start included, end excluded). Strings and
            dates mean midnight in the time column's zone.
        group: instead of ``period``, a column naming the sides (treated vs control), with
            ``baseline=`` and ``comparison=`` values (a boolean column defaults to False vs True).
        time: the time column for ``period`` (default: the first of responded_at, created_at, at,
            observed_at, started_at found).
        by: columns to cut by (e.g. ``["moment", "segment"]``): one row per group.
        metric: keep only rows with this ``metric`` (a frame mixing several metrics must name one,
            or put "metric" in ``by``).
        scale: the declared scale (checked; ``top2box`` needs it, default (1, 5)).
        confidence: of the interval (0.95).
        n_resamples, seed: for bootstrap statistics.

    Returns:
        One row per group: [by columns], metric, baseline, comparison, diff, relative, ci_low,
        ci_high, p_value, n_baseline, n_comparison, test, warning (null when all is well).

    A side with no values at all is an error naming the side; within ``by``, a group missing on
    one side gives a row with null statistics and a warning naming the side.

    Example:
        >>> import cxwidgets as cx
        >>> from cxwidgets.analysis.lift import lift
        >>> data = cx.datasets.saas_before_after(2_000, seed=0)
        >>> out = lift(data.tickets, "csat", period=data.change_at, time="created_at")
        >>> true_diff = data.effects.support_csat_after - data.effects.support_csat_before
        >>> bool(out["ci_low"][0] < true_diff < out["ci_high"][0])
        True
    """
    frame = to_polars(data, table=table)
    keys = as_list(by)
    if isinstance(stat, str) and stat not in STATS:
        raise ValueError(f"lift: stat must be one of {', '.join(STATS)} or a function, got {stat!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"lift: confidence must be between 0 and 1, got {confidence}")
    require_columns(frame, [value, *keys], table=table)
    frame = one_metric(frame, metric, keys=keys, value=value, table=table, what="a lift")
    if stat == "top2box":
        scale = scale or (1.0, 5.0)
        if not (float(scale[0]).is_integer() and float(scale[1]).is_integer()) or scale[1] - scale[0] < 2:
            raise ValueError(f"lift: top2box needs an integer scale with at least 3 points, got {scale!r}")
    frame = _check_values(frame, value, stat if isinstance(stat, str) else "mean", scale, table)
    is_base, is_comp, where = side_exprs(
        frame, period=period, group=group, baseline=baseline, comparison=comparison, time=time, table=table
    )
    sided = _sided(frame, value, is_base, is_comp, where, table)
    label = metric if metric is not None else value
    test = _test_name(stat)
    rows: list[dict[str, Any]] = []
    groups = sided.partition_by(keys, as_dict=True, maintain_order=True) if keys else {(): sided}
    for key, part in sorted(groups.items(), key=lambda kv: tuple((x is None, x) for x in kv[0])):
        a = part.filter(pl.col("_side") == 0).get_column(value).to_numpy()
        b = part.filter(pl.col("_side") == 1).get_column(value).to_numpy()
        head = dict(zip(keys, key, strict=True))
        if a.size == 0 or b.size == 0:
            side = "baseline" if a.size == 0 else "comparison"
            desc = ", ".join(f"{k}={v}" for k, v in head.items())
            rows.append({**head, "metric": label, **_empty_side_row(side, a.size, b.size, test, desc)})
            continue
        rows.append({**head, "metric": label, **_row(_compare(a, b, stat, scale, confidence, n_resamples, seed))})
    schema = {k: sided.schema[k] for k in keys} | {"metric": pl.String()} | _SCHEMA
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


# ---------------------------------------------------------------------------------------------
# MIS


def _mis_parts(
    model: Any, level: str, by_segment: bool
) -> tuple[np.ndarray, np.ndarray, list[str], list[str | None], np.ndarray, np.ndarray]:
    """Per account: segment and roll-up weight; the units with their stage; the moments x units
    weight matrix (moment weight where the moment belongs to the unit); the account x moment MIS."""
    acc = model.score("account", by="moment")
    moments = model.score("moment")
    names = moments.get_column("moment").to_list()
    stages = moments.get_column("stage").to_list()
    W = moments.get_column("weight").to_numpy().astype(float)
    wide = acc.select("account_id", "segment", "arr", "moment", "mis").pivot(
        on="moment", index=["account_id", "segment", "arr"], values="mis"
    )
    mat = wide.select(
        [pl.col(m).cast(pl.Float64) if m in wide.columns else pl.lit(None, pl.Float64).alias(m) for m in names]
    ).to_numpy()
    segs = np.asarray(wide.get_column("segment").to_list(), dtype=object)
    # within one segment its multiplier cancels (as in model.score(..., by="segment"))
    segm = {} if by_segment else model.segment_multipliers
    v = np.array([float(segm.get(x, 1.0)) for x in segs], dtype=float)
    if model.arr_weighting:
        v = v * wide.get_column("arr").fill_null(0.0).to_numpy()
    if level == "moment":
        units: list[str] = names
        unit_stage: list[str | None] = stages
        member = np.eye(len(names))
    elif level == "stage":
        units = list(dict.fromkeys(stages))
        unit_stage = [None] * len(units)
        member = np.array([[1.0 if st == u else 0.0 for u in units] for st in stages])
    else:
        units, unit_stage = ["journey"], [None]
        member = np.ones((len(names), 1))
    return segs, v, units, unit_stage, W[:, None] * member, mat


def _rollup(mat: np.ndarray, v: np.ndarray, cols: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Roll-up of the moments in ``cols`` (weights ``cols``) over the accounts ``idx`` (..., n)."""
    sub = mat[idx]  # (..., n, M)
    w = v[idx][..., None]
    has = ~np.isnan(sub)
    den = (w * has).sum(axis=-2)
    num = (w * np.where(has, sub, 0.0)).sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        mbar = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)  # (..., M)
    ok = ~np.isnan(mbar) & (cols > 0)
    wsum = np.where(ok, cols, 0.0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(ok, cols * np.where(ok, mbar, 0.0), 0.0).sum(axis=-1) / np.where(wsum > 0, wsum, np.nan)
    return out


def _mis_comparison(
    ma: np.ndarray, va: np.ndarray, mb: np.ndarray, vb: np.ndarray, ca: np.ndarray, cb: np.ndarray,
    *, confidence: float, n_resamples: int, rng: np.random.Generator, where: str,
) -> dict[str, Any]:
    from scipy import stats

    keep = (ca > 0) | (cb > 0)  # only the unit's own moments
    ca, cb = ca[keep], cb[keep]
    ma, mb = ma[:, keep], mb[:, keep]
    in_a = np.flatnonzero((~np.isnan(ma)).any(axis=1) & (va > 0))
    in_b = np.flatnonzero((~np.isnan(mb)).any(axis=1) & (vb > 0))
    if in_a.size == 0 or in_b.size == 0:
        side = "baseline" if in_a.size == 0 else "comparison"
        return _empty_side_row(side, in_a.size, in_b.size, "bootstrap", where)
    # one combined pool so the permutation test can move accounts between the sides
    mat = np.vstack([ma[in_a], mb[in_b]])
    v = np.concatenate([va[in_a], vb[in_b]])
    ia, ib = np.arange(in_a.size), in_a.size + np.arange(in_b.size)

    def stat(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        return _rollup(mat, v, cb, y.astype(np.int64)) - _rollup(mat, v, ca, x.astype(np.int64))

    sa = float(_rollup(mat, v, ca, ia))
    sb = float(_rollup(mat, v, cb, ib))
    diff = sb - sa
    if in_a.size < 2 or in_b.size < 2:
        side = "baseline" if in_a.size < 2 else "comparison"
        c = Comparison(sa, sb, diff, None, None, None, int(in_a.size), int(in_b.size), "bootstrap",
                       f"too small to tell: the {side} side has {min(in_a.size, in_b.size)} account(s)")
        return _row(c)
    batch = max(1, 2_000_000 // (mat.shape[0] * mat.shape[1]))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        boot = stats.bootstrap(
            (ia.astype(float), ib.astype(float)), stat, vectorized=True, paired=False, n_resamples=n_resamples,
            batch=batch, confidence_level=confidence, method="percentile", rng=rng,
        )
        perm = stats.permutation_test(
            (ia.astype(float), ib.astype(float)), stat, permutation_type="independent", vectorized=True,
            n_resamples=n_resamples, batch=batch, rng=rng,
        )
    p = _finite(perm.pvalue)
    var = float(np.nanvar(boot.bootstrap_distribution))
    warn = _warnings(
        int(in_a.size), int(in_b.size), test="bootstrap", p_value=p, diff=diff, confidence=confidence,
        var_sum_per_obs=var * in_a.size * in_b.size / (in_a.size + in_b.size) * 2,
    )
    c = Comparison(sa, sb, diff, _finite(boot.confidence_interval.low), _finite(boot.confidence_interval.high),
                   p, int(in_a.size), int(in_b.size), "bootstrap", warn)
    return _row(c)


def lift_mis(
    before: Any,
    after: Any,
    *,
    level: Literal["moment", "stage", "journey"] = "moment",
    by: Literal["segment"] | None = None,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> pl.DataFrame:
    """Lift of the Moment Impact Score between two models (e.g. two periods, two programmes).

    Each side's MIS is the model's own roll-up (accounts weighted by segment multiplier, and by
    ARR with ``arr_weighting``; a stage or the journey is the weighted mean of its moments, by
    the moments' weights). The interval is a bootstrap over accounts (each side resampled on its
    own) and the p-value a permutation test; the sides are treated as independent samples.
    With ``segment_weights`` overrides the stage and journey roll-ups use the journey-wide
    moment weights (an approximation; moment rows are exact).

    Args:
        before, after: two :class:`~cxwidgets.mis.MISModel` of the same journey.
        level: ``"moment"``, ``"stage"`` or ``"journey"``.
        by: ``"segment"``: one row per segment x unit (as ``model.score(level, by="segment")``).
        confidence, n_resamples, seed: of the bootstrap and the permutation test.

    Returns:
        One row per [segment x] unit: [segment], stage (moment level), the unit (moment / stage /
        journey), metric ("mis"), baseline, comparison, diff, relative, ci_low, ci_high, p_value,
        n_baseline, n_comparison (accounts with a MIS there), test, warning.

    Example:
        >>> import cxwidgets as cx
        >>> from cxwidgets.analysis.lift import lift_mis
        >>> data = cx.datasets.saas_before_after(1_000, seed=0)
        >>> j = cx.Journey.template("saas")
        >>> before, after = data.split()
        >>> lift_mis(cx.MISModel(j, before), cx.MISModel(j, after), level="journey").height
        1
    """
    if level not in ("moment", "stage", "journey"):
        raise ValueError(f"lift_mis: level must be 'moment', 'stage' or 'journey', got {level!r}")
    if by not in (None, "segment"):
        raise ValueError(f"lift_mis: by must be None or 'segment', got {by!r}")
    seg_a, va, units, unit_stage, cols_a, ma = _mis_parts(before, level, by is not None)
    seg_b, vb, units_b, _, cols_b, mb = _mis_parts(after, level, by is not None)
    if units != units_b:
        raise ValueError("lift_mis: the two models score different journeys (their moments or stages differ)")
    rng = np.random.default_rng(seed)
    segments: list[str | None] = sorted(set(seg_a) | set(seg_b)) if by else [None]
    rows: list[dict[str, Any]] = []
    for seg in segments:
        ka = np.ones(va.size, dtype=bool) if seg is None else seg_a == seg
        kb = np.ones(vb.size, dtype=bool) if seg is None else seg_b == seg
        for u, unit in enumerate(units):
            head: dict[str, Any] = {"segment": seg} if by else {}
            if level == "moment":
                head["stage"] = unit_stage[u]
            head |= {level: unit, "metric": "mis"}
            where = f"{level} {unit}" + (f", segment {seg}" if seg is not None else "")
            res = _mis_comparison(
                ma[ka], va[ka], mb[kb], vb[kb], cols_a[:, u], cols_b[:, u],
                confidence=confidence, n_resamples=n_resamples, rng=rng, where=where,
            )
            rows.append({**head, **res})
    schema: dict[str, pl.DataType] = {"segment": pl.String()} if by else {}
    if level == "moment":
        schema["stage"] = pl.String()
    schema |= {level: pl.String(), "metric": pl.String()} | _SCHEMA
    return pl.DataFrame(rows, schema=schema, orient="row")
