"""Central township centres at prefecture size: the exact choice of :mod:`facility_layout.models.central`
against the previous PuLP model (one variable per point–centre pair), in the same run.

The instance is a faithful synthetic stand-in for the generated prefecture of issue 17 (``synthetic: {seed:
11, width_km: 150, height_km: 150, population_total: 2500000}``: 142 township centres), built in seconds
instead of the pipeline's minutes:

- 142 township centres on a jittered grid over 150 × 150 km (12 × 12 cells of 12.5 km, two left empty);
- demand points on the population grid's 500 m cells (300 × 300), populated where a settlement is near
  (about 40,000 cells), 2,500,000 people in all, clustered around 4,000 settlements;
- minutes walk-then-motor like the demo's township standard: a walk to the road (0–2 km at 4 km/h) and a
  ride of 1.3 × the straight distance at 40 km/h, rounded to 0.1 min; pairs kept within 90 min;
- the township standard is the demo's 60 min.

Runs ``central_count`` 2 (the demo's: enumeration), 3 and 10 (too many combinations to enumerate: the
branch and bound) with the new model (HiGHS, then CBC; both reach the same exact method, the solver is
only needed if the MILPs run) and, at ``--old-counts``, the old PuLP model (HiGHS, ``--old-limit`` s per
stage), and checks that every proven result has the same objectives. As cross-checks by other routes of
the new model: the branch and bound alone (``new-bnb-highs``, enumeration off) at every count, and the MILPs
alone (``new-milp-highs``, at ``--milp-counts``, within ``--new-limit``). Ends with ``RESULT`` lines:

    RESULT count=<p> model=<new-highs|new-cbc|new-bnb-highs|new-milp-highs|old-highs> seconds=<s>
        status=<status> people_out=<x> person_minutes=<y> same_objective=<yes|no|unproven|invalid_choice>

    .venv/bin/python benchmarks/central_centres.py [--old-limit 120] [--counts 2,3,10] [--old-counts 2]
        [--milp-counts 2] [--skip-old]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import pulp
from scipy.spatial import cKDTree

from facility_layout.models.base import merge_rows
from facility_layout.models.central import Profiles, choose_central
from facility_layout.odmatrix import ODMatrix
from facility_layout.solve import SolveReport, solve_problem

STANDARD = 60.0


def prefecture(seed: int = 11) -> tuple[ODMatrix, np.ndarray]:
    """Demand points × township centres minutes (pairs within 90 min) and the people per point."""
    rng = np.random.default_rng(seed)
    cells = np.array([(i, j) for i in range(12) for j in range(12)])
    cells = cells[rng.permutation(len(cells))[:142]]
    centres = (cells + rng.uniform(0.2, 0.8, cells.shape)) * 12.5
    settlements = rng.uniform(0, 150, (4000, 2))
    size = rng.lognormal(0, 1, 4000)
    grid = (np.arange(300) + 0.5) * 0.5
    gx, gy = np.meshgrid(grid, grid, indexing="ij")
    cell_xy = np.c_[gx.ravel(), gy.ravel()]
    # People of each settlement spread over the cells within ~1.5 km of it.
    near = cKDTree(cell_xy).query_ball_point(settlements, 0.6 + 0.25 * size)
    people = np.zeros(len(cell_xy))
    for k, idx in enumerate(near):
        people[idx] += size[k] * rng.uniform(0.5, 1.5, len(idx)) / max(len(idx), 1)
    populated = np.flatnonzero(people > 0)
    people = people[populated] / people[populated].sum() * 2_500_000
    xy = cell_xy[populated]
    walk = rng.uniform(0.0, 2.0, len(xy)) / 4.0 * 60.0
    distance = np.hypot(xy[:, None, 0] - centres[None, :, 0], xy[:, None, 1] - centres[None, :, 1])
    minutes = np.round(walk[:, None] + 1.4 * distance / 28.0 * 60.0, 1)
    origin, centre = np.nonzero(minutes <= 90.0)
    od = ODMatrix.from_pairs(origin, centre, minutes[origin, centre], shape=minutes.shape)
    return od, people


def old_model(
    minutes: ODMatrix, population: np.ndarray, count: int, time_limit_s: float
) -> tuple[np.ndarray, SolveReport]:
    """The previous ``TwoTier._solve_central`` (PuLP; a binary per coverage set, a variable per point–centre
    pair), kept here only to measure against; its two stages share ``time_limit_s`` each as before."""
    n_centres = minutes.shape[1]
    pairs = minutes.within(STANDARD)
    by_origin: dict[int, list[int]] = {}
    for p, i in enumerate(pairs.origin.tolist()):
        by_origin.setdefault(i, []).append(p)
    row_of = {i: tuple(sorted(pairs.destination[ps].tolist())) for i, ps in by_origin.items()}
    rows = merge_rows((row_of[i], float(population[i])) for i in by_origin)
    problem = pulp.LpProblem("central_township_centres", pulp.LpMinimize)
    central = [pulp.LpVariable(f"central_{k}", cat=pulp.LpBinary) for k in range(n_centres)]
    problem += pulp.lpSum(central) == count
    reached = {row: pulp.LpVariable(f"reached_{r}", cat=pulp.LpBinary) for r, row in enumerate(rows)}
    for row in rows:
        problem += reached[row] <= pulp.lpSum(central[k] for k in row)
    left_out = pulp.lpSum(w * (1 - reached[row]) for row, w in rows.items())
    problem += left_out
    first = solve_problem(problem, "highs", time_limit_s, 0.0)
    if first.objective is None:
        return np.zeros(n_centres, dtype=bool), first
    problem += left_out <= first.objective + 1e-7 * max(1.0, float(population.sum()))
    served = [pulp.LpVariable(f"served_{p}", 0, 1) for p in range(pairs.n_pairs)]
    for p, k in enumerate(pairs.destination.tolist()):
        problem += served[p] <= central[k]
    for i, ps in by_origin.items():
        problem += pulp.lpSum(served[p] for p in ps) == reached[row_of[i]]
    weights = population[pairs.origin] * pairs.minutes
    problem.setObjective(pulp.lpSum(float(w) * v for w, v in zip(weights.tolist(), served, strict=True)))
    second = solve_problem(problem, "highs", time_limit_s, 0.0)
    chosen = np.array([(v.value() or 0.0) > 0.5 for v in central])
    # What the old code reported: the second stage's report, or the first's if the second had no objective.
    final = second if second.objective is not None else first
    note = (
        f"stage 1 {first.status} in {first.seconds:.1f} s ({first.variables:,} variables), "
        f"stage 2 {second.status} in {second.seconds:.1f} s ({second.variables:,} variables, "
        f"{second.constraints:,} rows)"
    )
    return chosen, replace(final, note=note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old-limit", type=float, default=120.0, help="time limit per stage of the old model")
    parser.add_argument("--new-limit", type=float, default=120.0, help="time limit of the new model")
    parser.add_argument("--counts", default="2,3,10")
    parser.add_argument("--old-counts", default="2", help="counts at which the old model runs too")
    parser.add_argument("--milp-counts", default="2", help="counts at which the MILP route runs alone too")
    parser.add_argument("--skip-old", action="store_true")
    args = parser.parse_args()

    clock = time.perf_counter()
    minutes, population = prefecture()
    print(
        f"instance: {minutes.shape[0]:,} demand points, {minutes.shape[1]} centres, {population.sum():,.0f} people, "
        f"{minutes.within(STANDARD).n_pairs:,} pairs within {STANDARD:g} min ({time.perf_counter() - clock:.1f} s)"
    )
    profiles = Profiles.from_minutes(minutes, population, STANDARD)
    print(
        f"reduced: {profiles.n:,} profiles, {len(profiles.coverage_sets()[1]):,} coverage sets, "
        f"{int((np.diff(profiles.start) == 1).sum()):,} reached by one centre only"
    )
    lines = []
    for count in (int(c) for c in args.counts.split(",")):
        results = {}
        old = not args.skip_old and str(count) in args.old_counts.split(",")
        # The same choice by other routes: the branch and bound alone, and the MILPs alone (their fallback).
        routes = {
            "new-highs": ("highs", {}),
            "new-cbc": ("cbc", {}),
            "new-bnb-highs": ("highs", {"enumeration_work": 0}),
        }
        if str(count) in args.milp_counts.split(","):
            routes["new-milp-highs"] = ("highs", {"enumeration_work": 0, "node_limit": 0})
        if old:
            routes["old-highs"] = (None, {})
        for name, (solver, limits) in routes.items():
            clock = time.perf_counter()
            if solver is None:
                chosen, report = old_model(minutes, population, count, args.old_limit)
            else:
                chosen, report = choose_central(minutes, population, STANDARD, count, solver, args.new_limit, **limits)
            seconds = time.perf_counter() - clock
            figures = profiles.evaluate(chosen) if chosen.sum() == count else (float("nan"), float("nan"))
            results[name] = (report, figures)
            print(
                f"count={count} {name}: {seconds:.1f} s, {report.status}, centres {np.flatnonzero(chosen).tolist()}, "
                f"people beyond the standard {figures[0]:,.1f}, person-minutes {figures[1]:,.1f}"
                + (f" (note: {report.note})" if report.note else "")
            )
            lines.append((count, name, seconds, report, figures))
        # A choice of the wrong size (the old model read an empty one from a failed solve) is no answer.
        proven = [f for r, f in results.values() if r.proven_optimal and np.isfinite(f).all()]
        for c, name, seconds, report, figures in [line for line in lines if line[0] == count]:
            if not np.isfinite(figures).all():
                same = "invalid_choice"
            elif not report.proven_optimal:
                same = "unproven"
            else:
                same = "yes" if all(np.allclose(figures, f, rtol=1e-6) for f in proven) else "no"
            lines[lines.index((c, name, seconds, report, figures))] = (c, name, seconds, report, figures, same)
    for count, name, seconds, report, figures, same in lines:
        print(
            f"RESULT count={count} model={name} seconds={seconds:.2f} status={report.status} "
            f"people_out={figures[0]:.1f} person_minutes={figures[1]:.1f} same_objective={same}"
        )


if __name__ == "__main__":
    main()
