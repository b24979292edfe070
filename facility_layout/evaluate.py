"""Figures of a layout and the reason behind each decision, as tables the outputs stage writes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
from shapely import linestrings, points

from facility_layout.candidates import CENTRE_SITE, NEW_SITE, Sites
from facility_layout.demand import DemandPoints
from facility_layout.figures import minutes_figures
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.models.merge_rule import VillageMerge
from facility_layout.models.two_tier import TwoTier, TwoTierResult
from facility_layout.scenario import Scenario


@dataclass(frozen=True)
class LayoutTables:
    """A proposed layout as GeoDataFrames in the region's metric CRS.

    Attributes
    ----------
    demand : geopandas.GeoDataFrame
        One Point per demand cell (its population-weighted centre): ``cell_id``, ``population``,
        ``clinic_minutes`` (minutes to the assigned village clinic, NaN if none within the standard),
        ``clinic_site_id``, ``clinic_name``, ``centre_minutes`` (to the nearest township centre, NaN if
        beyond the standard), ``centre_name``, ``uncoverable`` (bool: no eligible site can reach it within
        the standard), ``off_network`` (bool: farther than ``max_offroad_m`` from any road and no site
        within walking reach), ``cut_off`` (bool: no open facility of any tier reachable at all, see
        :mod:`facility_layout.access`), ``elevation_m``; a run adds ``clinic_minutes_today`` and
        ``centre_minutes_today`` (the same minutes in today's layout, :func:`add_today_minutes`).
    facilities : geopandas.GeoDataFrame
        One Point per existing facility and per built new site: ``site_id``, ``name``, ``tier``
        (``village_clinic`` | ``township_centre``), ``origin`` (``existing`` | ``new``), ``decision``
        (``keep`` | ``close`` | ``build`` | ``upgrade``), ``merged_into`` (name, '' if none), ``merged_into_id``
        (its site id),
        ``reason`` (one sentence a planner can read), ``population_served``, ``mean_minutes``,
        ``p95_minutes``, ``max_minutes``, ``referral_centre`` (name, '' if none), ``referral_minutes``,
        ``cost`` (if open), ``elevation_m``.
    assignments : geopandas.GeoDataFrame
        LineString from each served demand cell to its clinic: ``cell_id``, ``site_id``, ``population``,
        ``minutes``.
    referrals : geopandas.GeoDataFrame
        LineString from each open clinic to its township centre: ``site_id``, ``centre_id``, ``minutes``.
    boundary : geopandas.GeoDataFrame
        The region's boundary polygon(s).
    roads : geopandas.GeoDataFrame
        Road edges for context: ``highway`` (first class of the edge) and LineString geometry.
    """

    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    assignments: gpd.GeoDataFrame
    referrals: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame


def _people(n: float) -> str:
    return f"{n:,.0f}"


def layout_tables(
    scenario: Scenario,
    demand: DemandPoints,
    sites: Sites,
    result: TwoTierResult,
    boundary: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    off_network: np.ndarray,
    cut_off: np.ndarray,
    demand_elevation_m: np.ndarray,
    site_elevation_m: np.ndarray,
    forced: tuple[np.ndarray, np.ndarray] | None = None,
) -> LayoutTables:
    """Turn a solved layout into tables a planner (and QGIS) can read, with a reason per decision.

    ``forced`` is (required, forbidden) per site, from ``sites.required`` / ``sites.forbidden``: a clinic's
    reason then says the scenario forced its decision."""
    crs = boundary.crs
    pop = demand.population
    assigned = result.assignment
    centre_sites = sites.centres
    has_clinic = assigned >= 0
    has_centre = result.centre_assignment >= 0

    demand_table = gpd.GeoDataFrame(
        {
            "cell_id": demand.cell_id,
            "population": np.round(pop, 2),
            "clinic_minutes": np.where(has_clinic, np.round(result.assignment_minutes, 2), np.nan),
            "clinic_site_id": np.where(has_clinic, sites.site_id[assigned], ""),
            "clinic_name": np.where(has_clinic, sites.name[assigned], ""),
            "centre_minutes": np.where(has_centre, np.round(result.centre_minutes, 2), np.nan),
            "centre_name": np.where(has_centre, sites.name[centre_sites[result.centre_assignment]], ""),
            "uncoverable": result.uncoverable,
            "off_network": off_network,
            "cut_off": cut_off,
            "elevation_m": np.round(demand_elevation_m, 0),
        },
        geometry=points(demand.x, demand.y),
        crs=crs,
    )

    # Every existing facility (kept, closed or upgraded) and every built site, with its decision explained.
    records = []
    shown = (sites.kind != NEW_SITE) | result.open_sites
    for j in np.flatnonzero(shown):
        served = assigned == j
        minutes = result.assignment_minutes[served]
        figures = minutes_figures(minutes, pop[served])
        referral = int(result.referral[j])  # -1 for a closed site
        records.append(
            {
                "site_id": sites.site_id[j],
                "name": sites.name[j],
                "tier": TOWNSHIP_CENTRE if sites.kind[j] == CENTRE_SITE else VILLAGE_CLINIC,
                "origin": "new" if sites.kind[j] == NEW_SITE else "existing",
                "decision": _decision(sites, result, j),
                "merged_into": sites.name[result.merged_into[j]] if result.merged_into[j] >= 0 else "",
                "merged_into_id": sites.site_id[result.merged_into[j]] if result.merged_into[j] >= 0 else "",
                "reason": _forced_words(sites, result, j, forced) + _reason(scenario, demand, sites, result, j),
                "population_served": round(float(pop[served].sum()), 2),
                "mean_minutes": figures["mean"],
                "p95_minutes": figures["p95"],
                "max_minutes": figures["max"],
                "referral_centre": sites.name[centre_sites[referral]] if referral >= 0 else "",
                "referral_minutes": round(float(result.referral_minutes[j]), 2) if referral >= 0 else np.nan,
                "cost": float(sites.cost[j]) if result.open_sites[j] else 0.0,
                "elevation_m": round(float(site_elevation_m[j]), 0) if np.isfinite(site_elevation_m[j]) else np.nan,
                "geometry": points(sites.x[j], sites.y[j]),
            }
        )
    facilities = gpd.GeoDataFrame(records, geometry="geometry", crs=crs)

    i = np.flatnonzero(has_clinic)
    assignments = gpd.GeoDataFrame(
        {
            "cell_id": demand.cell_id[i],
            "site_id": sites.site_id[assigned[i]],
            "population": np.round(pop[i], 2),
            "minutes": np.round(result.assignment_minutes[i], 2),
        },
        geometry=_lines(demand.x[i], demand.y[i], sites.x[assigned[i]], sites.y[assigned[i]]),
        crs=crs,
    )
    j = np.flatnonzero(result.open_sites & (result.referral >= 0) & (sites.kind != CENTRE_SITE))
    k = centre_sites[result.referral[j]]
    referrals = gpd.GeoDataFrame(
        {
            "site_id": sites.site_id[j],
            "centre_id": sites.site_id[k],
            "minutes": np.round(result.referral_minutes[j], 2),
        },
        geometry=_lines(sites.x[j], sites.y[j], sites.x[k], sites.y[k]),
        crs=crs,
    )
    return LayoutTables(demand_table, facilities, assignments, referrals, boundary, roads)


def add_today_minutes(tables: LayoutTables, today: LayoutTables) -> LayoutTables:
    """``tables`` with today's minutes to each tier beside the proposal's in the demand table."""
    demand = tables.demand.copy()
    at = demand.columns.get_loc("centre_name") + 1
    demand.insert(at, "clinic_minutes_today", today.demand["clinic_minutes"].to_numpy())
    demand.insert(at + 1, "centre_minutes_today", today.demand["centre_minutes"].to_numpy())
    return replace(tables, demand=demand)


def _lines(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray | list:
    """Straight lines from (x0, y0) to (x1, y1), one per element."""
    if len(x0) == 0:
        return []
    return linestrings(np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1))


def _decision(sites: Sites, result: TwoTierResult, j: int) -> str:
    if sites.kind[j] == CENTRE_SITE:
        return "upgrade" if result.central[sites.centre_index[j]] else "keep"
    if sites.kind[j] == NEW_SITE:
        return "build"
    return "keep" if result.open_sites[j] else "close"


def _forced_words(sites: Sites, result: TwoTierResult, j: int, forced: tuple[np.ndarray, np.ndarray] | None) -> str:
    """'required by sites.required; ' (or forbidden) before a clinic's reason when the scenario forced it."""
    if forced is None or sites.kind[j] == CENTRE_SITE:
        return ""
    required, forbidden = forced
    if required[j] and result.open_sites[j]:
        return "required by sites.required; "
    if forbidden[j] and not result.open_sites[j]:
        return "forbidden by sites.forbidden; "
    return ""


def _reason(scenario: Scenario, demand: DemandPoints, sites: Sites, result: TwoTierResult, j: int) -> str:
    """One sentence a planner can check against the map."""
    pop = demand.population
    served = result.assignment == j
    people = _people(pop[served].sum())
    clinic = scenario.tiers.village_clinic
    if sites.kind[j] == CENTRE_SITE:
        if result.central[sites.centre_index[j]]:
            near = result.centre_assignment == sites.centre_index[j]
            return (
                f"upgraded to central township centre: the best-placed centre for "
                f"{_people(pop[near].sum())} people within {scenario.tiers.township_centre.max_travel_minutes:g} min"
            )
        return f"kept as township centre; also the nearest clinic for {people} people"
    if sites.kind[j] == NEW_SITE:
        gained = served & ~(result.catchment_minutes <= clinic.max_travel_minutes)
        return (
            f"built: nearest clinic for {people} people, {_people(pop[gained].sum())} of whom had no existing "
            f"clinic within {clinic.max_travel_minutes:g} min"
        )
    catchment = result.catchment == j
    if result.open_sites[j]:
        no_referral = (
            f"; no township centre within {scenario.tiers.township_centre.referral_max_minutes:g} min for referral"
            if result.referral[j] < 0
            else ""
        )
        if result.forced_open[j]:
            return (
                f"kept: remote — {_people(pop[result.remote_sole_clinic == j].sum())} people have no other clinic "
                f"within {clinic.remote_keep_minutes:g} min; nearest clinic for {people} people{no_referral}"
            )
        return f"kept: nearest clinic for {people} people{no_referral}"
    merge = result.village_merge[j]
    if merge >= 0 and result.merges[merge].into >= 0:
        return f"closed: {_merge_words(result.merges[merge])}"
    if not catchment.any():
        return "closed: no one has it as nearest clinic"
    before = result.catchment_minutes[catchment]
    after = result.assignment_minutes[catchment]
    w = pop[catchment]
    target = result.merged_into[j]
    where = f"{sites.name[target]}" if target >= 0 else "other clinics"
    reached = np.isfinite(after)
    added = np.average(after[reached] - before[reached], weights=w[reached]) if reached.any() else float("nan")
    mean_after = np.average(after[reached], weights=w[reached]) if reached.any() else float("nan")
    if not reached.any():
        return f"closed: its {_people(w.sum())} people have no open clinic within the standard"
    return f"closed: its {_people(w.sum())} people reach {where} in {mean_after:.0f} min on average ({_change(added)})"


def not_built_reason(model: TwoTier, result: TwoTierResult, j: int) -> str:
    """Why new site ``j`` is not built in ``result``'s layout, in one sentence (compare shows it beside the
    layout that builds it)."""
    standard = model.max_travel_minutes
    if model.forbidden[j]:
        return "not built: forbidden by sites.forbidden"
    if not model.eligible_sites()[j]:
        return f"not built: no township centre within {model.referral_max_minutes:g} min for referral"
    near = model.demand_to_site.within(standard)
    reach = np.unique(near.origin[near.destination == j])
    people = model.population[reach]
    if not people.sum():
        return f"not built: nobody lives within {standard:g} min of it"
    beyond = result.assignment[reach] < 0
    if not beyond.any():
        return (
            f"not built: all {_people(people.sum())} people within {standard:g} min of it have an open clinic within "
            "the standard"
        )
    return (
        f"not built: {_people(people[beyond].sum())} of the {_people(people.sum())} people within {standard:g} min of "
        "it stay beyond the standard, as the objective allows (e.g. the budget covers more people elsewhere)"
    )


def _merge_words(merge: VillageMerge) -> str:
    """'merged with <village>: its N people gain M min' (mean minutes, to the clinic the villages share)."""
    added = merge.added_minutes
    if not np.isfinite(added):  # its own clinics did not reach all of them; the shared one does
        gain = "now all reach a clinic"
    else:
        gain = f"gain {added:.0f} min" if round(added) > 0 else "lose no time"
    return f"merged with {merge.into_name}: its {_people(merge.people)} people {gain}"


def _change(minutes: float) -> str:
    """A change of travel minutes in words: '+6 min', '2 min less', 'no change'."""
    if round(minutes) > 0:
        return f"+{minutes:.0f} min"
    return f"{-minutes:.0f} min less" if round(minutes) < 0 else "no change"


def summary(
    scenario: Scenario,
    tables: LayoutTables,
    result: TwoTierResult,
    seconds: dict[str, float],
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The run's figures, as written to summary.json (and shown on the map)."""
    d = tables.demand
    f = tables.facilities
    pop = d["population"].to_numpy()
    clinic_minutes = d["clinic_minutes"].to_numpy(dtype=float)
    centre_minutes = d["centre_minutes"].to_numpy(dtype=float)
    counts = f.groupby(["tier", "decision"]).size()
    clinics = scenario.tiers.village_clinic
    centres = scenario.tiers.township_centre
    return {
        "scenario": scenario.region.name,
        "synthetic": extra.get("synthetic", False),
        "objective": scenario.objective.type,
        "population_total": round(float(pop.sum()), 2),
        "population_covered": {
            VILLAGE_CLINIC: round(float(pop[np.isfinite(clinic_minutes)].sum()), 2),
            TOWNSHIP_CENTRE: round(float(pop[np.isfinite(centre_minutes)].sum()), 2),
        },
        "population_uncoverable": round(float(pop[d["uncoverable"].to_numpy()].sum()), 2),
        "population_off_network": round(float(pop[d["off_network"].to_numpy()].sum()), 2),
        "demand_points": {"count": len(d), "uncoverable": int(d["uncoverable"].sum())},
        "travel_minutes": {
            VILLAGE_CLINIC: minutes_figures(clinic_minutes, pop),
            TOWNSHIP_CENTRE: minutes_figures(centre_minutes, pop),
        },
        "facilities": {
            VILLAGE_CLINIC: {k: int(counts.get((VILLAGE_CLINIC, k), 0)) for k in ("keep", "close", "build")},
            TOWNSHIP_CENTRE: {k: int(counts.get((TOWNSHIP_CENTRE, k), 0)) for k in ("keep", "upgrade")},
        },
        "remote_kept": int(np.sum(result.forced_open)),
        "village_merges": [
            {
                "village": m.village_name,
                "into": m.into_name,
                "people": round(m.people, 2),
                "added_minutes": round(m.added_minutes, 2) if np.isfinite(m.added_minutes) else None,
            }
            for m in result.merges
        ],
        "futures": result.future_figures,
        "referral_violations": sorted(
            f.loc[
                (f["tier"] == VILLAGE_CLINIC) & f["decision"].isin(["keep", "build"]) & (f["referral_centre"] == ""),
                "site_id",
            ].astype(str)
        ),
        "cost": round(float(result.cost), 4),
        "standards": {
            "village_clinic_max_minutes": clinics.max_travel_minutes,
            "remote_keep_minutes": clinics.remote_keep_minutes,
            "township_centre_max_minutes": centres.max_travel_minutes,
            "referral_max_minutes": centres.referral_max_minutes,
        },
        # The headline is the least proven stage; each stage's own figures are under "stages".
        "solver": {
            **result.headline.to_dict(),
            "time_limit_s": scenario.solver.time_limit_s,
            "stages": {stage: report.to_dict() for stage, report in result.stages.items()},
        },
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        **{k: v for k, v in extra.items() if k != "synthetic"},
    }
