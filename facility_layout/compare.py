"""Compare layouts of one region: run each scenario, read its outputs back, and tabulate what differs.

``facility-layout compare A.yaml B.yaml …`` runs every scenario through the usual pipeline (each layout's
outputs go into ``DIR/<scenario file name>/``), then writes the comparison tables as CSV and as one
self-contained ``report.html`` (:mod:`facility_layout.report`). Like a run, a comparison is assembled in a
temporary folder beside ``DIR`` and moved into place only when complete, so a failure leaves no
half-written folder and any previous ``DIR`` untouched.

The tables are computed from the files each run wrote (``summary.json``, ``layout.gpkg``), so they say
exactly what the layouts' own maps and CSVs say. docs/compare.md explains each table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from facility_layout.candidates import NEW_SITE
from facility_layout.cross_conditions import cross_conditions
from facility_layout.errors import Message, ScenarioError
from facility_layout.evaluate import not_built_reason
from facility_layout.figures import minutes_figures
from facility_layout.folders import claim_output_folder, protected_places
from facility_layout.i18n import Translator, translator
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC, read_admin_areas
from facility_layout.outputs import RUN_NAMES, write_csv
from facility_layout.pipeline import Progress, RunResult
from facility_layout.pipeline import run as run_layout
from facility_layout.province import province_names, run_partitioned
from facility_layout.scenario import Scenario, load_scenario

TIERS = (VILLAGE_CLINIC, TOWNSHIP_CENTRE)
# Scenario keys of each tier's travel standard in summary.json's `standards`.
STANDARD_KEYS = {VILLAGE_CLINIC: "village_clinic_max_minutes", TOWNSHIP_CENTRE: "township_centre_max_minutes"}
# The cumulative curves are tabulated every half minute: smooth on a chart, short in a spreadsheet.
CURVE_STEP_MINUTES = 0.5
# A site a layout does not list: a new candidate site that layout did not build.
NOT_BUILT = "not built"
OUTSIDE_AREAS = "(outside every area)"
CSV_FILES = (
    "headline.csv",
    "cumulative_minutes.csv",
    "changes.csv",
    "remote.csv",
    "admin_areas.csv",
    "cross_conditions.csv",
)
# The headline's first row: today's layout, under the first scenario's conditions.
TODAY = "today"

# Called as on_scenario(position, count, name, scenario) before each scenario runs (position from 1).
ScenarioStart = Callable[[int, int, str, Scenario], None]


@dataclass(frozen=True)
class Layout:
    """One scenario's layout as its run wrote it.

    Attributes
    ----------
    name : str
        The scenario file's name without ``.yaml``; its outputs are in ``DIR/<name>/``.
    scenario : Scenario
        The scenario as loaded.
    summary : dict
        ``summary.json``.
    demand, facilities, boundary : geopandas.GeoDataFrame
        Layers of ``layout.gpkg`` (see :class:`facility_layout.evaluate.LayoutTables`).
    not_built_reasons : dict
        Why each new site the layout does not build is not built, by site id (the files list built sites only).
    """

    name: str
    scenario: Scenario
    summary: dict[str, Any]
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame
    not_built_reasons: dict[str, str] = field(default_factory=dict)

    def standard(self, tier: str) -> float:
        """The tier's travel standard in minutes, as the run applied it."""
        return float(self.summary["standards"][STANDARD_KEYS[tier]])


