"""Observations -> one value per account, by the signal's ``source.aggregate``.

:func:`sum_observations` takes a source's observations (account_id, role, x, _t) and gives per
account x role sums for the mean-like aggregates (:data:`MEAN_LIKE`: each answer transformed, so
role multipliers apply later) or one value per account for the others (:data:`PER_ACCOUNT`, any
``pNN`` percentile, or a metric registered by the user or a plugin, checked against its declared
value range). Every observation is checked against the signal's scale first.
:func:`duration_values` gives durations one value per account where an open item counts by its
age at ``as_of``: open is not zero.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any, cast

import narwhals as nw
import polars as pl

from cxwidgets._util.text import plural, short
from cxwidgets.binding.context import Bound, who
from cxwidgets.engines import collect, native_engine
from cxwidgets.errors import CXDataError
from cxwidgets.journey import SignalRow
from cxwidgets.plugins import METRICS, CXPluginError, Metric, aggregate_expression, calling
from cxwidgets.scales import NPS_SCALE, in_top_box, nps_points, scale_classes, scale_problem

#: Aggregates summed per account x role (role multipliers apply to them).
MEAN_LIKE = ("mean", "share", "top2box", "nps")
#: Aggregates giving one value per account (role null, n = 1).
PER_ACCOUNT = ("median", "p90", "min", "max", "last", "count", "sum")
_DURATION_AGGS = ("median", "mean", "p90", "min", "max")
_QUANTILE = re.compile(r"^p(\d{1,2})$")


def quantile_of(agg: str) -> float | None:
    if agg == "median":
        return 0.5
    m = _QUANTILE.match(agg)
    if m:
        return int(m.group(1)) / 100
    return None


def _scale_for(row: SignalRow) -> tuple[float, float] | None:
    src = row.signal.source
    if src.aggregate == "nps":
        return NPS_SCALE
    scale = src.resolved_scale
    return (float(scale[0]), float(scale[1])) if scale is not None else None


def _check_range(
    row: SignalRow,
    lo_seen: float | None,
    hi_seen: float | None,
    bounds: tuple[float, float] | None,
    obs: Any,
    table: str,
    column: str,
    why: str,
    fix: str,
) -> None:
    if bounds is None or lo_seen is None or hi_seen is None:
        return
    lo, hi = bounds
    if lo <= lo_seen and hi_seen <= hi:
        return
    outside = obs.filter((nw.col("x") < lo) | (nw.col("x") > hi))
    bad = collect(outside.select("account_id", "x").head(5), what=f"{who(row)}: rows outside {why}")
    n_bad = int(collect(outside.select(nw.len().cast(nw.Int64)), what="count").item())
    raise CXDataError(
        f"{who(row)}: observations outside {why} {lo:g}-{hi:g} (seen {lo_seen:g}-{hi_seen:g})",
        table=table,
        column=column,
        rows=[f"account {short(a)}: {x:g}" for a, x in bad.iter_rows()],
        n_rows=n_bad,
        fix=fix,
    )


def _polars_only(agg: str) -> bool:
    """An aggregate written as a polars expression: ``last`` (sort_by inside a group-by, which
    narwhals has no lazy form of) and a metric registered by the user or a plugin."""
    return agg == "last" or (agg not in MEAN_LIKE and agg not in PER_ACCOUNT and quantile_of(agg) is None)


def _refuse_on_engine(row: SignalRow, obs: Any, table: str, what: str) -> None:
    """A CXDataError naming the signal when ``what`` cannot run on the engine ``obs`` lives on."""
    engine = native_engine(obs)
    if engine == "polars":
        return
    raise CXDataError(
        f"{who(row)}: {what} runs on polars frames only, and table {short(table)} is a {engine} table "
        "(bind computes on the engine where the data lives, through narwhals; see docs/scale.md)",
        table=table,
        fix="collect that table into polars first (a DuckDB relation: .pl(); a Spark DataFrame: "
        "pl.from_arrow(df.toArrow())), or use one of the aggregates every engine runs: "
        + ", ".join(a for a in MEAN_LIKE + PER_ACCOUNT if a != "last")
        + " or a percentile such as p90",
    )


def sum_observations(row: SignalRow, obs: Any, table: str, column: str) -> Bound:
    """Observations (a narwhals LazyFrame: account_id, role, x, _t) -> per account x role sums, by
    the aggregate, computed where the rows live (only the per-account sums are collected). A null
    ``x`` is no observation: counted (``Bound.n_null``) in the same pass, left out of every value.

    Mean-like aggregates (mean, share, top2box, nps) transform each observation and keep
    per-role sums; other aggregates give one value per account (role null, n = 1).
    """
    src = row.signal.source
    agg = src.aggregate
    scale = _scale_for(row)
    whole = agg in ("nps", "top2box")  # the scale rule (cxwidgets.scales): counted answers are whole points
    if _polars_only(agg):
        _refuse_on_engine(row, obs, table, f"aggregate {short(agg)}")
        native = obs.to_native()
        n_null = int(native.select(pl.col("x").is_null().sum()).collect().item())
        out = _per_account_polars(row, agg, native.filter(pl.col("x").is_not_null()), table)
    else:
        obs = obs.with_columns(nw.col("x").cast(nw.Float64))
        x = nw.col("x")
        # the scale rule's kinds (scales.scale_classes, its one home): NaN and infinities counted on
        # their own (engines order NaN differently in min / max, and DuckDB holds NaN equal to itself)
        kinds = scale_classes(x, None, integer=True)
        checks = [
            x.min().alias("_lo"),
            x.max().alias("_hi"),
            kinds["fraction"].cast(nw.Int64).sum().cast(nw.Int64).alias("_frac"),
            kinds["nonfinite"].cast(nw.Int64).sum().cast(nw.Int64).alias("_nonfinite"),
        ]
        # a null x (an unanswered question) is counted in the same pass, and in no aggregate
        checks.append(x.is_null().cast(nw.Int64).sum().cast(nw.Int64).alias("_null"))
        if agg in MEAN_LIKE:
            value = nw.when(~x.is_null()).then(_mean_like_value(row, agg, scale, table, column))
            grouped = obs.group_by("account_id", "role").agg(
                value.sum().alias("total"), x.count().cast(nw.Int64).alias("n"), *checks
            )
        else:
            grouped = obs.group_by("account_id").agg(
                _per_account_expr(row, agg, table).alias("total"), x.count().cast(nw.Int64).alias("_count"), *checks
            )
        out = _typed(collect(grouped, what=f"{who(row)}: per account"))
        n_null = int(out.get_column("_null").sum()) if out.height else 0
        out = out.filter(pl.col("_count" if "_count" in out.columns else "n") > 0)  # accounts with answers only
    if "_count" in out.columns:
        n_obs = int(out.get_column("_count").sum()) if out.height else 0
        out = out.with_columns(pl.lit(None, dtype=pl.String).alias("role"), pl.lit(1, dtype=pl.Int64).alias("n"))
    else:
        n_obs = int(out.get_column("n").sum()) if out.height else 0
    if out.height:
        _check_values_seen(row, out, obs, scale, whole, table, column)
    return Bound(
        obs=out.select("account_id", "role", pl.col("total").cast(pl.Float64), pl.col("n").cast(pl.Int64)),
        n_observations=n_obs,
        n_null=n_null,
    )


def _typed(out: pl.DataFrame) -> pl.DataFrame:
    """An engine's per-account aggregates in the dtypes every engine agrees on (DuckDB sums give
    decimals, Spark counts longs): ids and roles text, totals and ranges Float64, counts Int64."""
    casts = {"account_id": pl.String, "role": pl.String, "total": pl.Float64, "_lo": pl.Float64, "_hi": pl.Float64}
    casts |= {c: pl.Int64 for c in ("n", "_count", "_frac", "_nonfinite", "_null")}
    return out.with_columns(pl.col(c).cast(t) for c, t in casts.items() if c in out.columns)


def _mean_like_value(row: SignalRow, agg: str, scale: tuple[float, float] | None, table: str, column: str) -> Any:
    """Each observation as the mean-like aggregate counts it (a narwhals expression)."""
    x = nw.col("x")
    if agg == "top2box":
        if scale is None:
            raise CXDataError(
                f"{who(row)}: aggregate 'top2box' needs a declared scale to know its top two points",
                table=table,
                column=column,
                fix="declare the scale on the source, e.g. scale: [1, 5], or use aggregate 'mean'",
            )
        return in_top_box(x, scale, 2, who(row)).cast(nw.Float64)
    if agg == "nps":
        return nps_points(x)
    return x


def _per_account_polars(row: SignalRow, agg: str, obs: pl.LazyFrame, table: str) -> pl.DataFrame:
    """The polars-only aggregates (:func:`_polars_only`) per account, on a polars plan."""
    x = pl.col("x")
    expr: pl.Expr | None
    if agg == "last":
        expr = x.sort_by("_t", nulls_last=False, maintain_order=True).last()
    else:
        expr = aggregate_expression(agg, x, called_for=who(row))  # a metric registered by the user or a plugin
        if expr is None:
            raise CXDataError(
                f"{who(row)}: bind cannot compute aggregate {short(agg)} "
                "(it is registered, but bind does not know how)",
                table=table,
                fix=f"use one of {', '.join(MEAN_LIKE + PER_ACCOUNT)} or a percentile such as 'p75'",
            )
    kinds = scale_classes(x, None, integer=True)
    checks = [
        x.min().alias("_lo"),
        x.max().alias("_hi"),
        kinds["fraction"].sum().alias("_frac"),
        kinds["nonfinite"].sum().alias("_nonfinite"),
    ]
    plugin = plugin_metric(agg)
    with calling("metric", agg, who(row)) if plugin is not None else contextlib.nullcontext():
        out = (
            obs.group_by("account_id")
            .agg(expr.alias("total"), pl.len().cast(pl.Int64).alias("_count"), *checks)
            .collect()
        )
    if plugin is not None:
        _check_plugin_values(row, plugin, out)
    return _typed(out)


def _check_values_seen(
    row: SignalRow,
    out: pl.DataFrame,
    obs: Any,
    scale: tuple[float, float] | None,
    whole: bool,
    table: str,
    column: str,
) -> None:
    """The observations summed into ``out`` (its ``_lo``, ``_hi``, ``_frac`` columns: the least
    and greatest value and the count of fractions seen per account) are on the declared scale
    (whole points where ``whole``), and a share's are from 0 to 1; else a CXDataError."""
    src = row.signal.source
    # the columns are numeric (min / max of x): a number, or None when every value is null
    lo_seen = cast(float | None, out.get_column("_lo").min())
    hi_seen = cast(float | None, out.get_column("_hi").max())
    outside = (
        scale is not None
        and lo_seen is not None
        and hi_seen is not None
        and (lo_seen < scale[0] or hi_seen > scale[1])
    )
    nonfinite = bool(out.get_column("_nonfinite").sum()) if "_nonfinite" in out.columns else False
    if outside or nonfinite or (whole and out.get_column("_frac").sum()):
        off = scale_problem(
            _offending(obs, scale, whole), "x", scale, integer=whole, label=src.metric, row_label="account_id",
            fix="correct those rows or map 'not applicable' codes to null, or declare the scale the data "
            "uses on the signal's source (scale: [low, high])",
        )
        if off is not None:
            raise CXDataError(
                f"{who(row)}: {off.message}", table=table, column=column, rows=off.rows, fix=off.fix, n_rows=off.n
            )
    if src.aggregate == "share":
        _check_range(
            row, lo_seen, hi_seen, (0.0, 1.0), obs, table, column, "the range of a share,",
            "aggregate 'share' takes values from 0 to 1 (80% is 0.8); use 'mean' or 'top2box' for scores",
        )


