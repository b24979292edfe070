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
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pulp
import scipy.sparse as sp

from facility_layout.errors import SolveError
from facility_layout.solver_process import cbc_arguments, run_cbc, solve_with_cbc, solver_folder

SOLVERS = ("cbc", "highs")
# Statuses with a layout to read, from most to least proven; "not_needed" (nothing to decide) ranks as proven.
HAS_SOLUTION = ("optimal", "not_needed", "within_gap", "feasible")
# A gap this small is round-off, not a layout that could be better.
PROVEN_GAP = 1e-6
# The least time limit a solver is given (a limit of 0 means "none" to some solver options).
MIN_TIME_LIMIT_S = 1e-3

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
    note : str or None
        What the planner should know beyond the status, e.g. that the layout is a starting layout the
        solver could not improve on (a proven-feasible fallback) or that only a first stage was proven.

    A ``feasible`` report always has a positive ``gap`` or none (``None``): a bound that meets the objective
    is a proof, and the report then says ``optimal``.
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
    note: str | None = None

    @property
    def has_solution(self) -> bool:
        """A layout came out of the solve (proven or not); every other status has none to read."""
        return self.status in HAS_SOLUTION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_bound(self, bound: float) -> SolveReport:
        """This report with a lower bound proven elsewhere (e.g. an LP relaxation) where it is higher than the
        solver's or the solver gave none; proven optimal where it meets the objective."""
        if self.objective is None or (self.bound is not None and self.bound >= bound):
            return self
        # A stop within the scenario's mip_gap stays within it with a tighter bound.
        status, gap = honest_status(self.status, self.objective, bound, self.gap if self.status == "within_gap" else 0)
        return replace(self, bound=bound, gap=gap, status=status, proven_optimal=status == "optimal")

    @classmethod
    def not_needed(cls, name: str) -> SolveReport:
        """For a decision that was fixed before any model was built."""
        return cls(name, "not_needed", True, 0.0, 0.0, 0.0, 0.0)


class NoLayoutError(Exception):
    """A stage's solve ended without a layout to read (no solution in the time left, or a solver failure).

    Attributes
    ----------
    stage : str
        The stage, as in ``summary.json``'s ``solver.stages`` (e.g. ``clinic_layout``).
    report : SolveReport
        What the solver said.
    time_left_s : float
        Seconds of the run's time budget the stage had.
    """

    def __init__(self, stage: str, report: SolveReport, time_left_s: float) -> None:
        super().__init__(f"{stage}: the solver reported {report.status!r} after {report.seconds:g} s")
        self.stage, self.report, self.time_left_s = stage, report, time_left_s


def time_left(time_limit_s: float, started: float) -> float:
    """What remains of a run's time budget of ``time_limit_s`` seconds started at ``perf_counter()`` time
    ``started``: every stage of a run shares one budget."""
    return max(time_limit_s - (time.perf_counter() - started), 0.0)


# The order in which stages are less and less proven; a run's headline is its least proven stage.
_PROOF_RANK = {"not_needed": 0, "optimal": 0, "within_gap": 1, "feasible": 2}


def least_proven(stages: dict[str, SolveReport]) -> SolveReport:
    """The headline of a run of several stages (first one first): the least proven stage's status.

    ``proven_optimal`` only if every stage is; ``gap`` the largest stage gap (``None`` if an unproven stage
    has none); ``objective`` the first stage's, with its ``bound`` when the gap is the first stage's own;
    ``seconds``, ``variables`` and ``constraints`` summed; notes named by stage.
    """
    reports = list(stages.values())
    first = reports[0]
    worst = max(reports, key=lambda r: _PROOF_RANK.get(r.status, 3))
    proven = all(r.proven_optimal for r in reports)
    status = worst.status
    if status == "not_needed" and any(r.status == "optimal" for r in reports):
        status = "optimal"
    unproven = [r for r in reports if not r.proven_optimal]
    gaps = [r.gap for r in unproven]
    gap = 0.0 if proven else (None if None in gaps or not gaps else max(gaps))
    own = proven or (first.gap is not None and gap == first.gap)
    notes = [f"{name}: {r.note}" for name, r in stages.items() if r.note]
    return SolveReport(
        name=first.name,
        status=status,
        proven_optimal=proven,
        objective=first.objective,
        bound=first.bound if own else None,
        gap=gap,
        seconds=round(sum(r.seconds for r in reports), 3),
        variables=sum(r.variables for r in reports),
        constraints=sum(r.constraints for r in reports),
        note="; ".join(notes) or None,
    )


