"""``WeightTuner``: sliders for the MIS weights and multipliers, with live charts of the result.

A thin view over :class:`~cxwidgets.mis.MISModel`: each slider is one of the model's tunable
settings (category weights, signal weights, role multipliers, segment multipliers). A slider
move sets the model through its fast path (milliseconds, whatever the number of accounts) and
redraws three small bar charts (moment and stage MIS, and the journey MIS by a dimension of
the accounts picked in the widget, ``by``: segment, region, plan..., each group with its
accounts), sending only those aggregated rows to the browser, never account data. Moves made in
the browser are debounced: while a slider is dragged, the model and charts update once the
slider has rested ``debounce`` seconds, and the last position always lands. A value set from
Python (``tuner.sliders[key].value = 2``) applies at once.

The tuner is one anywidget: its panels (``<details>`` sections), sliders and charts are drawn by
its own ES module (weight_tuner.js, no ipywidgets containers, no chart library), so it shows in
every host anywidget reaches (JupyterLab, Notebook 7, Voila, Colab, marimo) and a saved
notebook carries a few kilobytes of state for it. altair is used only by :meth:`save_image`.

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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import polars as pl
import traitlets

from cxwidgets.charts import by_chart, chart_view, mis_chart, save_chart
from cxwidgets.journey import CATEGORIES, split_signal_key
from cxwidgets.signals import NO_SEGMENT
from cxwidgets.views import dimensions_of
from cxwidgets.widgets._assets import join_css, join_esm
from cxwidgets.widgets._base import Flag, PageUpdates, deprecated, message_of, serve_request
from cxwidgets.widgets._controls import Choice, Slider, Toggle, plain_number
from cxwidgets.widgets._static import StaticFallback

if TYPE_CHECKING:
    from cxwidgets.mis.checks import Level

__all__ = ["WeightTuner"]

_HERE = pathlib.Path(__file__).parent
_ESM_PATH = _HERE / "weight_tuner.js"
_CSS_PATH = _HERE / "weight_tuner.css"
_LEVELS: tuple[Level, ...] = ("moment", "stage", "segment")
#: slider key prefix -> the model setting it changes
_FIELDS = {"category": "category_weights", "signal": "signal_weights", "role": "role_multipliers",
           "segment": "segment_multipliers"}
_MISSING = (
    ("renormalise", "renormalise over the signals present"),
    ("floor", "count it at its floor (score 0)"),
    ("impute", "impute the moment's mean"),
)
_KEPT = "\nThe last good setting is kept."


def _ranks(frame: pl.DataFrame, level: str) -> dict[str, int]:
    """label -> rank by MIS, 1 = highest; labels without a MIS are left out."""
    rows = [(r[level], r["mis"]) for r in frame.select(level, "mis").iter_rows(named=True) if r["mis"] is not None]
    rows.sort(key=lambda t: -t[1])
    return {str(label): i + 1 for i, (label, _) in enumerate(rows)}


class _ChartView:
    """One chart of the tuner: the rows it shows (``rows``, ``title``) and, for export, the same
    picture as an altair chart (``chart``, ``spec``: its Vega-Lite dict)."""

    def __init__(self, tuner: WeightTuner, level: Level) -> None:
        self._tuner = tuner
        self.level = level

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._tuner.views[self.level]["rows"]]

    @property
    def title(self) -> str:
        return str(self._tuner.views[self.level]["title"])

    @property
    def chart(self) -> Any:
        return self._tuner._chart(self.level, self._tuner._score(self.level))

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self.chart.to_dict())

    def __repr__(self) -> str:
        return f"<chart {self.title!r}: {len(self.rows)} bars>"


class WeightTuner(StaticFallback, PageUpdates, anywidget.AnyWidget):
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
        sliders: key -> slider (``.value``, ``.max``, ``.description``), keys
            ``"category:<name>"``, ``"signal:<Moment/Signal>"``, ``"role:<role>"``,
            ``"segment:<segment>"``; their values are the synced trait ``values``.
        missing, arr_weighting: the missing-signal policy (dropdown) and ARR weighting (checkbox);
            their values are the synced trait ``settings``.
        by: the dimension of the third chart (a synced trait; the "MIS by" picker sets it).
        by_picker: the "MIS by" dropdown, listing ``model.dimensions`` (``by_options``).
        charts: ``{"moment", "stage", "segment"}`` -> the chart's ``rows`` and ``title`` (the
            synced trait ``views``), and ``chart``: the same picture as an altair chart;
            ``"segment"`` is the "MIS by <by>" chart (one bar per group, with its accounts).
        sections: the titles and sliders of the panels; ``open_section``: the one open.
        error: the last refused setting's message ("" when none); ``message``: what the widget
            shows above the sliders.
        rank_changes: moment -> rank change since the last reset (positive: moved up).
        updates: how many times the charts were redrawn (each sends one small list of rows).

    Example:
        >>> tuner = cx.WeightTuner(model)  # doctest: +SKIP
        >>> tuner  # shows the sliders and charts in a notebook  # doctest: +SKIP
    """

    _esm = join_esm(_ESM_PATH)
    _css = join_css(_CSS_PATH, "cxwt")

    sections = traitlets.List(traitlets.Dict()).tag(sync=True)
    values = traitlets.Dict().tag(sync=True)
    maxima = traitlets.Dict().tag(sync=True)
    missing_options = traitlets.List(traitlets.List()).tag(sync=True)
    settings = traitlets.Dict().tag(sync=True)
    by = traitlets.Unicode("segment").tag(sync=True)
    by_options = traitlets.List(traitlets.Unicode()).tag(sync=True)
    views = traitlets.Dict().tag(sync=True)
    ranks = traitlets.Unicode("").tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    message_kind = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    open_section = traitlets.Int(0).tag(sync=True)
    focused = traitlets.List(traitlets.Unicode()).tag(sync=True)
    path = traitlets.Unicode("journey.yaml").tag(sync=True)
    request = traitlets.Dict().tag(sync=True)
    ack = traitlets.Dict().tag(sync=True)

    def __init__(
        self, model: Any, *, debounce: float = 0.08, path: str | os.PathLike[str] = "journey.yaml",
        by: str = "segment",
    ) -> None:
        from cxwidgets.mis import MISModel

        if not isinstance(model, MISModel):
            raise TypeError(f"WeightTuner needs a cxwidgets MISModel, got {type(model).__name__}")
        if debounce < 0:
            raise ValueError(f"debounce must be >= 0 seconds, got {debounce!r}")
        self.model = model
        self.debounce = float(debounce)
        self.updates = 0
        self.rank_changes: dict[str, int] = {}
        self._pending: asyncio.TimerHandle | None = None
        self._reverting = Flag()  # on while the tuner puts its controls back itself
        self._ready = False
        self._last_good = self._state()
        self._listeners: list[Callable[[WeightTuner], None]] = []
        by_frame = self.model.score("journey", by=by)  # a bad by raises here, as score does
        self.sliders: dict[str, Slider] = {}
        sections, values, maxima = self._build_sliders()
        dims = dimensions_of(self.model)
        super().__init__(
            sections=sections, values=values, maxima=maxima, by=by, by_options=dims if by in dims else [by, *dims],
            missing_options=[list(o) for o in _MISSING], path=str(path),
            settings={"missing": model.missing, "arr_weighting": bool(model.arr_weighting)},
        )
        self.missing = Choice(self, "settings", "A missing signal", [v for v, _ in _MISSING], field="missing",
                              labels=[label for _, label in _MISSING])
        self.arr_weighting = Toggle(self, "settings", "Weight accounts by ARR", field="arr_weighting")
        self.by_picker = Choice(self, "by", "MIS by", "by_options")
        self.charts: dict[str, _ChartView] = {lvl: _ChartView(self, lvl) for lvl in _LEVELS}
        self._baseline = _ranks(self.model.score("moment"), "moment")
        self._draw({"moment": self.model.score("moment"), "stage": self.model.score("stage"), "segment": by_frame})
        self._show_ranks()
        self._ready = True

    # ---- sliders -----------------------------------------------------------------------------

    def _build_sliders(self) -> tuple[list[dict[str, Any]], dict[str, float], dict[str, float]]:
        m = self.model
        values: dict[str, float] = {}
        maxima: dict[str, float] = {}

        def add(key: str, label: str, value: float, maximum: float, step: float, tooltip: str) -> dict[str, Any]:
            self.sliders[key] = Slider(self, key, label, step, tooltip)
            values[key] = float(value)
            maxima[key] = max(float(maximum), float(value))
            return {"key": key, "label": label, "step": step, "tooltip": tooltip}

        sections: list[dict[str, Any]] = [{
            "title": "Categories",
            "rows": [add(f"category:{c}", c.capitalize(), m.category_weights[c], 5.0, 0.1, f"weight of {c} signals")
                     for c in CATEGORIES],
        }]
        rows: list[dict[str, Any]] = []
        by_moment: dict[str, list[str]] = {}
        for key in m.signal_weights:
            by_moment.setdefault(split_signal_key(key)[0], []).append(key)
        for moment, keys in by_moment.items():
            rows.append({"heading": moment})
            for key in keys:
                signal = split_signal_key(key)[1]
                rows.append(add(f"signal:{key}", signal, m.signal_weights[key], 5.0, 0.1, f"{moment} / {signal}"))
        sections.append({"title": "Signals", "rows": rows})
        roles = sorted(
            set(m.role_multipliers)
            | {r for r in m.table.observations.get_column("role").unique().to_list() if isinstance(r, str)}
        )
        if roles:
            sections.append({"title": "Roles", "rows": [
                add(f"role:{r}", r, m.role_multipliers.get(r, 1.0), 3.0, 0.05, f"weight of {r} answers") for r in roles
            ]})
        segments = sorted(set(m.segments) | set(m.segment_multipliers))
        if segments == [NO_SEGMENT]:  # the accounts carry no segment: nothing to weigh
            segments = []
        if segments:
            mult = m.segment_multipliers
            sections.append({"title": "Segments", "rows": [
                add(f"segment:{s}", s, mult.get(s, 1.0), 3.0, 0.05, f"weight of {s} accounts") for s in segments
            ]})
        sections.append({"title": "Settings", "rows": [], "settings": True})
        return sections, values, maxima

    @property
    def section_titles(self) -> list[str]:
        """The panels' titles, in order (e.g. ``["Categories", "Signals", ..., "Settings"]``)."""
        return [str(s["title"]) for s in self.sections]

    @traitlets.validate("values")
    def _check_values(self, proposal: dict[str, Any]) -> dict[str, Any]:
        values = dict(proposal["value"])
        unknown = [k for k in values if k not in self.sliders]
        if unknown:
            raise traitlets.TraitError(f"no slider {unknown[0]!r}")
        for key, v in values.items():
            if not plain_number(v):
                raise traitlets.TraitError(f"{self.sliders[key].description}: {v!r} is not a number")
        return {k: float(v) for k, v in values.items()}

    @traitlets.validate("settings")
    def _check_settings(self, proposal: dict[str, Any]) -> dict[str, Any]:
        settings = dict(proposal["value"])
        if settings.get("missing") not in [v for v, _ in _MISSING]:
            raise traitlets.TraitError(
                f"A missing signal: {settings.get('missing')!r} is not one of {', '.join(v for v, _ in _MISSING)}"
            )
        if not isinstance(settings.get("arr_weighting"), bool):
            raise traitlets.TraitError(
                f"Weight accounts by ARR: expected true or false, got {settings.get('arr_weighting')!r}"
            )
        return settings

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """An update from the page. A slider value that is not a number, an unknown policy, a
        checkbox sent text: refused with the model's (or the control's) message, and the page is
        sent the last good state again; nothing reaches the kernel's log as a traceback."""
        sync_data = dict(sync_data)
        raw = sync_data.get("values")
        if isinstance(raw, Mapping):
            bad = [(k, v) for k, v in raw.items() if k in self.sliders and not plain_number(v)]
            if bad:
                sync_data.pop("values")
                self._refuse_value(*bad[0])
                self.send_state("values")
        for key, check in (("values", self._check_values), ("settings", self._check_settings)):
            if key in sync_data:
                try:
                    check({"value": sync_data[key]})
                except traitlets.TraitError as err:
                    sync_data.pop(key)
                    self._refuse(str(err))
                    self.send_state(key)
        if not sync_data:
            return
        try:
            super().set_state(sync_data)
        except (traitlets.TraitError, ValueError, TypeError) as err:
            self._refuse(message_of(err))
            self.send_state([k for k in sync_data if k in self.keys])

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
        for key, value in self.values.items():
            kind, _, name = key.partition(":")
            state[_FIELDS[kind]][name] = float(value)
        state["missing"] = self.settings["missing"]
        state["arr_weighting"] = bool(self.settings["arr_weighting"])
        return state

    @traitlets.observe("values", "settings")
    def _on_slide(self, _change: dict[str, Any]) -> None:
        if self._reverting or not self._ready:
            return
        # a value set from Python (a script, a notebook cell) lands at once; a drag in the
        # browser (an update from the page: PageUpdates) waits
        if self.debounce <= 0 or not self.from_page:
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
        beyond = {k: v for k, v in self.values.items() if v > self.maxima[k]}  # accepted beyond a slider's end
        with self.hold_sync():
            if beyond:
                self.maxima = {**self.maxima, **beyond}
            self._say("")
            self._redraw()
        return True

    def _say(self, text: str, kind: str = "") -> None:
        with self.hold_sync():
            self.message_kind = kind if text else ""
            self.message = text

    def _refuse(self, text: str) -> None:
        with self.hold_sync():
            self.error = text
            self._say(text + _KEPT, "error")
            self._set_controls(self._last_good)

    def _request_failed(self, message: str) -> None:
        self._refuse(message)

    def _set_controls(self, state: dict[str, Any]) -> None:
        values = {}
        for key in self.sliders:
            kind, _, name = key.partition(":")
            values[key] = float(state[_FIELDS[kind]].get(name, 1.0))
        beyond = {k: v for k, v in values.items() if v > self.maxima[k]}
        with self._reverting, self.hold_sync():
            if beyond:
                self.maxima = {**self.maxima, **beyond}
            self.values = values
            self.settings = {"missing": state["missing"], "arr_weighting": bool(state["arr_weighting"])}

    def _chart(self, level: str, frame: pl.DataFrame, *, background: str = "transparent") -> Any:
        """The altair chart of ``level`` (``"segment"``: MIS by the dimension ``by``), the
        picture the widget draws, for exports (a white background there)."""
        if level == "segment":
            return by_chart(frame, self.by, width=200).properties(background=background)
        changes = self.rank_changes if level == "moment" else None
        chart = mis_chart(frame, level, changes=changes, width=320 if level == "moment" else 200)
        return chart.properties(background=background)

    def _score(self, level: Level) -> pl.DataFrame:
        """What the chart of ``level`` draws: the model's roll-up (the fast path)."""
        return self.model.score("journey", by=self.by) if level == "segment" else self.model.score(level)

    def _view(self, level: Level, frame: pl.DataFrame) -> dict[str, Any]:
        if level == "segment":
            return chart_view(frame, level, by=self.by)
        return chart_view(frame, level, changes=self.rank_changes if level == "moment" else None)

    def _draw(self, scores: Mapping[Level, pl.DataFrame]) -> None:
        self.views = {**self.views, **{lvl: self._view(lvl, f) for lvl, f in scores.items()}}

    # ---- the dimension of the third chart ----------------------------------------------------

    @traitlets.observe("by")
    def _on_by(self, change: dict[str, Any]) -> None:
        if self._reverting or not self._ready:
            return
        try:
            frame = self.model.score("journey", by=change["new"])
        except (ValueError, TypeError, KeyError) as err:  # CXDataError is a ValueError
            with self._reverting:
                self.by = change["old"]
            self._refuse(message_of(err))
            return
        with self.hold_sync():
            if change["new"] not in self.by_options:  # a column the model slices by, not listed
                self.by_options = [*self.by_options, change["new"]]
            self.error = ""
            self._say("")
            self._draw({"segment": frame})
        self.updates += 1

    def redraw(self) -> None:
        """Redraw the charts from the model (after a change made elsewhere, e.g. its gates)."""
        self._redraw(notify=False)

    def _redraw(self, notify: bool = True) -> None:
        scores: dict[Level, pl.DataFrame] = {lvl: self._score(lvl) for lvl in _LEVELS}
        now = _ranks(scores["moment"], "moment")
        self.rank_changes = {
            k: self._baseline[k] - r for k, r in now.items() if k in self._baseline and self._baseline[k] != r
        }
        with self.hold_sync():
            self.error = ""
            self._draw(scores)
            self._show_ranks()
        self.updates += 1
        if notify:
            for listener in list(self._listeners):
                listener(self)

    def _show_ranks(self) -> None:
        if not self.rank_changes:
            self.ranks = "No moment has changed rank since the last reset."
            return
        parts = [f"{name} {'▲' if d > 0 else '▼'}{abs(d)}" for name, d in self.rank_changes.items()]
        self.ranks = "Changed rank since the last reset: " + ", ".join(parts)

    def on_update(self, callback: Callable[[WeightTuner], None]) -> None:
        """Call ``callback(tuner)`` after every redraw (the Explorer refreshes the map with it)."""
        self._listeners.append(callback)

    def records(self, level: Level = "moment") -> list[dict[str, Any]]:
        """The rows the chart of ``level`` shows now (label, mis, status, text, change;
        ``"segment"``: the groups of ``by``, each with its accounts ``n``)."""
        if level not in _LEVELS:
            raise ValueError(f"level must be one of {', '.join(map(repr, _LEVELS))}, got {level!r}")
        return self.charts[level].rows

    # ---- actions -----------------------------------------------------------------------------

    @traitlets.observe("request")
    def _on_request(self, change: dict[str, Any]) -> None:
        serve_request(self, change["new"])

    def _handle_request(self, op: str, args: Mapping[str, Any]) -> None:
        from cxwidgets.widgets._base import check_args

        check_args(op, args, {"reset": ((), ()), "save": ((), ())})
        if op == "reset":
            self.reset()
        else:
            self._save_clicked()

    def reset(self) -> None:
        """Back to the journey's settings; rank changes are counted from here again."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self.model.reset()
        self._last_good = self._state()
        self._set_controls(self._last_good)
        self._baseline = _ranks(self.model.score("moment"), "moment")
        self.rank_changes = {}
        self._say("")
        self._redraw()

    def focus(self, moment: str | None) -> None:
        """Open the signal sliders with ``moment``'s sliders highlighted (``None``: clear)."""
        keys = [
            key for key in self.sliders
            if moment is not None and key.startswith("signal:") and split_signal_key(key[7:])[0] == moment
        ]
        with self.hold_sync():
            self.focused = keys
            if keys:
                self.open_section = self.section_titles.index("Signals")

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Save the whole tuned state, ``model.to_journey()`` (weights in its signals, settings
        in ``mis``, gates and signal thresholds set in a threshold tuner), atomically.

        Example:
            >>> tuner.save("journey.yaml")  # doctest: +SKIP
        """
        target = Path(path if path is not None else self.path)
        return self.model.to_journey().save(target)

    def _save_clicked(self) -> None:
        try:
            where = self.save()
        except Exception as err:  # noqa: BLE001 - shown to the user, nothing lost
            self._say(f"Not saved: {err}", "error")
            return
        self._say(f"Saved to {where}", "ok")

    def _static_svg(self) -> str:
        """What the tuner shows now, as a picture (the static fallback: cxwidgets.widgets._static)."""
        from cxwidgets.widgets._static import weights_svg

        return weights_svg(self.model, self.by, self.rank_changes)

    def _report_sections(self) -> list[dict[str, Any]]:
        from cxwidgets.widgets._static import journey_sections, weights_sections

        return [*weights_sections(self.model, self.by, self.rank_changes), *journey_sections(self)]

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
