"""Travel minutes between points over the road graph, with the walk to and from the road.

A trip from a village (or population cell) to a site is: walk straight to the nearest road node
(distance × detour factor at walking speed, at most ``max_offroad_m``), the fastest route over the
road graph, and the walk from the road to the site. Points closer to each other than
``max_offroad_m`` may also simply walk across. Only pairs within a cutoff are kept (an
:class:`~facility_layout.odmatrix.ODMatrix`).

Shortest paths use ``scipy.sparse.csgraph.dijkstra`` with ``limit``: compiled, multi-source, and it
stops expanding at the cutoff, so the work grows with the pairs inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from facility_layout.network import RoadGraph
from facility_layout.odmatrix import ODMatrix
from facility_layout.scenario import TravelSettings

# Destinations per dijkstra call: bounds memory at CHUNK × n_nodes float64 (64 × 100k nodes ≈ 51 MB).
CHUNK = 64


@dataclass(frozen=True)
class SnappedPoints:
    """Points tied to their nearest road node.

    Attributes
    ----------
    x, y : numpy.ndarray
        The points, metric CRS.
    node : numpy.ndarray of int64
        Nearest road node, -1 where it is farther than ``max_offroad_m`` (off the network).
    offroad_m : numpy.ndarray
        Straight-line distance to that node.
    offroad_minutes : numpy.ndarray
        Minutes to walk it (detour factor applied), ``inf`` off the network.
    """

    x: np.ndarray
    y: np.ndarray
    node: np.ndarray
    offroad_m: np.ndarray
    offroad_minutes: np.ndarray

    @property
    def off_network(self) -> np.ndarray:
        return self.node < 0

    def take(self, index: np.ndarray) -> SnappedPoints:
        """The points at ``index``, snapped as they already are."""
        return SnappedPoints(
            self.x[index], self.y[index], self.node[index], self.offroad_m[index], self.offroad_minutes[index]
        )


def walking_metres_per_minute(travel: TravelSettings) -> float:
    return travel.walking_speed_kmh * 1000 / 60


def snap_points(graph: RoadGraph, x: np.ndarray, y: np.ndarray, travel: TravelSettings) -> SnappedPoints:
    """Tie each point to its nearest road node within ``travel.max_offroad_m``."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    distance, node = cKDTree(np.column_stack([graph.x, graph.y])).query(np.column_stack([x, y]))
    node = np.where(distance <= travel.max_offroad_m, node, -1).astype(np.int64)
    minutes = np.where(node >= 0, distance * travel.offroad_detour_factor / walking_metres_per_minute(travel), np.inf)
    return SnappedPoints(x=x, y=y, node=node, offroad_m=distance, offroad_minutes=minutes)


def travel_minutes(
    graph: RoadGraph,
    origins: SnappedPoints,
    destinations: SnappedPoints,
    travel: TravelSettings,
    cutoff_minutes: float,
) -> ODMatrix:
    """Minutes from every origin to every destination reachable within ``cutoff_minutes``.

    Parameters
    ----------
    graph : RoadGraph
        The road network.
    origins, destinations : SnappedPoints
        Points snapped with :func:`snap_points`.
    travel : TravelSettings
        Walking speed, detour factor and off-road limit for the walking legs.
    cutoff_minutes : float
        Pairs slower than this are left out.

    Returns
    -------
    ODMatrix
        ``n_origins × n_destinations``; a pair is the fastest of the road route and a direct walk.
    """
    if cutoff_minutes < 0:
        raise ValueError("cutoff_minutes must be >= 0")
    shape = (len(origins.x), len(destinations.x))
    parts = [_road_pairs(graph, origins, destinations, cutoff_minutes), _walk_pairs(origins, destinations, travel)]
    o = np.concatenate([p[0] for p in parts])
    d = np.concatenate([p[1] for p in parts])
    m = np.concatenate([p[2] for p in parts])
    keep = m <= cutoff_minutes
    return ODMatrix.from_pairs(o[keep], d[keep], m[keep], shape)


def _road_pairs(
    graph: RoadGraph, origins: SnappedPoints, destinations: SnappedPoints, cutoff: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs via the road graph: searches run backwards from the destinations' nodes."""
    on_o = np.flatnonzero(~origins.off_network)
    on_d = np.flatnonzero(~destinations.off_network)
    if len(on_o) == 0 or len(on_d) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    # Searching the reversed graph from each destination node gives node → destination minutes.
    reverse = graph.minutes.T.tocsr()
    dest_nodes, dest_of_node = np.unique(destinations.node[on_d], return_inverse=True)
    origin_nodes = origins.node[on_o]
    budget = cutoff - origins.offroad_minutes[on_o].min()
    out_o, out_d, out_m = [], [], []
    for start in range(0, len(dest_nodes), CHUNK):
        block = dest_nodes[start : start + CHUNK]
        to_dest = dijkstra(reverse, directed=True, indices=block, limit=budget)[:, origin_nodes]
        # Every destination sitting on a node of this block gets that node's row.
        for k in np.flatnonzero((dest_of_node >= start) & (dest_of_node < start + len(block))):
            j = on_d[k]
            total = to_dest[dest_of_node[k] - start] + origins.offroad_minutes[on_o] + destinations.offroad_minutes[j]
            hit = np.flatnonzero(total <= cutoff)
            out_o.append(on_o[hit])
            out_d.append(np.full(len(hit), j, dtype=np.int64))
            out_m.append(total[hit])
    if not out_o:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    return np.concatenate(out_o), np.concatenate(out_d), np.concatenate(out_m)


def _walk_pairs(
    origins: SnappedPoints, destinations: SnappedPoints, travel: TravelSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs close enough to walk straight across (within ``max_offroad_m``)."""
    origin_tree = cKDTree(np.column_stack([origins.x, origins.y]))
    dest_tree = cKDTree(np.column_stack([destinations.x, destinations.y]))
    pairs = origin_tree.sparse_distance_matrix(dest_tree, travel.max_offroad_m, output_type="ndarray")
    o = pairs["i"].astype(np.int64)
    d = pairs["j"].astype(np.int64)
    minutes = pairs["v"] * travel.offroad_detour_factor / walking_metres_per_minute(travel)
    return o, d, minutes
