"""Errors a planner can act on: each names the file, the field, the value and the fix.

The CLI prints the message of a :class:`FacilityLayoutError` as one paragraph and exits non-zero;
anything else escaping the pipeline is a bug in facility_layout, not bad input.
"""

from __future__ import annotations

from pathlib import Path


class FacilityLayoutError(Exception):
    """Base class: the message is complete and meant for the planner."""


class ScenarioError(FacilityLayoutError):
    """The scenario YAML is malformed or inconsistent."""


class InputError(FacilityLayoutError):
    """An input file is missing, unreadable or does not fit the region.

    Parameters
    ----------
    field : str
        The scenario key that names the file, e.g. ``inputs.population``.
    path : Path
        The file.
    problem : str
        What is wrong, in words.
    fix : str
        What the planner should do.
    """

    def __init__(self, field: str, path: Path | str, problem: str, fix: str) -> None:
        self.field, self.path, self.problem, self.fix = field, Path(path), problem, fix
        super().__init__(f"{field} ({path}): {problem}. Fix: {fix}")


class SolveError(FacilityLayoutError):
    """The solver could not give a layout: not installed, time limit without a solution, infeasible."""


def echo(value: object, limit: int = 80) -> str:
    """``value`` as a message shows it: its repr (an error: its message), cut to ``limit`` characters.

    A message must stay short whatever the input held (a huge list, an expanded YAML alias, a
    5,000-digit number whose repr Python refuses).
    """
    try:
        shown = str(value) if isinstance(value, BaseException) else repr(value)
    except ValueError:  # an integer too long to print
        shown = f"<a number of more than {limit} digits>"
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
