"""The WeightTuner's controls, as Python handles onto its synced state.

The tuner is one anywidget: its sliders, dropdowns and checkbox are drawn by its own ES module
(weight_tuner.js) from the synced traits ``values``, ``maxima``, ``settings`` and ``by``. These
small classes keep the Python API of a control (``tuner.sliders[key].value = 2``,
``tuner.missing.value``, ``tuner.by_picker.options``): reading one reads the tuner's trait,
setting one sets it, so the tuner's rules decide and a refused value springs back with a message
(never a silent clamp, never a traceback in the kernel's log).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Choice", "Slider", "Toggle", "plain_number"]


def plain_number(value: Any) -> bool:
    """Whether ``value`` is a number a slider may carry (a bool is not one).

    Example:
        >>> plain_number(2), plain_number(0.5), plain_number(True), plain_number("2")
        (True, True, False, False)
    """
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Slider:
    """One slider of a tuner: ``key`` in ``tuner.values`` (its value) and ``tuner.maxima``
    (its end). Setting ``value`` from Python applies at once; a value that is not a number is
    refused with a ``TypeError`` (the page's own moves are checked by the tuner)."""

    def __init__(self, tuner: Any, key: str, description: str, step: float, tooltip: str) -> None:
        self._tuner = tuner
        self.key = key
        self.description = description
        self.step = step
        self.tooltip = tooltip
        self.min = 0.0
        #: labels are drawn as text (textContent) in the page, never as HTML
        self.description_allow_html = False

    @property
    def value(self) -> float:
        return float(self._tuner.values[self.key])

    @value.setter
    def value(self, value: float) -> None:
        if not plain_number(value):
            raise TypeError(f"{self.description}: a slider's value is a number, got {type(value).__name__}")
        self._tuner.values = {**self._tuner.values, self.key: float(value)}

    @property
    def max(self) -> float:
        return float(self._tuner.maxima[self.key])

    @max.setter
    def max(self, value: float) -> None:
        self._tuner.maxima = {**self._tuner.maxima, self.key: float(value)}

    @property
    def focused(self) -> bool:
        """Whether the slider is highlighted (its moment is selected: :meth:`WeightTuner.focus`)."""
        return self.key in self._tuner.focused

    def __repr__(self) -> str:
        return f"Slider({self.key!r}, value={self.value!r})"


class Choice:
    """A dropdown of a tuner: ``value`` is one of ``options`` (values; ``labels`` are what the
    page shows), read from and written to the tuner's trait ``trait`` (or key ``field`` of it)."""

    def __init__(
        self, tuner: Any, trait: str, description: str, options: Any, field: str | None = None,
        labels: list[str] | None = None,
    ) -> None:
        self._tuner = tuner
        self._trait = trait
        self._field = field
        self._options = options
        self.description = description
        self.labels = labels

    @property
    def options(self) -> list[Any]:
        return list(getattr(self._tuner, self._options)) if isinstance(self._options, str) else list(self._options)

    @property
    def value(self) -> Any:
        current = getattr(self._tuner, self._trait)
        return current if self._field is None else current[self._field]

    @value.setter
    def value(self, value: Any) -> None:
        if self._field is None:
            setattr(self._tuner, self._trait, value)
        else:
            setattr(self._tuner, self._trait, {**getattr(self._tuner, self._trait), self._field: value})

    def __repr__(self) -> str:
        return f"Choice({self.description!r}, value={self.value!r})"


class Toggle(Choice):
    """A checkbox of a tuner (a :class:`Choice` of ``False`` and ``True``)."""

    def __init__(self, tuner: Any, trait: str, description: str, field: str) -> None:
        super().__init__(tuner, trait, description, [False, True], field=field)
