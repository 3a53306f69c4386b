"""The rows a survey summary reads, and its one pass over them, on the engine where they live.

:func:`_prepare` checks the columns, keeps the metric's rows (its name read by
:func:`~cxwidgets.frames.metric_rows`' rule, over the distinct names) and leaves a lazy input (a
polars LazyFrame, a DuckDB relation, a PySpark DataFrame: :mod:`cxwidgets.engines`) on its engine;
:func:`_aggregate` is the one group-by every summary of :mod:`cxwidgets.metrics.survey` runs (n,
missing, counts, mean, sd and the answers off the scale by kind, per group); :func:`_scale_error`
words the scale rule's error with rows fetched where they live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from cxwidgets._util.text import short
from cxwidgets.engines import collect, is_lazy, lazy_frame
from cxwidgets.errors import CXDataError
from cxwidgets.frames import as_list, metric_expr, metric_name, metric_rows, require_columns, to_polars
from cxwidgets.scales import describe_scale_problem, scale_classes, scale_error

Scale = tuple[float, float]
By = str | Sequence[str] | None


@dataclass
class _Rows:
    """The rows a summary reads: a narwhals LazyFrame on the engine where they live (an eager
    input as polars' lazy), with the metric filter applied; ``lazy`` when they live on an engine."""

    frame: Any
    keys: list[str]
    score: str
    table: str
    lazy: bool
    ids: str | None  # the id column an engine's error shows (an engine has no row positions)
    metric: str | None = None  # on an engine: the metric filtered there, checked for no rows after the pass
    unfiltered: Any = None  # the rows before that filter (for the error's list of the metrics held)


def _prepare(df: object, score: str, by: By, metric: str | None, table: str) -> _Rows:
    """The summary's rows, checked: the columns are there, the metric's rows only (its name read by
    :func:`~cxwidgets.frames.metric_rows`' rule, over the distinct names), the score a number.
    A lazy input (:func:`cxwidgets.engines.is_lazy`) stays on its engine; another is read into
    polars (only the needed columns of a file) and goes through the same steps."""
    import narwhals as nw

    keys = as_list(by)
    needed = [score, *keys, *(["metric"] if metric is not None else [])]
    lazy = is_lazy(df)
    if lazy:
        frame = lazy_frame(df)
        names = frame.collect_schema().names()
        ids = next((c for c in ("account_id", "respondent_id") if c in names), None)
        keep = set(needed) | ({ids} if ids else set())
        frame = frame.select([c for c in names if c in keep])
    else:
        eager = to_polars(df, table=table, columns=needed)  # a file reads only these
        frame, names, ids = lazy_frame(eager), eager.columns, None
    require_columns(pl.DataFrame({c: [] for c in names}), [score, *keys], table=table)
    unfiltered = frame
    if metric is not None and "metric" in names and lazy:
        # on an engine: the rule applied there in the same pass (a pass for the names alone would run
        # a joined table's join twice); the names are fetched only to word the error of no rows
        frame = frame.filter(metric_expr("metric", narwhals=True) == metric_name(metric))
    elif metric is not None and "metric" in names:
        # in hand: the distinct names, each read by metric_name's rule ("NPS", " nps " are "nps")
        spellings = _run(frame.select("metric").unique(), what=f"{table}: metric names", lazy=lazy)
        spelled = metric_rows(spellings, metric, table=table).get_column("metric").to_list()
        if spelled:  # one spelling: an equality (polars' is_in on text is several times slower)
            col = nw.col("metric")
            frame = frame.filter(col == spelled[0] if len(spelled) == 1 else col.is_in(spelled))
    rows = _Rows(frame, keys, score, table, lazy, ids, metric if lazy and "metric" in names else None, unfiltered)
    dtype = frame.collect_schema()[score]
    if not dtype.is_numeric():
        head = _run(frame.select(score).head(5), what=f"{table}: rows of {score}", lazy=lazy)
        raise CXDataError(
            f"scores must be numbers, found dtype {head.schema[score]}",
            table=table,
            column=score,
            rows=[short(v) for v in head.get_column(score).to_list()],
            fix="cast the column to numbers or run cx.validate(df, table='responses') first",
        )
    return rows


def _run(frame: Any, *, what: str, lazy: bool) -> pl.DataFrame:
    """A narwhals LazyFrame run where it lives and brought back as polars: counted by
    :func:`cxwidgets.engines.collected` when it comes from an engine; polars' streaming engine for
    an eager input (several times faster than the in-memory engine for a few aggregations over
    millions of rows)."""
    if lazy:
        return collect(frame, what=what)
    native: pl.LazyFrame = frame.to_native()
    return native.collect(engine="streaming")


def _group(frame: pl.DataFrame, keys: list[str], aggs: list[pl.Expr]) -> pl.DataFrame:
    """One pass over an in-memory frame (the rate summaries): group and aggregate with polars'
    streaming engine, groups sorted by key."""
    lf = frame.lazy()
    lf = lf.group_by(keys).agg(aggs).sort(keys, nulls_last=True) if keys else lf.select(aggs)
    return lf.collect(engine="streaming")


def _aggregate(
    rows: _Rows,
    scale: Scale | None,
    label: str,
    *,
    integer: bool,
    counts: dict[str, Any] | None = None,
    mean: str | None = None,
    sd: str | None = None,
) -> pl.DataFrame:
    """One pass over the rows, on their engine: per group, n, n_missing, the answers off the scale
    by kind (:func:`cxwidgets.scales.scale_classes`), the rows each of ``counts`` holds true (name
    -> a narwhals Boolean expression of the score), and the score's ``mean`` and ``sd`` (sample,
    ddof 1) under those names. The score is read as Float64 and every count cast to Int64 at the
    engine (DuckDB sums integers as DECIMAL, Spark cannot sum a boolean). One row per group
    crosses; the groups are sorted by key. Raises the scale rule's CXDataError when any answer is
    off the scale."""
    import narwhals as nw

    x = nw.col(rows.score).cast(nw.Float64)
    classes = scale_classes(x, scale, integer=integer)
    flags = {f"_{kind}": flag for kind, flag in classes.items()} | (counts or {})
    keys = rows.keys
    # the row values first, then plain aggregations of columns (what every engine streams fastest)
    values = rows.frame.select(
        *keys, x.alias("_x"), *(flag.fill_null(False).cast(nw.Int64).alias(name) for name, flag in flags.items())
    )
    v = nw.col("_x")
    exprs = [
        v.count().cast(nw.Int64).alias("n"),
        nw.len().cast(nw.Int64).alias("_len"),
        *(nw.col(name).sum().cast(nw.Int64).alias(name) for name in flags),
        *([v.mean().alias(mean)] if mean else []),
        *([v.std(ddof=1).alias(sd)] if sd else []),
    ]
    plan = values.group_by(keys).agg(*exprs) if keys else values.select(*exprs)
    by = f" by {', '.join(keys)}" if keys else ""
    out = _run(plan, what=f"{rows.table}: {label} summary{by}", lazy=rows.lazy)
    if rows.metric is not None and not int(out.get_column("_len").sum() or 0):
        _no_rows_of_the_metric(rows)
    if keys:
        out = out.sort(keys, nulls_last=True)
    off = {kind: int(out.get_column(f"_{kind}").sum()) for kind in classes}
    if any(off.values()):
        raise _scale_error(rows, scale, label, integer=integer, counts=off)
    n_missing = (pl.col("_len") - pl.col("n")).alias("n_missing")
    return out.with_columns(n_missing).drop("_len", *(f"_{kind}" for kind in classes))


def _no_rows_of_the_metric(rows: _Rows) -> None:
    """An engine's table without a row of the metric: the names it holds fetched (one small query)
    and :func:`~cxwidgets.frames.metric_rows`' error raised, as for a table in hand."""
    spellings = _run(rows.unfiltered.select("metric").unique(), what=f"{rows.table}: metric names", lazy=True)
    if spellings.height:
        assert rows.metric is not None
        metric_rows(spellings, rows.metric, table=rows.table)  # raises: none of them is the metric


def _scale_error(
    rows: _Rows, scale: Scale | None, label: str, *, integer: bool, counts: dict[str, int]
) -> CXDataError:
    """The scale rule's error for answers counted off the scale. A polars input shows row positions
    (as :func:`cxwidgets.validate` does); an engine has none, so its rows show the answer's id
    column (account_id, else respondent_id), fetched at the engine with a filter and head(5)."""
    import narwhals as nw

    native = rows.frame.to_native()
    if isinstance(native, pl.LazyFrame):
        err = scale_error(native, rows.score, scale, integer=integer, table=rows.table, label=label)
        if err is not None:
            return err
    bad = nw.any_horizontal(*scale_classes(nw.col(rows.score), scale, integer=integer).values(), ignore_nulls=True)
    show = [rows.ids, rows.score] if rows.ids else [rows.score]
    head = _run(rows.frame.filter(bad).select(show).head(5), what=f"{rows.table}: rows off the {label} scale",
                lazy=rows.lazy)
    found = head.rows() if rows.ids else [(None, v) for (v,) in head.rows()]
    problem = describe_scale_problem(counts, found, scale, label=label, row_label=rows.ids)
    assert problem is not None  # counts hold at least one answer off the scale
    return CXDataError(problem.message, table=rows.table, column=rows.score, rows=problem.rows, fix=problem.fix,
                       n_rows=problem.n)
