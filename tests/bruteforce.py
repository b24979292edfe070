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


def worst_then_total(cost: np.ndarray, weights: np.ndarray, is_open: np.ndarray) -> tuple[float, float]:
    """(worst trip, total weighted trip) of the points with weight > 0 to their nearest open site."""
    counted = weights > 0
    near = nearest_cost(cost, is_open)[counted]
    if not np.isfinite(near).all():
        return INF, INF
    return float(near.max(initial=0.0)), float(weights[counted] @ near)


def single_source_plans(cost: np.ndarray, weights: np.ndarray, capacity: np.ndarray, is_open: np.ndarray):
    """(worst, total) arrays over every assignment of the points with weight > 0, each to one open site in
    reach, that keeps every site's load within its capacity."""
    counted = np.flatnonzero(weights > 0)
    options = [np.flatnonzero(is_open & np.isfinite(cost[i])) for i in counted]
    plans = list(itertools.product(*options))
    choice = np.array(plans, dtype=np.int64).reshape(len(plans), len(counted))
    load = ((choice[:, :, None] == np.arange(cost.shape[1])) * weights[counted][None, :, None]).sum(axis=1)
    fits = (load <= capacity).all(axis=1)
    trips = cost[counted, choice[fits]]
    return trips.max(axis=1, initial=0.0), trips @ weights[counted]


def split_transport(cost: np.ndarray, weights: np.ndarray, capacity: np.ndarray, is_open: np.ndarray, limit=INF):
    """Least total weighted trip when each point's demand may be split between open sites within ``limit``
    and capacity (a transportation LP for scipy's linprog); ``inf`` if impossible."""
    from scipy.optimize import linprog

    counted = np.flatnonzero(weights > 0)
    if not len(counted):
        return 0.0
    usable = is_open[None, :] & np.isfinite(cost[counted]) & (cost[counted] <= limit)
    rows, sites = np.nonzero(usable)
    if len(np.unique(rows)) < len(counted):
        return INF
    w = weights[counted][rows]
    each_point = (rows[None, :] == np.arange(len(counted))[:, None]).astype(float)
    limited = np.flatnonzero(np.isfinite(capacity))
    per_site = (sites[None, :] == limited[:, None]) * w[None, :]
    lp = linprog(
        w * cost[counted][rows, sites],
        A_ub=per_site if len(limited) else None,
        b_ub=capacity[limited] if len(limited) else None,
        A_eq=each_point,
        b_eq=np.ones(len(counted)),
        bounds=(0, 1),
        method="highs",
    )
    return float(lp.fun) if lp.status == 0 else INF


@st.composite
def capacitated_instances(draw, max_demand: int = 5, max_sites: int = 4):
    """A small cost instance like :func:`cost_instances`, with weights 1..5 but for at most one point of weight
    0 (never the first), and a capacity per site from a quarter of the total demand to all of it, so that
    capacities bind, or unlimited."""
    n = draw(st.integers(2, max_demand))
    m = draw(st.integers(2, max_sites))
    cost = np.array(draw(st.lists(st.integers(0, 9), min_size=n * m, max_size=n * m)), dtype=float).reshape(n, m)
    cost[np.array(draw(st.lists(st.floats(0, 1), min_size=n * m, max_size=n * m))).reshape(n, m) > 0.8] = INF
    weights = np.array(draw(st.lists(st.integers(1, 5), min_size=n, max_size=n)), dtype=float)
    weights[draw(st.integers(1, n)) :][:1] = 0.0
    top = int(weights.sum()) + 1
    capacity = np.array(draw(st.lists(st.integers(top // 4, top + 1), min_size=m, max_size=m)), dtype=float)
    capacity[capacity > top] = INF
    return cost, weights, capacity


def most_served(cost: np.ndarray, weights: np.ndarray, is_open: np.ndarray, radius: float, capacity=None, split=True):
    """Most demand the open sites serve within ``radius``: all demand with an open site in reach; with
    integer ``capacity`` per site (and integer weights), a maximum flow source → point → site → sink when
    demand may be split, else the best single-source assignment (a point may go unserved), depth first."""
    from functools import cache

    import scipy.sparse as sp
    from scipy.sparse.csgraph import maximum_flow

    reach = (cost <= radius) & is_open[None, :]
    demand = np.flatnonzero(weights > 0)
    if capacity is None:
        return float(weights[reach.any(axis=1)].sum())
    n, m = len(demand), cost.shape[1]
    w = weights[demand].astype(np.int32)
    if split:
        points, sites = np.nonzero(reach[demand])
        tail = np.r_[np.zeros(n), 1 + points, 1 + n + np.arange(m)].astype(np.int32)
        head = np.r_[1 + np.arange(n), 1 + n + sites, np.full(m, 1 + n + m)].astype(np.int32)
        limit = np.r_[w, w[points], np.asarray(capacity, dtype=np.int32)].astype(np.int32)
        graph = sp.csr_matrix((limit, (tail, head)), shape=(n + m + 2, n + m + 2))
        return float(maximum_flow(graph, 0, n + m + 1).flow_value)

    @cache
    def best(k: int, left: tuple[int, ...]) -> int:
        if k == n:
            return 0
        found = best(k + 1, left)
        for j in np.flatnonzero(reach[demand[k]]):
            if left[j] >= w[k]:
                fewer = (*left[:j], left[j] - int(w[k]), *left[j + 1 :])
                found = max(found, int(w[k]) + best(k + 1, fewer))
        return found

    return float(best(0, tuple(int(c) for c in capacity)))
