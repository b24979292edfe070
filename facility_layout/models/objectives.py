"""One entry point for every objective a scenario can ask of the two-tier layout.

``min_cost`` and ``max_coverage`` with a ``budget`` are solved by :class:`TwoTier` itself. The classic
models — ``set_cover``, ``max_coverage`` with ``p``, ``p_median``, ``p_center`` and their capacitated
variants — choose the village clinics in the same frame: township centres are open (required), sites the
referral rule excludes are forbidden, the remote-keep rule is added as ``keep_one_of`` rows, and the costs
are the layout's keep/build/close costs. :meth:`TwoTier.result_for` then describes the chosen layout
exactly as for the policy objectives (assignment, referral, merges, reasons, central centres).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from facility_layout.models.base import LocationModel, LocationResult
from facility_layout.models.capacitated import CapacitatedPCenter, CapacitatedPMedian
from facility_layout.models.center import PCenter
from facility_layout.models.coverage import MaxCoverage, SetCover
from facility_layout.models.median import PMedian
from facility_layout.models.two_tier import TOWNSHIP_CENTRE, TwoTier, TwoTierResult
from facility_layout.solve import time_left

POLICY_OBJECTIVES = ("min_cost", "max_coverage")
CLASSIC_OBJECTIVES = ("set_cover", "max_coverage", "p_median", "p_center")
OBJECTIVES = ("min_cost", "max_coverage", "set_cover", "p_median", "p_center")


@dataclass(frozen=True)
class Objective:
    """What to optimise (the scenario's ``objective:`` block, validated there).

    Attributes
    ----------
    type : str
        One of :data:`OBJECTIVES`.
    budget : float, optional
        ``max_coverage`` for a budget (two-tier policy model).
    clinics : int, optional
        Village clinics to open for ``max_coverage``, ``p_median`` and ``p_center``; township centres are
        open on top of them.
    capacity : float, optional
        People (or visits) one site can serve; makes ``set_cover``, ``max_coverage``, ``p_median`` and
        ``p_center`` capacitated.
    split_demand : bool
        With ``capacity``: a demand point's people may be split between sites (else one site serves each).
    backup : bool
        ``set_cover``: among the cheapest covers, most people covered twice.
    """

    type: str = "min_cost"
    budget: float | None = None
    clinics: int | None = None
    capacity: float | None = None
    split_demand: bool = False
    backup: bool = False

    @property
    def classic(self) -> bool:
        return self.type in CLASSIC_OBJECTIVES and not (self.type == "max_coverage" and self.budget is not None)


def solve_layout(
    model: TwoTier, objective: Objective, solver: str = "cbc", time_limit_s: float = 300.0, mip_gap: float = 0.0
) -> tuple[TwoTierResult, LocationResult | None]:
    """Choose the layout for ``objective``; returns the two-tier result and the classic model's own result
    (None for the policy objectives).

    ``time_limit_s`` is one budget for every stage (clinic layout, then central centres).

    Raises
    ------
    NoLayoutError
        A stage's solve ended without a layout (e.g. nothing found within the time limit).
    InfeasibleLayoutError
        The rules cannot be met (which points, which budget, which forbidden sites).
    """
    if not objective.classic:
        return model.solve(solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap), None
    started = time.perf_counter()
    classic = classic_model(model, objective)
    chosen = classic.solve(solver=solver, time_limit_s=time_limit_s, mip_gap=mip_gap)
    # One time budget for the run: the central centres get what the clinic layout left.
    remaining = time_left(time_limit_s, started)
    return model.result_for(chosen.open_sites, chosen.report, solver, remaining, mip_gap), chosen


def classic_model(model: TwoTier, objective: Objective) -> LocationModel:
    """The classic model of ``objective`` in the frame of the two-tier ``model`` (see the module docstring).

    Points that no eligible site reaches within the clinic standard carry no weight in the radius models
    (they are reported as uncoverable, as in the policy model); the p-median and p-center serve every
    point that some eligible site reaches at all.
    """
    fixed = model.fixed_open()
    forbidden = ~model.eligible_sites()
    # Open sites pay keep − close (closing pays close); a fixed-open site's cost changes nothing.
    site_cost = np.where(fixed, 0.0, np.maximum(model.site_cost - model.close_cost, 0.0))
    n_centres = int(np.sum(model.site_kind == TOWNSHIP_CENTRE))
    p = None if objective.clinics is None else objective.clinics + n_centres
    common = {"required": fixed, "forbidden": forbidden}
    weights = model.population.copy()
    if objective.type in ("set_cover", "max_coverage"):
        if objective.type == "set_cover":
            weights[model.uncoverable_points()] = 0.0
            classic: LocationModel = SetCover.from_cost_matrix(
                model.demand_to_site,
                model.max_travel_minutes,
                site_cost=site_cost,
                backup=objective.backup,
                capacity=_capacity(objective, model),
                split_demand=objective.split_demand,
                weights=weights,
                **common,
            )
        else:
            classic = MaxCoverage.from_cost_matrix(
                model.demand_to_site,
                model.max_travel_minutes,
                p=p,
                site_cost=site_cost,
                capacity=_capacity(objective, model),
                split_demand=objective.split_demand,
                weights=weights,
                **common,
            )
    else:
        reached = np.zeros(len(weights), dtype=bool)
        reached[model.demand_to_site.origin[model.eligible_sites()[model.demand_to_site.destination]]] = True
        weights[~reached] = 0.0
        if objective.capacity is None:
            kind = PMedian if objective.type == "p_median" else PCenter
            classic = kind.from_cost_matrix(model.demand_to_site, p, weights=weights, **common)
        else:
            kind = CapacitatedPMedian if objective.type == "p_median" else CapacitatedPCenter
            classic = kind.from_cost_matrix(
                model.demand_to_site,
                p,
                _capacity(objective, model),
                split_demand=objective.split_demand,
                weights=weights,
                **common,
            )
    classic.keep_one_of = [np.array(row) for row in model.planning_rows()]
    return classic


def _capacity(objective: Objective, model: TwoTier) -> np.ndarray | None:
    if objective.capacity is None:
        return None
    return np.full(len(model.site_kind), float(objective.capacity))
