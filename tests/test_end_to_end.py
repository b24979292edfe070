"""The whole pipeline through the CLI, on a small generated county and on Mwali, checking contents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import yaml
from typer.testing import CliRunner

from facility_layout.cli import app
from facility_layout.errors import InputError
from facility_layout.pipeline import run
from facility_layout.scenario import load_scenario

from conftest import scenario_on_region

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def small_demo(tmp_path: Path, **solver: object) -> Path:
    """The demo scenario shrunk to a 14×11 km county, generated under tmp_path/data; ``solver`` overrides."""
    raw = yaml.safe_load((REPO / "scenarios" / "demo.yaml").read_text())
    raw["region"]["synthetic"].update(width_km=14, height_km=11, population_total=30_000, seed=3)
    raw["outputs"]["dir"] = str(tmp_path / "out" / "small")
    raw["solver"].update(solver)
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def check_outputs(out: Path) -> dict:
    """What a planner relies on: summary.json agrees with layout.gpkg, and the layout keeps the rules."""
    summary = json.loads((out / "summary.json").read_text())
    demand = gpd.read_file(out / "layout.gpkg", layer="demand")
    facilities = gpd.read_file(out / "layout.gpkg", layer="facilities")
    referrals = gpd.read_file(out / "layout.gpkg", layer="referrals")
    assignments = gpd.read_file(out / "layout.gpkg", layer="assignments")
    scenario = yaml.safe_load((out / "scenario.resolved.yaml").read_text())
    standard = scenario["tiers"]["village_clinic"]["max_travel_minutes"]

    pop = demand["population"].to_numpy()
    assert summary["population_total"] == pytest.approx(pop.sum(), rel=1e-6)
    covered = demand["clinic_minutes"].notna().to_numpy()
    assert summary["population_covered"]["village_clinic"] == pytest.approx(pop[covered].sum(), rel=1e-6)
    assert summary["population_covered"]["village_clinic"] <= summary["population_total"] + 1e-6
    assert summary["population_uncoverable"] == pytest.approx(pop[demand["uncoverable"].to_numpy()].sum(), rel=1e-6)
    # Everyone coverable is covered (min_cost), and nobody is assigned beyond the standard.
    assert not (~covered & ~demand["uncoverable"].to_numpy() & (pop > 0)).any()
    assert (demand.loc[covered, "clinic_minutes"] <= standard + 1e-9).all()
    assert summary["travel_minutes"]["village_clinic"]["max"] <= standard + 1e-6
    # Counts per decision are the facilities layer's.
    for tier, decisions in summary["facilities"].items():
        for decision, count in decisions.items():
            assert count == int(((facilities["tier"] == tier) & (facilities["decision"] == decision)).sum())
    open_clinics = facilities[(facilities["tier"] == "village_clinic") & facilities["decision"].isin(["keep", "build"])]
    # Every open clinic refers to a centre within the limit, or is listed as a referral violation.
    assert set(referrals["site_id"]) == set(open_clinics["site_id"]) - set(summary["referral_violations"])
    assert (referrals["minutes"] <= scenario["tiers"]["township_centre"]["referral_max_minutes"] + 1e-9).all()
    assert assignments["population"].sum() == pytest.approx(pop[covered].sum(), rel=1e-6)
    assert set(assignments["site_id"]) <= set(facilities.loc[facilities["decision"] != "close", "site_id"])
    # Every closed clinic says where its people go.
    closed = facilities[facilities["decision"] == "close"]
    assert closed["reason"].str.startswith("closed").all()
    assert (facilities["reason"].str.len() > 10).all()
    upgraded = facilities[facilities["decision"] == "upgrade"]
    assert len(upgraded) == scenario["tiers"]["township_centre"]["central_count"]
    assert summary["solver"]["proven_optimal"] is True and summary["solver"]["status"] == "optimal"
    # Every stage proven, each with its own figures, within the run's one time budget.
    stages = summary["solver"]["stages"]
    assert set(stages) == {"clinic_layout", "central_centres"}
    assert all(stage["proven_optimal"] and stage["status"] in {"optimal", "not_needed"} for stage in stages.values())
    assert summary["solver"]["time_limit_s"] == scenario["solver"]["time_limit_s"]
    assert set(summary["seconds"]) >= {"inputs", "road graph", "travel times", "model", "outputs", "total"}
    # The run says how people travelled, and the township standard was measured in that mode.
    assert summary["travel"]["modes"] == scenario["travel"]["modes"]
    assert summary["travel"]["cache"] in {"hit", "miss"}
    centre_standard = scenario["tiers"]["township_centre"]["max_travel_minutes"]
    assert (demand["centre_minutes"].dropna() <= centre_standard + 1e-9).all()
    html = (out / "map.html").read_text()
    assert "leaflet" in html.lower() and len(html) > 10_000
    assert Path(scenario["inputs"]["roads"]).is_absolute() and scenario["data_root"]
    assert not list(out.parent.glob(".*partial"))
    return summary


def test_generated_county_end_to_end(tmp_path: Path) -> None:
    scenario = small_demo(tmp_path)
    result = runner.invoke(app, ["run", str(scenario), "--data-root", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / "small"
    summary = check_outputs(out)
    assert summary["synthetic"] is True
    assert "SYNTHETIC" in (out / "map.html").read_text().upper()
    assert (tmp_path / "data" / "demo" / "roads.osm").is_file()  # generated where the scenario points
    # Same scenario again: the same layout (deterministic), written over the old folder.
    first = (out / "facilities.csv").read_text()
    again = runner.invoke(app, ["run", str(scenario), "--data-root", str(tmp_path / "data")])
    assert again.exit_code == 0, again.output
    assert (out / "facilities.csv").read_text() == first


@pytest.mark.real_data
def test_mwali_end_to_end(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "mwali"
    result = runner.invoke(
        app, ["run", str(REPO / "scenarios" / "mwali.yaml"), "--data-root", str(shared_data), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    summary = check_outputs(out)
    assert summary["synthetic"] is False
    assert summary["population_total"] == pytest.approx(63_385, rel=1e-6)  # rescaled (SOURCES.md)
    assert summary["crs"].endswith("32738")
    facilities = gpd.read_file(out / "layout.gpkg", layer="facilities")
    assert (facilities["origin"] == "existing").sum() == 8  # 6 postes + 2 centres de santé
    html = (out / "map.html").read_text()
    for credit in ("OpenStreetMap", "WorldPop", "SRTM", "Maina"):
        assert credit in html


def test_cli_entry_point_runs_as_a_program(tmp_path: Path) -> None:
    """The installed `facility-layout` script, as a planner calls it, with the env var data root."""
    scenario = small_demo(tmp_path)
    exe = Path(sys.executable).with_name("facility-layout")
    env = {**os.environ, "FACILITY_LAYOUT_DATA": str(tmp_path / "data")}
    done = subprocess.run([str(exe), "validate", str(scenario)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout
    done = subprocess.run([str(exe), "run", str(scenario)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    for stage in ("inputs", "road graph", "travel times", "model", "outputs"):
        assert stage in done.stderr  # progress names each stage with its time
    assert "proven optimal" in done.stdout
    assert np.isfinite(json.loads((tmp_path / "out" / "small" / "summary.json").read_text())["cost"])


def test_highs_proves_the_same_layout_cost_as_cbc(tmp_path: Path) -> None:
    """Two independent solvers on the same generated county: the same proven optimum."""
    costs = {}
    for solver in ("cbc", "highs"):
        (tmp_path / solver).mkdir()
        scenario = small_demo(tmp_path / solver, name=solver)
        exe = Path(sys.executable).with_name("facility-layout")
        done = subprocess.run(
            [str(exe), "run", str(scenario), "--data-root", str(tmp_path / "data")], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert "Running HiGHS" not in done.stdout  # the solver's banner does not leak into the CLI's output
        summary = check_outputs(tmp_path / solver / "out" / "small")
        assert summary["solver"]["name"] == solver
        costs[solver] = summary["cost"]
    assert costs["cbc"] == pytest.approx(costs["highs"])


def test_village_merge_rule_end_to_end(tmp_path: Path, small_county: Path) -> None:
    """Every village without a clinic of its own is reported with the village it merged with and the minutes
    that adds (at most the allowance), and its closed clinic says so. The county's villages are hours apart
    on foot, so the clinic standard is relaxed to 90 min and remote keep turned off to leave room to merge."""

    def summary_for(max_added: float) -> dict:
        def edit(raw: dict) -> None:
            clinic = raw["tiers"]["village_clinic"]
            clinic.update(max_travel_minutes=90, remote_keep_minutes=None, merge_rule={"max_added_minutes": max_added})

        out = tmp_path / f"out{max_added:g}"
        path = scenario_on_region(small_county, tmp_path / f"merge{max_added:g}.yaml", out, edit)
        summary = check_outputs(run(load_scenario(path)).out_dir)
        facilities = gpd.read_file(out / "layout.gpkg", layer="facilities")
        merged = facilities.loc[facilities["reason"].str.startswith("closed: merged with"), "reason"]
        into = {m["into"] for m in summary["village_merges"]}
        assert all(any(reason.startswith(f"closed: merged with {v}: its ") for v in into) for reason in merged)
        for merge in summary["village_merges"]:
            assert set(merge) == {"village", "into", "people", "added_minutes"} and merge["people"] > 0
            assert merge["added_minutes"] is None or merge["added_minutes"] <= max_added + 1e-6
        return summary

    strict, loose = summary_for(10), summary_for(30)
    assert strict["village_merges"] == []  # no adjacent clinic within 10 added minutes of a whole village
    assert loose["village_merges"] and loose["cost"] < strict["cost"]
    assert loose["facilities"]["village_clinic"]["close"] >= 1


def test_futures_end_to_end(tmp_path: Path, small_county: Path) -> None:
    """min_cost meets the standard today and in a rainy-season future with 30 % more people."""
    growth = {"name": "growth", "population_factor": 1.3, "conditions": ["rainy_season"]}
    path = scenario_on_region(
        small_county, tmp_path / "futures.yaml", tmp_path / "out", lambda raw: raw.update(futures=[growth])
    )
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 0, result.output
    assert "future: growth" in result.output
    summary = check_outputs(tmp_path / "out")
    today, rainy = summary["futures"]
    assert (today["name"], rainy["name"]) == ("today", "growth")
    assert today["covered"] == pytest.approx(summary["population_covered"]["village_clinic"], abs=0.05)
    assert rainy["population"] == pytest.approx(1.3 * today["population"], abs=0.05)
    # Every coverable person is covered in both futures; rain only slows or cuts roads, so it can only
    # make more people uncoverable, never fewer.
    for future in (today, rainy):
        assert future["uncovered"] == 0
        assert future["covered"] + future["uncoverable"] == pytest.approx(future["population"], abs=0.05)
    assert rainy["covered"] <= 1.3 * today["covered"] + 0.05
    assert rainy["clinic_minutes"]["max"] <= summary["standards"]["village_clinic_max_minutes"] + 1e-6


def test_future_population_raster_errors_name_the_key(tmp_path: Path, small_county: Path) -> None:
    def with_raster(path: Path) -> Path:
        future = {"name": "2035", "population": str(path)}
        return scenario_on_region(
            small_county, tmp_path / "f.yaml", tmp_path / "out", lambda raw: raw.update(futures=[future])
        )

    with pytest.raises(InputError, match=r"futures\[0\]\.population.*does not exist"):
        run(load_scenario(with_raster(tmp_path / "missing.tif")))
    # People moved out of the northern half: other cells than today's, so the futures would not line up.
    emptied = tmp_path / "emptied.tif"
    with rasterio.open(small_county / "population.tif") as src:
        profile, band = src.profile, src.read(1)
    band[: band.shape[0] // 2] = 0
    with rasterio.open(emptied, "w", **profile) as dst:
        dst.write(band, 1)
    with pytest.raises(InputError, match=r"futures\[0\]\.population.*same cells as today's"):
        run(load_scenario(with_raster(emptied)))
