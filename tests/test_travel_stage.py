"""The travel-time stage inside a run: the on-disk cache, and closures reported to the planner."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from typer.testing import CliRunner

from facility_layout.cli import app
from facility_layout.pipeline import run
from facility_layout.scenario import load_scenario

from conftest import scenario_on_region

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture
def county(small_county: Path) -> Path:
    return small_county


def write_scenario(folder: Path, county: Path, edit=lambda raw: None, name: str = "run.yaml") -> Path:
    """The demo scenario on ``county``, outputs and cache inside ``folder``."""

    def with_cache(raw: dict) -> None:
        raw["cache"] = {"dir": str(folder / "cache")}
        edit(raw)

    return scenario_on_region(county, folder / name, folder / "out", with_cache)


def run_summary(path: Path) -> dict:
    return run(load_scenario(path)).summary


def test_cache_hit_when_only_costs_change_and_miss_when_an_input_changes(tmp_path: Path, county: Path) -> None:
    local = tmp_path / "county"
    local.mkdir()
    for file in county.iterdir():
        (local / file.name).write_bytes(file.read_bytes())

    first = run_summary(write_scenario(tmp_path, local))
    assert first["travel"]["cache"] == "miss"
    assert len(list((tmp_path / "cache").glob("travel-*.npz"))) == 1

    # Costs and budget do not touch travel times: read back, same matrices, same layout.
    cheaper = write_scenario(tmp_path, local, lambda raw: raw["tiers"]["village_clinic"].update(build_cost=2))
    second = run_summary(cheaper)
    assert second["travel"]["cache"] == "hit"
    assert second["travel_pairs"] == first["travel_pairs"]
    assert second["population_covered"] == first["population_covered"]

    # A travel setting changes the key.
    slower = write_scenario(tmp_path, local, lambda raw: raw["travel"].update(walking_speed_kmh=3.5))
    assert run_summary(slower)["travel"]["cache"] == "miss"

    # So does the content of an input file, even at the same path and size.
    with rasterio.open(local / "dem.tif", "r+") as dem:
        band = dem.read(1)
        band[band.shape[0] // 2, band.shape[1] // 2] += 50
        dem.write(band, 1)
    third = run_summary(cheaper)
    assert third["travel"]["cache"] == "miss"
    assert len(list((tmp_path / "cache").glob("travel-*.npz"))) == 3


def test_an_unreadable_cache_file_is_recomputed_not_trusted(tmp_path: Path, county: Path) -> None:
    path = write_scenario(tmp_path, county)
    first = run_summary(path)
    (cached,) = (tmp_path / "cache").glob("travel-*.npz")
    cached.write_bytes(b"not an npz file")
    again = run_summary(path)
    assert again["travel"]["cache"] == "recomputed (unreadable entry)"  # not read as a hit, and said so
    assert again["travel_pairs"] == first["travel_pairs"]
    assert run_summary(path)["travel"]["cache"] == "hit"  # and it was rewritten


def test_cache_can_be_switched_off(tmp_path: Path, county: Path) -> None:
    path = write_scenario(tmp_path, county, lambda raw: raw["cache"].update(enabled=False))
    assert run_summary(path)["travel"]["cache"] == "off"
    assert not (tmp_path / "cache").exists()


def test_a_closure_that_cuts_off_a_village_is_reported(tmp_path: Path, county: Path) -> None:
    settlements = gpd.read_file(county / "settlements.geojson")
    boundary = gpd.read_file(county / "boundary.geojson").to_crs(32648).union_all()
    metric = settlements.to_crs(32648)
    # The village farthest inside the county; a ring of flooding 1.5–2.5 km around it cuts every road out.
    villages = metric[metric["place"] == "village"]
    village = villages.loc[villages.distance(boundary.exterior).idxmax()]
    ring = village.geometry.buffer(2500).difference(village.geometry.buffer(1500))
    gpd.GeoDataFrame(geometry=[ring], crs=32648).to_crs(4326).to_file(tmp_path / "flood.geojson")

    def flood(raw: dict) -> None:
        raw["travel"]["conditions"] = [{"name": "flood", "closed_area": str(tmp_path / "flood.geojson")}]

    result = runner.invoke(app, ["run", str(write_scenario(tmp_path, county, flood))], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    travel = summary["travel"]
    assert travel["conditions"] == ["flood"]
    assert travel["closed_road_segments"]["walk"] > 0
    # Cut off: no open facility of any tier reachable; the village inside the ring has none.
    assert village["name"] in travel["cut_off"]["places"]
    assert travel["cut_off"]["population"] > 0
    assert "no facility within reach" in result.output
    assert summary["access"]["losing_access"]["township_centre"] > 0
    # The same county without the flood: fewer people are cut off, and nobody loses access.
    dry = run_summary(write_scenario(tmp_path, county, name="dry.yaml"))
    assert dry["travel"]["conditions"] == []
    assert dry["travel"]["cut_off"]["population"] < travel["cut_off"]["population"]
    assert dry["access"]["losing_access"] is None


def test_a_missing_closure_file_names_its_key(tmp_path: Path, county: Path) -> None:
    def flood(raw: dict) -> None:
        raw["travel"]["conditions"] = ["rainy_season", {"name": "flood", "closed_area": str(tmp_path / "no.geojson")}]

    result = runner.invoke(app, ["run", str(write_scenario(tmp_path, county, flood))], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "travel.conditions[1].closed_area" in result.output and "no.geojson" in result.output
    assert not (tmp_path / "out").exists()


def test_an_unknown_condition_is_a_clear_error(tmp_path: Path, county: Path) -> None:
    path = write_scenario(tmp_path, county, lambda raw: raw["travel"].update(conditions=["monsoon"]))
    result = runner.invoke(app, ["run", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "travel.conditions" in result.output and "monsoon" in result.output and "rainy_season" in result.output


def test_rainy_season_run_never_shortens_a_trip(tmp_path: Path, county: Path) -> None:
    dry = run(load_scenario(write_scenario(tmp_path, county, name="dry.yaml")))
    wet_path = write_scenario(tmp_path, county, lambda raw: raw["travel"].update(conditions=["rainy_season"]))
    wet = run(load_scenario(wet_path), out_dir=tmp_path / "wet")
    assert wet.summary["travel"]["closed_road_segments"]["motor"] > 0
    for tier in ("village_clinic", "township_centre"):
        assert wet.summary["population_covered"][tier] <= dry.summary["population_covered"][tier] + 1e-6
    # Cell by cell, minutes to the nearest township centre (no layout choice involved) never drop.
    before = gpd.read_file(dry.out_dir / "layout.gpkg", layer="demand")["centre_minutes"].to_numpy(dtype=float)
    after = gpd.read_file(wet.out_dir / "layout.gpkg", layer="demand")["centre_minutes"].to_numpy(dtype=float)
    before, after = np.nan_to_num(before, nan=np.inf), np.nan_to_num(after, nan=np.inf)
    assert np.all(after >= before - 1e-6) and np.any(after > before + 0.5)
