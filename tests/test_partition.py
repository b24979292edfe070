"""region.partition: the counties of a region run on a 2-process Dask LocalCluster and merge.

The truth each result is checked against is independent of Dask and of the merge: each county's scenario
run in this process by the ordinary pipeline (the sequential per-county run, halo 0), the people of the
whole region, and percentiles recomputed here with numpy.
"""

from __future__ import annotations

import json
import os
import re
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
    lines: list[tuple] = []
    comparison = compare(
        [first, second],
        tmp_path / "cmp",
        scheduler=runs["scheduler"],
        county_progress=lambda c, o, *counts: lines.append((c.name, o.status, *counts)),
    )
    # Progress told each county of each scenario: finished / waiting or running / failed / total.
    assert [line[1:] for line in lines] == [("reused", n, 0, 0, 4) for n in (1, 2, 3, 4)] * 2
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


@pytest.fixture(scope="module")
def halo_runs(region: Path, runs: dict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The counties with a 5 km halo, run one by one in this process until one of them has people served by a
    neighbour's clinic across its border."""
    from facility_layout.partition import split_counties
    from facility_layout.pipeline import run

    base = tmp_path_factory.mktemp("halo")
    raw = runs["scenario"]
    scenario = raw.model_copy(
        update={
            "region": raw.region.model_copy(
                update={"partition": raw.region.partition.model_copy(update={"halo_km": 5.0})}
            ),
            "cache": raw.cache.model_copy(update={"dir": base / "cache"}),
        }
    )
    for county in split_counties(scenario):
        out = run(county.scenario, base / county.slug).out_dir
        if (
            json.loads((out / "summary.json").read_text())
            .get("cross_border", {})
            .get("population_served_by_neighbours")
        ):
            return {"scenario": scenario, "county": county, "out": out}
    pytest.fail("no county of the demo region has people served across its border with a 5 km halo")


def test_halo_lets_people_use_a_neighbours_clinic_across_the_border(region: Path, runs: dict, halo_runs: dict) -> None:
    """A cell of the county served by a neighbour's clinic with the halo: that clinic lies outside the county
    and within 5 km of it, the travel minutes recomputed on the whole region's road graph (no partition code)
    are no more than the county's (the county sees fewer roads) and within the standard; without the halo
    the same cell is served from the county's own sites. The neighbour's clinic is not counted as the
    county's, nor its keep cost."""
    from facility_layout.inputs import read_region
    from facility_layout.network import build_road_network, travel_graph
    from facility_layout.pipeline import travel_cutoffs
    from facility_layout.scenario import load_scenario
    from facility_layout.terrain import Elevation
    from facility_layout.traveltime import graphs_for, region_travel

    county, out = halo_runs["county"], halo_runs["out"]
    own_area = gpd.read_file(county.scenario.region.boundary).to_crs(county.scenario.region.crs).union_all()
    facilities = gpd.read_file(out / "layout.gpkg", layer="facilities")
    demand = gpd.read_file(out / "layout.gpkg", layer="demand")
    neighbours = facilities[facilities["origin"] == "neighbour"]
    served = demand[demand["clinic_site_id"].isin(set(neighbours["site_id"]))].sort_values("clinic_minutes")
    cell = served.iloc[0]
    clinic = neighbours.set_index("site_id").loc[cell["clinic_site_id"]]
    clinic_point = gpd.GeoSeries([clinic.geometry], crs=facilities.crs).to_crs(county.scenario.region.crs).iloc[0]
    assert not own_area.contains(clinic_point) and own_area.distance(clinic_point) <= 5_000.0

    whole = load_scenario(runs["scenario"].source).model_copy()
    whole = whole.model_copy(update={"region": whole.region.model_copy(update={"partition": None})})
    inputs = read_region(whole)
    network = build_road_network(inputs.roads, inputs.crs)
    elevation = Elevation.from_raster(inputs.elevation, inputs.crs)
    modes = whole.travel.modes
    graphs = {
        kind: travel_graph(network, kind, whole.travel, elevation, inputs.closed_areas)
        for kind in sorted(graphs_for([modes.village_clinic, modes.township_centre, modes.referral]))
    }
    cell_xy = gpd.GeoSeries([cell.geometry], crs=demand.crs).to_crs(inputs.crs).iloc[0]
    clinic_xy = gpd.GeoSeries([clinic.geometry], crs=facilities.crs).to_crs(inputs.crs).iloc[0]
    xy = (np.array([clinic_xy.x, clinic_xy.x]), np.array([clinic_xy.y, clinic_xy.y]))
    travel = region_travel(
        network,
        graphs,
        (np.array([cell_xy.x]), np.array([cell_xy.y])),
        xy,
        np.array([1]),
        whole.travel,
        elevation,
        travel_cutoffs(whole),
    )
    pairs = travel.demand_to_site
    region_minutes = float(pairs.minutes[(pairs.origin == 0) & (pairs.destination == 0)][0])
    standard = whole.tiers.village_clinic.max_travel_minutes
    # The whole region's graph finds the same minutes: the 5 km halo holds the fastest route to that clinic.
    assert cell["clinic_minutes"] == pytest.approx(region_minutes, abs=0.01) and cell["clinic_minutes"] <= standard

    without = gpd.read_file(runs["sequential"][county.slug] / "layout.gpkg", layer="demand").set_index("cell_id")
    theirs = gpd.read_file(runs["sequential"][county.slug] / "layout.gpkg", layer="facilities").set_index("site_id")
    site = without.loc[cell["cell_id"], "clinic_site_id"]
    if site:  # served without the halo: by a site of the county's own
        point = gpd.GeoSeries([theirs.loc[site].geometry], crs=theirs.crs).to_crs(inputs.crs).iloc[0]
        assert own_area.distance(point) <= 1_000.0 and theirs.loc[site, "origin"] != "neighbour"

    summary = json.loads((out / "summary.json").read_text())
    own = facilities[facilities["origin"] != "neighbour"]
    kept = own[(own["tier"] == "village_clinic") & (own["decision"] == "keep")]
    assert summary["facilities"]["village_clinic"]["keep"] == len(kept)
    people = demand.loc[demand["clinic_site_id"].isin(set(neighbours["site_id"])), "population"].sum()
    assert summary["cross_border"]["population_served_by_neighbours"] == pytest.approx(people, abs=0.05)
    assert summary["cross_border"]["neighbour_clinics"] == len(neighbours)
    keep_cost = whole.tiers.village_clinic.keep_cost
    build_cost = whole.tiers.village_clinic.build_cost
    built = own[(own["tier"] == "village_clinic") & (own["decision"] == "build")]
    expected = keep_cost * len(kept) + build_cost * len(built)
    closed = own[(own["tier"] == "village_clinic") & (own["decision"] == "close")]
    expected += whole.tiers.village_clinic.close_cost * len(closed)
    assert summary["cost"] == pytest.approx(expected)


def test_partition_areas_split_by_a_county_file_keeping_townships(region: Path, tmp_path: Path) -> None:
    """``region.partition.areas``: the demo's 4 townships grouped two by two into 2 counties (a file written
    here). The split follows the county file, each county keeps the townships as its admin areas, and every
    settlement goes to the county whose polygon holds it (checked with shapely on the original files)."""
    from facility_layout.errors import InputError
    from facility_layout.partition import split_counties
    from facility_layout.scenario import load_scenario

    townships = gpd.read_file(region / "admin_areas.geojson")
    group = [i // 2 for i in range(len(townships))]
    counties = townships.assign(code=[f"c{g}" for g in group]).dissolve(by="code").reset_index()
    counties["name"] = [f"县 {code}" for code in counties["code"]]
    county_file = tmp_path / "counties.geojson"
    counties[["name", "code", "geometry"]].to_file(county_file, driver="GeoJSON")

    def edit(raw: dict) -> None:
        raw["region"]["partition"] = {"by": "admin_areas", "halo_km": 0, "areas": str(county_file)}
        raw["tiers"]["township_centre"]["central_count"] = 1
        raw["cache"] = {"dir": str(tmp_path / "cache")}

    scenario = load_scenario(scenario_on_region(region, tmp_path / "s.yaml", tmp_path / "out", edit))
    split = split_counties(scenario)
    assert [c.name for c in split] == list(counties["name"])
    settlements = gpd.read_file(region / "settlements.geojson")
    for county, polygon in zip(split, counties.geometry, strict=True):
        assert county.scenario.region.admin_areas.file == region / "admin_areas.geojson"
        own = gpd.read_file(county.scenario.inputs.settlements.file)
        inside = settlements[settlements.within(polygon)]
        assert sorted(own["name"]) == sorted(inside["name"])

    def bad(raw: dict) -> None:
        edit(raw)
        raw["region"]["partition"]["areas"] = {"file": str(county_file), "name_field": "xian"}

    broken = load_scenario(scenario_on_region(region, tmp_path / "b.yaml", tmp_path / "out", bad))
    with pytest.raises(InputError, match=r"region\.partition\.areas\.name_field"):
        split_counties(broken)


def test_windowed_raster_read_gives_the_same_people(region: Path) -> None:
    """Each township's window of the population raster holds the same demand points as the whole file
    (read without a window), in a smaller array."""
    from facility_layout.demand import demand_points
    from facility_layout.inputs import read_raster

    whole = read_raster(region / "population.tif", "inputs.population")
    townships = gpd.read_file(region / "admin_areas.geojson")
    crs = townships.estimate_utm_crs()
    for i in range(len(townships)):
        boundary = townships.iloc[[i]]
        near = tuple(boundary.to_crs(crs).buffer(2_000).to_crs("EPSG:4326").total_bounds)
        part = read_raster(region / "population.tif", "inputs.population", near)
        assert part.values.size < whole.values.size
        a, b = (demand_points(r, boundary, crs, 500.0) for r in (whole, part))
        assert list(a.cell_id) == list(b.cell_id)
        np.testing.assert_allclose(a.population, b.population)
        np.testing.assert_allclose(a.x, b.x)


def test_county_lines_and_region_figures_in_chinese(runs: dict, tmp_path: Path, capsys) -> None:
    """Under zh-CN a partitioned run prints Chinese: each county's line (done; failed with the message its task
    gave, in the region's language) and the region's figures; no English word but names, keys and paths."""
    from dataclasses import replace

    from facility_layout.cli import _CountyLines, _print_partitioned
    from facility_layout.distributed import run_county
    from facility_layout.i18n import translator
    from facility_layout.partition import split_counties

    from english import english_words

    scenario = runs["scenario"].in_language("zh-CN")
    county = split_counties(scenario)[0]  # the split is cached: its key leaves the language out
    facilities = county.scenario.inputs.facilities.model_copy(update={"file": tmp_path / "gone.geojson"})
    inputs = county.scenario.inputs.model_copy(update={"facilities": facilities})
    broken = replace(county, scenario=county.scenario.model_copy(update={"inputs": inputs}))
    failed = run_county(broken, tmp_path / "county")
    assert failed.status == "failed" and failed.error == "InputError"
    assert "inputs.facilities.file" in failed.message and "文件不存在" in failed.message, failed.message

    _ = translator("zh-CN")
    lines = _CountyLines(_)
    result = runs["result"]
    names = {c.slug: c.name for c in split_counties(runs["scenario"])}
    done = list(result.outcomes.items())
    for finished, (slug, outcome) in enumerate(done, start=1):
        lines(replace(county, name=names[slug]), outcome, finished, len(done) - finished, 0, len(done) + 1)
    lines(county, failed, len(done) + 1, 0, 1, len(done) + 1)
    _print_partitioned(result, _)
    captured = capsys.readouterr()
    printed = " ".join((captured.out + captured.err).split())
    assert f"失败 {county.name}：inputs.facilities.file" in printed, printed
    assert f"完成 {names[done[0][0]]}（" in printed and "［已结束 5/5，等待或运行中 0，失败 1］" in printed, printed
    assert "个县：计算 4 个，沿用 0 个，失败 0 个" in printed and "求解器：" in printed, printed
    county_words = {w for name in names.values() for w in name.split()}
    assert english_words(re.sub(r"\S*/\S*", " ", printed), county_words) == set(), printed


def _child_peak(queue) -> None:
    from facility_layout.distributed import peak_rss_bytes

    queue.put(peak_rss_bytes())


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_spawned_worker_reports_its_own_peak_memory_not_its_parents() -> None:
    # Dask's nanny spawns workers (fork + exec): ru_maxrss would carry this process's 300 MB peak into them.
    import multiprocessing

    ballast = np.ones(300 * 2**20 // 8)
    ballast += 1  # touched, so resident
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child_peak, args=(queue,))
    child.start()
    peak = queue.get(timeout=60)
    child.join()
    assert 0 < peak < 250 * 2**20, peak  # a bare interpreter with numpy: well under the parent's ballast
    del ballast
