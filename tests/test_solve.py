"""Solver plumbing: a time-limited run is never called optimal, whatever PuLP's `status` says."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pulp
import pytest

from facility_layout.errors import SolveError
from facility_layout.models.median import PMedian
from facility_layout.solve import SolveReport, ensure_solver_available, lp_relaxation, solve_milp, solve_problem


def hard_set_cover(seed: int = 0, n_sites: int = 300, n_points: int = 900, density: float = 0.03) -> pulp.LpProblem:
    """A random weighted set cover that neither solver closes in a second on this machine."""
    rng = np.random.default_rng(seed)
    covers = rng.random((n_points, n_sites)) < density
    covers[np.arange(n_points), rng.integers(0, n_sites, n_points)] = True  # every point coverable
    cost = rng.integers(10, 30, n_sites)
    problem = pulp.LpProblem("hard_set_cover", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x{j}", cat=pulp.LpBinary) for j in range(n_sites)]
    problem += pulp.lpSum(int(cost[j]) * x[j] for j in range(n_sites))
    for i in range(n_points):
        problem += pulp.lpSum(x[j] for j in np.flatnonzero(covers[i])) >= 1
    return problem


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_time_limited_run_is_not_called_optimal(solver: str) -> None:
    problem = hard_set_cover()
    report = solve_problem(problem, solver, time_limit_s=1.0, mip_gap=0.0)
    assert problem.status == pulp.LpStatusOptimal  # what PuLP claims …
    assert report.status == "feasible" and not report.proven_optimal  # … and what was proven
    assert report.bound is not None and report.bound < report.objective
    assert report.gap == pytest.approx((report.objective - report.bound) / report.objective)


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_small_problem_is_proven_optimal(solver: str) -> None:
    problem = hard_set_cover(n_sites=12, n_points=20, density=0.4)
    report = solve_problem(problem, solver, time_limit_s=30, mip_gap=0.0)
    assert report.status == "optimal" and report.proven_optimal and report.gap == pytest.approx(0, abs=1e-9)
    # The same optimum whichever solver proves it.
    other = solve_problem(
        hard_set_cover(n_sites=12, n_points=20, density=0.4), "highs" if solver == "cbc" else "cbc", 30, 0
    )
    assert report.objective == pytest.approx(other.objective)


def test_unknown_solver_names_the_key() -> None:
    with pytest.raises(SolveError, match=r"solver.name = 'gurobi'.*Fix: use one of cbc, highs"):
        ensure_solver_available("gurobi")


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_time_limit_before_any_solution(solver: str) -> None:
    report = solve_problem(hard_set_cover(), solver, time_limit_s=0.001, mip_gap=0.0)
    assert report.status == "no_solution" and not report.proven_optimal and report.objective is None


def test_lp_relaxation_bounds_and_reduced_costs() -> None:
    """The LP optimum bounds the MILP from below, and forcing a column up by one raises the LP by at least its
    reduced cost (what reduced-cost fixing relies on), checked by solving each forced LP."""
    rng = np.random.default_rng(11)
    cost = rng.integers(1, 30, size=(30, 12)).astype(float)
    milp = PMedian.from_cost_matrix(cost, 2)._build(np.zeros(12, dtype=bool))[0]
    lower, reduced = lp_relaxation(milp, 60)
    _, exact = solve_milp(milp, "highs", 60, 0.0)
    assert lower <= exact.objective + 1e-9
    priced = np.flatnonzero(reduced[:12] > 1e-6)
    assert len(priced) >= 3  # closed sites with a price, so the check below has something to check
    for column in priced:
        forced = replace(milp, col_lower=milp.col_lower.copy())
        forced.col_lower[column] = 1.0
        assert lp_relaxation(forced, 60)[0] >= lower + reduced[column] - 1e-6


def test_bound_from_elsewhere_only_tightens() -> None:
    stopped = SolveReport("highs", "feasible", False, 100.0, None, None, 1.0)
    assert stopped.with_bound(90.0).bound == 90.0 and stopped.with_bound(90.0).gap == pytest.approx(0.1)
    assert not stopped.with_bound(90.0).proven_optimal
    met = stopped.with_bound(100.0)
    assert met.status == "optimal" and met.proven_optimal and met.gap == 0.0
    known = SolveReport("highs", "feasible", False, 100.0, 95.0, 0.05, 1.0)
    assert known.with_bound(90.0) == known  # a weaker bound changes nothing
    assert SolveReport("highs", "no_solution", False, None, None, None, 1.0).with_bound(90.0).bound is None
