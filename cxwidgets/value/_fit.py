"""Maximum likelihood for the value models: the optimiser, its convergence rule and the Hessian.

One home for how BG/NBD and Gamma-Gamma are fitted: parameters are optimised on the log scale
(so they stay positive), the negative mean log-likelihood is minimised by scipy's L-BFGS-B, a fit
that does not converge is a :class:`~cxwidgets.errors.CXDataError` naming the optimiser's state,
and standard errors come from the inverse of a finite-difference Hessian of the log-likelihood.

The Hessian is written by hand because numdifftools is not a dependency and scipy offers no
second-derivative routine for a plain function: ``scipy.optimize.approx_fprime`` gives gradients
only, and the ``hess_inv`` that BFGS / L-BFGS-B return is a low-rank quasi-Newton approximation
built along the optimiser's path, not the curvature at the optimum (its diagonal can be off by a
factor of several, so it is not fit for standard errors).

>>> import numpy as np
>>> h = hessian(lambda v: float(v[0] ** 2 + 3 * v[0] * v[1] + 5 * v[1] ** 2), np.array([0.3, -0.2]))
>>> np.round(h, 4).tolist()
[[2.0, 3.0], [3.0, 10.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cxwidgets.errors import CXDataError

__all__ = ["hessian", "MLResult", "maximise"]


def hessian(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-3) -> np.ndarray:
    """Central finite-difference Hessian of ``f`` at ``x`` (step ``h`` in each coordinate).

    The second difference has truncation error O(h^2) and rounding error O(eps |f| / h^2); on the
    log scale of the parameters h = 1e-3 keeps both near 1e-6 relative for the log-likelihoods here.
    """
    x = np.asarray(x, dtype=float)
    k = x.size
    f0 = f(x)
    H = np.empty((k, k))
    e = np.eye(k) * h
    for i in range(k):
        H[i, i] = (f(x + e[i]) - 2.0 * f0 + f(x - e[i])) / h**2
        for j in range(i):
            v = (f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j]) + f(x - e[i] - e[j])) / (4 * h**2)
            H[i, j] = H[j, i] = v
    return H


def _gradient_small(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6, tol: float = 1e-6) -> bool:
    """True when the central-difference gradient of ``f`` at ``x`` is below ``tol`` in every coordinate."""
    e = np.eye(x.size) * h
    g = np.array([(f(x + e[i]) - f(x - e[i])) / (2 * h) for i in range(x.size)])
    return bool(np.all(np.isfinite(g)) and np.max(np.abs(g)) < tol)


@dataclass(frozen=True)
class MLResult:
    """What :func:`maximise` found: parameters, their standard errors, the log-likelihood."""

    params: dict[str, float]
    se: dict[str, float]
    log_likelihood: float
    iterations: int
    se_note: str | None


def maximise(
    loglik: Callable[[np.ndarray], float],
    start: Sequence[float],
    names: Sequence[str],
    *,
    n: int,
    model: str,
    maxiter: int = 1000,
) -> MLResult:
    """Maximise ``loglik`` (a function of the natural, positive parameters) over their logs.

    ``n`` scales the objective (the mean log-likelihood per customer is optimised, so tolerances
    do not depend on the sample size). A fit that does not converge raises CXDataError with the
    optimiser's message, iterations, last parameters and log-likelihood.
    """
    from scipy import optimize

    scale = float(max(n, 1))

    def objective(theta: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            value = loglik(np.exp(theta))
        return -value / scale if np.isfinite(value) else 1e300

    x0 = np.log(np.asarray(start, dtype=float))
    res = optimize.minimize(
        objective, x0, method="L-BFGS-B", bounds=[(-20.0, 20.0)] * len(x0),
        options={"maxiter": maxiter, "ftol": 1e-14, "gtol": 1e-9, "maxfun": 50 * maxiter},
    )
    if not res.success and "ABNORMAL" in str(res.message) and res.fun < 1e299:
        # L-BFGS-B stops "abnormally" when its line search cannot improve on a point within the
        # rounding of a finite-difference gradient, often at the optimum itself: polish with
        # Nelder-Mead (no gradient) from there, and accept where the central-difference gradient
        # of the mean log-likelihood vanishes
        res = optimize.minimize(objective, res.x, method="Nelder-Mead",
                                options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": maxiter * 10})
        if _gradient_small(objective, res.x):
            res.success = True
    params = dict(zip(names, np.exp(res.x).tolist(), strict=True))
    ll = -float(res.fun) * scale
    # a parameter beyond e^+-15 (3e6, 3e-7) has run off to 0 or infinity along a flat likelihood:
    # the data do not identify it, and no figure built on it is right
    at_bound = bool(np.any(np.abs(res.x) >= 15.0))
    if not res.success or not np.isfinite(ll) or at_bound or res.fun >= 1e299:
        state = ", ".join(f"{k}={v:.6g}" for k, v in params.items())
        why = ("a parameter ran off towards 0 or infinity (the likelihood is flat along it)" if at_bound
               else str(res.message))
        raise CXDataError(
            f"the {model} fit did not converge: {why} after {res.nit} iterations "
            f"(optimiser state: {state}; log-likelihood {ll:.6g})",
            table="summary",
            fix="check the summary (frequency, recency, T in one time unit; enough repeat buyers), "
            "raise maxiter, or pass start= values near the expected parameters",
        )
    H = hessian(lambda t: -loglik(np.exp(t)), res.x)
    se: dict[str, float]
    note = None
    try:
        cov = np.linalg.inv(H)
        d = np.diag(cov)
        if np.any(~np.isfinite(d)) or np.any(d <= 0):
            raise np.linalg.LinAlgError("not positive definite")
        # delta method: se(theta) = theta * se(log theta)
        se = {k: float(v * np.sqrt(s)) for (k, v), s in zip(params.items(), d, strict=True)}
    except np.linalg.LinAlgError:
        se = dict.fromkeys(names, float("nan"))
        note = "the Hessian of the log-likelihood is not positive definite at the optimum: standard errors unknown"
    return MLResult(params=params, se=se, log_likelihood=ll, iterations=int(res.nit), se_note=note)
