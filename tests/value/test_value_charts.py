"""The value charts carry every number of their frame (share, n) and refuse a frame of the wrong kind."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from cxwidgets.errors import CXDataError
from cxwidgets.value import BGNBD, holdout_check, simulate_transactions
from cxwidgets.value.cohorts import retention
from cxwidgets.value_charts import cohort_heatmap, holdout_chart, retention_curves


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    start, end = dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2024, 9, 30, tzinfo=dt.UTC)
    log = simulate_transactions(400, r=0.8, alpha=4.0, a=1.0, b=3.0, acquisition_days=100, start=start, end=end, seed=1)
    return retention(log, by="month")


def _values(spec: dict) -> list[dict]:
    return spec["data"]["values"] if "data" in spec else spec["layer"][0]["data"]["values"]


def test_heatmap_and_curves_hold_the_frames_rows(frame: pl.DataFrame) -> None:
    for chart in (cohort_heatmap(frame), retention_curves(frame)):
        values = _values(chart.to_dict())
        assert len(values) == frame.height
        assert [(v["period"], v["n_active"], v["n_cohort"]) for v in values] == list(
            frame.select("period", "n_active", "n_cohort").iter_rows())


def test_holdout_chart_has_both_series() -> None:
    s = pl.DataFrame({"frequency": [0, 1, 3], "recency": [0.0, 5.0, 9.0], "T": [30.0, 30.0, 30.0],
                      "frequency_holdout": [0, 1, 2]})
    out = holdout_check(BGNBD(0.5, 6.0, 0.9, 2.5, se={}, log_likelihood=0.0, n=0), s, duration=20.0, groups=2)
    values = _values(holdout_chart(out).to_dict())
    assert sorted({v["series"] for v in values}) == ["actual", "predicted"] and len(values) == 2 * out.height


def test_a_wrong_frame_is_named() -> None:
    with pytest.raises(CXDataError, match="retention"):
        cohort_heatmap(pl.DataFrame({"x": [1]}))
