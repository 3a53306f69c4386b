"""Static fallbacks: every widget seen without a kernel, as it was last drawn.

A widget's live view needs a kernel and the widget JavaScript; nbconvert HTML (which skips a
widget view when no widget state is saved), GitHub's notebook view (images only) and the docs
site (rendered from stored outputs) have neither. So a widget with the :class:`StaticFallback`
mixin supplies one small method, ``_static_svg()``: what it shows now, as an SVG picture
(drawn in :mod:`cxwidgets.static_views`). The mixin then

- puts that picture (``image/svg+xml``) in the widget's display bundle, beside the widget view
  (``_repr_mimebundle_``: what altair's mimetype renderer does with its PNG);
- when IPython displays the widget (``_ipython_display_``), shows the widget view and, right
  below it, a *picture output* carrying the SVG and an empty widget view
  (``model_id: ""``). JupyterLab, Notebook 7 and Voila hide a widget view whose model id is
  empty (what they do for a closed widget), so the live page shows the live widget only;
  nbconvert, GitHub and the docs site, which cannot draw the widget, show the picture;
- keeps that picture current: after a change of the widget (or of a widget inside it), the
  picture output is replaced by ``update_display`` (its ``display_id``) at the end of the cell
  that made the change, or ``debounce`` seconds after the last change made in the page (a
  drag, an edit). Only the hidden picture output is replaced: the live view is never
  re-rendered, so it neither flickers nor loses its state (focus, an open editor, a drag);
- gives :meth:`StaticFallback.static_html`, the picture as an HTML fragment, used by the
  ``to_html`` pages (:mod:`cxwidgets.widgets._export`).

User text stays inert: the pictures are XML-escaped SVG, shown by nbconvert as
``<img src="data:image/svg+xml;base64,…">``, where no script runs.

Example:
    >>> from cxwidgets.journey import Journey
    >>> from cxwidgets.widgets import JourneyMap
    >>> data, _ = JourneyMap(Journey.template("saas"))._repr_mimebundle_()
    >>> sorted(data)
    ['application/vnd.jupyter.widget-view+json', 'image/svg+xml', 'text/plain']
"""

from __future__ import annotations

import asyncio
import os
import uuid
import weakref
from collections.abc import Iterator
from typing import Any, ClassVar

import traitlets

from cxwidgets._util.files import atomic_write
from cxwidgets._util.html import text as esc
from cxwidgets.widgets._export import picture, report_page, table, text_block

__all__ = [
    "SVG",
    "VIEW",
    "StaticFallback",
    "explorer_html",
    "explorer_svg",
    "journey_sections",
    "picture_bundle",
    "thresholds_sections",
    "weights_sections",
    "weights_svg",
]

VIEW = "application/vnd.jupyter.widget-view+json"
SVG = "image/svg+xml"

#: widgets whose picture output waits for the end of the running cell
_DIRTY: weakref.WeakSet[Any] = weakref.WeakSet()
_HOOKED = False


def picture_bundle(svg: str) -> dict[str, Any]:
    """The picture output's data: the SVG, and an empty widget view that live front ends hide.

    Example:
        >>> sorted(picture_bundle("<svg/>"))
        ['application/vnd.jupyter.widget-view+json', 'image/svg+xml']
    """
    return {VIEW: {"version_major": 2, "version_minor": 0, "model_id": ""}, SVG: svg}


def _failed_svg(what: str, err: BaseException) -> str:
    message = f"{what}: the picture could not be drawn ({type(err).__name__}: {err})"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="40" viewBox="0 0 640 40">'
        f'<text x="8" y="24" font-size="13" fill="#d0312d">{esc(message[:200])}</text></svg>'
    )


def _split(bundle: Any) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    if isinstance(bundle, tuple):
        data, meta = bundle
        return (dict(data) if data is not None else None), dict(meta or {})
    return (dict(bundle) if bundle is not None else None), {}


def _widgets_in(root: Any) -> Iterator[Any]:
    """``root`` and every widget inside it (containers' ``children``, an Explorer's parts)."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        w = todo.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        yield w
        for key in getattr(w, "keys", None) or ():  # synced traits holding widgets: children, parts
            value = getattr(w, key, None)
            for c in value if isinstance(value, (list, tuple)) else (value,):
                if c is not w and hasattr(c, "observe") and hasattr(c, "model_id"):
                    todo.append(c)


def _flush_dirty(*_args: Any) -> None:
    """IPython's post_run_cell hook: redraw the pictures the cell made stale."""
    for widget in list(_DIRTY):
        widget._cx_flush()


