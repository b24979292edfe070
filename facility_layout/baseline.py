"""Today's layout as the baseline of every run: every existing village clinic and township centre open,
nothing upgraded, nothing built, on the same travel minutes and people as the proposal.

A ministry decides from "today → proposed": the run evaluates today's layout with the same model (so its
figures mean exactly what the proposal's do) and reports both, and the change between them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facility_layout.models.two_tier import CANDIDATE, TwoTier, TwoTierResult
from facility_layout.solve import SolveReport

# The figures of summary.json that describe a layout, reported for today and for the proposal alike.
HEADLINE_KEYS = (
    "population_covered",
    "population_uncoverable",
    "travel_minutes",
    "facilities",
    "cost",
    "referral_violations",
)
GIVEN = "given"


def given_report() -> SolveReport:
    """The report of a layout that was given, not optimised: status ``given``, nothing proven."""
    return SolveReport(
        name="none", status=GIVEN, proven_optimal=False, objective=None, bound=None, gap=None, seconds=0.0
    )


def today_open(site_kind: np.ndarray) -> np.ndarray:
    """Sites open today: every existing clinic and township centre, no new candidate site."""
    return np.asarray(site_kind, dtype=object) != CANDIDATE


def today_result(model: TwoTier) -> TwoTierResult:
    """Today's layout evaluated by ``model``: existing facilities open, none upgraded to central."""
    return model.result_given(today_open(model.site_kind), np.zeros(len(model.centres), dtype=bool), given_report())


def headline(figures: dict[str, Any]) -> dict[str, Any]:
    """The layout's own figures of a summary (:data:`HEADLINE_KEYS`)."""
    return {key: figures[key] for key in HEADLINE_KEYS}


def change(proposed: dict[str, Any], today: dict[str, Any]) -> dict[str, Any]:
    """Proposal − today for every figure of :data:`HEADLINE_KEYS` (lists: the change in their length; a figure
    missing on either side, e.g. the minutes of nobody, is None)."""
    return {key: _difference(proposed[key], today[key]) for key in HEADLINE_KEYS}


def _difference(after: Any, before: Any) -> Any:
    if isinstance(after, dict) and isinstance(before, dict):
        return {k: _difference(after[k], before.get(k)) for k in after}
    if isinstance(after, list) and isinstance(before, list):
        return len(after) - len(before)
    if isinstance(after, int | float) and isinstance(before, int | float) and not isinstance(after, bool):
        difference = after - before
        return difference if isinstance(difference, int) else round(float(difference), 4)
    return None
