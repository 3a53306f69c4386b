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
import uuid
import weakref
from collections.abc import Iterator
from typing import Any, ClassVar

import traitlets

from cxwidgets._util.html import text as esc

__all__ = ["SVG", "VIEW", "StaticFallback", "picture_bundle"]

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
        todo.extend(c for c in (getattr(w, "children", None) or ()) if hasattr(c, "observe"))


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
