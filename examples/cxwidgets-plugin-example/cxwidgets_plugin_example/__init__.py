"""A minimal cxwidgets plugin: a metric, a normaliser and a journey template.

Nothing is registered when this module is imported: cxwidgets reads the entry points in
``pyproject.toml`` and registers each object under its entry point's name.
"""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import polars as pl

from cxwidgets.plugins import Metric

__all__ = ["SAAS_HEALTH", "health_index", "log_scaled"]


def _health(x: pl.Expr) -> pl.Expr:
    """Health index 0-100: the mean answer on a 1-5 scale mapped to 0-100 ((x - 1) / 4)."""
    return 100.0 * ((x.clip(1.0, 5.0) - 1.0) / 4.0).mean()


#: The metric: ``health_index("score")`` in a ``group_by().agg()``, or ``aggregate: health_index``
#: in a signal's source (one value per account).
health_index = Metric("health_index", _health, value_range=(0.0, 100.0), description=_health.__doc__ or "")


def log_scaled(values: np.ndarray, signal: object) -> np.ndarray:
    """Log-scaled 0-100 score for positive values such as durations.

    The score is ``100 * clip(ln(x / floor) / ln(target / floor), 0, 1)``.

    Halving a 48 h resolution time counts as much as halving a 4 h one. Floor and target must
    be positive; a value of 0 or less counts as the target side's best.
    """
    floor, target = float(signal.floor), float(signal.target)  # type: ignore[attr-defined]
    if floor <= 0 or target <= 0:
        raise ValueError(f"log_scaled needs a positive floor and target, got floor {floor:g}, target {target:g}")
    x = np.asarray(values, dtype=np.float64)
    safe = np.where(x > 0, x, min(floor, target))
    out = np.log(safe / floor) / np.log(target / floor)
    return 100.0 * np.clip(out, 0.0, 1.0) + 0.0


log_scaled.parameters = ()  # type: ignore[attr-defined]

#: The template: a two-moment journey scored with the metric and the normaliser above; its
#: moment names are those of the bundled sample data, so it binds to ``cx.datasets.saas``.
SAAS_HEALTH = files(__name__) / "saas_health.yaml"
