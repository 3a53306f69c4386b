"""Trends: a metric per week, month or quarter, with intervals, and its change points flagged.

:func:`trend` cuts a metric by period (:func:`cxwidgets.metrics.period`) and computes each period's
value, 95% interval and n with the metric core's summaries (NPS: adjusted Wald; shares: Wilson;
means: Student t). :func:`trend_mis` does the same for the Moment Impact Score, scoring each
period on its own slice of the data. :func:`change_points` flags the periods where the level shifts.

**Change points: binary segmentation with a z test.** On the per-period values ``v_t`` with
standard errors ``se_t = (ci_high - ci_low) / (2 z)``:

1. for every split of the series into a left and a right part (each at least ``min_size``
   periods), compare the inverse-variance weighted means of the two parts with
   ``z = (R - L) / sqrt(phi (1/W_L + 1/W_R))``, ``W = sum 1/se_t^2``;
2. ``phi`` = max(1, the mean squared standardised residual around the two parts' means): an
   over-dispersion factor, so period-to-period wobble beyond sampling error is not read as a shift;
3. take the split with the largest |z|; its p-value is Bonferroni-corrected for the number of
   splits tried; if below ``alpha`` (default 0.01) the first period of the right part is a change
   point, and both parts are searched again (recursively).

Periods with fewer than 2 values (no interval) are skipped by the search and never flagged.

Example:
    >>> import cxwidgets as cx
    >>> from cxwidgets.analysis.trends import trend
    >>> data = cx.datasets.saas_before_after(2_000, seed=0)
    >>> t = trend(data.tickets, "csat", time="created_at", every="quarter")
    >>> t.columns
    ['quarter', 'value', 'ci_low', 'ci_high', 'n', 'change_point']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import polars as pl
from scipy import stats

from cxwidgets.analysis.periods import resolve_time_column
from cxwidgets.errors import CXDataError
from cxwidgets.frames import as_list, one_metric, require_columns, to_polars
from cxwidgets.metrics.intervals import z_value
from cxwidgets.metrics.periods import period as period_expr
from cxwidgets.metrics.rates import rate_summary
from cxwidgets.metrics.survey import csat_summary, mean_summary, nps_summary
from cxwidgets.timestamps import TimestampError, check_zone, point_in_time, zone_of

if TYPE_CHECKING:
    from cxwidgets.journey import Journey

__all__ = ["change_points", "trend", "trend_mis"]

TrendStat = Literal["mean", "share", "nps", "top2box"]


def change_points(
    values: Sequence[float] | np.ndarray,
    se: Sequence[float] | np.ndarray,
    *,
    alpha: float = 0.01,
    min_size: int = 2,
) -> list[int]:
    """Indices where a new level starts (see the module docstring for the method).

    ``values`` and ``se`` are per-period values and standard errors; entries with a missing
    or non-positive ``se`` are skipped.

    >>> change_points([4.2, 4.1, 4.25, 4.2, 4.7, 4.65, 4.72, 4.7], [0.03] * 8)
    [4]
    >>> change_points([4.2, 4.21, 4.19, 4.2], [0.05] * 4)
    []
    """
    v = np.asarray(values, dtype=float)
    s = np.asarray(se, dtype=float)
    if v.shape != s.shape:
        raise ValueError(f"change_points: values and se differ in length ({v.size} vs {s.size})")
    if not 0 < alpha < 1:
        raise ValueError(f"change_points: alpha must be between 0 and 1, got {alpha}")
    if min_size < 1:
        raise ValueError(f"change_points: min_size must be at least 1, got {min_size}")
    ok = np.flatnonzero(np.isfinite(v) & np.isfinite(s) & (s > 0))
    found: list[int] = []
    _segment(v[ok], 1.0 / s[ok] ** 2, 0, ok.size, alpha, min_size, found)
    return sorted(int(ok[i]) for i in found)


def _segment(v: np.ndarray, w: np.ndarray, lo: int, hi: int, alpha: float, min_size: int, found: list[int]) -> None:
    n = hi - lo
    if n < 2 * min_size:
        return
    x, wt = v[lo:hi], w[lo:hi]
    cw = np.cumsum(wt)
    cwx = np.cumsum(wt * x)
    cwx2 = np.cumsum(wt * x * x)
    ks = np.arange(min_size, n - min_size + 1)  # right part starts at k
    wl, wr = cw[ks - 1], cw[-1] - cw[ks - 1]
    ml = cwx[ks - 1] / wl
    mr = (cwx[-1] - cwx[ks - 1]) / wr
    # weighted residual sum of squares around the two means, for the over-dispersion factor
    rss = (cwx2[ks - 1] - wl * ml**2) + ((cwx2[-1] - cwx2[ks - 1]) - wr * mr**2)
    phi = np.maximum(1.0, rss / max(n - 2, 1))
    z = (mr - ml) / np.sqrt(phi * (1.0 / wl + 1.0 / wr))
    best = int(np.argmax(np.abs(z)))
    p = min(1.0, float(2 * stats.norm.sf(abs(z[best]))) * ks.size)
    if p < alpha:
        k = lo + int(ks[best])
        found.append(k)
        _segment(v, w, lo, k, alpha, min_size, found)
        _segment(v, w, k, hi, alpha, min_size, found)


def trend(
    data: Any,
    value: str = "score",
    *,
    stat: TrendStat = "mean",
    time: str | None = None,
    every: str = "month",
    by: str | Sequence[str] | None = None,
    metric: str | None = None,
    scale: tuple[float, float] | None = None,
    tz: str | None = None,
    confidence: float = 0.95,
    alpha: float = 0.01,
    min_size: int = 2,
    table: str = "data",
) -> pl.DataFrame:
    """A metric per period with its interval and n, and the periods where its level shifts.

    Args:
        data: a long frame (responses, tickets, accounts ...), any frame or CSV/parquet path.
        value: the column measured (``score``, ``csat``, ``renewed`` ...).
        stat: ``"mean"`` (Student t interval), ``"share"`` of true/1 values (Wilson), ``"top2box"``
            of ``scale`` (Wilson) or ``"nps"`` (points, adjusted Wald).
        time: the timestamp column (default: responded_at, created_at, at, observed_at or started_at).
        every: ``"week"``, ``"month"``, ``"quarter"``, ``"year"`` or a polars duration ("1w", "1mo", "1q").
        by: columns to cut by (one series per group; change points are found per series).
        metric: keep only rows with this ``metric`` value (required when the frame mixes metrics).
        scale: the declared scale (checked; ``top2box`` needs it, default (1, 5)).
        tz: calendar of the periods (e.g. "Europe/Paris"); default the column's own zone, the
            one the table was validated in (``cx.validate(..., naive_tz="Europe/Vienna")``: Vienna
            calendar months), UTC by default.
        alpha, min_size: of :func:`change_points`.

    Returns:
        One row per [group x] period, sorted: [by columns], the period start (named after
        ``every``), value, ci_low, ci_high, n and change_point (True on the first period of a new
        level). Periods without values do not appear.

    Example:
        >>> import cxwidgets as cx
        >>> from cxwidgets.analysis.trends import trend
        >>> responses = cx.datasets.saas(1_000, seed=0).responses
        >>> trend(responses, "score", stat="nps", metric="nps", every="quarter").columns[:3]
        ['quarter', 'value', 'ci_low']
    """
    frame = to_polars(data, table=table)
    keys = as_list(by)
    require_columns(frame, [value, *keys], table=table)
    if stat not in ("mean", "share", "nps", "top2box"):
        raise ValueError(f"trend: stat must be 'mean', 'share', 'nps' or 'top2box', got {stat!r}")
    frame = one_metric(frame, metric, keys=keys, value=value, table=table, what="a trend")
    col = resolve_time_column(frame, time, table)
    if tz is not None and zone_of(frame.schema[col]) is None:
        raise CXDataError(
            f"tz={tz!r} with naive timestamps (no time zone): polars would read them as UTC",
            table=table, column=col, rows=frame.get_column(col).drop_nulls().head(3).to_list(),
            fix=f"say which zone they were recorded in: cx.validate(df, table=..., naive_tz={tz!r}) (then tz= is "
            "not needed), or leave tz= out to count periods on their wall clock",
        )
    pexpr = period_expr(col, every, tz=tz)
    pname = pexpr.meta.output_name()
    frame = frame.filter(pl.col(col).is_not_null()).with_columns(pexpr)
    if frame.filter(pl.col(value).is_not_null()).height == 0:
        raise CXDataError(
            f"no {value} values to follow over time", table=table, column=value,
            fix="check the metric= filter and that the column has values",
        )
    groups = [*keys, pname]
    s = _period_summary(frame, value, stat, groups, scale, confidence, table)
    s = s.filter(pl.col("n") > 0).sort(groups, nulls_last=True)
    z = z_value(confidence)

    def se_of(part: pl.DataFrame) -> np.ndarray:
        lo = part.get_column("ci_low").to_numpy().astype(float)
        hi = part.get_column("ci_high").to_numpy().astype(float)
        n = part.get_column("n").to_numpy()
        return np.where(n >= 2, (hi - lo) / (2 * z), np.nan)

    flags = _change_point_flags(s, keys, se_of, alpha=alpha, min_size=min_size)
    return s.with_columns(pl.Series("change_point", flags, dtype=pl.Boolean)).with_columns(pl.col("n").cast(pl.Int64))


def _period_summary(
    frame: pl.DataFrame, value: str, stat: TrendStat, groups: list[str], scale: tuple[float, float] | None,
    confidence: float, table: str,
) -> pl.DataFrame:
    """The metric core's summary of ``stat`` per group: the groups, value, ci_low, ci_high and n."""
    if stat == "nps":
        s = nps_summary(frame, value, by=groups, metric=None, confidence=confidence, table=table)
        return s.select(*groups, pl.col("nps").alias("value"), pl.col("nps_low").alias("ci_low"),
                        pl.col("nps_high").alias("ci_high"), "n")
    if stat == "top2box":
        s = csat_summary(
            frame, value, by=groups, scale=scale or (1, 5), metric=None, confidence=confidence, table=table
        )
        return s.select(*groups, pl.col("csat").alias("value"), pl.col("csat_low").alias("ci_low"),
                        pl.col("csat_high").alias("ci_high"), "n")
    if stat == "share":
        s = rate_summary(frame, value, by=groups, name="value", confidence=confidence, table=table)
    else:
        s = mean_summary(
            frame, value, by=groups, scale=scale, name="value", metric=None, confidence=confidence, table=table
        )
    return s.select(*groups, "value", pl.col("value_low").alias("ci_low"), pl.col("value_high").alias("ci_high"), "n")


