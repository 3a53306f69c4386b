"""Rate metrics: shares of accounts or customers that did something, with Wilson intervals.

Churn rate = customers lost in the period / customers at the start; retention = customers
retained / customers at the start (DESIGN.md). The rest (repeat purchase, referral, survey
response, promoter activation, goal attainment) are shares of a yes/no outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from cxwidgets.errors import CXDataError
from cxwidgets.frames import as_list, require_columns, to_polars, yes_no
from cxwidgets.metrics.intervals import wilson
from cxwidgets.metrics.summary_rows import _group
from cxwidgets.metrics.time_inputs import _utc_columns, check_as_of
from cxwidgets.scales import NPS_SCALE, guard, is_promoter, scale_error

__all__ = [
    "rate",
    "churn_rate",
    "retention_rate",
    "repeat_purchase_rate",
    "referral_rate",
    "response_rate",
    "promoter_activation",
    "goal_attainment",
    "rate_summary",
    "churn_summary",
    "retention_summary",
    "response_rate_summary",
    "promoter_activation_summary",
]

By = str | Sequence[str] | None


def _col(c: str | pl.Expr) -> pl.Expr:
    return pl.col(c) if isinstance(c, str) else c


def _flag(c: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``(value, refused)`` of a yes/no expression by the outcome rule of :func:`cxwidgets.frames.yes_no`:
    booleans and 0/1 are flags (NaN is missing); anything else (a 2, 0.5, text) is refused."""
    x = c.cast(pl.Float64, strict=False)
    nan = x.is_nan().fill_null(False)
    refused = c.is_not_null() & ~nan & ~x.is_in([0.0, 1.0]).fill_null(False)
    return pl.when(nan).then(None).otherwise(x), refused


def rate(condition: str | pl.Expr, *, name: str = "rate") -> pl.Expr:
    """Share (0..1) of rows where a yes/no column or expression is true; nulls not counted.

    A flag is a boolean or 0/1 (the outcome rule of :func:`cxwidgets.frames.yes_no`): a group
    holding any other value (a ``churned = 2``, a 0.5, text) gives null, never a share; read
    text flags with ``cx.validate`` or ``cxwidgets.frames.yes_no`` first. The summaries
    (:func:`rate_summary`, :func:`churn_summary`) raise on the same values.

    >>> import cxwidgets as cx
    >>> pl.DataFrame({"x": [True, False, None]}).select(cx.rate("x")).item()
    0.5
    >>> print(pl.DataFrame({"x": [1, 0, 2]}).select(cx.rate("x")).item())
    None
    """
    value, refused = _flag(_col(condition))
    n = value.count()
    return pl.when(refused.any()).then(None).when(n > 0).then(value.sum() / n).alias(name)


def churn_rate(churned: str | pl.Expr = "churned") -> pl.Expr:
    """Share of the accounts present at the start that were lost (filter to them first).

    >>> import cxwidgets as cx
    >>> pl.DataFrame({"churned": [1, 0, 0, 0]}).select(cx.churn_rate()).item()
    0.25
    """
    return rate(churned, name="churn_rate")


def retention_rate(churned: str | pl.Expr = "churned") -> pl.Expr:
    """Share of the accounts present at the start that were kept: 1 - churn rate.

    >>> import cxwidgets as cx
    >>> pl.DataFrame({"churned": [1, 0, 0, 0]}).select(cx.retention_rate()).item()
    0.75
    """
    return (1 - rate(churned)).alias("retention_rate")


def repeat_purchase_rate(purchases: str | pl.Expr = "purchases") -> pl.Expr:
    """Share of customers with two or more purchases (``purchases`` counts them per customer).

    >>> import cxwidgets as cx
    >>> pl.DataFrame({"purchases": [1, 2, 3, 0]}).select(cx.repeat_purchase_rate()).item()
    0.5
    """
    return rate(_col(purchases) >= 2, name="repeat_purchase_rate")


