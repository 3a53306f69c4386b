"""The Moment Impact Score engine: normalise, weight, multiply, roll up, decompose, gate.

:class:`MISModel` scores a :class:`~cxwidgets.journey.Journey` on a
:class:`~cxwidgets.signals.SignalTable` (one value per account x moment x signal, with per-role
sums). The definitions, in the order of DESIGN.md ("Moment Impact Score"):

1. **Values.** ``value = sum_r m_r total_r / sum_r m_r n_r`` over the respondent roles ``r`` of
   an account x moment x signal, ``m_r`` the role multiplier (1.0 when not listed or when the
   observation has no role). A value that is not finite (every multiplier 0) is missing.
2. **Scores.** ``score = 100 * clip((x - floor) / (target - floor), 0, 1)`` (the ``linear``
   normaliser of :mod:`cxwidgets.normalise`; one formula for both directions).
3. **Moment MIS of an account** = sum_j w_j s_j / den, with ``w_j = category weight x signal
   weight`` (for accounts of a segment listed in ``segment_weights`` the override replaces the
   signal weight) and, by missing-data policy:

   - ``renormalise`` (default): sum over the signals present, ``den`` = their weight;
   - ``floor``: a missing signal scores 0 with its full weight, ``den`` = the moment's weight;
   - ``impute``: a missing signal takes the plain (unweighted) mean score of that signal over
     all accounts that have it; a signal nobody has stays missing (renormalised over).

   An account with **no signal at all** at a moment has no MIS there under every policy: it has
   not been observed at that moment (it may not have reached it), so ``floor`` and ``impute``
   fill gaps only for accounts that were observed. Such accounts do not count in the
   moment's roll-up. ``coverage`` = weight of the signals present / the moment's weight.
4. **Roll-ups** weigh account ``i`` by ``v_i = segment multiplier x a_i`` with ``a_i = ARR``
   when ``arr_weighting`` (an account with null ARR then weighs 0: it is left out and counted
   in ``model.notes``; negative ARR is an error) and ``a_i = 1`` otherwise.

   - moment: ``sum_i v_i MIS_im / sum_i v_i`` over the accounts with a MIS there;
   - stage: the weighted mean of its moments' roll-ups, weight = the moment's total signal
     weight ``W_m = sum_j w_j`` (with segment overrides, the average of the segments'
     ``W_m`` weighted by each segment's total roll-up weight); moments without a MIS are left
     out. Moments are combined *after* rolling up accounts, so each moment counts with the
     weight its signals give it, however many accounts reached it;
   - journey: the same weighted mean over all moments of the journey (equivalently, over the
     stages with weight = the sum of their moments' weights);
   - segment: the journey MIS of the accounts of one segment. A single segment's roll-ups do
     not depend on its own segment multiplier (multipliers weigh segments against each
     other), so ``score("moment", by="segment")`` rows are weighted by ``a_i`` only.

   For one account (``level="account"``) the stage and journey MIS are the same weighted means
   over its own moments (weights ``W_m`` of its segment). ``coverage`` of any roll-up is the
   observed signal weight over the total signal weight, summed over the accounts (weighted
   ``v_i``) and moments in scope; ``n_accounts`` counts the accounts with at least one signal
   observed in scope and a roll-up weight above 0. Every MIS is clipped to [0, 100].
5. **Contributions**: the points of each signal, summing to the MIS of the roll-up.
6. **Status**: green when ``mis >= green``, amber when ``mis >= amber``, else red (thresholds
   of the moment or stage; the journey, segments and accounts use the journey's own ``green`` / ``amber``, by
   default :data:`JOURNEY_GREEN` / :data:`JOURNEY_AMBER`); ``null`` when there is no MIS.

**The fast path.** Scores are computed once into an account x signal matrix (float64, NaN =
missing). Per moment, accounts are grouped by (segment, presence pattern of the moment's
signals) and the engine keeps ``S[g, p, j] = sum a_i score_ij`` and ``A[g, p] = sum a_i``.
Within one pattern, a moment's MIS is linear in the scores, so every roll-up and contribution
after a change of category, signal or segment weights, segment multipliers or missing policy
is computed from these small arrays without touching accounts (well under a millisecond of
arithmetic at any number of accounts). A change of role multipliers recomputes the affected
values (one pass over account x signal x role), re-normalises and rebuilds the sums. The
account level is computed only when asked (``level="account"``, e.g. ``top=20``).
:func:`score_reference` is the straightforward full recompute in polars (tests and benchmarks
check that both agree to 1e-9).

Example:
    >>> import polars as pl
    >>> from cxwidgets.journey import Journey
    >>> from cxwidgets.signals import SignalTable
    >>> from cxwidgets.mis import MISModel
    >>> j = (Journey.empty("Demo").add_stage("Onboard")
    ...      .add_moment("Onboard", "Kickoff", signals=[{"name": "CSAT", "category": "experience",
    ...          "source": {"table": "responses", "metric": "csat"}, "floor": 3, "target": 5}]))
    >>> table = SignalTable(
    ...     observations=pl.DataFrame({"account_id": ["a", "b"], "moment": ["Kickoff"] * 2,
    ...         "signal": ["CSAT"] * 2, "role": [None, None], "total": [4.0, 5.0], "n": [1, 1]}),
    ...     accounts=pl.DataFrame({"account_id": ["a", "b"], "segment": ["smb", "smb"], "arr": [1.0, 2.0]}))
    >>> model = MISModel(j, table)
    >>> model.score("moment")["mis"].to_list()
    [75.0]
    >>> model.arr_weighting = True
    >>> round(model.score("journey")["mis"][0], 4)
    83.3333
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Literal

import numpy as np
import polars as pl
from pydantic import ValidationError

from cxwidgets._util.text import did_you_mean, short
from cxwidgets.errors import CXDataError
from cxwidgets.journey import CATEGORIES, Journey, MISSettings, Signal, check_weight, signal_key
from cxwidgets.normalise import DEFAULT_NORMALISER, normalise
from cxwidgets.signals import NO_SEGMENT, SignalTable

__all__ = [
    "JOURNEY_AMBER",
    "JOURNEY_GREEN",
    "LEVELS",
    "MISModel",
    "MISSING_POLICIES",
    "contributions_reference",
    "reference_rollups",
    "score_reference",
    "status_of",
]

#: Levels of :meth:`MISModel.score`.
LEVELS: tuple[str, ...] = ("moment", "stage", "segment", "journey", "account")

#: Missing-data policies (DESIGN.md step 3).
MISSING_POLICIES: tuple[str, ...] = ("renormalise", "floor", "impute")

#: Gates of the journey (and of each segment's journey MIS): the journey spec has none, so the
#: defaults of a moment and a stage are used.
JOURNEY_GREEN: float = 75.0  # the default of Journey.green
JOURNEY_AMBER: float = 50.0  # the default of Journey.amber

# a MIS within this distance below a threshold meets it: float noise must not flip a status
_TOL = 1e-9
# decimals to which MIS are compared when ranking accounts (top=N): closer ones tie
_TIE_DECIMALS = 9
_ALL = "(all)"

Level = Literal["moment", "stage", "segment", "journey", "account"]


def status_of(mis: float | None, green: float, amber: float) -> str | None:
    """``"green"`` if ``mis >= green``, ``"amber"`` if ``mis >= amber``, else ``"red"``
    (``None`` when there is no MIS). A MIS within 1e-9 below a threshold meets it.

    Example:
        >>> from cxwidgets.mis import status_of
        >>> status_of(80, 75, 50), status_of(60, 75, 50), status_of(10, 75, 50), status_of(None, 75, 50)
        ('green', 'amber', 'red', None)
    """
    if mis is None or (isinstance(mis, float) and math.isnan(mis)):
        return None
    if mis >= green - _TOL:
        return "green"
    if mis >= amber - _TOL:
        return "amber"
    return "red"


def _status_array(mis: np.ndarray, green: np.ndarray | float, amber: np.ndarray | float) -> np.ndarray:
    out = np.where(mis >= np.asarray(green) - _TOL, "green", np.where(mis >= np.asarray(amber) - _TOL, "amber", "red"))
    out = out.astype(object)
    out[np.isnan(mis)] = None
    return out


def _check_level(level: str, allowed: tuple[str, ...] = LEVELS) -> str:
    if level not in allowed:
        raise ValueError(f"unknown level {level!r}{did_you_mean(level, list(allowed))}; use one of {', '.join(allowed)}")
    return level


def _check_by(level: str, by: str | None) -> str | None:
    if level == "account":
        if by not in (None, "journey", "stage", "moment"):
            raise ValueError(
                f"level='account' takes by=None (journey MIS per account), 'stage' or 'moment' (one row per account "
                f"x stage / moment), got by={by!r}"
            )
        return None if by == "journey" else by
    if level == "segment":
        if by not in (None, "segment"):
            raise ValueError(f"level='segment' is already one row per segment; use by=None, got by={by!r}")
        return None
    if by not in (None, "segment"):
        raise ValueError(f"by must be None or 'segment' for level={level!r}, got by={by!r}")
    return by


# =============================================================================================
# the journey as arrays
# =============================================================================================


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


# =============================================================================================
# input checks shared by the model and the reference
# =============================================================================================


def _accounts_and_observations(table: SignalTable) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Checked, typed copies of the table's accounts (extended, in id order, with accounts that
    have observations but no accounts row) and observations, and notes on what was added."""
    if not isinstance(table, SignalTable):
        raise TypeError(f"expected a SignalTable, got {type(table).__name__}")
    obs, acc = table.observations, table.accounts
    need_obs = ["account_id", "moment", "signal", "total", "n"]
    for col in need_obs:
        if col not in obs.columns:
            raise CXDataError(
                f"required column {col!r} is missing",
                table="signals",
                column=col,
                fix=f"observations need {', '.join(need_obs)} (and optionally role); build them with cxwidgets.bind",
            )
    if "account_id" not in acc.columns:
        raise CXDataError(
            "required column 'account_id' is missing", table="accounts", column="account_id",
            fix="the accounts frame needs account_id (and optionally segment, arr)",
        )
    acc = acc.select(
        pl.col("account_id").cast(pl.String),
        (pl.col("segment").cast(pl.String) if "segment" in acc.columns else pl.lit(None, pl.String))
        .fill_null(NO_SEGMENT)
        .alias("segment"),
        (pl.col("arr").cast(pl.Float64) if "arr" in acc.columns else pl.lit(None, pl.Float64)).alias("arr"),
    )
    if acc["account_id"].null_count():
        raise CXDataError("account_id has nulls", table="accounts", column="account_id", fix="give every account an id")
    dup = acc.filter(pl.col("account_id").is_duplicated())["account_id"].unique(maintain_order=True)
    if dup.len():
        raise CXDataError(
            f"{dup.len()} account ids appear more than once", table="accounts", column="account_id",
            rows=dup.head(5).to_list(), fix="keep one row per account",
        )
    arr = acc["arr"].to_numpy()
    if np.isinf(arr).any() if arr.size else False:
        raise CXDataError("arr has infinite values", table="accounts", column="arr", fix="use a finite ARR or null")
    obs = obs.select(
        pl.col("account_id").cast(pl.String),
        pl.col("moment").cast(pl.String),
        pl.col("signal").cast(pl.String),
        (pl.col("role").cast(pl.String) if "role" in obs.columns else pl.lit(None, pl.String)).alias("role"),
        pl.col("total").cast(pl.Float64),
        pl.col("n").cast(pl.Float64),
    )
    notes: list[str] = []
    if acc.height:  # the one key rule (cxwidgets.keys): ids spelled two ways (1 vs 'ACC-001') are an error
        from cxwidgets.keys import check_keys

        check_keys(obs.get_column("account_id"), acc.get_column("account_id"), table="signals",
                   against="the SignalTable's accounts", only_if_explained=True)
    extra = (
        obs.lazy().select("account_id").join(acc.lazy().select("account_id"), on="account_id", how="anti")
        .unique().drop_nulls().sort("account_id").collect()
    )
    if extra.height:
        notes.append(
            f"{extra.height:,} accounts have observations but no row in the accounts table; they are scored with "
            f"segment {NO_SEGMENT!r} and no ARR (e.g. {', '.join(extra['account_id'].head(3).to_list())})"
        )
        acc = pl.concat(
            [acc, extra.with_columns(pl.lit(NO_SEGMENT).alias("segment"), pl.lit(None, pl.Float64).alias("arr"))]
        )
    return acc, obs, notes


