"""A partitioned region end to end: split into counties, run them on Dask, merge their outputs.

The merged output folder holds ``summary.json`` (region totals recomputed from the counties' own
figures: people summed, travel-minute percentiles recomputed over the merged demand table, never
averaged; and a ``counties`` list with each county's figures and status), ``layout.gpkg`` (each layer of
the counties' GeoPackages with a ``county`` column), ``counties.csv`` (the report table, one row per
county), ``index.html`` (an overview map of the counties coloured by the share of people within the
clinic standard, each linking to its own map) and ``counties/<slug>/`` (each county's complete outputs).
Totals count the counties that completed; ``counties_failed`` names the others.

The folder follows the output-folder rules of every run (:mod:`facility_layout.folders`): checked and locked
before any county runs, written in a staging folder and moved in when complete, each folder marked with
the files the tool wrote there (``counties/`` and each county's folder too), the planner's other files kept.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from facility_layout.distributed import CountyOutcome, Engine, exit_error, run_counties
from facility_layout.errors import InputError, Joined, Message, SolveError
from facility_layout.figures import minutes_figures
from facility_layout.folders import Names, OutputFolder
from facility_layout.i18n import csv_table, translator
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.jsonio import dump_json
from facility_layout.outputs import GPKG_LAYERS, RUN_NAMES, claim_run_folder, write_csv
from facility_layout.partition import County, county_areas, split_counties
from facility_layout.pipeline import ensure_synthetic_inputs
from facility_layout.province_page import overview_page
from facility_layout.scenario import Scenario
from facility_layout.solve import SolveReport, least_proven

# Columns holding site ids in the GeoPackage layers, and how the ids of new sites start (candidates.py).
SITE_ID_COLUMNS = {"site_id", "merged_into_id", "centre_id", "clinic_site_id"}
NEW_SITE_PREFIX = "new-"
# Every file of a partitioned run's output folder, beside ``counties/`` (each county's outputs by slug).
PROVINCE_FILES = ("summary.json", "layout.gpkg", "counties.csv", "index.html")
COUNTIES_FOLDER = "counties"
# Summed over counties as they are (people, counts, cost).
_SUMMED = ("population_total", "population_uncoverable", "population_off_network", "cost")
CSV_COLUMNS = (
    "county",
    "status",
    "population_total",
    "population_within_clinic_standard",
    "share_within_clinic_standard",
    "population_within_centre_standard",
    "clinics_keep",
    "clinics_close",
    "clinics_build",
    "centres_upgrade",
    "cost",
    "clinic_minutes_mean",
    "clinic_minutes_p95",
    "solver_status",
    "seconds",
    "message",
    "population_served_by_neighbours",
)


@dataclass(frozen=True)
class ProvinceResult:
    """What a partitioned run wrote (``out_dir``, ``summary``), how each county ended, and the files in the
    output folder the tool did not write (left untouched)."""

    out_dir: Path
    summary: dict[str, Any]
    outcomes: dict[str, CountyOutcome]
    kept: tuple[str, ...] = ()


def output_names(slugs: list[str]) -> Names:
    """Every name a partitioned run writes in its output folder, the counties' folders by ``slugs``."""
    return dict.fromkeys(PROVINCE_FILES) | {COUNTIES_FOLDER: dict.fromkeys(slugs, RUN_NAMES)}


def province_names(scenario: Scenario) -> Names:
    """The output names of ``scenario``'s partitioned run (its county folders read from the admin areas; a
    synthetic region is generated first), for a folder that holds several runs' outputs (compare).

    Raises
    ------
    InputError
        A region-wide input the split cannot read.
    """
    if scenario.region.synthetic is not None:
        ensure_synthetic_inputs(scenario)
    return output_names(county_areas(scenario).slugs)


