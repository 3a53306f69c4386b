"""``WeightTuner``: sliders for the MIS weights and multipliers, with live charts of the result.

A thin view over :class:`~cxwidgets.mis.MISModel`: each slider is one of the model's tunable
settings (category weights, signal weights, role multipliers, segment multipliers). A slider
move sets the model through its fast path (milliseconds, whatever the number of accounts) and
redraws three small altair charts (moment and stage MIS, and the journey MIS by a dimension of
the accounts picked in the widget, ``by``: segment, region, plan..., each group with its
accounts), sending only those aggregated rows to the browser, never account data. Moves made in the browser are
debounced: while a slider is dragged, the model and charts update once the slider has rested
``debounce`` seconds, and the last position always lands. A value set from Python
(``tuner.sliders[key].value = 2``) applies at once.

A setting the model refuses (all category weights at 0, every signal of a moment at 0, a
``by`` that is no column of the accounts) shows its message above the sliders and the control
springs back to the last good value: the model and charts keep their last good state.

Example:
    >>> import cxwidgets as cx
    >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(300, seed=0))
    >>> tuner = cx.WeightTuner(model, debounce=0)
    >>> tuner.sliders["category:outcome"].value = 2.0
    >>> model.category_weights["outcome"]
    2.0
    >>> tuner.by, tuner.charts["segment"].chart.to_dict()["title"]
    ('segment', 'MIS by segment')
"""

from __future__ import annotations

import asyncio
import os
import pathlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import polars as pl
import traitlets
from altair import JupyterChart

from cxwidgets.charts import by_chart, by_records, mis_chart, mis_records, save_chart
from cxwidgets.journey import CATEGORIES, split_signal_key
from cxwidgets.signals import NO_SEGMENT
from cxwidgets.views import dimensions_of
from cxwidgets.widgets._base import Flag, deprecated, message_of
from cxwidgets.widgets._controls import _Checkbox, _Dropdown, _slider

if TYPE_CHECKING:
    from cxwidgets.mis.checks import Level

__all__ = ["WeightTuner"]

_HERE = pathlib.Path(__file__).parent
_CSS = (_HERE / "weight_tuner.css").read_text(encoding="utf-8")
_LEVELS: tuple[Level, ...] = ("moment", "stage", "segment")
#: slider key prefix -> the model setting it changes
_FIELDS = {"category": "category_weights", "signal": "signal_weights", "role": "role_multipliers",
           "segment": "segment_multipliers"}
_offline_done = False


def _enable_offline() -> None:
    """altair's JupyterChart loads its JavaScript from a CDN unless told otherwise: bundle it
    from vl-convert once per process so charts render with no network."""
    global _offline_done
    if not _offline_done:
        JupyterChart.enable_offline()
        _offline_done = True


class _Chart(JupyterChart):
    """A JupyterChart whose text follows JupyterLab's theme (CSS beside this file)."""

    _css = _CSS


def _ranks(frame: pl.DataFrame, level: str) -> dict[str, int]:
    """label -> rank by MIS, 1 = highest; labels without a MIS are left out."""
    rows = [(r[level], r["mis"]) for r in frame.select(level, "mis").iter_rows(named=True) if r["mis"] is not None]
    rows.sort(key=lambda t: -t[1])
    return {str(label): i + 1 for i, (label, _) in enumerate(rows)}


