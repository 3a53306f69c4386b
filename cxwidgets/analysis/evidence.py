"""Uncertainty-aware status: a colour only where the data have earned it.

:func:`evidence_status` puts a confidence interval around every moment, stage or segment MIS
of a :class:`~cxwidgets.mis.MISModel`. When the interval lies on one side of every gate
threshold the unit gets its colour (green / amber / red); when it straddles a threshold the
unit is ``"not enough evidence"``, with ``n_needed``, the number of accounts that would make
the interval clear the nearest threshold it straddles.

**The interval** is a normal approximation over accounts. A roll-up MIS is a weighted mean of
the accounts' moment MIS (account weight ``v_i`` = segment multiplier x ARR when
``arr_weighting``, as in the model), or for a stage / segment a weighted mean of such moment
means (weights ``a_m`` = each moment's weight, as in ``model.score``). Its linearised
(sandwich) variance is ``se^2 = n/(n-1) * sum_i u_i^2`` with
``u_i = sum_m a_m v_i (x_im - mu_m) / V_m`` (``V_m = sum_i v_i`` over the accounts with a MIS at
``m``, ``n`` the accounts with at least one). For one moment with equal weights this is the
usual ``sd / sqrt(n)`` (sd with ddof=1). It accounts for moments of the same account being
correlated. ``lower, upper = mis -/+ z * se`` with ``z`` the normal quantile of ``confidence``.

**n_needed** assumes the standard error shrinks as ``1/sqrt(n)`` at the same spread:
the half-width ``h = z * se`` at ``n`` accounts becomes ``h * sqrt(n / n')``, which is at most
the gap ``g = |mis - threshold|`` when ``n' >= n * (h / g)^2``; so ``n_needed = ceil(n (h/g)^2)``.
A MIS exactly on a threshold has no finite ``n_needed`` (null). Units with fewer than 2 accounts
have no interval ("not enough evidence", n_needed null).

Example:
    >>> import cxwidgets as cx
    >>> from cxwidgets.analysis.evidence import evidence_status
    >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(300, seed=0))
    >>> ev = evidence_status(model, "moment")
    >>> set(ev["evidence"].to_list()) <= {"green", "amber", "red", "not enough evidence"}
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import polars as pl
import scipy.stats

from cxwidgets.mis import status_of
from cxwidgets.mis.gates import GATE_TOLERANCE

__all__ = ["NOT_ENOUGH", "evidence_status", "n_needed"]

#: The status of a unit whose interval straddles a gate threshold.
NOT_ENOUGH = "not enough evidence"


def n_needed(n: int, half_width: float, gap: float) -> int | None:
    """Accounts needed for a half-width ``half_width`` at ``n`` accounts to shrink to ``gap``,
    assuming it falls as ``1/sqrt(n)``: ``ceil(n * (half_width / gap)^2)`` (``n`` itself when it
    already fits; None when ``gap`` is 0).

    Example:
        >>> n_needed(4, 12.6515, 10.0)  # 4 * 1.2651^2 = 6.40 -> 7
        7
    """
    if gap <= 0 or not math.isfinite(gap) or not math.isfinite(half_width):
        return None
    need = n * (half_width / gap) ** 2
    return max(int(n), int(math.ceil(need - 1e-9)))


def _z(confidence: float) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a number between 0 and 1 (e.g. 0.95), got {confidence!r}")
    return float(scipy.stats.norm.ppf(0.5 + confidence / 2))


def _account_weights(model: Any, use_multiplier: bool) -> pl.Expr:
    segm = dict(model.segment_multipliers) if use_multiplier else {}
    v = pl.col("segment").replace_strict(segm, default=1.0, return_dtype=pl.Float64) if segm else pl.lit(1.0)
    if model.arr_weighting:
        v = v * pl.col("arr").fill_null(0.0)
    return v


def _interval_stats(long: pl.DataFrame, unit_cols: list[str], pop_col: str) -> pl.DataFrame:
    """Per population x unit: the weighted MIS (sum_m a_m mu_m), se (linearised) and n.

    ``long``: one row per population x unit x account x moment with columns mis, v (account
    weight), a (moment weight within the unit, summing to 1 over the unit's moments with a MIS).
    """
    keys = [pop_col, *unit_cols]
    mkeys = keys if "moment" in keys else [*keys, "moment"]
    mom = long.group_by(mkeys).agg(
        ((pl.col("v") * pl.col("mis")).sum() / pl.col("v").sum()).alias("mu"), pl.col("v").sum().alias("V")
    )
    lin = (
        long.join(mom, on=mkeys, how="left", nulls_equal=True)
        .with_columns((pl.col("a") * pl.col("v") * (pl.col("mis") - pl.col("mu")) / pl.col("V")).alias("u"))
        .group_by([*keys, "account_id"])
        .agg(pl.col("u").sum())
        .group_by(keys)
        .agg((pl.col("u") ** 2).sum().alias("su2"), pl.len().alias("n"))
    )
    mis = mom.join(long.select(*mkeys, "a").unique(), on=mkeys, how="left", nulls_equal=True).group_by(keys).agg(
        (pl.col("a") * pl.col("mu")).sum().alias("mis_check")
    )
    # nulls_equal: a group of accounts without a value of a dimension is a group (by=)
    return lin.join(mis, on=keys, how="left", nulls_equal=True).with_columns(
        pl.when(pl.col("n") >= 2).then((pl.col("n") / (pl.col("n") - 1) * pl.col("su2")).sqrt()).otherwise(None)
        .alias("se")
    ).drop("su2")


def evidence_status(
    model: Any,
    level: Literal["moment", "stage", "segment", "journey"] = "moment",
    confidence: float = 0.95,
    *,
    by: str | Sequence[str] | None = None,
) -> pl.DataFrame:
    """Per moment, stage or segment: MIS, a confidence interval, and a status only where the
    interval is clear of the gate thresholds (else ``"not enough evidence"`` with ``n_needed``).

    Args:
        model: a :class:`~cxwidgets.mis.MISModel` with data.
        level: ``"moment"``, ``"stage"`` or ``"segment"`` (the journey MIS of each segment);
            with ``by``, ``"journey"`` too (the journey MIS of each group).
        confidence: of the two-sided interval (default 0.95).
        by: accounts columns to slice by, as :meth:`MISModel.score` takes them (any dimension,
            or a list): one row per group x unit, the group columns first.

    Returns:
        The unit columns (stage, moment / stage / segment), mis (as ``model.score``), n_accounts,
        se, lower, upper, green, amber, status (the model's colour, from the MIS alone),
        evidence (green / amber / red when the interval is clear of the thresholds, else
        ``"not enough evidence"``; null without a MIS), threshold (the nearest straddled
        threshold) and n_needed (accounts needed to clear it; null when the evidence suffices
        or cannot be estimated).

    Example:
        >>> import cxwidgets as cx
        >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(200, seed=1))
        >>> evidence_status(model, "stage").columns[:4]
        ['stage', 'mis', 'n_accounts', 'se']
    """
    z = _z(confidence)
    if by is not None:
        return _sliced_evidence(model, level, by, z)
    scores, long, unit_cols = _unit_rows(model, level)
    long = long.filter(pl.col("v") > 0)
    stats = _interval_stats(long, unit_cols, "_pop")
    if level == "segment":
        stats = stats.rename({"_pop": "segment"})
        out = scores.select("segment", "mis", "green", "amber", "status").join(
            stats.select("segment", "n", "se", "mis_check"), on="segment", how="left"
        )
        unit_cols = ["segment"]
    else:
        out = scores.select(*unit_cols, "mis", "green", "amber", "status").join(
            stats.drop("_pop"), on=unit_cols, how="left"
        )
    rows = [_unit_evidence(r, unit_cols, z) for r in out.iter_rows(named=True)]
    schema: dict[str, pl.DataType] = {**{c: pl.String() for c in unit_cols}, **_EVIDENCE_SCHEMA}
    return pl.DataFrame(rows, schema=schema)


_EVIDENCE_SCHEMA: dict[str, pl.DataType] = {
    "mis": pl.Float64(), "n_accounts": pl.Int64(), "se": pl.Float64(), "lower": pl.Float64(),
    "upper": pl.Float64(), "green": pl.Float64(), "amber": pl.Float64(), "status": pl.String(),
    "evidence": pl.String(), "threshold": pl.Float64(), "n_needed": pl.Int64(),
}


def _sliced_evidence(model: Any, level: str, by: str | Sequence[str], z: float) -> pl.DataFrame:
    """:func:`evidence_status` by a dimension: the groups are part of each unit's key."""
    groups = model.account_groups(by)
    cols = groups.columns[1:]
    if level not in ("moment", "stage", "journey"):
        raise ValueError(f"with by=, level must be 'moment', 'stage' or 'journey', got {level!r}")
    acc = model.score("account", by="moment")
    acc = acc.drop([c for c in cols if c in acc.columns and c != "segment"]).join(
        groups.drop("segment") if "segment" in cols else groups, on="account_id", how="left"
    )
    scores = model.score(level, by=cols)
    unit_cols = [*cols, *{"moment": ["stage", "moment"], "stage": ["stage"], "journey": []}[level]]
    if level == "moment":
        long = acc.with_columns(pl.lit(1.0).alias("a"))
    else:
        w = model.score("moment", by=cols).select(*cols, "moment", "weight")
        long = acc.join(w, on=[*cols, "moment"], how="left", nulls_equal=True)
    long = long.with_columns(_account_weights(model, True).alias("v"), pl.lit("all").alias("_pop"))
    long = long.filter(pl.col("mis").is_not_null() & (pl.col("v") > 0))
    if level != "moment":
        long = _with_moment_shares(long, ["_pop", *unit_cols])
    stats = _interval_stats(long, unit_cols, "_pop").drop("_pop")
    out = scores.select(*unit_cols, "mis", "green", "amber", "status").join(
        stats, on=unit_cols, how="left", nulls_equal=True
    )
    rows = [_unit_evidence(r, unit_cols, z) for r in out.iter_rows(named=True)]
    schema: dict[str, pl.DataType] = {**{c: scores.schema[c] for c in unit_cols}, **_EVIDENCE_SCHEMA}
    return pl.DataFrame(rows, schema=schema)


def _unit_rows(model: Any, level: str) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """The model's scores at ``level``, the long table :func:`_interval_stats` reads (one row per
    population x unit x account x moment with mis, v and a) and the unit columns."""
    if level == "moment":
        acc = model.score("account", by="moment")
        scores = model.score("moment")
        unit_cols = ["stage", "moment"]
        long = acc.filter(pl.col("mis").is_not_null()).with_columns(
            _account_weights(model, True).alias("v"), pl.lit("all").alias("_pop"), pl.lit(1.0).alias("a")
        )
        return scores, long, unit_cols
    if level not in ("stage", "segment"):
        raise ValueError(f"level must be 'moment', 'stage' or 'segment', got {level!r}")
    acc = model.score("account", by="moment")
    if level == "stage":
        scores = model.score("stage")
        w = model.score("moment").select("moment", "weight")
        long = acc.join(w, on="moment", how="left").with_columns(
            _account_weights(model, True).alias("v"), pl.lit("all").alias("_pop")
        )
        unit_cols = ["stage"]
    else:
        scores = model.score("segment")
        w = model.score("moment", by="segment").select("segment", "moment", "weight")
        long = acc.join(w, on=["segment", "moment"], how="left").with_columns(
            _account_weights(model, False).alias("v"), pl.col("segment").alias("_pop")
        )
        unit_cols = []
    long = long.filter(pl.col("mis").is_not_null() & (pl.col("v") > 0))
    return scores, _with_moment_shares(long, ["_pop", *unit_cols]), unit_cols


def _with_moment_shares(long: pl.DataFrame, grp: list[str]) -> pl.DataFrame:
    """``long`` with ``a``, each moment's weight as a share of the weights of the moments of its
    unit (``grp``) that have a MIS (with any account weight). A null key is a group (``by=``)."""
    defined = long.select(*grp, "moment", "weight").unique()
    defined = defined.with_columns((pl.col("weight") / pl.col("weight").sum().over(grp)).alias("a"))
    return long.join(defined.select(*grp, "moment", "a"), on=[*grp, "moment"], how="left", nulls_equal=True)


def _unit_evidence(r: dict[str, Any], unit_cols: list[str], z: float) -> dict[str, Any]:
    """One output row: the interval of a unit's MIS and its colour where the interval is clear of
    the gate thresholds, else NOT_ENOUGH with the nearest straddled threshold and n_needed."""
    mis, se, n = r["mis"], r["se"], r["n"] or 0
    lo = hi = None
    ev: str | None = None
    thr = need = None
    if mis is not None:
        if se is None or not math.isfinite(se):
            ev = NOT_ENOUGH
        else:
            lo, hi = max(0.0, mis - z * se), min(100.0, mis + z * se)
            s_lo, s_hi = status_of(lo, r["green"], r["amber"]), status_of(hi, r["green"], r["amber"])
            if s_lo == s_hi:
                ev = s_lo
            else:
                ev = NOT_ENOUGH
                inside = [t for t in (r["amber"], r["green"]) if lo < t <= hi + GATE_TOLERANCE]
                thr = min(inside, key=lambda t: abs(mis - t)) if inside else None
                if thr is not None:
                    need = n_needed(n, z * se, abs(mis - thr))
    return {**{c: r[c] for c in unit_cols}, "mis": mis, "n_accounts": n, "se": se, "lower": lo, "upper": hi,
            "green": r["green"], "amber": r["amber"], "status": r["status"], "evidence": ev,
            "threshold": thr, "n_needed": need}
