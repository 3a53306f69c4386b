"""The reference recompute of the contributions: each signal's points in the MIS of a roll-up,
written directly in polars on a :class:`~cxwidgets.mis.recompute._Reference` (whose
``contributions`` is :func:`_reference_contributions`). Like the rest of the reference it shares no
code with the fast path beyond the journey's structure and the input checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from cxwidgets.mis.checks import _check_by, _check_dimensions

if TYPE_CHECKING:
    from cxwidgets.mis.recompute import _Reference


def _reference_contributions(ref: _Reference, level: str, by: object) -> pl.DataFrame:
    """The signals' points per signal (x group of the slice ``by``); level segment: the journey per segment."""
    checked: tuple[str, ...] = _check_by(level, by)
    if level == "segment":
        seg = (ref.segment_column,)
        df = ref.labelled(_signal_points(ref, "journey", seg), seg, status=False)
        return df.rename({ref.segment_column: "segment"}) if ref.segment_column != "segment" else df
    _check_dimensions(checked, ref.dims, ref.dims.columns)
    return ref.labelled(_signal_points(ref, level, checked), checked, status=False)


def _signal_points(ref: _Reference, level: str, by: tuple[str, ...]) -> pl.DataFrame:
    ref.account_moments()
    cells = ref._cells
    assert cells is not None
    wc = ref._wcol(by)
    keys = ["_g"] if by else []
    x = ref._accounts(by).select("account_id", pl.col(wc).alias("x"), *keys)
    mom = ref.moment_rollup(by)
    B = (
        ref.account_moments().filter(pl.col("mis").is_not_null()).join(x, on="account_id")
        .group_by(*keys, "moment").agg(pl.col("x").sum().alias("B"))
    )
    c = (
        cells.join(x, on="account_id").group_by(*keys, "moment", "signal")
        .agg((pl.col("x") * pl.col("c")).sum().alias("CN"))
        .join(B, on=[*keys, "moment"])
        .with_columns(pl.when(pl.col("B") > 0).then(pl.col("CN") / pl.col("B")).alias("cm"))
    )
    sc = (
        ref.vals.join(x, on="account_id").group_by(*keys, "moment", "signal")
        .agg((pl.col("x") * pl.col("score")).sum().alias("SN"), pl.col("x").sum().alias("SD"))
        .with_columns(pl.when(pl.col("SD") > 0).then(pl.col("SN") / pl.col("SD")).alias("score"))
    )
    wj = _population_weights(ref, by, keys)
    grid = ref.meta.select("stage", "moment", "signal", "category", (pl.col("cw") * pl.col("sw")).alias("wb"))
    grid = grid.with_row_index("_j")
    if by:
        grid = ref.groups(by)[1].select(keys).join(grid, how="cross")
    out = (
        grid.join(c.select(*keys, "moment", "signal", "cm"), on=[*keys, "moment", "signal"], how="left")
        .join(sc.select(*keys, "moment", "signal", "score"), on=[*keys, "moment", "signal"], how="left")
        .join(wj, on=[*keys, "moment", "signal"], how="left")
        .join(
            mom.select(*keys, "moment", pl.col("mis").alias("mm"), pl.col("weight").alias("Wm")),
            on=[*keys, "moment"],
        )
        .with_columns(
            pl.when(pl.col("ptot") > 0).then(pl.col("wp")).otherwise(pl.col("wb")).alias("weight"),
            pl.when(pl.col("mm").is_not_null()).then(pl.col("cm").fill_null(0.0)).alias("cm"),
        )
    )
    if level == "moment":
        out = out.with_columns(pl.col("cm").alias("contribution"), pl.col("mm").alias("mis"))
    else:
        out = _unit_contributions(ref, out, level, by, keys, mom)
    sort = ["_g", "_j"] if by else ["_j"]
    return out.sort(sort).select(
        *keys, "stage", "moment", "signal", "category", "weight", "score", "contribution", "mis"
    )


def _population_weights(ref: _Reference, by: tuple[str, ...], keys: list[str]) -> pl.DataFrame:
    """Per (population,) moment, signal: the signal's weight ``wp`` (the mean over the
    population's accounts) and the population's total weight ``ptot``."""
    T = ref._accounts(by).group_by("segment", *keys).agg(
        pl.col("a").sum().alias("T"), pl.col("sm").first().alias("sm")
    )
    return (
        ref.segw.join(T, on="segment")
        .with_columns(ref._pt(by).alias("pt"))
        .group_by(*keys, "moment", "signal")
        .agg(((pl.col("pt") * pl.col("w")).sum() / pl.col("pt").sum()).alias("wp"),
             pl.col("pt").sum().alias("ptot"))
    )


def _unit_contributions(
    ref: _Reference, out: pl.DataFrame, level: str, by: tuple[str, ...], keys: list[str], mom: pl.DataFrame
) -> pl.DataFrame:
    """The signal points ``cm`` in the moment MIS as points in the stage or journey MIS."""
    unit = ["stage"] if level == "stage" else []
    roll = ref.stage_rollup(by) if level == "stage" else ref.journey_rollup(by)
    wd = mom.filter(pl.col("mis").is_not_null()).group_by(*keys, *unit).agg(pl.col("weight").sum().alias("WD"))
    if keys or unit:
        out = out.join(wd, on=[*keys, *unit], how="left").join(
            roll.select(*keys, *unit, pl.col("mis").alias("rm")), on=[*keys, *unit], how="left"
        )
    else:
        out = out.with_columns(
            pl.lit(wd["WD"][0] if wd.height else None, pl.Float64).alias("WD"),
            pl.lit(roll["mis"][0], pl.Float64).alias("rm"),
        )
    return out.with_columns(
        pl.when(pl.col("cm").is_not_null() & (pl.col("WD") > 0))
        .then(pl.col("cm") * pl.col("Wm") / pl.col("WD")).alias("contribution"),
        pl.col("rm").alias("mis"),
    )