def referral_rate(referred: str | pl.Expr = "referred") -> pl.Expr:
    """Share of customers who referred someone (a yes/no flag per customer).

    >>> import cxwidgets as cx
    >>> pl.DataFrame({"referred": [True, False, False, False]}).select(cx.referral_rate()).item()
    0.25
    """
    return rate(referred, name="referral_rate")


def response_rate(responded: str | pl.Expr = "responded", invited: str | pl.Expr = "invited") -> pl.Expr:
    """Survey response rate: responses / invitations, from per-row counts (or 0/1 flags).

    Two waves of 10 invitations with 3 and 2 responses: 5 / 20.

    >>> import cxwidgets as cx
    >>> pl.DataFrame({"responded": [3, 2], "invited": [10, 10]}).select(cx.response_rate()).item()
    0.25
    """
    inv = _col(invited).sum()
    return pl.when(inv > 0).then(_col(responded).sum() / inv).alias("response_rate")


def promoter_activation(score: str | pl.Expr = "score", acted: str | pl.Expr = "referral_made") -> pl.Expr:
    """Share of promoters (NPS 9-10) who acted on a referral ask.

    Null for a group holding an NPS answer off the 0-10 whole-point scale or an ``acted`` flag
    that is not true/false or 0/1 (the scale and outcome rules).

    >>> import cxwidgets as cx
    >>> df = pl.DataFrame({"score": [10, 10, 9, 3], "referral_made": [True, True, False, True]})
    >>> round(df.select(cx.promoter_activation("score", "referral_made")).item(), 4)
    0.6667
    """
    s = _col(score)
    a, refused = _flag(_col(acted))
    promoter = is_promoter(s)
    promoters = promoter.sum()
    value = pl.when(refused.any()).then(None).when(promoters > 0).then(
        (a.fill_null(0.0) * promoter.cast(pl.Float64)).sum() / promoters
    )
    return guard(value, s, NPS_SCALE, integer=True).alias("promoter_activation")


def goal_attainment(share: str | pl.Expr = "score") -> pl.Expr:
    """Mean share of goals met (each row a share in [0, 1]).

    >>> import cxwidgets as cx
    >>> pl.DataFrame({"score": [1.0, 0.5, 0.0, 0.5]}).select(cx.goal_attainment()).item()
    0.5
    """
    return _col(share).mean().alias("goal_attainment")


def rate_summary(
    df: object,
    condition: str | pl.Expr,
    by: By = None,
    *,
    name: str = "rate",
    confidence: float = 0.95,
    table: str = "data",
) -> pl.DataFrame:
    """A share by group: n, n_missing, successes, the rate and its Wilson interval.

    Segment a renewed 2 of 3; segment b has one answer (not renewed) and one missing:

    >>> import cxwidgets as cx
    >>> accounts = pl.DataFrame({"segment": ["a", "a", "a", "b", "b"], "renewed": [True, True, False, False, None]})
    >>> out = cx.metrics.rate_summary(accounts, "renewed", by="segment", name="renewal_rate")
    >>> out.select("segment", "n", "n_missing", "successes", "renewal_rate").rows()
    [('a', 3, 0, 2, 0.6666666666666666), ('b', 1, 1, 0, 0.0)]
    >>> out.select(pl.col("renewal_rate_low", "renewal_rate_high").round(4)).rows()
    [(0.2077, 0.9385), (0.0, 0.7935)]
    """
    keys = as_list(by)
    read = [condition] if isinstance(condition, str) else condition.meta.root_names()
    frame = to_polars(df, table=table, columns=[*keys, *read])  # a lazy input reads only these
    require_columns(frame, keys + ([condition] if isinstance(condition, str) else []), table=table)
    if isinstance(condition, str):
        column = condition
    else:
        column = "_condition"
        frame = frame.with_columns(condition.alias(column))
    frame = yes_no(frame, column, table=table)  # the one outcome reader: bool, 0/1 or yes/no text
    c = pl.col(column)
    aggs = [
        c.count().cast(pl.Int64).alias("n"),
        c.null_count().cast(pl.Int64).alias("n_missing"),
        c.sum().cast(pl.Int64).alias("successes"),
    ]
    agg = _group(frame, keys, aggs)
    low, high = wilson(pl.col("successes"), pl.col("n"), confidence)
    return agg.with_columns(
        pl.when(pl.col("n") > 0).then(pl.col("successes") / pl.col("n").cast(pl.Float64)).alias(name),
        low.alias(f"{name}_low"),
        high.alias(f"{name}_high"),
    )


