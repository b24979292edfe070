"""The streaming OSM XML reader gives, array for array, the table of the graph osmnx builds from the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_road_table import assert_same_table

from facility_layout.errors import InputError
from facility_layout.inputs import read_roads
from facility_layout.readers.osm_xml import read_osm_roads
from facility_layout.road_table import road_table

# Every rule osmnx applies: one-way tags (forward, reversed, roundabout), repeated consecutive nodes, a
# closed way, a way given twice (the later replaces it in place), a way without highway, tags on nodes and
# relations, speeds in mph and lists, surfaces and track grades.
TRICKY = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="5" lat="26.000" lon="104.000"><tag k="highway" v="crossing"/></node>
  <node id="3" lat="26.001" lon="104.000"/>
  <node id="9" lat="26.001" lon="104.002"/>
  <node id="1" lat="26.000" lon="104.003"/>
  <node id="7" lat="26.002" lon="104.001"/>
  <node id="8" lat="26.003" lon="104.004"/>
  <way id="20"><nd ref="5"/><nd ref="3"/><nd ref="3"/><nd ref="9"/>
    <tag k="highway" v="residential"/><tag k="maxspeed" v="30 mph"/></way>
  <way id="11"><nd ref="9"/><nd ref="1"/><tag k="highway" v="primary"/><tag k="oneway" v="yes"/></way>
  <way id="12"><nd ref="9"/><nd ref="7"/><tag k="highway" v="secondary"/><tag k="oneway" v="-1"/>
    <tag k="surface" v="Gravel "/></way>
  <way id="13"><nd ref="7"/><nd ref="8"/><nd ref="1"/><nd ref="7"/>
    <tag k="highway" v="tertiary"/><tag k="junction" v="roundabout"/><tag k="maxspeed" v="50;40"/></way>
  <way id="14"><nd ref="3"/><nd ref="7"/><tag k="highway" v="track"/><tag k="tracktype" v="grade1"/></way>
  <way id="15"><nd ref="5"/><nd ref="9"/><tag k="name" v="no class"/><tag k="oneway" v="no"/></way>
  <way id="16"><nd ref="8"/><nd ref="5"/><tag k="highway" v="path"/></way>
  <way id="14"><nd ref="3"/><nd ref="7"/><nd ref="8"/><tag k="highway" v="track"/><tag k="oneway" v="T"/></way>
  <way id="17"><nd ref="1"/><tag k="highway" v="service"/></way>
  <relation id="30"><member type="way" ref="11" role=""/><tag k="type" v="route"/></relation>
</osm>
"""


def osmnx_table(path: Path):
    return road_table(read_roads(path))


def test_tricky_file_reads_as_osmnx_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "roads.osm"
    path.write_text(TRICKY)
    table = read_osm_roads(path)
    assert_same_table(table, osmnx_table(path))
    # Spot checks against the rules themselves, not osmnx: 2 + 1 + 1 + 3 + 2 (way 14 as given last, one-way
    # reversed) + 2 + 2 edges.
    assert table.n_edges == 2 * 2 + 1 + 1 + 3 + 2 + 2 * 1 + 2 * 1
    edges = set(zip(table.osm_id[table.edge_u].tolist(), table.osm_id[table.edge_v].tolist(), strict=True))
    assert (1, 9) not in edges and (9, 1) in edges  # oneway=yes
    assert (7, 9) in edges and (9, 7) not in edges  # oneway=-1: against the node order
    assert (8, 7) in edges and (7, 3) in edges and (3, 7) not in edges  # way 14 replaced, reversed by T
    assert set(table.highway.tolist()) == {"residential", "primary", "secondary", "tertiary", "track", "road", "path"}


def test_generated_county_reads_as_osmnx_reads_it(small_county: Path) -> None:
    path = small_county / "roads.osm"
    table = read_osm_roads(path)
    assert table.n_edges > 1000
    assert_same_table(table, osmnx_table(path))


def test_real_island_reads_as_osmnx_reads_it(shared_data: Path) -> None:
    path = shared_data / "mwali_comoros" / "roads.osm"
    if not path.is_file():
        pytest.skip(f"real data not found at {path}")
    assert_same_table(read_osm_roads(path), osmnx_table(path))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("<html>not osm</html>", "root element <html>"),
        ("<osm><node id='1' lat='26' lon='104'>", "not a readable OSM XML file"),
        ("<osm><node id='1' lat='26'/></osm>", "missing attribute 'lon'"),
        ("<osm><node id='1' lat='26' lon='104'/><way id='2'><nd ref='1'/><nd ref='4'/></way></osm>", "node 4"),
        ("<osm><node id='1' lat='26' lon='104'/><way id='2'><nd ref='1'/></way></osm>", "has no highway ways"),
    ],
)
def test_bad_files_are_input_errors(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "roads.osm"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        read_osm_roads(path)
    assert "inputs.roads" in str(error.value) and says in str(error.value)
