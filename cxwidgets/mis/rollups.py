"""The fast path, part 2: every roll-up and contribution from the group sums, in small arrays.

``_FastRollups._rollup`` turns the group sums of :mod:`cxwidgets.mis.arrays` and the current
weights into a ``_Rollup`` (moment, stage and journey MIS, coverage, counts and contributions for
every population) without touching accounts; ``_account_moments`` / ``_account_units`` compute
the account level, only when asked. The definitions are those of the package docstring
(:mod:`cxwidgets.mis`).

Sizes: as in :mod:`cxwidgets.mis.arrays`, and P populations: row 0 is all accounts (each weighed
by its segment multiplier), rows 1..G each segment alone (its multiplier cancels).

The arrays of ``_rollup`` (float64; the per-group ones are indexed like ``_Sums``):

============  ========  ==================================================================
name          shape     meaning
============  ========  ==================================================================
``wfull``     (G, J)    weight of each signal for each segment: category x signal weight,
                        with the segment's overrides (``_weight_matrix``)
``W_gm``      (G, M)    total signal weight of each moment, per segment (``W_m``)
``wq``        (Q, J)    weight of each signal of the group's moment (0 for other signals)
``PW``        (Q,)      weight of the signals observed in the group
``Wq``        (Q,)      total weight of the group's moment
``den``       (Q,)      the denominator of the moment MIS by missing policy
``num``       (Q, J)    per signal, sum a_i x its points in the moment MIS (already / den)
``B``         (Q,)      sum a_i over the group's accounts if they have a MIS, else 0
``covnum``    (Q,)      sum a_i x observed weight (coverage numerator)
``N_gj``      (G, J)    ``num`` summed per segment; ``B_gm``, ``covnum_gm`` (G, M) likewise
``P``         (P, G)    population matrix: how much each segment's accounts count in each
                        population (row 0: segment multipliers, then the identity)
``PT``        (P, G)    ``P`` x the segment's total account weight ``T``
``Tp``        (P,)      total roll-up weight of each population
``weight_j``  (P, J)    the signal's weight in each population (``PT``-weighted mean)
``W_m``       (P, M)    the moment's weight in each population
``Bpm``       (P, M)    roll-up weight of the accounts with a MIS at the moment
``Npj``       (P, J)    ``N_gj`` per population
``covden_m``  (P, M)    coverage denominator (``PT @ W_gm``); ``covnum_m`` the numerator
``Wd``        (P, M)    ``W_m`` where the moment has a MIS, else 0; ``Wd_s`` (P, S) and
                        ``Wd_J`` (P,) its sums per stage and over the journey
============  ========  ==================================================================
"""

from __future__ import annotations

import numpy as np

from cxwidgets.journey import CATEGORIES
from cxwidgets.mis.arrays import _Rollup, _ScoreArrays

#: The name of the population of all accounts in ``_Rollup.pops`` (then the segments).
_ALL = "(all)"


