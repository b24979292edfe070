"""Chain the stages: scenario → inputs → road graph → demand → sites → travel times → model → outputs.

Each stage is a plain function of its own module; this module only calls them in order, times them
and reports progress. Nothing here reaches back into an earlier stage's files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from facility_layout import maps, synthetic
from facility_layout.access import Minutes, access_figures, cut_off, eligible_sites, newly_beyond_words
from facility_layout.baseline import change, given_report, headline, today_open, today_result
from facility_layout.basemaps import basemap_for
from facility_layout.cache import UNREADABLE, UNREADABLE_WARNING, load_travel, save_travel, travel_key
from facility_layout.candidates import CENTRE_SITE, NEW_SITE, Sites, candidate_sites, uncoverable_split
from facility_layout.demand import (
    DemandPoints,
    check_cell_size,
    demand_points,
    pixel_side_m,
    village_demand,
    village_weights,
)
from facility_layout.errors import N_, InputError, Message, SolveError, in_words
from facility_layout.evaluate import LayoutTables, add_today_minutes, layout_tables, summary
from facility_layout.folders import OutputFolder
from facility_layout.given_layout import broken_rules, forced_sites, read_given_layout
from facility_layout.i18n import translator
from facility_layout.inputs import (
    TOWNSHIP_CENTRE,
    VILLAGE_CLINIC,
    RegionInputs,
    read_admin_areas,
    read_closed_areas,
    read_raster,
    read_region,
)
from facility_layout.inputs import credits as source_credits
from facility_layout.models.base import InfeasibleLayoutError, LocationResult
from facility_layout.models.objectives import Objective, solve_layout
from facility_layout.models.two_tier import EXISTING_CLINIC, Future, TwoTier, TwoTierResult
from facility_layout.network import RoadNetwork, build_road_network, nearest_piece, piece_report, travel_graph
from facility_layout.outputs import claim_run_folder, write_outputs
from facility_layout.partition import read_neighbour_clinics
from facility_layout.per_village import village_table
from facility_layout.readers.vector import companion_files
from facility_layout.relief import relief_image
from facility_layout.scenario import Scenario
from facility_layout.settings_base import source_file
from facility_layout.solve import NoLayoutError
from facility_layout.terrain import Elevation
from facility_layout.traveltime import RegionTravel, graphs_for, region_travel
from facility_layout.villages import villages_from_region

# Called as progress(stage, seconds): seconds is None when the stage starts.
Progress = Callable[[str, float | None], None]


@dataclass(frozen=True)
class RunResult:
    """What a run wrote, and the model and layout it wrote them from (e.g. for compare's cross conditions)."""

    out_dir: Path
    summary: dict[str, Any]
    model: TwoTier | None = None
    result: TwoTierResult | None = None
    sites: Sites | None = None
    demand: DemandPoints | None = None
    kept: tuple[str, ...] = ()  # files in the output folder the tool did not write, left untouched


class _Stages:
    """Times each stage and tells the progress callback when it starts and ends."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress or (lambda stage, seconds: None)
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.progress(name, None)
        start = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - start
        self.progress(name, self.seconds[name])


def ensure_synthetic_inputs(scenario: Scenario) -> bool:
    """Generate a synthetic region's files where the scenario expects them, if any is missing.

    Returns True if it generated them.
    """
    settings = scenario.region.synthetic
    generated = [path for key, path in scenario.input_files().items() if not key.startswith(("travel.", "futures["))]
    if settings is None or all(p.is_file() for p in generated):
        return False
    folder = source_file(scenario.region.boundary).parent
    try:
        synthetic.generate_region(folder, **settings.model_dump())
    except ValueError as exc:
        raise InputError(
            "region.synthetic",
            scenario.source or folder,
            getattr(exc, "message", str(exc)),  # the generator's message, translated where shown
            "change the region.synthetic settings",
        ) from None
    except OSError as exc:
        raise InputError(
            "region.synthetic",
            folder,
            "could not write the generated region ({strerror})",
            "point the data root (--data-root or FACILITY_LAYOUT_DATA) to a writable folder",
            strerror=exc.strerror,
        ) from None
    return True


def run(
    scenario: Scenario,
    out_dir: Path | None = None,
    progress: Progress | None = None,
    layout: Path | None = None,
    force: bool = False,
) -> RunResult:
    """Run a scenario end to end and write its outputs; with ``layout``, evaluate that layout instead of
    optimising one (``facility-layout evaluate``).

    Parameters
    ----------
    scenario : Scenario
        As returned by :func:`facility_layout.scenario.load_scenario`.
    out_dir : Path, optional
        Overrides ``outputs.dir`` (with ``layout``, by default ``<outputs.dir>_evaluated``).
    progress : callable, optional
        ``progress(stage, seconds)``, called at the start (seconds None) and end of each stage.
    layout : Path, optional
        A layout file (site_id, decision: a run's facilities.csv, edited): evaluated as given, with solver
        status ``given`` and every rule it breaks listed in ``rules_broken``.
    force : bool
        Write into an existing folder the tool did not write, replacing only its own output files there.

    Raises
    ------
    FacilityLayoutError
        Bad input (:class:`InputError`, also an output folder the tool may not write, checked before any
        work) or no layout (:class:`SolveError`); nothing is written then.
    """
    protected = []
    if layout is not None:  # by default beside the run's outputs, which may hold the layout file
        out_dir = (
            out_dir if out_dir is not None else scenario.output_dir.with_name(f"{scenario.output_dir.name}_evaluated")
        )
        protected.append((Message("the layout file"), Path(layout)))
    with claim_run_folder(scenario, out_dir, force, protected) as folder:
        return _run_stages(scenario, folder, progress, layout)


def _run_stages(scenario: Scenario, folder: OutputFolder, progress: Progress | None, layout: Path | None) -> RunResult:
    stage = _Stages(progress)
    clinic = scenario.tiers.village_clinic
    centre = scenario.tiers.township_centre

    if scenario.region.synthetic is not None:
        with stage("generate region"):
            ensure_synthetic_inputs(scenario)
    with stage("inputs"):
        region: RegionInputs = read_region(scenario)
    with stage("road graph"):
        network = build_road_network(region.roads, region.crs)
    with stage("demand"):
        demand = region_demand(scenario, region)
    with stage("sites"):
        sites = candidate_sites(
            region.facilities,
            region.settlements,
            clinic,
            site_points=region.site_points,
            demand=demand,
            demand_names=None if region.villages is None else region.villages["village"].to_numpy(),
            road_xy=(network.x, network.y),
            max_offroad_m=scenario.travel.max_offroad_m,
            neighbours=None if scenario.neighbour_clinics is None else read_neighbour_clinics(scenario, region.crs),
        )
        _check_central_count(scenario, len(sites.centres))
        warnings = list(region.warnings)
        if region.population is not None:  # a census gives villages, not cells: no cell size to check
            walk_m = clinic.max_travel_minutes * scenario.travel.walking_speed_kmh * 1000 / 60  # within the standard
            pixel_m = pixel_side_m(region.population, region.crs)
            destinations = len(sites.x) + len(sites.centres)
            warnings += check_cell_size(demand, pixel_m, walk_m, destinations, scenario.source or "")
    with stage("travel times"):
        travel, cache_status = travel_times(scenario, region, network, demand, sites)
        futures = future_demand(scenario, region, network, demand, sites)
        base = travel_under(scenario, [], region, network, demand, sites) if scenario.travel.conditions else None
    with stage("model"):
        merge = clinic.merge_rule
        model = TwoTier.from_cost_matrix(
            travel.demand_to_site,
            travel.site_to_centre,
            # Visits rather than heads where the census gives age groups with their visits per person.
            demand.population if region.villages is None else village_weights(region.villages, demand),
            sites.kind,
            sites.cost,
            max_travel_minutes=clinic.max_travel_minutes,
            referral_max_minutes=centre.referral_max_minutes,
            remote_keep_minutes=clinic.remote_keep_minutes,
            centre_max_travel_minutes=centre.max_travel_minutes,
            central_count=centre.central_count,
            objective="max_coverage" if scenario.objective.budget is not None else "min_cost",
            budget=scenario.objective.budget,
            demand_to_centre=travel.demand_to_centre,
            close_cost=np.where(sites.kind == EXISTING_CLINIC, clinic.close_cost, 0.0),
            merge_rule=None
            if merge is None
            else villages_from_region(region.settlements, demand, sites, merge.max_added_minutes),
            futures=futures,
            robust=scenario.objective.robust,
            **_forced(scenario, sites, travel),
            site_ids=sites.site_id,
        )
        if layout is None:
            result, _ = solve_objective(scenario, model)
        else:
            given = read_given_layout(layout, sites)
            result = model.result_given(given.open_sites, given.central, given_report())
        today = today_result(model)
    with stage("evaluate"):
        now = _minutes(travel, model)
        demand_elevation_m = _elevation_at(region, demand.x, demand.y)
        site_elevation_m = _elevation_at(region, sites.x, sites.y)

        def tables_of(layout_result: TwoTierResult) -> LayoutTables:
            return layout_tables(
                scenario,
                demand,
                sites,
                layout_result,
                region.boundary,
                network.roads,
                off_network=travel.demand_off_network & ~np.isin(np.arange(len(demand)), travel.demand_to_site.origin),
                cut_off=cut_off(now, layout_result.open_sites),
                demand_elevation_m=demand_elevation_m,
                site_elevation_m=site_elevation_m,
                forced=(model.required, model.forbidden),
            )

        today_tables = tables_of(today)
        tables = add_today_minutes(tables_of(result), today_tables)
        access = access_figures(
            demand.population,
            now,
            None if base is None else _minutes(base, model),
            result.open_sites,
            today_open(sites.kind),
            (clinic.max_travel_minutes, centre.max_travel_minutes),
        )
        villages = None
        if region.villages is not None:
            villages = village_table(region.villages, tables.demand, clinic.max_travel_minutes)
        demand_piece, site_piece = (
            nearest_piece(network, x, y, scenario.travel.max_offroad_m)
            for x, y in ((demand.x, demand.y), (sites.x, sites.y))
        )
        tables.demand["road_piece"] = demand_piece
        tables.facilities["road_piece"] = (
            tables.facilities["site_id"].map(dict(zip(sites.site_id, site_piece, strict=True))).astype(int)
        )
        figures = summary(
            scenario,
            tables,
            result,
            stage.seconds,
            extra={
                "synthetic": region.synthetic,
                "crs": region.crs.to_string(),
                "road_graph": {
                    "nodes": network.n_nodes,
                    **piece_report(network, demand_piece, demand.population, site_piece),
                },
                "population": {
                    "raw_total": round(demand.raw_total, 2),
                    "scale_factor": round(demand.scale_factor, 6),
                    "covered_share": round(region.population_covered_share, 4),
                },
                "inputs": {
                    "dropped_facilities": list(region.dropped_facilities),
                    "unmapped_tiers": region.unmapped_tiers or {},
                },
                "warnings": [
                    in_words(w, translator(scenario.outputs.language))
                    for w in warnings + ([UNREADABLE_WARNING] if cache_status == UNREADABLE else [])
                ],
                "travel_pairs": {
                    "demand_to_site": travel.demand_to_site.n_pairs,
                    "demand_to_centre": travel.demand_to_centre.n_pairs,
                    "site_to_centre": travel.site_to_centre.n_pairs,
                },
                "travel": travel_report(
                    scenario, travel, demand, region, cache_status, tables.demand["cut_off"].to_numpy(dtype=bool)
                ),
                "access": access
                | {
                    "computed_up_to_minutes": dict(
                        zip((VILLAGE_CLINIC, TOWNSHIP_CENTRE), travel_cutoffs(scenario)[:2], strict=True)
                    ),
                    "headline": newly_beyond_words(access),
                },
                **(
                    {}
                    if layout is None
                    else {
                        "layout_file": str(Path(layout).resolve()),
                        "rules_broken": broken_rules(model, result, sites.site_id),
                    }
                ),
                "uncoverable": uncoverable_split(tables.demand["population"].to_numpy(), result.uncoverable, clinic),
            },
        )
        figures["today"] = headline(summary(scenario, today_tables, today, {}, extra={}))
        figures["change"] = change(headline(figures), figures["today"])

    credits = source_credits(scenario, translator(scenario.outputs.language))

    def draw(path: Path) -> Path:
        _ = translator(scenario.outputs.language)
        title = _("{region}: proposed health facility layout", region=scenario.region.name)
        settings = scenario.map
        basemap = None if region.synthetic else basemap_for(settings.basemap, settings.tianditu_key)
        west, south, east, north = region.boundary.to_crs("EPSG:4326").total_bounds
        with_relief = settings.relief and region.elevation is not None
        relief = relief_image(region.elevation, (west, south, east, north)) if with_relief else None
        return maps.render_map(
            tables,
            path,
            title=title,
            summary=figures,
            attributions=credits,
            synthetic=region.synthetic,
            basemap=basemap,
            relief=relief,
            cell_size_m=scenario.population.cell_size_m,
            settlements=region.settlements,
            language=scenario.outputs.language,
            admin_areas=read_admin_areas(scenario, tables.demand.crs),
        )

    with stage("outputs"):
        written = write_outputs(
            folder, tables, figures, scenario, draw, stage.seconds, attribution=credits, villages=villages
        )
    return RunResult(
        out_dir=written, summary=figures, model=model, result=result, sites=sites, demand=demand, kept=folder.kept
    )


def _elevation_at(region: RegionInputs, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Metres above sea level at the points (region CRS); NaN where unknown, everywhere without a DEM."""
    if region.elevation is None:
        return np.full(len(x), np.nan)
    return region.elevation.sample(x, y, region.crs)


def region_demand(scenario: Scenario, region: RegionInputs) -> DemandPoints:
    """People to serve: cells of the population raster, or the villages of a census table."""
    settings = scenario.population
    if region.villages is not None:
        return village_demand(region.villages, settings.cell_size_m, settings.scale_to_total)
    assert region.population is not None
    return demand_points(region.population, region.boundary, region.crs, settings.cell_size_m, settings.scale_to_total)


def travel_times(
    scenario: Scenario, region: RegionInputs, network: RoadNetwork, demand: DemandPoints, sites: Sites
) -> tuple[RegionTravel, str]:
    """The travel-time stage, read from the cache when the same inputs and settings produced it before.

    Returns the matrices and the cache status: ``hit``, ``miss`` (computed and stored), ``off``, or
    :data:`~facility_layout.cache.UNREADABLE` (an unreadable entry was deleted, recomputed and stored).
    """
    cutoffs = travel_cutoffs(scenario)
    key = None
    if scenario.cache.enabled:
        files = [*companion_files(source_file(scenario.inputs.roads))]
        files += [scenario.inputs.elevation] if scenario.inputs.elevation else []
        files += [
            source_file(c.closed_area) for c in scenario.travel.resolved_conditions() if c.closed_area is not None
        ]
        settings = {"travel": scenario.travel.model_dump(mode="json"), "crs": region.crs.to_wkt(), "cutoffs": cutoffs}
        key = travel_key(files, settings, [demand.x, demand.y, sites.x, sites.y, sites.centres])
        n_demand, n_sites, n_centres = len(demand.x), len(sites.x), len(sites.centres)
        shapes = {
            "demand_to_site": (n_demand, n_sites),
            "demand_to_centre": (n_demand, n_centres),
            "site_to_centre": (n_sites, n_centres),
        }
        cached, problem = load_travel(scenario.cache.folder(), key, shapes)
        if cached is not None:
            return cached, "hit"
    elevation = Elevation.from_raster(region.elevation, region.crs) if region.elevation is not None else None
    modes = scenario.travel.modes
    graphs = {
        kind: travel_graph(network, kind, scenario.travel, elevation, region.closed_areas)
        for kind in sorted(graphs_for([modes.village_clinic, modes.township_centre, modes.referral]))
    }
    travel = region_travel(
        network, graphs, (demand.x, demand.y), (sites.x, sites.y), sites.centres, scenario.travel, elevation, cutoffs
    )
    if key is None:
        return travel, "off"
    save_travel(scenario.cache.folder(), key, travel)
    return travel, "miss" if problem is None else UNREADABLE


def travel_cutoffs(scenario: Scenario) -> tuple[float, float, float]:
    """Minutes up to which the travel stage keeps trips: demand → site, demand → centre, site → centre."""
    clinic = scenario.tiers.village_clinic
    centre = scenario.tiers.township_centre
    return (
        max(clinic.max_travel_minutes, clinic.remote_keep_minutes or 0.0),
        centre.max_travel_minutes,
        centre.referral_max_minutes,
    )


def travel_under(
    scenario: Scenario,
    conditions: list,
    region: RegionInputs,
    network: RoadNetwork,
    demand: DemandPoints,
    sites: Sites,
) -> RegionTravel:
    """The travel-time stage (cached like the scenario's own) under other travel ``conditions`` on the same
    demand points and sites: a future's, or none (the base conditions people lose access against)."""
    then = scenario.model_copy(update={"travel": scenario.travel.model_copy(update={"conditions": conditions})})
    roads = replace(region, closed_areas=read_closed_areas(then, region.crs))
    travel, _ = travel_times(then, roads, network, demand, sites)
    return travel


def future_demand(
    scenario: Scenario, region: RegionInputs, network: RoadNetwork, demand: DemandPoints, sites: Sites
) -> list[Future]:
    """Each of the scenario's futures on today's demand points and sites: minutes under its travel conditions
    (cached like today's), demand = people (its raster, else today's) × population factor × visits per person."""
    futures = []
    for i, future in enumerate(scenario.futures):
        travel = travel_under(scenario, future.conditions, region, network, demand, sites)
        people = demand.population if future.population is None else _future_people(scenario, i, region, demand)
        weight = people * future.population_factor * future.visits_per_person
        futures.append(Future(future.name, travel.demand_to_site, weight, future.probability))
    return futures


def _future_people(scenario: Scenario, i: int, region: RegionInputs, demand: DemandPoints) -> np.ndarray:
    """People per demand point from ``futures[i].population``, aggregated to today's cells (not rescaled)."""
    key = f"futures[{i}].population"
    path = scenario.futures[i].population
    assert path is not None
    then = demand_points(read_raster(path, key), region.boundary, region.crs, scenario.population.cell_size_m)
    if not np.array_equal(then.cell_id, demand.cell_id):
        raise InputError(
            key,
            path,
            "has people in {n_then} cells of {cell_size_m:g} m where inputs.population has {n_demand} (or in other "
            "cells)",
            "give a raster of the same area with people in the same cells as today's (0.001 where a cell empties)",
            n_then=len(then),
            cell_size_m=scenario.population.cell_size_m,
            n_demand=len(demand),
        )
    return then.population


def travel_report(
    scenario: Scenario,
    travel: RegionTravel,
    demand: DemandPoints,
    region: RegionInputs,
    cache_status: str,
    cut: np.ndarray,
) -> dict[str, Any]:
    """How people travel in this run, and who is cut off: no open facility of any tier reachable (``cut``),
    named by their nearest settlement."""
    places: list[str] = []
    if cut.any() and len(region.settlements):
        xy = np.column_stack([region.settlements.geometry.x, region.settlements.geometry.y])
        _, nearest = cKDTree(xy).query(np.column_stack([demand.x[cut], demand.y[cut]]))
        places = sorted({str(n) for n in region.settlements["name"].to_numpy()[nearest] if str(n)})
    return {
        "modes": scenario.travel.modes.model_dump(),
        "walking": scenario.travel.walking_slope if region.elevation is not None else "flat (no DEM given)",
        "conditions": [c.name for c in scenario.travel.resolved_conditions()],
        "closed_road_segments": travel.closed_segments,
        "cut_off": {
            "population": round(float(demand.population[cut].sum()), 2),
            "cells": int(cut.sum()),
            "places": places,
        },
        "cache": cache_status,
    }


def solve_objective(scenario: Scenario, model: TwoTier) -> tuple[TwoTierResult, LocationResult | None]:
    """Solve the scenario's objective on ``model``; an infeasible scenario becomes a :class:`SolveError` that
    names the setting to change."""
    settings = scenario.objective
    objective = Objective(**settings.model_dump(exclude={"robust"}))  # robust is the two-tier model's own setting
    where = f"objective.type = {settings.type} ({scenario.source})"
    try:
        return solve_layout(
            model, objective, scenario.solver.name, scenario.solver.time_limit_s, scenario.solver.mip_gap
        )
    except NoLayoutError as exc:
        raise _no_layout(scenario, exc) from None
    except InfeasibleLayoutError as exc:
        if exc.needed_budget is not None:
            merging = scenario.tiers.village_clinic.merge_rule is not None
            fix = Message(
                "raise objective.budget to at least {budget:g}, or relax tiers.village_clinic.remote_keep_minutes "
                "or raise tiers.village_clinic.merge_rule.max_added_minutes"
                if merging
                else "raise objective.budget to at least {budget:g}, or relax tiers.village_clinic.remote_keep_minutes",
                budget=exc.needed_budget,
            )
        elif settings.capacity is not None:
            fix = Message("raise objective.capacity, open more clinics (objective.clinics) or allow split_demand: true")
        elif settings.clinics is not None:
            fix = Message("raise objective.clinics, or relax the tiers' limits")
        else:
            fix = Message("relax the tiers' limits, or remove the forbidden sites the message names")
        raise SolveError(
            "{where}: no layout meets the scenario: {exc}. Fix: {fix}.", where=where, exc=exc, fix=fix
        ) from None
    except ValueError as exc:  # more clinics than may open, or fewer than are kept anyway
        kept = int(model.fixed_open().sum()) - len(model.centres)
        allowed = int(model.eligible_sites().sum()) - len(model.centres)
        raise SolveError(
            "{where}, objective.clinics = {clinics}: {exc}. Between {kept} (clinics kept anyway: required, or no "
            "dearer to keep than to close) and {allowed} (clinics allowed to open) village clinics can be chosen. "
            "Fix: set objective.clinics between {kept} and {allowed}.",
            where=where,
            clinics=settings.clinics,
            exc=exc,
            kept=kept,
            allowed=allowed,
        ) from None


def _minutes(travel: RegionTravel, model: TwoTier) -> Minutes:
    """The matrices of one set of travel conditions, for the access figures."""
    eligible = eligible_sites(model.site_kind, travel.site_to_centre, model.referral_max_minutes, model.forbidden)
    return Minutes(travel.demand_to_site, travel.demand_to_centre, eligible)


def _forced(scenario: Scenario, sites: Sites, travel: RegionTravel) -> dict[str, np.ndarray]:
    """``sites.required`` and ``sites.forbidden`` as site indices, checked against what the model allows."""
    forced = {
        key: forced_sites(getattr(scenario.sites, key), f"sites.{key}", sites, scenario.source)
        for key in ("required", "forbidden")
    }
    where = scenario.source or "scenario"
    both = np.intersect1d(forced["required"], forced["forbidden"])
    centres = forced["forbidden"][sites.kind[forced["forbidden"]] == CENTRE_SITE]
    referable = travel.site_to_centre.within(scenario.tiers.township_centre.referral_max_minutes).origin
    if sites.neighbour is not None:  # a neighbouring county's clinic is kept as it is, not decided here
        forced["required"] = np.union1d(forced["required"], np.flatnonzero(sites.neighbour))
    required = forced["required"]
    unreferable = required[(sites.kind[required] == NEW_SITE) & ~np.isin(required, referable)]
    for key, bad, problem, fix in (
        ("sites", both, N_("{sites}: both required and forbidden"), N_("list each site in one of the two")),
        (
            "sites.forbidden",
            centres,
            N_("{sites}: township centres, which are always kept"),
            N_("remove them from sites.forbidden"),
        ),
        (
            "sites.required",
            unreferable,
            N_(
                "{sites}: new sites with no township centre within tiers.township_centre.referral_max_minutes, so "
                "they may not be built"
            ),
            N_("remove them from sites.required or raise referral_max_minutes"),
        ),
    ):
        if len(bad):
            raise InputError(key, where, problem, fix, sites=", ".join(map(str, sites.site_id[bad])))
    return forced


def _check_central_count(scenario: Scenario, n_centres: int) -> None:
    wanted = scenario.tiers.township_centre.central_count
    if wanted > n_centres:
        raise InputError(
            "tiers.township_centre.central_count",
            scenario.source or "",
            "asks to upgrade {wanted} township centres, but the region has {n_centres}",
            "set it to at most {n_centres}",
            wanted=wanted,
            n_centres=n_centres,
        )


# The solve stages of summary.json's solver.stages, in words (message ids).
_STAGE_WORDS = {"clinic_layout": N_("clinic layout"), "central_centres": N_("central centres")}


def _no_layout(scenario: Scenario, exc: NoLayoutError) -> SolveError:
    """A stage's solve ended without a layout: the message names the stage and the setting to change."""
    stage = Message(_STAGE_WORDS[exc.stage]) if exc.stage in _STAGE_WORDS else exc.stage.replace("_", " ")
    budget = scenario.solver.time_limit_s
    if exc.report.status == "no_solution":
        return SolveError(
            "solver.time_limit_s ({source}): the {stage} stage found no feasible layout within {time_left_s:g} s "
            "(the run's {budget:g} s are one budget shared by its stages). Fix: raise solver.time_limit_s, or try "
            "solver.name: {value}.",
            source=scenario.source,
            stage=stage,
            time_left_s=exc.time_left_s,
            budget=budget,
            value="cbc" if scenario.solver.name == "highs" else "highs",
        )
    return SolveError(
        "The solver reported '{status}' in the {stage} stage for {source}. Fix: check the tiers' limits and the "
        "budget.",
        status=exc.report.status,
        stage=stage,
        source=scenario.source,
    )
