"""Road network: OSM ways → per-mode directed graphs of travel minutes in the region's metric CRS.

:func:`build_road_network` keeps every OSM segment unsimplified (each piece of road has its own class,
surface and length) and knows nothing of speeds. :func:`travel_graph` turns it into the graph one mode
travels on:

- ``walk``: every usable way in both directions (walkers ignore one-way), except motorways; minutes by
  Tobler's hiking function over the DEM, so the graph is directed (uphill ≠ downhill).
- ``motor``: the classes in ``travel.motor_speeds_kmh``, in their allowed direction. Speed is the class
  speed, capped by a tagged ``maxspeed``, times the surface factor of a tagged unpaved surface, times the
  slope penalty along the segment. Footways, paths and steps carry walkers only.

Every piece of the network is kept (an island's roads, a valley reached only by a ferry): travel happens
within each piece, and a point ties to the nearest road whatever piece it is on (see
:func:`facility_layout.traveltime.snap_points`). Pieces are numbered by size, 1 the largest.

Conditions (a rainy season, closures) only slow or remove edges; they never add or speed one up.
Nodes stay, so a village cut off by a closure is still on its piece of road and shows as unreachable.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import scipy.sparse as sp
import shapely
from pyproj import CRS, Transformer
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely import line_merge
from shapely.geometry.base import BaseGeometry

from facility_layout.road_table import RoadTable, road_table
from facility_layout.terrain import Elevation, LineProfiles
from facility_layout.travel_settings import TravelCondition, TravelSettings

# Ways that are not (yet, or any more) usable by anyone.
UNUSABLE_HIGHWAYS = frozenset(
    {"construction", "proposed", "abandoned", "disused", "razed", "platform", "raceway", "bus_stop", "elevator"}
)
# Pedestrians are not allowed on these.
NO_WALKING_HIGHWAYS = frozenset({"motorway", "motorway_link"})

WALK = "walk"
MOTOR = "motor"


@dataclass(frozen=True)
class RoadNetwork:
    """The usable road network (every connected piece of it), one row per directed OSM edge.

    Attributes
    ----------
    osm_id, x, y : numpy.ndarray
        Per node: OSM id and coordinates in ``crs`` (metres).
    edge_u, edge_v : numpy.ndarray of int64
        Per edge: node indices, in the direction vehicles may use it (osmnx adds the reverse edge of a
        two-way road as its own row).
    length_m : numpy.ndarray
    highway, surface : numpy.ndarray of str
        OSM class and surface (``""`` where untagged).
    unpaved : numpy.ndarray of bool
        Tagged unpaved, or untagged track/path/bridleway.
    maxspeed_kmh : numpy.ndarray
        Tagged speed limit, NaN where untagged or not a number.
    way_id : numpy.ndarray of int64
    crs : pyproj.CRS
    roads : geopandas.GeoDataFrame
        Merged lines per highway class (for maps).
    piece : numpy.ndarray of int64
        Per node: its connected piece of road (any usable way, either direction), 1 the largest.
    """

    osm_id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    length_m: np.ndarray
    highway: np.ndarray
    surface: np.ndarray
    unpaved: np.ndarray
    maxspeed_kmh: np.ndarray
    way_id: np.ndarray
    crs: CRS
    roads: gpd.GeoDataFrame
    piece: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.osm_id)

    @property
    def n_pieces(self) -> int:
        return int(self.piece.max()) if len(self.piece) else 0


@dataclass(frozen=True)
class TravelGraph:
    """What one mode travels on.

    Attributes
    ----------
    mode : str
        ``walk`` or ``motor``.
    minutes : scipy.sparse.csr_matrix
        ``minutes[u, v]``: fastest edge from node u to node v, all nodes of the network.
    usable : numpy.ndarray of bool
        Nodes a point may be tied to: in each piece of the mode's roads, its largest strongly connected
        part, before conditions (a one-way stub that cannot be left is not a place to start from).
    part : numpy.ndarray of int64
        Per usable node, a label of its part (-1 for other nodes); ``main_part`` is the largest one's.
    main_part : int
    closed_segments : int
        Road segments (between two OSM nodes, either direction) this mode may not use under the conditions.
    x, y : numpy.ndarray
        Node coordinates (metric CRS).
    max_metres_per_minute : float
        The most straight-line metres any edge covers per minute: no route of t minutes ends farther than
        t × this from its start, which lets searches skip the rest of the graph.
    by_x : numpy.ndarray of int64
        Node indices sorted by x, to find the nodes in a box quickly.
    """

    mode: str
    minutes: sp.csr_matrix
    usable: np.ndarray
    part: np.ndarray
    main_part: int
    closed_segments: int
    x: np.ndarray
    y: np.ndarray
    max_metres_per_minute: float
    by_x: np.ndarray


def build_road_network(roads: RoadTable | nx.MultiDiGraph, crs: CRS) -> RoadNetwork:
    """Turn the road input (a :class:`RoadTable`, or an osmnx graph: EPSG:4326, edge ``length`` in metres)
    into a :class:`RoadNetwork` in ``crs``."""
    table = roads if isinstance(roads, RoadTable) else road_table(roads)
    transform = Transformer.from_crs(CRS.from_user_input(table.crs), crs, always_xy=True)
    x, y = (np.asarray(a, dtype=float) for a in transform.transform(table.lon, table.lat))
    usable = ~np.isin(table.highway, list(UNUSABLE_HIGHWAYS))
    u, v = table.edge_u[usable], table.edge_v[usable]
    n = table.n_nodes

    # Every piece is kept, numbered by size; nodes on no usable way (a construction site's) are left out.
    touched = np.zeros(n, dtype=bool)
    touched[u] = touched[v] = True
    new_index = np.cumsum(touched) - 1
    u, v = new_index[u], new_index[v]
    x, y = x[touched], y[touched]
    highway = table.highway[usable].astype(str)
    return RoadNetwork(
        osm_id=table.osm_id[touched],
        x=x,
        y=y,
        edge_u=u.astype(np.int64),
        edge_v=v.astype(np.int64),
        length_m=table.length_m[usable].astype(float),
        highway=highway,
        surface=table.surface[usable].astype(str),
        unpaved=table.unpaved[usable].astype(bool),
        maxspeed_kmh=table.maxspeed_kmh[usable].astype(float),
        way_id=table.way_id[usable].astype(np.int64),
        crs=crs,
        roads=_road_lines(x, y, u, v, highway, crs),
        piece=_pieces_by_size(u, v, len(x)),
    )


def _pieces_by_size(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Connected piece of each node (edges taken both ways), numbered 1, 2, … from the largest."""
    links = sp.csr_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, label = connected_components(links, directed=False)
    sizes = np.bincount(label)
    rank = np.empty_like(sizes)
    rank[np.lexsort((np.arange(len(sizes)), -sizes))] = np.arange(1, len(sizes) + 1)
    return rank[label].astype(np.int64)


