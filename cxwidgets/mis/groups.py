"""The fast path, part 2: the group sums every roll-up is computed from.

``_GroupSums._group_sums`` groups the accounts, moment by moment, by (cell, presence pattern of
the moment's signals) and sums their weights and weighted scores per group (a ``_Sums``, one
per account weighting and ``by`` slice, cached); :mod:`cxwidgets.mis.rollups` computes every
roll-up from these small arrays without touching accounts. A cell is one segment within one
group of the ``by`` slice (``_cells``); without a slice the cells are the segments. Sizes as in
:mod:`cxwidgets.mis.arrays`; the arrays are named field by field in ``_Sums`` and
``_MomentGroups``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from cxwidgets._util.text import choices
from cxwidgets.errors import CXDataError
from cxwidgets.mis.arrays import _ScoreArrays, _Sums
from cxwidgets.mis.checks import MAX_BY_GROUPS


@dataclass
class _MomentGroups:
    """The groups of one moment (Q_m of them), a part of ``_Sums``."""

    moment: np.ndarray  # (Q_m,) int: the moment, repeated
    cell: np.ndarray  # (Q_m,) int: the group's cell
    observed: np.ndarray  # (Q_m, J) bool: signal observed in the group
    score_sum: np.ndarray  # (Q_m, J) sum a_i * score
    account_weight_sum: np.ndarray  # (Q_m,) sum a_i


def _moment_groups_of(
    moment: int, signals: np.ndarray, scores: np.ndarray, cell_codes: np.ndarray, n_cells: int,
    account_weight: np.ndarray, weighted: bool,
) -> tuple[_MomentGroups, np.ndarray]:
    """Group the accounts of one moment by (cell, presence pattern of its k signals) and sum
    their weights and weighted scores per group; and (N,) bool: the account has any of the
    moment's signals. ``scores`` is the (J, N) score matrix."""
    k, n_accounts, n_signals = signals.size, scores.shape[1], scores.shape[0]
    observed = ~np.isnan(scores[signals])  # (k, N)
    pattern = np.zeros(n_accounts, dtype=np.int64)  # (N,) bit b: signal b of the moment observed
    for b in range(k):
        pattern |= observed[b].astype(np.int64) << b
    # (N,) the account's group code: cell x 2^k + pattern
    code = cell_codes.astype(np.int64) * (1 << k) + pattern
    if k <= 20 and n_cells * (1 << k) <= 4 * n_accounts + 4096:  # dense codes: a bincount, no sort
        count = np.bincount(code, minlength=n_cells * (1 << k))
        codes = np.flatnonzero(count)  # (Q_m,) the codes that occur, sorted
        group_of_code = np.full(count.size, -1, dtype=np.int64)
        group_of_code[codes] = np.arange(codes.size)
        group = group_of_code[code]  # (N,) the account's group
    else:
        codes, group = np.unique(code, return_inverse=True)
    n_groups = codes.size
    group_pattern = codes & ((1 << k) - 1)  # (Q_m,)
    score_sum = np.zeros((n_groups, n_signals))
    group_observed = np.zeros((n_groups, n_signals), dtype=bool)
    for b, j in enumerate(signals):
        x = np.nan_to_num(scores[j], nan=0.0)
        if weighted:
            x = x * account_weight
        score_sum[:, j] = np.bincount(group, weights=x, minlength=n_groups)
        group_observed[:, j] = (group_pattern >> b) & 1 == 1
    groups = _MomentGroups(
        moment=np.full(n_groups, moment, dtype=np.int64),
        cell=(codes >> k).astype(np.int64),
        observed=group_observed,
        score_sum=score_sum,
        account_weight_sum=np.bincount(group, weights=account_weight, minlength=n_groups),
    )
    return groups, pattern != 0


def _join_groups(groups: list[_MomentGroups], n_signals: int) -> _MomentGroups:
    """The groups of every moment, one after the other (no group at all: empty arrays)."""
    if not groups:
        return _MomentGroups(
            moment=np.zeros(0, dtype=np.int64),
            cell=np.zeros(0, dtype=np.int64),
            observed=np.zeros((0, n_signals), dtype=bool),
            score_sum=np.zeros((0, n_signals)),
            account_weight_sum=np.zeros(0),
        )
    return _MomentGroups(
        moment=np.concatenate([g.moment for g in groups]),
        cell=np.concatenate([g.cell for g in groups]),
        observed=np.concatenate([g.observed for g in groups]),
        score_sum=np.concatenate([g.score_sum for g in groups]),
        account_weight_sum=np.concatenate([g.account_weight_sum for g in groups]),
    )