def _validated_settings(base: MISSettings, changes: Mapping[str, Any]) -> MISSettings:
    data = base.model_dump()
    data.update(changes)
    try:
        return MISSettings.model_validate(data)
    except ValidationError as err:
        msgs = []
        for e in err.errors(include_url=False):
            msg = str(e.get("msg", ""))
            for prefix in ("Value error, ", "Assertion failed, "):
                if msg.startswith(prefix):
                    msg = msg[len(prefix) :]
            loc = ".".join(str(p) for p in e.get("loc", ()))
            msgs.append(f"{loc}: {msg}" if loc and not msg.startswith(loc.split(".")[0]) else msg)
        raise ValueError("invalid MIS settings: " + "; ".join(msgs)) from None


# =============================================================================================
# the model
# =============================================================================================


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


def _ro(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(mapping))


class MISModel:
    """Moment Impact Scores of a journey on data, with tunable weights and multipliers.

    Args:
        journey: the :class:`~cxwidgets.journey.Journey` (its ``mis`` settings are the starting
            point; :meth:`reset` returns to them).
        data: a :class:`~cxwidgets.signals.SignalTable`, ``None`` (no data: a workshop journey;
            every MIS is null), or anything ``cxwidgets.binding.bind(journey, data)`` accepts.
        as_of: passed to ``bind``; also the default ``as_of`` of :meth:`alerts` (else the
            data's own ``as_of`` attribute, if it has one, else now).
        progress: passed to ``bind`` (``None``: a one-line progress in a notebook when binding
            takes more than a few seconds; ``False``: never).

    Tunable attributes (set them directly, or several at once with :meth:`set`; each is
    validated, and a bad value leaves the model unchanged): ``category_weights``,
    ``signal_weights`` ("Moment/Signal" -> weight; keys not given take the journey's weight),
    ``role_multipliers``, ``segment_multipliers``, ``segment_weights``, ``missing``,
    ``arr_weighting``. Getters return read-only mappings: assign a new mapping to change one
    (``model.signal_weights = {**model.signal_weights, key: 2.0}``).

    Example:
        >>> from cxwidgets.journey import Journey
        >>> from cxwidgets.mis import MISModel
        >>> model = MISModel(Journey.template("saas"), None)  # no data yet: a workshop
        >>> model.score("stage")["mis"].null_count()
        6
        >>> model.set(category_weights={"experience": 2.0}, missing="floor")
        >>> model.config().missing
        'floor'
    """

    def __init__(
        self, journey: Journey, data: Any = None, *, as_of: datetime | date | None = None, progress: Any = None
    ) -> None:
        if not isinstance(journey, Journey):
            raise TypeError(f"MISModel needs a cxwidgets Journey, got {type(journey).__name__}")
        if data is None:
            table = SignalTable(
                observations=pl.DataFrame(
                    schema={"account_id": pl.String, "moment": pl.String, "signal": pl.String, "role": pl.String,
                            "total": pl.Float64, "n": pl.Int64}
                ),
                accounts=pl.DataFrame(schema={"account_id": pl.String, "segment": pl.String, "arr": pl.Float64}),
            )
        elif isinstance(data, SignalTable):
            table = data
        else:
            try:
                from cxwidgets.binding import bind
            except ImportError as err:  # pragma: no cover - binding.py is written separately
                raise TypeError(
                    f"MISModel: data is a {type(data).__name__}, not a SignalTable, and cxwidgets.binding is not "
                    f"available to bind it ({err}); pass a SignalTable"
                ) from None
            table = bind(journey, data, as_of=as_of, progress=progress)
        self.journey: Journey = journey
        self.table: SignalTable = table
        #: the accounts table of the data bound (every column, e.g. churned / renewed), or None:
        #: lets ``ThresholdTuner(model, outcome="churned")`` find an outcome column by name
        self.accounts: pl.DataFrame | None = _accounts_table(data)
        self.as_of = as_of if as_of is not None else getattr(data, "as_of", None)
        self._spec = _Spec.of(journey)
        self.notes: list[str] = list(table.notes)
        self._prepare(table)
        self._apply(self._journey_state(), initial=True)

    # ---- preparation -------------------------------------------------------------------------

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
                flat[cells[ok]] = normalise(v[ok], sig, getattr(sig, "normaliser", None) or DEFAULT_NORMALISER)

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

    # ---- settings ----------------------------------------------------------------------------

    def _journey_state(self) -> dict[str, Any]:
        mis = self.journey.mis
        return {
            "category_weights": dict(mis.category_weights),
            "signal_weights": dict(zip(self._spec.keys, self._spec.base_weight.tolist(), strict=True)),
            "role_multipliers": dict(mis.role_multipliers),
            "segment_multipliers": dict(mis.segment_multipliers),
            "segment_weights": {s: dict(w) for s, w in mis.segment_weights.items()},
            "missing": mis.missing,
            "arr_weighting": mis.arr_weighting,
        }

    _FIELDS = (
        "category_weights",
        "signal_weights",
        "role_multipliers",
        "segment_multipliers",
        "segment_weights",
        "missing",
        "arr_weighting",
    )

    def _check_signal_weights(self, weights: Mapping[str, Any]) -> dict[str, float]:
        if not isinstance(weights, Mapping):
            raise ValueError(f"signal_weights must be a mapping 'Moment/Signal' -> weight, got {type(weights).__name__}")
        keys = self._spec.keys
        out = dict(zip(keys, self._spec.base_weight.tolist(), strict=True))
        current = getattr(self, "_sigw", out)
        for key, w in weights.items():
            if key not in out:
                raise ValueError(
                    f"signal_weights: unknown signal key {short(key)}{did_you_mean(key, keys)}; keys are "
                    f"'Moment name/Signal name', e.g. {keys[0]!r}" if keys else
                    f"signal_weights: unknown signal key {short(key)}; this journey has no signals"
                )
            what = f"signal_weights[{short(key)}]"
            if _is_number(w) and float(w) == current.get(key):  # unchanged: already checked
                out[key] = float(w)
            else:
                out[key] = _signal_weight(w, what)
        for m, js in enumerate(self._spec.moment_signals):
            if js.size and all(out[keys[j]] == 0 for j in js):
                raise ValueError(
                    f"signal_weights: every signal of moment {self._spec.moment_names[m]!r} has weight 0, so the "
                    "moment cannot be scored; give at least one of its signals a weight above 0"
                )
        return out

    def _check_segment_weights(self, weights: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, float]]:
        if not isinstance(weights, Mapping):
            raise ValueError("segment_weights must be a mapping segment -> {'Moment/Signal': weight}")
        keys = self._spec.keys
        out: dict[str, dict[str, float]] = {}
        for seg, ws in weights.items():
            if not isinstance(ws, Mapping):
                raise ValueError(f"segment_weights[{seg!r}] must be a mapping 'Moment/Signal' -> weight")
            for key, w in ws.items():
                if key not in keys:
                    raise ValueError(
                        f"segment_weights[{seg!r}]: unknown signal key {key!r}{did_you_mean(key, keys)}; keys are "
                        "'Moment name/Signal name' of a signal of this journey"
                    )
                out.setdefault(str(seg), {})[key] = _number(w, f"segment_weights[{short(seg)}][{short(key)}]")
            out.setdefault(str(seg), {})
        return out

    def set(self, **changes: Any) -> None:
        """Change several settings at once (validated together; nothing changes on error).

        Keys: ``category_weights``, ``signal_weights``, ``role_multipliers``,
        ``segment_multipliers``, ``segment_weights``, ``missing``, ``arr_weighting``.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> model = MISModel(Journey.template("saas"))
            >>> model.set(segment_multipliers={"enterprise": 1.5}, missing="impute")
            >>> model.missing
            'impute'
        """
        for key in changes:
            if key not in self._FIELDS:
                raise ValueError(
                    f"unknown setting {key!r}{did_you_mean(key, list(self._FIELDS))}; settings: {', '.join(self._FIELDS)}"
                )
        new = {f: getattr(self, f) for f in self._FIELDS}
        new.update(changes)
        self._apply(new)

    def _apply(self, state: Mapping[str, Any], initial: bool = False) -> None:
        sig = self._check_signal_weights(state["signal_weights"])
        segw = self._check_segment_weights(state["segment_weights"])
        base = {k: state[k] for k in ("category_weights", "role_multipliers", "segment_multipliers", "missing", "arr_weighting")}
        base["segment_weights"] = segw
        for k in ("category_weights", "role_multipliers", "segment_multipliers"):
            if not isinstance(base[k], Mapping):
                raise ValueError(f"{k} must be a mapping name -> number, got {type(base[k]).__name__}")
            base[k] = {name: _number(v, f"{k}[{short(name)}]") for name, v in base[k].items()}
        if not isinstance(base["arr_weighting"], (bool, np.bool_)):
            raise ValueError(f"arr_weighting must be True or False, got {base['arr_weighting']!r}")
        if isinstance(base["missing"], str) and base["missing"].strip().lower() not in (*MISSING_POLICIES, "renormalize"):
            raise ValueError(
                f"missing must be one of {', '.join(MISSING_POLICIES)}, got {base['missing']!r}"
                f"{did_you_mean(base['missing'], list(MISSING_POLICIES))}"
            )
        settings = _validated_settings(MISSettings(), base)
        if settings.arr_weighting:
            self._check_arr()
        self._catw = dict(settings.category_weights)
        self._sigw = sig
        self._rolem = dict(settings.role_multipliers)
        self._segm = dict(settings.segment_multipliers)
        self._segw = {s: dict(w) for s, w in settings.segment_weights.items()}
        self._missing = settings.missing
        self._arr_weighting = bool(settings.arr_weighting)
        self._refresh_role_values(self._rolem)
        self._rollup_cache: _Rollup | None = None
        self._arr_note()

    def _check_arr(self) -> None:
        arr = self._arr
        bad = np.flatnonzero(arr < 0)
        if bad.size:
            raise CXDataError(
                f"{bad.size} accounts have a negative ARR, so ARR cannot weight the roll-ups",
                table="accounts", column="arr", rows=self._account_ids.gather(bad[:5]).to_list(),
                fix="correct the ARR (or leave arr_weighting off)",
            )

    def _arr_note(self) -> None:
        self.notes = [n for n in self.notes if not n.startswith("arr_weighting:")]
        if self._arr_weighting:
            missing = int(np.isnan(self._arr).sum())
            if missing:
                self.notes.append(
                    f"arr_weighting: {missing:,} of {self._N:,} accounts have no ARR and weigh 0 in the roll-ups "
                    "(they are not counted in n_accounts)"
                )

    def reset(self) -> None:
        """Back to the journey's settings (weights, multipliers, policy).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> model = MISModel(Journey.template("saas"))
            >>> model.missing = "floor"; model.reset(); model.missing
            'renormalise'
        """
        self._apply(self._journey_state())

    def set_gates(
        self, green: float | None = None, amber: float | None = None, *, moment: str | None = None,
        stage: str | None = None,
    ) -> None:
        """Change the green/amber gates of the journey (default), a stage or a moment.

        The gates only decide status, so nothing is rescored: ``model.journey`` becomes the
        updated journey and every later :meth:`score` uses the new gates. A bad value (outside
        0-100, amber not below green, an unknown name) raises and leaves the model unchanged.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> model = MISModel(Journey.template("saas"))
            >>> model.set_gates(80, 55, moment="Onboarding Kickoff")
            >>> model.journey.moment("Onboarding Kickoff").green
            80.0
        """
        if moment is not None and stage is not None:
            raise ValueError("set_gates: give moment= or stage=, not both")
        fields = _threshold_fields("set_gates", green, amber)
        if moment is not None:
            journey = self.journey.update_moment(moment, **fields)
        elif stage is not None:
            journey = self.journey.update_stage(stage, **fields)
        else:
            journey = self.journey.with_gates(**fields)
        self._set_journey(journey)

    def set_signal_thresholds(
        self, moment: str, signal: str, green: float | None = None, amber: float | None = None
    ) -> None:
        """Change the green/amber thresholds of one signal, on the signal's raw scale.

        Like :meth:`set_gates` they decide status only, so nothing is rescored; they are part of
        the tuned state :meth:`to_journey` returns (and every widget saves). A bad value (out of
        order for the signal's direction, outside its value's range, not a number) or an unknown
        moment or signal raises and leaves the model unchanged.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> model = MISModel(Journey.template("saas"))
            >>> model.set_signal_thresholds("Demo Or Trial Setup", "Demo CES", green=2.5, amber=3.5)
            >>> model.to_journey().signal("Demo Or Trial Setup", "Demo CES").amber
            3.5
        """
        fields = _threshold_fields("set_signal_thresholds", green, amber)
        self._set_journey(self.journey.update_signal(moment, signal, **fields))

    def _set_journey(self, journey: Journey) -> None:
        """A new journey of the same structure (gates or thresholds changed): nothing to rescore."""
        spec = _Spec.of(journey)
        if spec.keys != self._spec.keys:  # pragma: no cover - gates and thresholds never rename
            raise ValueError("the journey's moments and signals changed; build a new MISModel for it")
        self.journey, self._spec = journey, spec

    # properties: plain attributes a widget can set
    @property
    def category_weights(self) -> Mapping[str, float]:
        """Weight per signal category (experience, operational, behavioral, outcome); missing -> 1.0."""
        return _ro(self._catw)

    @category_weights.setter
    def category_weights(self, value: Mapping[str, float]) -> None:
        self.set(category_weights=value)

    @property
    def signal_weights(self) -> Mapping[str, float]:
        """Signal weight per ``"Moment/Signal"`` key (assigning a partial mapping: others take the journey's)."""
        return _ro(self._sigw)

    @signal_weights.setter
    def signal_weights(self, value: Mapping[str, float]) -> None:
        self.set(signal_weights=value)

    @property
    def role_multipliers(self) -> Mapping[str, float]:
        """Weight of a survey observation by respondent role (not listed: 1.0)."""
        return _ro(self._rolem)

    @role_multipliers.setter
    def role_multipliers(self, value: Mapping[str, float]) -> None:
        self.set(role_multipliers=value)

    @property
    def segment_multipliers(self) -> Mapping[str, float]:
        """Relative weight of an account in roll-ups by segment (not listed: 1.0)."""
        return _ro(self._segm)

    @segment_multipliers.setter
    def segment_multipliers(self, value: Mapping[str, float]) -> None:
        self.set(segment_multipliers=value)

    @property
    def segment_weights(self) -> Mapping[str, Mapping[str, float]]:
        """Per segment, signal weights replacing the signal's weight for that segment's accounts."""
        return types.MappingProxyType({s: _ro(w) for s, w in self._segw.items()})

    @segment_weights.setter
    def segment_weights(self, value: Mapping[str, Mapping[str, float]]) -> None:
        self.set(segment_weights=value)

    @property
    def missing(self) -> str:
        """Missing-data policy: renormalise, floor or impute."""
        return self._missing

    @missing.setter
    def missing(self, value: str) -> None:
        self.set(missing=value)

    @property
    def arr_weighting(self) -> bool:
        """Multiply account weights in roll-ups by ARR (null ARR weighs 0)."""
        return self._arr_weighting

    @arr_weighting.setter
    def arr_weighting(self, value: bool) -> None:
        self.set(arr_weighting=value)

    @property
    def segments(self) -> list[str]:
        """The segments of the data, sorted."""
        return list(self._segments)

    @property
    def n_accounts(self) -> int:
        """Accounts in the data (including those without any observation)."""
        return self._N

    def config(self) -> MISSettings:
        """The current MIS settings (signal weights live in the journey's signals: see :meth:`to_journey`).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> MISModel(Journey.template("saas")).config().segment_multipliers["enterprise"]
            1.2
        """
        return MISSettings(
            category_weights=dict(self._catw),
            role_multipliers=dict(self._rolem),
            segment_multipliers=dict(self._segm),
            segment_weights={s: dict(w) for s, w in self._segw.items()},
            missing=self._missing,  # type: ignore[arg-type]
            arr_weighting=self._arr_weighting,
        )

    def to_journey(self) -> Journey:
        """The whole tuned state as one journey: the tuned signal weights in its signals,
        :meth:`config` as its MIS settings, and the journey, stage and moment gates and signal
        thresholds set with :meth:`set_gates` / :meth:`set_signal_thresholds`. Every widget's
        ``save`` writes this; ``MISModel(Journey.load(p), data)`` after
        ``model.to_journey().save(p)`` has the same settings and scores identically.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> model = MISModel(Journey.template("saas"))
            >>> model.signal_weights = {"Advocacy Ask/Promoter activation": 3.0}
            >>> model.to_journey().signal("Advocacy Ask", "Promoter activation").weight
            3.0
        """
        data = self.journey.model_dump()
        data["mis"] = self.config().model_dump()
        for st in data["stages"]:
            for m in st["moments"]:
                for s in m["signals"]:
                    s["weight"] = self._sigw[signal_key(m["name"], s["name"])]
        return Journey.model_validate(data)

    # ---- the fast roll-ups -------------------------------------------------------------------

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

    def account_mis(self, moment: str | None = None) -> pl.DataFrame:
        """Each account's journey MIS (or one ``moment``'s MIS): columns account_id and mis
        (null: no signal observed). The same numbers as ``score("account")`` (or its rows of
        that moment with ``by="moment"``), without building the other columns and units: what
        a distribution over a million accounts needs.

        Example:
            >>> import cxwidgets as cx
            >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(200, seed=0))
            >>> model.account_mis("Onboarding Kickoff").columns
            ['account_id', 'mis']
        """
        if moment is None:
            mis = self._account_units(None)[0][0]
        else:
            names = self._spec.moment_names
            if moment not in names:
                raise KeyError(f"account_mis: unknown moment {moment!r}{did_you_mean(moment, names)}")
            mis = self._account_units("moment")[0][names.index(moment)]
        ids = self._account_ids if self._N else pl.Series("account_id", [], pl.String)
        return pl.DataFrame({"account_id": ids, "mis": pl.Series("mis", mis, pl.Float64, nan_to_null=True)})

    def _account_frame(self, by: str | None, top: int | None) -> pl.DataFrame:
        spec = self._spec
        ids = self._account_ids
        segs = np.asarray(self._segments, dtype=object)[self._seg_codes] if self._N else np.zeros(0, dtype=object)
        mis, cov, green, amber = self._account_units(by)
        if by == "moment":
            labels = spec.moment_names
            stage_of = [spec.stage_names[s] for s in spec.moment_stage]
        else:
            labels = spec.stage_names if by == "stage" else [None]
            stage_of = None
        U, N = mis.shape
        if top is not None:
            if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0:
                raise ValueError(f"top must be a whole number >= 0, got {top!r}")
            # MIS equal to 9 decimals tie (float noise must not reorder accounts; as status_of's 1e-9)
            flat = np.round(mis.reshape(-1), _TIE_DECIMALS)
            okf = np.flatnonzero(~np.isnan(flat))
            if okf.size > top:
                thr = np.partition(flat[okf], top - 1)[top - 1] if top else -np.inf
                okf = okf[flat[okf] <= thr]
            # order: mis ascending, then account order, then unit order
            unit, acc = np.divmod(okf, N)
            order = np.lexsort((unit, acc, flat[okf]))[:top]
            unit, acc = unit[order], acc[order]
        else:
            acc = np.tile(np.arange(N), U)
            unit = np.repeat(np.arange(U), N)
            order = np.lexsort((unit, acc))
            unit, acc = unit[order], acc[order]
        mis_v = mis[unit, acc]
        g = np.broadcast_to(green, mis.shape)[unit, acc]
        a = np.broadcast_to(amber, mis.shape)[unit, acc]
        cols: dict[str, Any] = {
            "account_id": ids.gather(acc) if acc.size else pl.Series("account_id", [], pl.String),
            "segment": pl.Series("segment", segs[acc].tolist(), pl.String),
            "arr": pl.Series("arr", self._arr[acc], pl.Float64),
        }
        if by == "moment":
            cols["stage"] = pl.Series("stage", [stage_of[u] for u in unit], pl.String)  # type: ignore[index]
            cols["moment"] = pl.Series("moment", [labels[u] for u in unit], pl.String)
        elif by == "stage":
            cols["stage"] = pl.Series("stage", [labels[u] for u in unit], pl.String)
        cols["mis"] = pl.Series("mis", mis_v, pl.Float64)
        cols["coverage"] = pl.Series("coverage", cov[unit, acc], pl.Float64)
        cols["green"] = pl.Series("green", g, pl.Float64)
        cols["amber"] = pl.Series("amber", a, pl.Float64)
        cols["status"] = pl.Series("status", _status_array(mis_v, g, a).tolist(), pl.String)
        return pl.DataFrame(cols).with_columns(pl.col("arr", "mis", "coverage").fill_nan(None))

    # ---- public views ------------------------------------------------------------------------

    def score(self, level: Level = "moment", by: str | None = None, top: int | None = None) -> pl.DataFrame:
        """MIS at a level, each row with mis, coverage, n_accounts and status.

        - ``"moment"``: stage, moment, mis, coverage, n_accounts, weight (the moment's weight in
          its stage and the journey), green, amber, status; ``by="segment"`` adds a segment
          column and gives one row per segment x moment.
        - ``"stage"``: one row per stage (weight = the sum of its moments' weights); ``by="segment"``.
        - ``"journey"``: one row; ``by="segment"``: one row per segment.
        - ``"segment"``: the journey MIS of each segment (the same as ``("journey", by="segment")``
          without the journey column).
        - ``"account"``: one row per account (journey MIS), or per account x stage /
          account x moment with ``by="stage"`` / ``by="moment"``; columns account_id, segment,
          arr, mis, coverage, green, amber, status. ``top=N`` keeps the N lowest MIS (the
          at-risk list), rows without a MIS left out; computed only when asked.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> MISModel(Journey.template("saas")).score("stage").columns
            ['stage', 'mis', 'coverage', 'n_accounts', 'weight', 'green', 'amber', 'status']
        """
        _check_level(level)
        by = _check_by(level, by)
        if top is not None and level != "account":
            raise ValueError("top=N is for level='account' (the N lowest-MIS accounts)")
        if level == "account":
            return self._account_frame(by, top)
        return _frame_from_rollup(self._spec, self._rollup(), level, by)

    def contributions(self, level: Level = "moment", by: str | None = None) -> pl.DataFrame:
        """Each signal's contribution in points to the MIS of a roll-up; they sum to its ``mis``.

        One row per signal (x segment with ``by="segment"``): [segment], stage, moment, signal,
        category, weight (category x signal weight), score (mean score of the signal over the
        accounts that have it, with roll-up weights), contribution, mis (the MIS of the
        moment / stage / journey the row belongs to). Levels: moment, stage, journey, segment.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> MISModel(Journey.template("saas")).contributions("journey").height
            10
        """
        _check_level(level, ("moment", "stage", "segment", "journey"))
        by = _check_by(level, by)
        return _contrib_frame_from_rollup(self._spec, self._rollup(), level, by)

    def signal_scores(self) -> pl.DataFrame:
        """Per account, the 0-100 score of every signal (null: not observed), one column per
        ``"Moment/Signal"`` key, after normalisation and with the current role multipliers: the
        inputs of every MIS, for analysis of your own (driver analysis, fitted weights).

        Example:
            >>> import cxwidgets as cx
            >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(200, seed=0))
            >>> model.signal_scores().columns[:2]
            ['account_id', 'First Response To Inquiry/Time to first touch']
        """
        cols = {k: pl.Series(k, self._X[j], dtype=pl.Float64, nan_to_null=True) for j, k in enumerate(self._spec.keys)}
        ids = self._account_ids if self._N else pl.Series("account_id", [], pl.String)
        return pl.DataFrame({"account_id": ids, **cols})

    def gates(self, by: str | None = None) -> pl.DataFrame:
        """Stage exit gates: one row per stage with mis, coverage, n_accounts, green, amber,
        status and ``exits`` (status is green). ``by="segment"``: per segment x stage.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> MISModel(Journey.template("saas")).gates()["exits"].to_list()
            [False, False, False, False, False, False]
        """
        df = self.score("stage", by=by)
        return df.select(
            *(["segment"] if by == "segment" else []),
            "stage", "mis", "coverage", "n_accounts", "green", "amber", "status",
            (pl.col("status") == "green").fill_null(False).alias("exits"),
        )

    def alerts(self, as_of: datetime | date | None = None, by: str | None = None) -> pl.DataFrame:
        """Red and amber moments routed to their owners, worst first.

        Columns: [segment], stage, moment, owner, owner_sla, due (``as_of`` + the owner SLA; null
        without an SLA), mis, green, amber, status, coverage, n_accounts. Red rows come before
        amber rows, each by MIS ascending. ``as_of`` defaults to the model's ``as_of``, else now;
        a date means midnight UTC and a naive datetime is taken as UTC.

        Example:
            >>> from datetime import datetime, timezone
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> MISModel(Journey.template("saas")).alerts(datetime(2025, 1, 1, tzinfo=timezone.utc)).height
            0
        """
        when = _as_utc(as_of if as_of is not None else self.as_of)
        spec = self._spec
        df = self.score("moment", by=by)
        owners = pl.DataFrame(
            {
                "moment": spec.moment_names,
                "owner": spec.owners,
                "owner_sla": spec.owner_slas,
                "due": [when + s if s is not None else None for s in spec.slas],
            },
            schema={"moment": pl.String, "owner": pl.String, "owner_sla": pl.String, "due": pl.Datetime("us", "UTC")},
        )
        return (
            df.filter(pl.col("status").is_in(["red", "amber"]))
            .join(owners, on="moment", how="left")
            .sort(
                [pl.col("status").replace_strict({"red": 0, "amber": 1}, return_dtype=pl.Int8), "mis"],
                maintain_order=True,
            )
            .select(
                *(["segment"] if by == "segment" else []),
                "stage", "moment", "owner", "owner_sla", "due", "mis", "green", "amber", "status", "coverage",
                "n_accounts",
            )
        )

    def __repr__(self) -> str:
        return (
            f"MISModel({self.journey.name!r}: {self._spec.M} moments, {self._spec.J} signals, "
            f"{self._N:,} accounts, missing={self._missing!r}, arr_weighting={self._arr_weighting})"
        )

    # ---- helpers for tests and benchmarks ----------------------------------------------------

    def _score_full(self, level: Level = "moment", by: str | None = None, top: int | None = None) -> pl.DataFrame:
        """The same view by the full recompute in polars (:func:`score_reference`)."""
        return score_reference(self.to_journey(), self.table, level=level, by=by, top=top)


