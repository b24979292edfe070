"""Road lines from a vector file (a transport bureau's Shapefile) → the road graph the network stage reads.

The graph has the shape :func:`facility_layout.inputs.read_roads` returns for OSM XML: an unsimplified
``networkx.MultiDiGraph`` in EPSG:4326 with an edge per segment between consecutive vertices in both
directions, carrying ``highway`` (the OSM class of the line's grade), ``surface``, ``length`` (great-circle
metres, as osmnx measures) and ``osmid`` (the line's row number, 1-based, for ``closed_way_ids``).

Lines connect where they share a vertex, at their ends or anywhere along them. Lines that cross without a
common vertex stay apart, as bridges and underpasses should; a bureau's file digitised with small gaps
therefore falls into pieces, and the network stage keeps only the largest (reported as dropped nodes).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np

from facility_layout.errors import InputError
from facility_layout.readers.vector import read_vector
from facility_layout.scenario import RoadsSource
from facility_layout.travel_settings import TravelSettings

KEY = "inputs.roads"
# Administrative road grades of China (公路技术/行政等级) and their usual codes in road numbers.
CHINESE_ROAD_CLASSES: dict[str, str] = {
    "高速": "motorway",
    "高速公路": "motorway",
    "国道": "trunk",
    "G": "trunk",
    "省道": "primary",
    "S": "primary",
    "县道": "secondary",
    "X": "secondary",
    "乡道": "tertiary",
    "Y": "tertiary",
    "村道": "unclassified",
    "C": "unclassified",
    "专用公路": "service",
    "专用道路": "service",
    "Z": "service",
    "城市道路": "residential",
    "街道": "residential",
    "等外公路": "track",
    "机耕路": "track",
    "农村公路": "unclassified",
    "小路": "path",
    "步道": "footway",
    "山路": "path",
}
CHINESE_SURFACES: dict[str, str] = {
    "沥青": "asphalt",
    "沥青混凝土": "asphalt",
    "水泥": "concrete",
    "水泥混凝土": "concrete",
    "混凝土": "concrete",
    "硬化": "paved",
    "砂石": "gravel",
    "碎石": "gravel",
    "泥结碎石": "compacted",
    "土路": "dirt",
    "土": "dirt",
    "泥土": "dirt",
    "石板": "paving_stones",
}
# Classes a line may already carry (OSM's own words), besides those with a motor speed.
OSM_WALKING_CLASSES = frozenset({"path", "footway", "steps", "bridleway", "pedestrian", "cycleway", "track"})
EARTH_RADIUS_M = 6_371_009.0  # as osmnx's great_circle


def read_road_lines(spec: RoadsSource, travel: TravelSettings) -> nx.MultiDiGraph:
    """The road file's lines as a road graph; every class and surface value must map to an OSM word.

    Raises
    ------
    InputError
        Unreadable file, no lines, a missing field, or class/surface values with no mapping (listed).
    """
    frame = read_vector(spec.file, f"{KEY}.file", spec)
    lines = frame[frame.geometry.geom_type.isin(["LineString", "MultiLineString"])]
    if lines.empty:
        kinds = sorted(set(frame.geometry.geom_type.dropna()))
        raise InputError(
            f"{KEY}.file", spec.file, "has no lines (geometry types: {kinds})", "give a road line file", kinds=kinds
        )
    lines = lines.to_crs("EPSG:4326")
    known_classes = set(travel.motor_speeds_kmh) | OSM_WALKING_CLASSES
    highway = _mapped(
        lines,
        spec.file,
        spec.class_field,
        "class_field",
        {**CHINESE_ROAD_CLASSES, **travel.road_classes},
        known_classes,
        "travel.road_classes",
        default="road",
    )
    surface = _mapped(
        lines,
        spec.file,
        spec.surface_field,
        "surface_field",
        {**CHINESE_SURFACES, **travel.road_surfaces},
        None,
        "travel.road_surfaces",
        default="",
    )
    return _graph(lines, highway, surface)


def _mapped(
    lines: gpd.GeoDataFrame,
    path: Path,
    field: str | None,
    setting: str,
    table: dict[str, str],
    known: set[str] | None,
    table_key: str,
    default: str,
) -> np.ndarray:
    """Each line's value of ``field`` through ``table`` (values already in OSM's words pass as they are)."""
    if field is None:
        return np.full(len(lines), default, dtype=object)
    if field not in lines.columns:
        attributes = ", ".join(map(str, lines.columns.drop("geometry")))
        raise InputError(
            f"{KEY}.{setting}",
            path,
            "has no attribute {field!r} (attributes: {attributes})",
            "set {KEY}.{setting} to one of those",
            field=field,
            attributes=attributes,
            KEY=KEY,
            setting=setting,
        )
    raw = lines[field].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
    words = raw.map(lambda v: table.get(v, v.lower() if known is None or v.lower() in known else None))
    words[raw == ""] = default
    unknown = raw[words.isna()]
    if len(unknown):
        counts = unknown.value_counts()
        shown = ", ".join(f"{value!r} ({n} lines)" for value, n in counts.items())
        raise InputError(
            f"{KEY}.{setting}",
            path,
            "has values of {field!r} with no mapping to an OSM word: {shown}",
            "map each under {table_key}, e.g. `{index}: track`",
            field=field,
            shown=shown,
            table_key=table_key,
            index=counts.index[0],
        )
    return words.to_numpy(dtype=object)


def _graph(lines: gpd.GeoDataFrame, highway: np.ndarray, surface: np.ndarray) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    node_of: dict[tuple[float, float], int] = {}
    for row, (geometry, cls, surf) in enumerate(zip(lines.geometry, highway, surface, strict=True)):
        parts = getattr(geometry, "geoms", [geometry])
        for part in parts:
            xy = np.asarray(part.coords)[:, :2]
            # Vertices equal to ~1 cm are the same node: files round coordinates differently.
            ids = [_node(graph, node_of, x, y) for x, y in np.round(xy, 7)]
            for k in range(len(ids) - 1):
                u, v = ids[k], ids[k + 1]
                if u == v:
                    continue
                length = _great_circle(*xy[k], *xy[k + 1])
                attributes = {"osmid": row + 1, "highway": cls, "length": length, "oneway": False}
                if surf:
                    attributes["surface"] = surf
                graph.add_edge(u, v, reversed=False, **attributes)
                graph.add_edge(v, u, reversed=True, **attributes)
    return graph


def _node(graph: nx.MultiDiGraph, node_of: dict[tuple[float, float], int], x: float, y: float) -> int:
    key = (float(x), float(y))
    if key not in node_of:
        node_of[key] = len(node_of) + 1
        graph.add_node(node_of[key], x=key[0], y=key[1])
    return node_of[key]


def _great_circle(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, np.radians(lon2 - lon1)
    h = np.sin(d_phi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(d_lambda / 2) ** 2
    return float(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(min(1.0, h))))