def nearest_piece(network: RoadNetwork, x: np.ndarray, y: np.ndarray, max_m: float) -> np.ndarray:
    """The piece of the nearest road node within ``max_m`` of each point (0 where none is)."""
    if network.n_nodes == 0 or len(x) == 0:
        return np.zeros(len(x), dtype=np.int64)
    distance, k = cKDTree(np.column_stack([network.x, network.y])).query(np.column_stack([x, y]))
    return np.where(distance <= max_m, network.piece[np.minimum(k, network.n_nodes - 1)], 0).astype(np.int64)


def piece_report(
    network: RoadNetwork, demand_piece: np.ndarray, people: np.ndarray, site_piece: np.ndarray
) -> dict[str, object]:
    """The pieces of road in use (with people or sites near them), and the count of the others.

    Returns ``{"piece_count", "pieces": [{"piece", "nodes", "segments", "people", "sites"}, …],
    "unused_pieces": {"pieces", "nodes", "segments"}}``; ``people`` and ``sites`` count the points whose
    nearest road node (within ``max_offroad_m``) is on the piece. Unused pieces stay in the graphs (nobody
    starts or ends a trip on them, so they change no travel time).
    """
    count = network.n_pieces
    nodes = np.bincount(network.piece, minlength=count + 1)
    ends = np.sort(np.column_stack([network.edge_u, network.edge_v]), axis=1)
    segment_start = np.unique(ends, axis=0)[:, 0]  # each undirected segment once
    segments = np.bincount(network.piece[segment_start], minlength=count + 1)
    on_people = np.bincount(demand_piece, weights=people, minlength=count + 1)
    on_sites = np.bincount(site_piece, minlength=count + 1)
    in_use = (on_people > 0) | (on_sites > 0)
    used = [p for p in range(1, count + 1) if in_use[p]]
    unused = [p for p in range(1, count + 1) if not in_use[p]]
    return {
        "piece_count": count,
        "pieces": [
            {
                "piece": p,
                "nodes": int(nodes[p]),
                "segments": int(segments[p]),
                "people": round(float(on_people[p]), 2),
                "sites": int(on_sites[p]),
            }
            for p in used
        ],
        "unused_pieces": {
            "pieces": len(unused),
            "nodes": int(nodes[unused].sum()),
            "segments": int(segments[unused].sum()),
        },
    }