def _change_point_flags(
    frame: pl.DataFrame, keys: list[str], se_of: Callable[[pl.DataFrame], np.ndarray], *, alpha: float,
    min_size: int,
) -> np.ndarray:
    """True on the rows where a new level starts, series by series (``keys``; one series without keys):
    :func:`change_points` of each series' ``value`` with the standard errors ``se_of(series)``."""
    flags = np.zeros(frame.height, dtype=bool)
    offset = 0
    parts = frame.partition_by(keys, maintain_order=True) if keys else [frame]
    for part in parts:
        se = se_of(part)
        for i in change_points(part.get_column("value").to_numpy().astype(float), se, alpha=alpha, min_size=min_size):
            flags[offset + i] = True
        offset += part.height
    return flags


def trend_mis(
    config: Any,
    data: Any,
    *,
    every: str = "quarter",
    level: Literal["moment", "stage", "segment"] = "moment",
    start: Any = None,
    end: Any = None,
    tz: str | None = None,
    confidence: float = 0.95,
    alpha: float = 0.01,
    min_size: int = 2,
) -> pl.DataFrame:
    """The Moment Impact Score per period, with intervals and change points.

    Each period is scored on its own slice of the data (the rules of
    :func:`cxwidgets.analysis.backfill.filter_period`: observations in the period, accounts active
    in it, ``as_of`` its end); the interval is the one of
    :func:`cxwidgets.analysis.evidence.evidence_status` (normal approximation over accounts).
    Periods where nothing can be scored do not appear.

    Args:
        config: a Journey, or an MISModel whose tuned settings are used.
        data: a dataset object or a dict of tables (as :func:`cxwidgets.binding.bind`).
        every: "week", "month", "quarter", "year" or a polars duration.
        level: "moment", "stage" or "segment" (the journey MIS of each segment).
        start, end: the span to cover (default: the first observation to the data's ``as_of``).
        tz: calendar of the periods (e.g. "Europe/Vienna"); default the zone the data's
            timestamps carry when they share one (``cx.validate(..., naive_tz=)``), else UTC.

    Returns:
        One row per period x unit: the period start (named after ``every``), the unit columns
        (stage, moment / stage / segment), value (MIS), ci_low, ci_high, n (accounts), status,
        change_point.

    Example:
        >>> import cxwidgets as cx
        >>> from cxwidgets.analysis.trends import trend_mis
        >>> data = cx.datasets.saas(400, seed=0)
        >>> out = trend_mis(cx.Journey.template("saas"), data, every="quarter", level="stage",
        ...                 start="2025-01-01", end="2025-07-01")
        >>> out["quarter"].n_unique()
        2
    """
    from cxwidgets.analysis.backfill import _journey_of, _tables
    from cxwidgets.metrics.periods import PERIODS

    if level not in ("moment", "stage", "segment"):
        raise ValueError(f"trend_mis: level must be 'moment', 'stage' or 'segment', got {level!r}")
    journey = _journey_of(config, "config")
    tables = _tables(data)
    step = PERIODS.get(every, every)
    name = every if every in PERIODS else "period"
    zone = _periods_zone(tables, tz)
    start_dt, end_dt = _span(tables, data, start, end, zone)
    unit_cols = {"moment": ["stage", "moment"], "stage": ["stage"], "segment": ["segment"]}[level]
    parts = _score_periods(journey, tables, start_dt, end_dt, step, name, level, unit_cols, confidence, zone)
    if not parts:
        raise CXDataError("no period between start and end could be scored", fix="check start=, end= and the data")
    out = pl.concat(parts).sort([*unit_cols, name])

    def se_of(part: pl.DataFrame) -> np.ndarray:
        return part.get_column("_se").fill_null(float("nan")).to_numpy().astype(float)

    flags = _change_point_flags(out, unit_cols, se_of, alpha=alpha, min_size=min_size)
    out = out.with_columns(pl.Series("change_point", flags, dtype=pl.Boolean)).drop("_se")
    return out.sort([name, *unit_cols], maintain_order=True).select(
        name, *unit_cols, "value", "ci_low", "ci_high", "n", "status", "change_point"
    )


