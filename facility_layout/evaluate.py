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
from facility_layout.i18n import Translator, translator
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
    _ = translator(scenario.outputs.language)
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
                "origin": _origin(sites, j),
                "decision": _decision(sites, result, j),
                "merged_into": sites.name[result.merged_into[j]] if result.merged_into[j] >= 0 else "",
                "merged_into_id": sites.site_id[result.merged_into[j]] if result.merged_into[j] >= 0 else "",
                "reason": _forced_words(sites, result, j, forced, _) + _reason(scenario, demand, sites, result, j, _),
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


def _cross_border(demand: gpd.GeoDataFrame, borrowed: gpd.GeoDataFrame) -> dict[str, Any]:
    """How many neighbouring counties' clinics this county's people could use, and how many of its people
    (counted in ``population_covered``) are served by one of them."""
    served = demand["clinic_site_id"].isin(set(borrowed["site_id"]))
    return {
        "neighbour_clinics": len(borrowed),
        "neighbour_clinics_used": int((borrowed["population_served"] > 0).sum()),
        "population_served_by_neighbours": round(float(demand.loc[served, "population"].sum()), 2),
    }


def _origin(sites: Sites, j: int) -> str:
    """``new``, ``existing``, or ``neighbour``: a neighbouring county's clinic this county's people may use."""
    if sites.neighbour is not None and sites.neighbour[j]:
        return "neighbour"
    return "new" if sites.kind[j] == NEW_SITE else "existing"


def _decision(sites: Sites, result: TwoTierResult, j: int) -> str:
    if sites.kind[j] == CENTRE_SITE:
        return "upgrade" if result.central[sites.centre_index[j]] else "keep"
    if sites.kind[j] == NEW_SITE:
        return "build"
    return "keep" if result.open_sites[j] else "close"


def _forced_words(
    sites: Sites, result: TwoTierResult, j: int, forced: tuple[np.ndarray, np.ndarray] | None, _: Translator
) -> str:
    """'required by sites.required; ' (or forbidden) before a clinic's reason when the scenario forced it."""
    if forced is None or sites.kind[j] == CENTRE_SITE:
        return ""
    if sites.neighbour is not None and sites.neighbour[j]:
        return _("a neighbouring county's clinic within the halo, kept as it is (its own county decides it); ")
    required, forbidden = forced
    if required[j] and result.open_sites[j]:
        return _("required by {key}; ", key="sites.required")
    if forbidden[j] and not result.open_sites[j]:
        return _("forbidden by {key}; ", key="sites.forbidden")
    return ""


def _reason(
    scenario: Scenario, demand: DemandPoints, sites: Sites, result: TwoTierResult, j: int, _: Translator
) -> str:
    """One sentence a planner can check against the map."""
    pop = demand.population
    served = result.assignment == j
    people = _.people(pop[served].sum())
    clinic = scenario.tiers.village_clinic
    if sites.kind[j] == CENTRE_SITE:
        if result.central[sites.centre_index[j]]:
            near = result.centre_assignment == sites.centre_index[j]
            return _(
                "upgraded to central township centre: the best-placed centre for {people} people within {standard} min",
                people=_.people(pop[near].sum()),
                standard=_minutes(scenario.tiers.township_centre.max_travel_minutes, _),
            )
        return _("kept as township centre; also the nearest clinic for {people} people", people=people)
    if sites.kind[j] == NEW_SITE:
        gained = served & ~(result.catchment_minutes <= clinic.max_travel_minutes)
        return _(
            "built: nearest clinic for {people} people, {gained} of whom had no existing clinic within {standard} min",
            people=people,
            gained=_.people(pop[gained].sum()),
            standard=_minutes(clinic.max_travel_minutes, _),
        )
    catchment = result.catchment == j
    if result.open_sites[j]:
        no_referral = (
            _(
                "; no township centre within {standard} min for referral",
                standard=_minutes(scenario.tiers.township_centre.referral_max_minutes, _),
            )
            if result.referral[j] < 0
            else ""
        )
        if result.forced_open[j]:
            return (
                _(
                    "kept: remote — {remote} people have no other clinic within {standard} min; nearest clinic for "
                    "{people} people",
                    remote=_.people(pop[result.remote_sole_clinic == j].sum()),
                    standard=_minutes(clinic.remote_keep_minutes, _),
                    people=people,
                )
                + no_referral
            )
        return _("kept: nearest clinic for {people} people", people=people) + no_referral
    merge = result.village_merge[j]
    if merge >= 0 and result.merges[merge].into >= 0:
        return _("closed: {merge}", merge=_merge_words(result.merges[merge], _))
    if not catchment.any():
        return _("closed: no one has it as nearest clinic")
    before = result.catchment_minutes[catchment]
    after = result.assignment_minutes[catchment]
    w = pop[catchment]
    target = result.merged_into[j]
    where = f"{sites.name[target]}" if target >= 0 else _("other clinics")
    reached = np.isfinite(after)
    added = np.average(after[reached] - before[reached], weights=w[reached]) if reached.any() else float("nan")
    mean_after = np.average(after[reached], weights=w[reached]) if reached.any() else float("nan")
    if not reached.any():
        return _("closed: its {people} people have no open clinic within the standard", people=_.people(w.sum()))
    return _(
        "closed: its {people} people reach {where} in {minutes} min on average ({change})",
        people=_.people(w.sum()),
        where=where,
        minutes=_.decimal(mean_after, 0),
        change=_change(added, _),
    )


