"""Capacitated p-median and p-center against brute force (every layout, every single-source assignment or
each layout's transportation LP), on both solvers, single-source and split demand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

from facility_layout.models.base import InfeasibleLayoutError
from facility_layout.models.capacitated import CapacitatedPCenter, CapacitatedPMedian
from facility_layout.models.center import PCenter
from facility_layout.models.median import PMedian

from bruteforce import INF, capacitated_instances, layouts, single_source_plans, split_transport
from conftest import on_each_solver


def brute_force(cost, weights, capacity, p, split, required, forbidden, keep_one_of=()):
    """(least total, (least worst, least total at that worst)) over every layout and assignment."""
    best_total, best_center = INF, (INF, INF)
    masks = [m for m in layouts(cost.shape[1], p, required, forbidden) if all(m[g].any() for g in keep_one_of)]
    if not split:
        for mask in masks:
            worst, total = single_source_plans(cost, weights, capacity, mask)
            if len(total):
                best_total = min(best_total, float(total.min()))
                best_center = min(best_center, min(zip(worst.tolist(), total.tolist(), strict=True)))
        return best_total, best_center
    counted = weights > 0
    levels = np.unique(cost[counted][np.isfinite(cost[counted])])
    best_worst = INF
    for mask in masks:
        total = split_transport(cost, weights, capacity, mask)
        if np.isfinite(total):
            best_total = min(best_total, total)
            # The layout's worst trip: the shortest limit within which all its demand can be served.
            fits = (t for t in levels if np.isfinite(split_transport(cost, weights, capacity, mask, t)))
            best_worst = min(best_worst, float(next(fits, 0.0)))
    if np.isfinite(best_worst):
        best_center = (best_worst, min(split_transport(cost, weights, capacity, m, best_worst) for m in masks))
    return best_total, best_center


@pytest.mark.parametrize("split", [False, True], ids=["single_source", "split"])
@on_each_solver(max_examples=80, instance=capacitated_instances(), data=st.data())
def test_capacitated_models_equal_brute_force(solver, split, instance, data):
    cost, weights, capacity = instance
    m = cost.shape[1]
    forbidden = data.draw(st.lists(st.integers(0, m - 1), max_size=min(1, m - 1), unique=True))
    required = [j for j in data.draw(st.lists(st.integers(0, m - 1), max_size=1, unique=True)) if j not in forbidden]
    p = data.draw(st.integers(max(1, len(required)), m - len(forbidden)))
    keep_one_of = data.draw(st.lists(st.lists(st.integers(0, m - 1), min_size=1, max_size=2, unique=True), max_size=1))
    best_total, (best_worst, total_at_worst) = brute_force(
        cost, weights, capacity, p, split, required, forbidden, keep_one_of
    )
    args = dict(split_demand=split, weights=weights, required=required, forbidden=forbidden)
    median = CapacitatedPMedian.from_cost_matrix(cost, p, capacity, **args)
    center = CapacitatedPCenter.from_cost_matrix(cost, p, capacity, **args)
    for model in (median, center):
        model.keep_one_of = [np.array(group) for group in keep_one_of]
    if not np.isfinite(best_total):
        for model in (median, center):
            with pytest.raises(InfeasibleLayoutError):
                model.solve(solver=solver)
        return
    for model, truth in ((median, best_total), (center, best_worst)):
        result = model.solve(solver=solver)
        assert result.proven_optimal and result.status == "optimal"
        assert result.objective == pytest.approx(truth, abs=1e-5)
        assert result.bound == pytest.approx(truth, abs=1e-5)
        check_layout(result, cost, weights, capacity, p, split, required, forbidden)
        assert all(result.open_sites[group].any() for group in keep_one_of)
    assert result.figures["total_weighted_cost"] == pytest.approx(total_at_worst, abs=1e-5)
    # Capacities only take layouts away.
    uncapacitated = dict(weights=weights, required=required, forbidden=forbidden)
    plain_median = PMedian.from_cost_matrix(cost, p, **uncapacitated)
    plain_center = PCenter.from_cost_matrix(cost, p, **uncapacitated)
    for model in (plain_median, plain_center):
        model.keep_one_of = [np.array(group) for group in keep_one_of]
    assert best_total >= plain_median.solve(solver=solver).objective - 1e-9
    assert best_worst >= plain_center.solve(solver=solver).objective


def check_layout(result, cost, weights, capacity, p, split, required, forbidden):
    """p sites open, required and forbidden honoured, demand served within reach and capacity."""
    assert result.open_sites.sum() == p
    assert result.open_sites[required].all() and not result.open_sites[forbidden].any()
    counted = weights > 0
    shares = result.shares.toarray()
    assert np.allclose(shares.sum(axis=1), counted.astype(float))
    assert np.all(shares[:, ~result.open_sites] == 0) and np.all(shares[~np.isfinite(cost)] == 0)
    assert np.all(shares.T @ weights <= capacity + 1e-6)
    if not split:
        assert set(np.unique(shares).tolist()) <= {0.0, 1.0}
    served = np.flatnonzero(counted)
    # The largest share, lowest site on ties (shares equal up to round-off tie).
    assert np.array_equal(result.assignment[served], np.argmax(np.round(shares[served], 9), axis=1))
    assert np.array_equal(result.assignment_cost[served], cost[served, result.assignment[served]])
    figures = result.figures
    assert figures["worst"] == pytest.approx(np.max(np.where(shares > 0, cost, 0), initial=0.0))
    assert figures["total_weighted_cost"] == pytest.approx(weights @ (np.where(shares > 0, cost, 0) * shares).sum(1))


@pytest.mark.parametrize("model", [CapacitatedPMedian, CapacitatedPCenter])
def test_capacity_moves_demand_to_a_farther_site(model):
    # Both points are nearest to site 0, which holds only one of them.
    cost = np.array([[1.0, 5.0], [1.0, 3.0]])
    result = model.from_cost_matrix(cost, 2, np.array([1.0, INF])).solve()
    assert result.assignment.tolist() == [0, 1] and result.objective == (4.0 if model is CapacitatedPMedian else 3.0)
    split = model.from_cost_matrix(cost, 2, np.array([1.5, INF]), split_demand=True).solve()
    assert split.shares.toarray().tolist() == [[1.0, 0.0], [0.5, 0.5]]
    assert split.assignment.tolist() == [0, 0]  # a tie of shares goes to the lower site
    assert split.figures["worst"] == 3.0  # half a point's demand still travels to site 1


def test_split_worst_trip_counts_any_share():
    # Site 0 (near) holds 1.8 of 2 points' demand; the rest must go 9 minutes to site 1. A worst trip weighted
    # by shares would call that 0.2 × 9 and prefer it to opening the 4-minute site 2 instead of site 0.
    cost = np.array([[1.0, 9.0, 4.0], [1.0, 9.0, 4.0]])
    result = CapacitatedPCenter.from_cost_matrix(cost, 2, np.array([1.8, INF, INF]), split_demand=True).solve()
    assert result.objective == 4.0 and result.open_sites[2]


def test_p_and_capacity_are_checked():
    with pytest.raises(ValueError, match="at least the 2 required"):
        CapacitatedPMedian.from_cost_matrix(np.ones((2, 4)), 1, np.ones(4), required=[0, 1])
    with pytest.raises(ValueError, match="capacity needs one value >= 0 per site"):
        CapacitatedPCenter.from_cost_matrix(np.ones((2, 4)), 1, np.ones(3))
    with pytest.raises(ValueError, match="capacity needs one value >= 0 per site"):
        CapacitatedPCenter.from_cost_matrix(np.ones((2, 4)), 1, np.array([1.0, -1.0, 1.0, 1.0]))


@pytest.mark.parametrize("model", [CapacitatedPMedian, CapacitatedPCenter])
def test_infeasible_inputs_are_explained(model):
    unreachable = np.array([[1.0, INF], [INF, INF], [2.0, 3.0]])
    with pytest.raises(InfeasibleLayoutError, match=r"1 demand point \(rows 1\).*no allowed site") as err:
        model.from_cost_matrix(unreachable, 1, np.full(2, INF)).solve()
    assert err.value.points.tolist() == [1]

    # 9 of demand, and the 2 largest capacities (site 1 is forbidden) hold 4 + 3.
    cost = np.ones((3, 4))
    with pytest.raises(InfeasibleLayoutError, match=r"total demand 9 exceeds by 2 the 7 .* raise p or the capacities"):
        model.from_cost_matrix(cost, 2, np.array([4.0, 8.0, 3.0, 1.0]), weights=np.full(3, 3.0), forbidden=[1]).solve()

    # Point 2 (demand 5) fits in no single site; split, it would.
    heavy = np.array([1.0, 1.0, 5.0])
    with pytest.raises(InfeasibleLayoutError, match=r"1 demand point \(rows 2\) carrying 5.*allow split") as err:
        model.from_cost_matrix(np.ones((3, 2)), 2, np.array([4.0, 4.0]), weights=heavy).solve()
    assert err.value.points.tolist() == [2]
    model.from_cost_matrix(np.ones((3, 2)), 2, np.array([4.0, 4.0]), weights=heavy, split_demand=True).solve()

    # Enough capacity in all, but points 0 and 1 reach only site 0, which holds one of them.
    cramped = np.array([[1.0, INF], [1.0, INF], [INF, 1.0]])
    for split in (False, True):
        with pytest.raises(InfeasibleLayoutError, match=r"no 2 sites can serve all demand.*raise p or the capacities"):
            model.from_cost_matrix(cramped, 2, np.array([1.0, 5.0]), split_demand=split).solve()


def test_same_inputs_same_layout():
    rng = np.random.default_rng(5)
    cost = rng.integers(0, 4, size=(30, 10)).astype(float)  # many ties
    capacity = np.full(10, 8.0)
    for model in (CapacitatedPMedian, CapacitatedPCenter):
        first = model.from_cost_matrix(cost, 4, capacity).solve()
        for solver in ("highs", "cbc"):
            again = model.from_cost_matrix(cost, 4, capacity).solve(solver=solver)
            assert again.objective == first.objective
            assert again.figures["total_weighted_cost"] == first.figures["total_weighted_cost"]