def _accounts_at_start(
    accounts: pl.DataFrame, start: datetime | None, end: datetime | None, table: str, naive_tz: str | None = None
) -> pl.DataFrame:
    """Accounts present at ``start``, with ``lost`` = churned at their renewal inside the period
    (naive timestamps and bounds read in ``naive_tz`` when given, else refused)."""
    accounts = yes_no(accounts, "churned", table=table)
    if start is None and end is None:
        return accounts.with_columns(pl.col("churned").alias("_lost"))
    # aware datetimes, never a guess (or read in the declared naive_tz)
    start, end = check_as_of(start, "start", naive_tz=naive_tz), check_as_of(end, "end", naive_tz=naive_tz)
    if start is None or end is None or end <= start:
        raise CXDataError(
            "a churn period needs both start and end, with end after start",
            table=table,
            fix="pass start=datetime(2025, 1, 1, tzinfo=UTC), end=datetime(2025, 4, 1, tzinfo=UTC)",
        )
    require_columns(accounts, ["started_at", "renewal_at"], table=table)
    accounts = _utc_columns(accounts, ["started_at", "renewal_at"], table, naive_tz)
    tz = accounts.schema["renewal_at"]
    lit_start = pl.lit(start).cast(tz)
    lit_end = pl.lit(end).cast(tz)
    churned = pl.col("churned")
    present = (pl.col("started_at") < lit_start) & ~(churned & (pl.col("renewal_at") < lit_start))
    lost = churned & (pl.col("renewal_at") >= lit_start) & (pl.col("renewal_at") < lit_end)
    return accounts.filter(present).with_columns(lost.alias("_lost"))


def churn_summary(
    accounts: object,
    by: By = None,
    *,
    churned: str = "churned",
    start: datetime | None = None,
    end: datetime | None = None,
    confidence: float = 0.95,
    naive_tz: str | None = None,
) -> pl.DataFrame:
    """Churn rate by group: customers lost / customers at the start, with a Wilson interval.

    Without a period every account counts as present at the start and ``churned`` says whether
    it was lost. With ``start`` and ``end``, the accounts present at ``start`` are the base and
    an account is lost when it churned at a renewal date inside the period. Naive timestamps
    (and a naive ``start`` / ``end``, or a date) are read in ``naive_tz`` (e.g. "Europe/Vienna")
    when it is given, else refused.

    One of the two accounts in segment a churned, none of the two in b:

    >>> import cxwidgets as cx
    >>> accounts = pl.DataFrame({"account_id": ["1", "2", "3", "4"], "segment": ["a", "a", "b", "b"],
    ...                          "churned": [True, False, False, False]})
    >>> cx.metrics.churn_summary(accounts, by="segment").select("segment", "n", "lost", "churn_rate").rows()
    [('a', 2, 1, 0.5), ('b', 2, 0, 0.0)]
    """
    period = ["started_at", "renewal_at"] if start is not None or end is not None else []
    frame = to_polars(accounts, table="accounts", columns=[churned, *as_list(by), *period])
    require_columns(frame, [churned, *as_list(by)], table="accounts")
    frame = yes_no(frame, churned, table="accounts")  # the one outcome reader, naming the user's column
    frame = frame.rename({churned: "churned"}) if churned != "churned" else frame
    base = _accounts_at_start(frame, start, end, "accounts", naive_tz)
    return rate_summary(base, "_lost", by, name="churn_rate", confidence=confidence, table="accounts").rename(
        {"successes": "lost"}
    )


