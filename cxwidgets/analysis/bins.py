"""A target's values binned once, and everything that only re-sums the bins.

The values of one target (:mod:`cxwidgets.analysis.threshold_targets`) are **binned once**
(:class:`Bins`): a count of accounts per bin, of accounts whose outcome is known, and of outcome
events. Everything after that (the accounts and outcome rate per band, precision / recall / lift
of "red" as a warning, the table of every candidate cut-off, the suggested pair of
:mod:`cxwidgets.analysis.threshold_suggestion`) only re-sums bins: O(bins), whatever the number
of accounts.

**Thresholds move in bin steps.** A threshold is always a bin edge (a value between edges is
snapped to the nearest one). MIS targets have 100 bins of width 1 over 0..100; raw signals have
up to ``max_bins`` equal bins of a round width (1, 2, 2.5 or 5 x 10^k) over their declared
scale widened to the observed values (:func:`bin_edges`). The journey's current thresholds are
added as edges, so they are represented exactly. Because a status is decided by ``>=`` (higher
is better: green when ``value >= green``) or ``<=`` (lower is better: green when
``value <= green``), bins are closed on the side that meets the gate: ``[lo, hi)`` when higher is
better, ``(lo, hi]`` when lower is better, and the outermost edge on the closed side cannot be a
threshold (the band beyond it would hold only the single value at the edge). With thresholds on
edges, the band counts equal a direct per-account count exactly (the same 1e-9 tolerance as
:func:`cxwidgets.mis.status_of`).

**"Red" as a warning.** With an outcome (e.g. ``churned``) and the value that counts as the
event: precision = events among red accounts / red accounts; recall = events among red / all
events; lift = precision / base rate (the event rate of all accounts); F1 = their harmonic mean.
Accounts with a value but no outcome are counted in the bands and left out of every rate
(``n_unknown``); accounts with no value for the target are counted in ``n_missing``.

**Per group.** Binned with a group label per account (a segment, a region: ``groups=``), the
same counts are kept per group, in one pass; ``band_summary(..., group=key)`` is then the very
same band summary over that group's accounts alone (its own base rate, precision and recall of
red), and :meth:`Bins.group_summaries` gives it for every group. A null label is a group of its
own (``None``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from cxwidgets._util.text import short
from cxwidgets.analysis.threshold_suggestion import Suggestion, suggest_pair
from cxwidgets.mis.gates import GATE_TOLERANCE

__all__ = ["BANDS", "Bins", "bin_edges"]

BANDS: tuple[str, ...] = ("green", "amber", "red")
_TOL = GATE_TOLERANCE  # as cxwidgets.mis.status_of: a value within 1e-9 of a gate meets it
_NICE = (1.0, 2.0, 2.5, 5.0, 10.0)


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


#: "no group": band_summary over every account
_ALL: Any = object()


def _group_codes(groups: Any, size: int) -> tuple[list[Any], np.ndarray]:
    """(labels in order, None last; the code of each account's label)."""
    s = groups if isinstance(groups, pl.Series) else pl.Series("g", list(groups), strict=False)
    if s.len() != size:
        raise ValueError(f"groups has {s.len()} labels for {size} values: give one per account")
    labels = s.drop_nulls().unique().sort().to_list()
    codes = (
        s.replace_strict(labels, list(range(len(labels))), default=None, return_dtype=pl.Int64)
        .fill_null(len(labels))
        .to_numpy()
    )
    if s.null_count():
        labels.append(None)
    return labels, np.asarray(codes, dtype=np.int64)


def _rate(num: float, den: float) -> float | None:
    return float(num) / float(den) if den > 0 else None


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
    #: (group label, that group's Bins over the same edges), in label order, None last; ``()``
    #: when binned without groups
    by_group: tuple[tuple[Any, Bins], ...] = ()
    _cum: tuple[np.ndarray, np.ndarray, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        edges = np.asarray(self.edges, dtype=float)
        if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
            raise ValueError("bin edges must be at least two increasing numbers")
        cums = tuple(
            np.concatenate([[0], np.cumsum(np.asarray(a, dtype=np.int64))]) for a in (self.n, self.known, self.events)
        )
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
        groups: Any = None,
    ) -> Bins:
        """Bin per-account ``values`` (NaN / None: no value) with optional per-account
        ``events`` (True/1 event, False/0 none, None/NaN unknown) and optional per-account
        ``groups`` labels (any values; None is a group of its own): the counts per group are
        kept beside the totals (:attr:`by_group`). O(N log B), done once.

        Example:
            >>> import numpy as np
            >>> Bins.from_values([0.0, 1.0, 2.0, np.nan], edges=[0, 1, 2]).n.tolist()
            [1, 2]
            >>> b = Bins.from_values([0.0, 1.0, 2.0, np.nan], edges=[0, 1, 2], groups=["x", "y", None, "x"])
            >>> [(g, sub.n.tolist(), sub.n_missing) for g, sub in b.by_group]
            [('x', [1, 0], 1), ('y', [0, 1], 0), (None, [0, 1], 0)]
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
            e = np.asarray(
                [np.nan if a is None else a for a in events] if isinstance(events, list) else events, dtype=float
            )
            if e.shape != v.shape:
                raise ValueError(f"events has {e.size} entries for {v.size} values: give one per account")
            e = e[ok]
            k = np.isfinite(e)
            known = np.bincount(idx[k], minlength=B)
            ev = np.bincount(idx[k & (e == 1)], minlength=B)
        by_group: tuple[tuple[Any, Bins], ...] = ()
        if groups is not None:
            labels, codes = _group_codes(groups, v.size)
            G = len(labels)
            c = codes[ok] * B + idx  # one flat bin per group x bin
            gn = np.bincount(c, minlength=G * B).reshape(G, B)
            if events is None:
                gk = ge = np.zeros((G, B), dtype=np.int64)
            else:
                gk = np.bincount(c[k], minlength=G * B).reshape(G, B)
                ge = np.bincount(c[k & (e == 1)], minlength=G * B).reshape(G, B)
            gmiss = np.bincount(codes[~ok], minlength=G)
            by_group = tuple(
                (label, cls(edges, gn[i].astype(np.int64), gk[i].astype(np.int64), ge[i].astype(np.int64),
                            bool(higher_is_better), int(gmiss[i]), events is not None))
                for i, label in enumerate(labels)
            )
        return cls(
            edges, n.astype(np.int64), known.astype(np.int64), ev.astype(np.int64), bool(higher_is_better),
            int((~ok).sum()), events is not None, tuple(notes), by_group,
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

    @property
    def groups(self) -> list[Any]:
        """The group labels binned with (``[]`` without groups), in label order, None last."""
        return [g for g, _ in self.by_group]

    def group(self, key: Any) -> Bins:
        """The bins of one group's accounts (same edges); ``KeyError`` naming the groups."""
        for g, sub in self.by_group:
            if g == key and (g is None) == (key is None):
                return sub
        if not self.by_group:
            raise KeyError("these bins were made without groups: bin with groups= (a label per account)")
        raise KeyError(f"no group {short(key)}; groups: {', '.join(short(g) for g in self.groups)}")

    def band_summary(self, green: float, amber: float, *, group: Any = _ALL) -> dict[str, Any]:
        """Accounts, share and outcome rate per band, and precision / recall / lift / F1 of red
        as a warning, for thresholds ``green`` and ``amber`` (snapped to allowed bin edges; the
        snapped values are returned as ``green_at`` / ``amber_at``). O(1) after binning.
        ``group=key``: the same summary over that group's accounts only (binned with
        ``groups=``): its shares, base rate, precision and recall are the group's own.

        Raises ``ValueError`` when the thresholds are out of order for the direction (higher is
        better: amber <= green; lower is better: amber >= green).

        Example:
            >>> b = Bins.from_values([1.0, 2, 3, 4], [1, 0, 0, 0], edges=[0, 1, 2, 3, 4, 5],
            ...                      groups=["a", "a", "b", "b"])
            >>> s = b.band_summary(green=3, amber=2)
            >>> s["red"]["n"], s["red"]["rate"], s["lift"]
            (1, 1.0, 4.0)
            >>> s = b.band_summary(green=3, amber=2, group="a")
            >>> s["n"], s["red"]["n"], s["amber"]["n"], s["base_rate"], s["lift"]
            (2, 1, 1, 0.5, 2.0)
        """
        if group is not _ALL:
            return self.group(group).band_summary(green, amber)
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

    def group_summaries(self, green: float, amber: float) -> list[dict[str, Any]]:
        """:meth:`band_summary` for each group, as ``{"group": label, **summary}``, in label
        order (None last). O(groups) after binning.

        Example:
            >>> b = Bins.from_values([1.0, 2, 3, 4], [1, 0, 0, 1], edges=[0, 1, 2, 3, 4, 5],
            ...                      groups=["a", "a", None, "b"])
            >>> [(s["group"], s["n"], s["red"]["n"], s["precision"]) for s in b.group_summaries(3, 2)]
            [('a', 2, 1, 1.0), ('b', 1, 0, None), (None, 1, 0, None)]
        """
        self.edge_index(green, "green"), self.edge_index(amber, "amber")  # off the axis: refused once
        return [{"group": g, **sub.band_summary(green, amber)} for g, sub in self.by_group]

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
        return frame.with_columns(
            pl.col("rate_below", "rate_above", "precision", "recall", "lift", "f1").fill_nan(None)
        )

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
        return suggest_pair(self, target_recall, watch_recall, strict=strict)

    def records(self) -> list[dict[str, Any]]:
        """The bins as plain JSON data: lo, hi, n, known, events."""
        e = self.edges.tolist()
        return [
            {
                "lo": e[i], "hi": e[i + 1], "n": int(self.n[i]), "known": int(self.known[i]),
                "events": int(self.events[i]),
            }
            for i in range(self.n_bins)
        ]