def _offending(obs: Any, scale: tuple[float, float] | None, whole: bool) -> pl.LazyFrame:
    """The observations off the scale, as polars rows for :func:`cxwidgets.scales.scale_problem`:
    a polars plan as it is; on another engine only the offending rows are collected."""
    native = obs.to_native()
    if isinstance(native, pl.LazyFrame):
        return native
    bad = nw.any_horizontal(*scale_classes(nw.col("x"), scale, integer=whole).values(), ignore_nulls=True)
    return collect(obs.filter(bad).select("account_id", "x"), what="rows off the scale").lazy()


def plugin_metric(agg: str) -> Metric | None:
    """The registered metric behind a plugin aggregate (None for bind's own aggregates)."""
    if agg in MEAN_LIKE or agg in PER_ACCOUNT or quantile_of(agg) is not None:
        return None
    return METRICS.get(agg)


def _check_plugin_values(row: SignalRow, metric: Metric, out: pl.DataFrame) -> None:
    """A plugin aggregate's per-account values are finite and within its declared value_range
    (``"scale"``: the signal's declared scale), else a CXPluginError naming the metric and signal."""
    total = pl.col("total").cast(pl.Float64)
    bounds: tuple[float, float] | None = None
    if metric.value_range == "scale":
        scale = row.signal.source.resolved_scale
        if scale is not None:
            bounds = (float(scale[0]), float(scale[1]))
            what = f"the scale {bounds[0]:g}-{bounds[1]:g} (its value_range is 'scale')"
    elif isinstance(metric.value_range, tuple):
        bounds = (float(metric.value_range[0]), float(metric.value_range[1]))
        what = f"its declared value_range {bounds[0]:g}-{bounds[1]:g}"
    checks: list[tuple[pl.Expr, str, str]] = [
        (total.is_nan() | total.is_infinite(), "returned values that are not finite (NaN or inf)",
         "make the metric return a finite number per account (null where it has no value)"),
    ]
    if bounds is not None:
        checks.append(((total < bounds[0]) | (total > bounds[1]), f"returned values outside {what}",
                       "fix the metric's expression, or declare the range it really returns "
                       "(cx.register_metric(..., value_range=(low, high), overwrite=True))"))
    for bad, message, fix in checks:
        hit = out.filter(bad.fill_null(False)).sort("account_id")
        if hit.height:
            raise CXPluginError(
                "metric", metric.name, message, called_for=who(row), table=row.signal.source.table,
                rows=[f"account {short(a)}: {v:g}" for a, v in hit.select("account_id", "total").head(5).iter_rows()],
                n_rows=hit.height, fix=fix,
            )


