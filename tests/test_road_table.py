"""The road table and its cache: what the network stage reads is exactly what the osmnx graph says, and a
cached table is the freshly parsed one."""

from __future__ import annotations

import shutil
from dataclasses import fields
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer
from shapely import LineString, MultiLineString, line_merge

from facility_layout.errors import InputError
from facility_layout.inputs import read_road_input, read_roads
from facility_layout.network import UNUSABLE_HIGHWAYS, build_road_network
from facility_layout.road_table import RoadTable, load_road_table, road_key, road_table
from facility_layout.scenario import CacheSettings
from facility_layout.travel_settings import UNPAVED_SURFACES, TravelSettings

UTM = CRS.from_epsg(32648)


def assert_same_table(got: RoadTable, want: RoadTable) -> None:
    """Every array equal (NaN where NaN), the same CRS."""
    assert CRS.from_user_input(got.crs) == CRS.from_user_input(want.crs)
    for field in fields(RoadTable):
        if field.name != "crs":
            a, b = getattr(got, field.name), getattr(want, field.name)
            assert a.dtype.kind == b.dtype.kind and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), field.name


def roads_scenario(roads: Path, cache: Path):
    """A stand-in for the scenario: read_road_input reads only inputs.roads, travel and cache."""

    class Inputs:
        pass

    Inputs.roads = roads

    class Scenario:
        inputs = Inputs
        travel = TravelSettings()

    Scenario.cache = CacheSettings(dir=cache)
    return Scenario


def test_network_is_what_the_osm_graph_says(small_county: Path) -> None:
    """Recomputed edge by edge from the osmnx graph, without the table or the network code."""
    graph = read_roads(small_county / "roads.osm")
    network = build_road_network(road_table(graph), UTM)
    rows = []
    for u, v, data in graph.edges(data=True):
        if data["highway"] in UNUSABLE_HIGHWAYS:
            continue
        surface = data.get("surface", "").lower()
        unpaved = (
            surface in UNPAVED_SURFACES
            if surface
            else data["tracktype"] != "grade1"
            if data.get("tracktype")
            else data["highway"] in ("track", "path", "bridleway")
        )
        rows.append((u, v, data["length"], data["highway"], surface, unpaved, data["osmid"]))
    assert len(rows) == len(network.edge_u) > 100
    used = sorted({n for u, v, *_ in rows for n in (u, v)}, key=list(graph.nodes).index)
    assert network.osm_id.tolist() == used
    to_utm = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    xy = np.array([to_utm.transform(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in used])
    assert np.allclose(np.column_stack([network.x, network.y]), xy, rtol=0, atol=1e-6)
    got = list(
        zip(
            network.osm_id[network.edge_u].tolist(),
            network.osm_id[network.edge_v].tolist(),
            network.length_m.tolist(),
            network.highway.tolist(),
            network.surface.tolist(),
            network.unpaved.tolist(),
            network.way_id.tolist(),
            strict=True,
        )
    )
    assert got == rows
    # The map's lines: per class, every segment once, merged.
    for highway, line in zip(network.roads["highway"], network.roads.geometry, strict=True):
        pairs = {tuple(sorted((u, v))) for u, v, _, h, *_ in rows if h == highway}
        want = line_merge(MultiLineString([LineString([xy[used.index(a)], xy[used.index(b)]]) for a, b in pairs]))
        assert shapely.equals(line, want), highway
    assert set(network.roads["highway"]) == {r[3] for r in rows}


def test_cached_table_is_the_parsed_one(small_county: Path, tmp_path: Path) -> None:
    roads = tmp_path / "roads.osm"
    shutil.copy(small_county / "roads.osm", roads)
    scenario = roads_scenario(roads, tmp_path / "cache")
    fresh = road_table(read_roads(roads))
    first = read_road_input(scenario)  # parsed and stored
    entries = list((tmp_path / "cache").glob("roads-*.npz"))
    assert len(entries) == 1
    assert_same_table(first, fresh)
    assert_same_table(load_road_table(tmp_path / "cache", road_key(roads)), fresh)
    assert_same_table(read_road_input(scenario), fresh)  # read back
    # Another file (one way's class changed) is another key: parsed again, not read from the old entry.
    text = roads.read_text()
    roads.write_text(text.replace('v="track"', 'v="residential"', 1))
    assert 'v="track"' in text
    changed = read_road_input(scenario)
    assert len(list((tmp_path / "cache").glob("roads-*.npz"))) == 2
    assert_same_table(changed, road_table(read_roads(roads)))
    assert (changed.highway == "residential").sum() > (fresh.highway == "residential").sum()


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage"])
def test_unreadable_entry_is_deleted_and_parsed_again(small_county: Path, tmp_path: Path, damage: str) -> None:
    roads = small_county / "roads.osm"
    scenario = roads_scenario(roads, tmp_path / "cache")
    fresh = read_road_input(scenario)
    (entry,) = (tmp_path / "cache").glob("roads-*.npz")
    data = entry.read_bytes()
    entry.write_bytes({"truncate": data[: len(data) // 2], "empty": b"", "garbage": b"x" * 1000}[damage])
    assert load_road_table(tmp_path / "cache", road_key(roads)) is None
    assert not entry.exists()
    assert_same_table(read_road_input(scenario), fresh)
    assert entry.is_file()


def test_cache_off_writes_nothing(small_county: Path, tmp_path: Path) -> None:
    scenario = roads_scenario(small_county / "roads.osm", tmp_path / "cache")
    scenario.cache = CacheSettings(enabled=False, dir=tmp_path / "cache")
    read_road_input(scenario)
    assert not (tmp_path / "cache").exists()


def test_roads_outside_the_region_are_refused(small_county: Path) -> None:
    from facility_layout.inputs import check_roads_overlap

    table = road_table(read_roads(small_county / "roads.osm"))
    lon, lat = float(table.lon[0]), float(table.lat[0])
    around_one_node = gpd.GeoDataFrame(geometry=[shapely.box(lon - 1e-6, lat - 1e-6, lon + 1e-6, lat + 1e-6)], crs=4326)
    check_roads_overlap(table, around_one_node, small_county / "roads.osm")  # one node inside is enough
    elsewhere = gpd.GeoDataFrame(geometry=[shapely.box(10, 10, 11, 11)], crs=4326)
    with pytest.raises(InputError, match="no road lies inside the region boundary"):
        check_roads_overlap(table, elsewhere, small_county / "roads.osm")