def _accounts_table(data: Any) -> pl.DataFrame | None:
    """The ``accounts`` table of what was bound (SaasData-like or a mapping of tables), if any."""
    if data is None or isinstance(data, SignalTable):
        return None
    raw = data.get("accounts") if isinstance(data, Mapping) else getattr(data, "accounts", None)
    if raw is None:
        return None
    try:
        from cxwidgets.frames import to_polars

        return to_polars(raw, table="accounts")
    except Exception:  # noqa: BLE001 - a convenience only: binding has validated what it needs
        return None


def _threshold_fields(op: str, green: Any, amber: Any) -> dict[str, float]:
    for k, v in (("green", green), ("amber", amber)):
        if v is not None and not _is_number(v):
            raise ValueError(f"{op}: {k} must be a number, got {short(v)} ({type(v).__name__})")
    fields = {k: float(v) for k, v in (("green", green), ("amber", amber)) if v is not None}
    if not fields:
        raise ValueError(f"{op}: give green= and/or amber= (numbers on the value's scale)")
    return fields


def _is_number(value: Any) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating))


def _number(value: Any, what: str) -> float:
    """A weight or multiplier by the journey's one rule (:func:`~cxwidgets.journey.check_weight`:
    0 or 1e-6..1e6, never a boolean, NaN or infinity), so the model refuses what a journey file
    refuses and no weight can make a MIS vanish or overflow."""
    return check_weight(value, what)


