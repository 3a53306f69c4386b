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


@given(st.floats(-1e6, 1e6), st.floats(-1e3, 1e3), st.floats(0.01, 1e3), st.booleans())
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


# ---------------------------------------------------------------------------------------------
# percentile, logistic, banded (registered through the plugin registry as the package's own)
# ---------------------------------------------------------------------------------------------

import math  # noqa: E402

import polars as pl  # noqa: E402
from scipy.stats import percentileofscore  # noqa: E402

from cxwidgets import plugins  # noqa: E402
from cxwidgets.journey import JourneyError, Signal  # noqa: E402
from cxwidgets.mis import MISModel, score_reference  # noqa: E402
from cxwidgets.normalise import banded, check_normaliser, logistic, percentile  # noqa: E402
from cxwidgets.signals import SignalTable  # noqa: E402


def test_bundled_normalisers_are_registered_as_the_package() -> None:
    for name, fn in (("linear", linear), ("percentile", percentile), ("logistic", logistic), ("banded", banded)):
        assert NORMALISERS[name] is fn
        assert NORMALISERS.origin(name) == plugins.BUILTIN
    assert {"linear", "percentile", "logistic", "banded"} <= set(plugins.choices()["normalisers"])


@given(st.lists(st.integers(-5, 5).map(float), min_size=1, max_size=30), st.booleans())
def test_percentile_matches_scipy_and_a_brute_force_count(xs: list[float], lower: bool) -> None:
    values = np.array(xs)
    sig = SimpleNamespace(floor=10.0, target=0.0) if lower else SimpleNamespace(floor=0.0, target=10.0)
    got = percentile(values, sig)
    for x, g in zip(xs, got, strict=True):
        # brute force: mean of the share strictly worse and the share worse-or-equal
        worse = sum((y > x) if lower else (y < x) for y in xs) / len(xs)
        not_better = sum((y >= x) if lower else (y <= x) for y in xs) / len(xs)
        assert g == pytest.approx(100 * (worse + not_better) / 2)
        if not lower:
            assert g == pytest.approx(percentileofscore(xs, x, kind="mean"))


def test_percentile_single_value_and_empty() -> None:
    sig = SimpleNamespace(floor=0.0, target=1.0)
    assert percentile(np.array([7.0]), sig).tolist() == [50.0]
    assert percentile(np.array([]), sig).tolist() == []


def test_logistic_defaults_put_floor_at_5_and_target_at_95() -> None:
    # floor 2, target 5: midpoint 3.5, k = 2 ln 19 / 3; at the target k * 1.5 = ln 19 and
    # 1 / (1 + 1/19) = 0.95
    sig = SimpleNamespace(floor=2.0, target=5.0)
    assert logistic(np.array([2.0, 3.5, 5.0]), sig) == pytest.approx([5.0, 50.0, 95.0])
    # lower is better (minutes): floor 120, target 10 -> 120 scores 5, 10 scores 95
    low = SimpleNamespace(floor=120.0, target=10.0)
    assert logistic(np.array([120.0, 65.0, 10.0]), low) == pytest.approx([5.0, 50.0, 95.0])
    # extremes stay in range without overflow warnings
    out = logistic(np.array([-1e300, 1e300]), sig)
    assert out.tolist() == [0.0, 100.0]


def test_logistic_arguments() -> None:
    sig = SimpleNamespace(floor=0.0, target=10.0, normaliser_args={"midpoint": 4.0, "slope": 0.5})
    for x in (0.0, 4.0, 7.0):
        assert float(logistic(np.array([x]), sig)[0]) == pytest.approx(100 / (1 + math.exp(-0.5 * (x - 4.0))))
    low = SimpleNamespace(floor=10.0, target=0.0, normaliser_args={"slope": 0.5})  # direction from floor/target
    assert float(logistic(np.array([3.0]), low)[0]) == pytest.approx(100 / (1 + math.exp(0.5 * (3.0 - 5.0))))
    with pytest.raises(ValueError, match="slope must be a positive"):
        logistic(np.array([1.0]), SimpleNamespace(floor=0.0, target=1.0, normaliser_args={"slope": -1.0}))


@given(st.floats(-50, 50), st.floats(-50, 50), st.booleans())
def test_logistic_is_monotone_toward_the_target(a: float, b: float, lower: bool) -> None:
    sig = SimpleNamespace(floor=10.0, target=0.0) if lower else SimpleNamespace(floor=0.0, target=10.0)
    sa, sb = (float(v) for v in logistic(np.array([a, b]), sig))
    better_a = a <= b if lower else a >= b
    assert (sa >= sb - 1e-12) if better_a else (sb >= sa - 1e-12)
    assert 0.0 <= sa <= 100.0


def test_banded_steps_at_the_signal_thresholds() -> None:
    # CSAT: floor 3, amber 4, green 4.5, target 4.8 -> 0 below 3, then 25 / 50 / 75 / 100
    sig = SimpleNamespace(floor=3.0, amber=4.0, green=4.5, target=4.8)
    got = banded(np.array([1.0, 2.99, 3.0, 3.9, 4.0, 4.49, 4.5, 4.79, 4.8, 5.0]), sig)
    assert got.tolist() == [0.0, 0.0, 25.0, 25.0, 50.0, 50.0, 75.0, 75.0, 100.0, 100.0]
    # lower is better: time to first touch floor 120, amber 30, green 10, target 10 (green = target)
    ttft = Journey.template("saas").signal("First Response To Inquiry", "Time to first touch")
    got = banded(np.array([150.0, 120.0, 60.0, 30.0, 20.0, 10.0, 1.0]), ttft)
    assert got.tolist() == [0.0, 25.0, 25.0, 50.0, 50.0, 100.0, 100.0]  # reaching 10 reaches green and target
    # no green/amber: two steps, 50 at the floor and 100 at the target
    assert banded(np.array([0.5, 1.0, 2.0]), SimpleNamespace(floor=1.0, target=2.0)).tolist() == [0.0, 50.0, 100.0]


