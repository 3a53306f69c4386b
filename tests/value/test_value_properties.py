"""Invariants of the value functions, over generated inputs (hypothesis)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cxwidgets.value import BGNBD, rfm_summary
from cxwidgets.value._checks import summary_arrays

params = st.tuples(*(st.floats(0.05, 10.0) for _ in range(4)))
histories = st.tuples(st.integers(0, 30), st.floats(0.0, 1.0), st.floats(0.5, 100.0))


@settings(max_examples=200, deadline=None)
@given(params, histories, st.floats(0.1, 100.0), st.floats(0.1, 50.0))
def test_p_alive_is_a_probability_and_purchases_grow_with_the_horizon(
    p: tuple[float, float, float, float], h: tuple[int, float, float], t: float, dt_: float,
) -> None:
    x, share, T = h
    t_x = share * T if x > 0 else 0.0
    m = BGNBD(*p, se={}, log_likelihood=0.0, n=0)
    pa = float(m.p_alive(x, t_x, T)[0])
    assert 0.0 <= pa <= 1.0
    if p[2] == 1.0:  # the closed form divides by a - 1
        return
    e1 = float(m.expected_purchases(t, x, t_x, T)[0])
    e2 = float(m.expected_purchases(t + dt_, x, t_x, T)[0])
    if np.isfinite(e1) and np.isfinite(e2):
        assert -1e-9 <= e1 <= e2 * (1 + 1e-9) + 1e-12


day_lists = st.lists(st.lists(st.integers(0, 400), min_size=1, max_size=8), min_size=1, max_size=12)


@settings(max_examples=100, deadline=None)
@given(day_lists, st.integers(0, 400))
def test_rfm_summary_counts_days_as_plain_python_and_passes_its_own_rules(days: list[list[int]], end: int) -> None:
    start = dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)
    rows = [(f"c{i}", start + dt.timedelta(days=d)) for i, ds in enumerate(days) for d in ds]
    log = pl.DataFrame({"account_id": [r[0] for r in rows], "at": [r[1] for r in rows]})
    cal_end = (start + dt.timedelta(days=end)).date()
    out = rfm_summary(log, calibration_end=cal_end, unit_days=1)
    expected = {}
    for i, ds in enumerate(days):
        uniq = sorted(set(ds))
        if uniq[0] > end:
            continue
        kept = [d for d in uniq if d <= end]
        expected[f"c{i}"] = (len(kept) - 1, float(kept[-1] - kept[0]), float(end - kept[0]))
    got = {r[0]: (r[1], r[2], r[3]) for r in out.select("account_id", "frequency", "recency", "T").iter_rows()}
    assert got == expected
    if out.height:
        summary_arrays(out)  # no rule of the models refuses a summary the package made
