"""Threshold tuning against outcomes: where to put the green / amber / red cut-offs of the MIS,
of a moment's MIS or of a raw signal so that "red" warns of churn (or of any outcome).

The values of one *target* (``"mis"``: each account's journey MIS; a moment name: each
account's MIS at that moment; a ``"Moment/Signal"`` key: each account's raw signal value) are
**binned once** (:class:`Bins`): a count of accounts per bin, of accounts whose outcome is
known, and of outcome events. Everything after that (the accounts and outcome rate per band,
precision / recall / lift of "red" as a warning, the table of every candidate cut-off, the
suggested pair) only re-sums bins: O(bins), whatever the number of accounts.

**Thresholds move in bin steps.** A threshold is always a bin edge (a value between edges is
snapped to the nearest one). MIS targets have 100 bins of width 1 over 0..100; raw signals have
up to ``max_bins`` equal bins of a round width (1, 2, 2.5 or 5 x 10^k) over their declared
scale widened to the observed values. The journey's current thresholds are added as edges, so
they are represented exactly. Because a status is decided by ``>=`` (higher is better: green
when ``value >= green``) or ``<=`` (lower is better: green when ``value <= green``), bins are
closed on the side that meets the gate: ``[lo, hi)`` when higher is better, ``(lo, hi]`` when
lower is better, and the outermost edge on the closed side cannot be a threshold (the band
beyond it would hold only the single value at the edge). With thresholds on edges, the band
counts equal a direct per-account count exactly (the same 1e-9 tolerance as
:func:`cxwidgets.mis.status_of`).

**"Red" as a warning.** With an outcome (e.g. ``churned``) and the value that counts as the
event (``event=True``; for a good outcome such as ``renewed`` pass ``event=False`` to warn of
its absence): precision = events among red accounts / red accounts; recall = events among red
/ all events; lift = precision / base rate (the event rate of all accounts); F1 = their
harmonic mean. Accounts with a value but no outcome are counted in the bands and left out of
every rate (``n_unknown``); accounts with no value for the target are counted in
``n_missing``.

**The suggestion** (:meth:`Bins.suggest`) for a target recall ``r`` (default 0.5): the red
cut-off is the most precise one whose red band catches at least ``r`` of the events (ties: the
smaller red band); the green cut-off is the first one beyond it whose not-green band (red and
amber) catches at least ``watch_recall`` (default 0.8) of the events. On the bundled sample
data this beats the template's default gates on F1 of "red", out of sample (see the tests).

**Its evidence.** Every suggestion carries the red band's lift (outcome rate in red / overall
rate) with a 95% interval: the Katz log interval of the red-vs-rest risk ratio
(:func:`scipy.stats.contingency.relative_risk`) mapped onto the lift (:func:`lift_interval`).
Where the interval includes 1 (or the lift is below 1) the target does not separate the
outcome at this sample size: ``separates`` is False, ``note`` says so, and
``ThresholdTuner.take_suggestion`` refuses it unless ``force=True``.

An outcome's ids are checked against the model's accounts (:func:`cxwidgets.keys.check_keys`):
none or too few matching is a ``CXDataError``; a few unmatched rows are counted in ``notes``.

Example:
    >>> import numpy as np
    >>> from cxwidgets.analysis.thresholds import Bins
    >>> b = Bins.from_values(np.array([10.0, 30, 55, 60, 80, 90]), np.array([1, 1, 0, 1, 0, 0]),
    ...                      edges=np.linspace(0, 100, 11))
    >>> s = b.band_summary(green=80, amber=50)
    >>> s["red"]["n"], s["amber"]["n"], s["green"]["n"], s["recall"], s["precision"]
    (2, 2, 2, 0.6666666666666666, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from cxwidgets._util.text import did_you_mean, short
from cxwidgets.errors import CXDataError
from cxwidgets.frames import to_polars, yes_no
from cxwidgets.journey import Journey, signal_key
from cxwidgets.keys import check_keys
from cxwidgets.mis.gates import GATE_TOLERANCE

__all__ = [
    "Bins",
    "Suggestion",
    "ThresholdTarget",
    "bin_edges",
    "cutoff_table",
    "lift_interval",
    "outcome_events",
    "resolve_target",
    "suggest_thresholds",
    "target_choices",
    "target_values",
    "threshold_bins",
    "write_thresholds",
]

#: The target key of the journey-level MIS.
MIS_TARGET = "mis"
BANDS: tuple[str, ...] = ("green", "amber", "red")
_TOL = GATE_TOLERANCE  # as cxwidgets.mis.status_of: a value within 1e-9 of a gate meets it
_NICE = (1.0, 2.0, 2.5, 5.0, 10.0)

Kind = Literal["mis", "moment", "signal"]


# ---- targets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdTarget:
    """What is being tuned: the journey MIS, a moment's MIS or one raw signal.

    Attributes:
        key: ``"mis"``, the moment name, or the ``"Moment/Signal"`` key.
        kind: ``"mis"``, ``"moment"`` or ``"signal"``.
        label: a short text for a menu ("Journey MIS", "Moment MIS: Onboarding Kickoff", ...).
        higher_is_better: the direction (False for a signal whose floor is above its target).
        green, amber: the journey's current thresholds (``None`` where a signal has none).
        scale: the value's known range (0..100 for MIS), ``None`` when unknown.
        strict: gates must have amber strictly below green (MIS gates); signals allow equal.
        unit: the unit to show next to numbers ("" for MIS).
    """

    key: str
    kind: Kind
    label: str
    higher_is_better: bool = True
    green: float | None = None
    amber: float | None = None
    scale: tuple[float, float] | None = None
    strict: bool = True
    unit: str = ""
    moment: str | None = None
    signal: str | None = None


def target_choices(journey: Journey) -> list[ThresholdTarget]:
    """Every target of a journey: the journey MIS, each moment's MIS, each signal (raw scale).

    Example:
        >>> from cxwidgets.journey import Journey
        >>> [t.key for t in target_choices(Journey.template("saas"))][:3]
        ['mis', 'First Response To Inquiry', 'Demo Or Trial Setup']
    """
    out = [resolve_target(journey, MIS_TARGET)]
    out += [resolve_target(journey, name) for name in journey.moment_names()]
    for stage in journey.stages:
        for m in stage.moments:
            out += [resolve_target(journey, signal_key(m.name, s.name)) for s in m.signals]
    return out


def resolve_target(journey: Journey, target: str) -> ThresholdTarget:
    """The :class:`ThresholdTarget` named by ``target``: ``"mis"``, a moment name or a
    ``"Moment/Signal"`` key. An unknown name raises ``ValueError`` listing the choices.

    Example:
        >>> from cxwidgets.journey import Journey
        >>> t = resolve_target(Journey.template("saas"), "Demo Or Trial Setup/Demo CES")
        >>> t.kind, t.higher_is_better, t.green, t.amber
        ('signal', False, 2.0, 3.0)
    """
    if not isinstance(target, str) or not target.strip():
        raise ValueError(
            f"target must be 'mis', a moment name or a 'Moment/Signal' key, got {target!r}"
        )
    if target.strip().lower() == MIS_TARGET:
        return ThresholdTarget(
            MIS_TARGET, "mis", "Journey MIS (per account)", True, float(journey.green), float(journey.amber),
            (0.0, 100.0), True, "",
        )
    names = journey.moment_names()
    if target in names:
        m = journey.moment(target)
        return ThresholdTarget(
            target, "moment", f"Moment MIS: {target}", True, float(m.green), float(m.amber), (0.0, 100.0), True, "",
            moment=target,
        )
    keys = {signal_key(m.name, s.name): (m.name, s) for st in journey.stages for m in st.moments for s in m.signals}
    if target in keys:
        moment, s = keys[target]
        unit = s.source.resolved_unit or ""
        return ThresholdTarget(
            target, "signal", f"Signal: {moment} / {s.name}", not s.lower_is_better,
            None if s.green is None else float(s.green), None if s.amber is None else float(s.amber),
            s.source.value_range(), False, "" if unit == "share" else unit, moment=moment, signal=s.name,
        )
    hint = did_you_mean(target, [MIS_TARGET, *names, *keys])
    raise ValueError(
        f"unknown target {short(target)}{hint}; use 'mis', a moment name ({', '.join(map(repr, names[:4]))}"
        f"{', ...' if len(names) > 4 else ''}) or a 'Moment/Signal' key such as {next(iter(keys), 'Moment/Signal')!r}"
    )


def write_thresholds(journey: Journey, target: ThresholdTarget | str, green: float, amber: float) -> Journey:
    """The journey with the thresholds of ``target`` set: the journey gates (``with_gates``),
    a moment's gates (``update_moment``) or a signal's raw-scale thresholds (``update_signal``).
    Raises :class:`~cxwidgets.journey.JourneyError` when the journey rejects them.

    Example:
        >>> from cxwidgets.journey import Journey
        >>> write_thresholds(Journey.template("saas"), "mis", 72, 58).green
        72.0
    """
    t = resolve_target(journey, target) if isinstance(target, str) else target
    g, a = float(green), float(amber)
    if t.kind == "mis":
        return journey.with_gates(green=g, amber=a)
    if t.kind == "moment":
        return journey.update_moment(t.key, green=g, amber=a)
    assert t.moment is not None and t.signal is not None
    return journey.update_signal(t.moment, t.signal, green=g, amber=a)


def target_values(model: Any, target: ThresholdTarget | str) -> pl.DataFrame:
    """One row per account of the model: ``account_id`` and ``value`` (null where the account
    has no value for the target), from ``model.account_mis()`` (the journey MIS or a moment's)
    or ``model.table.values(...)`` (a signal).

    Example:
        >>> import cxwidgets as cx
        >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(200, seed=1))
        >>> target_values(model, "mis").columns
        ['account_id', 'value']
    """
    t = resolve_target(model.journey, target) if isinstance(target, str) else target
    if t.kind in ("mis", "moment"):
        frame = model.account_mis(t.key if t.kind == "moment" else None)
        return frame.rename({"mis": "value"})
    values = model.table.values(dict(model.role_multipliers)).filter(
        (pl.col("moment") == t.moment) & (pl.col("signal") == t.signal)
    )
    accounts = model.table.accounts.select("account_id")
    return accounts.join(values.select("account_id", "value"), on="account_id", how="left")


# ---- outcomes ------------------------------------------------------------------------------------


def outcome_events(
    outcome: Any, *, accounts: Any = None, event: Any = True, table: str = "outcome"
) -> tuple[pl.DataFrame, str]:
    """The outcome as ``account_id`` and ``event`` (Boolean; null where unknown), and a label.

    ``outcome`` is a frame (polars or pandas) with ``account_id`` and one outcome column
    (Boolean or 0/1), or the name of a column of ``accounts``. ``event`` is the value that
    counts as the event ("red" warns of it): ``True`` for ``churned``; ``False`` for
    ``renewed`` (a warning of not renewing).

    Example:
        >>> import polars as pl
        >>> ev, label = outcome_events(pl.DataFrame({"account_id": ["a", "b"], "renewed": [True, None]}), event=False)
        >>> ev["event"].to_list(), label
        ([False, None], 'not renewed')
    """
    if isinstance(outcome, str):
        if accounts is None:
            raise CXDataError(
                f"outcome={outcome!r} names a column, but no table was given to find it in",
                table="accounts", column=outcome,
                fix=f"pass accounts=data.accounts (a table with account_id and {outcome!r}), or a frame as outcome=",
            )
        frame = to_polars(accounts, table="accounts")
        table, column = "accounts", outcome
        if column not in frame.columns:
            close = did_you_mean(column, frame.columns)
            raise CXDataError(
                f"no column {short(column)} (found: {', '.join(frame.columns)})", table=table, column=column,
                fix=f"use the right name{close}" if close else "name a Boolean or 0/1 column of accounts",
            )
    else:
        frame = to_polars(outcome, table=table)
        others = [c for c in frame.columns if c != "account_id"]
        if len(others) != 1:
            raise CXDataError(
                f"an outcome frame has account_id and exactly one outcome column; found {others or 'none'}",
                table=table, column=None,
                fix="select them, e.g. data.accounts.select('account_id', 'churned'), or pass outcome='churned', "
                "accounts=data.accounts",
            )
        column = others[0]
    if "account_id" not in frame.columns:
        raise CXDataError(
            f"no account_id column (found: {', '.join(frame.columns)})", table=table, column="account_id",
            fix="add the account id column (rename it to account_id) so outcomes can be matched to accounts",
        )
    frame = yes_no(frame, column, table=table)  # the one outcome reader: booleans, 0/1, yes/no text
    flag = frame[column]
    if isinstance(event, bool) or event in (0, 1):
        ev_true = bool(event)
    else:
        raise ValueError(f"event must be True or False (the outcome value that counts as the event), got {event!r}")
    ids = frame["account_id"].cast(pl.String)
    out = pl.DataFrame({"account_id": ids, "event": flag if ev_true else ~flag})
    dup = out.filter(pl.col("account_id").is_duplicated())
    if dup.height:
        raise CXDataError(
            "an account appears more than once", table=table, column="account_id",
            rows=dup["account_id"].unique(maintain_order=True).head(5).to_list(),
            fix="keep one outcome row per account",
        )
    return out, column if ev_true else f"not {column}"


# ---- bins ----------------------------------------------------------------------------------------


def _nice_step(span: float, max_bins: int) -> float:
    raw = span / max_bins
    exp = math.floor(math.log10(raw))
    for m in _NICE:
        step = m * 10.0**exp
        if span / step <= max_bins + 1e-9:
            return step
    return 10.0 ** (exp + 1)  # pragma: no cover - _NICE ends at 10


def bin_edges(
    values: np.ndarray,
    *,
    scale: tuple[float, float] | None = None,
    keep: Sequence[float | None] = (),
    max_bins: int = 100,
) -> np.ndarray:
    """Bin edges over ``scale`` widened to the finite ``values``: up to ``max_bins`` bins of a
    round width, plus the values of ``keep`` (the current thresholds) as extra edges.

    Example:
        >>> import numpy as np
        >>> bin_edges(np.array([1.0, 5.0]), scale=(1.0, 5.0), max_bins=100)[:3]
        array([1.  , 1.05, 1.1 ])
    """
    if isinstance(max_bins, bool) or not isinstance(max_bins, (int, np.integer)) or not 2 <= max_bins <= 10_000:
        raise ValueError(f"max_bins must be a whole number from 2 to 10000, got {max_bins!r}")
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    pts = [float(x) for x in keep if x is not None and math.isfinite(float(x))]
    scale_ends = [float(x) for x in scale if math.isfinite(float(x))] if scale is not None else []
    tail = _long_tail(v, pts, scale_ends)
    lo_hi = [float(v.min()), float(v.max()) if tail is None else tail[0]] if v.size else []
    lo_hi += scale_ends  # an open end (e.g. 0..inf for times) does not widen the range
    lo_hi += pts
    if not lo_hi:
        raise ValueError("no values to bin: the target has no value for any account")
    lo, hi = min(lo_hi), max(lo_hi)
    if hi - lo < 1e-12:  # one value only: a unit-wide window around it
        lo, hi = lo - 0.5, hi + 0.5
    step = _nice_step(hi - lo, max_bins)
    digits = max(0, -math.floor(math.log10(step)) + 3)
    start = math.floor(lo / step + 1e-9) * step
    n = max(1, math.ceil((hi - start) / step - 1e-9))
    edges = np.round(start + step * np.arange(n + 1), digits)
    extra = [p for p in pts if np.min(np.abs(edges - p)) > 1e-9 * max(1.0, abs(p))]
    if extra:
        edges = np.unique(np.concatenate([edges, np.asarray(extra)]))
    if tail is not None and tail[1] > edges[-1]:  # one wide last bin holds the long tail
        edges = np.append(edges, math.ceil(tail[1] * 10**digits) / 10**digits)
    return edges


def _long_tail(v: np.ndarray, pts: list[float], scale_ends: list[float]) -> tuple[float, float] | None:
    """(cap, max) when the largest values are a long tail, else None.

    Real waiting times are long-tailed (a ticket left open for weeks, a first value never
    reached): spread evenly over the whole range, almost every account would land in the first
    bin. The tail is the values above the highest of the 90th, 95th, 98th and 99th percentiles
    beyond which the range still runs on more than twice as far as below it; they share one last
    bin, so the bins that matter keep their resolution. Declared scale ends and the current
    thresholds stay inside the regular bins.
    """
    if v.size < 50:
        return None
    vmin, vmax = float(v.min()), float(v.max())
    for q in np.quantile(v, [0.99, 0.98, 0.95, 0.90]):
        cap = max([float(q), *pts, *scale_ends])
        if cap > vmin and vmax - cap > 2 * (cap - vmin):
            return cap, vmax
    return None


def _rate(num: float, den: float) -> float | None:
    return float(num) / float(den) if den > 0 else None


def lift_interval(events_red: int, known_red: int, events_rest: int, known_rest: int) -> tuple[float, float, float] | None:
    """The lift of a red band and its 95% interval, or ``None`` when one side is empty.

    **lift** = outcome rate in red / overall outcome rate (of the accounts with a known
    outcome). With ``w`` the red band's share of those accounts, ``lift = RR / (w RR + 1 - w)``
    where ``RR`` is the risk ratio red vs the rest, so lift and RR are 1 together. The interval
    is the Katz log interval of ``RR`` (:func:`scipy.stats.contingency.relative_risk`, 95%)
    mapped through that formula (``w`` held fixed); ``lift > 1`` means red warns better than
    chance, and an interval that includes 1 means the data cannot tell it from chance.

    Example:
        >>> lift, lo, hi = lift_interval(30, 100, 30, 900)
        >>> round(lift, 3), round(lo, 3), round(hi, 3)
        (5.0, 3.865, 6.135)
    """
    if known_red <= 0 or known_rest <= 0:
        return None
    from scipy.stats.contingency import relative_risk

    w = known_red / (known_red + known_rest)

    def lift_of(rr: float) -> float:
        return 1.0 / w if math.isinf(rr) else rr / (w * rr + 1.0 - w)

    res = relative_risk(int(events_red), int(known_red), int(events_rest), int(known_rest))
    ci = res.confidence_interval(confidence_level=0.95)
    rr = float(res.relative_risk)
    if math.isnan(rr):  # no event on either side
        return None
    lo, hi = float(ci.low), float(ci.high)
    lo = 0.0 if math.isnan(lo) else lo
    hi = math.inf if math.isnan(hi) else hi
    return lift_of(rr), lift_of(lo), lift_of(hi)


@dataclass(frozen=True)
class Suggestion:
    """A suggested (green, amber) pair and the evidence that its red band warns.

    ``lift`` is the outcome rate in red over the overall rate; ``lift_low`` / ``lift_high`` its
    95% interval (see :func:`lift_interval`). ``separates`` is True only when the whole interval
    is above 1; otherwise the pair is no plain suggestion: ``note`` says that the target does
    not separate the outcome at this sample size, and ``ThresholdTuner.take_suggestion``
    refuses it unless forced. ``note`` also says when the target recall could not be reached
    (the widest red band is used).
    """

    green: float
    amber: float
    target_recall: float
    watch_recall: float
    precision: float | None
    recall: float | None
    lift: float | None
    f1: float | None
    note: str = ""
    lift_low: float | None = None
    lift_high: float | None = None
    separates: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The suggestion as plain JSON data (an infinite upper bound is ``None``)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k in ("lift_low", "lift_high"):
            if isinstance(out[k], float) and not math.isfinite(out[k]):
                out[k] = None
        return out


@dataclass(frozen=True, eq=False)
class Bins:
    """A target's values binned once: per bin the accounts (``n``), those with a known outcome
    (``known``) and the outcome events (``events``). Bands, cut-offs and suggestions re-sum them.

    Attributes:
        edges: the B + 1 bin edges, increasing.
        n, known, events: per bin counts (int64, length B).
        higher_is_better: the direction: red is the low side when True, the high side when False.
        n_missing: accounts with no value for the target (not in any bin).
        n_unknown: accounts in the bins whose outcome is unknown (counted in ``n``, not in ``known``).
        has_outcome: whether an outcome was given.
        notes: what a user should know (accounts left out, outcome rows matching no account).
    """

    edges: np.ndarray
    n: np.ndarray
    known: np.ndarray
    events: np.ndarray
    higher_is_better: bool = True
    n_missing: int = 0
    has_outcome: bool = False
    notes: tuple[str, ...] = ()
    _cum: tuple[np.ndarray, np.ndarray, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        edges = np.asarray(self.edges, dtype=float)
        if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
            raise ValueError("bin edges must be at least two increasing numbers")
        cums = tuple(np.concatenate([[0], np.cumsum(np.asarray(a, dtype=np.int64))]) for a in (self.n, self.known, self.events))
        if any(c.size != edges.size for c in cums):
            raise ValueError("n, known and events need one count per bin (len(edges) - 1)")
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "_cum", cums)

    # ---- construction --------------------------------------------------------------------------

    @classmethod
    def from_values(
        cls,
        values: Any,
        events: Any = None,
        *,
        edges: Any,
        higher_is_better: bool = True,
        notes: Sequence[str] = (),
    ) -> Bins:
        """Bin per-account ``values`` (NaN / None: no value) with optional per-account
        ``events`` (True/1 event, False/0 none, None/NaN unknown). O(N log B), done once.

        Example:
            >>> import numpy as np
            >>> Bins.from_values([0.0, 1.0, 2.0, np.nan], edges=[0, 1, 2]).n.tolist()
            [1, 2]
        """
        v = np.asarray(values, dtype=float)
        edges = np.asarray(edges, dtype=float)
        B = edges.size - 1
        ok = np.isfinite(v)
        x = v[ok]
        if x.size and (x.min() < edges[0] - _TOL or x.max() > edges[-1] + _TOL):
            raise ValueError(
                f"values from {x.min():g} to {x.max():g} fall outside the bin edges {edges[0]:g}..{edges[-1]:g}; "
                "build the edges with bin_edges(values, ...)"
            )
        if higher_is_better:  # [lo, hi): a value within 1e-9 below an edge meets it
            idx = np.searchsorted(edges, x + _TOL, side="right") - 1
        else:  # (lo, hi]: a value within 1e-9 above an edge meets it
            idx = np.searchsorted(edges, x - _TOL, side="left") - 1
        idx = np.clip(idx, 0, B - 1)
        n = np.bincount(idx, minlength=B)
        if events is None:
            known = np.zeros(B, dtype=np.int64)
            ev = np.zeros(B, dtype=np.int64)
        else:
            e = np.asarray([np.nan if a is None else a for a in events] if isinstance(events, list) else events, dtype=float)
            if e.shape != v.shape:
                raise ValueError(f"events has {e.size} entries for {v.size} values: give one per account")
            e = e[ok]
            k = np.isfinite(e)
            known = np.bincount(idx[k], minlength=B)
            ev = np.bincount(idx[k & (e == 1)], minlength=B)
        return cls(
            edges, n.astype(np.int64), known.astype(np.int64), ev.astype(np.int64), bool(higher_is_better),
            int((~ok).sum()), events is not None, tuple(notes),
        )

    # ---- sizes ----------------------------------------------------------------------------------

    @property
    def n_bins(self) -> int:
        """The number of bins."""
        return int(self.edges.size - 1)

    @property
    def n_unknown(self) -> int:
        """Accounts in the bins whose outcome is unknown."""
        return int(self._cum[0][-1] - self._cum[1][-1]) if self.has_outcome else 0

    @property
    def allowed(self) -> tuple[int, int]:
        """The first and last edge index a threshold may take (see the module notes)."""
        return (0, self.n_bins - 1) if self.higher_is_better else (1, self.n_bins)

    def edge_index(self, value: float, what: str = "a threshold") -> int:
        """The index of the allowed edge nearest ``value`` (thresholds move in bin steps).

        A value off the axis (below the first edge or above the last) is refused, not moved to
        the end: ``ValueError`` naming ``what``, the value and the axis.
        """
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{what} must be a number, got {short(value)} ({type(value).__name__})")
        x = float(value)
        if not math.isfinite(x):
            raise ValueError(f"{what} must be a finite number, got {value!r}")
        first, last = float(self.edges[0]), float(self.edges[-1])
        span = max(1.0, abs(first), abs(last))
        if x < first - _TOL * span or x > last + _TOL * span:
            raise ValueError(
                f"{what} {x:g} is off the axis of this target ({first:g} to {last:g}); choose a value within it"
            )
        lo, hi = self.allowed
        k = int(np.argmin(np.abs(self.edges[lo : hi + 1] - x))) + lo
        return k

    def snap(self, value: float, what: str = "a threshold") -> float:
        """``value`` moved to the nearest allowed bin edge (off the axis: ``ValueError``).

        Example:
            >>> Bins.from_values([1.0, 9.0], edges=[0, 5, 10]).snap(4.0)
            5.0
        """
        return float(self.edges[self.edge_index(value, what)])

    # ---- sums -----------------------------------------------------------------------------------

    def _range(self, i: int, j: int) -> dict[str, Any]:
        cn, ck, ce = self._cum
        n, known, events = int(cn[j] - cn[i]), int(ck[j] - ck[i]), int(ce[j] - ce[i])
        total = int(cn[-1])
        return {
            "n": n,
            "share": _rate(n, total),
            "known": known,
            "events": events,
            "rate": _rate(events, known) if self.has_outcome else None,
        }

    def _warning(self, red: dict[str, Any]) -> dict[str, float | None]:
        ck, ce = self._cum[1][-1], self._cum[2][-1]
        base = _rate(ce, ck) if self.has_outcome else None
        precision = red["rate"]
        recall = _rate(red["events"], ce) if self.has_outcome else None
        lift = precision / base if precision is not None and base else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision is not None and recall is not None and precision + recall > 0
            else (0.0 if precision is not None and recall is not None else None)
        )
        return {"base_rate": base, "precision": precision, "recall": recall, "lift": lift, "f1": f1}

    def _red_bounds(self, k: int) -> tuple[int, int]:
        return (0, k) if self.higher_is_better else (k, self.n_bins)

    def band_summary(self, green: float, amber: float) -> dict[str, Any]:
        """Accounts, share and outcome rate per band, and precision / recall / lift / F1 of red
        as a warning, for thresholds ``green`` and ``amber`` (snapped to allowed bin edges; the
        snapped values are returned as ``green_at`` / ``amber_at``). O(1) after binning.

        Raises ``ValueError`` when the thresholds are out of order for the direction (higher is
        better: amber <= green; lower is better: amber >= green).

        Example:
            >>> b = Bins.from_values([1.0, 2, 3, 4], [1, 0, 0, 0], edges=[0, 1, 2, 3, 4, 5])
            >>> s = b.band_summary(green=3, amber=2)
            >>> s["red"]["n"], s["red"]["rate"], s["lift"]
            (1, 1.0, 4.0)
        """
        kg, ka = self.edge_index(green, "green"), self.edge_index(amber, "amber")
        if self.higher_is_better and ka > kg:
            raise ValueError(
                f"thresholds out of order: higher is better, so amber ({self.edges[ka]:g}) must not be above green "
                f"({self.edges[kg]:g}); lower amber or raise green"
            )
        if not self.higher_is_better and ka < kg:
            raise ValueError(
                f"thresholds out of order: lower is better, so amber ({self.edges[ka]:g}) must not be below green "
                f"({self.edges[kg]:g}); raise amber or lower green"
            )
        B = self.n_bins
        if self.higher_is_better:
            red, amb, grn = self._range(0, ka), self._range(ka, kg), self._range(kg, B)
        else:
            grn, amb, red = self._range(0, kg), self._range(kg, ka), self._range(ka, B)
        cn, ck, ce = self._cum
        out: dict[str, Any] = {
            "green_at": float(self.edges[kg]),
            "amber_at": float(self.edges[ka]),
            "green": grn,
            "amber": amb,
            "red": red,
            "n": int(cn[-1]),
            "known": int(ck[-1]),
            "events": int(ce[-1]),
            "n_missing": self.n_missing,
            "n_unknown": self.n_unknown,
        }
        out.update(self._warning(red))
        return out

    def cutoffs(self) -> pl.DataFrame:
        """Every allowed cut-off with the accounts, events and outcome rate below and above it,
        and precision / recall / lift / F1 of the red side (below when higher is better, above
        when lower is better) as a warning. A value equal to a cut-off meets it (is on the good
        side). O(bins).

        Example:
            >>> Bins.from_values([1.0, 2, 3], [1, 0, 0], edges=[0, 1, 2, 3, 4]).cutoffs()["precision"].to_list()
            [None, None, 1.0, 0.5]
        """
        lo, hi = self.allowed
        ks = np.arange(lo, hi + 1)
        cn, ck, ce = (c.astype(float) for c in self._cum)
        tn, tk, te = cn[-1], ck[-1], ce[-1]
        below_n, below_k, below_e = cn[ks], ck[ks], ce[ks]
        above_n, above_k, above_e = tn - below_n, tk - below_k, te - below_e
        with np.errstate(divide="ignore", invalid="ignore"):
            rate_below = np.where(below_k > 0, below_e / below_k, np.nan)
            rate_above = np.where(above_k > 0, above_e / above_k, np.nan)
            if self.higher_is_better:
                red_n, red_e, prec = below_n, below_e, rate_below
            else:
                red_n, red_e, prec = above_n, above_e, rate_above
            recall = red_e / te if te > 0 else np.full(ks.size, np.nan)
            base = te / tk if tk > 0 else np.nan
            lift = prec / base if base and base > 0 else np.full(ks.size, np.nan)
            f1 = np.where(prec + recall > 0, 2 * prec * recall / (prec + recall), 0.0)
            f1 = np.where(np.isnan(prec) | np.isnan(recall), np.nan, f1)
        if not self.has_outcome:
            nan = np.full(ks.size, np.nan)
            rate_below = rate_above = prec = recall = lift = f1 = nan
        frame = pl.DataFrame(
            {
                "cutoff": self.edges[ks],
                "n_below": below_n.astype(np.int64),
                "n_above": above_n.astype(np.int64),
                "events_below": below_e.astype(np.int64),
                "events_above": above_e.astype(np.int64),
                "rate_below": rate_below,
                "rate_above": rate_above,
                "n_red": red_n.astype(np.int64),
                "events_red": red_e.astype(np.int64),
                "precision": prec,
                "recall": recall,
                "lift": lift,
                "f1": f1,
            }
        )
        return frame.with_columns(pl.col("rate_below", "rate_above", "precision", "recall", "lift", "f1").fill_nan(None))

    def suggest(self, target_recall: float = 0.5, watch_recall: float = 0.8, *, strict: bool = True) -> Suggestion:
        """A (green, amber) pair: amber = the most precise cut-off whose red band catches at
        least ``target_recall`` of the events (ties: the smaller red band); green = the first
        cut-off beyond it whose not-green band catches at least ``watch_recall``. ``strict``:
        green and amber must differ (MIS gates). Needs an outcome with events and non-events.

        Example:
            >>> b = Bins.from_values([1.0, 2, 3, 4, 5, 6], [1, 1, 0, 1, 0, 0], edges=range(8))
            >>> s = b.suggest(target_recall=0.6, watch_recall=0.9)
            >>> s.amber, s.green, s.recall
            (3.0, 5.0, 0.6666666666666666)
        """
        for name, r in (("target_recall", target_recall), ("watch_recall", watch_recall)):
            if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 < float(r) <= 1:
                raise ValueError(f"{name} must be a share above 0 and at most 1 (e.g. 0.5), got {r!r}")
        if not self.has_outcome:
            raise ValueError("a suggestion needs an outcome: pass outcome= (e.g. churned) with the accounts")
        tk, te = int(self._cum[1][-1]), int(self._cum[2][-1])
        if te == 0 or te == tk:
            what = "no account with a known outcome has the event" if te == 0 else "every account with a known outcome has the event"
            raise ValueError(f"cannot suggest thresholds: {what}, so no cut-off separates them")
        cut = self.cutoffs()
        lo, hi = self.allowed
        ks = np.arange(lo, hi + 1)
        recall = cut["recall"].fill_null(0.0).to_numpy()
        prec = cut["precision"].fill_null(-1.0).to_numpy()
        n_red = cut["n_red"].to_numpy()
        # moving the cut-off towards "good" widens red: that is index order when higher is better
        order = np.arange(ks.size) if self.higher_is_better else np.arange(ks.size)[::-1]
        gap = 1 if strict else 0
        usable = order[:-gap] if gap else order  # leave room for green beyond amber
        note = ""
        reach = [i for i in usable if recall[i] >= float(target_recall) - 1e-12 and n_red[i] > 0]
        if reach:
            best = max(reach, key=lambda i: (prec[i], -n_red[i]))
        else:
            best = max(usable, key=lambda i: (recall[i], -n_red[i]))
            note = (
                f"no red band catches {float(target_recall):.0%} of the events; the widest one catches "
                f"{recall[best]:.0%}"
            )
        pos = int(np.nonzero(order == best)[0][0])
        beyond = order[pos + gap :]
        wide = [i for i in beyond if recall[i] >= float(watch_recall) - 1e-12]
        green_i = wide[0] if wide else beyond[-1]
        w = cut.row(int(best), named=True)
        k = int(ks[best])
        red_known = int(self._cum[1][k]) if self.higher_is_better else tk - int(self._cum[1][k])
        red_events = int(w["events_red"])
        evidence = lift_interval(red_events, red_known, te - red_events, tk - red_known)
        low, high = (evidence[1], evidence[2]) if evidence is not None else (None, None)
        separates = low is not None and low > 1.0
        if not separates:
            shown = "" if w["lift"] is None else f"its lift is {w['lift']:.2f}"
            if low is not None:
                shown += f" (95% interval {low:.3g} to {'∞' if math.isinf(high) else f'{high:.3g}'})"
            note = " ".join(filter(None, [
                f"No suggestion: this target does not separate the outcome at this sample size "
                f"({tk:,} accounts with a known outcome, {te:,} events); the best red band "
                f"(amber at {float(self.edges[k]):g}) warns no better than chance: {shown or 'no accounts in it'}.",
                note + "." if note else "",
                "Keep the current thresholds, or apply these anyway with take_suggestion(force=True).",
            ]))
        return Suggestion(
            green=float(self.edges[ks[green_i]]),
            amber=float(self.edges[k]),
            target_recall=float(target_recall),
            watch_recall=float(watch_recall),
            precision=w["precision"],
            recall=w["recall"],
            lift=w["lift"],
            f1=w["f1"],
            note=note,
            lift_low=low,
            lift_high=high,
            separates=separates,
        )

    def records(self) -> list[dict[str, Any]]:
        """The bins as plain JSON data: lo, hi, n, known, events."""
        e = self.edges.tolist()
        return [
            {"lo": e[i], "hi": e[i + 1], "n": int(self.n[i]), "known": int(self.known[i]), "events": int(self.events[i])}
            for i in range(self.n_bins)
        ]


# ---- one-call entry points ----------------------------------------------------------------------------


def threshold_bins(
    model: Any,
    target: str = MIS_TARGET,
    outcome: Any = None,
    *,
    accounts: Any = None,
    event: Any = True,
    max_bins: int = 100,
) -> tuple[Bins, ThresholdTarget, str]:
    """Bin a target of a model once, with an outcome when given. Returns the bins, the
    resolved target and the outcome's label ("" without one).

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(300, seed=1)
        >>> model = cx.MISModel(cx.Journey.template("saas"), data)
        >>> bins, t, label = threshold_bins(model, "mis", "churned", accounts=data.accounts)
        >>> int(bins.n.sum()) + bins.n_missing, bins.n_bins, label
        (300, 100, 'churned')
    """
    t = resolve_target(model.journey, target) if isinstance(target, str) else target
    vals = target_values(model, t)
    notes: list[str] = []
    label = ""
    if isinstance(outcome, str) and accounts is None:
        accounts = getattr(model, "accounts", None)  # the accounts table the model was bound from
    if outcome is not None:
        ev, label = outcome_events(outcome, accounts=accounts, event=event)
        # the one id check of every join (cxwidgets.keys): none or too few matching is an error
        overlap = check_keys(ev.get_column("account_id"), vals.get_column("account_id"), table="outcome",
                             against="the model's accounts", consequence="their outcomes are left out")
        if overlap.note:
            notes.append(overlap.note)
        vals = vals.join(ev, on="account_id", how="left")
    elif accounts is not None:
        raise ValueError("accounts= is the table an outcome column is read from: pass outcome='<column>' too")
    values = vals["value"].fill_nan(None).to_numpy().astype(float)
    n_missing = int(np.isnan(values).sum())
    if n_missing == values.size:
        raise CXDataError(
            f"no account has a value for {t.label}", table="signals", column=t.key,
            fix="check that the data binds to this moment/signal (model.table.report), or pick another target",
        )
    if n_missing:
        notes.append(f"{n_missing:,} of {values.size:,} accounts have no value for {t.label} and are left out")
    if t.kind in ("mis", "moment"):
        edges = np.arange(0.0, 101.0) if max_bins == 100 else np.linspace(0.0, 100.0, max_bins + 1)
        extra = [p for p in (t.green, t.amber) if p is not None and np.min(np.abs(edges - p)) > 1e-9]
        if extra:
            edges = np.unique(np.concatenate([edges, extra]))
    else:
        edges = bin_edges(values, scale=t.scale, keep=(t.green, t.amber), max_bins=max_bins)
    events = None
    if outcome is not None:
        e = vals["event"]
        events = np.where(e.is_null().to_numpy(), np.nan, e.fill_null(False).cast(pl.Float64).to_numpy())
        unknown = int((np.isfinite(values) & np.isnan(events)).sum())
        if unknown:
            notes.append(f"{unknown:,} accounts with a value have no known {label} outcome: counted, left out of rates")
    bins = Bins.from_values(values, events, edges=edges, higher_is_better=t.higher_is_better, notes=notes)
    return bins, t, label


def cutoff_table(
    model: Any, target: str = MIS_TARGET, outcome: Any = None, *, accounts: Any = None, event: Any = True,
    max_bins: int = 100,
) -> pl.DataFrame:
    """Every candidate cut-off of a target with the outcome rate below and above it and
    precision / recall / lift / F1 of "red" as a warning (see :meth:`Bins.cutoffs`).

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(300, seed=1)
        >>> model = cx.MISModel(cx.Journey.template("saas"), data)
        >>> cutoff_table(model, "mis", "churned", accounts=data.accounts).height
        100
    """
    bins, _, _ = threshold_bins(model, target, outcome, accounts=accounts, event=event, max_bins=max_bins)
    return bins.cutoffs()


def suggest_thresholds(
    model: Any, target: str = MIS_TARGET, outcome: Any = None, *, accounts: Any = None, event: Any = True,
    target_recall: float = 0.5, watch_recall: float = 0.8, max_bins: int = 100,
) -> Suggestion:
    """The suggested (green, amber) pair of a target for a target recall (see :meth:`Bins.suggest`).

    Example:
        >>> import cxwidgets as cx
        >>> data = cx.datasets.saas(300, seed=1)
        >>> model = cx.MISModel(cx.Journey.template("saas"), data)
        >>> s = suggest_thresholds(model, "mis", "churned", accounts=data.accounts)
        >>> s.amber < s.green and s.recall >= 0.5
        True
    """
    if outcome is None:
        raise ValueError("suggest_thresholds needs an outcome, e.g. outcome='churned', accounts=data.accounts")
    bins, t, _ = threshold_bins(model, target, outcome, accounts=accounts, event=event, max_bins=max_bins)
    return bins.suggest(target_recall, watch_recall, strict=t.strict)