@dataclass(frozen=True)
class Comparison:
    """The tables of a comparison; each is also written as the CSV named after it.

    Attributes
    ----------
    layouts : list of Layout
        In the order given; the first one defines the remote people.
    headline : pandas.DataFrame
        One row per layout: decisions, cost, people within each standard, minutes, solver status and gap.
    cumulative : pandas.DataFrame
        ``minutes`` and, per layout and tier, the people within that many minutes (NaN beyond the tier's
        standard, where the run computed no trips).
    changes : pandas.DataFrame
        Sites whose decision differs between layouts: ``site_id``, ``name``, ``tier`` and per layout
        ``decision``, ``merged_into`` and ``reason``.
    remote : pandas.DataFrame
        One row per layout: the same remote people, how many reach a village clinic within the standard and
        their minutes.
    admin_areas : pandas.DataFrame or None
        One row per area and layout, when the scenario gives ``region.admin_areas``.
    remote_definition : str
        Who the remote people are, in words, for the report.
    cross_conditions : pandas.DataFrame or None
        Every layout under every scenario's conditions (:mod:`facility_layout.cross_conditions`); None when
        the comparison is built from files alone.
    kept : tuple of str
        Files found in the comparison's folder that the tool did not write; they stay untouched.
    """

    layouts: list[Layout]
    headline: pd.DataFrame
    cumulative: pd.DataFrame
    changes: pd.DataFrame
    remote: pd.DataFrame
    admin_areas: pd.DataFrame | None
    remote_definition: str
    cross_conditions: pd.DataFrame | None = None
    kept: tuple[str, ...] = ()  # files in the comparison's folder the tool did not write, left untouched


def load_scenarios(
    paths: Sequence[Path], data_root: str | Path | None = None, encoding: str | None = None
) -> dict[str, Scenario]:
    """Load the scenarios to compare (``encoding``: of their files, default detected), by name, and check that
    they can be compared.

    Raises
    ------
    ScenarioError
        Fewer than two scenarios, two with the same name (their outputs would share a folder), or scenarios of
        different regions; the message names the files and the fix.
    """
    if len(paths) < 2:
        given = ", ".join(map(str, paths)) or Message("none")
        raise ScenarioError(
            "compare needs at least two scenarios, got {n_paths} ({given}). Fix: give two or more scenario files, "
            "e.g. scenarios/demo.yaml scenarios/demo_rainy.yaml.",
            n_paths=len(paths),
            given=given,
        )
    by_name: dict[str, Path] = {}
    for path in map(Path, paths):
        if path.stem in by_name:
            raise ScenarioError(
                "{by_name} and {path}: two scenarios named {stem!r}; each layout goes into a folder named after "
                "its scenario file. Fix: give each scenario file its own name.",
                by_name=by_name[path.stem],
                path=path,
                stem=path.stem,
            )
        by_name[path.stem] = path
    scenarios = {name: load_scenario(path, data_root, encoding) for name, path in by_name.items()}
    first_name, first = next(iter(scenarios.items()))
    for name, scenario in scenarios.items():
        if (scenario.region.boundary, scenario.region.synthetic) != (first.region.boundary, first.region.synthetic):
            differs = (
                f"region.boundary {first.region.boundary} and {scenario.region.boundary}"
                if scenario.region.boundary != first.region.boundary
                else "other region.synthetic settings for the same files"
            )
            raise ScenarioError(
                "{by_name} and {by_name2}: scenarios of different regions ({differs}); their layouts cannot be "
                "compared cell by cell. Fix: compare scenarios of one region, e.g. by letting each extend the same "
                "base scenario.",
                by_name=by_name[first_name],
                by_name2=by_name[name],
                differs=differs,
            )
    return scenarios


