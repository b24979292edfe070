"""Road inputs besides OSM XML: .osm.pbf (the same graph as the XML) and vector lines with Chinese grades."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pytest
from shapely import LineString
from test_road_table import assert_same_table

from facility_layout.errors import InputError
from facility_layout.inputs import read_road_input, read_roads
from facility_layout.network import build_road_network
from facility_layout.readers.pbf import highways_as_xml
from facility_layout.readers.roads_vector import read_road_lines
from facility_layout.road_table import road_table
from facility_layout.scenario import CacheSettings, RoadsSource
from facility_layout.travel_settings import TravelSettings


def write_pbf(osm: Path, pbf: Path, extra_building: bool = True) -> Path:
    """The OSM XML file re-written as .osm.pbf by pyosmium, plus a building way the reader must skip."""
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(osm)):
            if obj.is_node():
                writer.add_node(obj)
            elif obj.is_way():
                writer.add_way(obj)
        if extra_building:
            ids = [-1, -2, -3]
            for i, (lon, lat) in zip(ids, [(104.0, 26.0), (104.001, 26.0), (104.001, 26.001)], strict=True):
                writer.add_node(osmium.osm.mutable.Node(id=i, location=(lon, lat)))
            writer.add_way(osmium.osm.mutable.Way(id=-9, nodes=[*ids, ids[0]], tags={"building": "yes"}))
    return pbf


def scenario_roads(source: Path | RoadsSource):
    """A stand-in for the scenario: read_road_input reads only inputs.roads and travel."""

    class Inputs:
        roads = source

    class Scenario:
        inputs = Inputs
        travel = TravelSettings()
        cache = CacheSettings(enabled=False)

    return Scenario


def test_pbf_gives_the_graph_of_the_same_data_as_osm_xml(small_county: Path, tmp_path: Path) -> None:
    osm = small_county / "roads.osm"
    pbf = write_pbf(osm, tmp_path / "roads.osm.pbf")
    from_xml = read_roads(osm)
    with highways_as_xml(pbf) as xml:
        from_pbf = read_roads(xml)
    assert from_pbf.number_of_edges() == from_xml.number_of_edges() > 100
    assert nx.utils.nodes_equal(from_pbf.nodes(data=True), from_xml.nodes(data=True))
    assert nx.utils.edges_equal(from_pbf.edges(keys=True, data=True), from_xml.edges(keys=True, data=True))
    assert -9 not in {d["osmid"] for *_, d in from_pbf.edges(data=True)}
    # What the pipeline reads: the table of the .pbf is the table of the XML.
    assert_same_table(read_road_input(scenario_roads(pbf)), road_table(from_xml))


def test_pbf_temporary_xml_is_removed(small_county: Path, tmp_path: Path) -> None:
    pbf = write_pbf(small_county / "roads.osm", tmp_path / "roads.osm.pbf", extra_building=False)
    with highways_as_xml(pbf) as xml:
        assert xml.is_file()
    assert not xml.exists() and not xml.parent.exists()


def test_damaged_pbf_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "roads.osm.pbf"
    bad.write_bytes(b"not a pbf at all" * 10)
    with pytest.raises(InputError) as error:
        read_road_input(scenario_roads(bad))
    assert "inputs.roads" in str(error.value) and "pbf" in str(error.value)


def lines(tmp_path: Path, rows: list[dict], name: str = "roads.gpkg") -> Path:
    path = tmp_path / name
    gpd.GeoDataFrame(rows, crs="EPSG:4326").to_file(path)
    return path


def test_lines_are_noded_at_shared_vertices_only(tmp_path: Path) -> None:
    # A county road, a village road ending on its middle vertex, and a track crossing it without a vertex.
    path = lines(
        tmp_path,
        [
            {"grade": "县道", "surface": "沥青", "geometry": LineString([(104, 26), (104.01, 26), (104.02, 26)])},
            {"grade": "村道", "surface": "砂石", "geometry": LineString([(104.01, 26.0), (104.01, 26.01)])},
            {"grade": "机耕路", "surface": "土路", "geometry": LineString([(104.015, 25.995), (104.015, 26.005)])},
        ],
    )
    graph = read_road_lines(RoadsSource(file=path, class_field="grade", surface_field="surface"), TravelSettings())
    assert graph.number_of_nodes() == 3 + 1 + 2
    assert nx.number_weakly_connected_components(graph) == 2  # the crossing track is not joined
    highways = {(u, v): d["highway"] for u, v, d in graph.edges(data=True)}
    assert sorted(set(highways.values())) == ["secondary", "track", "unclassified"]
    surfaces = {d["highway"]: d["surface"] for *_, d in graph.edges(data=True)}
    assert surfaces == {"secondary": "asphalt", "unclassified": "gravel", "track": "dirt"}
    # Both directions, lengths as great circles (0.01° of longitude at 26° N ≈ 999.5 m).
    assert graph.number_of_edges() == 2 * 4
    first = graph.get_edge_data(1, 2)[0]
    assert first["length"] == pytest.approx(999.5, abs=1.0)
    network = build_road_network(graph, "EPSG:32648")
    # Every piece is kept: the crossing track is a piece of its own (2 nodes), not joined to the rest.
    assert network.n_nodes == 6 and network.n_pieces == 2
    assert sorted(np.bincount(network.piece)[1:].tolist()) == [2, 4]
    assert set(network.unpaved) == {False, True}  # gravel village road is unpaved, asphalt is not


def test_unmapped_grades_are_listed_with_the_fix(tmp_path: Path) -> None:
    path = lines(
        tmp_path,
        [
            {"grade": "县道", "geometry": LineString([(104.0, 26.0), (104.01, 26.0)])},
            {"grade": "林区道路", "geometry": LineString([(104.01, 26.0), (104.02, 26.0)])},
        ],
    )
    with pytest.raises(InputError) as error:
        read_road_lines(RoadsSource(file=path, class_field="grade"), TravelSettings())
    message = str(error.value)
    assert "inputs.roads.class_field" in message and "'林区道路' (1 lines)" in message
    assert "travel.road_classes" in message
    mapped = TravelSettings(road_classes={"林区道路": "track"})
    graph = read_road_lines(RoadsSource(file=path, class_field="grade"), mapped)
    assert {d["highway"] for *_, d in graph.edges(data=True)} == {"secondary", "track"}


def test_missing_class_field_lists_the_attributes(tmp_path: Path) -> None:
    path = lines(tmp_path, [{"等级": "县道", "geometry": LineString([(104.0, 26.0), (104.01, 26.0)])}])
    with pytest.raises(InputError) as error:
        read_road_lines(RoadsSource(file=path, class_field="grade"), TravelSettings())
    assert "has no attribute 'grade' (attributes: 等级)" in str(error.value)