def lexicographic(first: SolveReport, second: SolveReport | None, note: str | None = None) -> SolveReport:
    """One report for a two-stage solve: the best ``first`` objective, then the best ``second`` among its
    optima (the second solve constrained to the first's objective).

    The objective, bound and gap are the first stage's (the one the planner reads); the status is the less
    proven of the two. With the first stage proven and the second not, the gap is unknown (``None``): the
    tie-break is not proven, and no bound on the leading objective measures it. ``second`` is None when the
    second stage found nothing and the first stage's layout is used (``note`` says so).
    """
    seconds = first.seconds + (second.seconds if second is not None else 0.0)
    if second is not None and second.proven_optimal and first.proven_optimal:
        return replace(first, seconds=round(seconds, 3), variables=second.variables, constraints=second.constraints)
    statuses = [first.status, second.status if second is not None else "feasible"]
    status = max(statuses, key=lambda s: _PROOF_RANK.get(s, 3))
    gap = first.gap if not first.proven_optimal else None
    return replace(
        first,
        status=status,
        proven_optimal=False,
        bound=first.bound if gap is not None else None,
        gap=gap,
        seconds=round(seconds, 3),
        variables=second.variables if second is not None else first.variables,
        constraints=second.constraints if second is not None else first.constraints,
        note=note or first.note,
    )


