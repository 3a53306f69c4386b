"""Driver analysis: which moments, signals and KPIs move an outcome (churn, renewal, NPS).

:func:`drivers` ranks the drivers of one outcome on a wide frame (one row per account, one
column per driver) by four measures, from the simplest to the most robust to correlated drivers:

- ``correlation``: Pearson correlation with the outcome (point-biserial for a 0/1 outcome);
- ``std_coef``: the coefficient of the driver in the least-squares regression of the
  standardised outcome on all standardised drivers (for a 0/1 outcome this is the linear
  probability model: coefficients are in standard deviations of the outcome per standard
  deviation of the driver);
- ``relative_weight``: Johnson's (2000) relative weights, as Qualtrics Stats iQ uses: the
  share of R squared each driver accounts for, computed from the eigen-decomposition of the
  driver correlation matrix. The raw weights sum to R squared; ``relative_weight_pct`` rescales
  them to 100;
- ``shapley_r2``: the exact Shapley (general dominance) decomposition of R squared over all
  2^p subsets of drivers (when p <= 12; else null with a note). Sums to R squared exactly and is
  usually close to the relative weights.

When drivers are correlated (every moment of an account shares its health), a moment that does
not matter can still correlate with the outcome; relative weights and Shapley values split the
shared part fairly, so the ranking (by ``relative_weight`` by default) puts the real drivers first.
On the bundled sample the four true churn drivers come first in order at 2,000 accounts
(``seed=0``); the weakest of them (beta -0.2) is within sampling noise of the non-drivers on
some other seeds at that size, and first on every seed tried at 20,000 accounts.

**Missing values** (``missing=``): ``"pairwise"`` (default) computes each correlation on the
rows where both columns are present (every account with a Support score counts for Support,
even without a Demo survey); the regression and weights use that correlation matrix (projected
to the nearest valid one if needed). ``"drop"`` keeps only rows where every driver is present;
``"impute"`` replaces a missing driver value by its mean. The ``n`` column says how many rows
had the driver and the outcome.

:func:`driver_frame` builds the wide frame from a :class:`~cxwidgets.mis.MISModel` (per account
moment MIS or signal scores, joined to an outcome; defined in :mod:`cxwidgets.analysis.driver_frames`
and re-exported here); :func:`driver_tree` lays the analysis out as
the hierarchy of CX metrics (operational and tactical measures -> customer KPIs -> business
outcomes), :func:`format_tree` prints it and :func:`drivers_chart` draws the ranking.

Example:
    >>> import cxwidgets as cx
    >>> from cxwidgets.analysis.drivers import driver_frame, drivers
    >>> data = cx.datasets.saas(2000, seed=0)
    >>> model = cx.MISModel(cx.Journey.template("saas"), data)
    >>> wide = driver_frame(model, data.accounts.select("account_id", "churned"))
    >>> drivers(wide, "churned")["driver"].to_list()[:4] == data.truth.ranked_drivers()[:4]
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

from cxwidgets._util.text import short, shorten
from cxwidgets.analysis._regression import (
    MAX_SHAPLEY_DRIVERS,
    correlations,
    r_squared,
    relative_weights,
    shapley_r2,
    standardised_coefficients,
)
from cxwidgets.analysis.driver_frames import driver_frame, signal_scores
from cxwidgets.analysis.driver_frames import outcome_table as outcome_table  # re-exported: sensitivity imports it here
from cxwidgets.errors import CXDataError
from cxwidgets.frames import require_columns, to_polars, yes_no
from cxwidgets.scales import is_detractor, is_promoter

__all__ = [
    "DRIVER_METHODS",
    "driver_frame",
    "driver_tree",
    "drivers",
    "drivers_chart",
    "format_tree",
    "saas_hierarchy",
    "signal_scores",
]

#: The measures :func:`drivers` can rank by.
DRIVER_METHODS: tuple[str, ...] = ("relative_weight", "shapley_r2", "std_coef", "correlation")

_ID_COLUMNS = ("account_id",)


def _numeric_or_bool(dtype: pl.DataType) -> bool:
    return dtype.is_numeric() or dtype == pl.Boolean


def _as_float(df: pl.DataFrame, col: str, table: str) -> np.ndarray:
    s = df.get_column(col)
    if not _numeric_or_bool(s.dtype):
        bad = s.drop_nulls().head(3).to_list()
        raise CXDataError(
            f"must be numbers or true/false to be analysed, found {s.dtype}",
            table=table, column=col, rows=bad,
            fix=f"convert {short(col)} to numbers (e.g. 1/0 for yes/no) or leave it out",
        )
    x = s.cast(pl.Float64).to_numpy().astype(float, copy=True)
    bad = np.isinf(x)
    if bad.any():
        raise CXDataError(
            "holds infinite values", table=table, column=col, rows=np.flatnonzero(bad)[:5].tolist(),
            fix="replace inf by a real value or null",
        )
    return x


def drivers(
    frame: Any,
    outcome: str,
    drivers: Sequence[str] | None = None,
    *,
    method: str = "relative_weight",
    missing: Literal["pairwise", "drop", "impute"] = "pairwise",
    table: str = "drivers",
) -> pl.DataFrame:
    """Rank the drivers of ``outcome`` by correlation, standardised coefficient, relative
    weight and Shapley R squared.

    Args:
        frame: one row per unit (account), one numeric or boolean column per driver and the
            outcome (any frame or CSV/parquet path). Nulls and NaN are missing.
        outcome: the outcome column (e.g. ``"churned"``; booleans become 1/0).
        drivers: driver columns; default every numeric column except the outcome and
            ``account_id``.
        method: what ``rank`` orders by: one of :data:`DRIVER_METHODS` (absolute value for
            ``std_coef`` and ``correlation``). ``shapley_r2`` needs at most 12 drivers.
        missing: ``"pairwise"`` (default), ``"drop"`` or ``"impute"`` (see the module docs).

    Returns:
        One row per driver, best first: rank, driver, n (rows with the driver and the outcome),
        correlation, std_coef, relative_weight (sums to r2), relative_weight_pct (sums to 100),
        shapley_r2 (sums to r2; null above 12 drivers), r2 (of the model with every driver, the
        same in every row), note (what was done about missing values, projections; else null).

    Raises:
        CXDataError: a driver or the outcome has no variance (e.g. every account churned), a
            column is not numeric, there are not more rows than drivers + 1, or two drivers are
            perfectly correlated.

    Example:
        >>> import polars as pl
        >>> f = pl.DataFrame({"nps": [1.0, 2, 3, 4, 5, 6], "csat": [1.0, 3, 2, 5, 4, 6],
        ...                   "ces": [2.0, 1, 4, 3, 6, 5]})
        >>> out = drivers(f, "nps")
        >>> out.select("driver", "rank").rows()
        [('csat', 1), ('ces', 2)]
        >>> round(out["relative_weight"].sum(), 6) == round(out["r2"][0], 6)
        True
    """
    df = to_polars(frame, table=table)
    if method not in DRIVER_METHODS:
        raise ValueError(f"method must be one of {', '.join(DRIVER_METHODS)}, got {shorten(repr(method))}")
    require_columns(df, [outcome], table=table)
    if df.schema[outcome] in (pl.String, pl.Categorical):  # "Yes"/"No" outcomes as exported; numbers stay numbers
        df = yes_no(df, outcome, table=table)
    names = _driver_names(df, outcome, drivers, table)
    p = len(names)
    if method == "shapley_r2" and p > MAX_SHAPLEY_DRIVERS:
        raise ValueError(
            f"method='shapley_r2' needs at most {MAX_SHAPLEY_DRIVERS} drivers (exact over 2^p subsets), got {p}; "
            "rank by relative_weight instead"
        )
    y = _as_float(df, outcome, table)
    X = np.column_stack([_as_float(df, c, table) for c in names]) if df.height else np.zeros((0, p))
    c = correlations(X, y, names, outcome, missing=missing, table=table)
    if c.n_min <= p + 1:
        raise CXDataError(
            f"{p} drivers but only {c.n_min} rows behind some correlation: a regression needs more rows than "
            "drivers + 1",
            table=table, fix="pass fewer drivers or more rows (each driver needs roughly 10+ rows to be estimated)",
        )
    beta = standardised_coefficients(c.R, c.r, names, table)
    r2 = r_squared(c.R, c.r)
    rw = relative_weights(c.R, c.r)
    notes = list(c.notes)
    if p <= MAX_SHAPLEY_DRIVERS:
        shap: list[float | None] = shapley_r2(c.R, c.r).tolist()
    else:
        shap = [None] * p
        notes.append(f"shapley_r2 skipped: exact Shapley needs 2^p subsets; {p} drivers > {MAX_SHAPLEY_DRIVERS}")
    total = rw.sum()
    pct = 100.0 * rw / total if total > 0 else np.zeros(p)
    out = pl.DataFrame(
        {
            "driver": names,
            "n": c.n,
            "correlation": c.r_observed,
            "std_coef": beta,
            "relative_weight": rw,
            "relative_weight_pct": pct,
            "shapley_r2": pl.Series(shap, dtype=pl.Float64),
            "r2": np.full(p, r2),
            "note": pl.Series(["; ".join(notes) if notes else None] * p, dtype=pl.String),
        }
    )
    return _ranked(out, method)


def _driver_names(df: pl.DataFrame, outcome: str, drivers: Sequence[str] | None, table: str) -> list[str]:
    """The driver columns: ``drivers`` checked (present, not the outcome, none twice), or by default
    every numeric or boolean column but the outcome and the id."""
    if drivers is None:
        names = [c for c, t in df.schema.items() if c != outcome and c not in _ID_COLUMNS and _numeric_or_bool(t)]
    else:
        names = [drivers] if isinstance(drivers, str) else list(drivers)
        require_columns(df, names, table=table)
        if outcome in names:
            raise ValueError(f"the outcome {short(outcome)} is also listed as a driver; leave it out of drivers=")
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"drivers listed twice: {', '.join(sorted(dup))}")
    if not names:
        raise CXDataError(
            "no driver columns: the frame has no numeric column besides the outcome", table=table,
            fix="pass drivers=[...] naming numeric columns",
        )
    return names


def _ranked(out: pl.DataFrame, method: str) -> pl.DataFrame:
    """The drivers best first by ``method`` (by size for a signed measure; ties keep their order), ranked from 1."""
    key = pl.col(method).abs() if method in ("std_coef", "correlation") else pl.col(method)
    out = out.with_row_index("_order").sort([key, "_order"], descending=[True, False], maintain_order=True)
    out = out.with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int64))
    return out.select("rank", "driver", "n", "correlation", "std_coef", "relative_weight", "relative_weight_pct",
                      "shapley_r2", "r2", "note")


# ---- the hierarchy of CX metrics -----------------------------------------------------------------

#: Tier names of the saas sample hierarchy (Gartner's hierarchy of CX metrics, top-down).
SAAS_TIERS: tuple[str, ...] = ("business outcomes", "customer KPIs", "operational and tactical measures")


def _tiers(levels: Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]]) -> list[tuple[str, list[str]]]:
    items = list(levels.items()) if isinstance(levels, Mapping) else list(levels)
    tiers: list[tuple[str, list[str]]] = []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise TypeError("levels must map a tier name to its columns, top-down: {'outcomes': [...], 'KPIs': [...]}")
        name, cols = item
        cols = [cols] if isinstance(cols, str) else list(cols)
        if not cols:
            raise ValueError(f"tier {short(name)} lists no columns")
        tiers.append((str(name), cols))
    if len(tiers) < 2:
        raise ValueError("a driver tree needs at least two tiers (e.g. outcomes and the KPIs that drive them)")
    seen: dict[str, str] = {}
    for name, cols in tiers:
        for c in cols:
            if c in seen:
                raise ValueError(
                    f"column {short(c)} is in two tiers ({short(seen[c])} and {short(name)}); put it in one"
                )
            seen[c] = name
    return tiers


def driver_tree(
    frame: Any,
    levels: Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]],
    *,
    missing: Literal["pairwise", "drop", "impute"] = "pairwise",
) -> pl.DataFrame:
    """The hierarchy of CX metrics as one tree: which measures of each tier drive each measure of
    the tier above (relative weights, :func:`drivers`), read top-down.

    Args:
        frame: one row per account with every column named in ``levels``.
        levels: tiers top-down, each a name and its columns, e.g.
            ``{"business outcomes": ["churned"], "customer KPIs": ["nps", "csat"],
            "operational and tactical measures": ["ttv_days", "first_response_hours"]}``.
            Each column of a tier is explained by all columns of the tier below it.

    Returns:
        A long frame, top-down: level (1 = top tier), tier, parent (null for the top tier),
        child, rank (within its parent; null at the top), importance (relative weight, % of the
        parent's explained variance), relative_weight, correlation, std_coef, n, r2 (of the
        parent's model; for a top-tier row, of its own model).

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(1000, seed=0)
        >>> frame, levels = saas_hierarchy(data)
        >>> tree = driver_tree(frame, levels)
        >>> tree.filter(pl.col("level") == 1)["child"].to_list()
        ['churned', 'expanded']
    """
    df = to_polars(frame, table="driver tree")
    tiers = _tiers(levels)
    require_columns(df, [c for _, cols in tiers for c in cols], table="driver tree")
    rows: list[dict[str, Any]] = []
    top_r2: dict[str, float] = {}
    below: dict[str, pl.DataFrame] = {}
    for t in range(len(tiers) - 1):
        _, parents = tiers[t]
        child_tier, children = tiers[t + 1]
        for parent in parents:
            res = drivers(df, parent, children, missing=missing, table="driver tree")
            below[parent] = res
            top_r2[parent] = float(res["r2"][0])
            for r in res.iter_rows(named=True):
                rows.append(
                    {
                        "level": t + 2, "tier": child_tier, "parent": parent, "child": r["driver"], "rank": r["rank"],
                        "importance": r["relative_weight_pct"], "relative_weight": r["relative_weight"],
                        "correlation": r["correlation"], "std_coef": r["std_coef"], "n": r["n"], "r2": r["r2"],
                    }
                )
    top_name, tops = tiers[0]
    n_top = {c: int(df.get_column(c).drop_nulls().len()) for c in tops}
    head = [
        {"level": 1, "tier": top_name, "parent": None, "child": c, "rank": None, "importance": None,
         "relative_weight": None, "correlation": None, "std_coef": None, "n": n_top[c], "r2": top_r2[c]}
        for c in tops
    ]
    schema = {"level": pl.Int64, "tier": pl.String, "parent": pl.String, "child": pl.String, "rank": pl.Int64,
              "importance": pl.Float64, "relative_weight": pl.Float64, "correlation": pl.Float64,
              "std_coef": pl.Float64, "n": pl.Int64, "r2": pl.Float64}
    return pl.DataFrame(head + rows, schema=schema)


def format_tree(tree: pl.DataFrame, *, top: int | None = None, min_importance: float = 0.0) -> str:
    """The tree of :func:`driver_tree` as indented text, top tier first; under each measure its
    drivers by rank with importance (% of explained variance) and direction of the correlation.

    ``top`` keeps the first N drivers under each parent; ``min_importance`` hides drivers below
    that percentage.

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(1000, seed=0)
        >>> frame, levels = saas_hierarchy(data)
        >>> text = format_tree(driver_tree(frame, levels), top=1)
        >>> text.splitlines()[0].startswith("churned  [business outcomes; R²")
        True
    """
    tree = to_polars(tree, table="tree")
    require_columns(tree, ["level", "tier", "parent", "child", "rank", "importance", "correlation", "r2", "n"],
                    table="tree")
    kids: dict[str, list[dict[str, Any]]] = {}
    for r in tree.filter(pl.col("parent").is_not_null()).sort("level", "parent", "rank").iter_rows(named=True):
        kids.setdefault(r["parent"], []).append(r)
    r2_of = {r["parent"]: r["r2"] for rows in kids.values() for r in rows}
    lines: list[str] = []

    def walk(name: str, prefix: str, depth: int) -> None:
        shown = [k for k in kids.get(name, []) if (k["importance"] or 0.0) >= min_importance]
        if top is not None:
            shown = shown[:top]
        for i, k in enumerate(shown):
            last = i == len(shown) - 1
            sign = "+" if (k["correlation"] or 0.0) >= 0 else "-"
            extra = f"; R² {r2_of[k['child']]:.2f}" if k["child"] in r2_of else ""
            lines.append(
                f"{prefix}{'└─ ' if last else '├─ '}{k['rank']}. {k['child']}  {k['importance']:.1f}% "
                f"(r {sign}{abs(k['correlation']):.2f}, n {k['n']}{extra})"
            )
            if depth < 50:
                walk(k["child"], prefix + ("   " if last else "│  "), depth + 1)

    for r in tree.filter(pl.col("level") == 1).iter_rows(named=True):
        lines.append(f"{r['child']}  [{r['tier']}; R² {r['r2']:.2f}, n {r['n']}]")
        walk(r["child"], "", 0)
    return "\n".join(lines)


def saas_hierarchy(data: Any) -> tuple[pl.DataFrame, dict[str, list[str]]]:
    """Per account measures of the bundled sample (:func:`cxwidgets.datasets.saas`) in the three
    tiers of the hierarchy of CX metrics, ready for :func:`driver_tree`.

    - business outcomes: ``churned``, ``expanded`` (1/0);
    - customer KPIs: ``qbr_nps`` (the account's NPS, -100..100, from its QBR respondents),
      ``onboarding_csat``, ``support_csat`` (ticket CSAT), ``demo_ces``, ``renewal_intent``;
    - operational and tactical measures: ``first_touch_minutes``, ``ttv_days`` (null: never
      reached), ``ticket_first_response_hours`` and ``ticket_resolution_hours`` (medians),
      ``goal_attainment``.

    Example:
        >>> import cxwidgets as cx
        >>> frame, levels = saas_hierarchy(cx.datasets.saas(200, seed=0))
        >>> list(levels)
        ['business outcomes', 'customer KPIs', 'operational and tactical measures']
    """
    acc = data.accounts.select("account_id", "started_at", pl.col("churned").cast(pl.Float64),
                               pl.col("expanded").cast(pl.Float64))
    resp = data.responses

    def mean_of(moment: str, metric: str, name: str) -> pl.DataFrame:
        return (resp.filter((pl.col("moment") == moment) & (pl.col("metric") == metric))
                .group_by("account_id").agg(pl.col("score").mean().alias(name)))

    nps = (resp.filter((pl.col("moment") == "Quarterly Business Review") & (pl.col("metric") == "nps"))
           .group_by("account_id")
           .agg((100.0 * (is_promoter(pl.col("score")).mean() - is_detractor(pl.col("score")).mean()))
                .alias("qbr_nps")))
    tk = (data.tickets.group_by("account_id").agg(
        pl.col("csat").mean().alias("support_csat"),
        ((pl.col("first_response_at") - pl.col("created_at")).dt.total_seconds() / 3600).median()
        .alias("ticket_first_response_hours"),
        ((pl.col("resolved_at") - pl.col("created_at")).dt.total_seconds() / 3600).median()
        .alias("ticket_resolution_hours"),
    ))
    ev = data.events
    touch = (ev.filter(pl.col("event").is_in(["inquiry_received", "first_touch"]))
             .group_by("account_id")
             .agg(((pl.col("at").filter(pl.col("event") == "first_touch").min()
                    - pl.col("at").filter(pl.col("event") == "inquiry_received").min())
                   .dt.total_seconds() / 60).alias("first_touch_minutes")))
    value = (ev.filter(pl.col("event") == "first_value").group_by("account_id")
             .agg(pl.col("at").min().alias("_fv")))
    frame = acc
    for part in (
        nps, mean_of("Onboarding Kickoff", "csat", "onboarding_csat"), tk,
        mean_of("Demo Or Trial Setup", "ces", "demo_ces"), mean_of("Renewal Decision", "intent", "renewal_intent"),
        mean_of("Quarterly Business Review", "goal_attainment", "goal_attainment"), touch, value,
    ):
        frame = frame.join(part, on="account_id", how="left")
    frame = frame.with_columns(
        ((pl.col("_fv") - pl.col("started_at")).dt.total_seconds() / 86400).alias("ttv_days")
    ).drop("_fv", "started_at")
    levels = {
        SAAS_TIERS[0]: ["churned", "expanded"],
        SAAS_TIERS[1]: ["qbr_nps", "onboarding_csat", "support_csat", "demo_ces", "renewal_intent"],
        SAAS_TIERS[2]: ["first_touch_minutes", "ttv_days", "ticket_first_response_hours", "ticket_resolution_hours",
                        "goal_attainment"],
    }
    cols = ["account_id"] + [c for cs in levels.values() for c in cs]
    return frame.select(cols), levels


def drivers_chart(frame: pl.DataFrame, *, title: str | None = None) -> Any:
    """A horizontal bar chart of a :func:`drivers` result: relative weight (% of explained
    variance) per driver in rank order, coloured by the sign of the correlation.

    Example:
        >>> import polars as pl
        >>> f = pl.DataFrame({"y": [1.0, 2, 3, 4, 5, 6], "a": [1.0, 3, 2, 5, 4, 6], "b": [2.0, 1, 4, 3, 6, 5]})
        >>> drivers_chart(drivers(f, "y")).to_dict()["mark"]["type"]
        'bar'
    """
    import altair as alt

    df = to_polars(frame, table="drivers")
    require_columns(df, ["driver", "relative_weight_pct", "correlation", "rank"], table="drivers")
    data = df.with_columns(
        pl.when(pl.col("correlation") >= 0).then(pl.lit("raises the outcome")).otherwise(pl.lit("lowers the outcome"))
        .alias("direction")
    ).select("rank", "driver", "relative_weight_pct", "correlation", "direction")
    chart = (
        alt.Chart(alt.Data(values=data.to_dicts()))
        .mark_bar()
        .encode(
            x=alt.X("relative_weight_pct:Q", title="share of explained variance (%)"),
            y=alt.Y("driver:N", sort=alt.EncodingSortField(field="rank", order="ascending"), title=None),
            color=alt.Color("direction:N", title="higher driver value"),
            tooltip=["rank:O", "driver:N", alt.Tooltip("relative_weight_pct:Q", format=".1f"),
                     alt.Tooltip("correlation:Q", format="+.2f")],
        )
    )
    return chart.properties(title=title) if title else chart