class WeightTuner(w.VBox):
    """Sliders for category weights, signal weights, role and segment multipliers, beside live
    MIS charts by moment, stage and a dimension of the accounts; rank changes since the last
    reset; reset; save.

    Args:
        model: the :class:`~cxwidgets.mis.MISModel` to tune (changed in place).
        debounce: seconds to wait after a slider move before rescoring (0: at once).
        path: where "Save config" writes the tuned journey (YAML or JSON by extension).
        by: the accounts column the third chart slices the journey MIS by (``model.dimensions``
            lists them; default ``"segment"``).

    Attributes:
        sliders: key -> slider, keys ``"category:<name>"``, ``"signal:<Moment/Signal>"``,
            ``"role:<role>"``, ``"segment:<segment>"``.
        missing, arr_weighting: the missing-signal policy (dropdown) and ARR weighting (checkbox).
        by: the dimension of the third chart (a synced trait; the "MIS by" picker sets it).
        by_picker: the "MIS by" dropdown, listing ``model.dimensions``.
        charts: ``{"moment", "stage", "segment"}`` -> altair ``JupyterChart``; ``"segment"``
            is the "MIS by <by>" chart (one bar per group, with its accounts).
        error: the last refused setting's message ("" when none), also shown in the widget.
        rank_changes: moment -> rank change since the last reset (positive: moved up).
        updates: how many times the charts were redrawn (each sends one small spec per chart).

    Example:
        >>> tuner = cx.WeightTuner(model)  # doctest: +SKIP
        >>> tuner  # shows the sliders and charts in a notebook  # doctest: +SKIP
    """

    by = traitlets.Unicode("segment").tag(sync=True)

    def __init__(
        self, model: Any, *, debounce: float = 0.08, path: str | os.PathLike[str] = "journey.yaml",
        by: str = "segment",
    ) -> None:
        from cxwidgets.mis import MISModel

        if not isinstance(model, MISModel):
            raise TypeError(f"WeightTuner needs a cxwidgets MISModel, got {type(model).__name__}")
        if debounce < 0:
            raise ValueError(f"debounce must be >= 0 seconds, got {debounce!r}")
        _enable_offline()
        self.model = model
        self.debounce = float(debounce)
        self.error = ""
        self.updates = 0
        self.rank_changes: dict[str, int] = {}
        self._pending: asyncio.TimerHandle | None = None
        self._reverting = Flag()  # on while the tuner puts its controls back itself
        self._last_good = self._state()
        self._baseline: dict[str, int] = {}
        self._listeners: list[Callable[[WeightTuner], None]] = []
        by_frame = self.model.score("journey", by=by)  # a bad by raises here, as score does
        self.by = by

        self.sliders: dict[str, w.FloatSlider] = {}
        sections = self._build_sliders()
        self.message = w.HTML(layout=w.Layout(min_height="1.5em"))
        self.message.add_class("cx-tuner-message")
        self.ranks = w.Label(layout=w.Layout(min_height="1.5em"))
        self.reset_button = w.Button(description="Reset", icon="undo", tooltip="Back to the journey's weights")
        self.path = w.Text(value=str(path), description="Save to", layout=w.Layout(width="22em"))
        self.save_button = w.Button(description="Save config", icon="save", tooltip="Write the tuned journey file")
        self.reset_button.on_click(lambda _b: self.reset())
        self.save_button.on_click(lambda _b: self._save_clicked())

        scores = {"moment": self.model.score("moment"), "stage": self.model.score("stage"), "segment": by_frame}
        self._baseline = _ranks(scores["moment"], "moment")
        self.charts: dict[str, JupyterChart] = {
            lvl: _Chart(self._chart(lvl, scores[lvl]), embed_options={"renderer": "svg", "actions": False})
            for lvl in _LEVELS
        }
        for chart in self.charts.values():
            chart.add_class("cx-chart")
        accordion_layout = w.Layout(width="auto", max_width="100%")
        self.accordion = w.Accordion(children=[box for _, box in sections], layout=accordion_layout)
        for i, (title, _) in enumerate(sections):
            self.accordion.set_title(i, title)
        self.accordion.selected_index = 0
        left_layout = w.Layout(flex="0 0 38%", min_width="280px", margin="0 16px 0 0", overflow="visible")
        left = w.VBox([self.accordion], layout=left_layout)
        dims = dimensions_of(self.model)
        self.by_picker = _Dropdown(
            options=dims if by in dims else [by, *dims], value=by, description="MIS by",
            style={"description_width": "4em"}, layout=w.Layout(width="16em"),
        )
        self.by_picker._refuse_text = self._refuse
        self.by_picker.observe(self._on_pick, names="value")
        by_box = w.VBox([self.by_picker, self.charts["segment"]])
        small_charts = w.HBox([self.charts["stage"], by_box], layout=w.Layout(flex_flow="row wrap"))
        right_layout = w.Layout(flex="1 1 auto", min_width="0", overflow="auto")
        right = w.VBox([self.charts["moment"], small_charts], layout=right_layout)
        buttons = w.HBox([self.reset_button, self.path, self.save_button])
        super().__init__([self.message, w.HBox([left, right]), self.ranks, buttons])
        self.add_class("cx-weight-tuner")
        self._show_ranks()

    # ---- sliders -----------------------------------------------------------------------------

    def _build_sliders(self) -> list[tuple[str, w.VBox]]:
        m = self.model
        sections: list[tuple[str, w.VBox]] = []
        cat = [
            self._add(f"category:{c}", c.capitalize(), m.category_weights[c], 5.0, 0.1, f"weight of {c} signals")
            for c in CATEGORIES
        ]
        sections.append(("Categories", w.VBox(cat)))
        rows: list[w.Widget] = []
        by_moment: dict[str, list[str]] = {}
        for key in m.signal_weights:
            by_moment.setdefault(split_signal_key(key)[0], []).append(key)
        for moment, keys in by_moment.items():
            title = w.Label(value=moment)
            title.add_class("cx-tuner-moment")
            rows.append(title)
            for key in keys:
                signal = split_signal_key(key)[1]
                rows.append(self._add(f"signal:{key}", signal, m.signal_weights[key], 5.0, 0.1, f"{moment} / {signal}"))
        sections.append(("Signals", w.VBox(rows)))
        roles = sorted(
            set(m.role_multipliers)
            | {r for r in m.table.observations.get_column("role").unique().to_list() if isinstance(r, str)}
        )
        if roles:
            sections.append((
                "Roles",
                w.VBox([
                    self._add(f"role:{r}", r, m.role_multipliers.get(r, 1.0), 3.0, 0.05, f"weight of {r} answers")
                    for r in roles
                ]),
            ))
        segments = sorted(set(m.segments) | set(m.segment_multipliers))
        if segments == [NO_SEGMENT]:  # the accounts carry no segment: nothing to weigh
            segments = []
        if segments:
            mult = m.segment_multipliers
            sections.append((
                "Segments",
                w.VBox([
                    self._add(f"segment:{s}", s, mult.get(s, 1.0), 3.0, 0.05, f"weight of {s} accounts")
                    for s in segments
                ]),
            ))
        sections.append(("Settings", self._policy_controls()))
        return sections

    def _policy_controls(self) -> w.VBox:
        """The missing-signal policy and ARR weighting controls, at the model's settings."""
        m = self.model
        self.missing = _Dropdown(
            options=[
                ("renormalise over the signals present", "renormalise"),
                ("count it at its floor (score 0)", "floor"),
                ("impute the moment's mean", "impute"),
            ],
            value=m.missing,
            description="A missing signal",
            style={"description_width": "11em"},
            layout=w.Layout(width="98%"),
        )
        self.arr_weighting = _Checkbox(
            value=m.arr_weighting, description="Weight accounts by ARR", indent=False,
            tooltip="multiply each account's weight in the roll-ups by its ARR",
        )
        for control in (self.missing, self.arr_weighting):
            control.observe(self._on_slide, names="value")
            control._refuse_text = self._refuse
        return w.VBox([self.missing, self.arr_weighting])

    def _add(self, key: str, label: str, value: float, maximum: float, step: float, tooltip: str) -> w.FloatSlider:
        slider = _slider(label, float(value), maximum, step, tooltip)
        slider.observe(self._on_slide, names="value")
        slider._refuse_raw = lambda _s, raw: self._refuse_value(key, raw)
        self.sliders[key] = slider
        return slider

    def _refuse_value(self, key: str, raw: Any) -> None:
        """A slider was sent something that is not a number: the model's rule says why."""
        kind, _, name = key.partition(":")
        field = _FIELDS[kind]
        try:
            self.model.set(**{field: {**self._last_good[field], name: raw}})
        except (ValueError, TypeError) as err:
            self._refuse(str(err))
        else:  # pragma: no cover - the model refuses anything that is not a number
            self.update()

    def _state(self) -> dict[str, Any]:
        m = self.model
        return {
            "category_weights": dict(m.category_weights),
            "signal_weights": dict(m.signal_weights),
            "role_multipliers": dict(m.role_multipliers),
            "segment_multipliers": dict(m.segment_multipliers),
            "missing": m.missing,
            "arr_weighting": m.arr_weighting,
        }

    def _wanted(self) -> dict[str, Any]:
        """The settings the controls show now."""
        state = self._state()
        for key, slider in self.sliders.items():
            kind, _, name = key.partition(":")
            state[_FIELDS[kind]][name] = float(slider.value)
        state["missing"] = self.missing.value
        state["arr_weighting"] = bool(self.arr_weighting.value)
        return state

    def _on_slide(self, change: dict[str, Any]) -> None:
        if self._reverting:
            return
        # a value set from Python (a script, a notebook cell) lands at once; a drag in the
        # browser (the control applies an update from the page: PageUpdates) waits
        from_browser = bool(getattr(change.get("owner"), "from_page", False))
        if self.debounce <= 0 or not from_browser:
            self.update()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script, a test): update at once
            self.update()
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = loop.call_later(self.debounce, self.update)

    # ---- updating ----------------------------------------------------------------------------

    def update(self) -> bool:
        """Apply the sliders to the model and redraw; False (and a message) when refused."""
        self._pending = None
        wanted = self._wanted()
        changed = {k: v for k, v in wanted.items() if v != self._last_good.get(k)}
        if changed:
            try:
                self.model.set(**changed)
            except (ValueError, TypeError) as err:
                self._refuse(str(err))
                return False
        self._last_good = self._state()
        for slider in self.sliders.values():  # a value the model accepts beyond the slider's end
            if slider.value > slider.max:
                slider.max = slider.value
        self.error = ""
        self.message.value = ""
        self._redraw()
        return True

    def _refuse(self, text: str) -> None:
        self.error = text
        self.message.value = (
            '<span class="cx-tuner-error" role="alert">' + _escape(text).replace("\n", "<br>")
            + " The last good setting is kept.</span>"
        )
        self._set_sliders(self._last_good)

    def _set_sliders(self, state: dict[str, Any]) -> None:
        with self._reverting:
            for key, slider in self.sliders.items():
                kind, _, name = key.partition(":")
                value = float(state[_FIELDS[kind]].get(name, 1.0))
                if value > slider.max:
                    slider.max = value
                slider.value = value
            self.missing.value = state["missing"]
            self.arr_weighting.value = bool(state["arr_weighting"])

    def _chart(self, level: str, frame: pl.DataFrame, *, background: str = "transparent") -> Any:
        """The chart of ``level`` (``"segment"``: MIS by the dimension ``by``). In the widget it
        has no background of its own: it sits on the notebook's (light or dark) background, its
        text coloured by the theme (weight_tuner.css); exported files get a white one."""
        if level == "segment":
            return by_chart(frame, self.by, width=200).properties(background=background)
        changes = self.rank_changes if level == "moment" else None
        chart = mis_chart(frame, level, changes=changes, width=320 if level == "moment" else 200)
        return chart.properties(background=background)

    def _score(self, level: Level) -> pl.DataFrame:
        """What the chart of ``level`` draws: the model's roll-up (the fast path)."""
        return self.model.score("journey", by=self.by) if level == "segment" else self.model.score(level)

    # ---- the dimension of the third chart ----------------------------------------------------

    def _on_pick(self, change: dict[str, Any]) -> None:
        if not self._reverting:
            self.by = change["new"]

    @traitlets.observe("by")
    def _on_by(self, change: dict[str, Any]) -> None:
        if self._reverting or not hasattr(self, "charts"):
            return
        try:
            frame = self.model.score("journey", by=change["new"])
        except (ValueError, TypeError, KeyError) as err:  # CXDataError is a ValueError
            with self._reverting:
                self.by = change["old"]
            self._refuse(message_of(err))
            return
        with self._reverting:
            if change["new"] not in self.by_picker.options:  # a column the model slices by, not listed
                self.by_picker.options = [*self.by_picker.options, change["new"]]
            self.by_picker.value = change["new"]
        self.error = ""
        self.message.value = ""
        self.charts["segment"].chart = self._chart("segment", frame)
        self.updates += 1

    def redraw(self) -> None:
        """Redraw the charts from the model (after a change made elsewhere, e.g. its gates)."""
        self._redraw(notify=False)

    def _redraw(self, notify: bool = True) -> None:
        scores = {lvl: self._score(lvl) for lvl in _LEVELS}
        now = _ranks(scores["moment"], "moment")
        self.rank_changes = {
            k: self._baseline[k] - r for k, r in now.items() if k in self._baseline and self._baseline[k] != r
        }
        for lvl in _LEVELS:
            self.charts[lvl].chart = self._chart(lvl, scores[lvl])
        self.updates += 1
        self._show_ranks()
        if notify:
            for listener in list(self._listeners):
                listener(self)

    def _show_ranks(self) -> None:
        if not self.rank_changes:
            self.ranks.value = "No moment has changed rank since the last reset."
            return
        parts = [f"{name} {'▲' if d > 0 else '▼'}{abs(d)}" for name, d in self.rank_changes.items()]
        self.ranks.value = "Changed rank since the last reset: " + ", ".join(parts)

    def on_update(self, callback: Callable[[WeightTuner], None]) -> None:
        """Call ``callback(tuner)`` after every redraw (the Explorer refreshes the map with it)."""
        self._listeners.append(callback)

    def records(self, level: Level = "moment") -> list[dict[str, Any]]:
        """The rows the chart of ``level`` shows now (label, mis, status, text, change;
        ``"segment"``: the groups of ``by``, each with its accounts ``n``)."""
        if level == "segment":
            return by_records(self._score("segment"), self.by)
        return mis_records(self.model.score(level), level, self.rank_changes if level == "moment" else None)

    # ---- actions -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the journey's settings; rank changes are counted from here again."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self.model.reset()
        self._last_good = self._state()
        self._set_sliders(self._last_good)
        self._baseline = _ranks(self.model.score("moment"), "moment")
        self.rank_changes = {}
        self.error = ""
        self.message.value = ""
        self._redraw()

    def focus(self, moment: str | None) -> None:
        """Open the signal sliders with ``moment``'s sliders highlighted (``None``: clear)."""
        hit = False
        for key, slider in self.sliders.items():
            kind, _, name = key.partition(":")
            on = moment is not None and kind == "signal" and split_signal_key(name)[0] == moment
            hit = hit or on
            (slider.add_class if on else slider.remove_class)("cx-focus")
        if hit:
            self.accordion.selected_index = 1

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Save the whole tuned state, ``model.to_journey()`` (weights in its signals, settings
        in ``mis``, gates and signal thresholds set in a threshold tuner), atomically.

        Example:
            >>> tuner.save("journey.yaml")  # doctest: +SKIP
        """
        target = Path(path if path is not None else self.path.value)
        return self.model.to_journey().save(target)

    def _save_clicked(self) -> None:
        try:
            where = self.save()
        except Exception as err:  # noqa: BLE001 - shown to the user, nothing lost
            self.message.value = f'<span class="cx-tuner-error" role="alert">Not saved: {_escape(str(err))}</span>'
            return
        self.message.value = f'<span class="cx-tuner-ok">Saved to {_escape(str(where))}</span>'

    def save_image(self, path: str | os.PathLike[str], level: Level = "moment") -> Path:
        """Export the chart of ``level`` as a PNG or SVG picture, or a standalone HTML page, by
        extension (vl-convert; no Python needed to open it).

        Example:
            >>> tuner.save_image("moments.png")  # doctest: +SKIP
        """
        if level not in _LEVELS:
            raise ValueError(f"level must be one of {', '.join(map(repr, _LEVELS))}, got {level!r}")
        return save_chart(self._chart(level, self._score(level), background="white"), path)

    def save_chart(self, path: str | os.PathLike[str], level: Level = "moment") -> Path:
        """Deprecated name of :meth:`save_image` (kept for one release)."""
        deprecated("WeightTuner.save_chart(path)", "WeightTuner.save_image(path)")
        return self.save_image(path, level)

    def __repr__(self) -> str:
        return f"WeightTuner({self.model!r}, sliders={len(self.sliders)})"


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)