def compare(
    paths: Sequence[Path],
    out_dir: Path,
    *,
    data_root: str | Path | None = None,
    map_pair: tuple[str, str] | None = None,
    progress: Progress | None = None,
    on_scenario: ScenarioStart | None = None,
    encoding: str | None = None,
    scheduler: str | None = None,
    force: bool = False,
    language: str | None = None,
) -> Comparison:
    """Run each scenario and write its layout, the comparison CSVs and ``report.html`` into ``out_dir``.

    Parameters
    ----------
    paths : sequence of Path
        Scenario files, at least two, of one region; the first is the reference for the remote people.
    out_dir : Path
        Folder of the comparison, checked before any run and locked until the end; once everything is
        written, the files of an earlier comparison there are replaced and any other file is kept (the rules
        of :mod:`facility_layout.folders`).
    data_root : str or Path, optional
        Where relative input paths resolve (see :func:`facility_layout.scenario.resolve_data_root`).
    map_pair : (str, str), optional
        Names of the two layouts shown side by side on maps; default the first two.
    progress : callable, optional
        ``progress(stage, seconds)`` for the stages of each run and for writing the report.
    on_scenario : callable, optional
        ``on_scenario(position, count, name, scenario)`` before each run.
    encoding : str, optional
        Text encoding of the scenario files; default: detected.
    scheduler : str, optional
        Dask scheduler of the partitioned scenarios (``region.partition``), which run county by county on
        it (default ``$DASK_SCHEDULER_ADDRESS``, else a LocalCluster); the others run here as usual.
    force : bool
        Write into an existing folder the tool did not write, replacing only its own output names there.
    language : str, optional
        Overrides each scenario's ``outputs.language`` (``--lang``).

    Returns
    -------
    Comparison
        The tables, as written.

    Raises
    ------
    FacilityLayoutError
        A scenario that cannot be compared or run; nothing is written then.
    """
    from facility_layout.brief import write_comparison_brief  # the briefs import this module's tables
    from facility_layout.report import render_report  # the report imports this module's tables

    scenarios = {name: s.in_language(language) for name, s in load_scenarios(paths, data_root, encoding).items()}
    pair = _map_pair(map_pair, list(scenarios))
    names = dict.fromkeys((*CSV_FILES, "report.html", "brief.pdf")) | {
        name: RUN_NAMES if scenario.region.partition is None else province_names(scenario)
        for name, scenario in scenarios.items()
    }
    protected = [place for scenario in scenarios.values() for place in protected_places(scenario)]
    claim = claim_output_folder(
        out_dir, command="compare", names=names, force=force, field="--out", protected=protected
    )
    with claim as folder, folder.staging() as staging:
        layouts, runs = [], {}
        for position, (name, scenario) in enumerate(scenarios.items(), start=1):
            if on_scenario is not None:
                on_scenario(position, len(scenarios), name, scenario)
            if scenario.region.partition is not None:
                # The counties ran on Dask workers: the layout is read back from its files, with no model
                # at hand for the reasons of unbuilt sites or the cross-conditions table.
                run_partitioned(scenario, staging / name, scheduler)
                layouts.append(read_layout(name, scenario, staging / name))
            else:
                runs[name] = run_layout(scenario, staging / name, progress)
                reasons = not_built_reasons(runs[name], translator(scenario.outputs.language))
                layouts.append(read_layout(name, scenario, staging / name, reasons))
        report_progress = progress or (lambda stage, seconds: None)
        report_progress("report", None)
        start = time.perf_counter()
        cross = cross_conditions(runs) if len(runs) == len(layouts) else None
        comparison = replace(comparison_tables(layouts, cross), kept=folder.kept)
        write_tables(comparison, staging)
        render_report(comparison, staging / "report.html", map_pair=pair)
        write_comparison_brief(staging / "brief.pdf", comparison)
        report_progress("report", time.perf_counter() - start)
    return comparison


def _map_pair(requested: tuple[str, str] | None, names: list[str]) -> tuple[str, str]:
    if requested is None:
        return names[0], names[1]
    unknown = [name for name in requested if name not in names]
    if unknown or requested[0] == requested[1]:
        raise ScenarioError(
            "--maps {requested}: the maps show two different layouts of this comparison ({names}). Fix: name two "
            "of them.",
            requested=" ".join(requested),
            names=", ".join(names),
        )
    return requested


def not_built_reasons(run: RunResult, _: Translator) -> dict[str, str]:
    """Why each new site the run's layout does not build is not built, by site id."""
    assert run.model is not None and run.result is not None and run.sites is not None
    unbuilt = np.flatnonzero((run.sites.kind == NEW_SITE) & ~run.result.open_sites)
    return {str(run.sites.site_id[j]): not_built_reason(run.model, run.result, int(j), _) for j in unbuilt}


def read_layout(name: str, scenario: Scenario, folder: Path, not_built: dict[str, str] | None = None) -> Layout:
    """A layout from the folder its run wrote (``summary.json`` and ``layout.gpkg``), with the reasons its new
    sites are not built when known."""
    gpkg = folder / "layout.gpkg"
    facilities = gpd.read_file(gpkg, layer="facilities")
    # Empty text comes back from the GeoPackage as None; the tables compare and print it as "".
    text = ["name", "merged_into", "reason"]
    facilities[text] = facilities[text].fillna("").astype(str)
    return Layout(
        name=name,
        scenario=scenario,
        summary=json.loads((folder / "summary.json").read_text(encoding="utf-8")),
        demand=gpd.read_file(gpkg, layer="demand"),
        facilities=facilities.astype({"site_id": str}),
        boundary=gpd.read_file(gpkg, layer="boundary"),
        not_built_reasons=not_built or {},
    )


