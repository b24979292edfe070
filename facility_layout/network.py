"""Road graph: OSM ways → a directed graph of travel minutes in the region's metric CRS.

Each OSM segment is kept unsimplified, so every piece of road carries its own highway class and
length. Roads that carry motor traffic are travelled at the scenario's km/h for their class;
every other class (footway, path, steps, …) is walked. A one-way street is still walkable against
its direction, at walking speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import scipy.sparse as sp
from pyproj import CRS, Transformer
from scipy.sparse.csgraph import connected_components
from shapely import LineString, MultiLineString, line_merge

from facility_layout.scenario import TravelSettings

# Ways that are not (yet, or any more) usable by anyone.
UNUSABLE_HIGHWAYS = frozenset(
    {"construction", "proposed", "abandoned", "disused", "razed", "platform", "raceway", "bus_stop", "elevator"}
)


@dataclass(frozen=True)
class RoadGraph:
    """The usable road network: its largest strongly connected part.

    Attributes
    ----------
    osm_id : numpy.ndarray
        OSM node id of each graph node.
    x, y : numpy.ndarray
        Node coordinates in ``crs`` (metres).
    minutes : scipy.sparse.csr_matrix
        ``minutes[u, v]``: minutes to travel the fastest edge from node u to node v.
    crs : pyproj.CRS
        The metric CRS.
    roads : geopandas.GeoDataFrame
        Merged road lines per highway class (for maps).
    dropped_nodes : int
        Nodes left out because they sit on pieces not connected to the main network.
    """

    osm_id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    minutes: sp.csr_matrix
    crs: CRS
    roads: gpd.GeoDataFrame
    dropped_nodes: int

    @property
    def n_nodes(self) -> int:
        return len(self.osm_id)


def edge_speed_kmh(highway: str | list[str], travel: TravelSettings) -> float | None:
    """km/h on a way of this highway class; None if nobody can use it.

    A list (a segment merged from several ways) travels at its slowest usable class, so a travel time is
    never flattered by a merge.
    """
    classes = [highway] if isinstance(highway, str) else list(highway)
    speeds = [travel.motor_speeds_kmh.get(h, travel.walking_speed_kmh) for h in classes if h not in UNUSABLE_HIGHWAYS]
    return min(speeds) if speeds else None


def build_road_graph(osm_graph: nx.MultiDiGraph, crs: CRS, travel: TravelSettings) -> RoadGraph:
    """Turn the OSM graph (EPSG:4326, edge ``length`` in metres) into a :class:`RoadGraph`.

    Parameters
    ----------
    osm_graph : networkx.MultiDiGraph
        As read by :func:`facility_layout.inputs.read_roads`.
    crs : pyproj.CRS
        The region's metric CRS.
    travel : TravelSettings
        Speeds per highway class and walking speed.
    """
    osm_ids = np.fromiter(osm_graph.nodes, dtype=np.int64, count=osm_graph.number_of_nodes())
    index = {node: i for i, node in enumerate(osm_ids.tolist())}
    lon = np.array([osm_graph.nodes[n]["x"] for n in osm_ids.tolist()])
    lat = np.array([osm_graph.nodes[n]["y"] for n in osm_ids.tolist()])
    source_crs = CRS.from_user_input(osm_graph.graph.get("crs", "EPSG:4326"))
    x, y = Transformer.from_crs(source_crs, crs, always_xy=True).transform(lon, lat)

    walk_m_per_min = travel.walking_speed_kmh * 1000 / 60
    rows, cols, minutes, classes = [], [], [], []
    for u, v, data in osm_graph.edges(data=True):
        kmh = edge_speed_kmh(data.get("highway", "road"), travel)
        if kmh is None:
            continue
        length = float(data.get("length", 0.0))
        i, j = index[u], index[v]
        rows.append(i)
        cols.append(j)
        minutes.append(length / (kmh * 1000 / 60))
        classes.append(_first(data.get("highway", "road")))
        if data.get("oneway") is True and not data.get("reversed", False):
            rows.append(j)  # walkers may go against a one-way street
            cols.append(i)
            minutes.append(length / walk_m_per_min)
            classes.append(None)
    n = len(osm_ids)
    matrix = _min_csr(np.array(rows), np.array(cols), np.array(minutes), n)

    # Keep the largest strongly connected part: a point snapped to an islet of road could reach nothing.
    _, label = connected_components(matrix, directed=True, connection="strong")
    main = label == np.bincount(label).argmax()
    keep = np.flatnonzero(main)
    matrix = matrix[keep][:, keep].tocsr()

    roads = _road_lines(x, y, np.array(rows), np.array(cols), classes, main, crs)
    return RoadGraph(
        osm_id=osm_ids[keep],
        x=np.asarray(x)[keep],
        y=np.asarray(y)[keep],
        minutes=matrix,
        crs=crs,
        roads=roads,
        dropped_nodes=int(n - len(keep)),
    )


def _first(highway: str | list[str]) -> str:
    return highway if isinstance(highway, str) else str(highway[0])


def _min_csr(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n: int) -> sp.csr_matrix:
    """CSR matrix keeping the smallest value of parallel edges (scipy would add them up)."""
    order = np.lexsort((values, cols, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    # A zero-length edge must stay an edge: csgraph treats explicit zeros as absent, so floor it.
    values = np.maximum(values[first], 1e-9)
    return sp.csr_matrix((values, (rows[first], cols[first])), shape=(n, n))


def _road_lines(
    x: np.ndarray,
    y: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    classes: list[str | None],
    main: np.ndarray,
    crs: CRS,
) -> gpd.GeoDataFrame:
    """One merged line geometry per highway class, each undirected segment once (for the map)."""
    segments: dict[str, set[tuple[int, int]]] = {}
    for u, v, highway in zip(rows.tolist(), cols.tolist(), classes, strict=True):
        if highway is None or not (main[u] and main[v]):
            continue
        segments.setdefault(highway, set()).add((min(u, v), max(u, v)))
    records = []
    for highway in sorted(segments):
        lines = [LineString([(x[u], y[u]), (x[v], y[v])]) for u, v in sorted(segments[highway])]
        records.append({"highway": highway, "geometry": line_merge(MultiLineString(lines))})
    return gpd.GeoDataFrame(records, geometry="geometry", crs=crs)