def _signal_weight(value: Any, what: str) -> float:
    """A signal weight by the journey's rule, as ``Signal.weight`` in a journey file."""
    return check_weight(value, what, "use 0 to switch the signal off, a larger number to count it more")


def _as_utc(when: datetime | date | None) -> datetime:
    if when is None:
        return datetime.now(timezone.utc)
    if isinstance(when, datetime):
        return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    if isinstance(when, date):
        return datetime(when.year, when.month, when.day, tzinfo=timezone.utc)
    raise ValueError(f"as_of must be a datetime or a date, got {type(when).__name__}")


# =============================================================================================
# frames from the roll-up arrays
# =============================================================================================


def _pop_rows(r: _Rollup, by: str | None) -> list[int]:
    return [0] if by is None else list(range(1, len(r.pops)))


def _frame_from_rollup(spec: _Spec, r: _Rollup, level: str, by: str | None) -> pl.DataFrame:
    if level == "segment":
        df = _frame_from_rollup(spec, r, "journey", "segment")
        return df.drop("journey")
    rows = _pop_rows(r, by)
    cols: dict[str, list[Any]] = {}
    if level == "moment":
        U = spec.M
        mis, cov, n, W = r.mis_m, r.cov_m, r.n_m, r.W_m
        green, amber = spec.moment_green, spec.moment_amber
        ident = {"stage": [spec.stage_names[s] for s in spec.moment_stage], "moment": spec.moment_names}
    elif level == "stage":
        U = spec.S
        mis, cov, n, W = r.mis_s, r.cov_s, r.n_s, r.W_s
        green, amber = spec.stage_green, spec.stage_amber
        ident = {"stage": spec.stage_names}
    else:
        U = 1
        mis, cov, n, W = r.mis_J[:, None], r.cov_J[:, None], r.n_J[:, None], None
        green, amber = np.array([spec.journey_green]), np.array([spec.journey_amber])
        ident = {"journey": [spec.journey_name]}
    for key, vals in ident.items():
        cols[key] = [v for _ in rows for v in vals]
    if by == "segment":
        cols["segment"] = [r.pops[p] for p in rows for _ in range(U)]
    sel = np.asarray(rows, dtype=np.int64)
    mis_v = mis[sel].reshape(-1) if sel.size else np.zeros(0)
    g = np.tile(green, len(rows))
    a = np.tile(amber, len(rows))
    data: dict[str, Any] = {k: pl.Series(k, v, pl.String) for k, v in cols.items()}
    data["mis"] = pl.Series("mis", mis_v, pl.Float64)
    data["coverage"] = pl.Series("coverage", cov[sel].reshape(-1) if sel.size else np.zeros(0), pl.Float64)
    data["n_accounts"] = pl.Series("n_accounts", np.rint(n[sel].reshape(-1)).astype(np.int64) if sel.size else [], pl.Int64)
    if W is not None:
        data["weight"] = pl.Series("weight", W[sel].reshape(-1) if sel.size else np.zeros(0), pl.Float64)
    data["green"] = pl.Series("green", g, pl.Float64)
    data["amber"] = pl.Series("amber", a, pl.Float64)
    data["status"] = pl.Series("status", _status_array(mis_v, g, a).tolist(), pl.String)
    order = [*(["segment"] if by == "segment" else []), *ident]
    rest = [c for c in data if c not in order]
    floats = ["mis", "coverage", *(["weight"] if W is not None else [])]
    return pl.DataFrame(data).select(*order, *rest).with_columns(pl.col(*floats).fill_nan(None))


