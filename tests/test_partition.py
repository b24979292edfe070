"""region.partition: the counties of a region run on a 2-process Dask LocalCluster and merge.

The truth each result is checked against is independent of Dask and of the merge: each county's scenario
run in this process by the ordinary pipeline (the sequential per-county run, halo 0), the people of the
whole region, and percentiles recomputed here with numpy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cloudpickle
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import worker_killer

from conftest import REPO, DemoRun, scenario_on_region

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


@pytest.fixture(scope="module")
def region(demo_run: DemoRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated demo county, copied (tests here change its files); its 4 townships are the counties."""
    folder = tmp_path_factory.mktemp("partition") / "region"
    shutil.copytree(demo_run.data_root / "demo", folder)
    return folder


def partitioned_scenario(region: Path, folder: Path, cache: Path) -> Path:
    def edit(raw: dict) -> None:
        raw["region"]["partition"] = {"by": "admin_areas", "halo_km": 0}
        raw["tiers"]["township_centre"]["central_count"] = 1  # each township has one centre
        raw["cache"] = {"dir": str(cache)}
        raw["map"] = {"basemap": "none", "relief": False}

    return scenario_on_region(region, folder / "scenario.yaml", folder / "out", edit)


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local,
        Client(local) as client,
    ):
        yield local, client


