"""The fast path, part 1: the journey and the data as dense numpy arrays.

- ``_Spec``: the structure of a journey as index arrays (built again when gates change; shared
  with the reference, which reads names, gates and signals from it).
- ``_ScoreArrays``: the state :class:`~cxwidgets.mis.MISModel` builds once from a signal table
  (``_prepare``, in named steps: the signal of each row; the observation rows and the unlisted
  accounts, in one join; the cells): the account x signal score matrix, the per-cell values and
  the per-role sums a change of role multipliers recomputes from.
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
``_role_total``     (R, Cr)    sum of ``total`` over the observations of role r in each of
                               those cells; ``_role_n``: the sum of their ``n``
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
from typing import Any, Literal

import numpy as np
import polars as pl

from cxwidgets._util.text import short
from cxwidgets.journey import CATEGORIES, Journey, Signal, signal_key
from cxwidgets.mis.checks import (
    _account_attributes,
    _checked_accounts,
    _checked_observations,
    _segment_dimensions,
    _with_unlisted_accounts,
)
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
    _role_total: np.ndarray
    _role_n: np.ndarray
    _role_signals: list[int]
    _X: np.ndarray
    _role_key: tuple[tuple[str, float], ...] | None
    _sums: dict[tuple[bool, tuple[str, ...]], _Sums]
    _mu: np.ndarray | None

    def _prepare(self, table: SignalTable) -> None:
        """Build the arrays of the module docstring from ``table``, and score every signal."""
        observations = _checked_observations(table)
        accounts = _checked_accounts(table.accounts)
        signal_of_row = self._signal_of_rows(observations)
        self._roles = sorted(observations.get_column("role").drop_nulls().unique().to_list())
        rows, extra = self._observation_rows(observations, accounts, signal_of_row)
        del signal_of_row
        accounts, notes = _with_unlisted_accounts(accounts, extra, observations.get_column("account_id"))
        self.notes.extend(notes)
        self._raw_dims = _account_attributes(table, accounts)
        self._account_ids = accounts["account_id"]
        self._arr = accounts["arr"].to_numpy().astype(np.float64, copy=False)
        self._N = accounts.height
        self._index_segments(self._segment_column)
        self._index_cells(*rows)
        del rows  # the observation rows (8M at 1M accounts) are not kept: the cells' sums are
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
        self._seg_codes = (  # index into the sorted labels: the physical code of an Enum of them
            segment.cast(pl.Enum(self._segments)).to_physical().cast(pl.Int64).to_numpy()
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

    def _signal_of_rows(self, observations: pl.DataFrame) -> np.ndarray:
        """(rows,) int: each observation's signal, its row j of X (-1: a moment/signal pair not in
        the journey; those rows are counted in a note and left out). The pairs are read per run of
        equal (moment, signal) rows, so a table stacked signal by signal (what bind returns) costs
        one comparison per row and a join of a few runs."""
        runs = (
            observations.select(pl.struct("moment", "signal").rle().alias("_run")).unnest("_run")
            .unnest("value").with_row_index("_run")
        )
        runs = runs.join(self._signal_columns(), on=["moment", "signal"], how="left").sort("_run")
        unknown = runs.filter(pl.col("_col").is_null())
        if unknown.height:
            pairs = unknown.group_by("moment", "signal", maintain_order=True).agg(pl.col("len").sum())
            self.notes.append(
                f"{int(pairs['len'].sum()):,} observation rows name a moment/signal pair that is not in the "
                "journey and were left out: "
                + ", ".join(short(signal_key(m, s)) for m, s, _ in pairs.head(3).iter_rows())
            )
        codes = runs.get_column("_col").fill_null(-1).cast(pl.Int32).to_numpy()
        return np.repeat(codes, runs.get_column("len").to_numpy())

    def _observation_rows(
        self, observations: pl.DataFrame, accounts: pl.DataFrame, signal_of_row: np.ndarray
    ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], pl.Series]:
        """The observations of known signals as arrays (signal j, account row i, role code (R:
        none), total, n), in no particular order, and the distinct sorted ids of observed accounts
        that have no accounts row (their rows i follow the accounts': ``len(accounts) + rank``).
        One join of the observations with the accounts; a second only when some are unlisted."""
        n_roles = len(self._roles)
        role_code = (
            pl.col("role").cast(pl.Enum(self._roles)).to_physical().cast(pl.Int32).fill_null(n_roles)
            if n_roles
            else pl.lit(0, pl.Int32)
        )
        rows = observations.lazy().select(
            pl.Series("_j", signal_of_row, dtype=pl.Int32), "account_id", role_code.alias("_role"), "total", "n"
        )

        def joined(book: pl.DataFrame, how: Literal["left", "inner"]) -> pl.DataFrame:
            account_rows = book.lazy().select("account_id").with_row_index("_row")  # UInt32
            out = rows.join(account_rows, on="account_id", how=how)
            return out.select("_j", "_row", "_role", "total", "n").collect()

        out = joined(accounts, "left")
        extra = pl.Series("account_id", [], pl.String)
        if out.get_column("_row").null_count():  # an observed id without an accounts row (or a null id)
            extra = (
                observations.lazy().select("account_id")
                .join(accounts.lazy().select("account_id"), on="account_id", how="anti")
                .unique().drop_nulls().sort("account_id").collect().get_column("account_id")
            )
            book = pl.concat([accounts.select("account_id"), extra.to_frame()])
            out = joined(book, "inner")  # the unlisted accounts' rows follow the accounts'
        if (out.get_column("_j") < 0).any():  # rows of a moment/signal pair not in the journey
            out = out.filter(pl.col("_j") >= 0)
        arrays = (
            out.get_column("_j").to_numpy(),
            out.get_column("_row").to_numpy(),
            out.get_column("_role").to_numpy(),
            out.get_column("total").to_numpy(),
            out.get_column("n").to_numpy(),
        )
        return arrays, extra

    def _index_cells(
        self, row_j: np.ndarray, row_i: np.ndarray, row_role: np.ndarray, row_total: np.ndarray, row_n: np.ndarray
    ) -> None:
        """The observed cells, their values and the per-role sums of cells with a role (kept for a
        change of role multipliers), from the rows of ``_observation_rows``. No sort: the cells are
        marked in a (J * N,) mask, whose running count is each cell's position."""
        n_roles = len(self._roles)
        row_cell = row_j.astype(np.int64) * self._N + row_i  # (rows,) flat index into X
        mask = np.zeros(self._spec.J * self._N, dtype=bool)
        mask[row_cell] = True
        cells = np.flatnonzero(mask)  # (C,) sorted, signal-major
        n_cells = cells.size
        position = np.cumsum(mask, dtype=np.int32 if n_cells < 2**31 else np.int64)
        del mask
        row_cell_pos = position[row_cell] - 1  # (rows,) index into the cells
        del position, row_cell
        # value = (tb + sum_r m_r t_r) / (nb + sum_r m_r n_r): tb, nb sum the observations without
        # a role (multiplier 1.0); the sums of each role, t_r and n_r, are kept for a change of multipliers
        row_base = row_role == n_roles  # (rows,)
        base_pos = row_cell_pos[row_base]
        self._base_total = np.bincount(base_pos, weights=row_total[row_base], minlength=n_cells)
        self._base_n = np.bincount(base_pos, weights=row_n[row_base], minlength=n_cells)
        del base_pos
        row_has_role = ~row_base
        role_rows_pos = row_cell_pos[row_has_role]  # (rows with a role,) index into the cells
        cell_has_role = np.zeros(n_cells, dtype=bool)  # (C,)
        cell_has_role[role_rows_pos] = True
        self._role_cellidx = np.flatnonzero(cell_has_role)
        n_role_cells = self._role_cellidx.size
        role_cell_of_cell = np.full(n_cells, -1, dtype=np.int64)  # (C,) index into _role_cellidx
        role_cell_of_cell[self._role_cellidx] = np.arange(n_role_cells)
        # one weighted count per sum over (role, role cell), role-major
        key = row_role[row_has_role].astype(np.int64) * n_role_cells + role_cell_of_cell[role_rows_pos]
        del role_cell_of_cell, role_rows_pos
        size = n_roles * n_role_cells
        self._role_total = np.bincount(key, weights=row_total[row_has_role], minlength=size).reshape(
            n_roles, n_role_cells
        )  # (R, Cr)
        self._role_n = np.bincount(key, weights=row_n[row_has_role], minlength=size).reshape(n_roles, n_role_cells)
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
        """The values of the role-dependent cells again: one pass per role over their per-role sums."""
        key = tuple(
            sorted((r, float(m)) for r, m in role_multipliers.items() if r in self._roles and float(m) != 1.0)
        )
        if key == self._role_key:
            return
        self._role_key = key
        rc = self._role_cellidx
        if rc.size == 0:
            return
        mult = dict(key)
        num = np.zeros(rc.size)
        den = np.zeros(rc.size)
        for r, role in enumerate(self._roles):  # in role order: the same sums whatever the rows' order
            m = mult.get(role, 1.0)
            num += m * self._role_total[r]
            den += m * self._role_n[r]
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