def travel_graph(
    network: RoadNetwork,
    mode: str,
    travel: TravelSettings,
    elevation: Elevation | None,
    closed_areas: list[BaseGeometry | None] | None = None,
) -> TravelGraph:
    """The directed graph of travel minutes for ``mode`` (``walk`` or ``motor``) under the scenario's conditions.

    Parameters
    ----------
    network : RoadNetwork
    mode : str
        ``walk`` or ``motor``.
    travel : TravelSettings
        Speeds, walking model, slope penalty and the conditions in force.
    elevation : Elevation, optional
        The DEM; without it every road is flat.
    closed_areas : list, optional
        Polygon of each condition in ``travel.resolved_conditions()`` (None where it has none), in the
        network's CRS.
    """
    conditions = travel.resolved_conditions()
    closed_areas = closed_areas if closed_areas is not None else [None] * len(conditions)
    if len(closed_areas) != len(conditions):
        raise ValueError("closed_areas needs one entry per condition")
    profiles = LineProfiles.along(
        network.x[network.edge_u],
        network.y[network.edge_u],
        network.x[network.edge_v],
        network.y[network.edge_v],
        elevation,
        travel.elevation_sample_m,
    )
    # A profile's run follows the straight line; stretch it to the OSM length (which is the same here,
    # the graph being unsimplified, up to rounding).
    straight = np.bincount(profiles.line, profiles.run_m, minlength=profiles.n_lines)
    stretch = np.divide(network.length_m, straight, out=np.ones_like(straight), where=straight > 0)

    if mode == WALK:
        usable = ~np.isin(network.highway, list(NO_WALKING_HIGHWAYS))
        tobler = travel.walking_slope == "tobler"
        forward = profiles.walking_minutes(travel.walking_speed_kmh, tobler) * stretch
        backward = profiles.walking_minutes(travel.walking_speed_kmh, tobler, reverse=True) * stretch
        rows = np.concatenate([network.edge_u, network.edge_v])
        cols = np.concatenate([network.edge_v, network.edge_u])
        minutes = np.concatenate([forward, backward])
        slow = np.prod([c.unpaved_walking_factor for c in conditions]) if conditions else 1.0
        minutes = np.where(np.tile(network.unpaved, 2), minutes / slow, minutes)
        closed = np.tile(_closed_to_everyone(network, conditions, closed_areas), 2)
        usable = np.tile(usable, 2)
    elif mode == MOTOR:
        class_kmh = np.array([travel.motor_speeds_kmh.get(h, np.nan) for h in network.highway.tolist()])
        usable = np.isfinite(class_kmh)
        kmh = np.fmin(class_kmh, network.maxspeed_kmh)  # fmin: an untagged (NaN) limit leaves the class speed
        surface = np.array([travel.surface_speed_factors.get(s, 1.0) for s in network.surface.tolist()])
        kmh = kmh * surface
        for condition in conditions:
            kmh = np.where(network.unpaved, kmh * condition.unpaved_motor_factor, kmh)
        length = profiles.motor_length_m(travel.motor_slope_penalty) * stretch
        rows, cols = network.edge_u, network.edge_v
        minutes = np.where(usable, length / (np.where(usable, kmh, 1.0) * 1000 / 60), np.inf)
        closed = _closed_to_everyone(network, conditions, closed_areas) | np.isin(
            network.highway, [h for c in conditions for h in c.closed_to_vehicles]
        )
    else:
        raise ValueError(f"unknown mode {mode!r}: use 'walk' or 'motor'")

    n = network.n_nodes
    normal = _min_csr(rows[usable], cols[usable], minutes[usable], n)
    touched = np.zeros(n, dtype=bool)
    touched[rows[usable]] = touched[cols[usable]] = True
    _, piece = connected_components(normal, directed=True, connection="weak")
    _, part = connected_components(normal, directed=True, connection="strong")
    usable_nodes = _largest_within(piece, part, touched)
    open_ = usable & ~closed
    graph = _min_csr(rows[open_], cols[open_], minutes[open_], n)
    part = np.where(usable_nodes, part, -1)
    sizes = np.bincount(part[usable_nodes]) if usable_nodes.any() else np.zeros(1, dtype=np.int64)
    return TravelGraph(
        mode=mode,
        minutes=graph,
        usable=usable_nodes,
        part=part.astype(np.int64),
        main_part=int(np.argmax(sizes)),
        closed_segments=_segments(rows[usable & closed], cols[usable & closed]),
        x=network.x,
        y=network.y,
        max_metres_per_minute=max_metres_per_minute(graph, network.x, network.y),
        by_x=np.argsort(network.x, kind="stable"),
    )