def run_partitioned(
    scenario: Scenario,
    out_dir: Path | None = None,
    scheduler: str | None = None,
    progress: Callable[..., None] | None = None,
    force: bool = False,
    engine: Engine | None = None,
) -> ProvinceResult:
    """Plan every county of ``scenario`` (which has ``region.partition``) on Dask and merge the results.

    Parameters
    ----------
    scenario : Scenario
        With ``region.partition`` and ``region.admin_areas``.
    out_dir : Path, optional
        Overrides ``outputs.dir``.
    scheduler : str, optional
        Address of a running Dask scheduler; default ``$DASK_SCHEDULER_ADDRESS``, else a LocalCluster.
    progress : callable, optional
        Told each county's outcome, see :data:`facility_layout.distributed.Progress`.
    force : bool
        Write into an existing folder the tool did not write, replacing only its own output names there.
    engine : Engine, optional
        A Dask client shared with other runs (``compare``), used instead of ``scheduler``.

    Raises
    ------
    FacilityLayoutError
        A region-wide input is bad, the output folder may not be written (checked before any county runs),
        or no county got a layout (nothing is written then). Counties that fail while others succeed are
        listed in the outputs instead.
    """
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    if scenario.region.synthetic is not None:
        ensure_synthetic_inputs(scenario)
    # The counties' names are read first (quickly): the folder check needs their folder names.
    areas = county_areas(scenario)
    with claim_run_folder(scenario, out_dir, force, names=output_names(areas.slugs)) as folder:
        counties = split_counties(scenario, areas)
        seconds["split"] = time.perf_counter() - start
        start = time.perf_counter()
        outcomes, used = run_counties(scenario, counties, scheduler, progress, engine)
        seconds["counties"] = time.perf_counter() - start
        if all(o.status == "failed" for o in outcomes.values()):
            lines = Joined(
                [Message("{county}: {message}", county=c.name, message=outcomes[c.slug].message) for c in counties],
                "; ",
            )
            if exit_error(outcomes) is SolveError:
                raise SolveError(
                    "no county of {region} got a layout ({lines})", region=scenario.region.name, lines=lines
                )
            raise InputError(
                "region.partition",
                scenario.source or scenario.region.boundary,
                "no county of {region} could be planned ({lines})",
                "correct the inputs each county's message names",
                region=scenario.region.name,
                lines=lines,
            )
        figures = write_province(folder, scenario, counties, outcomes, used, seconds)
    return ProvinceResult(folder.path, figures, outcomes, folder.kept)


def write_province(
    folder: OutputFolder,
    scenario: Scenario,
    counties: list[County],
    outcomes: dict[str, CountyOutcome],
    engine: dict[str, Any],
    seconds: dict[str, float],
) -> dict[str, Any]:
    """Merge the counties' outputs into ``folder`` (written in its staging folder, moved in when complete);
    returns the figures of ``summary.json``."""
    start = time.perf_counter()
    done = [c for c in counties if outcomes[c.slug].status != "failed"]
    with folder.staging() as staging:
        # counties/ is a folder of the tool's own inside this run's private staging folder: marked with the
        # counties it holds, so that a later run replaces them and removes those it no longer has.
        names = folder.names[COUNTIES_FOLDER]
        assert names is not None
        with OutputFolder(staging / COUNTIES_FOLDER, "run", names, force=False).staging() as counties_folder:
            for county in done:
                shutil.copytree(outcomes[county.slug].folder, counties_folder / county.slug)
        summaries = {c.slug: json.loads((outcomes[c.slug].folder / "summary.json").read_text("utf-8")) for c in done}
        _merge_gpkg(staging / "layout.gpkg", counties, outcomes)
        figures = province_summary(scenario, counties, outcomes, summaries, staging)
        figures["engine"] = engine
        table = pd.DataFrame([_csv_row(row) for row in figures["counties"]], columns=list(CSV_COLUMNS))
        _ = translator(scenario.outputs.language)
        encoding = "utf-8-sig" if scenario.outputs.bom else "utf-8"
        write_csv(csv_table(table, _), staging / "counties.csv", encoding=encoding)
        (staging / "index.html").write_text(overview_page(scenario, counties, figures), "utf-8")
        merge_seconds = {**seconds, "merge": time.perf_counter() - start}
        merge_seconds["total"] = sum(merge_seconds.values())
        figures["seconds"] = {k: round(v, 3) for k, v in merge_seconds.items()}
        dump_json(figures, staging / "summary.json")
    return figures