def _span(
    tables: dict[str, pl.DataFrame], data: Any, start: Any, end: Any, zone: str = "UTC"
) -> tuple[dt.datetime, dt.datetime]:
    """The span to cover: ``start`` (default the first time-stamped observation) to ``end``
    (default the data's ``as_of``, else just after the last observation); a date or naive
    ``start``/``end`` is read in ``zone`` (the periods' calendar)."""
    from cxwidgets.analysis.backfill import _as_utc

    def bound(value: Any, argument: str) -> dt.datetime:
        return cast(dt.datetime, point_in_time(value, argument, naive="utc", zone=zone))

    if start is None:
        firsts = [
            f.get_column(c).min()
            for t, f in tables.items()
            for c in ("responded_at", "created_at", "at", "observed_at")
            if c in f.columns and t != "accounts"
        ]
        found = [cast(dt.datetime, x) for x in firsts if x is not None]
        if not found:
            raise CXDataError("no time-stamped observations to follow over time", fix="pass start= and end=")
        start_dt = min(found)
    else:
        start_dt = bound(start, "start")
    if end is None:
        as_of = getattr(data, "as_of", None) if not isinstance(data, dict) else data.get("as_of")
        if as_of is None:
            lasts = [
                f.get_column(c).max() for f in tables.values() for c in ("responded_at", "created_at", "at")
                if c in f.columns
            ]
            as_of = max(cast(dt.datetime, x) for x in lasts if x is not None) + dt.timedelta(microseconds=1)
        end_dt = _as_utc(as_of)
    else:
        end_dt = bound(end, "end")
    if end_dt <= start_dt:
        raise ValueError(f"trend_mis: end ({end_dt}) must come after start ({start_dt})")
    return start_dt, end_dt


