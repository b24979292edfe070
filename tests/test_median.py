"""PMedian against brute force, with required and forbidden sites, on both solvers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from facility_layout.models.base import InfeasibleLayoutError
from facility_layout.models.median import PMedian, swap_layout

from bruteforce import INF, cost_instances, layouts, nearest_cost
from conftest import on_each_solver


def best_total(cost, weights, p, required=(), forbidden=(), keep_one_of=()):
    best = INF
    for mask in layouts(cost.shape[1], p, required, forbidden):
        if not all(mask[list(group)].any() for group in keep_one_of):
            continue
        near = nearest_cost(cost, mask)
        served = weights > 0
        if np.isfinite(near[served]).all():
            best = min(best, float(weights[served] @ near[served]))
    return best


@on_each_solver(instance=cost_instances(), data=st.data())
def test_p_median_equals_brute_force(solver, instance, data):
    cost, weights = instance
    m = cost.shape[1]
    forbidden = data.draw(st.lists(st.integers(0, m - 1), max_size=min(2, m - 1), unique=True))
    required = [j for j in data.draw(st.lists(st.integers(0, m - 1), max_size=2, unique=True)) if j not in forbidden]
    p = data.draw(st.integers(max(1, len(required)), m - len(forbidden)))
    keep_one_of = data.draw(st.lists(st.lists(st.integers(0, m - 1), min_size=1, max_size=3, unique=True), max_size=2))
    truth = best_total(cost, weights, p, required, forbidden, keep_one_of)
    model = PMedian.from_cost_matrix(cost, p, weights=weights, required=required, forbidden=forbidden)
    model.keep_one_of = [np.array(group) for group in keep_one_of]
    if any(set(group) <= set(forbidden) for group in keep_one_of):
        with pytest.raises(InfeasibleLayoutError):
            model.solve(solver=solver)
        return
    if not np.isfinite(truth):
        with pytest.raises(InfeasibleLayoutError):
            model.solve(solver=solver)
        return
    result = model.solve(solver=solver)
    assert result.proven_optimal and result.status == "optimal"
    assert result.objective == pytest.approx(truth, abs=1e-6)
    assert result.bound == pytest.approx(truth, abs=1e-6)
    assert result.open_sites.sum() == p
    assert result.open_sites[required].all() and not result.open_sites[forbidden].any()
    assert all(result.open_sites[group].any() for group in keep_one_of)
    # Everyone is assigned to the nearest open site.
    near = nearest_cost(cost, result.open_sites)
    served = weights > 0
    assert np.array_equal(result.assignment_cost[served], near[served])


def test_p_outside_required_and_allowed_sites_is_refused():
    cost = np.ones((2, 4))
    with pytest.raises(ValueError, match="at least the 2 required"):
        PMedian.from_cost_matrix(cost, 1, required=[0, 1])
    with pytest.raises(ValueError, match="at most the 2 sites"):
        PMedian.from_cost_matrix(cost, 3, forbidden=[0, 3])
    with pytest.raises(ValueError, match="both required and forbidden"):
        PMedian.from_cost_matrix(cost, 2, required=[1], forbidden=[1])


def test_keep_group_of_forbidden_sites_is_explained():
    model = PMedian.from_cost_matrix(np.ones((2, 3)), 1, forbidden=[1, 2])
    model.keep_one_of = [np.array([1, 2])]
    with pytest.raises(
        InfeasibleLayoutError, match=r"sites \[1, 2\] must keep one open, but all of them are forbidden"
    ):
        model.solve()


def test_unreachable_point_is_named():
    cost = np.array([[1.0, INF], [INF, INF], [2.0, 3.0]])
    with pytest.raises(InfeasibleLayoutError, match=r"1 demand point \(rows 1\)") as err:
        PMedian.from_cost_matrix(cost, 1).solve()
    assert err.value.points.tolist() == [1]


def test_same_inputs_same_layout():
    rng = np.random.default_rng(3)
    cost = rng.integers(0, 4, size=(40, 12)).astype(float)  # many ties
    first = PMedian.from_cost_matrix(cost, 3).solve()
    for solver in ("highs", "cbc"):
        again = PMedian.from_cost_matrix(cost, 3).solve(solver=solver)
        assert again.objective == first.objective


def swap_total(cost, weights, mask):
    near = nearest_cost(cost, mask)
    served = weights > 0
    return float(weights[served] @ near[served]) if np.isfinite(near[served]).all() else INF


@given(instance=cost_instances(max_demand=9, max_sites=7), data=st.data())
def test_starting_layout_is_a_local_optimum(instance, data):
    cost, weights = instance
    m = cost.shape[1]
    required = np.zeros(m, dtype=bool)
    required[data.draw(st.lists(st.integers(0, m - 1), max_size=2, unique=True))] = True
    p = data.draw(st.integers(max(1, int(required.sum())), m))
    layout = swap_layout(cost, weights, p, required)
    possible = min(swap_total(cost, weights, mask) for mask in layouts(m, p, np.flatnonzero(required)))
    if not np.isfinite(possible):
        assert layout is None
        return
    if layout is None:  # a heuristic may miss every layout that serves everyone; the model then starts without
        return
    assert layout.sum() == p and layout[required].all()
    total = swap_total(cost, weights, layout)
    assert np.isfinite(total) and total >= possible
    # No single swap of a site that is not required for a closed one does better.
    for k in np.flatnonzero(layout & ~required):
        for j in np.flatnonzero(~layout):
            swapped = layout.copy()
            swapped[k], swapped[j] = False, True
            assert swap_total(cost, weights, swapped) >= total - 1e-9


def test_reduced_cost_fixing_drops_sites_and_keeps_the_optimum():
    rng = np.random.default_rng(7)
    points, sites = rng.uniform(0, 100, (80, 2)), rng.uniform(0, 100, (24, 2))
    cost = np.round(np.hypot(*(points[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)), 1)
    weights = rng.integers(1, 50, 80).astype(float)
    model = PMedian.from_cost_matrix(cost, 3, weights=weights)
    full_columns = model._build(np.zeros(24, dtype=bool))[0].shape[1]
    result = model.solve()
    assert result.report.variables < full_columns  # the model HiGHS saw lost sites and distances
    assert result.objective == pytest.approx(best_total(cost, weights, 3), abs=1e-6)
    assert result.status == "optimal" and result.bound == pytest.approx(result.objective, rel=1e-9)


def test_time_limited_solve_reports_a_bound_below_its_layout():
    """Cut short (in its LP or its MILP), the solve still returns the starting layout or better, with a bound
    that is at most its objective, and it is called optimal only when the two meet."""
    rng = np.random.default_rng(5)
    points = rng.uniform(0, 100, (400, 2))
    cost = np.round(np.hypot(*(points[:, None, :] - points[None, ::2, :]).transpose(2, 0, 1)), 1)
    result = PMedian.from_cost_matrix(cost, 4).solve(time_limit_s=0.5)
    assert result.objective is not None and result.open_sites.sum() == 4
    assert result.objective == pytest.approx(nearest_cost(cost, result.open_sites).sum())
    if result.bound is not None:
        assert result.bound <= result.objective + 1e-6
    assert result.proven_optimal == (result.status == "optimal")
    if not result.proven_optimal:
        assert result.status == "feasible" and (result.gap is None or result.gap > 0)
