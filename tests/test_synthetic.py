"""The generated county: deterministic, read by the real loaders, and shaped like a mountain county."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import yaml
from rasterio.features import geometry_mask
from scipy.spatial import cKDTree

from facility_layout import synthetic
from facility_layout.demand import demand_points
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC, RegionInputs, read_region
from facility_layout.network import build_road_network
from facility_layout.scenario import Scenario, load_scenario
from facility_layout.synthetic import FILE_NAMES, generate_region
from facility_layout.synthetic.counties import _chinese, townships_and_counties
from facility_layout.synthetic.places import Places, _place_names

REPO = Path(__file__).resolve().parents[1]
PARAMS = {"seed": 3, "width_km": 12.0, "height_km": 10.0, "population_total": 20_000.0}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def county(data_root: Path) -> Path:
    """A small generated county, the one most tests read."""
    return generate_region(data_root / "county", **PARAMS).directory


@pytest.fixture(scope="module")
def scenario(data_root: Path, county: Path) -> Scenario:
    """The demo scenario pointed at ``county`` (paths relative to the data root, no synthetic block)."""
    raw = yaml.safe_load((REPO / "scenarios" / "demo.yaml").read_text())
    raw["region"].pop("synthetic")
    raw["region"]["boundary"] = "county/boundary.geojson"
    for key, name in (("roads", "roads.osm"), ("population", "population.tif"), ("elevation", "dem.tif")):
        raw["inputs"][key] = f"county/{name}"
    raw["inputs"]["facilities"]["file"] = "county/facilities.geojson"
    raw["inputs"]["settlements"]["file"] = "county/settlements.geojson"
    raw["region"]["admin_areas"]["file"] = "county/admin_areas.geojson"
    path = data_root / "county.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return load_scenario(path, data_root=data_root)


@pytest.fixture(scope="module")
def region(scenario: Scenario) -> RegionInputs:
    return read_region(scenario)


def elevation_at(dem: Path, points: gpd.GeoSeries) -> np.ndarray:
    with rasterio.open(dem) as src:
        lonlat = points.to_crs(src.crs)
        return np.array([v[0] for v in src.sample(zip(lonlat.x, lonlat.y, strict=True))], dtype=float)


def test_same_parameters_give_the_same_bytes(data_root: Path, county: Path) -> None:
    again = generate_region(data_root / "again", **PARAMS).directory
    for name in FILE_NAMES:
        assert (again / name).read_bytes() == (county / name).read_bytes(), name


def test_another_seed_gives_another_county(data_root: Path, county: Path) -> None:
    other = generate_region(data_root / "other", **{**PARAMS, "seed": 4}).directory
    for name in ("dem.tif", "population.tif", "roads.osm", "settlements.geojson", "facilities.geojson"):
        assert (other / name).read_bytes() != (county / name).read_bytes(), name


def test_region_json_says_synthetic_and_counts_what_was_written(county: Path, region: RegionInputs) -> None:
    meta = json.loads((county / "region.json").read_text())
    assert meta["synthetic"] is True and meta["generator"] == "facility_layout.synthetic"
    assert {k: meta[k] for k in PARAMS} == PARAMS
    assert "not a real place" in meta["attribution_list"][0] and "seed 3" in meta["attribution_list"][0]
    assert region.synthetic and region.attribution == meta["attribution_list"]
    assert meta["road_nodes"] == region.roads.n_nodes
    places = region.settlements["place"].value_counts()
    assert (meta["towns"], meta["villages"], meta["hamlets"]) == (
        places["town"],
        places["village"],
        places["hamlet"],
    )
    tiers = region.facilities["tier"].value_counts()
    assert (meta["township_centres"], meta["village_clinics"]) == (
        tiers[TOWNSHIP_CENTRE],
        tiers[VILLAGE_CLINIC],
    )


def test_the_real_loaders_read_it(region: RegionInputs) -> None:
    assert region.crs.to_epsg() == 32648  # UTM 48N, picked from the boundary
    assert set(region.facilities["tier"]) == {VILLAGE_CLINIC, TOWNSHIP_CENTRE}
    assert set(region.settlements["place"]) == {"town", "village", "hamlet"}
    assert region.settlements["name"].is_unique and (region.settlements["name"].str.len() > 2).all()
    assert region.facilities["facility_id"].str.match(r"SYN-(C\d\d|V\d\d\d)$").all()
    boundary = region.boundary.geometry.iloc[0]
    assert boundary.is_valid and boundary.area < 0.9 * PARAMS["width_km"] * PARAMS["height_km"] * 1e6
    assert len(boundary.exterior.coords) > 100  # an irregular outline, not a rectangle


def test_nearly_all_roads_form_one_network(region: RegionInputs) -> None:
    graph = build_road_network(region.roads, region.crs)
    assert graph.n_nodes >= 0.95 * region.roads.n_nodes
    # Every settlement lies on (or right next to) the network.
    settlements = np.column_stack([region.settlements.geometry.x, region.settlements.geometry.y])
    assert cKDTree(np.column_stack([graph.x, graph.y])).query(settlements)[0].max() < 100


def test_people_sum_to_the_total_and_live_in_the_settlements(region: RegionInputs) -> None:
    demand = demand_points(region.population, region.boundary, region.crs, cell_size_m=500)
    assert demand.raw_total == pytest.approx(PARAMS["population_total"], rel=1e-6)
    settlements = np.column_stack([region.settlements.geometry.x, region.settlements.geometry.y])
    near = cKDTree(settlements).query(np.column_stack([demand.x, demand.y]))[0] < 1_000
    assert demand.population[near].sum() > 0.7 * demand.total
    assert demand.population.max() > 20 * np.median(demand.population)  # towns, not an even spread


def test_rasters_have_the_real_grids_and_nodata(county: Path) -> None:
    boundary = gpd.read_file(county / "boundary.geojson")
    with rasterio.open(county / "dem.tif") as dem, rasterio.open(county / "population.tif") as pop:
        assert dem.crs.to_epsg() == 4326 and pop.crs.to_epsg() == 4326
        assert dem.dtypes[0] == "int16" and dem.nodata == -32768
        assert pop.dtypes[0] == "float32" and pop.nodata == -99999
        assert dem.res == pytest.approx((1 / 3600, 1 / 3600)) and pop.res == pytest.approx((3 / 3600, 3 / 3600))
        # Like SRTM and WorldPop, the grids do not line up: the offset is a fraction of a DEM pixel.
        for offset in (
            (pop.transform.c - dem.transform.c) * 3600,
            (pop.transform.f - dem.transform.f) * 3600,
        ):
            assert 0.05 < offset % 1 < 0.95
        values = pop.read(1, masked=True)
        outside = geometry_mask(boundary.geometry, values.shape, pop.transform)
        assert np.array_equal(values.mask, outside)  # nodata exactly where the pixel centre is outside
        assert values.min() >= 0


def test_mountains_with_people_in_the_valleys(county: Path, region: RegionInputs) -> None:
    with rasterio.open(county / "dem.tif") as src:
        dem = src.read(1).astype(float)
        inside = ~geometry_mask(region.boundary.to_crs(src.crs).geometry, dem.shape, src.transform)
    terrain = dem[inside]
    assert terrain.max() - terrain.min() > 500
    gy, gx = np.gradient(dem, 30.8, 27.8)
    assert 10 < np.degrees(np.arctan(np.median(np.hypot(gx, gy)[inside]))) < 35  # steep, not cliffs
    place = region.settlements["place"].to_numpy()
    height = elevation_at(county / "dem.tif", region.settlements.geometry)
    villages, hamlets = height[place == "village"], height[place == "hamlet"]
    assert np.mean(villages < np.median(terrain)) >= 0.75
    assert np.median(hamlets) > np.median(villages)


def test_township_centres_stand_in_the_towns(region: RegionInputs) -> None:
    centres = region.facilities[region.facilities["tier"] == TOWNSHIP_CENTRE]
    towns = region.settlements[region.settlements["place"] == "town"]
    assert len(centres) == len(towns) >= 1
    tree = cKDTree(np.column_stack([towns.geometry.x, towns.geometry.y]))
    distance, nearest = tree.query(np.column_stack([centres.geometry.x, centres.geometry.y]))
    assert distance.max() < 100 and len(set(nearest)) == len(towns)
    for name, town in zip(centres["name"], towns["name"].to_numpy()[nearest], strict=True):
        assert name == f"{town} Township Health Centre"


def test_township_areas_split_the_county_around_each_seat(county: Path, region: RegionInputs) -> None:
    areas = gpd.read_file(county / "admin_areas.geojson").to_crs(region.crs)
    towns = region.settlements[region.settlements["place"] == "town"]
    assert sorted(areas["seat"]) == sorted(towns["name"])
    assert (areas["name"] == areas["seat"] + " township").all()
    county_area = region.boundary.area.sum()
    assert areas.area.sum() == pytest.approx(county_area, rel=1e-4)  # no gaps …
    assert areas.union_all().area == pytest.approx(county_area, rel=1e-4)  # … and no overlaps
    for seat, area in zip(areas["seat"], areas.geometry, strict=True):
        town = towns[towns["name"] == seat].geometry.iloc[0]
        assert area.contains(town)
    # A small region is one county, covering it all.
    counties = gpd.read_file(county / "counties.geojson").to_crs(region.crs)
    assert len(counties) == 1 and counties["name"].iloc[0].endswith("县") and len(counties["code"].iloc[0]) == 6
    assert counties["townships"].iloc[0] == len(areas) and (areas["county"] == counties["name"].iloc[0]).all()
    assert counties.area.sum() == pytest.approx(county_area, rel=1e-4)


def test_counties_group_whole_neighbouring_townships() -> None:
    """150 township seats on a 100 km square: ten contiguous counties of whole townships, none tiny or huge."""
    rng = np.random.default_rng(5)
    n = 150
    places = Places(
        name=np.array(_place_names(rng, n), dtype=object),
        place=np.array(["town"] * n),
        node=np.arange(n),
        x=rng.uniform(-50_000, 50_000, n),
        y=rng.uniform(-50_000, 50_000, n),
        size=rng.uniform(3_000, 9_000, n),
    )
    square = shapely.box(-50_000, -50_000, 50_000, 50_000)
    counties = townships_and_counties(places, square)
    assert len(counties.name) == 10 == len(set(counties.name)) == len(set(counties.code))
    sizes = np.bincount(counties.county)
    assert sizes.sum() == n and sizes.min() >= 5 and sizes.max() <= 30
    for k, geometry in enumerate(counties.geometry):
        assert geometry.geom_type == "Polygon"  # contiguous: the townships' areas share edges
        members = [counties.area[t] for t in np.flatnonzero(counties.county == k)]
        assert geometry.area == pytest.approx(sum(a.area for a in members), rel=1e-9)  # whole townships
    assert sum(g.area for g in counties.geometry) == pytest.approx(square.area, rel=1e-9)
    assert shapely.union_all(counties.geometry).area == pytest.approx(square.area, rel=1e-9)  # no overlaps
    assert all(re.fullmatch(r"52\d{4}", code) for code in counties.code)
    # Named after their largest town, in characters.
    for k, name in enumerate(counties.name):
        members = np.flatnonzero(counties.county == k)
        seat = members[np.argmax(places.size[members])]
        assert name == _chinese(places.name[seat]) + "县"


def test_every_generated_name_has_characters() -> None:
    names = _place_names(np.random.default_rng(0), 2_000)
    characters = [_chinese(name) for name in names]
    assert len(set(characters)) == len(names)  # distinct names, distinct characters
    assert all(2 <= len(c) <= 4 and not c.isascii() for c in characters)  # "Xiao" may be Xi + ao


def test_some_villages_lack_a_clinic(region: RegionInputs) -> None:
    villages = region.settlements[region.settlements["place"] == "village"]
    facilities = np.column_stack([region.facilities.geometry.x, region.facilities.geometry.y])
    gap = cKDTree(facilities).query(np.column_stack([villages.geometry.x, villages.geometry.y]))[0]
    assert (gap > 500).sum() >= 1  # room for new clinics
    assert (gap < 100).sum() > len(villages) / 2  # but most villages have one


def test_roads_range_from_paved_roads_to_footpaths(county: Path, region: RegionInputs) -> None:
    highways = set(region.roads.highway.tolist())
    assert {"secondary", "unclassified", "track"} <= highways
    assert highways & {"path", "footway"}
    root = ET.parse(county / "roads.osm").getroot()
    assert root.get("version") == "0.6" and root.get("generator") == "facility_layout synthetic"
    assert root.find("bounds") is not None
    tags = [{t.get("k"): t.get("v") for t in way.iter("tag")} for way in root.iter("way")]
    assert {t["surface"] for t in tags} == {"paved", "unpaved", "ground"}
    assert all(t.get("name") for t in tags if t["highway"] in ("secondary", "tertiary"))
    assert all(t["surface"] == "paved" for t in tags if t["highway"] == "secondary")


def test_the_demo_county(tmp_path: Path) -> None:
    """The default size: a 1″ DEM, a handful of townships, a road graph of a few thousand nodes."""
    demo = generate_region(tmp_path / "demo")
    assert demo.dem_arcsec == 1 and 3 <= demo.towns == demo.township_centres <= 6
    assert 3_000 <= demo.road_nodes <= 20_000
    assert 0.5 * demo.villages < demo.village_clinics < demo.villages  # most villages, not all
    boundary = gpd.read_file(demo.directory / "boundary.geojson")
    assert boundary.estimate_utm_crs().to_epsg() == 32648


def test_overwrites_an_earlier_region_in_place(data_root: Path, county: Path) -> None:
    folder = data_root / "rewritten"
    folder.mkdir()
    (folder / "roads.osm").write_text("stale")
    (folder / "region.json").write_text('{"generator": "facility_layout.synthetic"}')  # an earlier generated region
    (folder / "notes.txt").write_text("a planner's notes")
    generate_region(folder, **PARAMS)
    for name in FILE_NAMES:
        assert (folder / name).read_bytes() == (county / name).read_bytes(), name
    assert (folder / "notes.txt").read_text() == "a planner's notes"
    assert not list(data_root.glob(".*partial"))


def test_a_failed_generation_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(synthetic, "write_osm", disk_full)
    with pytest.raises(OSError, match="No space"):
        generate_region(tmp_path / "county", **PARAMS)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("width_km", 0),
        ("width_km", -5),
        ("width_km", 2),  # too small to hold a township
        ("width_km", 500),
        ("width_km", math.nan),
        ("height_km", 1.5),
        ("height_km", "wide"),
        ("population_total", 0),
        ("population_total", -100),
        ("population_total", math.inf),
        ("seed", -1),
        ("seed", 2.5),
    ],
)
def test_bad_parameters_are_named(tmp_path: Path, parameter: str, value: object) -> None:
    with pytest.raises(ValueError, match=parameter) as error:
        generate_region(tmp_path / "county", **{**PARAMS, parameter: value})
    assert "Fix:" in str(error.value)
    assert not (tmp_path / "county").exists()