@pytest.fixture(scope="module")
def runs(region: Path, cluster, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The partitioned run (a worker killed mid-task), then the sequential per-county runs."""
    from facility_layout.partition import split_counties
    from facility_layout.pipeline import run
    from facility_layout.province import run_partitioned
    from facility_layout.scenario import load_scenario

    local, client = cluster
    base = tmp_path_factory.mktemp("runs")
    scenario = load_scenario(partitioned_scenario(region, base, base / "cache"))
    marker = base / "killed"
    cloudpickle.register_pickle_by_value(worker_killer)
    client.register_plugin(worker_killer.KillFirstTaskWorker(marker), name="killer")
    lines: list[tuple[str, str, int, int, int, int]] = []
    try:
        result = run_partitioned(
            scenario,
            scheduler=local.scheduler_address,
            progress=lambda c, o, *counts: lines.append((c.name, o.status, *counts)),
        )
    finally:
        client.unregister_worker_plugin("killer")
    sequential = {}
    for county in split_counties(scenario):
        sequential[county.slug] = run(county.scenario, base / "sequential" / county.slug).out_dir
    return {
        "scenario": scenario,
        "result": result,
        "sequential": sequential,
        "marker": marker,
        "lines": lines,
        "scheduler": local.scheduler_address,
    }


def test_a_worker_was_killed_mid_task(runs: dict) -> None:
    pid, key = runs["marker"].read_text().split()
    assert key.startswith("county-")
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid), 0)  # that worker process is gone; its county was rerun elsewhere
    assert all(status == "done" for _, status, *_ in runs["lines"])


def test_partitioned_equals_sequential_per_county(runs: dict) -> None:
    out = runs["result"].out_dir
    sequential = runs["sequential"]
    assert len(sequential) == 4
    for slug, folder in sequential.items():
        ours = pd.read_csv(out / "counties" / slug / "facilities.csv").set_index("site_id")
        theirs = pd.read_csv(folder / "facilities.csv").set_index("site_id")
        assert ours["decision"].to_dict() == theirs["decision"].to_dict(), slug
        a = json.loads((out / "counties" / slug / "summary.json").read_text())
        b = json.loads((folder / "summary.json").read_text())
        for key in ("population_total", "population_covered", "facilities", "cost", "travel_minutes"):
            assert a[key] == b[key], (slug, key)


def test_merged_figures_recomputed_from_the_counties(runs: dict) -> None:
    out = runs["result"].out_dir
    summary = json.loads((out / "summary.json").read_text())
    seq = [json.loads((f / "summary.json").read_text()) for f in runs["sequential"].values()]
    assert summary["population_total"] == pytest.approx(sum(s["population_total"] for s in seq), abs=0.05)
    # Each person counted once: the counties' people are the region's 120,000 (generator's total).
    assert summary["population_total"] == pytest.approx(120_000, abs=1)
    assert summary["cost"] == pytest.approx(sum(s["cost"] for s in seq))
    demand = pd.concat([pd.read_csv(f / "demand.csv") for f in runs["sequential"].values()])
    reached = demand[np.isfinite(demand["clinic_minutes"]) & (demand["population"] > 0)].sort_values("clinic_minutes")
    share = np.cumsum(reached["population"]) / reached["population"].sum()
    p95 = reached["clinic_minutes"].to_numpy()[np.searchsorted(share.to_numpy(), 0.95)]
    assert summary["travel_minutes"]["village_clinic"]["p95"] == pytest.approx(p95, abs=0.01)
    assert summary["counties_count"] == {"done": 4, "reused": 0, "failed": 0}
    facilities = gpd.read_file(out / "layout.gpkg", layer="facilities")
    assert len(facilities) == sum(len(pd.read_csv(f / "facilities.csv")) for f in runs["sequential"].values())
    assert facilities["site_id"].is_unique  # no site decided twice
    assert set(facilities["county"]) == {c["name"] for c in summary["counties"]}
    for entry in summary["counties"]:  # each county's own solver block, every stage kept
        own = json.loads((out / "counties" / entry["slug"] / "summary.json").read_text())["solver"]
        assert entry["solver"] == own and set(own["stages"]) == {"clinic_layout", "central_centres"}
    assert summary["solver"]["proven_optimal"] is all(e["solver"]["proven_optimal"] for e in summary["counties"])
    index = (out / "index.html").read_text()
    for entry in summary["counties"]:
        assert (out / entry["map"]).is_file() and f'href="{entry["map"]}"' in index
    assert len(pd.read_csv(out / "counties.csv")) == 4


def test_rerun_reuses_every_county(runs: dict) -> None:
    from facility_layout.distributed import result_folder
    from facility_layout.partition import split_counties
    from facility_layout.province import run_partitioned

    scenario = runs["scenario"]
    counties = split_counties(scenario)
    before = {c.slug: (result_folder(scenario, c) / "summary.json").stat().st_mtime_ns for c in counties}
    again = run_partitioned(scenario, scheduler=runs["scheduler"])
    assert again.summary["counties_count"] == {"done": 0, "reused": 4, "failed": 0}
    after = {c.slug: (result_folder(scenario, c) / "summary.json").stat().st_mtime_ns for c in counties}
    assert after == before


def test_a_broken_county_fails_alone_by_name(runs: dict, region: Path, tmp_path: Path) -> None:
    """One township loses its township centre: the CLI names it, finishes the others and exits 2."""
    broken = tmp_path / "region"
    shutil.copytree(region, broken)
    facilities = gpd.read_file(broken / "facilities.geojson")
    areas = gpd.read_file(broken / "admin_areas.geojson")
    victim = areas.iloc[0]
    centre = (facilities["tier"] == 2) & facilities.within(victim.geometry)
    assert centre.sum() == 1
    facilities[~centre].to_file(broken / "facilities.geojson", driver="GeoJSON")
    cache = runs["scenario"].cache.folder()
    path = partitioned_scenario(broken, tmp_path, cache)
    done = subprocess.run(
        [sys.executable, "-m", "facility_layout.cli", "run", str(path), "--scheduler", runs["scheduler"]],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert done.returncode == 2, done.stderr
    assert f"failed {victim['name']}: inputs.facilities" in " ".join(done.stderr.split())
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["counties_failed"] == [victim["name"]]
    # The three intact counties have the same clipped inputs as before: their results are reused.
    assert summary["counties_count"] == {"done": 0, "reused": 3, "failed": 1}
    assert not (tmp_path / "out" / "counties" / summary["counties"][0]["slug"]).exists()


def test_compare_runs_partitioned_scenarios_through_the_engine(runs: dict, tmp_path: Path) -> None:
    """Two partitioned variants of one region: each merged run reuses the counties computed above (same
    keys), and the comparison's headline carries the merged figures."""
    from facility_layout.compare import compare

    first = Path(runs["scenario"].source)
    second = tmp_path / "again.yaml"
    second.write_text(f"extends: {first}\n")
    comparison = compare([first, second], tmp_path / "cmp", scheduler=runs["scheduler"])
    merged = json.loads((runs["result"].out_dir / "summary.json").read_text())
    for _, row in comparison.headline.iterrows():
        assert row["population_total"] == pytest.approx(merged["population_total"])
        assert row["village_clinic_within_standard"] == pytest.approx(merged["population_covered"]["village_clinic"])
        assert row["cost"] == pytest.approx(merged["cost"])
    for name in ("scenario", "again"):
        summary = json.loads((tmp_path / "cmp" / name / "summary.json").read_text())
        assert summary["counties_count"] == {"done": 0, "reused": 4, "failed": 0}


def test_province_folder_of_the_planners_is_refused_without_force_and_kept_with_it(runs: dict, tmp_path: Path) -> None:
    """A folder holding a planner's file is refused before any county is split or run; with --force the
    province's outputs are written beside the file, which stays as it was, and the marker lists only the
    tool's files."""
    from facility_layout.errors import InputError
    from facility_layout.folders import MARKER, read_marker
    from facility_layout.province import run_partitioned

    out = tmp_path / "plans"
    out.mkdir()
    (out / "notes.txt").write_text("=SUM(A1) the planner's own notes\n")
    fresh_cache = tmp_path / "fresh-cache"
    fresh = runs["scenario"].model_copy(
        update={"cache": runs["scenario"].cache.model_copy(update={"dir": fresh_cache})}
    )
    with pytest.raises(InputError, match="did not write") as refused:
        run_partitioned(fresh, out, scheduler=runs["scheduler"])
    assert "notes.txt" in str(refused.value) and "--force" in str(refused.value)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert not fresh_cache.exists()  # refused before the split clipped anything, before any county ran

    result = run_partitioned(runs["scenario"], out, scheduler=runs["scheduler"], force=True)
    assert result.kept == ("notes.txt",)
    assert (out / "notes.txt").read_text() == "=SUM(A1) the planner's own notes\n"
    files = ["counties", "counties.csv", "index.html", "layout.gpkg", "summary.json"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*files, MARKER, "notes.txt"])
    assert read_marker(out)["files"] == files
    slugs = [c["slug"] for c in result.summary["counties"]]
    assert sorted(read_marker(out / "counties")["files"]) == sorted(slugs)
    assert not list(tmp_path.glob(".plans*"))  # no staging folder nor lock left beside it