class _FastRollups(_ScoreArrays):
    """Roll-ups of :class:`~cxwidgets.mis.MISModel` from its arrays and current settings."""

    # the settings, set by MISModel._apply
    _catw: dict[str, float]
    _sigw: dict[str, float]
    _segm: dict[str, float]
    _segw: dict[str, dict[str, float]]
    _missing: str
    _arr_weighting: bool
    _rollup_cache: _Rollup | None

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

    def _rollup(self) -> _Rollup:
        if self._rollup_cache is not None:
            return self._rollup_cache
        spec = self._spec
        M = spec.M
        G = len(self._segments)
        sums = self._group_sums(self._arr_weighting)
        wfull = self._weight_matrix()  # (G, J)
        W_gm = wfull @ spec.O_sm  # (G, M)
        # per group
        wq = wfull[sums.q_seg] * sums.member  # (Q, J)
        pres = sums.pres
        PW = (wq * pres).sum(axis=1)
        Wq = W_gm[sums.q_seg, sums.q_mom] if sums.q_mom.size else np.zeros(0)
        coefI = None
        if self._missing == "renormalise":
            den = PW
        elif self._missing == "floor":
            den = Wq
        else:
            mu = self._impute_means()
            imp = ~np.isnan(mu)
            fill = wq * (~pres & imp[None, :])
            den = PW + fill.sum(axis=1)
            coefI = fill
        defined = sums.anyp & (den > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(defined, 1.0 / np.where(den > 0, den, 1.0), 0.0)
        num = wq * pres * sums.S
        if coefI is not None:
            num = num + coefI * np.nan_to_num(self._impute_means())[None, :] * sums.A[:, None]
        num *= inv[:, None]
        B = sums.A * defined
        covnum = sums.A * PW
        N_gj = sums.O_qg @ num  # (G, J)
        B_gm = np.bincount(sums.key_gm, weights=B, minlength=G * M).reshape(G, M) if G and M else np.zeros((G, M))
        covnum_gm = (
            np.bincount(sums.key_gm, weights=covnum, minlength=G * M).reshape(G, M) if G and M else np.zeros((G, M))
        )
        # populations: all accounts (segment multipliers), then each segment (multiplier cancels)
        sm = np.array([self._segm.get(s, 1.0) for s in self._segments], dtype=float)
        P = np.vstack([sm[None, :], np.eye(G)]) if G else np.zeros((1, 0))
        pops = [_ALL, *self._segments]
        PT = P * sums.T[None, :]  # (P, G)
        Tp = PT.sum(axis=1)  # (P,)
        base_w = self._base_weights()
        with np.errstate(divide="ignore", invalid="ignore"):
            weight_j = np.where(Tp[:, None] > 0, (PT @ wfull) / np.where(Tp > 0, Tp, 1.0)[:, None], base_w[None, :])
            W_m = weight_j @ spec.O_sm  # (P, M)
            Bpm = P @ B_gm
            Npj = P @ N_gj
            contrib_j = np.where(Bpm[:, spec.sig_moment] > 0, Npj / Bpm[:, spec.sig_moment], np.nan)
            mis_m = np.where(Bpm > 0, (np.nan_to_num(contrib_j) @ spec.O_sm), np.nan)
            covden_m = PT @ W_gm  # (P, M)
            covnum_m = P @ covnum_gm
            cov_m = np.where(covden_m > 0, covnum_m / covden_m, np.nan)
            score_j = np.where(P @ sums.PAg > 0, (P @ sums.Sg) / (P @ sums.PAg), np.nan)
        on = (P > 0).astype(float)
        n_m = on @ sums.n_moment
        n_s = on @ sums.n_stage
        n_J = on @ sums.n_journey
        # stages and the journey: moment-first weighted means
        dm = ~np.isnan(mis_m)
        Wd = np.where(dm, W_m, 0.0)
        mis0 = np.where(dm, mis_m, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            Wd_s = Wd @ spec.O_ms  # (P, S)
            mis_s = np.where(Wd_s > 0, ((Wd * mis0) @ spec.O_ms) / Wd_s, np.nan)
            Wd_J = Wd.sum(axis=1)
            mis_J = np.where(Wd_J > 0, (Wd * mis0).sum(axis=1) / Wd_J, np.nan)
            cd_s = covden_m @ spec.O_ms
            cov_s = np.where(cd_s > 0, (covnum_m @ spec.O_ms) / cd_s, np.nan)
            cd_J = covden_m.sum(axis=1)
            cov_J = np.where(cd_J > 0, covnum_m.sum(axis=1) / cd_J, np.nan)
            cj = np.nan_to_num(contrib_j) * Wd[:, spec.sig_moment]
            sig_def = dm[:, spec.sig_moment]
            contrib_s = np.where(
                sig_def & (Wd_s[:, spec.sig_stage] > 0), cj / np.where(Wd_s > 0, Wd_s, 1.0)[:, spec.sig_stage], np.nan
            )
            contrib_J = np.where(sig_def & (Wd_J[:, None] > 0), cj / np.where(Wd_J > 0, Wd_J, 1.0)[:, None], np.nan)
        r = _Rollup(
            pops=pops,
            mis_m=np.clip(mis_m, 0.0, 100.0),
            cov_m=cov_m,
            n_m=n_m,
            W_m=W_m,
            contrib_j=contrib_j,
            score_j=score_j,
            weight_j=weight_j,
            mis_s=np.clip(mis_s, 0.0, 100.0),
            cov_s=cov_s,
            n_s=n_s,
            W_s=W_m @ spec.O_ms,
            contrib_s=contrib_s,
            mis_J=np.clip(mis_J, 0.0, 100.0),
            cov_J=cov_J,
            n_J=n_J,
            contrib_J=contrib_J,
        )
        self._rollup_cache = r
        return r

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
        O = spec.O_ms if by == "stage" else np.ones((spec.M, 1))
        dm = ~np.isnan(mis_m)
        Wd = np.where(dm, Wt, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            wd = O.T @ Wd
            mis = np.where(wd > 0, (O.T @ (Wd * np.where(dm, mis_m, 0.0))) / np.where(wd > 0, wd, 1.0), np.nan)
            td = O.T @ Wt
            cov = np.where(td > 0, (O.T @ pw) / np.where(td > 0, td, 1.0), np.nan)
        if by == "stage":
            green, amber = spec.stage_green[:, None], spec.stage_amber[:, None]
        else:
            green, amber = np.array([[spec.journey_green]]), np.array([[spec.journey_amber]])
        return np.clip(mis, 0.0, 100.0), cov, green, amber
