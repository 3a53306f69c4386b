"""At a = 1 the closed-form expected purchases divide by zero: a clear error, never inf or NaN."""

from __future__ import annotations

import pytest

from cxwidgets.value.bgnbd import BGNBD


def test_expected_purchases_at_a_equal_to_one_is_an_error() -> None:
    m = BGNBD(0.243, 4.414, 1.0, 2.426, se={}, log_likelihood=0.0, n=0)
    with pytest.raises(ValueError, match="a - 1"):
        m.expected_purchases_new(39.0)
    with pytest.raises(ValueError, match="a - 1"):
        m.expected_purchases(39.0, 2, 30.43, 38.86)
    # next to 1 the value is finite and positive
    near = BGNBD(0.243, 4.414, 1.001, 2.426, se={}, log_likelihood=0.0, n=0)
    assert 0 < float(near.expected_purchases_new(39.0)) < 39