def _periods_zone(tables: dict[str, pl.DataFrame], tz: str | None) -> str:
    """The calendar periods follow: ``tz`` if given, else the one zone the tables' observation
    timestamps carry (a table validated with ``naive_tz=``), else UTC."""
    if tz is not None:
        try:
            return check_zone(tz)
        except TimestampError as err:
            raise CXDataError(f"{err.message} (argument 'tz')", fix="pass tz='Europe/Vienna' or tz='UTC'") from None
    zones = {
        zone_of(f.schema[c])
        for f in tables.values()
        for c in ("responded_at", "created_at", "at", "observed_at")
        if c in f.columns
    } - {None}
    return zones.pop() if len(zones) == 1 else "UTC"  # type: ignore[return-value]


def _score_periods(
    journey: Journey, tables: dict[str, pl.DataFrame], start_dt: dt.datetime, end_dt: dt.datetime, step: str, name: str,
    level: Literal["moment", "stage", "segment"], unit_cols: list[str], confidence: float, zone: str = "UTC",
) -> list[pl.DataFrame]:
    """Each period scored on its own slice of the data: the period start (a calendar period in
    ``zone``), the unit columns, value, ci_low, ci_high, n, status and ``_se`` (periods with no
    accounts or nothing to bind are skipped)."""
    from cxwidgets.analysis.backfill import filter_period
    from cxwidgets.analysis.evidence import evidence_status
    from cxwidgets.mis import MISModel

    ts = pl.Datetime("us", zone)
    def local(value: dt.datetime) -> pl.Expr:
        return pl.lit(value).cast(pl.Datetime("us", "UTC")).dt.convert_time_zone(zone)

    first = local(start_dt).dt.truncate(step)
    starts = pl.select(pl.datetime_range(first, local(end_dt), interval=step, closed="left")).to_series().to_list()
    ends = [*starts[1:], pl.select(pl.lit(starts[-1]).dt.offset_by(step)).item()]
    parts: list[pl.DataFrame] = []
    for p0, p1 in zip(starts, ends, strict=True):
        p1 = min(p1, end_dt)
        sliced = filter_period(tables, (max(p0, start_dt), p1))
        if "accounts" in sliced and sliced["accounts"].height == 0:
            continue
        try:
            model = MISModel(journey, sliced, as_of=p1, progress=False)
        except CXDataError:
            continue  # nothing in this period can be bound
        ev = evidence_status(model, level, confidence=confidence)
        parts.append(
            ev.filter(pl.col("mis").is_not_null()).select(
                pl.lit(p0).cast(ts).alias(name), *unit_cols,
                pl.col("mis").alias("value"), pl.col("lower").alias("ci_low"), pl.col("upper").alias("ci_high"),
                pl.col("n_accounts").cast(pl.Int64).alias("n"), "status", pl.col("se").alias("_se"),
            )
        )
    return parts
