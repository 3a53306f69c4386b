"""``ThresholdTuner``: the distribution of the MIS, of a moment's MIS or of a raw signal over
the accounts, with green / amber / red bands set by two handles on the histogram's axis; the
accounts per band and, with an outcome (churned, renewed), the outcome rate per band and the
precision / recall / lift of "red" as an early warning, with a suggested pair of thresholds.

A thin view over :mod:`cxwidgets.analysis.thresholds`: the target's values are binned once
(:class:`~cxwidgets.analysis.thresholds.Bins`); moving a band only re-sums bins (O(bins), so
instant at a million accounts). Thresholds move in bin steps: a value between edges is snapped
to the nearest edge; a value off the axis is refused. The chosen thresholds are written into
the model, which owns the one tuned state (``model.set_gates`` for the journey MIS or a
moment, ``model.set_signal_thresholds`` for a signal on its raw scale); ``.journey`` follows
``model.journey`` and :meth:`ThresholdTuner.save` writes ``model.to_journey()`` whole.

Synced traits (all JSON):

================  ======================================================================
target            ``"mis"``, a moment name or a ``"Moment/Signal"`` key (two-way; re-bins)
targets           the choices: ``[{key, label, kind}]``
bins              ``[{lo, hi, n, known, events}]`` of the current target
green, amber      the thresholds on the target's scale, on bin edges (two-way)
bands             per band (green, amber, red): n, share, known, events, rate; and n,
                  events, base_rate, precision, recall, lift, f1, n_missing, n_unknown
suggested         the suggested pair for ``target_recall``: green, amber, precision, recall,
                  lift with lift_low / lift_high (95%), separates, f1, note (``{}`` without
                  an outcome; ``{"note": why}`` when none; ``separates`` False: a note
                  says the target does not separate the outcome, and taking it needs force)
target_recall     the share of events red should catch (two-way; re-suggests)
by                a dimension (a column of the accounts: ``"segment"``, ``"region"``) to
                  show the bands per group of, or ``None``: all accounts only (two-way)
dimensions        the choices for ``by``: ``model.dimensions``
group_bands       with ``by``: per group, ``{group, **bands}`` (the same band summary over
                  that group's accounts: counts, outcome rate per band, precision and
                  recall of red); ``[]`` without
info              label, kind, higher_is_better, strict, unit, outcome, allowed edge
                  indices, notes
error             a clear message after an invalid change, ``""`` otherwise
request / ack     front end -> Python ops ``take_suggestion`` (``{force}`` optional) /
                  ``reset`` / ``set`` (``{green, amber}``, both required), answered with
                  ``{id, ok, error}``
================  ======================================================================

Example:
    >>> import cxwidgets as cx
    >>> from cxwidgets.widgets import ThresholdTuner
    >>> data = cx.datasets.saas(300, seed=1)
    >>> tuner = ThresholdTuner(cx.MISModel(cx.Journey.template("saas"), data), outcome="churned",
    ...                        accounts=data.accounts)
    >>> tuner
    ThresholdTuner(target='mis', green=75.0, amber=50.0, bins=100, outcome='churned')
    >>> tuner.amber = 60
    >>> tuner.journey.amber, tuner.bands["red"]["n"] > 0
    (60.0, True)
    >>> tuner.amber = 90  # above green: a message, and the last good state is kept
    >>> tuner.amber, tuner.error.startswith("thresholds out of order")
    (60.0, True)
    >>> tuner.by = "segment"  # the bands of each segment, computed once in Python
    >>> [g["group"] for g in tuner.group_bands]
    ['enterprise', 'mid_market', 'smb']
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from cxwidgets._util.text import short
from cxwidgets.analysis.thresholds import (
    MIS_TARGET,
    Bins,
    ThresholdTarget,
    resolve_target,
    target_choices,
    threshold_bins,
)
from cxwidgets.charts import save_chart
from cxwidgets.journey import Journey
from cxwidgets.mis.gates import DEFAULT_AMBER, DEFAULT_GREEN
from cxwidgets.views import dimensions_of, group_bands, quartile_thresholds
from cxwidgets.widgets import _threshold_parts as parts
from cxwidgets.widgets._assets import join_css, join_esm
from cxwidgets.widgets._base import QuietUpdates, RefuseBadState, check_args, deprecated, message_of, serve_request
from cxwidgets.widgets._static import StaticFallback
from cxwidgets.widgets._threshold_parts import OPS
from cxwidgets.widgets.threshold_chart import threshold_chart

__all__ = ["ThresholdTuner", "threshold_chart"]

_HERE = pathlib.Path(__file__).parent
_ESM_PATH = _HERE / "threshold_tuner.js"
_CSS_PATH = _HERE / "threshold_tuner.css"
#: what the page runs and how it looks: static/prelude.js + threshold_tuner.js; the one RAG palette as
#: CSS variables + static/theme.css + threshold_tuner.css (joined here, at load time: see _assets)
_ESM = join_esm(_ESM_PATH)
_CSS = join_css(_CSS_PATH, "cxtt")


class ThresholdTuner(StaticFallback, QuietUpdates, RefuseBadState, anywidget.AnyWidget):
    """Green / amber / red thresholds tuned on the distribution of a target over the accounts,
    against an outcome when one is given.

    Args:
        model: the MIS engine (:class:`cxwidgets.mis.MISModel`): per-account MIS and signal values.
        target: ``"mis"`` (journey MIS per account), a moment name (that moment's MIS per
            account) or a ``"Moment/Signal"`` key (the raw signal value per account).
        outcome: a frame with ``account_id`` and one Boolean or 0/1 column, or the name of a
            column of ``accounts`` (e.g. ``"churned"``); ``None``: counts only.
        accounts: the table ``outcome`` names a column of (e.g. ``data.accounts``).
        event: the outcome value "red" warns of: ``True`` (churned) or ``False`` (renewed:
            warns of not renewing).
        target_recall, watch_recall: the shares of events the suggested red band, and the
            red and amber bands together, should catch.
        max_bins: bins of a raw signal (MIS targets have 100 bins of width 1).
        by: a dimension (``model.dimensions``: a column of the accounts, e.g. ``"segment"``)
            whose groups each get their band summary (``group_bands``); ``None``: all accounts.

    A bad target or outcome at construction does not raise: the tuner starts on the journey
    MIS (or without the outcome), or with no histogram when the model has no data, and
    ``error`` says why. ``TypeError`` when ``model`` is not a model.

    Example:
        >>> import cxwidgets as cx
        >>> from cxwidgets.widgets import ThresholdTuner
        >>> data = cx.datasets.saas(300, seed=1)
        >>> t = ThresholdTuner(cx.MISModel(cx.Journey.template("saas"), data), "Renewal Decision")
        >>> t.focus("Onboarding Kickoff"); t.target, t.green
        ('Onboarding Kickoff', 75.0)
    """

    _esm = _ESM
    _css = _CSS

    target = traitlets.Unicode(MIS_TARGET).tag(sync=True)
    targets = traitlets.List(traitlets.Dict()).tag(sync=True)
    bins = traitlets.List(traitlets.Dict()).tag(sync=True)
    green = traitlets.Float(DEFAULT_GREEN).tag(sync=True)
    amber = traitlets.Float(DEFAULT_AMBER).tag(sync=True)
    bands = traitlets.Dict().tag(sync=True)
    suggested = traitlets.Dict().tag(sync=True)
    target_recall = traitlets.Float(0.5).tag(sync=True)
    by = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    dimensions = traitlets.List(traitlets.Unicode()).tag(sync=True)
    group_bands = traitlets.List(traitlets.Dict()).tag(sync=True)
    info = traitlets.Dict().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    request = traitlets.Dict().tag(sync=True)
    ack = traitlets.Dict().tag(sync=True)
    #: the journey with the chosen thresholds (Python only; observe it to follow changes)
    journey = traitlets.Instance(Journey)

    def __init__(
        self,
        model: Any,
        target: str = MIS_TARGET,
        outcome: Any = None,
        *,
        accounts: Any = None,
        event: Any = True,
        target_recall: float = 0.5,
        watch_recall: float = 0.8,
        max_bins: int = 100,
        by: str | None = None,
        **kwargs: Any,
    ) -> None:
        spec = getattr(model, "journey", None)
        if not isinstance(spec, Journey) or not all(hasattr(model, a) for a in parts.MODEL_API):
            raise TypeError(
                f"ThresholdTuner needs an MIS model (cx.MISModel(journey, data)), got {type(model).__name__}"
            )
        self._model = model
        self._initial = spec
        self._watch = float(watch_recall)
        self._max_bins = int(max_bins)
        self._outcome: tuple[Any, Any, Any] | None = None
        self._cache: dict[tuple[str, str | None], tuple[Bins, ThresholdTarget, str]] = {}
        self._cache_key: Any = None
        self._bins: Bins | None = None
        self._target: ThresholdTarget | None = None
        self._label = ""
        self._good: tuple[str, float, float, str | None] = (MIS_TARGET, DEFAULT_GREEN, DEFAULT_AMBER, None)
        super().__init__(journey=spec, target_recall=float(target_recall), **kwargs)
        self.dimensions = dimensions_of(model)
        problems: list[str] = []
        if outcome is not None:
            try:
                threshold_bins(model, MIS_TARGET, outcome, accounts=accounts, event=event, max_bins=2)
            except Exception as err:  # noqa: BLE001 - shown in the widget, never as a traceback
                problems.append(f"the outcome was not used: {message_of(err)}")
            else:
                self._outcome = (outcome, accounts, event)
        elif accounts is not None:
            problems.append("accounts= was given without outcome=: name its outcome column, e.g. outcome='churned'")
        self.targets = [{"key": t.key, "label": t.label, "kind": t.kind} for t in target_choices(spec)]
        for key in dict.fromkeys([target, MIS_TARGET]):
            try:
                self._load(key)
            except Exception as err:  # noqa: BLE001 - e.g. a model with no data: a message, no histogram
                problems.append(message_of(err))
            else:
                break
        if by is not None and self._bins is not None:
            try:
                self._load(self.target, by)
            except Exception as err:  # noqa: BLE001 - shown in the widget: all accounts only
                problems.append(f"the bands are not shown by {short(by)}: {message_of(err)}")
        self.error = "\n".join(problems)

    # ---- the model and the journey -------------------------------------------------------------

    @property
    def model(self) -> Any:
        """The MIS model the values come from."""
        return self._model

    @property
    def bins_data(self) -> Bins:
        """The current target's :class:`~cxwidgets.analysis.thresholds.Bins` (the core object)."""
        if self._bins is None:
            raise ValueError("there are no values to set thresholds on yet: bind data to the model first")
        return self._bins

    @property
    def target_spec(self) -> ThresholdTarget:
        """The current :class:`~cxwidgets.analysis.thresholds.ThresholdTarget`."""
        if self._target is None:
            return resolve_target(self.journey, self.target)
        return self._target

    def _binned(self, key: str, by: str | None) -> tuple[Bins, ThresholdTarget, str]:
        settings = parts.settings_key(self._model)
        if settings != self._cache_key:
            self._cache, self._cache_key = {}, settings
        t = resolve_target(self.journey, key)
        parts.check_by(by, list(self.dimensions))
        if (t.key, by) not in self._cache:
            outcome, accounts, event = self._outcome or (None, None, True)
            self._cache[(t.key, by)] = threshold_bins(
                self._model, t, outcome, accounts=accounts, event=event, max_bins=self._max_bins, by=by
            )
        bins, _, label = self._cache[(t.key, by)]
        return bins, t, label  # t carries the journey's current thresholds

    def _load(self, key: str, by: Any = parts.SAME) -> None:
        """Bin ``key`` (cached), by ``by`` (default: as now), and show it with the journey's
        thresholds for it."""
        by = self._good[3] if by is parts.SAME else by
        bins, t, label = self._binned(key, by)
        notes = list(bins.notes)
        green, amber = t.green, t.amber
        if green is None or amber is None:
            green, amber = self._quartiles(bins, t)
            notes.append("no thresholds in the journey yet: the handles start at the quartiles of the accounts")
        g, a = bins.snap(green), bins.snap(amber)
        summary = bins.band_summary(green=g, amber=a)
        groups = group_bands(bins, g, a)
        self._bins, self._target, self._label = bins, t, label
        with self.quietly():
            self.target = t.key
            self.by = by
            self.bins = bins.records()
            self.info = parts.info_of(t, bins, label, notes)
            self.green, self.amber = g, a
            self.bands = summary
            self.group_bands = groups
            self._good = (t.key, g, a, by)
            self._suggest()

    @staticmethod
    def _quartiles(bins: Bins, t: ThresholdTarget) -> tuple[float, float]:
        return quartile_thresholds(bins, t.higher_is_better)

    def _suggest(self) -> None:
        self.suggested = parts.suggestion_of(self._bins, self._target, self.target_recall, self._watch)

    def refresh(self) -> None:
        """Re-bin the current target (after the model's weights or data changed)."""
        self._cache, self._cache_key = {}, None
        self._load(self.target)

    def focus(self, moment: str | None) -> None:
        """Show a moment's MIS (``None``: the journey MIS); the Explorer calls this when a
        moment is selected on the map. An unknown moment sets ``error``."""
        self.target = MIS_TARGET if moment is None else moment

    def set_outcome(self, outcome: Any, *, accounts: Any = None, event: Any = True) -> bool:
        """Use a new outcome (``None``: none) and re-bin. An invalid outcome sets ``error``,
        keeps the last good state and returns False.

        Example:
            >>> tuner.set_outcome("renewed", accounts=data.accounts, event=False)  # doctest: +SKIP
            True
        """
        old = (self._outcome, self._cache, self._cache_key)
        try:
            if outcome is None:
                if accounts is not None:
                    raise ValueError("accounts= was given without outcome=: name its outcome column")
                self._outcome = None
            else:
                threshold_bins(self._model, MIS_TARGET, outcome, accounts=accounts, event=event, max_bins=2)
                self._outcome = (outcome, accounts, event)
            self._cache, self._cache_key = {}, None
            self._load(self.target)
        except Exception as err:  # noqa: BLE001
            self._outcome, self._cache, self._cache_key = old
            self.error = message_of(err)
            return False
        self.error = ""
        return True

    # ---- thresholds ----------------------------------------------------------------------------

    def apply(self, green: float | None = None, amber: float | None = None) -> Journey:
        """Deprecated name of :meth:`set_thresholds` (kept for one release)."""
        deprecated("ThresholdTuner.apply(green=, amber=)", "ThresholdTuner.set_thresholds(green=, amber=)")
        return self.set_thresholds(green=green, amber=amber)

    def set_thresholds(self, green: float | None = None, amber: float | None = None) -> Journey:
        """Set the thresholds (on the target's scale; snapped to bin edges) and return the new
        journey. Raises ``ValueError`` / :class:`~cxwidgets.journey.JourneyError` when they are
        invalid; the tuner then keeps its state.

        Example:
            >>> tuner.set_thresholds(green=72, amber=58).green  # doctest: +SKIP
            72.0
        """
        if green is None and amber is None:
            raise ValueError("give green= and/or amber= (on the target's scale)")
        g = self.green if green is None else parts.number(green, "green")
        a = self.amber if amber is None else parts.number(amber, "amber")
        bins, t = self.bins_data, self.target_spec
        g, a = bins.snap(g, "green"), bins.snap(a, "amber")  # off the axis: refused
        summary = bins.band_summary(green=g, amber=a)  # raises when out of order
        groups = group_bands(bins, g, a)
        # the model owns the tuned state; it raises (and stays as it was) when the journey rejects them
        parts.write_thresholds(self._model, t, g, a)
        journey = self._model.journey
        with self.quietly():
            self.green, self.amber, self.bands, self.group_bands = g, a, summary, groups
            self.journey = journey
            self.error = ""
        self._good = (t.key, g, a, self._good[3])
        self._target = resolve_target(journey, t.key)
        return journey

    def take_suggestion(self, force: bool = False) -> Journey:
        """Apply the suggested pair (see ``suggested``). ``ValueError`` when there is none, or
        when its red band does not separate the outcome (its lift's 95% interval includes 1)
        unless ``force=True``.

        Example:
            >>> tuner.take_suggestion()  # doctest: +SKIP
        """
        if not isinstance(force, bool):
            raise ValueError(f"force must be True or False, got {short(force)}")
        s = self.suggested
        if "green" not in s:
            raise ValueError(s.get("note") or "no suggestion: give an outcome (e.g. outcome='churned', accounts=...)")
        if not s.get("separates") and not force:
            raise ValueError(
                s.get("note") or "the suggestion does not separate the outcome; use force=True to apply it"
            )
        return self.set_thresholds(green=s["green"], amber=s["amber"])

    def reset(self) -> Journey:
        """Back to the thresholds the journey had when the tuner was made (this target)."""
        t = resolve_target(self._initial, self.target_spec.key)
        if t.green is None or t.amber is None:
            g, a = self._quartiles(self.bins_data, t)
        else:
            g, a = t.green, t.amber
        return self.set_thresholds(green=g, amber=a)

    def _restore(self, message: str) -> None:
        key, g, a, by = self._good
        with self.quietly():
            self.target, self.green, self.amber, self.by = key, g, a, by
            self.error = message

    @traitlets.observe("green", "amber")
    def _on_threshold(self, change: dict[str, Any]) -> None:
        if self.quiet:
            return
        if self._bins is None:
            self._restore("there are no values to set thresholds on yet: bind data to the model first")
            return
        try:
            self.set_thresholds(self.green, self.amber)
        except Exception as err:  # noqa: BLE001 - shown in the widget, never as a traceback
            self._restore(message_of(err))

    @traitlets.observe("target")
    def _on_target(self, change: dict[str, Any]) -> None:
        if self.quiet:
            return
        try:
            self._load(change["new"])
        except Exception as err:  # noqa: BLE001
            self._restore(message_of(err))
        else:
            self.error = ""

    @traitlets.observe("by")
    def _on_by(self, change: dict[str, Any]) -> None:
        if self.quiet:
            return
        if self._bins is None:
            self._restore("there are no values to group yet: bind data to the model first")
            return
        try:
            self._load(self.target, change["new"])
        except Exception as err:  # noqa: BLE001 - shown in the widget; the last good state is kept
            self._restore(message_of(err))
        else:
            self.error = ""

    @traitlets.observe("target_recall")
    def _on_recall(self, change: dict[str, Any]) -> None:
        if self.quiet or self._bins is None:
            return
        r = change["new"]
        if not 0 < r <= 1:
            with self.quietly():
                self.target_recall = change["old"]
            self.error = f"target recall must be a share above 0 and at most 1 (e.g. 0.5), got {r:g}"
            return
        self._suggest()

    @traitlets.observe("request")
    def _on_request(self, change: dict[str, Any]) -> None:
        serve_request(self, change["new"])

    def _handle_request(self, op: str, args: Mapping[str, Any]) -> None:
        check_args(op, args, OPS)
        if op == "take_suggestion":
            self.take_suggestion(force=args.get("force", False))
        elif op == "reset":
            self.reset()
        else:
            self.set_thresholds(green=args.get("green"), amber=args.get("amber"))

    def _request_failed(self, message: str) -> None:
        self._restore(message)

    # ---- saving and exporting ------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str], *, format: str | None = None) -> Path:
        """Save the whole tuned state, ``model.to_journey()`` (weights, settings, gates and
        thresholds), atomically (YAML or JSON by extension), as ``Journey.save``.

        Example:
            >>> tuner.save("journey.yaml")  # doctest: +SKIP
            PosixPath('journey.yaml')
        """
        return self._model.to_journey().save(path, format=format)

    def chart(self, *, width: int = 560, height: int = 220) -> Any:
        """The histogram with its bands as an altair chart (aggregated bins only, no raw rows).

        Example:
            >>> tuner.chart().save("thresholds.svg")  # doctest: +SKIP
        """
        return parts.chart_of(self.bins, self.green, self.amber, self.target_spec, width=width, height=height)

    def save_image(self, path: str | os.PathLike[str], *, scale: float = 2.0) -> Path:
        """Export the chart as a PNG or SVG picture (by extension, through vl-convert: no
        browser, no network); the file opens with no Python.

        Example:
            >>> tuner.save_image("thresholds.png")  # doctest: +SKIP
            PosixPath('thresholds.png')
        """
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix not in (".png", ".svg"):
            raise ValueError(f"save_image writes .png or .svg files, got {target.name!r}")
        return save_chart(self.chart(), target, scale=scale)

    def _static_svg(self) -> str:
        """What the tuner shows now, as a picture: the histogram with its bands, the accounts and
        outcome rate per band (the static fallback: :mod:`cxwidgets.widgets._static`)."""
        from cxwidgets.static_views import histogram_svg

        info = self.info
        return histogram_svg(
            self.bins, self.green, self.amber, higher_is_better=bool(info.get("higher_is_better", True)),
            title=str(info.get("label") or "Thresholds"), axis=str(info.get("axis") or ""), bands=self.bands,
            outcome=str(info.get("outcome") or ""),
        )

    def _report_sections(self) -> list[dict[str, Any]]:
        from cxwidgets.widgets._static import journey_sections, thresholds_sections

        return [*thresholds_sections(self), *journey_sections(self)]

    def save_chart(self, path: str | os.PathLike[str], *, scale: float = 2.0) -> Path:
        """Deprecated name of :meth:`save_image` (kept for one release)."""
        deprecated("ThresholdTuner.save_chart(path)", "ThresholdTuner.save_image(path)")
        return self.save_image(path, scale=scale)

    # ---- display -------------------------------------------------------------------------------

    def __repr__(self) -> str:
        outcome = f", outcome={self._label!r}" if self._label else ""
        by = f", by={self.by!r}" if self.by is not None else ""
        return (
            f"ThresholdTuner(target={self.target!r}, green={self.green!r}, amber={self.amber!r}, "
            f"bins={len(self.bins)}{outcome}{by})"
        )
