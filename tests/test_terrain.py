"""Terrain-aware travel: Tobler walking, vehicle slope penalty, DEM handling, conditions and closures.

Crafted roads are written as real OSM XML and DEMs as real GeoTIFFs, then read by the project's loaders.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import CRS, Transformer
from rasterio.transform import from_origin
from shapely.geometry import Point

from facility_layout.inputs import read_raster, read_roads
from facility_layout.network import build_road_network, travel_graph
from facility_layout.terrain import Elevation, LineProfiles, motor_slope_factor, tobler_kmh
from facility_layout.travel_settings import MotorSlopePenalty, TravelCondition, TravelSettings
from facility_layout.traveltime import graphs_for, mode_minutes, place

UTM = CRS.from_epsg(32648)
TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
X0, Y0 = 500_000.0, 2_900_000.0  # about 104.0 °E, 26.2 °N


def test_tobler_at_known_slopes() -> None:
    # Tobler (1993): 6 km/h at a 5 % descent, 6·e^-0.175 = 5.04 km/h on the flat, 6·e^-0.525 at +10 %.
    assert tobler_kmh(-0.05) == pytest.approx(6.0)
    assert tobler_kmh(0.0) == pytest.approx(5.0368, abs=1e-4)
    assert tobler_kmh(0.10) == pytest.approx(3.5494, abs=1e-4)
    assert tobler_kmh(-0.10) == pytest.approx(5.0368, abs=1e-4)  # as fast as flat: |S + 0.05| is the same
    assert tobler_kmh(0.30) == pytest.approx(1.7625, abs=1e-4)
    # Scaled to the scenario's flat speed, the shape stays.
    assert tobler_kmh(0.0, flat_kmh=4.0) == pytest.approx(4.0)
    assert tobler_kmh(0.10, flat_kmh=4.0) / tobler_kmh(0.0, flat_kmh=4.0) == pytest.approx(3.5494 / 5.0368, rel=1e-4)
    # Uphill is always slower than the same slope downhill.
    slopes = np.linspace(0.01, 1.0, 50)
    assert np.all(tobler_kmh(slopes) < tobler_kmh(-slopes))


def test_vehicle_slope_penalty() -> None:
    penalty = MotorSlopePenalty(free_grade_percent=6, loss_per_grade_percent=0.04, min_factor=0.3)
    np.testing.assert_allclose(motor_slope_factor([0.0, 0.06, 0.10, -0.10, 0.5], penalty), [1, 1, 0.84, 0.84, 0.3])
    assert motor_slope_factor(0.3, None) == 1


# --- crafted inputs written as real files ------------------------------------------------------------


def write_osm(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[int, list[int], dict]]) -> Path:
    """OSM XML with nodes given in the metric CRS and ways (id, node ids, tags)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node, (x, y) in nodes.items():
        lon, lat = TO_LONLAT.transform(x, y)
        lines.append(f'  <node id="{node}" lat="{lat:.9f}" lon="{lon:.9f}" version="1"/>')
    for way, refs, tags in ways:
        lines.append(f'  <way id="{way}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(str(v))}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_dem(path: Path, height_of, nodata_box: tuple[float, float, float, float] | None = None) -> Path:
    """A 1″ int16 GeoTIFF in EPSG:4326 around (X0, Y0), heights from ``height_of(x, y)`` in the metric CRS."""
    lon0, lat0 = TO_LONLAT.transform(X0 - 3000, Y0 + 3000)
    res = 1 / 3600
    n = 250
    transform = from_origin(lon0, lat0, res, res)
    rows, cols = np.indices((n, n))
    lon = lon0 + (cols + 0.5) * res
    lat = lat0 - (rows + 0.5) * res
    x, y = Transformer.from_crs("EPSG:4326", UTM, always_xy=True).transform(lon, lat)
    z = np.round(height_of(x, y)).astype(np.int16)
    if nodata_box is not None:
        xmin, ymin, xmax, ymax = nodata_box
        z[(x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)] = -32768
    profile = dict(driver="GTiff", width=n, height=n, count=1, dtype="int16", crs="EPSG:4326", transform=transform)
    with rasterio.open(path, "w", nodata=-32768, **profile) as dst:
        dst.write(z, 1)
    return path


def road_setup(tmp_path: Path, nodes, ways, height_of, nodata_box=None):
    network = build_road_network(read_roads(write_osm(tmp_path / "roads.osm", nodes, ways)), UTM)
    dem = read_raster(write_dem(tmp_path / "dem.tif", height_of, nodata_box), "inputs.elevation")
    return network, Elevation.from_raster(dem, UTM)


def minutes(network, elevation, travel, mode, origins, destinations, closed_areas=None, cutoff=1e6) -> np.ndarray:
    graphs = {k: travel_graph(network, k, travel, elevation, closed_areas) for k in graphs_for([mode])}
    o = place(network, graphs, *np.array(origins, dtype=float).T, travel, elevation)
    d = place(network, graphs, *np.array(destinations, dtype=float).T, travel, elevation)
    return mode_minutes(mode, graphs, o, d, travel, elevation, cutoff).to_dense()


FLAT_WALK = TravelSettings(walking_speed_kmh=5.0, max_offroad_m=50)


def test_uphill_is_slower_than_downhill_on_a_two_node_road(tmp_path: Path) -> None:
    # A 1 km path climbing 100 m to the east: slope +0.1 going A → B, -0.1 coming back.
    nodes = {1: (X0, Y0), 2: (X0 + 1000, Y0)}
    network, elevation = road_setup(tmp_path, nodes, [(7, [1, 2], {"highway": "path"})], lambda x, y: (x - X0) * 0.1)
    m = minutes(network, elevation, FLAT_WALK, "walk", [nodes[1], nodes[2]], [nodes[2], nodes[1]])
    up, down = m[0, 0], m[1, 1]
    assert up > down
    expected_up = 1000 / (tobler_kmh(0.1, 5.0) * 1000 / 60)
    expected_down = 1000 / (tobler_kmh(-0.1, 5.0) * 1000 / 60)
    # The DEM holds whole metres on a 1″ grid: a percent of tolerance covers rounding and resampling.
    assert up == pytest.approx(expected_up, rel=0.01)
    assert down == pytest.approx(expected_down, rel=0.01)
    # Flat walking (the old model) would make both equal.
    flat_walk = FLAT_WALK.model_copy(update={"walking_slope": "flat"})
    flat = minutes(network, elevation, flat_walk, "walk", [nodes[1], nodes[2]], [nodes[2], nodes[1]])
    # OSM lengths are geodesic: 1 km of UTM grid is 999.6 m on the ground at the central meridian.
    assert flat[0, 0] == pytest.approx(flat[1, 1]) == pytest.approx(network.length_m[0] / (5.0 * 1000 / 60))


def test_a_segment_over_a_ridge_is_not_flat(tmp_path: Path) -> None:
    # Both ends at 0 m, a 150 m ridge in the middle: sampling along the edge sees the climb.
    nodes = {1: (X0, Y0), 2: (X0 + 2000, Y0)}
    ridge = lambda x, y: np.maximum(150 - np.abs(x - (X0 + 1000)) * 0.15, 0)  # noqa: E731
    network, elevation = road_setup(tmp_path, nodes, [(7, [1, 2], {"highway": "path"})], ridge)
    m = minutes(network, elevation, FLAT_WALK, "walk", [nodes[1]], [nodes[2]])
    expected = 1000 / (tobler_kmh(0.15, 5.0) * 1000 / 60) + 1000 / (tobler_kmh(-0.15, 5.0) * 1000 / 60)
    assert m[0, 0] == pytest.approx(expected, rel=0.02)
    assert m[0, 0] > 2000 / (5.0 * 1000 / 60) * 1.3


def test_nodata_and_sea_count_as_flat_ground(tmp_path: Path) -> None:
    # Sea: SRTM's 0 and small negative values near the coast. A nodata hole in the middle of the road.
    nodes = {1: (X0, Y0), 2: (X0 + 1000, Y0)}
    noisy_sea = lambda x, y: -5 + 3 * np.sin(x / 40.0)  # noqa: E731
    network, elevation = road_setup(
        tmp_path,
        nodes,
        [(7, [1, 2], {"highway": "path"})],
        noisy_sea,
        nodata_box=(X0 + 300, Y0 - 100, X0 + 600, Y0 + 100),
    )
    assert np.nanmax(elevation.values) == 0 and np.isnan(elevation.values).any()
    m = minutes(network, elevation, FLAT_WALK, "walk", [nodes[1]], [nodes[2]])
    assert m[0, 0] == pytest.approx(network.length_m[0] / (5.0 * 1000 / 60))  # 5 km/h, no phantom slope


def test_steep_road_slows_vehicles_both_ways(tmp_path: Path) -> None:
    nodes = {1: (X0, Y0), 2: (X0 + 1000, Y0), 3: (X0 + 1000, Y0 + 500)}
    ways = [(7, [1, 2], {"highway": "tertiary"}), (8, [2, 3, 1], {"highway": "tertiary"})]
    network, elevation = road_setup(tmp_path, nodes, ways, lambda x, y: (x - X0) * 0.12)
    travel = TravelSettings(max_offroad_m=50)
    m = minutes(network, elevation, travel, "motor", [nodes[1], nodes[2]], [nodes[2], nodes[1]])
    factor = 1 - 0.04 * (12 - 6)
    assert m[0, 0] == pytest.approx(1000 / (30 * factor * 1000 / 60), rel=0.01)
    assert m[1, 1] == pytest.approx(m[0, 0], rel=0.01)
    no_penalty = travel.model_copy(update={"motor_slope_penalty": None})
    plain = minutes(network, elevation, no_penalty, "motor", [nodes[1]], [nodes[2]])
    assert plain[0, 0] == pytest.approx(network.length_m[0] / (30 * 1000 / 60))


# --- conditions and closures -------------------------------------------------------------------------


def village_on_a_spur(tmp_path: Path):
    """A town on a loop road, and a village reached only by one track (way 20) and one footpath (way 21)."""
    nodes = {1: (X0, Y0), 2: (X0 + 2000, Y0), 3: (X0 + 1000, Y0 + 1500), 4: (X0 + 1000, Y0 - 2000)}
    ways = [
        (10, [1, 2, 3, 1], {"highway": "secondary"}),
        (20, [2, 4], {"highway": "track"}),
        (21, [1, 4], {"highway": "path"}),
    ]
    return nodes, *road_setup(tmp_path, nodes, ways, lambda x, y: np.zeros_like(x))


def test_a_closed_way_cuts_a_village_off_and_is_reported(tmp_path: Path) -> None:
    nodes, network, elevation = village_on_a_spur(tmp_path)
    flood = TravelCondition(name="flood", closed_way_ids=[20, 21])
    travel = TravelSettings(max_offroad_m=50, conditions=[flood])
    for mode in ("walk", "motor"):
        assert travel_graph(network, mode, travel, elevation).closed_segments > 0
        # The village is cut off from the town, and only the village: the town's loop still joins its nodes.
        assert np.isinf(minutes(network, elevation, travel, mode, [nodes[4]], [nodes[1]])[0, 0])
        assert np.isfinite(minutes(network, elevation, travel, mode, [nodes[2]], [nodes[3]])[0, 0])
    dry = minutes(network, elevation, TravelSettings(max_offroad_m=50), "walk_then_motor", [nodes[4]], [nodes[1]])
    wet = minutes(network, elevation, travel, "walk_then_motor", [nodes[4]], [nodes[1]])
    assert np.isfinite(dry[0, 0]) and np.isinf(wet[0, 0])


def test_a_closed_area_cuts_the_roads_crossing_it(tmp_path: Path) -> None:
    nodes, network, elevation = village_on_a_spur(tmp_path)
    landslide = Point(X0 + 1000, Y0 - 1800).buffer(600)  # covers the village end of both ways
    travel = TravelSettings(max_offroad_m=50, conditions=[TravelCondition(name="landslide")])
    graph = travel_graph(network, "walk", travel, elevation, closed_areas=[landslide])
    assert graph.closed_segments == 2
    cut = minutes(network, elevation, travel, "walk", [nodes[4]], [nodes[1]], closed_areas=[landslide])
    assert np.isinf(cut[0, 0])
    assert np.isfinite(minutes(network, elevation, travel, "walk", [nodes[4]], [nodes[1]])[0, 0])


def test_rainy_season_closes_tracks_to_vehicles_but_not_to_walkers(tmp_path: Path) -> None:
    nodes, network, elevation = village_on_a_spur(tmp_path)
    rainy = TravelSettings(max_offroad_m=50, conditions=["rainy_season"])
    assert np.isinf(minutes(network, elevation, rainy, "motor", [nodes[4]], [nodes[2]])[0, 0])
    dry_walk = minutes(network, elevation, TravelSettings(max_offroad_m=50), "walk", [nodes[4]], [nodes[1]])[0, 0]
    wet_walk = minutes(network, elevation, rainy, "walk", [nodes[4]], [nodes[1]])[0, 0]
    assert wet_walk == pytest.approx(dry_walk / 0.8)  # the path is unpaved: walkers slowed, not stopped


@st.composite
def conditions(draw) -> TravelCondition:
    return TravelCondition(
        name="drawn",
        unpaved_motor_factor=draw(st.floats(0.1, 1.0)),
        unpaved_walking_factor=draw(st.floats(0.1, 1.0)),
        closed_to_vehicles=draw(st.lists(st.sampled_from(["track", "tertiary", "residential"]), max_size=2)),
        closed_way_ids=draw(st.lists(st.integers(100, 160), max_size=5)),
    )


@pytest.fixture(scope="module")
def hilly_network(tmp_path_factory: pytest.TempPathFactory):
    """60 random points joined to their neighbours by ways of mixed class and surface, on a hilly DEM."""
    tmp_path = tmp_path_factory.mktemp("hilly")
    rng = np.random.default_rng(3)
    pts = rng.uniform(-2500, 2500, size=(60, 2)) + np.array([X0, Y0])
    nodes = {i + 1: (float(x), float(y)) for i, (x, y) in enumerate(pts)}
    classes = ["secondary", "tertiary", "residential", "track", "path", "footway"]
    surfaces = ["", "", "asphalt", "gravel", "dirt", "unpaved"]
    ways, way_id = [], 100
    for i in range(len(pts)):
        for j in np.argsort(np.hypot(*(pts - pts[i]).T))[1:4]:
            tags = {"highway": str(rng.choice(classes))}
            if surface := str(rng.choice(surfaces)):
                tags["surface"] = surface
            ways.append((way_id, [i + 1, int(j) + 1], tags))
            way_id += 1
    hills = lambda x, y: 300 + 150 * np.sin((x - X0) / 700) * np.cos((y - Y0) / 900)  # noqa: E731
    network, elevation = road_setup(tmp_path, nodes, ways, hills)
    points = rng.uniform(-2500, 2500, size=(40, 2)) + np.array([X0, Y0])
    return network, elevation, points


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(condition=conditions(), mode=st.sampled_from(["walk", "motor", "walk_then_motor"]))
def test_a_condition_never_makes_a_trip_shorter(hilly_network, condition: TravelCondition, mode: str) -> None:
    network, elevation, points = hilly_network
    normal = TravelSettings(max_offroad_m=600)
    worse = normal.model_copy(update={"conditions": [condition]})
    cutoff = 90.0
    before = minutes(network, elevation, normal, mode, points[:25], points[25:], cutoff=cutoff)
    after = minutes(network, elevation, worse, mode, points[:25], points[25:], cutoff=cutoff)
    assert np.isfinite(before).sum() > 20  # not vacuous
    assert np.all(after >= before - 1e-9)  # inf (beyond the cutoff) counts as longest


def test_the_rainy_season_makes_some_trips_longer(hilly_network) -> None:
    network, elevation, points = hilly_network
    normal = TravelSettings(max_offroad_m=600)
    rainy = normal.model_copy(update={"conditions": ["rainy_season"]})
    for mode in ("walk", "motor"):
        before = minutes(network, elevation, normal, mode, points[:25], points[25:], cutoff=90)
        after = minutes(network, elevation, rainy, mode, points[:25], points[25:], cutoff=90)
        assert np.all(after >= before - 1e-9) and np.any(after > before + 0.5)


def test_profiles_follow_the_line_direction() -> None:
    # A metric grid of 30 m pixels rising 3 m per pixel to the east (slope 0.1).
    elevation = Elevation(values=np.tile(np.arange(100.0), (100, 1)) * 3, transform=Affine(30, 0, 0, 0, -30, 3000))
    forward = LineProfiles.along([100.0], [1500.0], [1300.0], [1500.0], elevation, 30)
    backward = LineProfiles.along([1300.0], [1500.0], [100.0], [1500.0], elevation, 30)
    assert np.allclose(forward.slope, 0.1) and np.allclose(backward.slope, -0.1)
    assert forward.run_m.sum() == pytest.approx(1200)
    assert forward.walking_minutes(5.0)[0] == pytest.approx(backward.walking_minutes(5.0, reverse=True)[0])