def province_summary(
    scenario: Scenario,
    counties: list[County],
    outcomes: dict[str, CountyOutcome],
    summaries: dict[str, dict[str, Any]],
    folder: Path,
) -> dict[str, Any]:
    """Region figures from the completed counties, and one entry per county (completed or failed)."""
    done = [summaries[c.slug] for c in counties if c.slug in summaries]
    # From the GeoPackage, whose field names are the same in every language (demand.csv's headers are not).
    demand = pd.concat(
        [
            gpd.read_file(folder / COUNTIES_FOLDER / c.slug / "layout.gpkg", layer="demand", ignore_geometry=True)
            for c in counties
            if c.slug in summaries
        ],
        ignore_index=True,
    )
    people = demand["population"].to_numpy(dtype=float)
    tiers = {VILLAGE_CLINIC: ("keep", "close", "build"), TOWNSHIP_CENTRE: ("keep", "upgrade")}
    figures: dict[str, Any] = {
        "scenario": scenario.region.name,
        "partition": scenario.region.partition.model_dump(mode="json"),  # type: ignore[union-attr]
        "objective": scenario.objective.type,
        **{key: round(sum(s[key] for s in done), 4 if key == "cost" else 2) for key in _SUMMED},
        "population_covered": {t: round(sum(s["population_covered"][t] for s in done), 2) for t in tiers},
        "demand_points": {k: int(sum(s["demand_points"][k] for s in done)) for k in ("count", "uncoverable")},
        # Percentiles over the merged demand cells, weighted by their people (an average of the counties'
        # percentiles would not be a percentile of anyone).
        "travel_minutes": {
            VILLAGE_CLINIC: minutes_figures(demand["clinic_minutes"].to_numpy(dtype=float), people),
            TOWNSHIP_CENTRE: minutes_figures(demand["centre_minutes"].to_numpy(dtype=float), people),
        },
        "facilities": {
            t: {k: int(sum(s["facilities"][t][k] for s in done)) for k in kinds} for t, kinds in tiers.items()
        },
        "standards": done[0]["standards"],
        "travel": {
            "conditions": done[0]["travel"]["conditions"],
            "cut_off": {"population": round(sum(s["travel"]["cut_off"]["population"] for s in done), 2)},
        },
        # Clinics without a referral centre: existing sites by their ids, new sites as in layout.gpkg.
        "referral_violations": [
            _site_id(c.slug, v)
            for c in counties
            if c.slug in summaries
            for v in summaries[c.slug]["referral_violations"]
        ],
        "solver": province_solver({c.name: summaries[c.slug]["solver"] for c in counties if c.slug in summaries}),
        **({"access": _merged_access(done)} if all("access" in s for s in done) else {}),
        **({"cross_border": _merged_cross_border(done)} if any("cross_border" in s for s in done) else {}),
        **({"today": _merged_today(done)} if all("today" in s for s in done) else {}),
        "counties_included": [c.name for c in counties if c.slug in summaries],
        "counties_failed": [c.name for c in counties if c.slug not in summaries],
        "counties_count": {
            status: sum(o.status == status for o in outcomes.values()) for status in ("done", "reused", "failed")
        },
        "counties": [_county_entry(c, outcomes[c.slug], summaries.get(c.slug)) for c in counties],
    }
    return figures


