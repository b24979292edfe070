"""OSM XML roads straight to a :class:`~facility_layout.road_table.RoadTable`, as osmnx would read them.

osmnx (``graph_from_xml(path, simplify=False, retain_all=True)``) parses the file twice (a full DOM for the
root's attributes, then SAX into dicts) and builds a networkx graph of Python objects, which the network
stage then reads back edge by edge: half a minute for a prefecture's 48 MB. This reader streams the file
once with expat and builds the table's arrays directly, with osmnx's rules:

- every node of the file, in file order; every way, each consecutive pair of its nodes an edge (repeated
  consecutive nodes collapsed); a later element with the same id replaces an earlier one in its place;
- one-way where ``oneway`` is yes/true/1/-1/reverse/T/F or ``junction=roundabout``, the node order reversed
  for -1/reverse/T; other ways get an edge each way;
- edge length: the great-circle distance between its nodes (osmnx's formula and earth radius);
- edges in the order a networkx ``MultiDiGraph`` built as osmnx builds it lists them (by tail node in
  node order, then heads in the order first linked, then parallel edges in insertion order), so the table
  is the one :func:`~facility_layout.road_table.road_table` makes of osmnx's graph, array for array
  (``tests/test_osm_xml.py`` checks it against osmnx on generated and real files).
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path
from xml.parsers import expat

import numpy as np
import pandas as pd

from facility_layout.errors import InputError, Message
from facility_layout.road_table import RoadTable, classify

KEY = "inputs.roads"
ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
REVERSED_VALUES = frozenset({"-1", "reverse", "T"})
# osmnx's distance.EARTH_RADIUS_M.
EARTH_RADIUS_M = 6_371_009


def read_osm_roads(path: Path) -> RoadTable:
    """The roads of an OSM XML file as a road table (EPSG:4326).

    Raises
    ------
    InputError
        The file is not OSM XML, a way names a node the file lacks, or no way has two nodes.
    """
    nodes, ways = _parse(path)
    ids = np.fromiter(nodes.keys(), dtype=np.int64, count=len(nodes))
    lonlat = np.array(list(nodes.values()), dtype=float).reshape(-1, 2)

    tails, heads, way_of = [], [], []
    for w, (refs, tags) in enumerate(ways.values()):
        refs = [node for node, _ in groupby(refs)]
        oneway = tags.get("oneway")
        one_way = oneway in ONEWAY_VALUES or tags.get("junction") == "roundabout"
        if one_way and oneway in REVERSED_VALUES:
            refs.reverse()
        pairs = [refs[:-1], refs[1:]]
        directions = [pairs] if one_way else [pairs, pairs[::-1]]
        for u, v in directions:
            tails += u
            heads += v
            way_of += [w] * len(u)
    if not tails:
        raise InputError(KEY, path, "has no highway ways", "give an OSM extract with highway=* ways")
    position = pd.Index(ids)
    u = position.get_indexer(np.array(tails, dtype=np.int64))
    v = position.get_indexer(np.array(heads, dtype=np.int64))
    if (u < 0).any() or (v < 0).any():
        missing = int(np.array(tails + heads)[np.concatenate([u, v]) < 0][0])
        raise InputError(
            KEY,
            path,
            "a way refers to node {missing}, which the file lacks (clipped?)",
            "give a complete extract",
            missing=missing,
        )
    way_of = np.array(way_of, dtype=np.int64)
    order = _graph_order(u, v, len(ids))
    u, v, way_of = u[order], v[order], way_of[order]

    per_way = [
        classify(t.get("highway", "road"), t.get("surface", ""), t.get("tracktype", ""), t.get("maxspeed"))
        for _, t in ways.values()
    ]
    highway, surface, unpaved, maxspeed = (np.array(column) for column in zip(*per_way, strict=True))
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    if np.isnan(lonlat).any():
        raise InputError(KEY, path, "has a node without a position (lat/lon not a number)", "give a valid extract")
    return RoadTable(
        osm_id=ids,
        lon=lon,
        lat=lat,
        crs="EPSG:4326",
        edge_u=u.astype(np.int64),
        edge_v=v.astype(np.int64),
        length_m=_great_circle(lat[u], lon[u], lat[v], lon[v]),
        highway=highway[way_of].astype(str),
        surface=surface[way_of].astype(str),
        unpaved=unpaved[way_of].astype(bool),
        maxspeed_kmh=maxspeed[way_of].astype(float),
        way_id=np.fromiter(ways.keys(), dtype=np.int64, count=len(ways))[way_of],
    )


def _parse(path: Path) -> tuple[dict[int, tuple[float, float]], dict[int, tuple[list[int], dict[str, str]]]]:
    """Nodes (id → lon, lat) and ways (id → node ids, tags) of the file, in file order."""
    nodes: dict[int, tuple[float, float]] = {}
    ways: dict[int, tuple[list[int], dict[str, str]]] = {}
    way: list = []  # [node ids, tags] of the way being read, empty outside a way
    root: list[str] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal way
        if not root:
            root.append(name)
        if name == "node":
            nodes[int(attrs["id"])] = (float(attrs["lon"]), float(attrs["lat"]))
            way = []
        elif name == "way":
            way = [[], {}]
            ways[int(attrs["id"])] = (way[0], way[1])
        elif name == "nd" and way:
            way[0].append(int(attrs["ref"]))
        elif name == "tag" and way:
            way[1][attrs["k"]] = attrs["v"]
        elif name == "relation":
            way = []

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        with open(path, "rb") as handle:
            parser.ParseFile(handle)
    except (expat.ExpatError, KeyError, ValueError) as exc:
        detail = Message("missing attribute {name}", name=exc) if isinstance(exc, KeyError) else str(exc)
        raise InputError(
            KEY, path, "is not a readable OSM XML file ({detail})", "give an .osm file", detail=detail
        ) from None
    if root != ["osm"] or not (nodes or ways):
        what = (
            Message("root element <{root}>", root=root[0]) if root and root[0] != "osm" else Message("no nodes or ways")
        )
        raise InputError(KEY, path, "is not a readable OSM XML file ({what})", "give an .osm file", what=what)
    return nodes, ways


def _graph_order(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """The order in which a networkx MultiDiGraph, given these edges in turn, lists them: by tail in node
    order, then by the first time the (tail, head) pair was added, then in insertion order."""
    pair = u.astype(np.int64) * n + v
    _, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    return np.lexsort((np.arange(len(u)), first[inverse], u))


def _great_circle(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """osmnx's ``distance.great_circle``, step for step (same floating-point result)."""
    y1, y2 = np.deg2rad(lat1), np.deg2rad(lat2)
    delta_y = y2 - y1
    x1, x2 = np.deg2rad(lon1), np.deg2rad(lon2)
    delta_x = x2 - x1
    h = np.sin(delta_y / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin(delta_x / 2) ** 2
    h = np.minimum(1, h)
    dist = 2 * np.arcsin(np.sqrt(h)) * EARTH_RADIUS_M
    dist[np.isnan(dist)] = 0
    return dist
