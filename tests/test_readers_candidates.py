"""Candidate sites where people live (populated cells, a file of possible sites) and the split of the uncoverable."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point

from facility_layout.candidates import candidate_sites, uncoverable_split
from facility_layout.demand import DemandPoints
from facility_layout.errors import InputError
from facility_layout.inputs import read_region
from facility_layout.pipeline import run
from facility_layout.scenario import CandidateSettings, PopulatedCells, VillageClinicTier, load_scenario

from conftest import scenario_on_region

CRS = "EPSG:32648"


def clinic_tier(min_people: float | None, min_distance: float = 500.0) -> VillageClinicTier:
    cells = PopulatedCells(min_people=min_people) if min_people is not None else None
    candidates = CandidateSettings(min_distance_to_existing_m=min_distance, populated_cells=cells)
    return VillageClinicTier(candidates=candidates, build_cost=3.0)


def facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"facility_id": ["C1", "V1"], "name": ["centre", "clinic"], "tier": ["township_centre", "village_clinic"]},
        geometry=[Point(0, 0), Point(5_000, 0)],
        crs=CRS,
    )


def no_settlements() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [], "place": []}, geometry=[], crs=CRS)


def test_populated_cells_are_the_big_ones_near_a_road_away_from_facilities() -> None:
    rng = np.random.default_rng(4)
    n = 400
    x, y = rng.uniform(-10_000, 10_000, n), rng.uniform(-10_000, 10_000, n)
    people = rng.integers(0, 300, n).astype(float)
    demand = DemandPoints(x, y, people, np.array([f"c{i}" for i in range(n)], dtype=object), 500.0, people.sum())
    road_x, road_y = np.linspace(-10_000, 10_000, 201), np.zeros(201)  # one road along y = 0
    sites = candidate_sites(
        facilities(), no_settlements(), clinic_tier(120), demand=demand, road_xy=(road_x, road_y), max_offroad_m=2_000
    )
    # Brute force: distance to the road is |y| within the road's extent; to the facilities, the nearer one.
    to_facility = np.minimum(np.hypot(x, y), np.hypot(x - 5_000, y))
    expected = (people >= 120) & (np.abs(y) <= 2_000) & (to_facility > 500)
    new = sites.kind == "candidate"
    assert sorted(sites.site_id[new]) == sorted(f"cell-c{i}" for i in np.flatnonzero(expected))
    assert expected.sum() > 10 and (sites.cost[new] == 3.0).all()
    assert list(sites.site_id[~new]) == ["C1", "V1"]
    # Names say how many people the cell holds.
    i = np.flatnonzero(expected)[0]
    assert f"cell c{i} ({people[i]:,.0f} people)" in set(sites.name)


def test_listed_sites_are_candidates_too() -> None:
    listed = gpd.GeoDataFrame(
        {"name": ["school plot", "next to the centre"]}, geometry=[Point(2_000, 3_000), Point(100, 0)], crs=CRS
    )
    sites = candidate_sites(facilities(), no_settlements(), clinic_tier(None), site_points=listed)
    new = sites.kind == "candidate"
    assert list(sites.name[new]) == ["school plot"]  # the other is 100 m from a facility
    assert list(sites.site_id[new]) == ["site-0001"]


def test_uncoverable_split_adds_up() -> None:
    people = np.array([10.0, 60.0, 200.0, 5.0, 80.0])
    uncoverable = np.array([True, True, True, False, False])
    split = uncoverable_split(people, uncoverable, clinic_tier(50))
    assert split == {"no_possible_site": 260.0, "dispersed": 10.0, "dispersed_below_people": 50}
    assert uncoverable_split(people, uncoverable, clinic_tier(None))["no_possible_site"] == 270.0


def test_populated_cells_only_ever_lower_the_uncoverable(small_county: Path, tmp_path: Path) -> None:
    def with_cells(raw: dict) -> None:
        raw["tiers"]["village_clinic"]["candidates"] = {"populated_cells": {"min_people": 30}}

    figures = []
    for name, edit in (("base", lambda raw: None), ("cells", with_cells)):
        path = scenario_on_region(small_county, tmp_path / f"{name}.yaml", tmp_path / name, edit)
        figures.append(run(load_scenario(path)).summary)
    base, cells = figures
    split = cells["uncoverable"]
    assert split["no_possible_site"] + split["dispersed"] == pytest.approx(cells["population_uncoverable"], abs=0.02)
    assert split["dispersed_below_people"] == 30
    # More places a clinic may go can only leave fewer people out of reach.
    assert cells["population_uncoverable"] <= base["population_uncoverable"] + 1e-6
    assert base["uncoverable"]["dispersed"] == 0 and base["uncoverable"]["dispersed_below_people"] is None
    demand = gpd.read_file(tmp_path / "cells" / "layout.gpkg", layer="demand")
    small = demand["uncoverable"] & (demand["population"] < 30)
    assert split["dispersed"] == pytest.approx(demand.loc[small, "population"].sum(), abs=0.01)


def test_candidate_file_through_the_scenario(small_county: Path, tmp_path: Path) -> None:
    boundary = gpd.read_file(small_county / "boundary.geojson")
    inside = boundary.geometry.iloc[0].representative_point()
    plots = gpd.GeoDataFrame(
        {"地块": ["学校旁", "outside"]}, geometry=[inside, Point(inside.x + 1, inside.y)], crs=4326
    )
    plots.to_file(tmp_path / "plots.gpkg", layer="地块")

    def edit(raw: dict) -> None:
        raw["tiers"]["village_clinic"]["candidates"] = {
            "file": {"file": str(tmp_path / "plots.gpkg"), "layer": "地块", "name_field": "地块"}
        }

    path = scenario_on_region(small_county, tmp_path / "plots.yaml", tmp_path / "out", edit)
    region = read_region(load_scenario(path))
    assert list(region.site_points["name"]) == ["学校旁"]  # the other plot is 100 km east, outside the county

    def wrong_field(raw: dict) -> None:
        edit(raw)
        raw["tiers"]["village_clinic"]["candidates"]["file"]["name_field"] = "名称"

    path = scenario_on_region(small_county, tmp_path / "wrong.yaml", tmp_path / "out", wrong_field)
    with pytest.raises(InputError) as error:
        read_region(load_scenario(path))
    assert "tiers.village_clinic.candidates.file.name_field" in str(error.value) and "地块" in str(error.value)