def _hook_cells() -> None:
    global _HOOKED
    if _HOOKED:
        return
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return
    shell = get_ipython()
    if shell is None:
        return
    shell.events.register("post_run_cell", _flush_dirty)
    _HOOKED = True


class StaticFallback:
    """Mixin for a widget (an anywidget or an ipywidgets container): its display carries a
    picture of what it shows now, kept current, for hosts that cannot run it.

    A widget supplies :meth:`_static_svg`. ``debounce`` is how long after the last change made in
    the page the picture is redrawn (changes made by a cell are drawn when the cell ends).
    """

    #: seconds after the last change from the page before the picture output is redrawn
    static_debounce: ClassVar[float] = 1.0

    # ---- what the widget supplies ----------------------------------------------------------

    def _static_svg(self) -> str:
        """What the widget shows now, as an SVG picture (drawn by :mod:`cxwidgets.static_views`)."""
        raise NotImplementedError

    # ---- the picture -----------------------------------------------------------------------

    def static_svg(self) -> str:
        """The picture of what the widget shows now (SVG text); a picture saying why when it
        cannot be drawn, never an exception (a display must not fail)."""
        try:
            return self._static_svg()
        except Exception as err:  # noqa: BLE001 - shown in the picture itself
            return _failed_svg(type(self).__name__, err)

    def static_html(self) -> str:
        """The picture as an HTML fragment (inline SVG: user text in it is escaped)."""
        return f'<figure class="cx-picture">{self.static_svg()}</figure>'

    # ---- the one-file page ------------------------------------------------------------------

    def _report_sections(self) -> list[dict[str, Any]]:
        """What :meth:`to_html` shows: the picture and the journey file (widgets add their tables)."""
        return [picture(type(self).__name__, self.static_svg()), *journey_sections(self)]

    def to_html(self, path: str | os.PathLike[str] | None = None, *, title: str | None = None) -> str:
        """One self-contained, offline HTML page of what the widget shows now (its picture, the
        tables behind it, the journey file, when and with which version it was made), to email
        or archive; it opens in any browser with no Python and no network. Writes it to
        ``path`` (atomically) when given; returns it.

        Example:
            >>> tuner.to_html("thresholds.html")  # doctest: +SKIP
        """
        page = report_page(title or type(self).__name__, self._report_sections())
        if path is not None:
            atomic_write(path, page)
        return page

    # ---- the display bundle ----------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        data, meta = _split(super()._repr_mimebundle_(**kwargs))  # type: ignore[misc]
        if data is None:
            return None
        data[SVG] = self.static_svg()
        return data, meta

    def _ipython_display_(self) -> None:
        from IPython.display import display

        data, meta = _split(super()._repr_mimebundle_())  # type: ignore[misc]
        if data is None:
            return
        display(data, metadata=meta, raw=True)
        display(picture_bundle(self.static_svg()), raw=True, display_id=self._cx_display_id())
        self._cx_watch()

    # ---- keeping the picture current -------------------------------------------------------

    def _cx_display_id(self) -> str:
        did = self.__dict__.get("_cx_did")
        if did is None:
            did = self.__dict__["_cx_did"] = f"cx-picture-{uuid.uuid4().hex}"
        return str(did)

    def _cx_watch(self) -> None:
        if self.__dict__.get("_cx_watching"):
            return
        self.__dict__["_cx_watching"] = True
        for w in _widgets_in(self):
            w.observe(self._cx_changed, names=traitlets.All)
        _hook_cells()

    def _cx_changed(self, change: Any = None) -> None:
        if change is not None and str(change.get("name", "")).startswith("_"):
            return
        self.__dict__["_cx_dirty"] = True
        _DIRTY.add(self)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script): the end of the cell redraws it
            return
        pending = self.__dict__.get("_cx_timer")
        if pending is not None:
            pending.cancel()
        self.__dict__["_cx_timer"] = loop.call_later(self.static_debounce, self._cx_flush)

    def _cx_flush(self) -> None:
        """Redraw the picture output if the widget changed since it was drawn."""
        pending = self.__dict__.pop("_cx_timer", None)
        if pending is not None:
            pending.cancel()
        _DIRTY.discard(self)
        if not self.__dict__.pop("_cx_dirty", False):
            return
        from IPython.display import update_display

        update_display(picture_bundle(self.static_svg()), raw=True, display_id=self._cx_display_id())