def comparison_tables(layouts: list[Layout], cross: pd.DataFrame | None = None) -> Comparison:
    """Every table of the comparison, from layouts of one region (the first is the reference), with the
    cross-conditions table when the runs are at hand."""
    remote, definition = remote_people(layouts)
    return Comparison(
        layouts=layouts,
        headline=headline(layouts),
        cumulative=cumulative_minutes(layouts),
        changes=facility_changes(layouts),
        remote=remote,
        admin_areas=admin_area_figures(layouts),
        remote_definition=definition,
        cross_conditions=cross,
    )


def write_tables(comparison: Comparison, folder: Path) -> None:
    """The comparison's tables as CSV files in ``folder`` (``admin_areas.csv`` only when areas are given)."""
    tables = {
        "headline.csv": comparison.headline,
        "cumulative_minutes.csv": comparison.cumulative,
        "changes.csv": comparison.changes,
        "remote.csv": comparison.remote,
        "admin_areas.csv": comparison.admin_areas,
        "cross_conditions.csv": comparison.cross_conditions,
    }
    for name, table in tables.items():
        if table is not None:
            write_csv(table, folder / name)


# --- tables -------------------------------------------------------------------------------------------


def headline(layouts: list[Layout]) -> pd.DataFrame:
    """One row per layout: what it decides, what it costs, whom it serves within each standard, who loses
    access to its conditions, and how sure the solver is (``proven_optimal`` false means the layout may be off
    by up to ``gap``).

    ``cost_falls_as_people_leave_standard`` flags a layout that costs less than the first while its conditions
    put people beyond every possible site (they leave the clinic standard's rows, so the plan need not serve
    them): its saving is not a better plan.
    """
    first_cost = float(layouts[0].summary["cost"])
    rows = []
    for layout in layouts:
        s = layout.summary
        access = s["access"]
        newly = (access.get("newly_beyond_every_site") or {}).get("population", 0.0)
        lost = access.get("losing_access") or {}
        solver = s["solver"]
        rows.append(
            _headline_row(layout, layout.name, str(layout.scenario.source), s["objective"], s)
            | {
                "no_facility_reachable": s["travel"]["cut_off"]["population"],
                "reach_computed_clinic_minutes": access["computed_up_to_minutes"][VILLAGE_CLINIC],
                "reach_computed_centre_minutes": access["computed_up_to_minutes"][TOWNSHIP_CENTRE],
                "losing_access_village_clinic": lost.get(VILLAGE_CLINIC, 0.0),
                "losing_access_township_centre": lost.get(TOWNSHIP_CENTRE, 0.0),
                "beyond_every_site_in_conditions": newly,
                "cost_falls_as_people_leave_standard": bool(newly > 0 and float(s["cost"]) < first_cost),
                "solver": solver["name"],
                "solver_status": solver["status"],
                "proven_optimal": bool(solver["proven_optimal"]),
                "gap": solver["gap"],
            }
        )
    return pd.DataFrame(rows)


def today_headline(layout: Layout) -> dict[str, Any]:
    """The headline row of today's layout (every existing facility open, nothing upgraded or built) under the
    conditions and people of ``layout``'s scenario, as its run evaluated it."""
    return _headline_row(layout, TODAY, "", "none: the existing facilities", layout.summary["today"]) | {
        "solver": "none",
        "solver_status": "given",
        "proven_optimal": False,
        "gap": None,
    }