def _sum_by(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """(n, X): the rows of ``values`` (R, X) summed by ``index`` (R,) into n rows (one bincount
    over row x column keys)."""
    width = values.shape[1]
    if not (n and width):
        return np.zeros((n, width))
    key = (index[:, None] * width + np.arange(width)[None, :]).reshape(-1)
    return np.bincount(key, weights=values.reshape(-1), minlength=n * width).reshape(n, width)


def _column_codes(column: pl.Series) -> np.ndarray:
    """(N,) int: each value's rank among the column's distinct values, sorted, null last (an
    Enum in its declared order, a Categorical as text, NaN as null)."""
    if column.dtype == pl.Boolean:
        column = column.cast(pl.UInt8)
    elif isinstance(column.dtype, pl.Enum):
        column = column.to_physical()
    elif isinstance(column.dtype, pl.Categorical):
        column = column.cast(pl.String)
    elif column.dtype.is_float():
        column = column.fill_nan(None)  # NaN is no value: the null group
    values = column.drop_nulls().unique()
    if values.len() > MAX_BY_GROUPS:  # rank them all: the caller reports how many
        ranks = column.rank("dense")
        return ranks.fill_null(int(ranks.max() or 0) + 1).cast(pl.Int64).to_numpy() - 1  # type: ignore[arg-type]
    values = values.sort()
    codes = column.replace_strict(values, pl.int_range(values.len(), eager=True), default=values.len(),
                                  return_dtype=pl.Int64)
    return codes.fill_null(values.len()).to_numpy()


def _distinct(code: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``code`` (N,) (each in 0..span-1), sorted, and each element's
    index among them: a bincount when the span is small, else a sort."""
    if span <= 4 * code.size + 4096:
        present = np.flatnonzero(np.bincount(code, minlength=span))
        index_of = np.zeros(span, dtype=np.int64)
        index_of[present] = np.arange(present.size)
        return present, index_of[code]
    distinct, inverse = np.unique(code, return_inverse=True)
    return distinct, inverse.astype(np.int64)


def _first_of_each(index: np.ndarray, n: int) -> np.ndarray:
    """(n,) the first position of each value 0..n-1 in ``index`` (every value occurs)."""
    first = np.zeros(n, dtype=np.int64)
    order = np.arange(index.size - 1, -1, -1)
    first[index[order]] = order  # the last write wins: the smallest position
    return first


class _GroupSums(_ScoreArrays):
    """The group sums of :class:`~cxwidgets.mis.MISModel`'s score matrix."""

    def _group_index(self, by: tuple[str, ...]) -> tuple[np.ndarray, pl.DataFrame]:
        """(N,) int: each account's group of the slice ``by`` (0 without one), and the groups'
        values (B rows, one column per ``by`` column, sorted by them, null last); cached. More
        than :data:`~cxwidgets.mis.checks.MAX_BY_GROUPS` groups is an error."""
        if by in self._group_index_cache:
            return self._group_index_cache[by]
        if not by:
            out = (np.zeros(self._N, dtype=np.int64), pl.DataFrame())
            self._group_index_cache[by] = out
            return out
        code = np.zeros(self._N, dtype=np.int64)
        span = 1  # code < span
        for name in by:
            column_code = _column_codes(self._dims.get_column(name))
            size = int(column_code.max()) + 1 if column_code.size else 1
            if size > MAX_BY_GROUPS:  # one column alone is over the cap: stop before combining
                self._too_many_groups(by, size)
            if span * size >= 2**62:  # keep the combined code in int64: renumber what occurs
                _, code = np.unique(code, return_inverse=True)
                span = int(code.max()) + 1 if code.size else 1
            code = code * size + column_code
            span *= size
        distinct, group = _distinct(code, span)
        if distinct.size > MAX_BY_GROUPS:
            self._too_many_groups(by, distinct.size)
        labels = self._dims.select(
            pl.col(c).fill_nan(None) if self._dims.schema[c].is_float() else pl.col(c) for c in by
        ).gather(_first_of_each(group, distinct.size))  # NaN is in the null group
        out = (group, labels)
        self._group_index_cache[by] = out
        return out

    def _too_many_groups(self, by: tuple[str, ...], n_groups: int) -> None:
        raise CXDataError(
            f"by={list(by)!r} gives {n_groups:,} groups of accounts, more than the {MAX_BY_GROUPS:,} a slice may "
            "have (a MIS per group of a few accounts is noise)",
            table="accounts", column=by[-1] if len(by) == 1 else None,
            fix="slice by a column of fewer values (model.dimensions: "
            + choices(getattr(self, "dimensions", []))
            + "), bin a numeric column first (pl.col(c).cut([...])), or read the per-account MIS with "
            "score('account')",
        )

    def _cell_index(self, by: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, pl.DataFrame]:
        """(N,) each account's cell, (K,) each cell's segment and (K,) its group, and the groups'
        values: the cells are the (group, segment) pairs that occur, in group then segment order."""
        group, labels = self._group_index(by)
        n_segments = max(len(self._segments), 1)
        pair = group * n_segments + self._seg_codes
        pairs, cell = _distinct(pair, (labels.height or 1) * n_segments)
        cell_segment, cell_group = (pairs % n_segments).astype(np.int64), (pairs // n_segments).astype(np.int64)
        return cell.astype(np.int64), cell_segment, cell_group, labels

    def _group_sums(self, arr: bool, by: tuple[str, ...] = ()) -> _Sums:
        """The group sums for one account weighting (``arr``: ARR, else 1 per account) and one
        slice ``by``; cached."""
        if (arr, by) in self._sums:
            return self._sums[arr, by]
        spec = self._spec
        cell_codes, cell_segment, cell_group, _ = self._cell_index(by)
        n_cells = cell_segment.size
        account_weight = self._account_weights(arr)  # (N,) a_i
        per_moment: list[_MomentGroups] = []
        observed_any: dict[int, np.ndarray] = {}  # moment -> (N,) bool: any of its signals observed
        for m, signals in enumerate(spec.moment_signals):
            if signals.size == 0 or self._N == 0:
                continue
            if signals.size > 40:  # pragma: no cover - a moment with more than 40 signals
                raise ValueError(
                    f"moment {spec.moment_names[m]!r} has {signals.size} signals; at most 40 are supported"
                )
            groups, observed_any[m] = _moment_groups_of(
                m, signals, self._X, cell_codes, n_cells, account_weight, arr
            )
            per_moment.append(groups)
        groups = _join_groups(per_moment, spec.J)
        n_groups = groups.moment.size
        n_moment, n_stage, n_journey = self._account_counts(observed_any, account_weight, cell_codes, n_cells)
        sums = _Sums(
            cell_segment=cell_segment,
            cell_group=cell_group,
            group_moment=groups.moment,
            group_cell=groups.cell,
            group_observed=groups.observed,
            group_observed_any=np.any(groups.observed, axis=1),
            group_member=spec.O_sm[:, groups.moment].T.copy() if n_groups else np.zeros((0, spec.J)),
            score_sum=groups.score_sum,
            account_weight_sum=groups.account_weight_sum,
            cell_account_weight=np.bincount(cell_codes, weights=account_weight, minlength=n_cells).astype(float),
            n_moment=n_moment,
            n_stage=n_stage,
            n_journey=n_journey,
            cell_score_sum=_sum_by(groups.cell, groups.score_sum, n_cells),
            cell_observed_weight=_sum_by(
                groups.cell, groups.observed * groups.account_weight_sum[:, None], n_cells
            ),
            cell_moment_key=groups.cell * spec.M + groups.moment,
        )
        self._sums[arr, by] = sums
        return sums

    def _account_counts(
        self, observed_any: dict[int, np.ndarray], account_weight: np.ndarray, cell_codes: np.ndarray, n_cells: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per cell, the accounts with a_i > 0 and any signal observed at each moment (K, M),
        each stage (K, S) and in the journey (K,); ``observed_any``: per moment, (N,) bool."""
        spec = self._spec
        n_accounts = self._N
        positive = (account_weight > 0).astype(np.float64)  # (N,) 0/1
        n_moment = np.zeros((n_cells, spec.M))
        journey_any = np.zeros(n_accounts, dtype=bool)  # (N,)
        stage_any = [np.zeros(n_accounts, dtype=bool) for _ in range(spec.S)]  # per stage: (N,)
        for m, any_signal in observed_any.items():
            journey_any |= any_signal
            stage_any[spec.moment_stage[m]] |= any_signal
            n_moment[:, m] = np.bincount(cell_codes, weights=any_signal * positive, minlength=n_cells)
        n_stage = np.zeros((n_cells, spec.S))
        for s in range(spec.S):
            n_stage[:, s] = (
                np.bincount(cell_codes, weights=stage_any[s] * positive, minlength=n_cells) if n_accounts else 0.0
            )
        n_journey = (
            np.bincount(cell_codes, weights=journey_any * positive, minlength=n_cells).astype(float)
            if n_accounts
            else np.zeros(n_cells)
        )
        return n_moment, n_stage, n_journey