def _people_sum(values: list[Any]) -> Any:
    """People figures of the counties summed: numbers added, mappings key by key; None where all are None."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if isinstance(present[0], dict):
        return {k: _people_sum([v.get(k) for v in present]) for k in present[0]}
    return round(sum(present), 2)


def _merged_cross_border(done: list[dict[str, Any]]) -> dict[str, Any]:
    """The counties' people served by a neighbouring county's clinic within the halo (already counted in
    ``population_covered``), summed; no count of clinics (one clinic may serve several neighbours)."""
    people = sum(s.get("cross_border", {}).get("population_served_by_neighbours", 0.0) for s in done)
    return {"population_served_by_neighbours": round(people, 2)}


def _merged_access(done: list[dict[str, Any]]) -> dict[str, Any]:
    """Who is unreachable or loses access, summed over the counties (each figure counts people)."""
    access = [s["access"] for s in done]
    keys = ("unreachable", "losing_access", "newly_beyond_every_site")
    merged = {k: _people_sum([a.get(k) for a in access]) for k in keys}
    return merged | {"computed_up_to_minutes": access[0]["computed_up_to_minutes"], "headline": None}


def _merged_today(done: list[dict[str, Any]]) -> dict[str, Any]:
    """Today's layout over the counties: people, counts and cost summed; minutes: the mean weighted by the
    people each county's mean is over (those within the standard), the largest max, and no p95 (a percentile
    of the region needs every cell's minutes today, which the counties' files do not hold)."""
    today = [s["today"] for s in done]
    minutes = {}
    for tier in (VILLAGE_CLINIC, TOWNSHIP_CENTRE):
        figures = [(t["travel_minutes"][tier], t["population_covered"][tier]) for t in today]
        reached = [(m, w) for m, w in figures if m["mean"] is not None and w > 0]
        weight = sum(w for _, w in reached)
        minutes[tier] = {
            "mean": round(sum(m["mean"] * w for m, w in reached) / weight, 2) if weight else None,
            "p95": None,
            "max": max((m["max"] for m, _ in reached), default=None),
        }
    return {
        "population_covered": _people_sum([t["population_covered"] for t in today]),
        "population_uncoverable": _people_sum([t["population_uncoverable"] for t in today]),
        "travel_minutes": minutes,
        "facilities": {
            tier: {k: sum(t["facilities"][tier][k] for t in today) for k in today[0]["facilities"][tier]}
            for tier in (VILLAGE_CLINIC, TOWNSHIP_CENTRE)
        },
        "cost": round(sum(t["cost"] for t in today), 4),
        "referral_violations": [v for t in today for v in t["referral_violations"]],
    }


def province_solver(counties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The ``solver`` block of the region from the counties' own (by name), in their shape: the headline is
    the least proven county's, and each stage the least proven county's for that stage.

    ``objective`` and ``bound`` are null: each county's are its own problem's, in its ``counties`` entry.
    ``gap`` is the largest county gap (null when an unproven county has none), ``seconds`` the counties'
    solver seconds summed; ``least_proven_county`` names the county whose status is the headline.
    """
    headlines = {name: _report(block) for name, block in counties.items()}
    stages: dict[str, dict[str, SolveReport]] = {}
    for name, block in counties.items():
        for stage, report in block["stages"].items():
            stages.setdefault(stage, {})[name] = _report(report)
    headline = _province_report(headlines)
    worst = [name for name, r in headlines.items() if r.status == headline.status and not r.proven_optimal]
    return {
        **headline.to_dict(),
        "time_limit_s": next(iter(counties.values()))["time_limit_s"],
        "stages": {stage: _province_report(reports).to_dict() for stage, reports in stages.items()},
        "least_proven_county": worst[0] if worst else None,
        "counties_not_proven": sum(not r.proven_optimal for r in headlines.values()),
    }


def _report(block: dict[str, Any]) -> SolveReport:
    """A county's solver figures (its headline or one stage) read back from its summary.json."""
    fields = SolveReport.__dataclass_fields__
    return SolveReport(**{k: v for k, v in block.items() if k in fields})


def _province_report(reports: dict[str, SolveReport]) -> SolveReport:
    """Several counties' reports as one (:func:`facility_layout.solve.least_proven`, notes named by county),
    without an objective or bound: the counties solve separate problems."""
    return replace(least_proven(reports), objective=None, bound=None)


