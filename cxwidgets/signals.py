"""The long signals table: one value per account x moment x signal, before scoring.

Every source (surveys, tickets, events, accounts, a user's own table) is turned into this one
shape by :func:`cxwidgets.binding.bind`; the MIS engine reads only this. Survey observations
keep per-role sums so that a change of role multipliers costs one pass over
account x signal x role, never a re-read of raw responses::

    value(account, moment, signal) = sum_r m_r * total_r / sum_r m_r * n_r

where ``total_r`` and ``n_r`` are the sum and count of the (transformed) observations of
respondents of role ``r`` and ``m_r`` is the role multiplier (1.0 for roles not listed and for
observations without a role).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

__all__ = ["SignalTable", "OBSERVATION_SCHEMA", "ACCOUNT_SCHEMA", "NO_SEGMENT", "segment_labels"]

NO_SEGMENT = "(no segment)"


def segment_labels(expr: pl.Expr) -> pl.Expr:
    """The one rule for a segment label: the value as text without surrounding spaces; null or
    empty is :data:`NO_SEGMENT`. Used by ``bind`` for ``accounts.segment`` and by the MIS engine
    for whichever accounts column is the segment (``MISSettings.segment_column``).

    Example:
        >>> plans = pl.DataFrame({"plan": [" smb", None, "", "3"]})
        >>> plans.select(segment_labels(pl.col("plan"))).to_series().to_list()
        ['smb', '(no segment)', '(no segment)', '3']
    """
    text = expr.cast(pl.String).str.strip_chars()
    return pl.when(text.is_null() | (text == "")).then(pl.lit(NO_SEGMENT)).otherwise(text)

OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.String(),
    "moment": pl.String(),
    "signal": pl.String(),
    "role": pl.String(),  # null: not a survey observation, or respondent role unknown (multiplier 1.0)
    "total": pl.Float64(),  # sum of the observations' values on the signal's own scale
    "n": pl.Int64(),  # number of observations summed
}

ACCOUNT_SCHEMA: dict[str, pl.DataType] = {
    "account_id": pl.String(),
    "segment": pl.String(),  # NO_SEGMENT where unknown
    "arr": pl.Float64(),  # null where unknown
}


@dataclass(frozen=True, eq=False)
class SignalTable:
    """Observations summed per account x moment x signal x role, and the accounts they belong to.

    Attributes:
        observations: columns of :data:`OBSERVATION_SCHEMA`.
        accounts: columns of :data:`ACCOUNT_SCHEMA`, one row per account (every account of the
            book, including those with no observation at all). A table built by hand may carry
            further columns here: they are account attributes, as in ``attributes``.
        attributes: the other columns of the accounts table (region, plan, owner, flags,
            dates...), one row per account of ``accounts`` in the same order, with
            ``account_id`` first; empty when the accounts table had no other column (or there
            was none). They are the dimensions ``MISModel.score(level, by=[...])`` slices by.
        report: per signal: moment, signal, table, metric, n_accounts, n_observations.
        moments_without_data: journey moments no signal of which has any observation.
        notes: what binding did that a user should know (rows excluded on purpose, counted).

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(n_accounts=300, seed=0)
        >>> table = cx.bind(cx.Journey.template("saas"), data)
        >>> sorted(table.values({"executive": 1.5}).columns)
        ['account_id', 'moment', 'n', 'signal', 'value']
    """

    observations: pl.DataFrame
    accounts: pl.DataFrame
    report: pl.DataFrame = field(default_factory=pl.DataFrame)
    moments_without_data: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    attributes: pl.DataFrame = field(default_factory=pl.DataFrame)

    def values(self, role_multipliers: Mapping[str, float] | None = None) -> pl.DataFrame:
        """One value per account x moment x signal under the given role multipliers.

        Returns account_id, moment, signal, value, n (observations used).
        """
        mult = dict(role_multipliers or {})
        obs = self.observations
        if mult:
            m = (
                pl.col("role")
                .replace_strict(list(mult), list(mult.values()), default=1.0, return_dtype=pl.Float64)
                .fill_null(1.0)
            )
        else:
            m = pl.lit(1.0)
        return (
            obs.lazy()
            .with_columns(m.alias("_m"))
            .group_by("account_id", "moment", "signal")
            .agg(
                ((pl.col("_m") * pl.col("total")).sum() / (pl.col("_m") * pl.col("n")).sum()).alias("value"),
                pl.col("n").sum().alias("n"),
            )
            .filter(pl.col("value").is_finite())
            .collect(engine="streaming")
        )

    def __repr__(self) -> str:
        return (
            f"SignalTable(accounts={self.accounts.height:,}, observation_groups={self.observations.height:,}, "
            f"moments_without_data={len(self.moments_without_data)})"
        )