def _contrib_frame_from_rollup(spec: _Spec, r: _Rollup, level: str, by: str | None) -> pl.DataFrame:
    if level == "segment":
        level, by = "journey", "segment"
    rows = _pop_rows(r, by)
    J = spec.J
    if level == "moment":
        contrib, mis = r.contrib_j, r.mis_m[:, spec.sig_moment]
    elif level == "stage":
        contrib, mis = r.contrib_s, r.mis_s[:, spec.sig_stage]
    else:
        contrib, mis = r.contrib_J, np.repeat(r.mis_J[:, None], J, axis=1)
    sel = np.asarray(rows, dtype=np.int64)
    data: dict[str, Any] = {}
    if by == "segment":
        data["segment"] = pl.Series("segment", [r.pops[p] for p in rows for _ in range(J)], pl.String)
    data["stage"] = pl.Series("stage", [spec.stage_names[s] for _ in rows for s in spec.sig_stage], pl.String)
    data["moment"] = pl.Series("moment", [spec.moment_names[m] for _ in rows for m in spec.sig_moment], pl.String)
    data["signal"] = pl.Series("signal", [s for _ in rows for s in spec.signal_names], pl.String)
    data["category"] = pl.Series("category", [CATEGORIES[c] for _ in rows for c in spec.sig_cat], pl.String)
    flat = (lambda a: a[sel].reshape(-1)) if sel.size else (lambda a: np.zeros(0))
    data["weight"] = pl.Series("weight", flat(r.weight_j), pl.Float64)
    data["score"] = pl.Series("score", flat(r.score_j), pl.Float64)
    data["contribution"] = pl.Series("contribution", flat(contrib), pl.Float64)
    data["mis"] = pl.Series("mis", flat(mis), pl.Float64)
    return pl.DataFrame(data).with_columns(pl.col("weight", "score", "contribution", "mis").fill_nan(None))


