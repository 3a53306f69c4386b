"""``JourneyMap``: the journey as a map of stages (columns) and moment cards, with an MIS curve
and a per-persona emotion curve, editable in place in workshop mode.

The widget is a thin view over :class:`~cxwidgets.journey.Journey`: every edit made on the map
is a small request (``{"id", "op", "args"}``) that Python applies through the journey's own
editing methods (``rename_moment``, ``move_stage``, ``update_moment`` ...), so the rules (unique
names, thresholds in order, emotions in -2..+2) live in one place. A valid edit replaces the
synced ``journey_data``; an invalid one sets ``error`` to the journey's message and leaves the
journey as it was. Everything the map does, a script can do with :meth:`JourneyMap.edit` or
the ``Journey`` methods themselves.

Synced traits (all JSON):

================  ======================================================================
journey_data      the journey spec as plain data, ``Journey.model_dump(mode="json")`` (the
                  Journey itself is :attr:`JourneyMap.journey_spec`)
scores            moment -> {mis, status, coverage, value, value_text, n_accounts}; ``{}``
                  when no MIS model is bound. ``value_text`` says what the figure is and
                  over how many: ``NPS +20.2 (n=3,750)`` is the pooled NPS of every answer
                  (:func:`cxwidgets.views.primary_values`)
selected_moment   the selected moment's name or ``None`` (two-way)
mode              ``"view"`` or ``"workshop"``
persona           the persona whose emotion curve is drawn and edited (``None``: the first)
presenting        presentation mode (two-way, the map's "Present" button): larger type, no edit
                  controls, the map's whole width; the stages wrap onto rows when one row
                  does not fit, so every stage is on screen
error             a clear message after an invalid edit, ``""`` otherwise
choices           what the workshop dropdowns offer, ``cxwidgets.plugins.choices()``:
                  {metrics, aggregates, normalisers, templates}, plugins' included
                  (:meth:`JourneyMap.refresh_choices` re-reads the registries)
request           front end -> Python: ``{"id", "op", "args"}``; Python applies it and clears it
ack               Python -> front end: ``{"id", "ok", "error"}`` for the last request
================  ======================================================================

Example:
    >>> from cxwidgets.journey import Journey
    >>> from cxwidgets.widgets import JourneyMap
    >>> m = JourneyMap(Journey.template("saas"), mode="workshop")
    >>> m.request = {"id": "1", "op": "rename_moment", "args": {"old": "Advocacy Ask", "new": "Referral ask"}}
    >>> m.journey_spec.moment_names()[-1], m.error
    ('Referral ask', '')
    >>> m.request = {"id": "2", "op": "rename_moment", "args": {"old": "Referral ask", "new": "Renewal Decision"}}
    >>> m.journey_spec.moment_names()[-1], m.error.splitlines()[0]
    ('Referral ask', "rename_moment('Referral ask', 'Renewal Decision') would make the journey invalid (1 problem)")
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from cxwidgets import plugins
from cxwidgets._util.files import atomic_write
from cxwidgets._util.text import choices, did_you_mean, short
from cxwidgets.journey import Journey, JourneyError, signal_key
from cxwidgets.views import card_scores, primary_values
from cxwidgets.widgets._assets import join_css, join_esm
from cxwidgets.widgets._base import RefuseBadState, check_args, deprecated, message_of, serve_request
from cxwidgets.widgets._export import standalone_page
from cxwidgets.widgets._map_edits import WORKSHOP_OPS, edited, is_tuned_edit
from cxwidgets.widgets._static import StaticFallback

__all__ = ["JourneyMap", "OPS"]

_HERE = pathlib.Path(__file__).parent
_ESM_PATH = _HERE / "journey_map.js"
_CSS_PATH = _HERE / "journey_map.css"
#: what the page runs and how it looks: static/prelude.js + journey_map.js; the one RAG palette as
#: CSS variables + static/theme.css + journey_map.css (joined here, at load time: see _assets)
_ESM = join_esm(_ESM_PATH)
_CSS = join_css(_CSS_PATH, "cxjm")

#: Operations of the request protocol: op -> (required args, optional args).
OPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "add_stage": (("name",), ("index",)),
    "rename_stage": (("old", "new"), ()),
    "remove_stage": (("name",), ()),
    "move_stage": (("name", "index"), ()),
    "update_stage": (("name", "fields"), ()),
    "add_moment": (("stage", "name"), ("index", "fields")),
    "rename_moment": (("old", "new"), ()),
    "remove_moment": (("name",), ()),
    "move_moment": (("name", "stage"), ("index",)),
    "update_moment": (("name", "fields"), ()),
    "update_signal": (("moment", "signal", "fields"), ()),
    "set_emotion": (("persona", "moment", "value"), ("to_be",)),
    "load_template": (("name",), ()),
    **WORKSHOP_OPS,  # dot votes and opportunities (see cxwidgets.journey.workshop)
}

_NAME_SHOWN = 60


def _short(text: str) -> str:
    return text if len(text) <= _NAME_SHOWN else text[: _NAME_SHOWN - 1] + "…"


def _coerce_journey(journey: Any, model: Any) -> Journey:
    if journey is None:
        bound = getattr(model, "journey", None) if model is not None else None
        return bound if isinstance(bound, Journey) else Journey.empty()
    if isinstance(journey, Journey):
        return journey
    if isinstance(journey, Mapping):
        return _journey_from_data(journey)
    if isinstance(journey, (str, os.PathLike)):
        return Journey.load(journey)
    raise TypeError(
        f"JourneyMap: journey must be a Journey, a journey mapping, a path to a journey file or None, "
        f"got {type(journey).__name__}"
    )


def _journey_from_data(data: Mapping[str, Any]) -> Journey:
    try:
        text = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise JourneyError(f"the journey is not plain JSON data ({err})") from None
    return Journey.from_json(text)


def _renamed(names: Any) -> Any:
    """Trait names with the deprecated ``"journey"`` read as ``"journey_data"``."""
    listed = [names] if isinstance(names, str) else names
    if isinstance(listed, (list, tuple)) and "journey" in listed:
        deprecated('JourneyMap.observe(..., names="journey")', 'names="journey_data"')
        return ["journey_data" if n == "journey" else n for n in listed]
    return names


def _records(frame: Any) -> list[dict[str, Any]]:
    if hasattr(frame, "to_dicts"):  # polars
        return list(frame.to_dicts())
    if hasattr(frame, "to_dict"):  # pandas
        return list(frame.to_dict(orient="records"))
    raise TypeError(f"model.score(level='moment') returned {type(frame).__name__}; expected a data frame")


class JourneyMap(StaticFallback, RefuseBadState, anywidget.AnyWidget):
    """The journey as a map: stages as columns, moments as cards (primary signal, value, RAG
    state with a text label, owner), an MIS curve across the journey when a model is bound,
    and an emotion curve (-2..+2) per persona, as-is and to-be.

    Args:
        journey: a :class:`~cxwidgets.journey.Journey`, a journey mapping, a path to a journey
            file, or ``None`` (the model's journey, else ``Journey.empty()``).
        model: an optional MIS engine (``cxwidgets.mis.MISModel`` or anything with
            ``score(level="moment")`` returning a frame with moment, mis, status, coverage).
        mode: ``"view"`` (read-only) or ``"workshop"`` (add, rename, reorder, delete, edit).
        persona: the persona whose emotion curve is drawn and edited.

    Example:
        >>> from cxwidgets.journey import Journey
        >>> from cxwidgets.widgets import JourneyMap
        >>> m = JourneyMap(Journey.empty("Workshop"), mode="workshop")
        >>> _ = m.edit("add_stage", name="Onboard")
        >>> m.edit("add_moment", stage="Onboard", name="Kickoff").moment_names()
        ['Kickoff']
    """

    _esm = _ESM
    _css = _CSS

    #: the journey as plain data (synced with the page); the Journey is :attr:`journey_spec`
    journey_data = traitlets.Dict().tag(sync=True)
    scores = traitlets.Dict().tag(sync=True)
    selected_moment = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    mode = traitlets.Enum(("view", "workshop"), default_value="view").tag(sync=True)
    persona = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    request = traitlets.Dict().tag(sync=True)
    ack = traitlets.Dict().tag(sync=True)
    choices = traitlets.Dict().tag(sync=True)
    #: presentation mode: larger type, no edit controls, full width (the map's "Present" button)
    presenting = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        journey: Journey | Mapping[str, Any] | str | os.PathLike[str] | None = None,
        model: Any = None,
        *,
        mode: str = "view",
        persona: str | None = None,
        selected_moment: str | None = None,
        **kwargs: Any,
    ) -> None:
        spec = _coerce_journey(journey, model)
        self._journey = spec
        self._dump = spec.model_dump(mode="json")
        self._model = model
        self._values_cache: tuple[Any, dict[str, tuple[float, str]]] | None = None
        kwargs.setdefault("choices", plugins.choices())
        super().__init__(journey_data=self._dump, mode=mode, persona=persona, **kwargs)
        if selected_moment is not None:
            self.selected_moment = selected_moment
        if model is not None:
            self.refresh()

    # ---- the journey -------------------------------------------------------------------------

    @property
    def journey_spec(self) -> Journey:
        """The :class:`~cxwidgets.journey.Journey` shown, kept in sync with every edit."""
        return self._journey

    @journey_spec.setter
    def journey_spec(self, value: Journey) -> None:
        if not isinstance(value, Journey):
            raise TypeError(f"journey_spec must be a Journey, got {type(value).__name__}")
        self._set_spec(value)

    @property
    def journey(self) -> dict[str, Any]:
        """Deprecated: the synced journey dict, now :attr:`journey_data` (the
        :class:`~cxwidgets.journey.Journey` is :attr:`journey_spec`)."""
        deprecated(
            "JourneyMap.journey (the synced journey dict)",
            "JourneyMap.journey_spec for the Journey, or JourneyMap.journey_data for the dict",
        )
        return self.journey_data

    @journey.setter
    def journey(self, value: dict[str, Any]) -> None:
        deprecated("JourneyMap.journey = dict", "JourneyMap.journey_spec = Journey, or JourneyMap.journey_data = dict")
        self.journey_data = value

    def observe(self, handler: Any, names: Any = traitlets.All, type: str = "change") -> None:  # noqa: A002
        """As ``HasTraits.observe``; the old trait name ``"journey"`` (deprecated) observes
        ``"journey_data"``."""
        super().observe(handler, names=_renamed(names), type=type)

    def unobserve(self, handler: Any, names: Any = traitlets.All, type: str = "change") -> None:  # noqa: A002
        super().unobserve(handler, names=_renamed(names), type=type)

    def _set_spec(self, spec: Journey) -> None:
        self._journey = spec
        self._dump = spec.model_dump(mode="json")
        with self.hold_sync():
            self.journey_data = self._dump
            if self.selected_moment is not None and self.selected_moment not in spec.moment_names():
                self.selected_moment = None

    @traitlets.observe("journey_data")
    def _on_journey(self, change: dict[str, Any]) -> None:
        new = change["new"]
        if new == self._dump:
            return
        try:  # a journey dict set directly (by a script or a front end): validate it like a file
            spec = _journey_from_data(new)
        except JourneyError as err:
            self.error = message_of(err)
            self.journey_data = self._dump  # keep the last good state
            return
        self._set_spec(spec)

    @traitlets.validate("selected_moment")
    def _check_selected(self, proposal: dict[str, Any]) -> str | None:
        value = proposal["value"]
        if value is None or value == "":
            return None
        names = self._journey.moment_names()
        if value not in names:
            raise traitlets.TraitError(
                f"selected_moment: unknown moment {short(value)}{did_you_mean(value, names)}; moments: {choices(names)}"
            )
        return value

    def refresh_choices(self) -> dict[str, list[str]]:
        """Re-read the registries into ``choices`` (e.g. after ``cxwidgets.plugins.load(reload=True)``
        or a ``register_metric`` in the notebook) and return them.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.widgets import JourneyMap
            >>> "saas" in JourneyMap(Journey.empty()).refresh_choices()["templates"]
            True
        """
        self.choices = plugins.choices()
        return self.choices

    # ---- edits -------------------------------------------------------------------------------

    def apply(self, op: str, **args: Any) -> Journey:
        """Deprecated name of :meth:`edit` (kept for one release)."""
        deprecated("JourneyMap.apply(op, ...)", "JourneyMap.edit(op, ...)")
        return self.edit(op, **args)

    def edit(self, op: str, **args: Any) -> Journey:
        """Apply one edit of the request protocol (see :data:`OPS`) and return the new journey.

        Raises :class:`~cxwidgets.journey.JourneyError` when the edit would make the journey
        invalid (the journey is unchanged), ``ValueError``/``TypeError`` for an unknown op or
        bad arguments. The same edits arrive from the map as ``request`` messages.

        Example:
            >>> from cxwidgets.journey import Journey
            >>> from cxwidgets.widgets import JourneyMap
            >>> m = JourneyMap(Journey.template("saas"))
            >>> m.edit("move_stage", name="Advocate", index=0).stage_names()[0]
            'Advocate'
        """
        check_args(op, args, OPS)
        # An edit of the tuned state goes into the model (see _into_model). Any other edit on a
        # map showing its model's journey starts from the model's whole tuned state, so the
        # edited journey (and a save of it) keeps the weights, settings and thresholds tuned
        # in the other widgets instead of silently going back to the file's values.
        j = self._journey if is_tuned_edit(op, args) else self._tuned()
        selected = self.selected_moment
        new, selected = edited(j, op, args, selected)
        into_model = self._into_model(op, args, new)
        new = into_model or new
        with self.hold_sync():
            self._set_spec(new)
            if selected in new.moment_names() and selected != self.selected_moment:
                self.selected_moment = selected
        if into_model is not None:  # gates decide the cards' status: show it
            self.refresh()
        return new

    # ---- the workshop's tools (each an edit: it lands in the journey and its file) ---------------

    def vote(self, moment: str, votes: int = 1) -> Journey:
        """Add dot votes to ``moment`` (a negative number takes them back); only totals are
        kept, never who voted. The map's ballot gives each participant ``votes_per_participant``.

        Example:
            >>> m = JourneyMap(Journey.template("saas"), mode="workshop")
            >>> m.vote("Renewal Decision", 2).vote_totals()["Renewal Decision"]
            2
        """
        return self.edit("vote", moment=moment, votes=votes)

    def add_opportunity(self, moment: str, title: str, **scores: int) -> Journey:
        """Attach an opportunity to ``moment``: ``customer_value``, ``business_value`` and
        ``effort`` from 1 (least) to 5 (most); the map plots them in its value x effort view.

        Example:
            >>> m = JourneyMap(Journey.template("saas"), mode="workshop")
            >>> m.add_opportunity("Advocacy Ask", "Referral bonus", customer_value=4, business_value=5,
            ...                   effort=2).opportunity_table()[0].quadrant
            'quick win'
        """
        return self.edit("add_opportunity", moment=moment, title=title, fields=scores)

    def comment_on(self, moment: str, text: str) -> Journey:
        """Set the room's comment on ``moment`` (shown on its card, as text).

        Example:
            >>> m = JourneyMap(Journey.template("saas"), mode="workshop")
            >>> m.comment_on("Advocacy Ask", "Ask after a support win").moment("Advocacy Ask").comment
            'Ask after a support win'
        """
        return self.edit("update_moment", name=moment, fields={"comment": text})

    def _into_model(self, op: str, args: Mapping[str, Any], new: Journey) -> Journey | None:
        """An edit of the tuned state (gates, a signal's thresholds or weight) on a map showing
        its MIS model's journey goes into the model, which owns that state (one tuned state:
        every widget edits it, every save writes it). ``new`` is the journey the edit gives,
        already validated by the journey's rules; other edits change the map's journey only
        (``None``: not the model's)."""
        model = self._model
        if not all(hasattr(model, a) for a in ("_set_journey", "set", "signal_weights")):
            return None
        if getattr(model, "journey", None) != self._journey:
            return None
        if not is_tuned_edit(op, args):
            return None
        fields = dict(args.get("fields") or {})
        gates = {k: v for k, v in fields.items() if k in ("green", "amber")}
        if op == "update_signal" and "weight" in fields:
            key = signal_key(args["moment"], args["signal"])
            model.set(signal_weights={**model.signal_weights, key: fields["weight"]})
            gated = self._journey.update_signal(args["moment"], args["signal"], **gates) if gates else self._journey
        else:
            gated = new
        model._set_journey(gated)
        return model.journey

    @traitlets.observe("request")
    def _on_request(self, change: dict[str, Any]) -> None:
        serve_request(self, change["new"])

    def _handle_request(self, op: str, args: Mapping[str, Any]) -> None:
        self.edit(op, **args)

    def _request_failed(self, message: str) -> None:
        self.error = message  # the journey is unchanged: an edit lands only when valid

    # ---- saving and exporting ------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str], *, format: str | None = None) -> Path:
        """Save the journey atomically (YAML for .yaml/.yml, JSON for .json), as ``Journey.save``.

        With a bound :class:`~cxwidgets.mis.MISModel` showing this journey, that is the model's
        whole tuned state, ``model.to_journey()`` (weights, settings, gates, thresholds), as
        every widget saves; a journey edited on the map (workshop) is saved as edited.

        Example:
            >>> JourneyMap(Journey.template("saas")).save("journey.yaml")  # doctest: +SKIP
            PosixPath('journey.yaml')
        """
        return self._tuned().save(path, format=format)  # type: ignore[arg-type]

    def _tuned(self) -> Journey:
        """What a save writes: the model's tuned state when the map shows the model's journey."""
        model = self._model
        to_journey = getattr(model, "to_journey", None)
        if callable(to_journey) and getattr(model, "journey", None) == self._journey:
            return to_journey()
        return self._journey

    def to_html(self, path: str | os.PathLike[str] | None = None, *, title: str | None = None) -> str:
        """A standalone HTML page of the map (its JavaScript and CSS inlined, the journey and
        scores embedded as JSON), openable with no Python running. Read-only (view mode);
        clicking a card still selects it. Writes the page to ``path`` when given; returns it.

        Example:
            >>> JourneyMap(Journey.template("saas")).to_html("journey.html")  # doctest: +SKIP
        """
        state = {
            "journey_data": self._dump,
            "scores": self.scores,
            "selected_moment": self.selected_moment,
            "mode": "view",
            "persona": self.persona,
            "error": "",
            "request": {},
            "ack": {},
        }
        page = standalone_page(state, esm=_ESM, css=_CSS, title=title or self._journey.name,
                               sections=self._report_sections())
        if path is not None:
            atomic_write(path, page)
        return page

    def save_image(self, path: str | os.PathLike[str], *, scale: float = 2.0) -> Path:
        """Save the map as a PNG or SVG picture of what it shows: the cards per stage (signal,
        value, MIS with its state in words, owner), the MIS curve and each persona's emotion
        curves (as-is and to-be). Drawn in Python (:func:`cxwidgets.static_views.journey_svg`),
        a PNG rasterised by vl-convert: no browser and no network needed, openable anywhere.

        Example:
            >>> JourneyMap(Journey.template("saas")).save_image("journey.png")  # doctest: +SKIP
            PosixPath('journey.png')
        """
        from cxwidgets.static_views import svg_to_png

        target = Path(path)
        suffix = target.suffix.lower()
        if suffix not in (".png", ".svg"):
            raise ValueError(f"save_image: {target.name!r} needs a .png or .svg extension (use to_html for HTML)")
        svg = self._static_svg()
        atomic_write(target, svg if suffix == ".svg" else svg_to_png(svg, scale=scale))
        return target

    def _report_sections(self) -> list[dict[str, Any]]:
        """Below the live map in :meth:`to_html`: the scores behind it and the journey file."""
        from cxwidgets.widgets._export import table
        from cxwidgets.widgets._static import journey_sections

        rows = [{"moment": n, **self.scores[n]} for n in self._journey.moment_names() if n in self.scores]
        cols = ("moment", "value_text", "mis", "status", "coverage", "n_accounts")
        return [*([table("Moment Impact Scores", rows, cols)] if rows else []), *journey_sections(self)]

    def _static_svg(self) -> str:
        """What the map shows now, as a picture (the static fallback: :mod:`cxwidgets.widgets._static`)."""
        from cxwidgets.static_views import journey_svg

        return journey_svg(self.journey_data, self.scores, personas=[self.persona] if self.persona else None)

    # ---- the MIS model -----------------------------------------------------------------------

    @property
    def model(self) -> Any:
        """The bound MIS engine (``None`` when the map shows no data). Setting it refreshes."""
        return self._model

    @model.setter
    def model(self, value: Any) -> None:
        self._model = value
        self._values_cache = None
        self.refresh()

    def refresh(self) -> dict[str, dict[str, Any]]:
        """Recompute ``scores`` from the bound model (``{}`` with no model) and return them."""
        if self._model is None:
            self.scores = {}
            return {}
        rows = _records(self._model.score(level="moment"))
        scores = card_scores(rows, self._primary_values())  # what each card shows: cxwidgets.views
        self.scores = scores
        return scores

    def _primary_values(self) -> dict[str, tuple[float, str]]:
        """moment -> (value, text) of its primary (first) signal over all its observations
        (:func:`cxwidgets.views.primary_values`: the pooled NPS of every answer with its n, never
        a mean of the accounts' NPS)."""
        table = getattr(self._model, "table", None)
        observations = getattr(table, "observations", None)
        if observations is None:
            return {}
        key = (id(table), id(self._journey))
        if self._values_cache is not None and self._values_cache[0] == key:
            return self._values_cache[1]
        try:
            out = primary_values(self._journey, observations)
        except Exception:  # noqa: BLE001 - values are a nicety; the MIS still shows
            out = {}
        self._values_cache = (key, out)
        return out

    # ---- display -----------------------------------------------------------------------------

    def __repr__(self) -> str:
        j = self._journey
        n_m = sum(len(s.moments) for s in j.stages)
        return (
            f"JourneyMap(journey={_short(j.name)!r}, stages={len(j.stages)}, moments={n_m}, "
            f"mode={self.mode!r}, selected={self.selected_moment!r})"
        )