def _county_entry(county: County, outcome: CountyOutcome, figures: dict[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": county.name,
        "slug": county.slug,
        "status": outcome.status,
        "seconds": round(outcome.seconds, 3),
        "worker": outcome.worker,
        "peak_rss_bytes": outcome.peak_rss_bytes,
        "key": county.key,
    }
    if figures is None:
        return entry | {"error": outcome.error, "message": outcome.message}
    return entry | {
        "map": f"counties/{county.slug}/map.html",
        "population_total": figures["population_total"],
        "population_covered": figures["population_covered"],
        "facilities": figures["facilities"],
        "cost": figures["cost"],
        "travel_minutes": figures["travel_minutes"],
        "population_served_by_neighbours": figures.get("cross_border", {}).get("population_served_by_neighbours", 0.0),
        # The county's own solver block: its headline and every stage (summary.json's shape).
        "solver": figures["solver"],
        "run_seconds": figures["seconds"],
    }


def _csv_row(entry: dict[str, Any]) -> dict[str, Any]:
    if entry["status"] == "failed":
        return {"county": entry["name"], "status": "failed", "message": entry["message"], "seconds": entry["seconds"]}
    total = entry["population_total"]
    within = entry["population_covered"][VILLAGE_CLINIC]
    clinics = entry["facilities"][VILLAGE_CLINIC]
    return {
        "county": entry["name"],
        "status": entry["status"],
        "population_total": total,
        "population_within_clinic_standard": within,
        "share_within_clinic_standard": round(within / total, 4) if total else None,
        "population_within_centre_standard": entry["population_covered"][TOWNSHIP_CENTRE],
        "clinics_keep": clinics["keep"],
        "clinics_close": clinics["close"],
        "clinics_build": clinics["build"],
        "centres_upgrade": entry["facilities"][TOWNSHIP_CENTRE]["upgrade"],
        "cost": entry["cost"],
        "clinic_minutes_mean": entry["travel_minutes"][VILLAGE_CLINIC]["mean"],
        "clinic_minutes_p95": entry["travel_minutes"][VILLAGE_CLINIC]["p95"],
        "solver_status": entry["solver"]["status"],
        "seconds": entry["seconds"],
        "message": "",
        "population_served_by_neighbours": entry["population_served_by_neighbours"],
    }


def _site_id(slug: str, site_id: str) -> str:
    """A county's site id in the region: a new site's (numbered per county) prefixed with the county."""
    return f"{slug}/{site_id}" if str(site_id).startswith(NEW_SITE_PREFIX) else site_id


def _merge_gpkg(path: Path, counties: list[County], outcomes: dict[str, CountyOutcome]) -> None:
    """Each layer of the completed counties' GeoPackages, one under the other, with a ``county`` column.

    Existing facilities keep their ids (unique in the region's file); a new site's id (``new-0005``,
    numbered per county) becomes ``<county slug>/new-0005`` so that every id names one site; so does every
    cell id (each county's cells are numbered on a grid from its own south-west corner). A clinic of a
    neighbouring county used within a halo is listed once, by its own county; a cell it serves names it
    ``<county name>:<facility id in the region's file>``.
    """
    done = [c for c in counties if outcomes[c.slug].status != "failed"]
    for layer in GPKG_LAYERS:
        frames = []
        for county in done:
            frame = gpd.read_file(outcomes[county.slug].folder / "layout.gpkg", layer=layer)
            if "origin" in frame.columns:  # a neighbour's clinic in a county's halo is listed by its own county
                frame = frame[frame["origin"] != "neighbour"]
            for column in SITE_ID_COLUMNS & set(frame.columns):
                ids = frame[column].astype("string")
                frame[column] = ids.where(~ids.str.startswith(NEW_SITE_PREFIX, na=False), county.slug + "/" + ids)
            if "cell_id" in frame.columns:
                frame["cell_id"] = county.slug + "/" + frame["cell_id"].astype("string")
            frames.append(frame.assign(county=county.name))
        merged = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
        merged.to_file(path, layer=layer, driver="GPKG")
