"""Solver processes that end with the run, and their temporary files.

CBC runs as a child process and writes model, solution and log files. Both must end with the run: a run
stopped by an error, Ctrl-C or SIGTERM (the CLI turns it into an exit) ends CBC and removes its files on the
way out; a run killed outright (SIGKILL) takes CBC with it through the kernel's parent-death signal (Linux),
and its files are removed by the next solve (docs/reliability.md, "Solver processes").
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pulp

SOLVER_FOLDER_PREFIX = "facility_layout_solve_"
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@contextmanager
def solver_folder() -> Iterator[Path]:
    """A temporary folder for one solve's files, removed however the solve ends.

    Its name holds this process's id, so that folders of runs killed outright (their process gone) can be
    told from those of live runs: each new solve removes them.
    """
    remove_orphaned_solver_folders()
    with tempfile.TemporaryDirectory(prefix=f"{SOLVER_FOLDER_PREFIX}{os.getpid()}_") as tmp:
        yield Path(tmp)


def remove_orphaned_solver_folders() -> None:
    """Remove this user's solver folders whose process no longer runs (left by runs killed outright)."""
    pattern = re.compile(rf"{SOLVER_FOLDER_PREFIX}(\d+)_\w+")
    for entry in Path(tempfile.gettempdir()).glob(f"{SOLVER_FOLDER_PREFIX}*"):
        found = pattern.fullmatch(entry.name)
        try:
            mine = entry.is_dir() and not entry.is_symlink() and entry.stat().st_uid == os.getuid()
        except OSError:
            continue
        if found and mine and not _process_exists(int(found.group(1))):
            shutil.rmtree(entry, ignore_errors=True)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def cbc_arguments(model: Path, solution: Path, time_limit_s: float, mip_gap: float) -> list[str]:
    """CBC's command line: solve the MPS file ``model`` and write ``solution``.

    One thread: CBC is then deterministic, so the same inputs give the same layout. The time limit counts
    wall-clock seconds.
    """
    args = [pulp.PULP_CBC_CMD().path, str(model), "-sec", f"{time_limit_s:g}", "-timeMode", "elapsed"]
    args += ["-ratio", f"{mip_gap:g}", "-threads", "1", "-solve", "-printingOptions", "all"]
    return [*args, "-solution", str(solution)]


def run_cbc(args: list[str], log: Path) -> int:
    """Run CBC with ``args``, its output into ``log``, and return its exit status.

    CBC gets a process group of its own, ended whatever ends the wait (an exception, Ctrl-C, SIGTERM turned
    into an exit), and on Linux the kernel kills it if this process dies first.
    """
    with open(log, "w") as out:
        child = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_dies_with(os.getpid()),
        )
        try:
            return child.wait()
        finally:
            if child.returncode is None:
                with suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()


def _dies_with(parent: int) -> Callable[[], None]:
    """Run in the child before CBC starts: ask the kernel (Linux) to kill it when ``parent`` dies, and end at
    once if the parent already has."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the run's own clean-up is all there is
        prctl = None

    def setup() -> None:
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)

    return setup


def solve_with_cbc(problem: pulp.LpProblem, time_limit_s: float, mip_gap: float, folder: Path) -> None:
    """Solve ``problem`` in place with CBC, files in ``folder`` (the log in ``cbc.log``).

    The same MPS file, solution reader and status as PuLP's ``PULP_CBC_CMD``, whose own runner cannot be
    told to end CBC with the run; CBC is started by :func:`run_cbc`.

    Raises
    ------
    pulp.PulpSolverError
        CBC failed or wrote no solution.
    """
    model, solution = folder / "model.mps", folder / "model.sol"
    without_objective, dummy = problem.fixObjective()
    try:
        variables, variable_names, constraint_names, _ = problem.writeMPS(str(model), rename=1)
        returncode = run_cbc(cbc_arguments(model, solution, time_limit_s, mip_gap), folder / "cbc.log")
        if returncode != 0 or not solution.is_file():
            raise pulp.PulpSolverError(f"CBC ended with status {returncode} and wrote no solution")
        status, values, reduced, prices, slacks, solution_status = pulp.PULP_CBC_CMD().readsol_MPS(
            str(solution), problem, variables, variable_names, constraint_names
        )
    finally:
        problem.restoreObjective(without_objective, dummy)
    problem.assignVarsVals(values)
    problem.assignVarsDj(reduced)
    problem.assignConsPi(prices)
    problem.assignConsSlack(slacks, activity=True)
    problem.assignStatus(status, solution_status)
