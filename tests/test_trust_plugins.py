"""Issue 11, plugin values: a plugin's value outside its declared range, a normaliser's NaN or inf,
and an exception inside plugin code reach the user as a CXPluginError naming the plugin, its
distribution and the signal or template it was called for (the plugin's frame kept in the chain).

Plugins are registered through the public API (cx.register_metric, cx.register_normaliser,
cx.register_template); the expected values are worked by hand in the comments."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

import cxwidgets as cx
from cxwidgets import plugins
from cxwidgets.errors import CXDataError
from cxwidgets.journey import Journey
from cxwidgets.plugins import CXPluginError

UTC = UTC
T = datetime(2024, 3, 1, tzinfo=UTC)
AS_OF = datetime(2024, 6, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clean_registries(clean_registries: None) -> None:
    """Every test leaves the registries as it found them."""


def data() -> dict:
    # account A answers 5 and 3, B answers 4 and 4, C answers 2
    return {
        "accounts": pl.DataFrame({"account_id": ["A", "B", "C"], "segment": ["smb"] * 3}),
        "responses": pl.DataFrame(
            {
                "account_id": ["A", "A", "B", "B", "C"],
                "moment": ["Kickoff"] * 5,
                "metric": ["csat"] * 5,
                "score": [5.0, 3.0, 4.0, 4.0, 2.0],
                "responded_at": [T] * 5,
            }
        ),
        "as_of": AS_OF,
    }


def journey(aggregate: str = "mean", floor: float = 1, target: float = 5, normaliser: str | None = None) -> Journey:
    j = Journey.empty("Plugins").add_stage("Start").add_moment("Start", "Kickoff")
    return j.add_signal(
        "Kickoff",
        name="Kickoff CSAT",
        category="experience",
        source={"table": "responses", "metric": "csat", "aggregate": aggregate, "scale": [1, 5]},
        floor=floor,
        target=target,
        normaliser=normaliser,
    )


def frames(err: BaseException) -> list[str]:
    """Function names in the traceback chain of ``err`` (its cause included)."""
    names = []
    e: BaseException | None = err
    while e is not None:
        names += [f.name for f in traceback.extract_tb(e.__traceback__)]
        e = e.__cause__
    return names


# ---- metrics --------------------------------------------------------------------------------------------


def test_a_metric_outside_its_declared_range_is_refused_naming_plugin_and_signal() -> None:
    # declared 0-1, but returns percent: A (5, 3) -> 50, B (4, 4) -> 100, C (2) -> 0
    cx.register_metric("pct_high", lambda x: (x >= 4).mean() * 100, value_range=(0, 1))
    with pytest.raises(CXPluginError) as info:
        cx.bind(journey("pct_high", floor=0, target=1), data(), progress=False)
    err = info.value
    text = str(err)
    assert isinstance(err, CXDataError)  # code catching the data error still catches it
    assert "metric 'pct_high'" in text and "registered in this session" in text
    assert "signal 'Kickoff CSAT' of moment 'Kickoff'" in text
    assert "declared value_range 0-1" in text
    assert "account 'A': 50" in text and "account 'B': 100" in text
    assert err.plugin == "pct_high" and err.kind == "metric" and err.distribution == "registered in this session"
    assert err.n_rows == 2  # A and B; C's 0 is inside


def test_a_scale_metric_beyond_the_scale_is_refused() -> None:
    # value_range "scale" (stays on the answers' 1-5 scale), but sums: A 8, B 8, C 2
    cx.register_metric("total", lambda x: x.sum(), value_range="scale")
    with pytest.raises(CXPluginError, match=r"metric 'total'(.|\n)*the scale 1-5(.|\n)*account 'A': 8"):
        cx.bind(journey("total"), data(), progress=False)


def test_a_metric_returning_inf_is_refused() -> None:
    # x / (x - x) divides by zero: inf for every account
    cx.register_metric("broken_ratio", lambda x: (x / (x - x)).mean())
    with pytest.raises(CXPluginError, match=r"metric 'broken_ratio'(.|\n)*not finite(.|\n)*account 'A': inf"):
        cx.bind(journey("broken_ratio", floor=0, target=10), data(), progress=False)


def _boom(s: pl.Series) -> float:
    if s.max() > 4:  # the registration check uses 1, 2, 4: only real data fails
        raise ZeroDivisionError("kaput")
    return float(s.mean())


def test_an_exception_in_a_metric_is_wrapped_with_the_plugin_frame_kept() -> None:
    cx.register_metric("fragile", lambda x: x.map_batches(_boom, returns_scalar=True, return_dtype=pl.Float64))
    with pytest.raises(CXPluginError) as info:
        cx.MISModel(journey("fragile"), data(), progress=False)
    err = info.value
    text = str(err)
    assert "metric 'fragile'" in text and "registered in this session" in text
    assert "signal 'Kickoff CSAT' of moment 'Kickoff'" in text and "ZeroDivisionError" in text and "kaput" in text
    assert isinstance(err.__cause__, ZeroDivisionError)
    assert "_boom" in frames(err)


def test_a_plugin_distribution_is_named() -> None:
    with plugins.origin("acme-cx"):
        cx.register_metric("acme_pct", lambda x: (x >= 4).mean() * 100, value_range=(0, 1))
    with pytest.raises(CXPluginError, match=r"metric 'acme_pct' \(from the distribution acme-cx"):
        cx.bind(journey("acme_pct", floor=0, target=1), data(), progress=False)


# ---- normalisers ----------------------------------------------------------------------------------------


def test_a_normaliser_returning_nan_is_refused() -> None:
    @cx.register_normaliser("ends_only")
    def ends_only(values: np.ndarray, signal: object) -> np.ndarray:
        # the floor 0 and target 100, NaN between: passes the load-time check, fails on data
        return np.where(values <= signal.floor, 0.0, np.where(values >= signal.target, 100.0, np.nan))

    # means: A 4, B 4, C 2: all between floor 1 and target 5 -> NaN
    with pytest.raises(CXPluginError) as info:
        cx.MISModel(journey(normaliser="ends_only"), data(), progress=False)
    text = str(info.value)
    assert "normaliser 'ends_only'" in text and "registered in this session" in text
    assert "signal 'Kickoff CSAT'" in text and "NaN" in text
    assert "4 -> nan" in text


def test_a_normaliser_returning_inf_or_out_of_range_is_refused() -> None:
    @cx.register_normaliser("stretch")
    def stretch(values: np.ndarray, signal: object) -> np.ndarray:
        out = 100 * np.clip((values - signal.floor) / (signal.target - signal.floor), 0, 1)
        return np.where(values == 2.0, np.inf, np.where(values == 4.0, 140.0, out))

    with pytest.raises(CXPluginError, match=r"normaliser 'stretch'(.|\n)*outside 0-100(.|\n)*4 -> 140(.|\n)*2 -> inf"):
        cx.MISModel(journey(normaliser="stretch"), data(), progress=False)


def test_an_exception_in_a_normaliser_is_wrapped() -> None:
    @cx.register_normaliser("moody")
    def moody(values: np.ndarray, signal: object) -> np.ndarray:
        if len(values) > 2:  # the load-time check passes two values
            raise RuntimeError("not today")
        return np.full(len(values), 50.0)

    with pytest.raises(CXPluginError) as info:
        cx.MISModel(journey(normaliser="moody"), data(), progress=False)
    err = info.value
    assert "normaliser 'moody'" in str(err) and "signal 'Kickoff CSAT'" in str(err)
    assert "RuntimeError: not today" in str(err)
    assert isinstance(err.__cause__, RuntimeError) and "moody" in frames(err)
    assert isinstance(err, ValueError)  # as the out-of-range refusal always was


# ---- templates --------------------------------------------------------------------------------------------


def test_an_exception_in_a_template_loader_is_wrapped() -> None:
    @cx.register_template("flaky")
    def flaky() -> dict:
        raise KeyError("stages")

    with pytest.raises(CXPluginError) as info:
        Journey.template("flaky")
    err = info.value
    assert "template 'flaky'" in str(err) and "registered in this session" in str(err)
    assert "Journey.template('flaky')" in str(err)
    assert isinstance(err.__cause__, KeyError) and "flaky" in frames(err)


def test_built_in_normalisers_and_templates_are_not_wrapped() -> None:
    # a built-in's own ValueError stays as it was (it is not plugin code)
    with pytest.raises(ValueError, match="slope must be a positive number") as info:
        cx.MISModel(
            journey(normaliser="logistic").update_signal("Kickoff", "Kickoff CSAT", normaliser_args={"slope": -1})
        )
    assert not isinstance(info.value, CXPluginError)
