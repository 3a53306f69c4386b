"""The fast path, part 1: the journey and the data as dense numpy arrays.

- ``_Spec``: the structure of a journey as index arrays (built again when gates change; shared
  with the reference, which reads names, gates and signals from it).
- ``_ScoreArrays``: the state :class:`~cxwidgets.mis.MISModel` builds once from a signal table
  (``_prepare``): the account x signal score matrix, the per-cell values and the per-role rows
  a change of role multipliers recomputes from; and ``_group_sums``, the small per (moment,
  segment, presence pattern) sums every roll-up is computed from (:mod:`cxwidgets.mis.rollups`).

Sizes used in the comments: N accounts, J signals, M moments, S stages, G segments (sorted),
R respondent roles, C observed (account, signal) cells, Q groups of accounts (one moment x one
segment x one presence pattern of the moment's signals).

The arrays of a model (all float64 unless said; NaN = missing):

==================  =========  ===============================================================
name                shape      meaning
==================  =========  ===============================================================
``_X``              (J, N)     score 0-100 of signal j for account i (signal-major; NaN: not
                               observed), after normalisation and role multipliers
``_cells``          (C,)       int: flat index ``j * N + i`` into ``_X`` of each observed cell,
                               sorted (so signal-major)
``_cell_bounds``    (J + 1,)   int: the cells of signal j are ``_cells[b[j]:b[j + 1]]``
``_values``         (C,)       raw value of each cell (``total / n`` with role multipliers)
``_base_total``     (C,)       sum of ``total`` over the cell's observations without a role
``_base_n``         (C,)       sum of ``n`` over the same
``_role_cellidx``   (Cr,)      int: the cells that have observations with a role
``_role_pos``       (Rr,)      int: per observation with a role, its cell (index into
                               ``_role_cellidx``)
``_role_code``      (Rr,)      int: its role (index into ``_roles``)
``_role_total``     (Rr,)      its ``total``; ``_role_n``: its ``n``
``_seg_codes``      (N,)       int: the account's segment (index into ``_segments``)
``_arr``            (N,)       the account's ARR (NaN: none)
``_mu``             (J,)       plain mean score of each signal (the ``impute`` policy)
==================  =========  ===============================================================

``_Spec.O_sm`` (J, M) and ``_Spec.O_ms`` (M, S) are one-hot maps signal -> moment and
moment -> stage: ``x @ O_sm`` sums a per-signal array into its moments. ``_Sums`` (the group
sums) names its arrays field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from cxwidgets._util.text import short
from cxwidgets.journey import CATEGORIES, Journey, Signal, signal_key
from cxwidgets.mis.checks import _accounts_and_observations
from cxwidgets.normalise import DEFAULT_NORMALISER, normalise
from cxwidgets.signals import SignalTable


def _normaliser_of(signal: Any) -> str:
    """The name of the normaliser that scores ``signal`` (its own, else the default): read by the
    fast path and the reference alike."""
    return getattr(signal, "normaliser", None) or DEFAULT_NORMALISER


@dataclass(frozen=True)
class _Spec:
    """The structure of a journey as index arrays (J signals, M moments, S stages)."""

    journey_name: str
    journey_green: float
    journey_amber: float
    stage_names: list[str]
    stage_green: np.ndarray
    stage_amber: np.ndarray
    moment_names: list[str]
    moment_stage: np.ndarray  # (M,) stage index
    moment_green: np.ndarray
    moment_amber: np.ndarray
    owners: list[str]
    owner_slas: list[str | None]
    slas: list[Any]
    keys: list[str]  # "Moment/Signal"
    signal_names: list[str]
    signals: list[Signal]
    sig_moment: np.ndarray  # (J,) moment index
    sig_stage: np.ndarray  # (J,) stage index
    sig_cat: np.ndarray  # (J,) index into CATEGORIES
    base_weight: np.ndarray  # (J,) the journey's signal weights
    moment_signals: list[np.ndarray]  # per moment: its signal indices
    O_sm: np.ndarray  # (J, M) one-hot signal -> moment
    O_ms: np.ndarray  # (M, S) one-hot moment -> stage

    @classmethod
    def of(cls, journey: Journey) -> _Spec:
        stage_names, sg, sa = [], [], []
        moment_names, mstage, mg, ma, owners, raw_slas, slas = [], [], [], [], [], [], []
        keys, names, signals, smom, sstage, scat, sw = [], [], [], [], [], [], []
        msig: list[list[int]] = []
        for si, st in enumerate(journey.stages):
            stage_names.append(st.name)
            sg.append(st.green)
            sa.append(st.amber)
            for m in st.moments:
                mi = len(moment_names)
                moment_names.append(m.name)
                mstage.append(si)
                mg.append(m.green)
                ma.append(m.amber)
                owners.append(m.owner)
                raw_slas.append(m.owner_sla)
                slas.append(m.sla)
                msig.append([])
                for s in m.signals:
                    msig[mi].append(len(keys))
                    keys.append(signal_key(m.name, s.name))
                    names.append(s.name)
                    signals.append(s)
                    smom.append(mi)
                    sstage.append(si)
                    scat.append(CATEGORIES.index(s.category))
                    sw.append(float(s.weight))
        J, M, S = len(keys), len(moment_names), len(stage_names)
        sig_moment = np.asarray(smom, dtype=np.int64)
        O_sm = np.zeros((J, M))
        O_sm[np.arange(J), sig_moment] = 1.0
        O_ms = np.zeros((M, S))
        O_ms[np.arange(M), np.asarray(mstage, dtype=np.int64)] = 1.0
        return cls(
            journey_name=journey.name,
            journey_green=float(journey.green),
            journey_amber=float(journey.amber),
            stage_names=stage_names,
            stage_green=np.asarray(sg, dtype=float),
            stage_amber=np.asarray(sa, dtype=float),
            moment_names=moment_names,
            moment_stage=np.asarray(mstage, dtype=np.int64),
            moment_green=np.asarray(mg, dtype=float),
            moment_amber=np.asarray(ma, dtype=float),
            owners=owners,
            owner_slas=raw_slas,
            slas=slas,
            keys=keys,
            signal_names=names,
            signals=signals,
            sig_moment=sig_moment,
            sig_stage=np.asarray(sstage, dtype=np.int64),
            sig_cat=np.asarray(scat, dtype=np.int64),
            base_weight=np.asarray(sw, dtype=float),
            moment_signals=[np.asarray(x, dtype=np.int64) for x in msig],
            O_sm=O_sm,
            O_ms=O_ms,
        )

    @property
    def J(self) -> int:
        return len(self.keys)

    @property
    def M(self) -> int:
        return len(self.moment_names)

    @property
    def S(self) -> int:
        return len(self.stage_names)




@dataclass
class _Sums:
    """Per (moment, segment, presence pattern) group sums for one account weighting (a_i)."""

    q_mom: np.ndarray  # (Q,)
    q_seg: np.ndarray  # (Q,)
    pres: np.ndarray  # (Q, J) bool: signal observed in the group (only the group's moment's signals)
    anyp: np.ndarray  # (Q,) bool: at least one signal observed
    member: np.ndarray  # (Q, J) float 0/1: signal belongs to the group's moment
    S: np.ndarray  # (Q, J) sum a_i * score
    A: np.ndarray  # (Q,) sum a_i
    T: np.ndarray  # (G,) sum a_i over all accounts of the segment
    n_moment: np.ndarray  # (G, M) accounts with a_i > 0 and any signal at the moment
    n_stage: np.ndarray  # (G, S)
    n_journey: np.ndarray  # (G,)
    Sg: np.ndarray  # (G, J) sum a_i * score over accounts having the signal
    PAg: np.ndarray  # (G, J) sum a_i over accounts having the signal
    O_qg: np.ndarray  # (G, Q) one-hot group -> segment
    key_gm: np.ndarray  # (Q,) q_seg * M + q_mom


@dataclass
class _Rollup:
    """Every roll-up for the populations (all accounts, then each segment), from the sums."""

    pops: list[str]
    mis_m: np.ndarray  # (P, M)
    cov_m: np.ndarray
    n_m: np.ndarray
    W_m: np.ndarray
    contrib_j: np.ndarray  # (P, J) points in the moment MIS
    score_j: np.ndarray  # (P, J)
    weight_j: np.ndarray  # (P, J)
    mis_s: np.ndarray  # (P, S)
    cov_s: np.ndarray
    n_s: np.ndarray
    W_s: np.ndarray
    contrib_s: np.ndarray  # (P, J) points in the stage MIS
    mis_J: np.ndarray  # (P,)
    cov_J: np.ndarray
    n_J: np.ndarray
    contrib_J: np.ndarray  # (P, J) points in the journey MIS


class _ScoreArrays:
    """The dense state of :class:`~cxwidgets.mis.MISModel` (see the module docstring) and the
    group sums computed from it."""

    _spec: _Spec
    notes: list[str]

    def _prepare(self, table: SignalTable) -> None:
        spec = self._spec
        acc, obs, notes = _accounts_and_observations(table)
        self.notes.extend(notes)
        self._account_ids = acc["account_id"]
        seg = acc["segment"]
        self._segments: list[str] = sorted(seg.unique().to_list())
        self._seg_codes = (
            seg.replace_strict(self._segments, list(range(len(self._segments))), return_dtype=pl.Int64).to_numpy()
            if acc.height
            else np.zeros(0, dtype=np.int64)
        )
        self._arr = acc["arr"].to_numpy().astype(np.float64, copy=False)
        N, J = acc.height, spec.J
        self._N = N

        pairs = pl.DataFrame(
            {"moment": [spec.moment_names[m] for m in spec.sig_moment], "signal": spec.signal_names,
             "_col": np.arange(J, dtype=np.int64)},
            schema={"moment": pl.String, "signal": pl.String, "_col": pl.Int64},
        )
        # one small pass for what the observations hold: pairs (unknown ones are reported) and roles
        kinds = obs.lazy().group_by("moment", "signal", "role").agg(pl.len().alias("rows")).collect()
        unknown = kinds.join(pairs, on=["moment", "signal"], how="anti")
        if unknown.height:
            shown = unknown.select("moment", "signal").unique(maintain_order=True).head(3)
            self.notes.append(
                f"{int(unknown['rows'].sum()):,} observation rows name a moment/signal pair that is not in the journey "
                "and were left out: " + ", ".join(short(signal_key(m, s)) for m, s in shown.iter_rows())
            )
        roles = sorted(kinds["role"].drop_nulls().unique().to_list())
        self._roles = roles
        R = len(roles)
        rows = (
            obs.lazy()
            .join(pairs.lazy(), on=["moment", "signal"], how="inner")
            .join(acc.lazy().select("account_id").with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64)),
                  on="account_id", how="inner")
            .select(
                (pl.col("_col") * N + pl.col("_row")).alias("_cell"),
                (pl.col("role").replace_strict(roles, list(range(R)), default=R, return_dtype=pl.Int32).fill_null(R)
                 if R else pl.lit(0, pl.Int32)).alias("_role"),
                "total",
                "n",
            )
            .sort("_cell")
            .with_columns(pl.col("_cell").rle_id().cast(pl.Int64).alias("_pos"))
            .collect()
        )
        cell = rows["_cell"].to_numpy()
        pos = rows["_pos"].to_numpy()
        role = rows["_role"].to_numpy()
        total = rows["total"].to_numpy()
        n = rows["n"].to_numpy()
        cells = np.zeros(0, dtype=np.int64)
        if cell.size:  # pos: the run of equal cells (sorted) each row belongs to
            first = np.empty(int(pos[-1]) + 1, dtype=np.int64)
            first[pos[::-1]] = np.arange(cell.size - 1, -1, -1)
            cells = cell[first]
        del cell
        ncells = cells.size
        # value = (tb + sum_r m_r t_r) / (nb + sum_r m_r n_r): tb, nb sum the observations without
        # a role (multiplier 1.0); the rows with a role are kept for a change of multipliers
        has_role = role != R
        base = ~has_role
        self._base_total = np.bincount(pos[base], weights=total[base], minlength=ncells)
        self._base_n = np.bincount(pos[base], weights=n[base], minlength=ncells)
        cell_role = np.zeros(ncells, dtype=bool)
        cell_role[pos[has_role]] = True
        self._role_cellidx = np.flatnonzero(cell_role)
        rmap = np.full(ncells, -1, dtype=np.int64)
        rmap[self._role_cellidx] = np.arange(self._role_cellidx.size)
        self._role_pos = rmap[pos[has_role]]
        self._role_code = role[has_role]
        self._role_total = total[has_role]
        self._role_n = n[has_role]
        del rows, role, total, n, pos, rmap, base, has_role
        self._cells = cells  # sorted, signal-major: flat index j * N + i into X
        self._cell_bounds = np.searchsorted(cells, np.arange(J + 1, dtype=np.int64) * N)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = self._base_total / self._base_n
        values[~np.isfinite(values)] = np.nan
        self._values = values
        b = self._cell_bounds
        self._role_signals = [j for j in range(J) if cell_role[b[j] : b[j + 1]].any()]
        # score matrix, signal-major: X[j, i]; signals with roles are scored by _refresh_role_values
        self._X = np.full((J, N), np.nan)
        self._score_signals([j for j in range(J) if j not in set(self._role_signals)])
        self._role_key: tuple[tuple[str, float], ...] | None = None
        self._sums: dict[bool, _Sums] = {}
        self._mu: np.ndarray | None = None

    def _score_signals(self, signals: list[int]) -> None:
        """Normalise the current values of whole signals (a normaliser sees the whole column)
        into the score matrix."""
        flat = self._X.reshape(-1)
        for j in signals:
            sig = self._spec.signals[j]
            lo, hi = self._cell_bounds[j], self._cell_bounds[j + 1]
            cells = self._cells[lo:hi]
            v = self._values[lo:hi]
            ok = ~np.isnan(v)
            flat[cells[~ok]] = np.nan
            if ok.any():
                flat[cells[ok]] = normalise(v[ok], sig, _normaliser_of(sig))

    def _refresh_role_values(self, role_multipliers: Mapping[str, float]) -> None:
        """One pass over the (account x signal x role) rows of role-dependent cells."""
        key = tuple(sorted((r, float(m)) for r, m in role_multipliers.items() if r in self._roles and float(m) != 1.0))
        if key == self._role_key:
            return
        self._role_key = key
        rc = self._role_cellidx
        if rc.size == 0:
            return
        mult = np.ones(len(self._roles) + 1)
        for r, m in key:
            mult[self._roles.index(r)] = m
        m = mult[self._role_code]
        num = np.bincount(self._role_pos, weights=m * self._role_total, minlength=rc.size)
        den = np.bincount(self._role_pos, weights=m * self._role_n, minlength=rc.size)
        num += self._base_total[rc]
        den += self._base_n[rc]
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = num / den
        vals[~np.isfinite(vals)] = np.nan
        self._values[rc] = vals
        self._score_signals(self._role_signals)
        self._sums.clear()
        self._mu = None

    def _impute_means(self) -> np.ndarray:
        if self._mu is None:
            J = self._spec.J
            mu = np.full(J, np.nan)
            for j in range(J):
                x = self._X[j]
                ok = ~np.isnan(x)
                c = int(ok.sum())
                if c:
                    mu[j] = x[ok].sum() / c
            self._mu = mu
        return self._mu

    def _account_weights(self, arr: bool) -> np.ndarray:
        if not arr:
            return np.ones(self._N)
        return np.where(np.isnan(self._arr), 0.0, self._arr)

    def _group_sums(self, arr: bool) -> _Sums:
        if arr in self._sums:
            return self._sums[arr]
        spec = self._spec
        N, J, M, S = self._N, spec.J, spec.M, spec.S
        G = len(self._segments)
        seg = self._seg_codes
        a = self._account_weights(arr)
        pos_a = (a > 0).astype(np.float64)
        T = np.bincount(seg, weights=a, minlength=G).astype(float)
        q_mom, q_seg, pres_l, S_l, A_l = [], [], [], [], []
        n_moment = np.zeros((G, M))
        n_stage = np.zeros((G, S))
        journey_any = np.zeros(N, dtype=bool)
        stage_any = [np.zeros(N, dtype=bool) for _ in range(S)]
        Sg = np.zeros((G, J))
        PAg = np.zeros((G, J))
        for m, js in enumerate(spec.moment_signals):
            k = js.size
            if k == 0 or N == 0:
                continue
            present = ~np.isnan(self._X[js])  # (k, N)
            pat = np.zeros(N, dtype=np.int64)
            for b in range(k):
                pat |= present[b].astype(np.int64) << b
            anyp = pat != 0
            journey_any |= anyp
            stage_any[spec.moment_stage[m]] |= anyp
            n_moment[:, m] = np.bincount(seg, weights=anyp * pos_a, minlength=G)
            if k > 40:  # pragma: no cover - a moment with more than 40 signals
                raise ValueError(f"moment {spec.moment_names[m]!r} has {k} signals; at most 40 are supported")
            key = seg.astype(np.int64) * (1 << k) + pat
            if k <= 20 and G * (1 << k) <= 4 * N + 4096:  # dense codes: a bincount, no sort
                cnt = np.bincount(key, minlength=G * (1 << k))
                codes = np.flatnonzero(cnt)
                remap = np.full(cnt.size, -1, dtype=np.int64)
                remap[codes] = np.arange(codes.size)
                gid = remap[key]
            else:
                codes, gid = np.unique(key, return_inverse=True)
            Q = codes.size
            gseg = codes >> k
            gpat = codes & ((1 << k) - 1)
            A = np.bincount(gid, weights=a, minlength=Q)
            Sq = np.zeros((Q, J))
            pq = np.zeros((Q, J), dtype=bool)
            for b, j in enumerate(js):
                x = np.nan_to_num(self._X[j], nan=0.0)
                if arr:
                    x = x * a
                Sq[:, j] = np.bincount(gid, weights=x, minlength=Q)
                pq[:, j] = (gpat >> b) & 1 == 1
            q_mom.append(np.full(Q, m, dtype=np.int64))
            q_seg.append(gseg.astype(np.int64))
            pres_l.append(pq)
            S_l.append(Sq)
            A_l.append(A)
        for s in range(S):
            n_stage[:, s] = np.bincount(seg, weights=stage_any[s] * pos_a, minlength=G) if N else 0.0
        n_journey = np.bincount(seg, weights=journey_any * pos_a, minlength=G).astype(float) if N else np.zeros(G)
        if q_mom:
            qm = np.concatenate(q_mom)
            qs = np.concatenate(q_seg)
            pres = np.concatenate(pres_l)
            Sx = np.concatenate(S_l)
            Ax = np.concatenate(A_l)
        else:
            qm = np.zeros(0, dtype=np.int64)
            qs = np.zeros(0, dtype=np.int64)
            pres = np.zeros((0, J), dtype=bool)
            Sx = np.zeros((0, J))
            Ax = np.zeros(0)
        Q = qm.size
        O_qg = np.zeros((G, Q))
        O_qg[qs, np.arange(Q)] = 1.0
        Sg = O_qg @ Sx
        PAg = O_qg @ (pres * Ax[:, None])
        sums = _Sums(
            q_mom=qm,
            q_seg=qs,
            pres=pres,
            anyp=pres.any(axis=1),
            member=spec.O_sm[:, qm].T.copy() if Q else np.zeros((0, J)),
            S=Sx,
            A=Ax,
            T=T,
            n_moment=n_moment,
            n_stage=n_stage,
            n_journey=n_journey,
            Sg=Sg,
            PAg=PAg,
            O_qg=O_qg,
            key_gm=qs * M + qm,
        )
        self._sums[arr] = sums
        return sums
