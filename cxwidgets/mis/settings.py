"""The settings a :class:`~cxwidgets.mis.MISModel` is tuned with, checked and applied.

``_TunedSettings`` holds the private steps of the model's settings: the journey's own settings
(``_journey_state``), the checks of signal and segment weights, ``_apply`` (validate every
setting together, then store them and refresh what depends on them: role values, the roll-up
cache, the ARR note), ``_tuned_journey`` (the tuned state as a journey) and ``_set_journey`` (new
gates or thresholds: nothing to rescore). The public setters, ``set`` and ``reset`` are
:class:`~cxwidgets.mis.MISModel`'s own.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

import numpy as np

from cxwidgets._util.text import did_you_mean, short
from cxwidgets.errors import CXDataError
from cxwidgets.journey import Journey, MISSettings, signal_key
from cxwidgets.mis.arrays import _Rollup, _Spec
from cxwidgets.mis.checks import (
    MISSING_POLICIES,
    _is_number,
    _number,
    _segment_dimensions,
    _signal_weight,
    _validated_settings,
)
from cxwidgets.mis.rollups import _FastRollups


def _ro(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only copy of a settings mapping (what the model's getters return)."""
    return types.MappingProxyType(dict(mapping))


class _TunedSettings(_FastRollups):
    """The settings steps of :class:`~cxwidgets.mis.MISModel` (see the module docstring)."""

    journey: Journey
    _rolem: dict[str, float]

    def _journey_state(self) -> dict[str, Any]:
        mis = self.journey.mis
        return {
            "category_weights": dict(mis.category_weights),
            "signal_weights": dict(zip(self._spec.keys, self._spec.base_weight.tolist(), strict=True)),
            "role_multipliers": dict(mis.role_multipliers),
            "segment_multipliers": dict(mis.segment_multipliers),
            "segment_weights": {s: dict(w) for s, w in mis.segment_weights.items()},
            "missing": mis.missing,
            "arr_weighting": mis.arr_weighting,
            "segment_column": mis.segment_column,
        }

    _FIELDS = (
        "category_weights",
        "signal_weights",
        "role_multipliers",
        "segment_multipliers",
        "segment_weights",
        "missing",
        "arr_weighting",
        "segment_column",
    )

    def _check_signal_weights(self, weights: Mapping[str, Any]) -> dict[str, float]:
        if not isinstance(weights, Mapping):
            raise ValueError(
                f"signal_weights must be a mapping 'Moment/Signal' -> weight, got {type(weights).__name__}"
            )
        keys = self._spec.keys
        out = dict(zip(keys, self._spec.base_weight.tolist(), strict=True))
        current = getattr(self, "_sigw", out)
        for key, w in weights.items():
            if key not in out:
                raise ValueError(
                    f"signal_weights: unknown signal key {short(key)}{did_you_mean(key, keys)}; keys are "
                    f"'Moment name/Signal name', e.g. {keys[0]!r}" if keys else
                    f"signal_weights: unknown signal key {short(key)}; this journey has no signals"
                )
            what = f"signal_weights[{short(key)}]"
            if _is_number(w) and float(w) == current.get(key):  # unchanged: already checked
                out[key] = float(w)
            else:
                out[key] = _signal_weight(w, what)
        for m, js in enumerate(self._spec.moment_signals):
            if js.size and all(out[keys[j]] == 0 for j in js):
                raise ValueError(
                    f"signal_weights: every signal of moment {self._spec.moment_names[m]!r} has weight 0, so the "
                    "moment cannot be scored; give at least one of its signals a weight above 0"
                )
        return out

    def _check_segment_weights(self, weights: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, float]]:
        if not isinstance(weights, Mapping):
            raise ValueError("segment_weights must be a mapping segment -> {'Moment/Signal': weight}")
        keys = self._spec.keys
        out: dict[str, dict[str, float]] = {}
        for seg, ws in weights.items():
            if not isinstance(ws, Mapping):
                raise ValueError(f"segment_weights[{seg!r}] must be a mapping 'Moment/Signal' -> weight")
            for key, w in ws.items():
                if key not in keys:
                    raise ValueError(
                        f"segment_weights[{seg!r}]: unknown signal key {key!r}{did_you_mean(key, keys)}; keys are "
                        "'Moment name/Signal name' of a signal of this journey"
                    )
                out.setdefault(str(seg), {})[key] = _number(w, f"segment_weights[{short(seg)}][{short(key)}]")
            out.setdefault(str(seg), {})
        return out

    def _apply(self, state: Mapping[str, Any], initial: bool = False) -> None:
        sig = self._check_signal_weights(state["signal_weights"])
        segw = self._check_segment_weights(state["segment_weights"])
        base = {
            k: state[k]
            for k in ("category_weights", "role_multipliers", "segment_multipliers", "missing", "arr_weighting")
        }
        base["segment_weights"] = segw
        for k in ("category_weights", "role_multipliers", "segment_multipliers"):
            if not isinstance(base[k], Mapping):
                raise ValueError(f"{k} must be a mapping name -> number, got {type(base[k]).__name__}")
            base[k] = {name: _number(v, f"{k}[{short(name)}]") for name, v in base[k].items()}
        if not isinstance(base["arr_weighting"], (bool, np.bool_)):
            raise ValueError(f"arr_weighting must be True or False, got {base['arr_weighting']!r}")
        known_policies = (*MISSING_POLICIES, "renormalize")
        if isinstance(base["missing"], str) and base["missing"].strip().lower() not in known_policies:
            raise ValueError(
                f"missing must be one of {', '.join(MISSING_POLICIES)}, got {base['missing']!r}"
                f"{did_you_mean(base['missing'], list(MISSING_POLICIES))}"
            )
        base["segment_column"] = state.get("segment_column", self.journey.mis.segment_column)
        settings = _validated_settings(MISSettings(), base)
        if settings.arr_weighting:
            self._check_arr()
        if settings.segment_column != self._segment_column:
            _segment_dimensions(self._raw_dims, settings.segment_column)  # refuses an unknown column, nothing changed
            self._index_segments(settings.segment_column)
        self._catw = dict(settings.category_weights)
        self._sigw = sig
        self._rolem = dict(settings.role_multipliers)
        self._segm = dict(settings.segment_multipliers)
        self._segw = {s: dict(w) for s, w in settings.segment_weights.items()}
        self._missing = settings.missing
        self._arr_weighting = bool(settings.arr_weighting)
        self._refresh_role_values(self._rolem)
        self._rollup_cache: dict[tuple[str, ...], _Rollup] = {}
        self._arr_note()

    def _check_arr(self) -> None:
        arr = self._arr
        bad = np.flatnonzero(arr < 0)
        if bad.size:
            raise CXDataError(
                f"{bad.size} accounts have a negative ARR, so ARR cannot weight the roll-ups",
                table="accounts", column="arr", rows=self._account_ids.gather(bad[:5]).to_list(),
                fix="correct the ARR (or leave arr_weighting off)",
            )

    def _arr_note(self) -> None:
        self.notes = [n for n in self.notes if not n.startswith("arr_weighting:")]
        if self._arr_weighting:
            missing = int(np.isnan(self._arr).sum())
            if missing:
                self.notes.append(
                    f"arr_weighting: {missing:,} of {self._N:,} accounts have no ARR and weigh 0 in the roll-ups "
                    "(they are not counted in n_accounts)"
                )

    def _tuned_journey(self, settings: MISSettings) -> Journey:
        """The journey with the tuned signal weights in its signals and ``settings`` as its MIS settings."""
        data = self.journey.model_dump()
        data["mis"] = settings.model_dump()
        for st in data["stages"]:
            for m in st["moments"]:
                for s in m["signals"]:
                    s["weight"] = self._sigw[signal_key(m["name"], s["name"])]
        return Journey.model_validate(data)

    def _set_journey(self, journey: Journey) -> None:
        """A new journey of the same structure (gates or thresholds changed): nothing to rescore."""
        spec = _Spec.of(journey)
        if spec.keys != self._spec.keys:  # pragma: no cover - gates and thresholds never rename
            raise ValueError("the journey's moments and signals changed; build a new MISModel for it")
        self.journey, self._spec = journey, spec