def test_province_solver_is_the_least_proven_countys() -> None:
    """Three counties' solver blocks (as their summary.json has them): the region's headline and each stage
    are the least proven county's, worked out by hand."""
    from facility_layout.province import province_solver

    def stage(status: str, gap: float | None, seconds: float, note: str | None = None) -> dict:
        proven = status in ("optimal", "not_needed")
        return {
            "name": "cbc",
            "status": status,
            "proven_optimal": proven,
            "objective": 10.0,
            "bound": 10.0 if proven else None,
            "gap": gap,
            "seconds": seconds,
            "variables": 5,
            "constraints": 7,
            "note": note,
        }

    def county(clinic: dict, central: dict, headline: dict) -> dict:
        return headline | {"time_limit_s": 60.0, "stages": {"clinic_layout": clinic, "central_centres": central}}

    blocks = {
        "A": county(stage("optimal", 0.0, 1.0), stage("not_needed", 0.0, 0.0), stage("optimal", 0.0, 1.0)),
        "B": county(
            stage("within_gap", 0.01, 2.0),
            stage("feasible", 0.03, 3.0, "greedy start"),
            stage("feasible", 0.03, 5.0, "central_centres: greedy start"),
        ),
        "C": county(stage("feasible", 0.02, 4.0), stage("optimal", 0.0, 1.0), stage("feasible", 0.02, 5.0)),
    }
    solver = province_solver(blocks)
    assert solver["status"] == "feasible" and solver["proven_optimal"] is False
    assert solver["least_proven_county"] == "B" and solver["counties_not_proven"] == 2
    assert solver["gap"] == 0.03 and solver["seconds"] == 11.0
    assert solver["objective"] is None and solver["bound"] is None  # the counties solve separate problems
    assert solver["note"] == "B: central_centres: greedy start"
    clinic, central = solver["stages"]["clinic_layout"], solver["stages"]["central_centres"]
    assert (clinic["status"], clinic["gap"], clinic["seconds"]) == ("feasible", 0.02, 7.0)
    assert (central["status"], central["gap"], central["note"]) == ("feasible", 0.03, "B: greedy start")
    proven = province_solver({"A": blocks["A"]})
    assert proven["status"] == "optimal" and proven["gap"] == 0.0 and proven["least_proven_county"] is None
