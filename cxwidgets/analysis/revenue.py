"""Linking CX to revenue: what a change in a metric is worth in renewal, and the ARR at stake.

:func:`effect_on_outcome` answers "each +5 CSAT points -> +x points of renewal" with a logistic
regression of a yes/no outcome (renewed, churned, expanded) on a driver (an account's CSAT, NPS,
MIS ...), optionally adjusting for covariates:

- the model ``logit P(outcome) = b0 + b1 driver + b2' covariates`` is fitted by maximum likelihood
  (iteratively reweighted least squares in numpy; statsmodels is not a dependency);
- the **effect** of ``+change`` is the average marginal effect: the mean predicted probability with
  every account's driver raised by ``change`` minus the mean predicted probability as observed
  (a fraction: 0.021 = +2.1 points of renewal); ``relative`` divides it by the observed rate;
- its interval is the delta method on the coefficients' covariance ``(X' W X)^-1``; the p-value
  is the Wald test of ``b1 = 0``; the odds ratio of ``+change`` is ``exp(b1 change)``.

It is an association in observational data, not a controlled experiment: confounders not in
``covariates`` are not adjusted for.

:func:`revenue_at_stake` reads the account-level MIS of a :class:`~cxwidgets.mis.MISModel` and sums,
per moment, the ARR of the accounts whose MIS there is red or amber.

Example:
    >>> import cxwidgets as cx
    >>> import polars as pl
    >>> from cxwidgets.analysis.revenue import effect_on_outcome
    >>> data = cx.datasets.saas(2_000, seed=0)
    >>> per_account = (data.tickets.group_by("account_id").agg(pl.col("csat").mean())
    ...     .join(data.accounts, on="account_id"))
    >>> out = effect_on_outcome(per_account, "csat", "renewed", change=1)
    >>> out["effect"][0] > 0
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from cxwidgets._util.text import shorten
from cxwidgets.errors import CXDataError
from cxwidgets.frames import as_list, require_columns, to_polars, yes_no
from cxwidgets.keys import check_keys
from cxwidgets.metrics.intervals import z_value

__all__ = ["fit_logistic", "effect_on_outcome", "revenue_at_stake"]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def fit_logistic(
    X: np.ndarray, y: np.ndarray, *, max_iter: int = 100, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic regression by IRLS: coefficients and their covariance.

    ``X`` includes the intercept column. Raises ValueError on (quasi-)perfect separation or a
    singular design (a constant or duplicated column).

    >>> X = np.column_stack([np.ones(6), [0, 1, 2, 3, 4, 5.0]])
    >>> beta, cov = fit_logistic(X, np.array([0, 0, 1, 0, 1, 1.0]))
    >>> beta.shape, cov.shape
    ((2,), (2, 2))
    """
    n, k = X.shape
    if np.linalg.matrix_rank(X) < k:
        raise ValueError("the design is singular: a column is constant or a copy of another")
    beta = np.zeros(k)
    for _ in range(max_iter):
        eta = X @ beta
        p = _sigmoid(eta)
        w = p * (1 - p)
        H = X.T @ (X * w[:, None])
        g = X.T @ (y - p)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            raise ValueError("the fit failed: the outcome is perfectly separated by the predictors") from None
        beta = beta + step
        if np.max(np.abs(beta)) > 50 or not np.all(np.isfinite(beta)):
            raise ValueError("the fit failed: the outcome is perfectly separated by the predictors")
        if np.max(np.abs(step)) < tol:
            break
    else:
        raise ValueError("the fit did not converge (the outcome may be nearly separated by the predictors)")
    p = _sigmoid(X @ beta)
    H = X.T @ (X * (p * (1 - p))[:, None])
    cov = np.linalg.inv(H)
    return beta, cov