def max_metres_per_minute(minutes: sp.csr_matrix, x: np.ndarray, y: np.ndarray) -> float:
    """Largest straight-line distance per minute over the edges of ``minutes`` (0 without edges)."""
    edges = minutes.tocoo()
    if edges.nnz == 0:
        return 0.0
    straight = np.hypot(x[edges.row] - x[edges.col], y[edges.row] - y[edges.col])
    return float(np.max(straight / edges.data))


def _segments(rows: np.ndarray, cols: np.ndarray) -> int:
    """Distinct undirected node pairs among these edges."""
    return len({(min(a, b), max(a, b)) for a, b in zip(rows.tolist(), cols.tolist(), strict=True)})


def _closed_to_everyone(
    network: RoadNetwork, conditions: list[TravelCondition], closed_areas: list[BaseGeometry | None]
) -> np.ndarray:
    closed = np.isin(network.way_id, [w for c in conditions for w in c.closed_way_ids])
    areas = [a for a in closed_areas if a is not None and not a.is_empty]
    if areas:
        segments = shapely.linestrings(
            np.stack(
                [
                    np.column_stack([network.x[network.edge_u], network.y[network.edge_u]]),
                    np.column_stack([network.x[network.edge_v], network.y[network.edge_v]]),
                ],
                axis=1,
            )
        )
        for area in areas:
            shapely.prepare(area)
            closed |= shapely.intersects(area, segments)
    return closed


def _largest_within(group: np.ndarray, label: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Members whose ``label`` is the most common one among the members of their ``group``.

    With weakly connected pieces as groups and strongly connected parts as labels: each piece's largest
    strong part (ties to the lowest label, so the choice is deterministic).
    """
    keep = np.zeros(len(group), dtype=bool)
    if not members.any():
        return keep
    pairs, counts = np.unique(np.column_stack([group[members], label[members]]), axis=0, return_counts=True)
    order = np.lexsort((pairs[:, 1], -counts, pairs[:, 0]))  # by group, most members first, lowest label
    pairs = pairs[order]
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:, 0] != pairs[:-1, 0]
    best = np.full(int(group.max()) + 1, -1, dtype=np.int64)
    best[pairs[first, 0]] = pairs[first, 1]
    return members & (label == best[group])


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
    x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray, highway: np.ndarray, crs: CRS
) -> gpd.GeoDataFrame:
    """One merged line geometry per highway class, each undirected segment once (for the map)."""
    records = []
    if len(u):
        classes, cls = np.unique(highway, return_inverse=True)
        # Each (class, lower node, higher node) once, in that order: the segments of a class, sorted.
        segments = np.unique(np.column_stack([cls, np.minimum(u, v), np.maximum(u, v)]), axis=0)
        starts = np.searchsorted(segments[:, 0], np.arange(len(classes) + 1))
        ends = segments[:, 1:]
        coords = np.stack(
            [np.column_stack([x[ends[:, 0]], y[ends[:, 0]]]), np.column_stack([x[ends[:, 1]], y[ends[:, 1]]])], axis=1
        )
        lines = shapely.linestrings(coords)
        for c, h in enumerate(classes.tolist()):
            merged = line_merge(shapely.multilinestrings(lines[starts[c] : starts[c + 1]]))
            records.append({"highway": h, "geometry": merged})
    return gpd.GeoDataFrame(records, geometry="geometry", crs=crs)
