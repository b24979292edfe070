"""Compare layouts of one region: run each scenario, read its outputs back, and tabulate what differs.

``facility-layout compare A.yaml B.yaml …`` runs every scenario through the usual pipeline (each layout's
outputs go into ``DIR/<scenario file name>/``), then writes the comparison tables as CSV and as one
self-contained ``report.html`` (:mod:`facility_layout.report`). Like a run, a comparison is assembled in a
temporary folder beside ``DIR`` and moved into place only when complete, so a failure leaves no
half-written folder and any previous ``DIR`` untouched.

The tables are computed from the files each run wrote (``summary.json``, ``layout.gpkg``), so they say
exactly what the layouts' own maps and CSVs say (:mod:`facility_layout.comparison`). docs/compare.md
explains each table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np

from facility_layout.brief import write_comparison_brief
from facility_layout.candidates import NEW_SITE
from facility_layout.comparison import Comparison, Layout, comparison_tables
from facility_layout.cross_conditions import cross_conditions
from facility_layout.distributed import Engine
from facility_layout.distributed import Progress as CountyProgress
from facility_layout.errors import Message, ScenarioError
from facility_layout.evaluate import not_built_reason
from facility_layout.folders import claim_output_folder, protected_places
from facility_layout.i18n import Translator, translator
from facility_layout.outputs import RUN_NAMES, write_csv
from facility_layout.pipeline import Progress, RunResult
from facility_layout.pipeline import run as run_layout
from facility_layout.province import COUNTIES_FOLDER, province_names, run_partitioned
from facility_layout.report import render_report
from facility_layout.scenario import Scenario, load_scenario

CSV_FILES = (
    "headline.csv",
    "cumulative_minutes.csv",
    "changes.csv",
    "remote.csv",
    "admin_areas.csv",
    "cross_conditions.csv",
)

# Called as on_scenario(position, count, name, scenario) before each scenario runs (position from 1).
ScenarioStart = Callable[[int, int, str, Scenario], None]


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
    county_progress: CountyProgress | None = None,
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
        it (default ``$DASK_SCHEDULER_ADDRESS``, else a LocalCluster): one engine for all of them, started
        at the first county to compute; the others run here as usual (their model, in memory, gives the
        reasons of unbuilt sites and the cross-conditions table).
    force : bool
        Write into an existing folder the tool did not write, replacing only its own output names there.
    language : str, optional
        Overrides each scenario's ``outputs.language`` (``--lang``).
    county_progress : callable, optional
        Told each county's outcome in the partitioned scenarios, see :data:`facility_layout.distributed.Progress`.

    Returns
    -------
    Comparison
        The tables, as written.

    Raises
    ------
    FacilityLayoutError
        A scenario that cannot be compared or run; nothing is written then.
    """
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
    # One engine for every partitioned scenario, its LocalCluster sized for all their counties.
    n_counties = sum(len(names[n][COUNTIES_FOLDER]) for n, s in scenarios.items() if s.region.partition is not None)
    with claim as folder, folder.staging() as staging, Engine(scheduler, n_counties) as engine:
        layouts, runs = [], {}
        for position, (name, scenario) in enumerate(scenarios.items(), start=1):
            if on_scenario is not None:
                on_scenario(position, len(scenarios), name, scenario)
            if scenario.region.partition is not None:
                # The counties ran on Dask workers: the layout is read back from its files, with no model
                # at hand for the reasons of unbuilt sites or the cross-conditions table.
                run_partitioned(scenario, staging / name, scheduler, county_progress, engine=engine)
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
        if layouts[0].scenario.outputs.brief.enabled:
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
