"""The Moment Impact Score model: :class:`MISModel`, the public class users tune and read.

It owns the settings (weights, multipliers, missing policy, ARR weighting, gates and thresholds;
their checks and applying are :mod:`cxwidgets.mis.settings`) and the public views
(:meth:`MISModel.score`, :meth:`MISModel.contributions`, :meth:`MISModel.gates`,
:meth:`MISModel.alerts`, ...). The arithmetic is the fast path's (:mod:`cxwidgets.mis.arrays`,
:mod:`cxwidgets.mis.groups`, :mod:`cxwidgets.mis.rollups`); the tables are built by
:mod:`cxwidgets.mis.frames`; the private steps of ``by=`` slicing are :mod:`cxwidgets.mis.slices`.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

from cxwidgets._util.text import did_you_mean
from cxwidgets.journey import Journey, MISSettings
from cxwidgets.mis.arrays import _Spec
from cxwidgets.mis.checks import (
    CONTRIBUTION_COLUMNS,
    RESULT_COLUMNS,
    By,
    Level,
    _accounts_table,
    _as_utc,
    _check_by,
    _check_level,
    _signal_table,
)
from cxwidgets.mis.frames import _account_frame, _alerts_frame, _contrib_frame_from_rollup, _frame_from_rollup
from cxwidgets.mis.gates import _threshold_fields
from cxwidgets.mis.reference import score_reference
from cxwidgets.mis.settings import _ro
from cxwidgets.mis.slices import _Slices
from cxwidgets.signals import SignalTable

__all__ = ["MISModel"]


class MISModel(_Slices):
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
        table = _signal_table(journey, data, as_of, progress)  # data=None: an empty table (a workshop)
        self.journey: Journey = journey
        self.table: SignalTable = table
        #: the accounts table of the data bound (every column, e.g. churned / renewed), or None:
        #: lets ``ThresholdTuner(model, outcome="churned")`` find an outcome column by name
        self.accounts: pl.DataFrame | None = _accounts_table(data)
        self.as_of = as_of if as_of is not None else getattr(data, "as_of", None)
        self._spec = _Spec.of(journey)
        self.notes: list[str] = list(table.notes)
        self._segment_column = journey.mis.segment_column
        self._prepare(table)
        self._apply(self._journey_state(), initial=True)

    # ---- settings ----------------------------------------------------------------------------

    def set(self, **changes: Any) -> None:
        """Change several settings at once (validated together; nothing changes on error).

        Keys: ``category_weights``, ``signal_weights``, ``role_multipliers``,
        ``segment_multipliers``, ``segment_weights``, ``missing``, ``arr_weighting``,
        ``segment_column``.

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
                    f"unknown setting {key!r}{did_you_mean(key, list(self._FIELDS))}; "
                    f"settings: {', '.join(self._FIELDS)}"
                )
        new = {f: getattr(self, f) for f in self._FIELDS}
        new.update(changes)
        self._apply(new)

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
    def segment_column(self) -> str:
        """The accounts column that is "the segment" of the segment multipliers and weights
        (``MISSettings.segment_column``, default ``"segment"``). Setting it re-reads the
        segments from that column (one pass over the accounts); an unknown column raises
        ``CXDataError`` with "did you mean" and leaves the model unchanged."""
        return self._segment_column

    @segment_column.setter
    def segment_column(self, value: str) -> None:
        self.set(segment_column=value)

    @property
    def segments(self) -> list[str]:
        """The segments of the data (the labels of :attr:`segment_column`), sorted."""
        return list(self._segments)

    @property
    def dimensions(self) -> list[str]:
        """The accounts columns a "MIS by" picker offers for ``score(level, by=...)``: the
        segment column first, then, in the accounts table's order, every column of labels
        (text, categorical, boolean or whole numbers) with at most 100 distinct values
        (:data:`~cxwidgets.mis.checks.MAX_DIMENSION_VALUES`, null counted as one). Left out:
        ``account_id``, ``arr``, dates and times, fractional numbers (bin them first), and
        columns of more values (names, ids). ``by=`` itself takes any accounts column except
        ``account_id``, up to :data:`~cxwidgets.mis.checks.MAX_BY_GROUPS` groups. ``"segment"``
        always names the segment: with another :attr:`segment_column`, ``by="segment"`` is
        that column (the accounts' own ``segment`` column is then not a dimension).

        Example:
            >>> import cxwidgets as cx
            >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(200, seed=0))
            >>> model.dimensions
            ['segment', 'churned', 'expanded', 'renewed']
        """
        return self._dimension_list()

    def account_groups(self, by: str | Sequence[str]) -> pl.DataFrame:
        """Each account's group for ``by``, as :meth:`score` groups them: ``account_id`` then the
        ``by`` columns (``"segment"`` names the segment column), one row per account.

        Example:
            >>> import cxwidgets as cx
            >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(200, seed=0))
            >>> model.account_groups(["segment", "renewed"]).columns
            ['account_id', 'segment', 'renewed']
        """
        return self._account_group_frame(_check_by("journey", by))

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
            segment_column=self._segment_column,
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
        return self._tuned_journey(self.config())

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

    # ---- public views ------------------------------------------------------------------------

    def score(self, level: Level = "moment", by: By = None, top: int | None = None) -> pl.DataFrame:
        """MIS at a level, each row with mis, coverage, n_accounts and status.

        - ``"moment"``: stage, moment, mis, coverage, n_accounts, weight (the moment's weight in
          its stage and the journey), green, amber, status.
        - ``"stage"``: one row per stage (weight = the sum of its moments' weights).
        - ``"journey"``: one row.
        - ``"segment"``: the journey MIS of each segment (the same as ``("journey",
          by=model.segment_column)`` without the journey column, the column named ``segment``).
        - ``"account"``: one row per account (journey MIS), or per account x stage /
          account x moment with ``by="stage"`` / ``by="moment"``; columns account_id, segment,
          arr, mis, coverage, green, amber, status. ``top=N`` keeps the N lowest MIS (the
          at-risk list), rows without a MIS left out; computed only when asked.

        **Slicing** (moment, stage, journey): ``by`` names an accounts column, or a list of
        them (:attr:`dimensions` lists the natural ones: segment, region, plan, owner...). One
        row per group x unit: the ``by`` columns first, named as the accounts columns, in the
        order given, with their own values (the segment column: its segment labels); then the
        usual columns, with ``n_accounts`` per group and status from the unit's gates. A group
        is a combination of values that occurs among the accounts, sorted by the columns
        (null last); a null value is a group of its own, labelled null. A group whose accounts
        have no observation has mis, coverage and status null and n_accounts 0. Within a group
        accounts weigh by their segment multiplier (x ARR with ``arr_weighting``), as in the
        all-accounts roll-up; when ``by`` includes the segment column each group is one
        segment and its multiplier cancels (``by="segment"`` is unchanged). More than
        :data:`~cxwidgets.mis.checks.MAX_BY_GROUPS` (10,000) groups is refused. After the
        first call for a ``by``, a change of weights, multipliers or policy recomputes it from
        per-group sums in milliseconds at any number of accounts.

        Raises:
            CXDataError: ``by`` names a column the accounts do not have (with "did you mean"
                and the dimensions), or gives too many groups.

        Example:
            >>> import cxwidgets as cx
            >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(200, seed=0))
            >>> model.score("stage").columns
            ['stage', 'mis', 'coverage', 'n_accounts', 'weight', 'green', 'amber', 'status']
            >>> model.score("journey", by=["segment", "renewed"]).select("segment", "renewed", "n_accounts").rows()[:3]
            [('enterprise', False, 4), ('enterprise', True, 26), ('mid_market', False, 12)]
        """
        _check_level(level)
        checked = _check_by(level, by)
        if top is not None and level != "account":
            raise ValueError("top=N is for level='account' (the N lowest-MIS accounts)")
        if level == "account":
            return _account_frame(self, checked, top)
        if level == "segment":
            return self._segment_frame()
        by_cols = self._slice(checked)
        return _frame_from_rollup(self._spec, self._rollup(by_cols), level, by_cols)

    def contributions(self, level: Level = "moment", by: By = None) -> pl.DataFrame:
        """Each signal's contribution in points to the MIS of a roll-up; they sum to its ``mis``.

        One row per signal (x group with ``by``, as in :meth:`score`: the ``by`` columns first):
        stage, moment, signal, category, weight (category x signal weight), score (mean score of
        the signal over the accounts that have it, with roll-up weights), contribution, mis (the
        MIS of the moment / stage / journey the row belongs to). Levels: moment, stage, journey,
        segment (the journey per segment, the column named ``segment``).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> MISModel(Journey.template("saas")).contributions("journey").height
            10
        """
        _check_level(level, ("moment", "stage", "segment", "journey"))
        checked = _check_by(level, by)
        if level == "segment":
            return self._segment_frame(contributions=True)
        by_cols = self._slice(checked, RESULT_COLUMNS | CONTRIBUTION_COLUMNS)
        return _contrib_frame_from_rollup(self._spec, self._rollup(by_cols), level, by_cols)

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

    def gates(self, by: By = None) -> pl.DataFrame:
        """Stage exit gates: one row per stage with mis, coverage, n_accounts, green, amber,
        status and ``exits`` (status is green). ``by``: per group x stage, the ``by`` columns
        first (as in :meth:`score`).

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> MISModel(Journey.template("saas")).gates()["exits"].to_list()
            [False, False, False, False, False, False]
        """
        df = self.score("stage", by=by)
        return df.select(
            *_check_by("stage", by),
            "stage", "mis", "coverage", "n_accounts", "green", "amber", "status",
            (pl.col("status") == "green").fill_null(False).alias("exits"),
        )

    def alerts(self, as_of: datetime | date | None = None, by: By = None) -> pl.DataFrame:
        """Red and amber moments routed to their owners, worst first.

        Columns: [the ``by`` columns, as in :meth:`score`], stage, moment, owner, owner_sla, due
        (``as_of`` + the owner SLA; null without an SLA), mis, green, amber, status, coverage,
        n_accounts. Red rows come before amber rows, each by MIS ascending. ``as_of`` defaults to
        the model's ``as_of``, else now; a date means midnight UTC and a naive datetime is taken
        as UTC.

        Example:
            >>> from datetime import datetime, timezone
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.mis import MISModel
            >>> MISModel(Journey.template("saas")).alerts(datetime(2025, 1, 1, tzinfo=timezone.utc)).height
            0
        """
        when = _as_utc(as_of if as_of is not None else self.as_of)
        self._slice(_check_by("moment", by), RESULT_COLUMNS | {"owner", "owner_sla", "due"})
        return _alerts_frame(self._spec, self.score("moment", by=by), when, _check_by("moment", by))

    def __repr__(self) -> str:
        return (
            f"MISModel({self.journey.name!r}: {self._spec.M} moments, {self._spec.J} signals, "
            f"{self._N:,} accounts, missing={self._missing!r}, arr_weighting={self._arr_weighting})"
        )

    # ---- helpers for tests and benchmarks ----------------------------------------------------

    def _score_full(self, level: Level = "moment", by: By = None, top: int | None = None) -> pl.DataFrame:
        """The same view by the full recompute in polars (:func:`score_reference`)."""
        return score_reference(self.to_journey(), self.table, level=level, by=by, top=top)
