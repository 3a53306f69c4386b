"""The fast path, part 3: every roll-up and contribution from the group sums, in small arrays.

``_FastRollups._rollup`` turns the group sums of :mod:`cxwidgets.mis.groups` and the current
weights into a ``_Rollup`` (moment, stage and journey MIS, coverage, counts and contributions for
every population) without touching accounts, in named steps:

1. ``_group_points``: per group, by the missing policy, the weighted points of each signal in
   the moment MIS, the weight of the accounts that have a MIS and the coverage numerator;
2. ``_cell_points``: the same summed per cell (``_CellPoints``);
3. ``_Populations``: how much each cell counts in each population (row 0: all accounts, by the
   segment multipliers; then each group of the ``by`` slice), applied as sums over cells;
4. ``_moment_rollups``: the moment level of each population (``_MomentRollups``);
5. ``_stage_and_journey_rollups``: the stage and journey levels, moment-first weighted means.

``_account_moments`` / ``_account_units`` compute the account level, only when asked. The
definitions are those of the package docstring (:mod:`cxwidgets.mis`).

Sizes: as in :mod:`cxwidgets.mis.arrays`, and P populations: row 0 is all accounts (each weighed
by its segment multiplier), rows 1..B each group of the ``by`` slice. Within a group the
accounts weigh by their segment multiplier too, unless the slice includes the segment column
(then each group is one segment and its multiplier cancels, as ``by="segment"`` always did).
Each array is named with its shape where it is computed; "a_i" is the account's roll-up weight
(1, or its ARR).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxwidgets.journey import CATEGORIES
from cxwidgets.mis.arrays import _Rollup, _Spec, _Sums
from cxwidgets.mis.groups import _GroupSums, _sum_by

#: The name of the population of all accounts in ``_Rollup.pops`` (then the groups).
_ALL = "(all)"


@dataclass
class _Populations:
    """The (P, K) population matrix, kept sparse: row 0 weighs cell k by ``all_weight[k]``; row
    1 + b weighs the cells of group b by ``group_weight[k]`` (each cell is in one group)."""

    all_weight: np.ndarray  # (K,)
    cell_group: np.ndarray  # (K,) int
    group_weight: np.ndarray  # (K,)
    n_groups: int  # B (0 without a slice)

    def __call__(self, x: np.ndarray, positive: bool = False) -> np.ndarray:
        """(P, ...) = population @ x for x of shape (K, ...); ``positive``: the 0/1 pattern
        of the matrix (which cells a population has) instead of its weights."""
        a = (self.all_weight > 0).astype(float) if positive else self.all_weight
        g = (self.group_weight > 0).astype(float) if positive else self.group_weight
        tail = x.shape[1:]
        flat = x.reshape(x.shape[0], int(np.prod(tail)) if tail else 1)  # (K, X)
        top = (a @ flat)[None, :]  # (1, X)
        if self.n_groups:
            top = np.vstack([top, _sum_by(self.cell_group, g[:, None] * flat, self.n_groups)])
        return top.reshape((1 + self.n_groups, *tail))


class _FastRollups(_GroupSums):
    """Roll-ups of :class:`~cxwidgets.mis.MISModel` from its arrays and current settings."""

    # the settings, set by MISModel._apply
    _catw: dict[str, float]
    _sigw: dict[str, float]
    _segm: dict[str, float]
    _segw: dict[str, dict[str, float]]
    _missing: str
    _arr_weighting: bool
    _rollup_cache: dict[tuple[str, ...], _Rollup]

    def _weight_matrix(self) -> np.ndarray:
        """(G, J): category weight x signal weight, with segment overrides."""
        spec = self._spec
        G, J = len(self._segments), spec.J
        catw = np.array([self._catw.get(c, 1.0) for c in CATEGORIES])
        sw = np.array([self._sigw[k] for k in spec.keys], dtype=float)
        w = np.tile(sw, (G, 1)) if G else np.zeros((0, J))
        for g, s in enumerate(self._segments):
            ov = self._segw.get(s)
            if ov:
                for key, v in ov.items():
                    w[g, spec.keys.index(key)] = v
        return w * catw[spec.sig_cat][None, :] if J else w

    def _base_weights(self) -> np.ndarray:
        spec = self._spec
        catw = np.array([self._catw.get(c, 1.0) for c in CATEGORIES])
        return np.array([self._sigw[k] for k in spec.keys], dtype=float) * catw[spec.sig_cat]

    def _rollup(self, by: tuple[str, ...] = ()) -> _Rollup:
        """Every roll-up of the current settings for all accounts and each group of the slice
        ``by``, from the group sums (cached by the model until a setting changes): the steps
        below, each named after what it computes."""
        cache = self.__dict__.setdefault("_rollup_cache", {})
        if by in cache:
            return cache[by]
        spec = self._spec
        sums = self._group_sums(self._arr_weighting, by)
        labels = self._group_index(by)[1]  # cached: no pass over the accounts
        signal_weight_by_cell = self._weight_matrix()[sums.cell_segment]  # (K, J)
        moment_weight_by_cell = signal_weight_by_cell @ spec.O_sm  # (K, M)
        by_cell = self._cell_points(sums, signal_weight_by_cell, moment_weight_by_cell)
        population = self._populations(sums, by, labels.height)
        moments = _moment_rollups(
            spec, sums, population, signal_weight_by_cell, moment_weight_by_cell, by_cell, self._base_weights(),
        )
        mis_s, cov_s, contrib_s, mis_J, cov_J, contrib_J = _stage_and_journey_rollups(spec, moments)
        r = _Rollup(
            pops=[_ALL, *(str(b) for b in range(labels.height))],
            labels=labels,
            mis_m=np.clip(moments.mis, 0.0, 100.0),
            cov_m=moments.coverage,
            n_m=population(sums.n_moment, positive=True),
            W_m=moments.weight,
            contrib_j=moments.signal_points,
            score_j=moments.signal_score,
            weight_j=moments.signal_weight,
            mis_s=np.clip(mis_s, 0.0, 100.0),
            cov_s=cov_s,
            n_s=population(sums.n_stage, positive=True),
            W_s=moments.weight @ spec.O_ms,
            contrib_s=contrib_s,
            mis_J=np.clip(mis_J, 0.0, 100.0),
            cov_J=cov_J,
            n_J=population(sums.n_journey, positive=True),
            contrib_J=contrib_J,
        )
        cache[by] = r
        return r

    def _group_points(
        self, sums: _Sums, signal_weight_by_cell: np.ndarray, moment_weight_by_cell: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per group, by the missing policy: sum a_i x each signal's points in the moment MIS
        (Q, J), sum a_i if the group's accounts have a MIS else 0 (Q,), and sum a_i x observed
        weight, the coverage numerator (Q,)."""
        # (Q, J) weight of each signal of the group's moment (0 for other signals)
        group_signal_weight = signal_weight_by_cell[sums.group_cell] * sums.group_member
        observed = sums.group_observed  # (Q, J) bool
        observed_weight = (group_signal_weight * observed).sum(axis=1)  # (Q,)
        moment_weight = (  # (Q,) total weight of the group's moment
            moment_weight_by_cell[sums.group_cell, sums.group_moment] if sums.group_moment.size else np.zeros(0)
        )
        imputed_weight = None  # (Q, J) weight of the signals the impute policy fills in
        if self._missing == "renormalise":
            denominator = observed_weight
        elif self._missing == "floor":
            denominator = moment_weight
        else:
            imputable = ~np.isnan(self._impute_means())  # (J,)
            imputed_weight = group_signal_weight * (~observed & imputable[None, :])
            denominator = observed_weight + imputed_weight.sum(axis=1)
        has_mis = sums.group_observed_any & (denominator > 0)  # (Q,)
        with np.errstate(divide="ignore", invalid="ignore"):
            inverse = np.where(has_mis, 1.0 / np.where(denominator > 0, denominator, 1.0), 0.0)  # (Q,)
        points = group_signal_weight * observed * sums.score_sum  # (Q, J)
        if imputed_weight is not None:
            means = np.nan_to_num(self._impute_means())  # (J,)
            points = points + imputed_weight * means[None, :] * sums.account_weight_sum[:, None]
        points *= inverse[:, None]
        return points, sums.account_weight_sum * has_mis, sums.account_weight_sum * observed_weight

    def _cell_points(
        self, sums: _Sums, signal_weight_by_cell: np.ndarray, moment_weight_by_cell: np.ndarray
    ) -> _CellPoints:
        """The group points of ``_group_points`` summed per cell (x moment)."""
        points, mis_weight, coverage_numerator = self._group_points(sums, signal_weight_by_cell, moment_weight_by_cell)
        n_cells, n_moments = sums.cell_segment.size, self._spec.M

        def by_cell_moment(values: np.ndarray) -> np.ndarray:  # (Q,) -> (K, M)
            if not (n_cells and n_moments):
                return np.zeros((n_cells, n_moments))
            return np.bincount(sums.cell_moment_key, weights=values, minlength=n_cells * n_moments).reshape(
                n_cells, n_moments
            )

        return _CellPoints(
            points=_sum_by(sums.group_cell, points, n_cells),
            mis_weight=by_cell_moment(mis_weight),
            coverage_numerator=by_cell_moment(coverage_numerator),
            moment_weight=moment_weight_by_cell,
        )

    def _populations(self, sums: _Sums, by: tuple[str, ...], n_groups: int) -> _Populations:
        """How much each cell's accounts count in each population: all accounts by the segment
        multipliers; a group of the slice by them too, unless the slice includes the segment
        column (then a group is one segment alone: its multiplier cancels)."""
        multiplier = np.array([self._segm.get(s, 1.0) for s in self._segments], dtype=float)  # (G,)
        cell_multiplier = multiplier[sums.cell_segment] if multiplier.size else np.zeros(0)  # (K,)
        one_segment = self._segment_column in by or "segment" in by  # "segment" is the segment column
        within = np.ones_like(cell_multiplier) if one_segment else cell_multiplier
        return _Populations(
            all_weight=cell_multiplier, cell_group=sums.cell_group, group_weight=within, n_groups=n_groups
        )

    # ---- the account level (computed only when asked) ---------------------------------------

    def _account_moments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per moment x account: MIS (NaN: none), observed weight, total weight; and W (G, M)."""
        spec = self._spec
        N, M = self._N, spec.M
        wfull = self._weight_matrix()
        W_gm = wfull @ spec.O_sm
        seg = self._seg_codes
        mis = np.full((M, N), np.nan)
        pw_all = np.zeros((M, N))
        W_all = np.zeros((M, N))
        mu = self._impute_means() if self._missing == "impute" else None
        for m, js in enumerate(spec.moment_signals):
            if js.size == 0 or N == 0:
                continue
            x = self._X[js]  # (k, N)
            pres = ~np.isnan(x)
            w = wfull[:, js].T[:, seg]  # (k, N)
            wp = w * pres
            pw = wp.sum(axis=0)
            num = (wp * np.nan_to_num(x)).sum(axis=0)
            Wm = W_gm[seg, m]
            if self._missing == "renormalise":
                den = pw
            elif self._missing == "floor":
                den = Wm
            else:
                assert mu is not None
                imp = ~np.isnan(mu[js])
                fill = w * (~pres & imp[:, None])
                den = pw + fill.sum(axis=0)
                num = num + (fill * np.nan_to_num(mu[js])[:, None]).sum(axis=0)
            ok = pres.any(axis=0) & (den > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                mis[m] = np.where(ok, num / np.where(den > 0, den, 1.0), np.nan)
            pw_all[m] = pw
            W_all[m] = Wm
        return np.clip(mis, 0.0, 100.0), pw_all, W_all, W_gm

    def _account_units(self, by: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per unit (moment, stage or the journey) x account: MIS and coverage (NaN: none), and
        the units' green and amber gates as (U, 1) columns."""
        spec = self._spec
        mis_m, pw, Wt, _ = self._account_moments()
        if by == "moment":
            with np.errstate(divide="ignore", invalid="ignore"):
                cov = np.where(Wt > 0, pw / Wt, np.nan)
            return mis_m, cov, spec.moment_green[:, None], spec.moment_amber[:, None]
        moments_of_unit = (spec.O_ms if by == "stage" else np.ones((spec.M, 1))).T  # (U, M) one-hot
        dm = ~np.isnan(mis_m)
        Wd = np.where(dm, Wt, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            wd = moments_of_unit @ Wd
            weighted_mis = moments_of_unit @ (Wd * np.where(dm, mis_m, 0.0))  # (U, N)
            mis = np.where(wd > 0, weighted_mis / np.where(wd > 0, wd, 1.0), np.nan)
            td = moments_of_unit @ Wt
            cov = np.where(td > 0, (moments_of_unit @ pw) / np.where(td > 0, td, 1.0), np.nan)
        if by == "stage":
            green, amber = spec.stage_green[:, None], spec.stage_amber[:, None]
        else:
            green, amber = np.array([[spec.journey_green]]), np.array([[spec.journey_amber]])
        return np.clip(mis, 0.0, 100.0), cov, green, amber


@dataclass
class _CellPoints:
    """The group sums of the moment MIS per cell."""

    points: np.ndarray  # (K, J) sum a_i x the signal's points in the moment MIS
    mis_weight: np.ndarray  # (K, M) sum a_i over the accounts with a MIS at the moment
    coverage_numerator: np.ndarray  # (K, M) sum a_i x observed weight
    moment_weight: np.ndarray  # (K, M) total signal weight of the moment


@dataclass
class _MomentRollups:
    """The moment level of every population (P of them)."""

    signal_weight: np.ndarray  # (P, J) the signal's weight (mean over the population's accounts)
    weight: np.ndarray  # (P, M) the moment's weight
    signal_points: np.ndarray  # (P, J) the signal's points in the moment MIS (NaN: no MIS)
    mis: np.ndarray  # (P, M) the moment MIS, not yet clipped (NaN: none)
    coverage_denominator: np.ndarray  # (P, M)
    coverage_numerator: np.ndarray  # (P, M)
    coverage: np.ndarray  # (P, M)
    signal_score: np.ndarray  # (P, J) mean score over the accounts having the signal


def _moment_rollups(
    spec: _Spec, sums: _Sums, population: _Populations, signal_weight_by_cell: np.ndarray,
    moment_weight_by_cell: np.ndarray, by_cell: _CellPoints, base_weight: np.ndarray,
) -> _MomentRollups:
    """The moment level per population from the per-cell sums."""
    cell_weight = sums.cell_account_weight  # (K,) the cell's total a_i
    total_weight = population(cell_weight)  # (P,) total roll-up weight of the population
    with np.errstate(divide="ignore", invalid="ignore"):
        signal_weight = np.where(  # (P, J) roll-up-weighted mean; no account: the base weight
            total_weight[:, None] > 0,
            population(cell_weight[:, None] * signal_weight_by_cell)
            / np.where(total_weight > 0, total_weight, 1.0)[:, None],
            base_weight[None, :],
        )
        weight = signal_weight @ spec.O_sm  # (P, M)
        mis_weight = population(by_cell.mis_weight)  # (P, M) roll-up weight of the accounts with a MIS
        signal_mis_weight = mis_weight[:, spec.sig_moment]  # (P, J) the same at the signal's moment
        points = population(by_cell.points)  # (P, J)
        signal_points = np.where(signal_mis_weight > 0, points / signal_mis_weight, np.nan)
        mis = np.where(mis_weight > 0, (np.nan_to_num(signal_points) @ spec.O_sm), np.nan)
        coverage_denominator = population(cell_weight[:, None] * moment_weight_by_cell)  # (P, M)
        coverage_numerator = population(by_cell.coverage_numerator)  # (P, M)
        coverage = np.where(coverage_denominator > 0, coverage_numerator / coverage_denominator, np.nan)
        observed_weight = population(sums.cell_observed_weight)  # (P, J)
        signal_score = np.where(observed_weight > 0, population(sums.cell_score_sum) / observed_weight, np.nan)
    return _MomentRollups(
        signal_weight=signal_weight,
        weight=weight,
        signal_points=signal_points,
        mis=mis,
        coverage_denominator=coverage_denominator,
        coverage_numerator=coverage_numerator,
        coverage=coverage,
        signal_score=signal_score,
    )


def _stage_and_journey_rollups(
    spec: _Spec, moments: _MomentRollups
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The stage and journey levels per population, moment-first weighted means: MIS (P, S),
    coverage (P, S), signal points in the stage MIS (P, J); then the same for the journey
    ((P,), (P,), (P, J)). MIS not yet clipped."""
    moment_has_mis = ~np.isnan(moments.mis)  # (P, M)
    defined_weight = np.where(moment_has_mis, moments.weight, 0.0)  # (P, M) the weight where there is a MIS
    mis_or_zero = np.where(moment_has_mis, moments.mis, 0.0)  # (P, M)
    coverage_denominator, coverage_numerator = moments.coverage_denominator, moments.coverage_numerator
    with np.errstate(divide="ignore", invalid="ignore"):
        stage_weight = defined_weight @ spec.O_ms  # (P, S)
        mis_s = np.where(stage_weight > 0, ((defined_weight * mis_or_zero) @ spec.O_ms) / stage_weight, np.nan)
        journey_weight = defined_weight.sum(axis=1)  # (P,)
        mis_J = np.where(journey_weight > 0, (defined_weight * mis_or_zero).sum(axis=1) / journey_weight, np.nan)
        stage_coverage_denominator = coverage_denominator @ spec.O_ms  # (P, S)
        cov_s = np.where(
            stage_coverage_denominator > 0, (coverage_numerator @ spec.O_ms) / stage_coverage_denominator, np.nan
        )
        journey_coverage_denominator = coverage_denominator.sum(axis=1)  # (P,)
        cov_J = np.where(
            journey_coverage_denominator > 0, coverage_numerator.sum(axis=1) / journey_coverage_denominator, np.nan
        )
        # (P, J) the signal's points x its moment's weight where the moment has a MIS
        weighted_points = np.nan_to_num(moments.signal_points) * defined_weight[:, spec.sig_moment]
        signal_has_mis = moment_has_mis[:, spec.sig_moment]  # (P, J)
        stage_divisor = np.where(stage_weight > 0, stage_weight, 1.0)[:, spec.sig_stage]  # (P, J)
        contrib_s = np.where(
            signal_has_mis & (stage_weight[:, spec.sig_stage] > 0), weighted_points / stage_divisor, np.nan
        )
        journey_divisor = np.where(journey_weight > 0, journey_weight, 1.0)[:, None]  # (P, 1)
        contrib_J = np.where(
            signal_has_mis & (journey_weight[:, None] > 0), weighted_points / journey_divisor, np.nan
        )
    return mis_s, cov_s, contrib_s, mis_J, cov_J, contrib_J