def weights_svg(model: Any, by: str = "segment", changes: Any = None) -> str:
    """The weight tuner's three charts as one picture: MIS by moment, by stage and by ``by`` (a
    dimension of the accounts), coloured and labelled by state, from ``model.score``.

    Example:
        >>> import cxwidgets as cx
        >>> model = cx.MISModel(cx.Journey.template("saas"), cx.datasets.saas(200, seed=0))
        >>> svg = weights_svg(model)
        >>> svg.count('aria-label="MIS by'), "Renewal Decision" in svg
        (3, True)
    """
    from cxwidgets.charts import by_records, by_title, mis_records
    from cxwidgets.static_views import bars_svg, stack_svgs

    moments = mis_records(model.score("moment"), "moment", changes)
    stages = mis_records(model.score("stage"), "stage")
    groups = by_records(model.score("journey", by=by), by)
    return stack_svgs(
        [bars_svg(moments, "MIS by moment", width=460), bars_svg(stages, "MIS by stage", width=360),
         bars_svg(groups, by_title(by), width=380)],
        across=True, title="MIS charts",
    )


def journey_sections(widget: Any) -> list[dict[str, Any]]:
    """The journey file a widget would save, as a page section: its model's whole tuned state
    (``model.to_journey()``) or the map's journey; none when the widget has neither."""
    model = getattr(widget, "model", None)
    to_journey = getattr(model, "to_journey", None)
    journey = to_journey() if callable(to_journey) else getattr(widget, "journey_spec", None)
    if journey is None or not hasattr(journey, "to_yaml"):
        return []
    return [text_block("The journey file (YAML)", journey.to_yaml())]


_SCORE_COLUMNS = ("label", "mis", "state", "text")


def weights_sections(model: Any, by: str = "segment", changes: Any = None) -> list[dict[str, Any]]:
    """The weight tuner's page sections: its three charts, and the tables behind them."""
    from cxwidgets.charts import by_records, by_title, mis_records

    return [
        picture("MIS charts", weights_svg(model, by, changes)),
        table("MIS by moment", mis_records(model.score("moment"), "moment", changes), _SCORE_COLUMNS),
        table("MIS by stage", mis_records(model.score("stage"), "stage"), _SCORE_COLUMNS),
        table(by_title(by), by_records(model.score("journey", by=by), by), (*_SCORE_COLUMNS, "n")),
    ]


def thresholds_sections(tuner: Any) -> list[dict[str, Any]]:
    """The threshold tuner's page sections: its histogram with the bands, the accounts and
    outcome rate per band, the bands of each group (with ``by``) and the bins behind them."""
    bands = dict(tuner.bands or {})
    rows = []
    for k in ("green", "amber", "red"):
        b = bands.get(k) or {}
        rows.append({"band": k, "accounts": b.get("n"), "share": b.get("share"), "known outcome": b.get("known"),
                     "events": b.get("events"), "rate": b.get("rate")})
    out = [picture(str(tuner.info.get("label") or "Thresholds"), tuner.static_svg()),
           table(f"Bands at green {tuner.green:g}, amber {tuner.amber:g}", rows)]
    summary = {k: bands.get(k) for k in ("n", "events", "base_rate", "precision", "recall", "lift", "n_missing")}
    out.append(table("Red as a warning", [summary]))
    if tuner.group_bands:
        groups = [
            {"group": g.get("group"), **{f"{k} accounts": (g.get(k) or {}).get("n") for k in ("green", "amber", "red")},
             "precision": g.get("precision"), "recall": g.get("recall")}
            for g in tuner.group_bands
        ]
        out.append(table(f"Bands by {tuner.by}", groups))
    out.append(table("Bins", list(tuner.bins), ("lo", "hi", "n", "known", "events")))
    return out


def explorer_svg(explorer: Any) -> str:
    """The Explorer as one picture: the map, the weight tuner's MIS charts, the threshold bands."""
    from cxwidgets.static_views import stack_svgs

    return stack_svgs([explorer.map.static_svg(), explorer.weights.static_svg(), explorer.thresholds.static_svg()],
                      title="Explorer", gap=24)


def explorer_html(explorer: Any, path: str | os.PathLike[str] | None = None, *, title: str | None = None) -> str:
    """The Explorer's one-file page: the live map (read-only), the MIS charts and the threshold
    bands with the tables behind them, and the journey file."""
    from cxwidgets.widgets.journey_map import _CSS, _ESM

    jmap = explorer.map
    state = {"journey_data": jmap.journey_data, "scores": jmap.scores, "selected_moment": jmap.selected_moment,
             "mode": "view", "persona": jmap.persona, "error": "", "request": {}, "ack": {}}
    w = explorer.weights
    sections = [
        *weights_sections(explorer.model, w.by, getattr(w, "rank_changes", None)),
        *thresholds_sections(explorer.thresholds),
        *journey_sections(explorer),
    ]
    page = report_page(title or jmap.journey_spec.name, sections, state=state, esm=_ESM, css=_CSS)
    if path is not None:
        atomic_write(path, page)
    return page