def effect_on_outcome(
    data: Any,
    driver: str,
    outcome: str,
    change: float = 5.0,
    *,
    covariates: str | Sequence[str] | None = None,
    value: str | None = None,
    confidence: float = 0.95,
    table: str = "accounts",
) -> pl.DataFrame:
    """The effect of ``+change`` in a driver on a yes/no outcome, with its interval.

    Args:
        data: one row per account (any frame or CSV/parquet path) with the driver and the outcome.
        driver: numeric column (CSAT, NPS, MIS ...).
        outcome: yes/no column (true/false or 0/1): renewed, churned, expanded.
        change: the change of the driver to price, in its own units (5 CSAT points on 0-100, 0.5
            on 1-5 ...).
        covariates: numeric columns to adjust for (segment dummies can be added as 0/1 columns).
        value: optional money column (e.g. ``arr``): adds ``revenue_effect``, the expected change
            in the outcome-weighted value, ``sum_i value_i (p1_i - p0_i)`` (ARR kept when the
            outcome is renewal), with ``revenue_ci_low`` / ``revenue_ci_high`` (delta method).
            Rows with a null value are dropped from the fit too (counted in n_dropped).
        confidence: of the interval.

    Returns:
        One row: driver, outcome, change, n, n_dropped (rows with a null in a used column),
        outcome_rate (observed), rate_after (predicted with ``+change``), effect (fraction),
        ci_low, ci_high, relative (effect / outcome_rate), odds_ratio, p_value, [revenue_effect,
        revenue_ci_low, revenue_ci_high with ``value``], statement.

    Example:
        >>> import polars as pl
        >>> from cxwidgets.analysis.revenue import effect_on_outcome
        >>> df = pl.DataFrame({"csat": [60, 70, 80, 90, 65, 75, 85, 95, 55, 72] * 20,
        ...                    "renewed": [0, 1, 1, 1, 0, 0, 1, 1, 0, 1] * 20})
        >>> effect_on_outcome(df, "csat", "renewed", change=5)["statement"][0][:24]
        'each +5 of csat -> +12.3'
    """
    frame = to_polars(data, table=table)
    covs = as_list(covariates)
    extra = [value] if value is not None else []
    kept, n_dropped = _model_rows(frame, driver, outcome, covs, extra, confidence, change, table)
    X, y = _design(kept, driver, outcome, covs, table)
    beta, cov = _fit(X, y, driver, outcome, table)
    X1 = X.copy()
    X1[:, 1] += change
    p0, p1 = _sigmoid(X @ beta), _sigmoid(X1 @ beta)
    effect = float(p1.mean() - p0.mean())
    grad = (X1 * (p1 * (1 - p1))[:, None]).mean(axis=0) - (X * (p0 * (1 - p0))[:, None]).mean(axis=0)
    se = float(np.sqrt(grad @ cov @ grad))
    z = z_value(confidence)
    rate = float(y.mean())
    b1, se1 = float(beta[1]), float(np.sqrt(cov[1, 1]))
    p_value = float(2 * stats.norm.sf(abs(b1 / se1)))
    low, high = effect - z * se, effect + z * se
    sign = "+" if change > 0 else ""
    statement = (
        f"each {sign}{change:g} of {driver} -> {effect * 100:+.1f} points of {outcome} "
        f"({confidence:.0%} CI {low * 100:+.1f} to {high * 100:+.1f}; {effect / rate:+.1%} relative), n={y.size:,}"
    )
    money = _revenue_effect(kept, value, X, X1, p0, p1, cov, z) if value is not None else {}
    return pl.DataFrame(
        {
            "driver": [driver],
            "outcome": [outcome],
            "change": [float(change)],
            "n": [int(y.size)],
            "n_dropped": [int(n_dropped)],
            "outcome_rate": [rate],
            "rate_after": [float(p1.mean())],
            "effect": [effect],
            "ci_low": [low],
            "ci_high": [high],
            "relative": [effect / rate],
            "odds_ratio": [float(np.exp(b1 * change))],
            "p_value": [p_value],
            **money,
            "statement": [statement],
        }
    )