def ensure_solver_available(name: str) -> None:
    """Raise :class:`SolveError` naming ``solver.name`` and the fix when the solver cannot run here."""
    if name not in SOLVERS:
        raise SolveError(
            "solver.name = {name!r}: unknown solver. Fix: use one of {SOLVERS}.", name=name, SOLVERS=", ".join(SOLVERS)
        )
    if name == "highs":
        try:
            importlib.import_module("highspy")
        except ImportError as exc:
            raise SolveError(
                "solver.name = 'highs': the HiGHS solver is not installed ({exc}). Fix: install it with `pip "
                "install highspy`, or set solver.name: cbc.",
                exc=exc,
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
    # A limit of 0 reads as "no limit" to some solver options; a millisecond is the least any run gets.
    time_limit_s = max(time_limit_s, MIN_TIME_LIMIT_S)
    with solver_folder() as tmp:
        if solver == "cbc":
            try:
                solve_with_cbc(problem, time_limit_s, mip_gap, tmp)
            except pulp.PulpSolverError:
                return _failed(solver, start, problem)
            log = tmp / "cbc.log"
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
    status = _untimed(_SOLUTION_STATUS.get(problem.sol_status, "error"), seconds, time_limit_s)
    has_solution = status in {"optimal", "feasible"}
    objective = pulp.value(problem.objective) if has_solution else None
    objective = float(objective) if objective is not None else (0.0 if has_solution else None)
    if bound is not None:
        # Solvers see the objective without its constant term; PuLP adds it back to the objective value.
        bound += float(problem.objective.constant)
    if status == "optimal" and bound is None:
        bound = objective
    status, gap = honest_status(status, objective, bound, mip_gap)
    return SolveReport(
        name=solver,
        status=status,
        proven_optimal=status == "optimal",
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


def _untimed(status: str, seconds: float, time_limit_s: float) -> str:
    """``no_solution`` for an infeasibility claimed once the time limit had run out: CBC's preprocessing, cut
    short by a millisecond limit, says "Integer infeasible" for models that are feasible (a coverage model
    any choice meets, in tests/test_status.py), so only a claim made within the limit is believed."""
    return "no_solution" if status == "infeasible" and seconds >= time_limit_s else status


def honest_status(
    status: str, objective: float | None, bound: float | None, mip_gap: float = 0.0
) -> tuple[str, float | None]:
    """The status a solve may claim, and its gap, from the objective and the proven bound alone.

    A solution whose bound meets its objective is ``optimal`` (whatever stopped the solver); within
    ``mip_gap`` it is ``within_gap``; otherwise ``feasible`` with a positive gap, or none without a bound.
    Statuses without a solution pass through with no gap.
    """
    if status not in {"optimal", "within_gap", "feasible"} or objective is None:
        return status, None
    gap = relative_gap(objective, bound)
    if gap is None:
        return "feasible", None
    if gap <= PROVEN_GAP:
        return "optimal", 0.0
    return ("within_gap" if gap <= mip_gap + PROVEN_GAP else "feasible"), gap


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    difference = objective - bound
    # An objective of 0 with a bound of -1e-10 is round-off, not a 100 % gap.
    if difference <= PROVEN_GAP * max(1.0, abs(objective)):
        return 0.0
    return difference / max(abs(objective), 1e-9)


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


# --- models in matrix form --------------------------------------------------------------------------------
#
# The classic location models are built straight into arrays: a p-median on 900 points has ~30,000 columns
# and ~800,000 nonzeros, which PuLP's per-variable Python objects build in minutes and HiGHS reads in
# milliseconds. CBC receives the same arrays as an MPS file.


@dataclass(frozen=True)
class Milp:
    """A minimisation ``cost @ x + constant`` subject to ``row_lower <= matrix @ x <= row_upper`` and column
    bounds, with ``integer`` columns; infinite bounds are ``±numpy.inf``.

    Build it with :class:`MilpBuilder`; solve it with :func:`solve_milp`.
    """

    cost: np.ndarray
    matrix: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    constant: float = 0.0

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape


class MilpBuilder:
    """Collects columns and rows as arrays; rows are given as (row, column, value) triplets."""

    def __init__(self) -> None:
        self._cols: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._n_cols = 0
        self._entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._bounds: list[tuple[np.ndarray, np.ndarray]] = []
        self._n_rows = 0
        self.constant = 0.0

    @property
    def n_cols(self) -> int:
        return self._n_cols

    def add_columns(
        self,
        n: int,
        cost: float | np.ndarray = 0.0,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = np.inf,
        integer: bool = False,
    ) -> np.ndarray:
        """Add ``n`` columns (costs and bounds scalars or one per column); returns their indices."""

        def each(value: float | np.ndarray) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()

        self._cols.append((each(cost), each(lower), each(upper), np.full(n, integer)))
        first = self._n_cols
        self._n_cols += n
        return np.arange(first, first + n, dtype=np.int64)

    def add_rows(
        self,
        row: np.ndarray,
        column: np.ndarray,
        value: np.ndarray | float,
        lower: np.ndarray | float,
        upper: np.ndarray | float,
        n_rows: int | None = None,
    ) -> np.ndarray:
        """Add rows ``lower <= Σ value·x[column] <= upper``; ``row`` numbers them 0..n_rows-1 locally."""
        row = np.asarray(row, dtype=np.int64)
        column = np.asarray(column, dtype=np.int64)
        n_rows = int(row.max()) + 1 if n_rows is None else n_rows
        value = np.broadcast_to(np.asarray(value, dtype=float), row.shape)
        self._entries.append((row + self._n_rows, column, value))
        self._bounds.append(
            (
                np.broadcast_to(np.asarray(lower, dtype=float), (n_rows,)).copy(),
                np.broadcast_to(np.asarray(upper, dtype=float), (n_rows,)).copy(),
            )
        )
        first = self._n_rows
        self._n_rows += n_rows
        return np.arange(first, first + n_rows, dtype=np.int64)

    def build(self) -> Milp:
        def joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        cost, col_lower, col_upper, integer = (
            joined([c[k] for c in self._cols], t) for k, t in enumerate((float,) * 3 + (bool,))
        )
        rows = joined([e[0] for e in self._entries], np.int64)
        columns = joined([e[1] for e in self._entries], np.int64)
        values = joined([e[2] for e in self._entries], float)
        matrix = sp.csc_matrix((values, (rows, columns)), shape=(self._n_rows, self._n_cols))
        matrix.sum_duplicates()
        return Milp(
            cost=cost,
            matrix=matrix,
            row_lower=joined([b[0] for b in self._bounds], float),
            row_upper=joined([b[1] for b in self._bounds], float),
            col_lower=col_lower,
            col_upper=col_upper,
            integer=integer,
            constant=float(self.constant),
        )


def solve_milp(
    milp: Milp, solver: str, time_limit_s: float, mip_gap: float, start: np.ndarray | None = None
) -> tuple[np.ndarray | None, SolveReport]:
    """Solve a :class:`Milp`; returns the column values (None without a solution) and what was proven.

    The status follows the same rules as :func:`solve_problem`: read from the solver's solution status and
    its bound, never from "the solver stopped". ``start``, a feasible value for every column, is handed to
    HiGHS as its first incumbent (CBC starts without it).
    """
    ensure_solver_available(solver)
    clock = time.perf_counter()
    if milp.shape[1] == 0:
        # No columns: the rows hold if 0 is within their bounds.
        feasible = bool(np.all(milp.row_lower <= 0) and np.all(milp.row_upper >= 0))
        status, value = ("optimal", float(milp.constant)) if feasible else ("infeasible", None)
        return (np.zeros(0) if feasible else None), _report(solver, status, value, value, clock, milp)
    if milp.shape[0] == 0:
        # No rows: each column sits at its cheaper bound (CBC does not read an MPS file without rows).
        values = np.where(milp.cost >= 0, milp.col_lower, milp.col_upper)
        if not np.isfinite(values).all():
            return None, _report(solver, "unbounded", None, None, clock, milp)
        objective = float(milp.cost @ values + milp.constant) if len(values) else float(milp.constant)
        return values, _report(solver, "optimal", objective, objective, clock, milp)
    time_limit_s = max(time_limit_s, MIN_TIME_LIMIT_S)
    if solver == "highs":
        values, status, objective, bound = _highs_arrays(milp, time_limit_s, mip_gap, start)
    else:
        values, status, objective, bound = _cbc_arrays(milp, time_limit_s, mip_gap)
    status = _untimed(status, time.perf_counter() - clock, time_limit_s)
    if values is not None:
        values = np.clip(values, milp.col_lower, milp.col_upper)
        values[milp.integer] = np.round(values[milp.integer])
        objective = float(milp.cost @ values)
    if objective is not None:
        objective = float(objective + milp.constant)
    if bound is not None:
        bound = float(bound + milp.constant)
    return values, _report(solver, status, objective, bound, clock, milp, mip_gap)


def _report(
    solver: str,
    status: str,
    objective: float | None,
    bound: float | None,
    start: float,
    milp: Milp,
    mip_gap: float = 0.0,
) -> SolveReport:
    if status == "optimal" and bound is None:
        bound = objective
    status, gap = honest_status(status, objective, bound, mip_gap)
    return SolveReport(
        name=solver,
        status=status,
        proven_optimal=status == "optimal",
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=round(time.perf_counter() - start, 3),
        variables=milp.shape[1],
        constraints=milp.shape[0],
    )


def _highs_model(milp: Milp, time_limit_s: float, integer: bool = True) -> Any:
    """A silent, single-threaded, seeded ``highspy.Highs`` holding ``milp`` (its LP relaxation unless
    ``integer``)."""
    import highspy

    with _silenced_stdout():  # the constructor prints a banner before any option can silence it
        highs = highspy.Highs()
    for option, value in (
        ("output_flag", False),
        ("time_limit", float(max(time_limit_s, 0.0))),
        ("threads", 1),
        ("random_seed", 0),
    ):
        highs.setOptionValue(option, value)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = milp.shape[1], milp.shape[0]
    lp.col_cost_ = milp.cost
    lp.col_lower_ = np.where(np.isfinite(milp.col_lower), milp.col_lower, -inf)
    lp.col_upper_ = np.where(np.isfinite(milp.col_upper), milp.col_upper, inf)
    lp.row_lower_ = np.where(np.isfinite(milp.row_lower), milp.row_lower, -inf)
    lp.row_upper_ = np.where(np.isfinite(milp.row_upper), milp.row_upper, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = milp.matrix.indptr
    lp.a_matrix_.index_ = milp.matrix.indices
    lp.a_matrix_.value_ = milp.matrix.data
    if integer and milp.integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in milp.integer
        ]
    with _silenced_stdout():
        highs.passModel(lp)
    return highs


def lp_relaxation(milp: Milp, time_limit_s: float) -> tuple[float, np.ndarray] | None:
    """The optimum of ``milp``'s LP relaxation and the columns' reduced costs, by HiGHS's dual simplex; None if
    it is not solved to optimality within ``time_limit_s``.

    The optimum is a lower bound on the MILP, and a column at its lower bound with reduced cost ``r`` cannot
    rise by one without the LP bound rising by ``r``: the basis of reduced-cost fixing.
    """
    import highspy

    highs = _highs_model(milp, time_limit_s, integer=False)
    # The simplex, not the interior point method: on the p-median LPs of OR-Library its reduced costs drop
    # 2–4× more sites (the LP is degenerate, and its dual solutions differ).
    highs.setOptionValue("solver", "simplex")
    with _silenced_stdout():
        highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = highs.getSolution()
    if not solution.dual_valid:
        return None
    return float(highs.getInfo().objective_function_value) + milp.constant, np.asarray(solution.col_dual, dtype=float)


def _highs_arrays(
    milp: Milp, time_limit_s: float, mip_gap: float, start: np.ndarray | None = None
) -> tuple[np.ndarray | None, str, float | None, float | None]:
    import highspy

    highs = _highs_model(milp, time_limit_s)
    highs.setOptionValue("mip_rel_gap", float(mip_gap))
    if start is not None:
        incumbent = highspy.HighsSolution()
        incumbent.col_value = np.asarray(start, dtype=float)
        incumbent.value_valid = True
        highs.setSolution(incumbent)
    with _silenced_stdout():
        highs.run()
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    values = np.asarray(highs.getSolution().col_value, dtype=float) if has_solution else None
    states = highspy.HighsModelStatus
    if model_status == states.kOptimal:
        status = "optimal"
    elif model_status == states.kInfeasible:
        status = "infeasible"
    elif model_status in (states.kUnbounded, states.kUnboundedOrInfeasible):
        status = "unbounded"
    elif has_solution:
        status = "feasible"
    elif model_status in (states.kTimeLimit, states.kInterrupt, states.kIterationLimit, states.kSolutionLimit):
        status = "no_solution"
    else:
        status = "error"
    if milp.integer.any():
        bound = float(info.mip_dual_bound)
    else:
        bound = float(info.objective_function_value) if status == "optimal" else None
    bound = bound if bound is not None and math.isfinite(bound) else None
    objective = float(info.objective_function_value) if has_solution else None
    return values, status, objective, bound


def _cbc_arrays(
    milp: Milp, time_limit_s: float, mip_gap: float
) -> tuple[np.ndarray | None, str, float | None, float | None]:
    with solver_folder() as tmp:
        model, solution, log = tmp / "model.mps", tmp / "model.sol", tmp / "cbc.log"
        write_mps(milp, model)
        returncode = run_cbc(cbc_arguments(model, solution, time_limit_s, mip_gap), log)
        text = log.read_text(errors="replace")
        if returncode != 0 or not solution.is_file():
            return None, "error", None, None
        lines = solution.read_text().splitlines()
    head = lines[0] if lines else ""
    values = np.zeros(milp.shape[1])
    for line in lines[1:]:
        parts = line.replace("**", "").split()
        if len(parts) >= 3 and parts[1].startswith("x"):
            values[int(parts[1][1:])] = float(parts[2])
    if head.startswith("Optimal"):
        status = "optimal"
    elif head.startswith(("Infeasible", "Integer infeasible")):
        status = "infeasible"
    elif head.startswith("Unbounded"):
        status = "unbounded"
    elif head.startswith("Stopped") and "no integer solution" not in head and "objective value" in head:
        status = "feasible"
    elif head.startswith("Stopped"):
        status = "no_solution"
    else:
        status = "error"
    has_solution = status in {"optimal", "feasible"}
    objective = float(milp.cost @ values) if has_solution else None
    bound = _cbc_bound(text) if milp.integer.any() else (objective if status == "optimal" else None)
    return (values if has_solution else None), status, objective, bound


def write_mps(milp: Milp, path: Path) -> None:
    """Write ``milp`` as an MPS file (columns ``x<k>``, rows ``r<k>``) that CBC reads."""
    n_cols = milp.shape[1]
    lo, hi = milp.row_lower, milp.row_upper
    kind = np.where(lo == hi, "E", np.where(np.isfinite(lo), "G", np.where(np.isfinite(hi), "L", "N")))
    rhs = np.where(np.isfinite(lo), lo, np.where(np.isfinite(hi), hi, 0.0))
    ranged = np.isfinite(lo) & np.isfinite(hi) & (lo != hi)
    # FREE: otherwise CBC guesses fixed columns from the first COLUMNS line and misreads e.g. "x0  r10".
    out = ["NAME          FACILITY_LAYOUT FREE", "ROWS", " N  obj"]
    out += [f" {k}  r{i}" for i, k in enumerate(kind.tolist())]
    out.append("COLUMNS")
    matrix = milp.matrix
    in_integers = False
    cost = milp.cost.tolist()
    for j in range(n_cols):
        if bool(milp.integer[j]) != in_integers:
            marker = "INTORG" if not in_integers else "INTEND"
            out.append(f"    MARKER                 'MARKER'                 '{marker}'")
            in_integers = not in_integers
        start, end = matrix.indptr[j], matrix.indptr[j + 1]
        if cost[j] != 0 or start == end:
            out.append(f"    x{j}  obj  {cost[j]!r}")
        out.extend(
            f"    x{j}  r{i}  {v!r}"
            for i, v in zip(matrix.indices[start:end].tolist(), matrix.data[start:end].tolist(), strict=True)
        )
    if in_integers:
        out.append("    MARKER                 'MARKER'                 'INTEND'")
    out.append("RHS")
    out.extend(f"    rhs  r{i}  {v!r}" for i, v in enumerate(rhs.tolist()) if v != 0)
    if ranged.any():
        out.append("RANGES")
        out.extend(f"    rng  r{i}  {float(hi[i] - lo[i])!r}" for i in np.flatnonzero(ranged).tolist())
    out.append("BOUNDS")
    for j, (low, up, integer) in enumerate(
        zip(milp.col_lower.tolist(), milp.col_upper.tolist(), milp.integer.tolist(), strict=True)
    ):
        if not integer and low == 0 and up == math.inf:
            continue
        if low == -math.inf:
            out.append(f" MI bnd  x{j}")
        elif low != 0 or integer:
            out.append(f" LO bnd  x{j}  {low!r}")
        out.append(f" UP bnd  x{j}  {up!r}" if up != math.inf else f" PL bnd  x{j}")
    out.append("ENDATA")
    path.write_text("\n".join(out) + "\n")
