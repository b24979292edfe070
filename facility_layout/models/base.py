"""What every location model shares: the error for a scenario no layout can meet, and row reduction."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class InfeasibleLayoutError(Exception):
    """No layout meets the hard rules; the message says which rule and by how much.

    Attributes
    ----------
    needed_budget : float or None
        The smallest budget that would make the rules feasible, when a budget is what is short.
    """

    def __init__(self, message: str, needed_budget: float | None = None) -> None:
        super().__init__(message)
        self.needed_budget = needed_budget


def merge_rows(rows: Iterable[tuple[tuple[int, ...], float]]) -> dict[tuple[int, ...], float]:
    """Merge constraint rows that name the same sites, adding up their weights.

    Thousands of demand points in one valley are covered by the same few sites; the solver needs
    each distinct set of sites only once.
    """
    merged: dict[tuple[int, ...], float] = {}
    for sites, weight in rows:
        merged[sites] = merged.get(sites, 0.0) + weight
    return merged


def weighted_mode(labels: np.ndarray, weights: np.ndarray) -> int:
    """The label carrying most weight (lowest label on ties); -1 if there is none."""
    keep = labels >= 0
    if not keep.any():
        return -1
    totals = np.bincount(labels[keep], weights=weights[keep])
    return int(np.argmax(totals))