def _model_rows(
    frame: pl.DataFrame, driver: str, outcome: str, covs: list[str], extra: list[str], confidence: float, change: float,
    table: str,
) -> tuple[pl.DataFrame, int]:
    """The checked columns of the fit, rows with a null in any of them dropped, and how many were."""
    require_columns(frame, [driver, outcome, *covs, *extra], table=table)
    frame = yes_no(frame, outcome, table=table)
    if not 0 < confidence < 1:
        raise ValueError(f"effect_on_outcome: confidence must be between 0 and 1, got {confidence}")
    if not np.isfinite(change) or change == 0:
        raise ValueError(f"effect_on_outcome: change must be a non-zero number, got {shorten(repr(change))}")
    for col in [driver, *covs, *extra]:
        if not frame.schema[col].is_numeric():
            raise CXDataError(
                f"must be numeric, found dtype {frame.schema[col]}", table=table, column=col,
                rows=frame.get_column(col).head(3).to_list(),
                fix="cast it to numbers (turn a category into 0/1 columns)",
            )
    used = frame.select(driver, outcome, *covs, *extra)  # the outcome is Boolean: read by yes_no above
    kept = used.drop_nulls()
    return kept, used.height - kept.height


def _design(
    kept: pl.DataFrame, driver: str, outcome: str, covs: list[str], table: str
) -> tuple[np.ndarray, np.ndarray]:
    """The design matrix (intercept, driver, covariates) and the 0/1 outcome; refuses data with
    too few rows or nothing varying."""
    y = kept.get_column(outcome).cast(pl.Float64).to_numpy()
    if kept.height < 10:
        raise CXDataError(
            f"only {kept.height} rows with both {driver} and {outcome}: too few to fit a model",
            table=table, column=driver, fix="use more accounts (at least tens; hundreds for a useful interval)",
        )
    if y.min() == y.max():
        word = "true" if y[0] == 1 else "false"
        raise CXDataError(
            f"every {outcome} is {word} ({kept.height} rows): there is no variation to link to {driver}",
            table=table, column=outcome, fix="use a period or population where the outcome varies",
        )
    x = kept.get_column(driver).cast(pl.Float64).to_numpy()
    if np.all(x == x[0]):
        raise CXDataError(
            f"{driver} has zero variance (every value is {x[0]:g}): its effect cannot be estimated",
            table=table, column=driver, fix="use a driver that varies across accounts",
        )
    X = np.column_stack([np.ones(x.size), x, *[kept.get_column(c).cast(pl.Float64).to_numpy() for c in covs]])
    return X, y