def not_built_reason(model: TwoTier, result: TwoTierResult, j: int, _: Translator) -> str:
    """Why new site ``j`` is not built in ``result``'s layout, in one sentence (compare shows it beside the
    layout that builds it)."""
    standard = _minutes(model.max_travel_minutes, _)
    if model.forbidden[j]:
        return _("not built: forbidden by {key}", key="sites.forbidden")
    if not model.eligible_sites()[j]:
        return _(
            "not built: no township centre within {standard} min for referral",
            standard=_minutes(model.referral_max_minutes, _),
        )
    near = model.demand_to_site.within(model.max_travel_minutes)
    reach = np.unique(near.origin[near.destination == j])
    people = model.population[reach]
    if not people.sum():
        return _("not built: nobody lives within {standard} min of it", standard=standard)
    beyond = result.assignment[reach] < 0
    if not beyond.any():
        return _(
            "not built: all {people} people within {standard} min of it have an open clinic within the standard",
            people=_.people(people.sum()),
            standard=standard,
        )
    return _(
        "not built: {beyond} of the {people} people within {standard} min of it stay beyond the standard, as the "
        "objective allows (e.g. the budget covers more people elsewhere)",
        beyond=_.people(people[beyond].sum()),
        people=_.people(people.sum()),
        standard=standard,
    )


def _minutes(value: float, _: Translator) -> str:
    """A standard's minutes as the scenario gives them (30, 7.5), with the locale's separators."""
    return _.decimal(value, 2)


def _merge_words(merge: VillageMerge, _: Translator) -> str:
    """'merged with <village>: its N people gain M min' (mean minutes, to the clinic the villages share)."""
    added = merge.added_minutes
    if not np.isfinite(added):  # its own clinics did not reach all of them; the shared one does
        gain = _("now all reach a clinic")
    else:
        gain = _("gain {minutes} min", minutes=_.decimal(added, 0)) if round(added) > 0 else _("lose no time")
    return _(
        "merged with {village}: its {people} people {gain}",
        village=merge.into_name,
        people=_.people(merge.people),
        gain=gain,
    )


def _change(minutes: float, _: Translator) -> str:
    """A change of travel minutes in words: '+6 min', '2 min less', 'no change'."""
    if round(minutes) > 0:
        return _("+{minutes} min", minutes=_.decimal(minutes, 0))
    return _("{minutes} min less", minutes=_.decimal(-minutes, 0)) if round(minutes) < 0 else _("no change")


def summary(
    scenario: Scenario,
    tables: LayoutTables,
    result: TwoTierResult,
    seconds: dict[str, float],
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The run's figures, as written to summary.json (and shown on the map)."""
    d = tables.demand
    # A neighbouring county's clinic (partition halo) serves people here but is not this county's to count.
    borrowed = tables.facilities["origin"] == "neighbour"
    f = tables.facilities[~borrowed]
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
        **({"cross_border": _cross_border(d, tables.facilities[borrowed])} if borrowed.any() else {}),
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
