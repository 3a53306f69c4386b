"""The WeightTuner's controls: ipywidgets sliders, dropdowns and checkboxes that hand the tuner
what the page sent, so the model's rules decide and a refused value springs back with a message
(never a silent clamp, never a traceback in the kernel's log)."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import traitlets

from cxwidgets.widgets._base import PageUpdates


class _Slider(PageUpdates, w.FloatSlider):
    """A slider that hands the tuner what the front end sent, unchanged: no silent clamp to its
    ends (-1 would become 0, switching a signal off; 1e308 would become 5). The model's rules
    decide, and a refused value springs back with a message. A value that is not a number at
    all (a boolean, text) never becomes one: the tuner refuses it the same way."""

    @traitlets.validate("value")
    def _validate_value(self, proposal: dict[str, Any]) -> Any:
        return proposal["value"]

    def set_state(self, sync_data: dict[str, Any]) -> None:
        if "value" in sync_data and not _plain_number(sync_data["value"]):
            sync_data = dict(sync_data)
            raw = sync_data.pop("value")
            refuse = getattr(self, "_refuse_raw", None)
            if refuse is not None:
                refuse(self, raw)
            self.send_state("value")  # the page shows the last good value again
            if not sync_data:
                return
        super().set_state(sync_data)


class _Guarded:
    """Mixin for a control: a value from the page that its trait refuses (an index past the
    options, text for a checkbox) becomes the tuner's message, and the page is sent the last
    good value, instead of a traceback in the kernel's log."""

    def set_state(self, sync_data: dict[str, Any]) -> None:
        try:
            super().set_state(sync_data)  # type: ignore[misc]
        except (traitlets.TraitError, ValueError, TypeError) as err:
            refuse = getattr(self, "_refuse_text", None)
            if refuse is not None:
                refuse(f"{getattr(self, 'description', '') or 'setting'}: {err}")
            self.send_state([k for k in sync_data if k in self.keys])  # type: ignore[attr-defined]


class _Dropdown(_Guarded, PageUpdates, w.Dropdown):
    pass


class _Checkbox(_Guarded, PageUpdates, w.Checkbox):
    pass


def _plain_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _slider(description: str, value: float, maximum: float, step: float, tooltip: str) -> w.FloatSlider:
    return _Slider(
        value=value,
        min=0.0,
        max=max(maximum, value),
        step=step,
        description=description,
        tooltip=tooltip,
        readout_format=".2f",
        continuous_update=True,
        style={"description_width": "11em"},
        layout=w.Layout(width="98%"),
    )
