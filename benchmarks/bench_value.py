"""BG/NBD fit on a million customers: cx.fit_bgnbd against the scipy fit a user would write by hand.

The panel: N customers drawn from BG/NBD with the CDNOW estimates (r 0.243, alpha 4.414,
a 0.793, b 2.426), acquired over 13 weeks and observed to week 39, T in whole days / 7 as in the
CDNOW summary (``cx.value.simulate_summary``, seed 0). Contenders, each in a fresh spawned
process (``_harness.measure``), best-of-N wall time and peak extra memory:

- ``cx_fit``: ``cx.fit_bgnbd(summary)``: input checks, the likelihood once per distinct
  (x, t_x, T), L-BFGS-B on the log parameters, standard errors from a finite-difference Hessian;
- ``hand_scipy``: the closed-form log-likelihood of Hardie's note in numpy over every row,
  maximised by ``scipy.optimize.minimize(method="Nelder-Mead")`` on the log parameters, no
  standard errors (what the Excel note translates to; Lifetimes, the usual package, is not
  installed here: it needs pandas and autograd);
- ``cx_predict``: ``model.predict(summary, t=39)`` (expected purchases in the next 39 weeks and
  P(alive) for every customer).

Before timing, ``check_agree`` asserts that both fits find the same parameters (3 significant
digits). Results and ratios go to ``benchmarks/results/value.json``; reported, never asserted.
Run: ``python benchmarks/bench_value.py [--sizes 1000000]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _harness import dump, machine, measure  # noqa: E402

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def make_summary(n: int) -> Any:
    from cxwidgets.value import simulate_summary

    T = (273 - np.random.default_rng(1).integers(0, 91, n)) / 7
    return simulate_summary(n, **CDNOW, T=T, seed=0)


def cx_fit(summary: Any) -> Any:
    import cxwidgets as cx

    return cx.fit_bgnbd(summary)


def hand_scipy(summary: Any) -> Any:
    from scipy.optimize import minimize
    from scipy.special import gammaln

    x = summary["frequency"].to_numpy().astype(float)
    t_x = summary["recency"].to_numpy()
    T = summary["T"].to_numpy()

    def nll(theta: np.ndarray) -> float:
        r, alpha, a, b = np.exp(theta)
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
        a3 = -(r + x) * np.log(alpha + T)
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x), -np.inf)
        return -float(np.sum(a1 + a2 + np.logaddexp(a3, a4))) / x.size

    res = minimize(nll, np.zeros(4), method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-10, "maxiter": 4000})
    return np.exp(res.x)


def cx_predict(summary: Any) -> Any:
    from cxwidgets.value import BGNBD

    return BGNBD(**CDNOW, se={}, log_likelihood=0.0, n=0).predict(summary, 39)


def check_agree(n: int) -> None:
    s = make_summary(min(n, 200_000))
    m = cx_fit(s)
    h = hand_scipy(s)
    for mine, theirs in zip(m.params, h, strict=True):
        assert abs(mine - theirs) <= 1e-3 * abs(theirs), (m.params, h)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        check_agree(n)
        row: dict[str, Any] = {"n": n}
        for name, fn in (("cx_fit", cx_fit), ("hand_scipy", hand_scipy), ("cx_predict", cx_predict)):
            row[name] = measure(make_summary, (n,), fn, repeat=args.repeat)
        row["ratio_hand_vs_cx"] = row["hand_scipy"]["best_s"] / row["cx_fit"]["best_s"]
        rows.append(row)
        print(
            f"n={n:,}: cx.fit_bgnbd {row['cx_fit']['best_s']:.1f} s "
            f"({row['cx_fit']['peak_extra_mib']:.0f} MiB extra) | "
            f"hand-written scipy Nelder-Mead {row['hand_scipy']['best_s']:.1f} s "
            f"({row['hand_scipy']['peak_extra_mib']:.0f} MiB; {row['ratio_hand_vs_cx']:.2f}x cx) | "
            f"predict {row['cx_predict']['best_s']:.2f} s ({row['cx_predict']['peak_extra_mib']:.0f} MiB)"
        )
    dump(
        os.path.join(os.path.dirname(__file__), "results", "value.json"),
        {"benchmark": "bench_value", "machine": machine(), "rows": rows},
    )


if __name__ == "__main__":
    main()
