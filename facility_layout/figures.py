"""Travel-minute figures over people, shared by the model's future figures and the layout tables.

Plain numpy, so that both :mod:`facility_layout.models` and :mod:`facility_layout.evaluate` can use it.
"""

from __future__ import annotations

import numpy as np


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Population-weighted quantile (the value below which a share ``q`` of the people lie)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = np.isfinite(values) & (weights > 0)
    if not keep.any():
        return float("nan")
    order = np.argsort(values[keep], kind="stable")
    v, w = values[keep][order], weights[keep][order]
    cumulative = np.cumsum(w) / w.sum()
    return float(v[min(np.searchsorted(cumulative, q, side="left"), len(v) - 1)])


def minutes_figures(minutes: np.ndarray, population: np.ndarray) -> dict[str, float | None]:
    """Mean, 95th percentile and max minutes over the people who have a finite trip."""
    minutes = np.asarray(minutes, dtype=float)
    reached = np.isfinite(minutes) & (population > 0)
    if not reached.any():
        return {"mean": None, "p95": None, "max": None}
    w = population[reached]
    return {
        "mean": round(float(np.average(minutes[reached], weights=w)), 2),
        "p95": round(weighted_quantile(minutes[reached], w, 0.95), 2),
        "max": round(float(minutes[reached].max()), 2),
    }
