"""Brute force for the model tests: every layout of a small instance, with the models' definitions
restated directly on dense arrays (``inf`` = out of reach). Shares no code with the models.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
from hypothesis import strategies as st

INF = np.inf


def layouts(n_sites: int, p: int | None = None, required=(), forbidden=()) -> Iterator[np.ndarray]:
    """Every open/closed mask (exactly ``p`` open if given) honouring required and forbidden sites."""
    sizes = range(n_sites + 1) if p is None else [p]
    for size in sizes:
        for combo in itertools.combinations(range(n_sites), size):
            mask = np.zeros(n_sites, dtype=bool)
            mask[list(combo)] = True
            if mask[list(required)].all() and not mask[list(forbidden)].any():
                yield mask


def nearest_cost(cost: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    """Each demand point's cost to its nearest open site (``inf`` if none in reach)."""
    return np.where(is_open[None, :], cost, INF).min(axis=1, initial=INF)


@st.composite
def cost_instances(draw, max_demand: int = 7, max_sites: int = 6, reach: float = 0.8, max_cost: int = 9):
    """A demand × site integer cost matrix with some pairs out of reach, weights (some 0) and a site count."""
    n = draw(st.integers(1, max_demand))
    m = draw(st.integers(1, max_sites))
    cost = np.array(draw(st.lists(st.integers(0, max_cost), min_size=n * m, max_size=n * m)), dtype=float).reshape(n, m)
    in_reach = np.array(draw(st.lists(st.floats(0, 1), min_size=n * m, max_size=n * m))).reshape(n, m) < reach
    cost[~in_reach] = INF
    weights = np.array(draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)), dtype=float)
    return cost, weights