def _fit(X: np.ndarray, y: np.ndarray, driver: str, outcome: str, table: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fit_logistic`, its failure told as a data error naming the driver and the outcome."""
    try:
        return fit_logistic(X, y)
    except ValueError as err:
        raise CXDataError(
            f"logistic regression of {outcome} on {driver}: {err}", table=table, column=driver,
            fix="drop constant or duplicated covariates, or use more varied data",
        ) from None


def _revenue_effect(
    kept: pl.DataFrame, value: str, X: np.ndarray, X1: np.ndarray, p0: np.ndarray, p1: np.ndarray,
    cov: np.ndarray, z: float,
) -> dict[str, list[float]]:
    """``sum_i value_i (p1_i - p0_i)`` with its delta-method interval: the revenue columns."""
    m = kept.get_column(value).cast(pl.Float64).to_numpy()
    rev = float(np.sum(m * (p1 - p0)))
    g_rev = (X1 * (m * p1 * (1 - p1))[:, None]).sum(axis=0) - (X * (m * p0 * (1 - p0))[:, None]).sum(axis=0)
    se_rev = float(np.sqrt(g_rev @ cov @ g_rev))
    return {"revenue_effect": [rev], "revenue_ci_low": [rev - z * se_rev], "revenue_ci_high": [rev + z * se_rev]}


def revenue_at_stake(
    model: Any,
    *,
    accounts: Any = None,
    statuses: Sequence[str] = ("red", "amber"),
    value: str = "arr",
) -> pl.DataFrame:
    """ARR (or model-based CLV) of the accounts whose MIS is red or amber, per moment.

    Args:
        model: a :class:`~cxwidgets.mis.MISModel` with data.
        accounts: optional frame with ``account_id`` and ``arr`` to use instead of the model's ARR
            (e.g. current ARR, or only accounts still active). Its ids must match the model's
            (:func:`cxwidgets.keys.check_keys`: fewer than half, or none, matching is a
            ``CXDataError`` with the likely fix).
        statuses: the statuses that count as at stake.
        value: the column of ``accounts`` to sum instead of ARR, for a business without ARR: e.g.
            ``"clv"`` from :func:`cxwidgets.value.customer_value` (BG/NBD and Gamma-Gamma). The
            money columns are then named after it (``clv_red`` ... ``clv_at_stake``, ``n_no_clv``).

    Returns:
        One row per moment in journey order: stage, moment, n_accounts (with a MIS there),
        n_red, n_amber, arr_red, arr_amber, arr_at_stake (ARR of accounts in ``statuses``),
        arr_scored (ARR of all accounts with a MIS there), share_at_stake, and
        n_no_arr (accounts at stake whose ARR is unknown, counted but not summed).

    Example:
        >>> import cxwidgets as cx
        >>> from cxwidgets.analysis.revenue import revenue_at_stake
        >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(500, seed=0))
        >>> revenue_at_stake(model).height
        8
    """
    bad = [s for s in statuses if s not in ("red", "amber", "green")]
    if bad:
        raise ValueError(f"revenue_at_stake: statuses are red, amber or green, got {bad}")
    if value != "arr" and accounts is None:
        raise CXDataError(
            f"value={value!r} needs the accounts table that holds it", table="accounts", column=value,
            fix=f"pass accounts= with account_id and {value} (e.g. cx.value.customer_value(...))",
        )
    acc = model.score("account", by="moment")
    if accounts is not None:
        other = to_polars(accounts, table="accounts")
        require_columns(other, ["account_id", value], table="accounts")
        if other.get_column("account_id").is_duplicated().any():
            raise CXDataError(
                "duplicate account ids", table="accounts", column="account_id",
                rows=other.filter(pl.col("account_id").is_duplicated()).get_column("account_id").head(5).to_list(),
                fix="keep one row per account",
            )
        check_keys(other.get_column("account_id"), model.table.accounts.get_column("account_id"), table="accounts",
                   against="the model's accounts")
        acc = acc.drop("arr").join(
            other.select(pl.col("account_id").cast(pl.String), pl.col(value).cast(pl.Float64).alias("arr")),
            on="account_id", how="left",
        )
    order = model.score("moment").select("stage", "moment").with_row_index("_order")
    scored = acc.filter(pl.col("mis").is_not_null())
    at = pl.col("status").is_in(list(statuses))
    out = (
        scored.group_by("moment")
        .agg(
            pl.len().cast(pl.Int64).alias("n_accounts"),
            (pl.col("status") == "red").sum().cast(pl.Int64).alias("n_red"),
            (pl.col("status") == "amber").sum().cast(pl.Int64).alias("n_amber"),
            pl.col("arr").filter(pl.col("status") == "red").sum().alias("arr_red"),
            pl.col("arr").filter(pl.col("status") == "amber").sum().alias("arr_amber"),
            pl.col("arr").filter(at).sum().alias("arr_at_stake"),
            pl.col("arr").sum().alias("arr_scored"),
            (at & pl.col("arr").is_null()).sum().cast(pl.Int64).alias("n_no_arr"),
        )
    )
    out = order.join(out, on="moment", how="left").sort("_order").drop("_order")
    zero = ["n_accounts", "n_red", "n_amber", "arr_red", "arr_amber", "arr_at_stake", "arr_scored", "n_no_arr"]
    out = out.with_columns(pl.col(zero).fill_null(0))
    out = out.with_columns(
        pl.when(pl.col("arr_scored") > 0).then(pl.col("arr_at_stake") / pl.col("arr_scored")).alias("share_at_stake")
    ).select("stage", "moment", "n_accounts", "n_red", "n_amber", "arr_red", "arr_amber", "arr_at_stake",
             "arr_scored", "share_at_stake", "n_no_arr")
    if value == "arr":
        return out
    return out.rename({c: c.replace("arr", value) for c in out.columns if "arr" in c})