def retention_summary(
    accounts: object,
    by: By = None,
    *,
    churned: str = "churned",
    start: datetime | None = None,
    end: datetime | None = None,
    confidence: float = 0.95,
    naive_tz: str | None = None,
) -> pl.DataFrame:
    """Retention by group: customers retained / customers at the start (1 - churn rate).

    The interval is the churn interval turned over (retention low = 1 - churn high).

    >>> import cxwidgets as cx
    >>> accounts = pl.DataFrame({"segment": ["a", "a", "b", "b"], "churned": [True, False, False, False]})
    >>> out = cx.metrics.retention_summary(accounts, by="segment")
    >>> out.select("segment", "n", "retained", "retention_rate").rows()
    [('a', 2, 1, 0.5), ('b', 2, 2, 1.0)]
    """
    out = churn_summary(accounts, by, churned=churned, start=start, end=end, confidence=confidence, naive_tz=naive_tz)
    return out.with_columns(
        (pl.col("n") - pl.col("lost")).alias("retained"),
        (1 - pl.col("churn_rate")).alias("retention_rate"),
        (1 - pl.col("churn_rate_high")).alias("retention_rate_low"),
        (1 - pl.col("churn_rate_low")).alias("retention_rate_high"),
    ).drop("lost", "churn_rate", "churn_rate_low", "churn_rate_high")


def response_rate_summary(
    invited: int, responded: int, *, confidence: float = 0.95
) -> pl.DataFrame:
    """Survey response rate from counts, with a Wilson interval.

    92 responses to 400 invitations: 23%, Wilson interval 19.1%..27.4%.

    >>> import cxwidgets as cx
    >>> out = cx.metrics.response_rate_summary(invited=400, responded=92)
    >>> out.select("n", "responded", "response_rate").row(0)
    (400, 92, 0.23)
    >>> out.select(pl.col("response_rate_low", "response_rate_high").round(4)).row(0)
    (0.1914, 0.2737)
    """
    if invited < 0 or responded < 0 or responded > invited:
        raise CXDataError(
            f"need 0 <= responded <= invited, got responded={responded}, invited={invited}",
            fix="count invitations sent and responses received over the same period",
        )
    frame = pl.DataFrame({"ok": [True] * responded + [False] * (invited - responded)}, schema={"ok": pl.Boolean})
    return rate_summary(frame, "ok", name="response_rate", confidence=confidence).rename(
        {"successes": "responded"}
    )


def promoter_activation_summary(
    df: object,
    score: str = "score",
    acted: str = "referral_made",
    by: By = None,
    *,
    confidence: float = 0.95,
    table: str = "responses",
) -> pl.DataFrame:
    """Promoter activation by group: of promoters (9-10), the share who acted on a referral ask.

    Three promoters (10, 10, 9), two of whom made a referral; the detractor's referral does not count:

    >>> import cxwidgets as cx
    >>> df = pl.DataFrame({"score": [10, 10, 9, 3], "referral_made": [True, True, False, True]})
    >>> cx.metrics.promoter_activation_summary(df).select("n", "successes", "promoter_activation").row(0)
    (3, 2, 0.6666666666666666)
    """
    frame = to_polars(df, table=table, columns=[score, acted, *as_list(by)])
    require_columns(frame, [score, acted, *as_list(by)], table=table)
    err = scale_error(frame, score, NPS_SCALE, integer=True, table=table, label="NPS")
    if err is not None:
        raise err
    promoters = frame.filter(is_promoter(pl.col(score)))
    return rate_summary(promoters, acted, by, name="promoter_activation", confidence=confidence, table=table)
