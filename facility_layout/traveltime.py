"""Travel minutes between points, by mode, over the travel graphs and the terrain.

A trip from a village (or population cell) to a site is: a walk straight to a node of the mode's graph
(over the DEM by Tobler's function, times a detour factor, at most ``max_offroad_m``), the fastest route
over that graph, and the walk from its last node to the site. Points closer than ``max_offroad_m`` may also
walk straight across. A road network may come in pieces (islands, valleys joined by no road): a point
walks to the nearest road node whatever piece it is on, or to the nearest node of the largest piece when
that is within reach too (whichever makes the trip faster), and travels within the piece it walked to.
The modes:

- ``walk``: over the walking graph.
- ``motor``: ride from the motor road nearest to the origin to the one nearest to the destination.
- ``walk_then_motor``: walk (over the walking graph) to a road carrying motor traffic, then ride; the
  road chosen is the one that makes the trip fastest (for most people the nearest), or people walk all the
  way where that is faster.

Only pairs within a cutoff are kept (an :class:`~facility_layout.odmatrix.ODMatrix`).

Shortest paths use ``scipy.sparse.csgraph.dijkstra`` with ``limit``: compiled, many sources per call, and
it stops expanding at the cutoff. Searches start from whichever side has fewer distinct road nodes
(backwards over the reversed graph when that is the destinations), in blocks of nearby sources, each on
the part of the graph it can reach within the cutoff (an exact bound), so the work follows the searches,
not the size of the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from facility_layout.network import MOTOR, WALK, RoadNetwork, TravelGraph
from facility_layout.odmatrix import ODMatrix
from facility_layout.terrain import Elevation, LineProfiles
from facility_layout.travel_settings import MODE_WORDS, TravelSettings

# Sources per dijkstra call: bounds memory at CHUNK × n_nodes float64 (64 × 100k nodes ≈ 51 MB).
CHUNK = 64
# Sources per call when searching the whole graph: smaller blocks keep the dense distance rows in cache.
WHOLE_GRAPH_CHUNK = 8
# Nodes a block's search box aims to hold: small enough that initialising them is cheap, large enough
# that blocks (dijkstra calls) stay few.
AREA_NODES = 20_000


@dataclass(frozen=True)
class SnappedPoints:
    """Points tied to nodes of one travel graph: the nearest node, and the nearest of the largest part.

    Attributes
    ----------
    x, y : numpy.ndarray
        The points, metric CRS.
    node : numpy.ndarray of int64
        Their nearest usable node, -1 where none is within reach (off the network).
    access_minutes : numpy.ndarray
        Minutes from the point to its node (``inf`` off the network).
    egress_minutes : numpy.ndarray
        Minutes from the node to the point (differs from access on a slope).
    main_node, main_access, main_egress : numpy.ndarray
        The same for the nearest node of the graph's largest part, where that is another node within
        reach (-1 and ``inf`` elsewhere): a point beside a stray islet of road may still walk to the
        main network.
    """

    x: np.ndarray
    y: np.ndarray
    node: np.ndarray
    access_minutes: np.ndarray
    egress_minutes: np.ndarray
    main_node: np.ndarray
    main_access: np.ndarray
    main_egress: np.ndarray

    @property
    def off_network(self) -> np.ndarray:
        return self.node < 0

    def take(self, index: np.ndarray) -> SnappedPoints:
        """The points at ``index``, tied as they already are."""
        return SnappedPoints(*(getattr(self, f.name)[index] for f in fields(self)))

    def ties(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every (point, node, access minutes, egress minutes) tie, nearest nodes first."""
        near = np.flatnonzero(self.node >= 0)
        main = np.flatnonzero(self.main_node >= 0)
        return (
            np.concatenate([near, main]),
            np.concatenate([self.node[near], self.main_node[main]]),
            np.concatenate([self.access_minutes[near], self.main_access[main]]),
            np.concatenate([self.egress_minutes[near], self.main_egress[main]]),
        )