# =============================================================================================
# the full recompute, in plain polars over the account x signal long table
# =============================================================================================


class _Reference:
    """Every definition of the module docstring, written directly in polars (no shared code
    with the fast path beyond the journey's structure and the normaliser registry)."""

    def __init__(self, journey: Journey, table: SignalTable) -> None:
        self.journey = journey
        self.spec = spec = _Spec.of(journey)
        st = journey.mis
        acc, _, _ = _accounts_and_observations(table)
        catw = {c: st.category_weights.get(c, 1.0) for c in CATEGORIES}
        self.missing = st.missing
        a = (pl.col("arr").fill_null(0.0) if st.arr_weighting else pl.lit(1.0)).alias("a")
        sm = (
            pl.col("segment").replace_strict(list(st.segment_multipliers), list(st.segment_multipliers.values()),
                                             default=1.0, return_dtype=pl.Float64)
            if st.segment_multipliers else pl.lit(1.0)
        ).alias("sm")
        self.acc = acc.with_columns(a, sm).with_columns((pl.col("a") * pl.col("sm")).alias("v"))
        self.meta = pl.DataFrame(
            {
                "stage": [spec.stage_names[s] for s in spec.sig_stage],
                "moment": [spec.moment_names[m] for m in spec.sig_moment],
                "signal": spec.signal_names,
                "key": spec.keys,
                "category": [CATEGORIES[c] for c in spec.sig_cat],
                "floor": [s.floor for s in spec.signals],
                "target": [s.target for s in spec.signals],
                "normaliser": [getattr(s, "normaliser", None) or DEFAULT_NORMALISER for s in spec.signals],
                "sw": [float(s.weight) for s in spec.signals],
                "cw": [catw[CATEGORIES[c]] for c in spec.sig_cat],
            },
            schema={"stage": pl.String, "moment": pl.String, "signal": pl.String, "key": pl.String,
                    "category": pl.String, "floor": pl.Float64, "target": pl.Float64, "normaliser": pl.String,
                    "sw": pl.Float64, "cw": pl.Float64},
        )
        self.moments = pl.DataFrame(
            {"stage": [spec.stage_names[s] for s in spec.moment_stage], "moment": spec.moment_names,
             "green": spec.moment_green, "amber": spec.moment_amber, "_m": list(range(spec.M))},
            schema={"stage": pl.String, "moment": pl.String, "green": pl.Float64, "amber": pl.Float64, "_m": pl.Int64},
        )
        self.stages = pl.DataFrame(
            {"stage": spec.stage_names, "green": spec.stage_green, "amber": spec.stage_amber,
             "_s": list(range(spec.S))},
            schema={"stage": pl.String, "green": pl.Float64, "amber": pl.Float64, "_s": pl.Int64},
        )
        segments = self.acc.select("segment").unique()
        ov_rows = [(s, k, float(w)) for s, ws in st.segment_weights.items() for k, w in ws.items()]
        ov = pl.DataFrame(ov_rows, schema={"segment": pl.String, "key": pl.String, "ow": pl.Float64}, orient="row")
        # w per segment x signal
        self.segw = (
            segments.join(self.meta, how="cross")
            .join(ov, on=["segment", "key"], how="left")
            .with_columns((pl.col("cw") * pl.coalesce("ow", "sw")).alias("w"))
            .select("segment", "stage", "moment", "signal", "key", "category", "w")
        )
        self.W_sm = self.segw.group_by("segment", "moment").agg(pl.col("w").sum().alias("W"))
        vals = table.values(st.role_multipliers).select("account_id", "moment", "signal", "value")
        vals = vals.with_columns(pl.col("account_id").cast(pl.String)).join(self.meta, on=["moment", "signal"], how="inner")
        vals = self._normalise(vals)
        vals = vals.join(acc.select("account_id", "segment"), on="account_id", how="left")
        if ov.height:
            vals = vals.join(ov, on=["segment", "key"], how="left")
        else:
            vals = vals.with_columns(pl.lit(None, pl.Float64).alias("ow"))
        self.vals = vals.with_columns((pl.col("cw") * pl.coalesce("ow", "sw")).alias("w")).drop("ow")
        self._am: pl.DataFrame | None = None
        self._cells: pl.DataFrame | None = None
        self._memo: dict[tuple[str, str | None], pl.DataFrame] = {}

    def _normalise(self, vals: pl.DataFrame) -> pl.DataFrame:
        linear = (100.0 * ((pl.col("value") - pl.col("floor")) / (pl.col("target") - pl.col("floor"))).clip(0.0, 1.0))
        if (vals["normaliser"] == "linear").all():
            return vals.with_columns(linear.alias("score"))
        parts = []
        for (moment, signal), part in vals.group_by("moment", "signal"):
            sig = self.journey.signal(moment, signal)  # type: ignore[arg-type]
            scores = normalise(part["value"].to_numpy(), sig, part["normaliser"][0])  # checked, as the model's
            parts.append(part.with_columns(pl.Series("score", scores, pl.Float64)))
        return pl.concat(parts)

    def account_moments(self) -> pl.DataFrame:
        """account_id, segment, moment, mis (null: none), pw (observed weight), W; and the
        per-signal contributions in ``self._cells``."""
        if self._am is not None:
            return self._am
        v = self.vals
        am = (
            v.group_by("account_id", "segment", "moment")
            .agg((pl.col("w") * pl.col("score")).sum().alias("pnum"), pl.col("w").sum().alias("pw"))
            .join(self.W_sm, on=["segment", "moment"], how="left")
        )
        if self.missing == "impute":
            mu = v.group_by("moment", "signal").agg(pl.col("score").mean().alias("mu"))
            cells = (
                am.select("account_id", "segment", "moment")
                .join(self.segw.select("segment", "moment", "signal", "w"), on=["segment", "moment"])
                .join(v.select("account_id", "moment", "signal", "score"), on=["account_id", "moment", "signal"], how="left")
                .join(mu, on=["moment", "signal"], how="left")
                .with_columns(pl.coalesce("score", "mu").alias("s"))
                .filter(pl.col("s").is_not_null())
            )
            dens = cells.group_by("account_id", "moment").agg(
                (pl.col("w") * pl.col("s")).sum().alias("num"), pl.col("w").sum().alias("den")
            )
            am = am.join(dens, on=["account_id", "moment"], how="left")
        else:
            cells = v.select("account_id", "segment", "moment", "signal", "w", pl.col("score").alias("s"))
            den = pl.col("pw") if self.missing == "renormalise" else pl.col("W")
            am = am.with_columns(pl.col("pnum").alias("num"), den.alias("den"))
        am = am.with_columns(
            pl.when(pl.col("den") > 0).then((pl.col("num") / pl.col("den")).clip(0.0, 100.0)).alias("mis")
        )
        self._cells = cells.join(am.select("account_id", "moment", "den", "mis"), on=["account_id", "moment"]).filter(
            pl.col("mis").is_not_null()
        ).with_columns((pl.col("w") * pl.col("s") / pl.col("den")).alias("c"))
        self._am = am.select("account_id", "segment", "moment", "mis", "pw", "W")
        return self._am

    # population: None = all accounts with v; "segment" = per segment with a
    def _wcol(self, by: str | None) -> str:
        return "v" if by is None else "a"

    def moment_rollup(self, by: str | None) -> pl.DataFrame:
        if ("moment", by) not in self._memo:
            self._memo["moment", by] = self._moment_rollup(by)
        return self._memo["moment", by]

    def _moment_rollup(self, by: str | None) -> pl.DataFrame:
        am = self.account_moments()
        wc = self._wcol(by)
        keys = ["segment"] if by else []
        acc = self.acc.select("account_id", pl.col(wc).alias("x"))
        amx = am.join(acc, on="account_id")
        agg = amx.group_by(*keys, "moment").agg(
            pl.col("x").filter(pl.col("mis").is_not_null()).sum().alias("B"),
            (pl.col("x") * pl.col("mis")).filter(pl.col("mis").is_not_null()).sum().alias("NUM"),
            (pl.col("x") * pl.col("pw")).sum().alias("covnum"),
            (pl.col("x") > 0).sum().alias("n"),
        )
        # total weight: T per segment x W per segment x moment
        T = self.acc.group_by("segment").agg(pl.col("a").sum().alias("T"), pl.col("sm").first().alias("sm"))
        TW = self.W_sm.join(T, on="segment").with_columns(
            (pl.col("T") * (pl.col("sm") if by is None else pl.lit(1.0))).alias("pt")
        )
        covden = TW.group_by(*keys, "moment").agg((pl.col("pt") * pl.col("W")).sum().alias("covden"))
        base = self.segw_base()
        wm = TW.group_by(*keys, "moment").agg(
            ((pl.col("pt") * pl.col("W")).sum() / pl.col("pt").sum()).alias("Wp"), pl.col("pt").sum().alias("ptot")
        )
        grid = self.moments
        if by:
            grid = self.acc.select("segment").unique().join(grid, how="cross")
        out = (
            grid.join(agg, on=[*keys, "moment"], how="left")
            .join(covden, on=[*keys, "moment"], how="left")
            .join(wm, on=[*keys, "moment"], how="left")
            .join(base, on="moment", how="left")
            .with_columns(
                pl.when(pl.col("B") > 0).then((pl.col("NUM") / pl.col("B")).clip(0.0, 100.0)).alias("mis"),
                pl.when(pl.col("covden") > 0).then(pl.col("covnum").fill_null(0.0) / pl.col("covden")).alias("coverage"),
                pl.col("n").fill_null(0).cast(pl.Int64).alias("n_accounts"),
                pl.when(pl.col("ptot") > 0).then(pl.col("Wp")).otherwise(pl.col("Wbase")).fill_null(0.0).alias("weight"),
            )
        )
        return out.sort(*keys, "_m").select(*keys, "stage", "moment", "mis", "coverage", "n_accounts", "weight", "green", "amber")

    def segw_base(self) -> pl.DataFrame:
        return self.meta.group_by("moment").agg((pl.col("cw") * pl.col("sw")).sum().alias("Wbase"))

    def _n_in(self, by: str | None, group: list[str]) -> pl.DataFrame:
        wc = self._wcol(by)
        keys = ["segment"] if by else []
        present = (
            self.account_moments().select("account_id", "moment")
            .join(self.moments.select("moment", "stage"), on="moment")
            .join(self.acc.select("account_id", pl.col(wc).alias("x")), on="account_id")
        )
        present = present.filter(pl.col("x") > 0)
        if not group:
            present = present.with_columns(pl.lit(1).alias("_all"))
            group = ["_all"]
        return (
            present.join(self.acc.select("account_id", "segment"), on="account_id")
            .group_by(*keys, *group)
            .agg(pl.col("account_id").n_unique().cast(pl.Int64).alias("n"))
        )

    def stage_rollup(self, by: str | None) -> pl.DataFrame:
        keys = ["segment"] if by else []
        mom = self.moment_rollup(by)
        covparts = self._cov_parts(by).group_by(*keys, "stage").agg(pl.col("covnum").sum(), pl.col("covden").sum())
        agg = mom.group_by(*keys, "stage", maintain_order=True).agg(
            (pl.col("weight") * pl.col("mis")).filter(pl.col("mis").is_not_null()).sum().alias("NUM"),
            pl.col("weight").filter(pl.col("mis").is_not_null()).sum().alias("WD"),
            pl.col("weight").sum().alias("weight"),
        )
        grid = self.stages
        if by:
            grid = self.acc.select("segment").unique().join(grid, how="cross")
        n = self._n_in(by, ["stage"])
        return (
            grid.join(agg, on=[*keys, "stage"], how="left")
            .join(covparts, on=[*keys, "stage"], how="left")
            .join(n, on=[*keys, "stage"], how="left")
            .with_columns(
                pl.when(pl.col("WD") > 0).then((pl.col("NUM") / pl.col("WD")).clip(0.0, 100.0)).alias("mis"),
                pl.when(pl.col("covden") > 0).then(pl.col("covnum") / pl.col("covden")).alias("coverage"),
                pl.col("n").fill_null(0).alias("n_accounts"),
                pl.col("weight").fill_null(0.0),
            )
            .sort(*keys, "_s")
            .select(*keys, "stage", "mis", "coverage", "n_accounts", "weight", "green", "amber")
        )

    def _cov_parts(self, by: str | None) -> pl.DataFrame:
        if ("cov", by) not in self._memo:
            self._memo["cov", by] = self._cov_parts_(by)
        return self._memo["cov", by]

    def _cov_parts_(self, by: str | None) -> pl.DataFrame:
        """covnum/covden per [segment x] moment (with its stage)."""
        am = self.account_moments()
        wc = self._wcol(by)
        keys = ["segment"] if by else []
        acc = self.acc.select("account_id", pl.col(wc).alias("x"))
        num = am.join(acc, on="account_id").group_by(*keys, "moment").agg((pl.col("x") * pl.col("pw")).sum().alias("covnum"))
        T = self.acc.group_by("segment").agg(pl.col("a").sum().alias("T"), pl.col("sm").first().alias("sm"))
        den = (
            self.W_sm.join(T, on="segment")
            .with_columns((pl.col("T") * (pl.col("sm") if by is None else pl.lit(1.0)) * pl.col("W")).alias("covden"))
            .group_by(*keys, "moment")
            .agg(pl.col("covden").sum())
        )
        return (
            den.join(num, on=[*keys, "moment"], how="left")
            .with_columns(pl.col("covnum").fill_null(0.0))
            .join(self.moments.select("stage", "moment"), on="moment")
        )

    def journey_rollup(self, by: str | None) -> pl.DataFrame:
        keys = ["segment"] if by else []
        mom = self.moment_rollup(by)
        cov = self._cov_parts(by)
        cov = (cov.group_by(*keys).agg(pl.col("covnum").sum(), pl.col("covden").sum()) if keys
               else cov.select(pl.col("covnum").sum(), pl.col("covden").sum()))
        if keys:
            agg = mom.group_by(*keys).agg(
                (pl.col("weight") * pl.col("mis")).filter(pl.col("mis").is_not_null()).sum().alias("NUM"),
                pl.col("weight").filter(pl.col("mis").is_not_null()).sum().alias("WD"),
            )
            grid = self.acc.select("segment").unique()
            out = grid.join(agg, on=keys, how="left").join(cov, on=keys, how="left")
            out = out.join(self._n_in(by, []).drop("_all"), on=keys, how="left")
        else:
            agg = mom.select(
                (pl.col("weight") * pl.col("mis")).filter(pl.col("mis").is_not_null()).sum().alias("NUM"),
                pl.col("weight").filter(pl.col("mis").is_not_null()).sum().alias("WD"),
            )
            n = self._n_in(by, [])
            out = pl.concat([agg, cov, pl.DataFrame({"n": [n["n"].sum() if n.height else 0]}, schema={"n": pl.Int64})],
                            how="horizontal")
        return out.with_columns(
            pl.lit(self.spec.journey_name).alias("journey"),
            pl.when(pl.col("WD") > 0).then((pl.col("NUM") / pl.col("WD")).clip(0.0, 100.0)).alias("mis"),
            pl.when(pl.col("covden") > 0).then(pl.col("covnum") / pl.col("covden")).alias("coverage"),
            pl.col("n").fill_null(0).cast(pl.Int64).alias("n_accounts"),
            pl.lit(self.spec.journey_green).alias("green"),
            pl.lit(self.spec.journey_amber).alias("amber"),
        ).select(*keys, "journey", "mis", "coverage", "n_accounts", "green", "amber")

    def account_rollup(self, by: str | None) -> pl.DataFrame:
        am = self.account_moments()
        grid = (
            self.acc.select("account_id", "segment", "arr").with_row_index("_i")
            .join(self.moments, how="cross")
            .join(self.W_sm, on=["segment", "moment"], how="left")
            .join(am.select("account_id", "moment", "mis", "pw"), on=["account_id", "moment"], how="left")
            .with_columns(pl.col("W").fill_null(0.0), pl.col("pw").fill_null(0.0))
        )
        if by == "moment":
            out = grid.with_columns(
                pl.when(pl.col("W") > 0).then(pl.col("pw") / pl.col("W")).alias("coverage")
            ).sort("_i", "_m")
            return out.select("account_id", "segment", "arr", "stage", "moment", "mis", "coverage", "green", "amber")
        keys = ["stage"] if by == "stage" else []
        agg = grid.group_by("_i", *keys).agg(
            (pl.col("W") * pl.col("mis")).filter(pl.col("mis").is_not_null()).sum().alias("NUM"),
            pl.col("W").filter(pl.col("mis").is_not_null()).sum().alias("WD"),
            pl.col("pw").sum().alias("pw"),
            pl.col("W").sum().alias("Wt"),
        )
        base = self.acc.select("account_id", "segment", "arr").with_row_index("_i")
        if by == "stage":
            agg = base.join(self.stages, how="cross").join(agg, on=["_i", "stage"], how="left").sort("_i", "_s")
        else:
            agg = (
                base.join(agg, on="_i", how="left")
                .with_columns(pl.lit(self.spec.journey_green).alias("green"), pl.lit(self.spec.journey_amber).alias("amber"))
                .sort("_i")
            )
        return agg.with_columns(
            pl.when(pl.col("WD") > 0).then((pl.col("NUM") / pl.col("WD")).clip(0.0, 100.0)).alias("mis"),
            pl.when(pl.col("Wt") > 0).then(pl.col("pw") / pl.col("Wt")).alias("coverage"),
        ).select("account_id", "segment", "arr", *keys, "mis", "coverage", "green", "amber")

    def contributions(self, level: str, by: str | None) -> pl.DataFrame:
        if level == "segment":
            level, by = "journey", "segment"
        self.account_moments()
        cells = self._cells
        assert cells is not None
        wc = self._wcol(by)
        keys = ["segment"] if by else []
        x = self.acc.select("account_id", pl.col(wc).alias("x"))
        mom = self.moment_rollup(by)
        B = (
            self.account_moments().filter(pl.col("mis").is_not_null()).join(x, on="account_id")
            .group_by(*keys, "moment").agg(pl.col("x").sum().alias("B"))
        )
        c = (
            cells.join(x, on="account_id").group_by(*keys, "moment", "signal")
            .agg((pl.col("x") * pl.col("c")).sum().alias("CN"))
            .join(B, on=[*keys, "moment"])
            .with_columns(pl.when(pl.col("B") > 0).then(pl.col("CN") / pl.col("B")).alias("cm"))
        )
        sc = (
            self.vals.join(x, on="account_id").group_by(*keys, "moment", "signal")
            .agg((pl.col("x") * pl.col("score")).sum().alias("SN"), pl.col("x").sum().alias("SD"))
            .with_columns(pl.when(pl.col("SD") > 0).then(pl.col("SN") / pl.col("SD")).alias("score"))
        )
        T = self.acc.group_by("segment").agg(pl.col("a").sum().alias("T"), pl.col("sm").first().alias("sm"))
        wj = (
            self.segw.join(T, on="segment")
            .with_columns((pl.col("T") * (pl.col("sm") if by is None else pl.lit(1.0))).alias("pt"))
            .group_by(*keys, "moment", "signal")
            .agg(((pl.col("pt") * pl.col("w")).sum() / pl.col("pt").sum()).alias("wp"), pl.col("pt").sum().alias("ptot"))
        )
        grid = self.meta.select("stage", "moment", "signal", "category", (pl.col("cw") * pl.col("sw")).alias("wb"))
        grid = grid.with_row_index("_j")
        if by:
            grid = self.acc.select("segment").unique().sort("segment").join(grid, how="cross")
        out = (
            grid.join(c.select(*keys, "moment", "signal", "cm"), on=[*keys, "moment", "signal"], how="left")
            .join(sc.select(*keys, "moment", "signal", "score"), on=[*keys, "moment", "signal"], how="left")
            .join(wj, on=[*keys, "moment", "signal"], how="left")
            .join(mom.select(*keys, "moment", pl.col("mis").alias("mm"), pl.col("weight").alias("Wm")), on=[*keys, "moment"])
            .with_columns(
                pl.when(pl.col("ptot") > 0).then(pl.col("wp")).otherwise(pl.col("wb")).alias("weight"),
                pl.when(pl.col("mm").is_not_null()).then(pl.col("cm").fill_null(0.0)).alias("cm"),
            )
        )
        if level == "moment":
            out = out.with_columns(pl.col("cm").alias("contribution"), pl.col("mm").alias("mis"))
        else:
            unit = ["stage"] if level == "stage" else []
            roll = self.stage_rollup(by) if level == "stage" else self.journey_rollup(by)
            wd = mom.filter(pl.col("mis").is_not_null()).group_by(*keys, *unit).agg(pl.col("weight").sum().alias("WD"))
            if keys or unit:
                out = out.join(wd, on=[*keys, *unit], how="left").join(
                    roll.select(*keys, *unit, pl.col("mis").alias("rm")), on=[*keys, *unit], how="left"
                )
            else:
                out = out.with_columns(
                    pl.lit(wd["WD"][0] if wd.height else None, pl.Float64).alias("WD"),
                    pl.lit(roll["mis"][0], pl.Float64).alias("rm"),
                )
            out = out.with_columns(
                pl.when(pl.col("cm").is_not_null() & (pl.col("WD") > 0))
                .then(pl.col("cm") * pl.col("Wm") / pl.col("WD")).alias("contribution"),
                pl.col("rm").alias("mis"),
            )
        sort = ["segment", "_j"] if by else ["_j"]
        return out.sort(sort).select(*keys, "stage", "moment", "signal", "category", "weight", "score", "contribution", "mis")

    def score(self, level: str, by: str | None, top: int | None = None) -> pl.DataFrame:
        _check_level(level)
        by = _check_by(level, by)
        if level == "account":
            df = self.account_rollup(by)
            df = df.with_columns(_status_expr().alias("status"))
            if top is not None:
                df = (
                    df.with_row_index("_r").filter(pl.col("mis").is_not_null())
                    .sort(pl.col("mis").round(_TIE_DECIMALS), "_r").head(top).drop("_r")
                )
            return df
        if level == "moment":
            df = self.moment_rollup(by)
        elif level == "stage":
            df = self.stage_rollup(by)
        elif level == "journey":
            df = self.journey_rollup(by)
        else:
            df = self.journey_rollup("segment").drop("journey")
        if by or level == "segment":
            df = df.sort("segment", maintain_order=True)
        return df.with_columns(_status_expr().alias("status"))


