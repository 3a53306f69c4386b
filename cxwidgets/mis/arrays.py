"""The fast path, part 1: the journey and the data as dense numpy arrays.

- ``_Spec``: the structure of a journey as index arrays (built again when gates change; shared
  with the reference, which reads names, gates and signals from it).
- ``_ScoreArrays``: the state :class:`~cxwidgets.mis.MISModel` builds once from a signal table
  (``_prepare``, in named steps: accounts, observed roles, observation rows, cells): the account
  x signal score matrix, the per-cell values and the per-role rows a change of role multipliers
  recomputes from.
- ``_Sums`` and ``_Rollup``: the containers of the group sums (computed in
  :mod:`cxwidgets.mis.groups`) and of the roll-ups (:mod:`cxwidgets.mis.rollups`).

Sizes used in the comments: N accounts, J signals, M moments, S stages, G segments (sorted),
B groups of a ``by=`` slice (distinct combinations of its accounts columns, sorted), K cells
(the distinct (by group, segment) pairs; without ``by`` the segments), R respondent roles, C
observed (account, signal) cells, Q groups of accounts (one moment x one cell x one presence
pattern of the moment's signals).

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
``_dims``           (N rows)   polars: the accounts columns ``by=`` may name (segment labelled)
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
from cxwidgets.mis.checks import _account_attributes, _accounts_and_observations, _segment_dimensions
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
        """The index arrays of ``journey``: stages, moments and signals in journey order."""
        stages = journey.stages
        moments = [(si, m) for si, st in enumerate(stages) for m in st.moments]  # (stage index, moment)
        # (moment index, stage index, moment, signal) of every signal
        rows = [(mi, si, m, s) for mi, (si, m) in enumerate(moments) for s in m.signals]
        moment_signals: list[list[int]] = [[] for _ in moments]
        for j, row in enumerate(rows):
            moment_signals[row[0]].append(j)
        J, M, S = len(rows), len(moments), len(stages)
        sig_moment = np.asarray([mi for mi, _, _, _ in rows], dtype=np.int64)
        O_sm = np.zeros((J, M))
        O_sm[np.arange(J), sig_moment] = 1.0
        O_ms = np.zeros((M, S))
        O_ms[np.arange(M), np.asarray([si for si, _ in moments], dtype=np.int64)] = 1.0
        return cls(
            journey_name=journey.name,
            journey_green=float(journey.green),
            journey_amber=float(journey.amber),
            stage_names=[st.name for st in stages],
            stage_green=np.asarray([st.green for st in stages], dtype=float),
            stage_amber=np.asarray([st.amber for st in stages], dtype=float),
            moment_names=[m.name for _, m in moments],
            moment_stage=np.asarray([si for si, _ in moments], dtype=np.int64),
            moment_green=np.asarray([m.green for _, m in moments], dtype=float),
            moment_amber=np.asarray([m.amber for _, m in moments], dtype=float),
            owners=[m.owner for _, m in moments],
            owner_slas=[m.owner_sla for _, m in moments],
            slas=[m.sla for _, m in moments],
            keys=[signal_key(m.name, s.name) for _, _, m, s in rows],
            signal_names=[s.name for _, _, _, s in rows],
            signals=[s for _, _, _, s in rows],
            sig_moment=sig_moment,
            sig_stage=np.asarray([si for _, si, _, _ in rows], dtype=np.int64),
            sig_cat=np.asarray([CATEGORIES.index(s.category) for _, _, _, s in rows], dtype=np.int64),
            base_weight=np.asarray([float(s.weight) for _, _, _, s in rows], dtype=float),
            moment_signals=[np.asarray(x, dtype=np.int64) for x in moment_signals],
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
    """Per (moment, cell, presence pattern) group sums for one account weighting (a_i) and one
    ``by`` slice. A cell is the accounts of one segment in one group of the slice (without a
    slice: one segment); a group of Q is the accounts of one cell whose signals of one moment
    are observed in the same pattern (every moment's groups, moment after moment)."""

    cell_segment: np.ndarray  # (K,) int: the cell's segment
    cell_group: np.ndarray  # (K,) int: the cell's group of the slice (0 without a slice)
    group_moment: np.ndarray  # (Q,) int: the group's moment
    group_cell: np.ndarray  # (Q,) int: the group's cell
    group_observed: np.ndarray  # (Q, J) bool: signal observed in the group (only its moment's signals)
    group_observed_any: np.ndarray  # (Q,) bool: at least one signal observed
    group_member: np.ndarray  # (Q, J) float 0/1: signal belongs to the group's moment
    score_sum: np.ndarray  # (Q, J) sum a_i * score
    account_weight_sum: np.ndarray  # (Q,) sum a_i
    cell_account_weight: np.ndarray  # (K,) sum a_i over all accounts of the cell
    n_moment: np.ndarray  # (K, M) accounts with a_i > 0 and any signal at the moment
    n_stage: np.ndarray  # (K, S)
    n_journey: np.ndarray  # (K,)
    cell_score_sum: np.ndarray  # (K, J) sum a_i * score over accounts having the signal
    cell_observed_weight: np.ndarray  # (K, J) sum a_i over accounts having the signal
    cell_moment_key: np.ndarray  # (Q,) int: group_cell * M + group_moment


@dataclass
class _Rollup:
    """Every roll-up for the populations (all accounts, then each group of the ``by`` slice),
    from the sums."""

    pops: list[str]
    labels: pl.DataFrame  # (B rows) the groups' values, one column per ``by`` column
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


def _first_cell_of_runs(row_cell: np.ndarray, row_cell_pos: np.ndarray) -> np.ndarray:
    """(C,) the distinct cells of the rows, sorted: ``row_cell`` is sorted and ``row_cell_pos``
    numbers its runs of equal cells 0, 1, ..."""
    if not row_cell.size:
        return np.zeros(0, dtype=np.int64)
    first_row = np.empty(int(row_cell_pos[-1]) + 1, dtype=np.int64)  # (C,) a row of each run
    first_row[row_cell_pos[::-1]] = np.arange(row_cell.size - 1, -1, -1)
    return row_cell[first_row]


class _ScoreArrays:
    """The dense state of :class:`~cxwidgets.mis.MISModel` (see the module docstring) and the
    group sums computed from it."""

    _spec: _Spec
    notes: list[str]
    _account_ids: pl.Series
    _raw_dims: pl.DataFrame
    _dims: pl.DataFrame
    _segment_column: str
    _segments: list[str]
    _seg_codes: np.ndarray
    _arr: np.ndarray
    _N: int
    _roles: list[str]
    _cells: np.ndarray
    _cell_bounds: np.ndarray
    _values: np.ndarray
    _base_total: np.ndarray
    _base_n: np.ndarray
    _role_cellidx: np.ndarray
    _role_pos: np.ndarray
    _role_code: np.ndarray
    _role_total: np.ndarray
    _role_n: np.ndarray
    _role_signals: list[int]
    _X: np.ndarray
    _role_key: tuple[tuple[str, float], ...] | None
    _sums: dict[tuple[bool, tuple[str, ...]], _Sums]
    _mu: np.ndarray | None

    def _prepare(self, table: SignalTable) -> None:
        """Build the arrays of the module docstring from ``table``, and score every signal."""
        accounts, observations, notes = _accounts_and_observations(table)
        self.notes.extend(notes)
        self._raw_dims = _account_attributes(table, accounts)
        self._account_ids = accounts["account_id"]
        self._arr = accounts["arr"].to_numpy().astype(np.float64, copy=False)
        self._N = accounts.height
        self._index_segments(self._segment_column)
        signal_columns = self._signal_columns()
        self._roles = self._observed_roles(observations, signal_columns)
        self._index_cells(self._observation_rows(observations, accounts, signal_columns))
        # score matrix, signal-major: X[j, i]; signals with roles are scored by _refresh_role_values
        self._X = np.full((self._spec.J, self._N), np.nan)
        role_signals = set(self._role_signals)
        self._score_signals([j for j in range(self._spec.J) if j not in role_signals])
        self._role_key = None
        self._mu = None

    def _index_segments(self, segment_column: str) -> None:
        """The segments: the labels of ``segment_column`` (sorted) and each account's code; the
        dimensions with that column labelled."""
        self._dims, segment = _segment_dimensions(self._raw_dims, segment_column)
        self._segment_column = segment_column
        self._segments = sorted(segment.unique().to_list())
        codes = list(range(len(self._segments)))
        self._seg_codes = (
            segment.replace_strict(self._segments, codes, return_dtype=pl.Int64).to_numpy()
            if self._N
            else np.zeros(0, dtype=np.int64)
        )
        self._sums = {}
        self._group_index_cache: dict[tuple[str, ...], tuple[np.ndarray, pl.DataFrame]] = {}

    def _signal_columns(self) -> pl.DataFrame:
        """One row per signal of the journey: its moment and signal names and its row j of X."""
        spec = self._spec
        return pl.DataFrame(
            {"moment": [spec.moment_names[m] for m in spec.sig_moment], "signal": spec.signal_names,
             "_col": np.arange(spec.J, dtype=np.int64)},
            schema={"moment": pl.String, "signal": pl.String, "_col": pl.Int64},
        )

    def _observed_roles(self, observations: pl.DataFrame, signal_columns: pl.DataFrame) -> list[str]:
        """The respondent roles the observations name, sorted; one small pass that also notes the
        rows whose moment/signal pair is not in the journey (they are left out)."""
        kinds = observations.lazy().group_by("moment", "signal", "role").agg(pl.len().alias("rows")).collect()
        unknown = kinds.join(signal_columns, on=["moment", "signal"], how="anti")
        if unknown.height:
            shown = unknown.select("moment", "signal").unique(maintain_order=True).head(3)
            self.notes.append(
                f"{int(unknown['rows'].sum()):,} observation rows name a moment/signal pair that is not in the "
                "journey and were left out: " + ", ".join(short(signal_key(m, s)) for m, s in shown.iter_rows())
            )
        return sorted(kinds["role"].drop_nulls().unique().to_list())

    def _observation_rows(
        self, observations: pl.DataFrame, accounts: pl.DataFrame, signal_columns: pl.DataFrame
    ) -> pl.DataFrame:
        """The observations of known signals and accounts, one row each, sorted by cell: ``_cell``
        (flat index j * N + i into X), ``_role`` (index into the roles; R: none), ``total``, ``n``
        and ``_pos`` (the run of equal cells the row belongs to, 0, 1, ...)."""
        n_accounts, roles = self._N, self._roles
        n_roles = len(roles)
        account_rows = (
            accounts.lazy().select("account_id").with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64))
        )
        role_code = (
            pl.col("role").replace_strict(roles, list(range(n_roles)), default=n_roles, return_dtype=pl.Int32)
            .fill_null(n_roles)
            if n_roles
            else pl.lit(0, pl.Int32)
        )
        return (
            observations.lazy()
            .join(signal_columns.lazy(), on=["moment", "signal"], how="inner")
            .join(account_rows, on="account_id", how="inner")
            .select(
                (pl.col("_col") * n_accounts + pl.col("_row")).alias("_cell"), role_code.alias("_role"), "total", "n"
            )
            .sort("_cell")
            .with_columns(pl.col("_cell").rle_id().cast(pl.Int64).alias("_pos"))
            .collect()
        )

    def _index_cells(self, rows: pl.DataFrame) -> None:
        """The observed cells, their values and the rows with a role kept for a change of role
        multipliers, from the rows of ``_observation_rows``."""
        row_cell_pos = rows["_pos"].to_numpy()  # (rows,) index into the cells
        row_role = rows["_role"].to_numpy()  # (rows,) index into the roles; R: none
        row_total = rows["total"].to_numpy()  # (rows,)
        row_n = rows["n"].to_numpy()  # (rows,)
        cells = _first_cell_of_runs(rows["_cell"].to_numpy(), row_cell_pos)  # (C,)
        n_cells = cells.size
        # value = (tb + sum_r m_r t_r) / (nb + sum_r m_r n_r): tb, nb sum the observations without
        # a role (multiplier 1.0); the rows with a role are kept for a change of multipliers
        row_has_role = row_role != len(self._roles)  # (rows,)
        row_base = ~row_has_role
        self._base_total = np.bincount(row_cell_pos[row_base], weights=row_total[row_base], minlength=n_cells)
        self._base_n = np.bincount(row_cell_pos[row_base], weights=row_n[row_base], minlength=n_cells)
        cell_has_role = np.zeros(n_cells, dtype=bool)  # (C,)
        cell_has_role[row_cell_pos[row_has_role]] = True
        self._role_cellidx = np.flatnonzero(cell_has_role)
        role_cell_of_cell = np.full(n_cells, -1, dtype=np.int64)  # (C,) index into _role_cellidx
        role_cell_of_cell[self._role_cellidx] = np.arange(self._role_cellidx.size)
        self._role_pos = role_cell_of_cell[row_cell_pos[row_has_role]]
        self._role_code = row_role[row_has_role]
        self._role_total = row_total[row_has_role]
        self._role_n = row_n[row_has_role]
        self._cells = cells  # sorted, signal-major: flat index j * N + i into X
        self._cell_bounds = np.searchsorted(cells, np.arange(self._spec.J + 1, dtype=np.int64) * self._N)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = self._base_total / self._base_n
        values[~np.isfinite(values)] = np.nan
        self._values = values
        bounds = self._cell_bounds
        self._role_signals = [j for j in range(self._spec.J) if cell_has_role[bounds[j] : bounds[j + 1]].any()]

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
        key = tuple(
            sorted((r, float(m)) for r, m in role_multipliers.items() if r in self._roles and float(m) != 1.0)
        )
        if key == self._role_key:
            return
        self._role_key = key
        rc = self._role_cellidx
        if rc.size == 0:
            return
        mult = np.ones(len(self._roles) + 1)
        for r, m in key:
            mult[self._roles.index(r)] = m
        row_mult = mult[self._role_code]
        num = np.bincount(self._role_pos, weights=row_mult * self._role_total, minlength=rc.size)
        den = np.bincount(self._role_pos, weights=row_mult * self._role_n, minlength=rc.size)
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