def _per_account_expr(row: SignalRow, agg: str, table: str) -> Any:
    """One value per account (a narwhals expression every engine runs)."""
    x = nw.col("x")
    q = quantile_of(agg)
    if q is not None:
        return x.quantile(q, interpolation="linear")
    simple = {
        "min": x.min(),
        "max": x.max(),
        "sum": x.sum(),
        "count": x.count().cast(nw.Float64),
        "mean": x.mean(),
    }
    if agg in simple:
        return simple[agg]
    raise CXDataError(
        f"{who(row)}: bind cannot compute aggregate {short(agg)} (it is registered, but bind does not know how)",
        table=table,
        fix=f"use one of {', '.join(MEAN_LIKE + PER_ACCOUNT)} or a percentile such as 'p75'",
    )


def duration_values(
    row: SignalRow, items: Any, table: str, what: tuple[str, str], *, one_per_account: bool = False
) -> Bound:
    """Items (account_id, _d closed duration or null, _age open age or null) -> one value per
    account: the worse (larger) of the aggregate of its closed durations and its oldest open age.

    ``one_per_account``: the items are already one per account (TTV), no grouping needed.
    """
    agg = row.signal.source.aggregate
    q = quantile_of(agg)
    if agg not in _DURATION_AGGS and q is None:
        raise CXDataError(
            f"{who(row)}: aggregate {short(agg)} does not fit a duration",
            table=table,
            fix="use aggregate median (default for times), mean, p90 (or any pNN), min or max",
        )
    if one_per_account:
        per = items.select(
            "account_id",
            nw.col("_d").alias("_closed"),
            nw.col("_age").alias("_open_age"),
            nw.lit(1).cast(nw.Int64).alias("_items"),
            (~nw.col("_age").is_null()).cast(nw.Int64).alias("_n_open"),
        )
    else:
        d = nw.col("_d")
        closed = d.quantile(q, interpolation="linear") if q is not None else getattr(d, agg)()
        per = items.group_by("account_id").agg(
            closed.alias("_closed"),
            nw.col("_age").max().alias("_open_age"),
            nw.len().cast(nw.Int64).alias("_items"),
            (~nw.col("_age").is_null()).cast(nw.Int64).sum().cast(nw.Int64).alias("_n_open"),
        )
    per_df = collect(per, what=f"{who(row)}: per account").with_columns(
        pl.col("account_id").cast(pl.String),
        pl.col("_closed", "_open_age").cast(pl.Float64),
        pl.col("_items", "_n_open").cast(pl.Int64),
    )
    closed_c, open_c = pl.col("_closed"), pl.col("_open_age")
    per_df = per_df.with_columns(
        pl.max_horizontal(closed_c, open_c).alias("total"),
        (open_c.is_not_null() & (closed_c.is_null() | (open_c > closed_c))).alias("_used_open"),
    )
    stats = per_df.select(
        pl.col("_used_open").sum().alias("used_open"),
        (pl.col("_used_open") & pl.col("_closed").is_null()).sum().alias("only_open"),
        pl.col("_n_open").sum().alias("open_items"),
        (pl.col("_n_open") > 0).sum().alias("open_accounts"),
        pl.col("_items").sum().alias("items"),
    ).row(0, named=True)
    used_open, only_open = int(stats["used_open"] or 0), int(stats["only_open"] or 0)
    notes = []
    if stats["open_items"]:
        notes.append(
            f"{plural(int(stats['open_items']), 'open ' + what[0], 'open ' + what[1])} (at "
            f"{plural(int(stats['open_accounts']), 'account')}) counted by their age at as_of, not as zero: "
            f"{plural(used_open, 'account')} take the age of their oldest open one ({only_open:,} with nothing "
            f"closed, {used_open - only_open:,} where it is worse than the {agg} of their closed ones)"
        )
    obs = per_df.filter(pl.col("total").is_not_null()).select(
        "account_id",
        pl.lit(None, dtype=pl.String).alias("role"),
        pl.col("total").cast(pl.Float64),
        pl.lit(1, dtype=pl.Int64).alias("n"),
    )
    return Bound(obs=obs, n_observations=int(stats["items"] or 0), n_open=used_open, notes=notes)