def _headline_row(layout: Layout, name: str, file: str, objective: str, figures: dict[str, Any]) -> dict[str, Any]:
    """Decisions, cost and people within each standard of a layout's ``figures`` (a summary or its today)."""
    s = layout.summary
    total = float(s["population_total"])
    clinics, centres = figures["facilities"][VILLAGE_CLINIC], figures["facilities"][TOWNSHIP_CENTRE]
    row: dict[str, Any] = {
        "scenario": name,
        "file": file,
        "objective": objective,
        "conditions": ", ".join(s["travel"]["conditions"]),
        "population_total": total,
        "clinics_kept": clinics["keep"],
        "clinics_closed": clinics["close"],
        "clinics_built": clinics["build"],
        "centres_kept": centres["keep"],
        "centres_upgraded": centres["upgrade"],
        "cost": figures["cost"],
    }
    for tier in TIERS:
        covered = float(figures["population_covered"][tier])
        minutes = figures["travel_minutes"][tier]
        row |= {
            f"{tier}_standard_minutes": layout.standard(tier),
            f"{tier}_within_standard": covered,
            f"{tier}_within_standard_share": round(covered / total, 4) if total else np.nan,
            f"{tier}_beyond_standard": round(total - covered, 2),
            f"{tier}_minutes_mean": minutes["mean"],
            f"{tier}_minutes_p95": minutes["p95"],
            f"{tier}_minutes_max": minutes["max"],
        }
    return row | {"uncoverable": figures["population_uncoverable"]}


def curve_minutes(layouts: list[Layout], tier: str) -> np.ndarray:
    """The minutes a tier's curves are tabulated at: every half minute up to the largest standard, which is
    always included, so that each curve ends on the people within its standard."""
    top = max(layout.standard(tier) for layout in layouts)
    return np.unique(np.append(np.arange(0.0, top, CURVE_STEP_MINUTES), top))


def cumulative_minutes(layouts: list[Layout]) -> pd.DataFrame:
    """People within each number of minutes of their village clinic (assigned) and of the nearest township
    centre, per layout: one column per layout and tier, named ``<layout>: <tier>``.

    The runs compute trips only up to each standard, so a curve stops (NaN) beyond its layout's standard and
    ends on the people within the standard.
    """
    grid = np.unique(np.concatenate([curve_minutes(layouts, tier) for tier in TIERS]))
    table = {"minutes": grid}
    for layout in layouts:
        people = layout.demand["population"].to_numpy(dtype=float)
        for tier, column in ((VILLAGE_CLINIC, "clinic_minutes"), (TOWNSHIP_CENTRE, "centre_minutes")):
            minutes = layout.demand[column].to_numpy(dtype=float)
            reached = np.isfinite(minutes)
            order = np.argsort(minutes[reached], kind="stable")
            sorted_minutes, within = minutes[reached][order], np.cumsum(people[reached][order])
            count = np.searchsorted(sorted_minutes, grid, side="right")
            curve = np.where(count > 0, within[np.maximum(count - 1, 0)], 0.0)
            table[curve_column(layout.name, tier)] = np.where(grid <= layout.standard(tier), np.round(curve, 2), np.nan)
    return pd.DataFrame(table)


def curve_column(name: str, tier: str) -> str:
    """Column of :func:`cumulative_minutes` holding a layout's curve for a tier."""
    return f"{name}: {tier}"


def facility_changes(layouts: list[Layout]) -> pd.DataFrame:
    """Sites whose decision is not the same in every layout, with each layout's decision, merge and reason.

    A new candidate site appears in a layout only if it is built there; elsewhere its decision is "not built".
    """
    by_site = {layout.name: layout.facilities.set_index("site_id") for layout in layouts}
    reasons = {layout.name: layout.not_built_reasons for layout in layouts}
    sites: dict[str, tuple[str, str]] = {}
    for frame in by_site.values():
        for site_id, name, tier in zip(frame.index, frame["name"], frame["tier"], strict=True):
            sites.setdefault(str(site_id), (str(name), str(tier)))
    rows = []
    for site_id, (name, tier) in sites.items():
        row: dict[str, Any] = {"site_id": site_id, "name": name, "tier": tier}
        for layout_name, frame in by_site.items():
            listed = site_id in frame.index
            row[f"decision: {layout_name}"] = frame.at[site_id, "decision"] if listed else NOT_BUILT
            row[f"merged_into: {layout_name}"] = frame.at[site_id, "merged_into"] if listed else ""
            row[f"reason: {layout_name}"] = (
                frame.at[site_id, "reason"] if listed else reasons[layout_name].get(site_id, "")
            )
        if len({row[f"decision: {n}"] for n in by_site}) > 1:
            rows.append(row)
    per_layout = [f"{key}: {name}" for name in by_site for key in ("decision", "merged_into", "reason")]
    columns = ["site_id", "name", "tier", *per_layout]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["tier", "name", "site_id"], ascending=[False, True, True], ignore_index=True)