def test_banded_arguments_and_errors() -> None:
    sig = SimpleNamespace(floor=3.0, amber=4.0, green=4.5, target=4.8, normaliser_args={"floor": 0.0, "amber": 40.0})
    assert banded(np.array([3.0, 4.0, 4.6, 4.9]), sig).tolist() == [0.0, 40.0, 75.0, 100.0]
    falling = SimpleNamespace(floor=3.0, amber=4.0, green=4.5, target=4.8, normaliser_args={"green": 30.0})
    with pytest.raises(ValueError, match="must lie in 0-100 and not fall"):
        banded(np.array([4.0]), falling)
    disordered = SimpleNamespace(floor=3.0, amber=4.9, green=5.0, target=4.8)
    with pytest.raises(ValueError, match="must run from floor through amber and green to target"):
        banded(np.array([4.0]), disordered)


def _signal(**fields: object) -> Signal:
    base: dict[str, object] = {
        "name": "CSAT",
        "category": "experience",
        "source": {"table": "responses", "metric": "csat"},
        "floor": 3,
        "target": 5,
    }
    base.update(fields)
    return Signal(**base)  # type: ignore[arg-type]


def test_a_signal_names_its_normaliser_and_arguments() -> None:
    s = _signal(normaliser=" logistic ", normaliser_args={"midpoint": 4.2})
    assert s.normaliser == "logistic" and s.normaliser_args == {"midpoint": 4.2}
    j = Journey.empty("N").add_stage("S").add_moment("S", "M", signals=[s])
    again = Journey.from_yaml(j.to_yaml())
    assert again.signal("M", "CSAT").normaliser_args == {"midpoint": 4.2}
    with pytest.raises(ValueError, match="unknown normaliser 'logistc'.*did you mean 'logistic'"):
        _signal(normaliser="logistc")
    with pytest.raises(ValueError, match="takes no argument 'steepness'.*midpoint, slope"):
        _signal(normaliser="logistic", normaliser_args={"steepness": 2})
    with pytest.raises(ValueError, match="'linear' takes no argument 'slope'; it takes none"):
        _signal(normaliser_args={"slope": 2})
    with pytest.raises(ValueError, match="signal 'CSAT'.*band scores"):
        _signal(normaliser="banded", green=4.5, amber=4.0, normaliser_args={"amber": 90, "green": 10})
    with pytest.raises(JourneyError, match="slope must be a positive"):
        Journey.empty("N").add_stage("S").add_moment(
            "S",
            "M",
            signals=[
                {
                    "name": "X",
                    "category": "experience",
                    "source": {"table": "responses", "metric": "csat"},
                    "floor": 3,
                    "target": 5,
                    "normaliser": "logistic",
                    "normaliser_args": {"slope": 0},
                }
            ],
        )
    check_normaliser(None, None, SimpleNamespace(floor=0.0, target=1.0))  # linear, no args: fine


def test_mis_engine_scores_with_the_signal_normaliser() -> None:
    # four accounts, one signal, percentile normaliser: values 1, 2, 2, 4 -> mid-ranks 1, 2.5, 2.5, 4
    # -> 100 * (rank - 0.5) / 4 = 12.5, 50, 50, 87.5
    j = Journey.empty("P").add_stage("S").add_moment("S", "M", signals=[_signal(normaliser="percentile", floor=1)])
    ids = ["a", "b", "c", "d"]
    table = SignalTable(
        observations=pl.DataFrame(
            {
                "account_id": ids,
                "moment": ["M"] * 4,
                "signal": ["CSAT"] * 4,
                "role": [None] * 4,
                "total": [1.0, 2.0, 2.0, 4.0],
                "n": [1] * 4,
            },
            schema_overrides={"role": pl.String},
        ),
        accounts=pl.DataFrame({"account_id": ids, "segment": ["x"] * 4, "arr": [1.0] * 4}),
    )
    model = MISModel(j, table)
    acc = model.score("account", by="moment").sort("account_id")
    assert acc["mis"].to_list() == pytest.approx([12.5, 50.0, 50.0, 87.5])
    ref = score_reference(j, table, level="account", by="moment").sort("account_id")  # the polars recompute
    assert ref["mis"].to_list() == pytest.approx([12.5, 50.0, 50.0, 87.5])


@given(
    st.lists(st.floats(-10, 10), min_size=1, max_size=20),
    st.lists(st.floats(0, 5), min_size=3, max_size=3),
    st.booleans(),
)
def test_banded_is_the_best_step_reached_brute_force(xs: list[float], gaps: list[float], lower: bool) -> None:
    # thresholds 4 apart-ish in the better direction: floor, amber, green, target
    cuts = np.cumsum([-5.0, *gaps])
    d = -1.0 if lower else 1.0
    named = dict(zip(("floor", "amber", "green", "target"), (d * c for c in cuts), strict=True))
    if named["floor"] == named["target"]:
        return
    sig = SimpleNamespace(**named)
    got = banded(np.array(xs), sig)
    for x, g in zip(xs, got, strict=True):
        reached = [
            100.0 * (i + 1) / 4
            for i, c in enumerate(("floor", "amber", "green", "target"))
            if (x <= named[c] if lower else x >= named[c])
        ]
        assert g == max(reached, default=0.0)
