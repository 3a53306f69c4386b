"""Normalisers: the linear floor/target formula in both directions, and the registry."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxwidgets.journey import Journey
from cxwidgets.normalise import NORMALISERS, get_normaliser, linear, normalise, register_normaliser


def test_linear_higher_is_better() -> None:
    sig = SimpleNamespace(floor=3.0, target=4.5)  # onboarding CSAT
    assert linear(np.array([2.0, 3.0, 3.75, 4.5, 5.0]), sig).tolist() == [0.0, 0.0, 50.0, 100.0, 100.0]


def test_linear_lower_is_better() -> None:
    sig = Journey.template("saas").signal("First Response To Inquiry", "Time to first touch")  # floor 120, target 10
    out = linear(np.array([500.0, 120.0, 65.0, 10.0, 1.0]), sig)
    assert out.tolist() == [0.0, 0.0, 50.0, 100.0, 100.0]
    assert not np.signbit(out).any()  # no -0.0


@given(
    st.floats(-1e6, 1e6), st.floats(-1e3, 1e3), st.floats(0.01, 1e3), st.booleans()
)
def test_linear_bounds_and_direction(x: float, lo: float, span: float, lower: bool) -> None:
    floor, target = (lo + span, lo) if lower else (lo, lo + span)
    sig = SimpleNamespace(floor=floor, target=target)
    s = float(linear(np.array([x]), sig)[0])
    assert 0.0 <= s <= 100.0
    # moving toward the target never lowers the score
    toward = x + (target - x) * 0.5
    assert float(linear(np.array([toward]), sig)[0]) >= s - 1e-9


def test_registry() -> None:
    assert NORMALISERS["linear"] is linear
    assert get_normaliser(None) is linear

    @register_normaliser("test_flat", overwrite=True)
    def flat(values: np.ndarray, signal: object) -> np.ndarray:
        return np.full(values.shape, 25.0)

    assert normalise(np.array([1.0, 2.0]), SimpleNamespace(floor=0, target=1), "test_flat").tolist() == [25.0, 25.0]
    with pytest.raises(ValueError, match="already registered"):
        register_normaliser("test_flat")(lambda v, s: v)
    register_normaliser("test_flat")(flat)  # re-registering the same function is fine
    with pytest.raises(ValueError, match="unknown normaliser 'lineer'.*did you mean 'linear'"):
        get_normaliser("lineer")
    with pytest.raises(ValueError, match="non-empty"):
        register_normaliser(" ")


def test_normalise_checks_the_output() -> None:
    register_normaliser("test_bad_range", overwrite=True)(lambda v, s: v * 1000)
    register_normaliser("test_bad_len", overwrite=True)(lambda v, s: v[:1])
    sig = SimpleNamespace(floor=0.0, target=1.0)
    with pytest.raises(ValueError, match="outside 0-100"):
        normalise(np.array([0.5, 1.0]), sig, "test_bad_range")
    with pytest.raises(ValueError, match="one score per value"):
        normalise(np.array([0.5, 1.0]), sig, "test_bad_len")