def remote_people(layouts: list[Layout]) -> tuple[pd.DataFrame, str]:
    """How each layout serves the same remote people, and the definition of who they are.

    Remote people live in the first layout's demand cells that have no township centre within the village
    clinic standard in that layout (farther than the standard, or beyond the township standard). Every layout
    is measured on these same cells and the first layout's people in them, so the rows compare like with like.
    """
    first = layouts[0]
    standard = first.standard(VILLAGE_CLINIC)
    d = first.demand
    centre = d["centre_minutes"].to_numpy(dtype=float)
    remote = ~(centre <= standard) & (d["population"].to_numpy(dtype=float) > 0)
    cells = d["cell_id"].to_numpy()[remote]
    people = d["population"].to_numpy(dtype=float)[remote]
    total = float(people.sum())
    definition = (
        f"Remote people are those living in demand cells with no township centre within {standard:g} minutes "
        f"(the village clinic standard) in the first layout, {first.name}: {total:,.0f} people in {len(cells):,} "
        "cells. Every layout is measured on these same cells and people, by minutes to its village clinic."
    )
    rows = []
    for layout in layouts:
        own = layout.demand.set_index("cell_id").reindex(cells)  # cells the layout lacks count as unreached
        minutes = own["clinic_minutes"].to_numpy(dtype=float)
        within = float(people[minutes <= layout.standard(VILLAGE_CLINIC)].sum())
        uncoverable = own["uncoverable"].fillna(False).to_numpy(dtype=bool)
        figures = minutes_figures(minutes, people)
        rows.append(
            {
                "scenario": layout.name,
                "remote_people": round(total, 2),
                "within_clinic_standard": round(within, 2),
                "within_clinic_standard_share": round(within / total, 4) if total else np.nan,
                "beyond_clinic_standard": round(total - within, 2),
                "uncoverable": round(float(people[uncoverable].sum()), 2),
                "clinic_minutes_mean": figures["mean"],
                "clinic_minutes_p95": figures["p95"],
                "clinic_minutes_max": figures["max"],
            }
        )
    return pd.DataFrame(rows), definition


def admin_area_figures(layouts: list[Layout]) -> pd.DataFrame | None:
    """Per administrative area (``region.admin_areas`` of the first scenario) and layout: people, people within
    the village clinic standard and their mean minutes. Cells outside every area are a row of their own."""
    first = layouts[0]
    areas = read_admin_areas(first.scenario, first.demand.crs)
    if areas is None:
        return None
    rows = []
    for layout in layouts:
        joined = layout.demand.sjoin(areas, how="left", predicate="within")
        # A cell on the line between two areas joins both: it counts in the first only.
        joined = joined[~joined.index.duplicated(keep="first")]
        area = joined["name"].fillna(OUTSIDE_AREAS)
        for name in [*areas["name"].drop_duplicates(), OUTSIDE_AREAS]:
            inside = (area == name).to_numpy()
            if name == OUTSIDE_AREAS and not inside.any():
                continue
            people = joined["population"].to_numpy(dtype=float)[inside]
            minutes = joined["clinic_minutes"].to_numpy(dtype=float)[inside]
            within = float(people[minutes <= layout.standard(VILLAGE_CLINIC)].sum())
            total = float(people.sum())
            rows.append(
                {
                    "area": name,
                    "scenario": layout.name,
                    "people": round(total, 2),
                    "within_clinic_standard": round(within, 2),
                    "within_clinic_standard_share": round(within / total, 4) if total else np.nan,
                    "clinic_minutes_mean": minutes_figures(minutes, people)["mean"],
                }
            )
    return pd.DataFrame(rows)
