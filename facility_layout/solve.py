"""PuLP solver plumbing: choose CBC or HiGHS, apply the time limit and gap, and report honestly.

PuLP's ``status`` says "Optimal" for a run stopped by its time limit with a feasible solution in hand,
so the status reported here is read from PuLP's ``sol_status`` together with the solver's own bound:
``optimal`` means the solver proved it (gap within ``mip_gap``); ``feasible`` means a layout was found but
not proven best, and the gap says by how much it might be off. Every model here is a minimisation, so
the bound is a lower bound on the best possible objective.
"""

from __future__ import annotations

import importlib
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pulp

from facility_layout.errors import SolveError

SOLVERS = ("cbc", "highs")
# A gap this small is round-off, not a layout that could be better.
PROVEN_GAP = 1e-6

# PuLP solution status → the words a planner reads in summary.json.
_SOLUTION_STATUS = {
    pulp.LpSolutionOptimal: "optimal",
    pulp.LpSolutionIntegerFeasible: "feasible",
    pulp.LpSolutionNoSolutionFound: "no_solution",
    pulp.LpSolutionInfeasible: "infeasible",
    pulp.LpSolutionUnbounded: "unbounded",
}


@dataclass(frozen=True)
class SolveReport:
    """What the solver proved about one solve.

    Attributes
    ----------
    name : str
        ``cbc`` or ``highs``.
    status : str
        ``optimal`` (proven), ``within_gap`` (stopped at the scenario's ``mip_gap``), ``feasible`` (a
        solution, not proven best, e.g. at the time limit), ``no_solution`` (time limit hit
        before any solution), ``infeasible``, ``unbounded``, ``error`` or ``not_needed`` (nothing to decide).
    proven_optimal : bool
        True only when the solver proved optimality (gap below 1e-6, whatever ``mip_gap`` allows).
    objective : float or None
        Objective of the solution found.
    bound : float or None
        Best proven lower bound on the objective.
    gap : float or None
        Relative gap ``(objective - bound) / max(|objective|, 1e-9)``; 0 when proven optimal.
    seconds : float
        Wall time of the solve.
    variables, constraints : int
        Size of the model the solver saw.
    """

    name: str
    status: str
    proven_optimal: bool
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    variables: int = 0
    constraints: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def not_needed(cls, name: str) -> SolveReport:
        """For a decision that was fixed before any model was built."""
        return cls(name, "not_needed", True, 0.0, 0.0, 0.0, 0.0)


def ensure_solver_available(name: str) -> None:
    """Raise :class:`SolveError` naming ``solver.name`` and the fix when the solver cannot run here."""
    if name not in SOLVERS:
        raise SolveError(f"solver.name = {name!r}: unknown solver. Fix: use one of {', '.join(SOLVERS)}.")
    if name == "highs":
        try:
            importlib.import_module("highspy")
        except ImportError as exc:
            raise SolveError(
                f"solver.name = 'highs': the HiGHS solver is not installed ({exc}). "
                "Fix: install it with `pip install highspy`, or set solver.name: cbc."
            ) from None
    elif not pulp.PULP_CBC_CMD().available():
        raise SolveError(
            "solver.name = 'cbc': PuLP's bundled CBC binary cannot run on this machine. "
            "Fix: reinstall pulp (`pip install --force-reinstall pulp`), or set solver.name: highs."
        )


def solve_problem(problem: pulp.LpProblem, solver: str, time_limit_s: float, mip_gap: float) -> SolveReport:
    """Solve a minimisation ``problem`` in place and report what was proven.

    Parameters
    ----------
    problem : pulp.LpProblem
        A minimisation problem.
    solver : str
        ``cbc`` or ``highs``.
    time_limit_s : float
        Wall-clock limit.
    mip_gap : float
        Relative gap at which the solver may stop and still call the result optimal.
    """
    if problem.sense != pulp.LpMinimize:
        raise ValueError("solve_problem expects a minimisation problem")
    ensure_solver_available(solver)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="facility_layout_solve_") as tmp:
        if solver == "cbc":
            log = Path(tmp) / "cbc.log"
            # One thread: CBC is then deterministic, so the same inputs give the same layout.
            command = pulp.PULP_CBC_CMD(
                msg=False,
                timeLimit=time_limit_s,
                gapRel=mip_gap,
                threads=1,
                logPath=str(log),
                keepFiles=False,
            )
            try:
                problem.solve(command)
            except pulp.PulpSolverError:
                return _failed(solver, start, problem)
            bound = _cbc_bound(log.read_text(errors="replace") if log.is_file() else "")
        else:
            command = pulp.HiGHS(msg=False, timeLimit=time_limit_s, gapRel=mip_gap, threads=1, random_seed=0)
            try:
                with _silenced_stdout():
                    problem.solve(command)
            except pulp.PulpSolverError:
                return _failed(solver, start, problem)
            bound = _highs_bound(problem)
    seconds = time.perf_counter() - start
    status = _SOLUTION_STATUS.get(problem.sol_status, "error")
    has_solution = status in {"optimal", "feasible"}
    objective = pulp.value(problem.objective) if has_solution else None
    objective = float(objective) if objective is not None else (0.0 if has_solution else None)
    if bound is not None:
        # Solvers see the objective without its constant term; PuLP adds it back to the objective value.
        bound += float(problem.objective.constant)
    if status == "optimal" and bound is None:
        bound = objective
    gap = _relative_gap(objective, bound)
    if status == "optimal" and (gap is None or gap > PROVEN_GAP):
        status = "within_gap" if gap is not None and gap <= mip_gap + PROVEN_GAP else "feasible"
    proven = status == "optimal"
    return SolveReport(
        name=solver,
        status=status,
        proven_optimal=proven,
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=round(seconds, 3),
        variables=problem.numVariables(),
        constraints=problem.numConstraints(),
    )


@contextmanager
def _silenced_stdout() -> Iterator[None]:
    """HiGHS prints its banner from C to standard output even with output off; the CLI's stdout is a
    contract other tools read, so the solve runs with file descriptor 1 pointed at /dev/null."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _failed(solver: str, start: float, problem: pulp.LpProblem) -> SolveReport:
    """The solver process failed: status ``error`` (the pipeline turns it into a message for the planner)."""
    return SolveReport(
        solver,
        "error",
        False,
        None,
        None,
        None,
        round(time.perf_counter() - start, 3),
        problem.numVariables(),
        problem.numConstraints(),
    )


def _relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return max(0.0, (objective - bound) / max(abs(objective), 1e-9))


def _cbc_bound(log: str) -> float | None:
    """The lower bound CBC printed; for a proven optimum CBC prints only the objective."""
    if "Result - Optimal solution found" in log:
        found = re.search(r"^Objective value:\s*(\S+)", log, re.MULTILINE)
        return float(found.group(1)) if found else None
    found = re.search(r"^Lower bound:\s*(\S+)", log, re.MULTILINE)
    return float(found.group(1)) if found else None


def _highs_bound(problem: pulp.LpProblem) -> float | None:
    model = getattr(problem, "solverModel", None)
    if model is None:
        return None
    bound = float(model.getInfo().mip_dual_bound)
    return bound if math.isfinite(bound) else None
