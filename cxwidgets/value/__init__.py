"""Customer value for businesses without a churn flag: BG/NBD, Gamma-Gamma, CLV and cohorts.

Modules (each one job): ``summary`` (transactions -> recency / frequency / T / monetary),
``bgnbd`` (purchases and P(alive), Fader, Hardie and Lee 2005), ``gamma_gamma`` (spend per
purchase, Fader, Hardie and Lee 2005), ``clv`` (discounted expected value, lapsed flags),
``cohorts`` (acquisition cohorts, retention curves), ``simulate`` (seeded synthetic customers
with a known truth), ``_fit`` (maximum likelihood and standard errors), ``_checks`` (the input
rules). scipy loads on the first fit or prediction, not on import.
"""

from __future__ import annotations

from cxwidgets.value.bgnbd import BGNBD, bgnbd_loglik, fit_bgnbd, holdout_check
from cxwidgets.value.clv import activity_flags, customer_value, discounted_purchases
from cxwidgets.value.cohorts import cohorts, inter_purchase_times, lapsed, repeat_purchase, retention
from cxwidgets.value.gamma_gamma import GammaGamma, fit_gamma_gamma, gamma_gamma_loglik, spend_independence
from cxwidgets.value.simulate import simulate_summary, simulate_transactions
from cxwidgets.value.summary import purchase_days, rfm_summary

__all__ = [
    "BGNBD", "GammaGamma", "activity_flags", "bgnbd_loglik", "cohorts", "customer_value", "discounted_purchases",
    "fit_bgnbd", "fit_gamma_gamma", "gamma_gamma_loglik", "holdout_check", "inter_purchase_times", "lapsed",
    "purchase_days", "repeat_purchase", "retention", "rfm_summary", "simulate_summary", "simulate_transactions",
    "spend_independence",
]
