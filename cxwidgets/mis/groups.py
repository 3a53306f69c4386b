"""The fast path, part 2: the group sums every roll-up is computed from.

``_GroupSums._group_sums`` groups the accounts, moment by moment, by (segment, presence pattern
of the moment's signals) and sums their weights and weighted scores per group (a ``_Sums``, one
per account weighting, cached); :mod:`cxwidgets.mis.rollups` computes every roll-up from these
small arrays without touching accounts. Sizes as in :mod:`cxwidgets.mis.arrays`; the arrays are
named field by field in ``_Sums`` and ``_MomentGroups``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxwidgets.mis.arrays import _ScoreArrays, _Sums


@dataclass
class _MomentGroups:
    """The groups of one moment (Q_m of them), a part of ``_Sums``."""

    moment: np.ndarray  # (Q_m,) int: the moment, repeated
    segment: np.ndarray  # (Q_m,) int: the group's segment
    observed: np.ndarray  # (Q_m, J) bool: signal observed in the group
    score_sum: np.ndarray  # (Q_m, J) sum a_i * score
    account_weight_sum: np.ndarray  # (Q_m,) sum a_i


def _moment_groups_of(
    moment: int, signals: np.ndarray, scores: np.ndarray, segment_codes: np.ndarray, n_segments: int,
    account_weight: np.ndarray, weighted: bool,
) -> tuple[_MomentGroups, np.ndarray]:
    """Group the accounts of one moment by (segment, presence pattern of its k signals) and sum
    their weights and weighted scores per group; and (N,) bool: the account has any of the
    moment's signals. ``scores`` is the (J, N) score matrix."""
    k, n_accounts, n_signals = signals.size, scores.shape[1], scores.shape[0]
    observed = ~np.isnan(scores[signals])  # (k, N)
    pattern = np.zeros(n_accounts, dtype=np.int64)  # (N,) bit b: signal b of the moment observed
    for b in range(k):
        pattern |= observed[b].astype(np.int64) << b
    # (N,) the account's group code: segment x 2^k + pattern
    code = segment_codes.astype(np.int64) * (1 << k) + pattern
    if k <= 20 and n_segments * (1 << k) <= 4 * n_accounts + 4096:  # dense codes: a bincount, no sort
        count = np.bincount(code, minlength=n_segments * (1 << k))
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
        segment=(codes >> k).astype(np.int64),
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
            segment=np.zeros(0, dtype=np.int64),
            observed=np.zeros((0, n_signals), dtype=bool),
            score_sum=np.zeros((0, n_signals)),
            account_weight_sum=np.zeros(0),
        )
    return _MomentGroups(
        moment=np.concatenate([g.moment for g in groups]),
        segment=np.concatenate([g.segment for g in groups]),
        observed=np.concatenate([g.observed for g in groups]),
        score_sum=np.concatenate([g.score_sum for g in groups]),
        account_weight_sum=np.concatenate([g.account_weight_sum for g in groups]),
    )


class _GroupSums(_ScoreArrays):
    """The group sums of :class:`~cxwidgets.mis.MISModel`'s score matrix."""

    def _group_sums(self, arr: bool) -> _Sums:
        """The group sums for one account weighting (``arr``: ARR, else 1 per account); cached."""
        if arr in self._sums:
            return self._sums[arr]
        spec = self._spec
        n_segments = len(self._segments)
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
                m, signals, self._X, self._seg_codes, n_segments, account_weight, arr
            )
            per_moment.append(groups)
        groups = _join_groups(per_moment, spec.J)
        n_groups = groups.moment.size
        group_to_segment = np.zeros((n_segments, n_groups))  # (G, Q)
        group_to_segment[groups.segment, np.arange(n_groups)] = 1.0
        n_moment, n_stage, n_journey = self._account_counts(observed_any, account_weight)
        sums = _Sums(
            group_moment=groups.moment,
            group_segment=groups.segment,
            group_observed=groups.observed,
            group_observed_any=np.any(groups.observed, axis=1),
            group_member=spec.O_sm[:, groups.moment].T.copy() if n_groups else np.zeros((0, spec.J)),
            score_sum=groups.score_sum,
            account_weight_sum=groups.account_weight_sum,
            segment_account_weight=np.bincount(self._seg_codes, weights=account_weight, minlength=n_segments).astype(
                float
            ),
            n_moment=n_moment,
            n_stage=n_stage,
            n_journey=n_journey,
            segment_score_sum=group_to_segment @ groups.score_sum,
            segment_observed_weight=group_to_segment @ (groups.observed * groups.account_weight_sum[:, None]),
            group_to_segment=group_to_segment,
            segment_moment_key=groups.segment * spec.M + groups.moment,
        )
        self._sums[arr] = sums
        return sums

    def _account_counts(
        self, observed_any: dict[int, np.ndarray], account_weight: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per segment, the accounts with a_i > 0 and any signal observed at each moment (G, M),
        each stage (G, S) and in the journey (G,); ``observed_any``: per moment, (N,) bool."""
        spec = self._spec
        n_accounts, n_segments = self._N, len(self._segments)
        segment_codes = self._seg_codes
        positive = (account_weight > 0).astype(np.float64)  # (N,) 0/1
        n_moment = np.zeros((n_segments, spec.M))
        journey_any = np.zeros(n_accounts, dtype=bool)  # (N,)
        stage_any = [np.zeros(n_accounts, dtype=bool) for _ in range(spec.S)]  # per stage: (N,)
        for m, any_signal in observed_any.items():
            journey_any |= any_signal
            stage_any[spec.moment_stage[m]] |= any_signal
            n_moment[:, m] = np.bincount(segment_codes, weights=any_signal * positive, minlength=n_segments)
        n_stage = np.zeros((n_segments, spec.S))
        for s in range(spec.S):
            n_stage[:, s] = (
                np.bincount(segment_codes, weights=stage_any[s] * positive, minlength=n_segments) if n_accounts else 0.0
            )
        n_journey = (
            np.bincount(segment_codes, weights=journey_any * positive, minlength=n_segments).astype(float)
            if n_accounts
            else np.zeros(n_segments)
        )
        return n_moment, n_stage, n_journey