def offroad_minutes(
    x0: np.ndarray,
    y0: np.ndarray,
    x1: np.ndarray,
    y1: np.ndarray,
    travel: TravelSettings,
    elevation: Elevation | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Minutes to walk straight from (x0, y0) to (x1, y1) and back, over the DEM, detour factor applied."""
    if len(np.atleast_1d(x0)) == 0:
        return np.empty(0), np.empty(0)
    profiles = LineProfiles.along(x0, y0, x1, y1, elevation, travel.elevation_sample_m)
    tobler = travel.walking_slope == "tobler"
    there = profiles.walking_minutes(travel.walking_speed_kmh, tobler)
    back = profiles.walking_minutes(travel.walking_speed_kmh, tobler, reverse=True)
    return there * travel.offroad_detour_factor, back * travel.offroad_detour_factor


def snap_points(
    network: RoadNetwork,
    graph: TravelGraph,
    x: np.ndarray,
    y: np.ndarray,
    travel: TravelSettings,
    elevation: Elevation | None,
) -> SnappedPoints:
    """Tie each point to the nearest usable node of ``graph`` within ``travel.max_offroad_m``, whatever its
    piece, and also to the nearest node of the largest part where that is another node within reach."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    usable = np.flatnonzero(graph.usable)
    node, access, egress = _nearest(network, usable, x, y, travel, elevation)
    main = usable[graph.part[usable] == graph.main_part]
    main_node, main_access, main_egress = _nearest(network, main, x, y, travel, elevation, skip=node)
    return SnappedPoints(x, y, node, access, egress, main_node, main_access, main_egress)


def _nearest(
    network: RoadNetwork,
    candidates: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    travel: TravelSettings,
    elevation: Elevation | None,
    skip: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest of the ``candidates`` nodes within reach (-1 where none is, or where it is ``skip``'s node),
    with the off-road minutes to and from it."""
    node = np.full(len(x), -1, dtype=np.int64)
    access = np.full(len(x), np.inf)
    egress = np.full(len(x), np.inf)
    if len(candidates) == 0 or len(x) == 0:
        return node, access, egress
    distance, k = cKDTree(np.column_stack([network.x[candidates], network.y[candidates]])).query(
        np.column_stack([x, y])
    )
    near = distance <= travel.max_offroad_m
    node[near] = candidates[k[near]]
    if skip is not None:
        near &= node != skip
        node[~near] = -1
    access[near], egress[near] = offroad_minutes(
        x[near], y[near], network.x[node[near]], network.y[node[near]], travel, elevation
    )
    return node, access, egress


def walk_then_ride(walk: TravelGraph, motor: TravelGraph) -> TravelGraph:
    """One graph for walking to a road that carries motor traffic, then riding.

    Nodes ``0..n-1`` are walked, ``n..2n-1`` ridden; every node on both graphs has a one-way transfer
    from foot to vehicle. A search over it picks the road that makes the whole trip fastest (for most
    people the nearest one), and since conditions only slow or remove edges, a condition can never make
    such a trip shorter (a fixed "nearest road" rule could: closing a slow track sends people to a faster road).
    """
    n = walk.minutes.shape[0]
    stops = np.flatnonzero(walk.usable & motor.usable)
    transfer = sp.csr_matrix((np.full(len(stops), 1e-9), (stops, stops)), shape=(n, n))
    minutes = sp.bmat([[walk.minutes, transfer], [None, motor.minutes]], format="csr")
    return TravelGraph(
        mode="walk_then_motor",
        minutes=minutes,
        usable=np.concatenate([walk.usable, motor.usable]),
        part=np.concatenate([walk.part, np.where(motor.part >= 0, motor.part + n, -1)]),
        main_part=walk.main_part,
        closed_segments=walk.closed_segments + motor.closed_segments,
        x=np.concatenate([walk.x, motor.x]),
        y=np.concatenate([walk.y, motor.y]),
        max_metres_per_minute=max(walk.max_metres_per_minute, motor.max_metres_per_minute),
        by_x=np.argsort(np.concatenate([walk.x, motor.x]), kind="stable"),
    )


def _riding(points: SnappedPoints, n_nodes: int) -> SnappedPoints:
    """Points tied to the motor graph, renumbered onto the ridden half of :func:`walk_then_ride`'s graph."""
    return replace(
        points,
        node=np.where(points.node >= 0, points.node + n_nodes, -1),
        main_node=np.where(points.main_node >= 0, points.main_node + n_nodes, -1),
    )


def road_minutes(graph: TravelGraph, origins: SnappedPoints, destinations: SnappedPoints, cutoff: float) -> ODMatrix:
    """Minutes over ``graph`` (with the legs to and from it) for every pair within ``cutoff``.

    Parameters
    ----------
    graph : TravelGraph
        The mode's graph.
    origins, destinations : SnappedPoints
        Tied to ``graph``'s nodes; destinations need their ``egress_minutes``.
    cutoff : float
        Pairs slower than this are left out.
    """
    if cutoff < 0:
        raise ValueError("cutoff must be >= 0")
    shape = (len(origins.x), len(destinations.x))
    # One row per tie: a point tied to two nodes is searched from both, and its faster trip kept.
    on_o, o_node, access, _ = origins.ties()
    on_d, d_node, _, egress = destinations.ties()
    if len(on_o) == 0 or len(on_d) == 0:
        return ODMatrix.from_pairs([], [], [], shape)
    origin_nodes, origin_at = np.unique(o_node, return_inverse=True)
    dest_nodes, dest_at = np.unique(d_node, return_inverse=True)
    # Search from the side with fewer distinct nodes; backwards (reversed graph) from destinations.
    forward = len(origin_nodes) <= len(dest_nodes)
    if forward:
        matrix, sources, targets = graph.minutes, origin_nodes, dest_nodes
        source_at, target_at, source_leg, target_leg = origin_at, dest_at, access, egress
    else:
        matrix, sources, targets = graph.minutes.T.tocsr(), dest_nodes, origin_nodes
        source_at, target_at, source_leg, target_leg = dest_at, origin_at, egress, access
    # Blocks of sources that lie close together, so each block's search area is small.
    spatial = _spatial_order(graph.x[sources], graph.y[sources])
    rank = np.empty_like(spatial)
    rank[spatial] = np.arange(len(spatial))
    sources, source_at = sources[spatial], rank[source_at]
    order = np.argsort(source_at, kind="stable")
    bounds = np.searchsorted(source_at[order], np.arange(len(sources) + 1))
    budget = cutoff - target_leg.min()
    reach = max(budget - source_leg.min(), 0.0) * graph.max_metres_per_minute
    areas = _SearchAreas(graph, matrix, reach)
    out_s, out_t, out_m = [], [], []
    for start, stop in _blocks(graph.x[sources], graph.y[sources], areas.block_extent, areas.chunk):
        block = sources[start:stop]
        points = order[bounds[start] : bounds[stop]]  # source-side points on this block's nodes
        leg = source_leg[points]
        limit = budget - leg.min()
        if limit < 0:  # the walks to and from the roads alone exceed the cutoff
            continue
        local, sub = areas.around(block, limit)
        dist = dijkstra(sub, directed=True, indices=local[block], limit=limit)
        # Columns of the target nodes this block reaches (first: rows of whole-graph width would cost
        # points × nodes), then one row per source-side point and one column per target-side point.
        column = local[targets]
        reached = np.zeros(len(targets), dtype=bool)
        reached[column >= 0] = np.isfinite(dist[:, column[column >= 0]]).any(axis=0)
        hit_points = np.flatnonzero(reached[target_at])
        if len(hit_points) == 0:
            continue
        to_target = dist[:, column[target_at[hit_points]]]
        total = to_target[source_at[points] - start] + leg[:, None] + target_leg[hit_points][None, :]
        hit_s, hit_t = np.nonzero(total <= cutoff)
        out_s.append(points[hit_s])
        out_t.append(hit_points[hit_t])
        out_m.append(total[hit_s, hit_t])
    if not out_s:
        return ODMatrix.from_pairs([], [], [], shape)
    s, t, m = np.concatenate(out_s), np.concatenate(out_t), np.concatenate(out_m)
    o, d = (on_o[s], on_d[t]) if forward else (on_o[t], on_d[s])
    return ODMatrix.from_pairs(o, d, m, shape)


class _SearchAreas:
    """Cuts a graph down to what a search can touch (see :meth:`around`), without O(nodes) work per block."""

    def __init__(self, graph: TravelGraph, matrix: sp.csr_matrix, reach: float) -> None:
        """``reach``: the farthest (straight-line metres) any search of this call can go.

        Decides how blocks are formed. A block's search box should hold about :data:`AREA_NODES` nodes:
        ``block_extent`` is at least ``reach``, wider where the graph is sparse so that few blocks (few
        dijkstra calls) do, with :data:`CHUNK` sources at most. Where one source's box alone would hold an
        eighth of the graph, cutting costs more than it saves: ``cutting`` is off and blocks search the
        whole graph, :data:`WHOLE_GRAPH_CHUNK` sources at a time.
        """
        self.graph = graph
        self.matrix = matrix
        self.sorted_x = graph.x[graph.by_x]
        self.local = np.full(matrix.shape[0], -1, dtype=np.int64)  # node → its index in the current area
        self.kept = np.empty(0, dtype=np.int64)
        self.whole = np.arange(matrix.shape[0])
        x, y = graph.x, graph.y
        density = len(x) / max(float(np.ptp(x)) * float(np.ptp(y)), 1.0) if len(x) else 0.0
        self.cutting = density > 0 and (2 * reach) ** 2 * density <= len(x) / 8
        self.block_extent = max(reach, np.sqrt(AREA_NODES / density) - 2 * reach) if self.cutting else np.inf
        self.chunk = CHUNK if self.cutting else WHOLE_GRAPH_CHUNK

    def around(self, block: np.ndarray, limit: float) -> tuple[np.ndarray, sp.csr_matrix]:
        """The sub-graph a search of ``limit`` minutes from ``block`` can touch, and node → its index there.

        No route of ``limit`` minutes leaves a disc of ``limit × max_metres_per_minute`` around its start
        (no edge covers more straight-line metres per minute), so cutting the graph to the box around those
        discs changes no travel time. It spares scipy's per-search cost of initialising every node of a
        large graph. The returned index is valid until the next call.
        """
        graph, n = self.graph, self.matrix.shape[0]
        if not self.cutting:
            return self.whole, self.matrix
        self.local[self.kept] = -1
        reach = limit * graph.max_metres_per_minute * (1 + 1e-9) + 1e-6
        bx, by = graph.x[block], graph.y[block]
        lo = np.searchsorted(self.sorted_x, bx.min() - reach, side="left")
        hi = np.searchsorted(self.sorted_x, bx.max() + reach, side="right")
        strip = graph.by_x[lo:hi]
        kept = strip[(graph.y[strip] >= by.min() - reach) & (graph.y[strip] <= by.max() + reach)]
        if len(kept) > n // 2:  # cutting would save little
            self.kept = np.empty(0, dtype=np.int64)
            return self.whole, self.matrix
        self.kept = kept
        self.local[kept] = np.arange(len(kept))
        # The kept rows' entries, by hand: scipy's fancy indexing costs more than a small search.
        indptr, indices, data = self.matrix.indptr, self.matrix.indices, self.matrix.data
        starts, counts = indptr[kept], indptr[kept + 1] - indptr[kept]
        offsets = np.cumsum(counts) - counts
        entry = np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()))
        column = self.local[indices[entry]]
        keep = column >= 0
        row_of = np.repeat(np.arange(len(kept)), counts)[keep]
        sub_indptr = np.concatenate([[0], np.cumsum(np.bincount(row_of, minlength=len(kept)))])
        sub = sp.csr_matrix((data[entry[keep]], column[keep], sub_indptr), shape=(len(kept), len(kept)))
        return self.local, sub


def _blocks(x: np.ndarray, y: np.ndarray, extent: float, chunk: int) -> list[tuple[int, int]]:
    """Consecutive runs of at most ``chunk`` points (in spatial order) spanning at most ``extent`` metres."""
    blocks, start = [], 0
    x0 = x1 = y0 = y1 = 0.0
    for i, (xi, yi) in enumerate(zip(x.tolist(), y.tolist(), strict=True)):
        if i > start:
            x0, x1, y0, y1 = min(x0, xi), max(x1, xi), min(y0, yi), max(y1, yi)
        if i == start or i - start >= chunk or max(x1 - x0, y1 - y0) > extent:
            if i > start:
                blocks.append((start, i))
            start, x0, x1, y0, y1 = i, xi, xi, yi, yi
    if len(x):
        blocks.append((start, len(x)))
    return blocks


def _spatial_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices ordering points along a Z-order (Morton) curve: consecutive points lie close together."""
    if len(x) == 0:
        return np.empty(0, dtype=np.int64)
    span = max(float(np.ptp(x)), float(np.ptp(y)), 1e-9)
    code = np.zeros(len(x), dtype=np.uint64)
    for shift, values in ((0, x), (1, y)):
        v = ((values - values.min()) / span * 65535).astype(np.uint64)
        for step, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
            v = (v | (v << np.uint64(step))) & np.uint64(mask)
        code |= v << np.uint64(shift)
    return np.argsort(code, kind="stable")


def direct_walk_minutes(
    ox: np.ndarray,
    oy: np.ndarray,
    dx: np.ndarray,
    dy: np.ndarray,
    travel: TravelSettings,
    elevation: Elevation | None,
    cutoff: float,
) -> ODMatrix:
    """Pairs close enough (within ``max_offroad_m``) to walk straight across, over the DEM."""
    ox, oy, dx, dy = (np.asarray(a, dtype=float) for a in (ox, oy, dx, dy))
    if len(ox) == 0 or len(dx) == 0:
        return ODMatrix.from_pairs([], [], [], (len(ox), len(dx)))
    origin_tree = cKDTree(np.column_stack([ox, oy]))
    dest_tree = cKDTree(np.column_stack([dx, dy]))
    pairs = origin_tree.sparse_distance_matrix(dest_tree, travel.max_offroad_m, output_type="ndarray")
    o = pairs["i"].astype(np.int64)
    d = pairs["j"].astype(np.int64)
    minutes, _ = offroad_minutes(ox[o], oy[o], dx[d], dy[d], travel, elevation)
    keep = minutes <= cutoff
    return ODMatrix.from_pairs(o[keep], d[keep], minutes[keep], (len(ox), len(dx)))


@dataclass(frozen=True)
class Places:
    """Points tied to each travel graph in use (``None`` for a graph no mode needs)."""

    x: np.ndarray
    y: np.ndarray
    on_walk: SnappedPoints | None
    on_motor: SnappedPoints | None

    def take(self, index: np.ndarray) -> Places:
        return Places(
            self.x[index],
            self.y[index],
            self.on_walk.take(index) if self.on_walk else None,
            self.on_motor.take(index) if self.on_motor else None,
        )


def graphs_for(modes: list[str]) -> set[str]:
    """The travel graphs (``walk``, ``motor``) these modes need."""
    needed = set()
    for mode in modes:
        needed |= {WALK, MOTOR} if mode == "walk_then_motor" else {mode}
    return needed


def place(
    network: RoadNetwork,
    graphs: dict[str, TravelGraph],
    x: np.ndarray,
    y: np.ndarray,
    travel: TravelSettings,
    elevation: Elevation | None,
) -> Places:
    """Tie points to every graph in ``graphs``."""
    tied = {kind: snap_points(network, graph, x, y, travel, elevation) for kind, graph in graphs.items()}
    return Places(np.asarray(x, dtype=float), np.asarray(y, dtype=float), tied.get(WALK), tied.get(MOTOR))


def mode_minutes(
    mode: str,
    graphs: dict[str, TravelGraph],
    origins: Places,
    destinations: Places,
    travel: TravelSettings,
    elevation: Elevation | None,
    cutoff: float,
) -> ODMatrix:
    """Minutes by ``mode`` (``walk``, ``motor``, ``walk_then_motor``) for every pair within ``cutoff``.

    Every mode may also walk straight across when the points are within ``max_offroad_m``.
    """
    parts = [direct_walk_minutes(origins.x, origins.y, destinations.x, destinations.y, travel, elevation, cutoff)]
    if mode in (WALK, "walk_then_motor"):
        parts.append(road_minutes(graphs[WALK], origins.on_walk, destinations.on_walk, cutoff))
    if mode == MOTOR:
        parts.append(road_minutes(graphs[MOTOR], origins.on_motor, destinations.on_motor, cutoff))
    if mode == "walk_then_motor":
        layered = walk_then_ride(graphs[WALK], graphs[MOTOR])
        riding = _riding(destinations.on_motor, graphs[WALK].minutes.shape[0])
        parts.append(road_minutes(layered, origins.on_walk, riding, cutoff))
    if mode not in MODE_WORDS:
        raise ValueError(f"unknown travel mode {mode!r}: use one of {', '.join(MODE_WORDS)}")
    return ODMatrix.from_pairs(
        np.concatenate([p.origin for p in parts]),
        np.concatenate([p.destination for p in parts]),
        np.concatenate([p.minutes for p in parts]),
        parts[0].shape,
    )


@dataclass(frozen=True)
class RegionTravel:
    """The travel-time stage's result: the matrices the model reads, and what the conditions cut off.

    Attributes
    ----------
    demand_to_site : ODMatrix
        Demand points × sites, by the village-clinic mode (a township centre also serves as a clinic).
    demand_to_centre : ODMatrix
        Demand points × township centres, by the township-centre mode.
    site_to_centre : ODMatrix
        Sites × township centres, by the referral mode.
    demand_off_network : numpy.ndarray of bool
        Demand points with no road of their clinic mode within ``max_offroad_m``.
    closed_segments : dict
        Road segments closed by the conditions, per graph (walk, motor).
    """

    demand_to_site: ODMatrix
    demand_to_centre: ODMatrix
    site_to_centre: ODMatrix
    demand_off_network: np.ndarray
    closed_segments: dict[str, int]


def region_travel(
    network: RoadNetwork,
    graphs: dict[str, TravelGraph],
    demand_xy: tuple[np.ndarray, np.ndarray],
    site_xy: tuple[np.ndarray, np.ndarray],
    centres: np.ndarray,
    travel: TravelSettings,
    elevation: Elevation | None,
    cutoffs: tuple[float, float, float],
) -> RegionTravel:
    """Build the three matrices of a region.

    Parameters
    ----------
    network, graphs : RoadNetwork, dict
        The network and the travel graphs of the modes in ``travel.modes`` (see :func:`graphs_for`).
    demand_xy, site_xy : tuple of numpy.ndarray
        Coordinates of demand points and sites, metric CRS.
    centres : numpy.ndarray of int64
        Which sites are township centres.
    travel : TravelSettings
    elevation : Elevation, optional
    cutoffs : tuple of float
        Minutes kept for (demand → site, demand → centre, site → centre).
    """
    modes = travel.modes
    demand = place(network, graphs, *demand_xy, travel, elevation)
    sites = place(network, graphs, *site_xy, travel, elevation)
    centre_places = sites.take(np.asarray(centres, dtype=np.int64))
    clinic_tie = demand.on_motor if modes.village_clinic == MOTOR else demand.on_walk
    return RegionTravel(
        demand_to_site=mode_minutes(modes.village_clinic, graphs, demand, sites, travel, elevation, cutoffs[0]),
        demand_to_centre=mode_minutes(
            modes.township_centre, graphs, demand, centre_places, travel, elevation, cutoffs[1]
        ),
        site_to_centre=mode_minutes(modes.referral, graphs, sites, centre_places, travel, elevation, cutoffs[2]),
        demand_off_network=clinic_tie.off_network.copy(),
        closed_segments={kind: graph.closed_segments for kind, graph in graphs.items()},
    )
