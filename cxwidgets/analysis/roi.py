"""ROI of a CX initiative: cost reduction, revenue growth and CLV increase, with payback.

The three formulas of the measurement framework, in the net form (DESIGN.md, "Metric
definitions"; :func:`cxwidgets.metrics.money.roi`): ``ROI = (gain - investment) / investment``,
so $150K saved on a $100K portal is 50%.

- **cost reduction**: savings from the initiative (fewer calls, faster resolution);
- **revenue growth**: extra revenue (better renewal, expansion);
- **CLV increase**: the rise in customer lifetime value, summed over the customers affected.

``total`` adds cost reduction and revenue growth. The CLV increase is reported on its own row and
NOT added to the total: it is the lifetime view of the same revenue, and adding both would count
it twice.

**Payback**: gains are taken as earned evenly over ``months`` (the horizon they were measured
over), less any ``running_cost`` per month; payback = months until the cumulative net gain covers
the investment. A gain that never covers it gives a null payback and a note.

Example:
    >>> import polars as pl
    >>> from cxwidgets.analysis.roi import roi_summary
    >>> out = roi_summary(investment=100_000, cost_reduction=150_000, months=12)
    >>> out.filter(pl.col("kind") == "cost_reduction")["roi"][0]
    0.5
"""

from __future__ import annotations

import math

import polars as pl

from cxwidgets.errors import CXDataError
from cxwidgets.metrics.money import roi

__all__ = ["roi_summary"]


def _number(value: object, name: str, *, allow_negative: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CXDataError(f"{name} must be a number, got {value!r}", fix=f"pass {name} as an amount of money")
    v = float(value)
    if not math.isfinite(v):
        raise CXDataError(f"{name} must be finite, got {value!r}", fix=f"pass {name} as an amount of money")
    if not allow_negative and v < 0:
        raise CXDataError(f"{name} must not be negative, got {value!r}", fix=f"pass {name} >= 0")
    return v


def _payback(inv: float, per_month: float, horizon: float) -> tuple[float | None, str | None]:
    """Months until ``per_month`` covers ``inv`` (None when it never does), and a note when it
    never does or only after ``horizon``."""
    note = None
    payback: float | None = inv / per_month if per_month > 0 else None
    if payback is not None and not math.isfinite(payback):
        # a positive but vanishing monthly gain: the division overflows; no payback to report
        payback = None
        note = "never pays back in practice: the monthly net gain is too small to cover the investment"
    elif payback is None:
        note = "never pays back: the gain does not exceed the running costs"
    elif payback > horizon:
        note = f"pays back after the {horizon:g}-month horizon (extrapolated at the same monthly gain)"
    return payback, note


def roi_summary(
    investment: float,
    *,
    cost_reduction: float | None = None,
    revenue_growth: float | None = None,
    clv_increase: float | None = None,
    months: float = 12.0,
    running_cost: float = 0.0,
) -> pl.DataFrame:
    """ROI (net form) and payback of an initiative, one row per kind of gain plus the total.

    Args:
        investment: what the initiative cost up front (> 0).
        cost_reduction, revenue_growth, clv_increase: gains over ``months`` (any may be omitted;
            a negative gain is a loss and is allowed).
        months: the horizon over which the gains are earned (> 0).
        running_cost: cost per month while the gains are earned (>= 0), subtracted from them.

    Returns:
        Rows kind (cost_reduction, revenue_growth, clv_increase, total), gain, running_costs
        (``running_cost x months``), investment, net_benefit (gain - running costs - investment),
        roi (net_benefit / investment, a fraction), payback_months, note.

    Example:
        >>> import polars as pl
        >>> from cxwidgets.analysis.roi import roi_summary
        >>> out = roi_summary(120_000, cost_reduction=60_000, revenue_growth=120_000, months=12)
        >>> out.filter(pl.col("kind") == "total").select("roi", "payback_months").row(0)
        (0.5, 8.0)
    """
    inv = _number(investment, "investment", allow_negative=False)
    if inv <= 0:
        raise CXDataError(
            f"ROI needs a positive investment, got {investment}",
            fix="pass the amount invested (> 0); with nothing invested ROI is undefined",
        )
    horizon = _number(months, "months", allow_negative=False)
    if horizon <= 0:
        raise CXDataError(f"months must be more than 0, got {months}", fix="pass the horizon the gains are earned over")
    run = _number(running_cost, "running_cost", allow_negative=False)
    offered = (("cost_reduction", cost_reduction), ("revenue_growth", revenue_growth), ("clv_increase", clv_increase))
    gains = {name: _number(v, name, allow_negative=True) for name, v in offered if v is not None}
    if not gains:
        raise CXDataError(
            "no gain given", fix="pass at least one of cost_reduction=, revenue_growth=, clv_increase="
        )
    rows = dict(gains)
    total_parts = [g for k, g in gains.items() if k != "clv_increase"]
    if total_parts and len(gains) > 1:
        rows["total"] = sum(total_parts)
    out = []
    for kind, gain in rows.items():
        running = run * horizon
        net_gain = gain - running
        per_month = net_gain / horizon
        payback, note = _payback(inv, per_month, horizon)
        if kind == "total" and "clv_increase" in gains:
            note = "; ".join(filter(None, [note, "clv_increase not added (it overlaps revenue growth)"]))
        out.append(
            {
                "kind": kind,
                "gain": gain,
                "running_costs": running,
                "investment": inv,
                "net_benefit": net_gain - inv,
                "roi": roi(net_gain, inv),
                "payback_months": payback,
                "note": note,
            }
        )
    schema = {
        "kind": pl.String, "gain": pl.Float64, "running_costs": pl.Float64, "investment": pl.Float64,
        "net_benefit": pl.Float64, "roi": pl.Float64, "payback_months": pl.Float64, "note": pl.String,
    }
    return pl.DataFrame(out, schema=schema, orient="row")