def _status_expr() -> pl.Expr:
    return (
        pl.when(pl.col("mis").is_null()).then(None)
        .when(pl.col("mis") >= pl.col("green") - _TOL).then(pl.lit("green"))
        .when(pl.col("mis") >= pl.col("amber") - _TOL).then(pl.lit("amber"))
        .otherwise(pl.lit("red"))
    )


def score_reference(
    journey: Journey, table: SignalTable, level: Level = "moment", by: str | None = None, top: int | None = None
) -> pl.DataFrame:
    """The full recompute in plain polars: the same frame as :meth:`MISModel.score` for a model
    whose settings are ``journey``'s (``model.to_journey()``), from the raw per-role sums.

    Example:
        >>> from cxwidgets.journey import Journey
        >>> from cxwidgets.mis import MISModel, score_reference
        >>> model = MISModel(Journey.template("saas"))
        >>> score_reference(model.to_journey(), model.table, "stage").columns == model.score("stage").columns
        True
    """
    return _Reference(journey, table).score(level, by, top)


def contributions_reference(
    journey: Journey, table: SignalTable, level: Level = "moment", by: str | None = None
) -> pl.DataFrame:
    """The full recompute of :meth:`MISModel.contributions` in plain polars.

    Example:
        >>> from cxwidgets.journey import Journey
        >>> from cxwidgets.mis import contributions_reference, MISModel
        >>> model = MISModel(Journey.template("saas"))
        >>> contributions_reference(model.to_journey(), model.table, "stage").height
        10
    """
    _check_level(level, ("moment", "stage", "segment", "journey"))
    by = _check_by(level, by)
    return _Reference(journey, table).contributions(level, by)


def reference_rollups(journey: Journey, table: SignalTable) -> dict[str, pl.DataFrame]:
    """Moment, stage, segment x moment, segment and journey roll-ups by the full recompute,
    sharing one pass over the observations (what a dashboard shows after a change).

    Example:
        >>> from cxwidgets.journey import Journey
        >>> from cxwidgets.mis import reference_rollups, MISModel
        >>> model = MISModel(Journey.template("saas"))
        >>> sorted(reference_rollups(model.to_journey(), model.table))
        ['journey', 'moment', 'moment_by_segment', 'segment', 'stage']
    """
    ref = _Reference(journey, table)
    return {
        "moment": ref.score("moment", None),
        "moment_by_segment": ref.score("moment", "segment"),
        "stage": ref.score("stage", None),
        "segment": ref.score("segment", None),
        "journey": ref.score("journey", None),
    }
