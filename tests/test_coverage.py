"""SetCover and MaxCoverage against brute force (uncapacitated, capacitated with split and single-source
demand), with required and forbidden sites, on both solvers; and the explanations of infeasible inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

from facility_layout.models.base import InfeasibleLayoutError
from facility_layout.models.coverage import MaxCoverage, SetCover

from bruteforce import INF, cost_instances, layouts, most_served
from conftest import SOLVERS, on_each_solver

# Costs 0..3 with radius 0..3: sites often cover the same points or a subset of another's (dominance).
SMALL = {"max_cost": 3}
# Capacitated instances stay tiny: single-source brute force enumerates assignments.
TINY = {"max_demand": 5, "max_sites": 4, "max_cost": 3}


def draw_inputs(data: st.DataObject, m: int, capacitated: bool) -> dict:
    """Radius, site costs, required and forbidden sites and (if ``capacitated``) capacities and split."""
    forbidden = data.draw(st.lists(st.integers(0, m - 1), max_size=min(2, m - 1), unique=True))
    required = [j for j in data.draw(st.lists(st.integers(0, m - 1), max_size=2, unique=True)) if j not in forbidden]
    site_cost = data.draw(st.none() | st.lists(st.integers(0, 4), min_size=m, max_size=m).map(np.array))
    inputs = {"radius": data.draw(st.integers(0, 3)), "site_cost": site_cost, "required": required}
    inputs["forbidden"] = forbidden
    if capacitated:
        inputs["capacity"] = np.array(data.draw(st.lists(st.integers(0, 9), min_size=m, max_size=m)), dtype=float)
        inputs["split_demand"] = data.draw(st.booleans())
    return inputs


def served(cost, weights, mask, inputs) -> float:
    return most_served(cost, weights, mask, inputs["radius"], inputs.get("capacity"), inputs.get("split_demand", True))


def layout_cost(inputs: dict, mask: np.ndarray) -> float:
    return float(mask.sum() if inputs["site_cost"] is None else inputs["site_cost"][mask].sum())


def set_cover_truth(cost, weights, inputs) -> tuple[float, float] | None:
    """Least cost of a layout that serves all demand, and the most demand it can cover twice at that cost."""
    best = None
    for mask in layouts(cost.shape[1], None, inputs["required"], inputs["forbidden"]):
        if served(cost, weights, mask, inputs) >= weights.sum() - 1e-6:
            twice = float(weights[((cost <= inputs["radius"]) & mask).sum(axis=1) >= 2].sum())
            key = (layout_cost(inputs, mask), -twice)
            best = key if best is None or key < best else best
    return None if best is None else (best[0], -best[1])


def max_coverage_truth(cost, weights, inputs, p=None, budget=None) -> tuple[float, float]:
    """Least demand left uncovered with ``p`` sites or within ``budget``, then the least cost of that."""
    best = (INF, INF)
    for mask in layouts(cost.shape[1], p, inputs["required"], inputs["forbidden"]):
        if budget is None or layout_cost(inputs, mask) <= budget:
            uncovered = round(float(weights.sum()) - served(cost, weights, mask, inputs), 6)
            best = min(best, (uncovered, layout_cost(inputs, mask)))
    return best


def check_layout(result, cost, weights, inputs) -> None:
    """Rules and invariants every layout keeps."""
    is_open = result.open_sites
    assert is_open[inputs["required"]].all() and not is_open[inputs["forbidden"]].any()
    assert result.figures["cost"] == pytest.approx(layout_cost(inputs, is_open))
    if result.shares is None:
        return
    shares = result.shares.toarray()
    assert (shares >= 0).all() and (shares.sum(axis=1) <= 1 + 1e-6).all()
    assert not shares[:, ~is_open].any() and not shares[cost > inputs["radius"]].any()
    assert (weights @ shares <= inputs["capacity"] + 1e-6).all()
    if not inputs["split_demand"]:
        assert set(np.unique(shares)) <= {0.0, 1.0}
    assigned = result.assignment >= 0
    assert np.array_equal(shares[assigned, result.assignment[assigned]] > 0, np.ones(assigned.sum(), dtype=bool))


def check_set_cover(solver, cost, weights, inputs, backup) -> None:
    truth = set_cover_truth(cost, weights, inputs)
    model = SetCover.from_cost_matrix(cost, weights=weights, backup=backup, **inputs)
    if truth is None:
        with pytest.raises(InfeasibleLayoutError):
            model.solve(solver=solver)
        return
    result = model.solve(solver=solver)
    assert result.status == "optimal" and result.proven_optimal
    assert result.objective == pytest.approx(truth[0], abs=1e-6)
    assert result.bound == pytest.approx(truth[0], abs=1e-6)
    if backup:
        assert result.figures["backup_covered"] == pytest.approx(truth[1], abs=1e-6)
    check_layout(result, cost, weights, inputs)
    assert served(cost, weights, result.open_sites, inputs) == pytest.approx(weights.sum(), abs=1e-6)
    if result.shares is not None:
        assert np.allclose(result.shares.toarray().sum(axis=1)[weights > 0], 1.0)


def check_max_coverage(solver, cost, weights, inputs, data) -> None:
    m = cost.shape[1]
    if data.draw(st.booleans(), label="by p"):
        p = data.draw(st.integers(len(inputs["required"]), m - len(inputs["forbidden"])), label="p")
        limits = {"p": p}
    else:
        required_cost = layout_cost(inputs, np.isin(np.arange(m), inputs["required"]))
        limits = {"budget": data.draw(st.integers(int(required_cost), int(required_cost) + 6), label="budget")}
    truth = max_coverage_truth(cost, weights, inputs, **limits)
    result = MaxCoverage.from_cost_matrix(cost, weights=weights, **limits, **inputs).solve(solver=solver)
    assert result.status == "optimal" and result.proven_optimal
    assert result.objective == pytest.approx(truth[0], abs=1e-6)
    assert result.bound == pytest.approx(truth[0], abs=1e-6)
    assert result.figures["cost"] == pytest.approx(truth[1])
    assert result.figures["covered"] <= weights.sum() + 1e-6
    assert result.figures["covered"] + result.figures["uncovered"] == pytest.approx(weights.sum())
    if "p" in limits:
        assert result.open_sites.sum() == limits["p"]
    else:
        assert result.figures["cost"] <= limits["budget"]
    check_layout(result, cost, weights, inputs)


@on_each_solver(instance=cost_instances(**SMALL), backup=st.booleans(), data=st.data())
def test_set_cover_equals_brute_force(solver, instance, backup, data):
    cost, weights = instance
    check_set_cover(solver, cost, weights, draw_inputs(data, cost.shape[1], capacitated=False), backup)


@on_each_solver(instance=cost_instances(**TINY), backup=st.booleans(), data=st.data())
def test_capacitated_set_cover_equals_brute_force(solver, instance, backup, data):
    cost, weights = instance
    check_set_cover(solver, cost, weights, draw_inputs(data, cost.shape[1], capacitated=True), backup)


@on_each_solver(instance=cost_instances(**SMALL), data=st.data())
def test_max_coverage_equals_brute_force(solver, instance, data):
    cost, weights = instance
    check_max_coverage(solver, cost, weights, draw_inputs(data, cost.shape[1], capacitated=False), data)


@on_each_solver(instance=cost_instances(**TINY), data=st.data())
def test_capacitated_max_coverage_equals_brute_force(solver, instance, data):
    cost, weights = instance
    check_max_coverage(solver, cost, weights, draw_inputs(data, cost.shape[1], capacitated=True), data)


def test_uncoverable_point_is_named():
    cost = np.array([[1.0, INF], [5.0, 4.0], [2.0, 3.0]])
    with pytest.raises(InfeasibleLayoutError, match=r"1 demand point \(rows 1\) carrying 1 of demand") as err:
        SetCover.from_cost_matrix(cost, 3).solve()
    assert err.value.points.tolist() == [1]


def test_budget_below_required_sites_says_by_how_much():
    cost = np.ones((2, 3))
    model = MaxCoverage.from_cost_matrix(cost, 1, budget=4, site_cost=np.array([3.0, 4.0, 1.0]), required=[0, 1])
    with pytest.raises(InfeasibleLayoutError, match="short by 3") as err:
        model.solve()
    assert err.value.needed_budget == 7


def test_too_little_capacity_says_by_how_much():
    cost = np.ones((3, 2))
    model = SetCover.from_cost_matrix(cost, 1, capacity=np.array([2.0, 3.0]), weights=np.array([2.0, 2.0, 3.0]))
    with pytest.raises(InfeasibleLayoutError, match="short by 2 of the 7"):
        model.solve()


def test_single_source_point_larger_than_any_site_is_named():
    cost = np.array([[1.0, 1.0], [1.0, 9.0]])
    model = SetCover.from_cost_matrix(cost, 2, capacity=4, weights=np.array([3.0, 5.0]), split_demand=False)
    with pytest.raises(InfeasibleLayoutError, match=r"1 demand point \(rows 1\) carrying 5 of demand") as err:
        model.solve()
    assert err.value.points.tolist() == [1]
    # Split, the same demand fits: row 1 cannot, it reaches only site 0 (capacity 4 < 5).
    with pytest.raises(InfeasibleLayoutError, match="without exceeding the sites' capacities"):
        SetCover.from_cost_matrix(cost, 2, capacity=4, weights=np.array([3.0, 5.0])).solve()
    assert SetCover.from_cost_matrix(cost, 9, capacity=4, weights=np.array([3.0, 5.0])).solve().objective == 2


def test_p_or_budget_exactly_one_and_p_in_range():
    cost = np.ones((2, 4))
    with pytest.raises(ValueError, match="exactly one of p"):
        MaxCoverage.from_cost_matrix(cost, 1)
    with pytest.raises(ValueError, match="exactly one of p"):
        MaxCoverage.from_cost_matrix(cost, 1, p=1, budget=2)
    with pytest.raises(ValueError, match="at least the 2 required"):
        MaxCoverage.from_cost_matrix(cost, 1, p=1, required=[0, 1])
    with pytest.raises(ValueError, match="at most the 2 sites"):
        MaxCoverage.from_cost_matrix(cost, 1, p=3, forbidden=[0, 3])


def test_dominated_sites_are_removed_but_not_under_exact_p():
    # Site 1 covers a subset of site 0's points at the same cost; site 3 covers what site 2 covers.
    cost = np.array([[1.0, 1.0, 9.0, 9.0], [1.0, 9.0, 9.0, 9.0], [9.0, 9.0, 1.0, 1.0]])
    cover = SetCover.from_cost_matrix(cost, 2).solve()
    assert cover.figures["dominated_sites_removed"] == 2 and cover.open_indices.tolist() == [0, 2]
    budgeted = MaxCoverage.from_cost_matrix(cost, 2, budget=1).solve()
    assert budgeted.figures["dominated_sites_removed"] == 2 and budgeted.objective == 1
    exact = MaxCoverage.from_cost_matrix(cost, 2, p=3).solve()
    assert exact.figures["dominated_sites_removed"] == 0 and exact.objective == 0
    # Of two sites covering the same points the cheaper survives, whatever its index.
    cheaper = SetCover.from_cost_matrix(np.array([[1.0, 1.0]]), 2, site_cost=np.array([5.0, 1.0])).solve()
    assert cheaper.open_indices.tolist() == [1] and cheaper.figures["dominated_sites_removed"] == 1


def test_site_a_planning_rule_keeps_is_not_removed():
    # Site 1 is dominated by site 0, but a planning rule keeps site 1 or the costly site 2 open.
    cost = np.array([[1.0, 1.0, 9.0], [1.0, 9.0, 9.0]])
    for solver in SOLVERS:
        model = SetCover.from_cost_matrix(cost, 2, site_cost=np.array([1.0, 1.0, 5.0]))
        model.keep_one_of = [np.array([1, 2])]
        assert model.solve(solver=solver).open_indices.tolist() == [0, 1]
        budgeted = MaxCoverage.from_cost_matrix(cost, 2, budget=1.5, site_cost=np.array([1.0, 1.0, 5.0]))
        budgeted.keep_one_of = [np.array([1, 2])]
        assert budgeted.solve(solver=solver).open_indices.tolist() == [1]
        budgeted.budget = 0.5
        with pytest.raises(InfeasibleLayoutError, match=r"short by 0\.5") as err:
            budgeted.solve(solver=solver)
        assert err.value.needed_budget == 1


def test_same_inputs_same_layout():
    rng = np.random.default_rng(3)
    cost = rng.integers(0, 6, size=(40, 12)).astype(float)  # many ties
    models = (
        lambda: SetCover.from_cost_matrix(cost, 1, backup=True),
        lambda: MaxCoverage.from_cost_matrix(cost, 1, p=3),
        lambda: MaxCoverage.from_cost_matrix(cost, 1, budget=3, capacity=4, split_demand=False),
    )
    for build in models:
        objectives = set()
        for solver in SOLVERS:
            first, again = (build().solve(solver=solver) for _ in range(2))
            assert np.array_equal(first.open_sites, again.open_sites) and first.figures == again.figures
            objectives.add(first.objective)
        assert len(objectives) == 1
