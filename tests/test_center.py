"""PCenter against brute force (worst trip, then least total among the fairest layouts), on both solvers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

from facility_layout.models.base import InfeasibleLayoutError
from facility_layout.models.center import PCenter

from bruteforce import INF, cost_instances, layouts, nearest_cost, worst_then_total
from conftest import on_each_solver


@on_each_solver(instance=cost_instances(), data=st.data())
def test_p_center_equals_brute_force(solver, instance, data):
    check_against_brute_force(solver, instance, data)


@on_each_solver(
    max_examples=40, instance=cost_instances(max_demand=16, max_sites=8, reach=0.9, max_cost=30), data=st.data()
)
def test_p_center_equals_brute_force_with_many_levels(solver, instance, data):
    # More points and distances than sites: the bounds, the implied rows and the merged and dominated rows
    # of the reductions all come into play.
    check_against_brute_force(solver, instance, data)


def check_against_brute_force(solver, instance, data):
    cost, weights = instance
    m = cost.shape[1]
    forbidden = data.draw(st.lists(st.integers(0, m - 1), max_size=min(2, m - 1), unique=True))
    required = [j for j in data.draw(st.lists(st.integers(0, m - 1), max_size=2, unique=True)) if j not in forbidden]
    p = data.draw(st.integers(max(1, len(required)), m - len(forbidden)))
    # Groups of sites of which one must stay open (the planning rules' keep_one_of).
    keep_one_of = data.draw(st.lists(st.lists(st.integers(0, m - 1), min_size=1, max_size=3, unique=True), max_size=2))
    allowed = [mask for mask in layouts(m, p, required, forbidden) if all(mask[g].any() for g in keep_one_of)]
    truth = min((worst_then_total(cost, weights, mask) for mask in allowed), default=(INF,))
    model = PCenter.from_cost_matrix(cost, p, weights=weights, required=required, forbidden=forbidden)
    model.keep_one_of = [np.array(group) for group in keep_one_of]
    if not np.isfinite(truth[0]):
        with pytest.raises(InfeasibleLayoutError):
            model.solve(solver=solver)
        return
    result = model.solve(solver=solver)
    assert result.proven_optimal and result.status == "optimal"
    assert result.objective == pytest.approx(truth[0], abs=1e-9)
    assert result.bound == pytest.approx(truth[0], abs=1e-6)
    assert result.figures["worst"] == result.objective
    assert result.figures["total_weighted_cost"] == pytest.approx(truth[1], abs=1e-6)
    assert result.open_sites.sum() == p
    assert result.open_sites[required].all() and not result.open_sites[forbidden].any()
    assert all(result.open_sites[group].any() for group in keep_one_of)
    # Everyone, weight 0 included, is assigned to the nearest open site.
    assert np.array_equal(result.assignment_cost, nearest_cost(cost, result.open_sites))
    assert np.all(result.open_sites[result.assignment[result.assignment >= 0]])


def test_weights_only_decide_which_points_count():
    # Site 0 is 1 from the heavy point and 5 from the light one; site 1 is the reverse, at 3 and 2.
    cost = np.array([[1.0, 3.0], [5.0, 2.0]])
    assert PCenter.from_cost_matrix(cost, 1, weights=np.array([100.0, 1.0])).solve().open_indices.tolist() == [1]
    # A point of weight 0 does not count, however far it is.
    ignored = PCenter.from_cost_matrix(cost, 1, weights=np.array([1.0, 0.0])).solve()
    assert ignored.open_indices.tolist() == [0] and ignored.objective == 1.0


def test_least_total_among_the_fairest_layouts():
    # Sites 0 and 1 both give a worst trip of 4; site 1 is much closer for everyone else.
    cost = np.array([[4.0, 4.0], [3.0, 1.0], [3.0, 1.0], [9.0, 9.0]])
    result = PCenter.from_cost_matrix(cost, 1, weights=np.array([1.0, 1.0, 1.0, 0.0])).solve()
    assert result.open_indices.tolist() == [1]
    assert result.figures == {"worst": 4.0, "total_weighted_cost": 6.0, "total_weighted_cost_gap": 0.0}
    assert result.assignment.tolist() == [1, 1, 1, 1]  # the point of weight 0 too, at 9 minutes


def test_p_outside_required_and_allowed_sites_is_refused():
    with pytest.raises(ValueError, match="at least the 2 required"):
        PCenter.from_cost_matrix(np.ones((2, 4)), 1, required=[0, 1])
    with pytest.raises(ValueError, match="at most the 2 sites"):
        PCenter.from_cost_matrix(np.ones((2, 4)), 3, forbidden=[0, 3])


def test_unreachable_point_is_named():
    cost = np.array([[1.0, INF], [INF, INF], [INF, 3.0]])
    with pytest.raises(InfeasibleLayoutError, match=r"1 demand point \(rows 1\)") as err:
        PCenter.from_cost_matrix(cost, 1).solve()
    assert err.value.points.tolist() == [1]


def test_too_few_sites_for_the_cutoff_is_explained():
    cost = np.array([[1.0, INF], [INF, 3.0]])
    with pytest.raises(InfeasibleLayoutError, match=r"no 1 sites reach every demand point.*raise p"):
        PCenter.from_cost_matrix(cost, 1).solve()


def test_same_inputs_same_layout():
    rng = np.random.default_rng(3)
    cost = rng.integers(0, 6, size=(40, 12)).astype(float)  # many ties
    first = PCenter.from_cost_matrix(cost, 3).solve()
    for solver in ("highs", "cbc"):
        again = PCenter.from_cost_matrix(cost, 3).solve(solver=solver)
        assert again.objective == first.objective
        assert again.figures["total_weighted_cost"] == first.figures["total_weighted_cost"]
