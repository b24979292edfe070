"""The road network: trunk roads, county and village roads, tracks and footpaths, split into OSM ways."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree

from facility_layout.synthetic.lattice import Lattice
from facility_layout.synthetic.places import Places

# Each lattice step of a road is written with nodes this far apart, as OSM maps mountain roads (median segment between
# two OSM nodes: 18 m on Ngazidja, 22 m on Mwali).
OSM_NODE_SPACING_M = 22.0
# Grade at which building or driving a road costs twice as much per metre (cost grows with grade²).
GRADE_SCALE = {"trunk": 0.06, "village": 0.09, "track": 0.14}
ON_ROAD_DISCOUNT = 0.8  # an existing road is preferred to new way at equal cost
LARGE_VILLAGE_SHARE = 0.15  # the largest villages are reached by (paved, named) county roads
FOOTWAY_GRADE = 0.15  # a hamlet whose access climbs steeper than this on average gets a footway, not a track
# Shortcuts between neighbouring villages at most this far apart (straight line), adding this much new way:
SHORTCUT_MAX_M = 5_000.0
SHORTCUT_MIN_NEW_M = 400.0
PASS_ROAD_RATIO = 0.4  # a road over a pass, if at most 0.4 × the length of the way round by road
PATH_RATIO = 0.7  # a footpath over a ridge, if it saves 30 % of the walking effort of the way round by road …
PATH_MIN_CLIMB_M = 80.0  # … and it climbs this much above both villages

# OSM road classes of the generated network, in the order they are built (a segment keeps its first class).
HIGHWAYS = ("secondary", "tertiary", "unclassified", "track", "footway", "path")
_SECONDARY, _TERTIARY, _UNCLASSIFIED, _TRACK, _FOOTWAY, _PATH = range(1, 7)
SURFACES = ("paved", "unpaved", "ground")


@dataclass(frozen=True)
class _Way:
    nodes: list[int]  # OSM node ids
    highway: str
    surface: str
    name: str | None


@dataclass(frozen=True)
class RoadNetwork:
    node_ids: np.ndarray  # OSM ids: lattice nodes (sorted), then the nodes added between them
    x: np.ndarray  # metric, smoothed
    y: np.ndarray
    ways: list[_Way]


class _RoadBuilder:
    """Road segments on lattice edges, each with a class, a surface and maybe a name (first one wins)."""

    def __init__(self, lattice: Lattice) -> None:
        self.lattice = lattice
        self.highway = np.zeros(lattice.tail.size, dtype=np.int8)
        self.surface = np.zeros(lattice.tail.size, dtype=np.int8)
        self.name = np.full(lattice.tail.size, -1, dtype=np.int32)
        self.names: list[str] = []
        self.on_road = np.zeros(lattice.n_nodes, dtype=bool)

    def add(self, path: list[int], highway: int, surface: str, name: str | None = None) -> None:
        """Make the lattice path a road where it is not one already."""
        if len(path) < 2:
            return
        nodes = np.asarray(path)
        edges = np.concatenate(
            [self.lattice.edge_index(nodes[:-1], nodes[1:]), self.lattice.edge_index(nodes[1:], nodes[:-1])]
        )
        new = edges[self.highway[edges] == 0]
        self.highway[new] = highway
        self.surface[new] = SURFACES.index(surface)
        if name is not None:
            self.names.append(name)
            self.name[new] = len(self.names) - 1
        self.on_road[nodes] = True

    def new_length(self, path: list[int]) -> float:
        """Metres of the path not yet on a road."""
        if len(path) < 2:
            return 0.0
        edges = self.lattice.edge_index(path[:-1], path[1:])
        return float(self.lattice.length[edges][self.highway[edges] == 0].sum())


def build_roads(rng: np.random.Generator, lattice: Lattice, places: Places, outlet: tuple[float, float]) -> RoadNetwork:
    """A road network that follows the terrain, built the way mountain networks grow.

    Paved trunk roads join the township seats and leave the box at its edge (secondary between the exits,
    tertiary to the other seats), along the cheapest corridors for a road: valley floors, since cost grows
    with the square of the grade. County roads (tertiary) reach the large villages, village roads
    (unclassified) the others, and a few unpaved roads cross low passes where the way round is long.
    Tracks, or footways where too steep, reach the hamlets; footpaths climb over ridges between
    neighbouring villages where walking over beats walking round. Each tier is routed as a shortest-path
    forest grown from the network built so far, so branches join it and each other instead of running in
    parallel.
    """
    builder = _RoadBuilder(lattice)
    towns = places.node[places.place == "town"]
    exits = _exits(rng, lattice, outlet)
    terminals = np.concatenate([exits, towns])
    links = _steiner_links(lattice, lattice.road_cost(GRADE_SCALE["trunk"]), terminals)
    # Roads between exits are the through roads (secondary); the rest link township seats (tertiary).
    through = _through_links(links, exits)
    is_village = places.place == "village"
    large = np.zeros_like(is_village)
    if is_village.any():
        large = is_village & (places.size >= np.quantile(places.size[is_village], 1.0 - LARGE_VILLAGE_SHARE))
    # Road numbers as in China: provincial roads S2xx–S3xx, county roads X001 onwards.
    provincial = (201 + rng.permutation(199)).tolist()
    county = (1 + rng.permutation(max(999, len(links) + int(large.sum())))).tolist()
    for k, (_, _, path) in enumerate(links):
        if k in through:
            builder.add(path, _SECONDARY, "paved", f"S{provincial[through[k] % len(provincial)]}")
    for k, (_, _, path) in enumerate(links):
        if k not in through:
            builder.add(path, _TERTIARY, "paved", f"X{county.pop():03d}")

    village_cost = lattice.road_cost(GRADE_SCALE["village"])
    # County roads reach the large villages first, so the village roads branch off them.
    for path in _branches(lattice, builder, places.node[large], village_cost):
        builder.add(path, _TERTIARY, "paved", f"X{county.pop():03d}")
    for path in _branches(lattice, builder, places.node[is_village & ~large], village_cost):
        # China's village road programme has paved most village roads; the rest are gravel.
        builder.add(path, _UNCLASSIFIED, "paved" if rng.random() < 0.65 else "unpaved")
    seats = places.node[places.place != "hamlet"]
    # Roads over a low pass join neighbouring valleys where the way round is long.
    on_road = np.where(builder.highway > 0, ON_ROAD_DISCOUNT, 1.0)
    for path in _shortcuts(lattice, builder, seats, village_cost * on_road, lattice.length, PASS_ROAD_RATIO, 0.0):
        builder.add(path, _UNCLASSIFIED, "unpaved")
    for path in _branches(
        lattice, builder, places.node[places.place == "hamlet"], lattice.road_cost(GRADE_SCALE["track"])
    ):
        edges = lattice.edge_index(path[:-1], path[1:])
        steep = len(path) > 1 and float(np.average(lattice.grade[edges], weights=lattice.length[edges])) > FOOTWAY_GRADE
        builder.add(path, _FOOTWAY if steep else _TRACK, "ground" if steep else "unpaved")
    # Footpaths climb over ridges between neighbouring villages where walking over beats walking round.
    walking = lattice.walking_cost()
    on_road = np.where(builder.highway > 0, ON_ROAD_DISCOUNT, 1.0)
    for path in _shortcuts(lattice, builder, seats, walking * on_road, walking, PATH_RATIO, PATH_MIN_CLIMB_M):
        builder.add(path, _PATH, "ground")
    return _road_ways(lattice, builder, places.node)


def _shortcuts(
    lattice: Lattice,
    builder: _RoadBuilder,
    seats: np.ndarray,
    cost: np.ndarray,
    effort: np.ndarray,
    ratio: float,
    min_climb_m: float,
) -> list[list[int]]:
    """New links between neighbouring settlements where the way round on the existing roads is long.

    Candidates are the least-``cost`` lattice paths between neighbouring settlements (``cost`` already
    favours existing roads where they serve). A candidate is kept if it is at most ``SHORTCUT_MAX_M``
    long in a straight line, adds ``SHORTCUT_MIN_NEW_M`` of new way, climbs ``min_climb_m`` above its
    ends (a ridge crossing), and needs at most ``ratio`` times the ``effort`` of the road route.
    """
    candidates = []
    for a, b, path in _steiner_links(lattice, cost, seats, all_pairs=True):
        if math.hypot(lattice.x[a] - lattice.x[b], lattice.y[a] - lattice.y[b]) > SHORTCUT_MAX_M:
            continue
        climb = lattice.elevation[path].max() - max(lattice.elevation[a], lattice.elevation[b])
        if climb >= min_climb_m and builder.new_length(path) >= SHORTCUT_MIN_NEW_M:
            candidates.append((a, b, path, float(effort[lattice.edge_index(path[:-1], path[1:])].sum())))
    if not candidates:
        return []
    # Effort between the candidates' ends over roads only, on the (much smaller) road graph.
    road_nodes = np.flatnonzero(builder.on_road)
    compact = np.full(lattice.n_nodes, -1)
    compact[road_nodes] = np.arange(len(road_nodes))
    edges = np.flatnonzero(builder.highway > 0)
    roads = sp.csr_matrix(
        (effort[edges], (compact[lattice.tail[edges]], compact[lattice.head[edges]])),
        shape=(len(road_nodes), len(road_nodes)),
    )
    start, end = (np.array([c[k] for c in candidates]) for k in (0, 1))
    needed = np.array([e for _, _, _, e in candidates]) / ratio  # farther than this by road: the shortcut qualifies
    by_road = np.full(len(candidates), np.inf)
    # 16 nearby sources at a time (sorted by 5 km blocks), each searched only up to the distance that decides
    # its candidates, on the road nodes that close to them in a straight line (``effort`` is at least the
    # length, so no path that short leaves them): the same answers as on the whole road graph, smaller rows.
    sources = np.unique(start)
    block = np.floor(np.column_stack([lattice.y[sources], lattice.x[sources]]) / 5_000.0)
    sources = sources[np.lexsort((block[:, 1], block[:, 0]))]
    road_x, road_y = lattice.x[road_nodes], lattice.y[road_nodes]
    for chunk in np.array_split(sources, -(-len(sources) // 16)):
        mine = np.flatnonzero(np.isin(start, chunk))
        limit = needed[mine].max()
        x, y = lattice.x[chunk], lattice.y[chunk]
        near = np.flatnonzero(
            (road_x >= x.min() - limit)
            & (road_x <= x.max() + limit)
            & (road_y >= y.min() - limit)
            & (road_y <= y.max() + limit)
        )
        local = np.full(len(road_nodes), -1)
        local[near] = np.arange(len(near))
        rows = dijkstra(roads[near][:, near], indices=local[compact[chunk]], limit=limit)
        ends = local[compact[end[mine]]]
        found = ends >= 0
        by_road[mine[found]] = rows[_position(chunk, start[mine][found]), ends[found]]
    return [path for (_, _, path, e), road in zip(candidates, by_road, strict=True) if e <= ratio * road]


def _position(values: np.ndarray, of: np.ndarray) -> np.ndarray:
    """Where each of ``of`` is in ``values`` (unsorted, distinct)."""
    order = np.argsort(values)
    return order[np.searchsorted(values, of, sorter=order)]


def _exits(rng: np.random.Generator, lattice: Lattice, outlet: tuple[float, float]) -> np.ndarray:
    """Lattice nodes on the box edge where through roads leave: down the river's gorge, and over passes.

    One exit per ~60 km of perimeter (at least two): the first where the river leaves, the others spread
    round the edge, each at the lowest point of its stretch of edge (a pass).
    """
    rows, cols = lattice.n_rows, lattice.n_cols
    ring = np.concatenate(
        [
            np.arange(cols),  # south edge, west to east
            np.arange(1, rows) * cols + cols - 1,  # east edge, northwards
            (rows - 1) * cols + np.arange(cols - 2, -1, -1),  # north edge, westwards
            np.arange(rows - 2, 0, -1) * cols,  # west edge, southwards
        ]
    )
    n = len(ring)
    start = int(np.argmin(np.hypot(lattice.x[ring] - outlet[0], lattice.y[ring] - outlet[1])))
    perimeter_km = 2 * (rows + cols) * lattice.step / 1_000
    count = max(2, round(perimeter_km / 60))
    exits = [int(ring[start])]
    for k in range(1, count):
        centre = start + round(n * (k / count + rng.uniform(-0.05, 0.05)))
        stretch = ring[np.arange(centre - n // (3 * count), centre + n // (3 * count) + 1) % n]
        exits.append(int(stretch[np.argmin(lattice.elevation[stretch])]))
    return np.array(sorted(set(exits), key=exits.index), dtype=np.int64)


def _steiner_links(
    lattice: Lattice, cost: np.ndarray, terminals: np.ndarray, *, all_pairs: bool = False
) -> list[tuple[int, int, list[int]]]:
    """Least-cost lattice paths linking terminals: a spanning tree of them, or every neighbouring pair.

    One multi-source Dijkstra splits the lattice into the terminals' catchments; each lattice edge between
    two catchments is a possible link of their terminals (Mehlhorn's Steiner-tree approximation). The
    cheapest link of each pair is kept; a minimum spanning tree of those links the terminals with (near)
    least total cost, or with ``all_pairs`` every neighbouring pair is returned.
    """
    terminals = np.unique(terminals)
    if len(terminals) < 2:
        return []
    graph = lattice.graph(cost)
    distance, previous, source = dijkstra(graph, indices=terminals, min_only=True, return_predecessors=True)
    tail, head = lattice.tail, lattice.head
    between = np.flatnonzero((source[tail] != source[head]) & (source[tail] >= 0) & (source[head] >= 0))
    total = distance[tail[between]] + cost[between] + distance[head[between]]
    a = np.searchsorted(terminals, source[tail[between]])
    b = np.searchsorted(terminals, source[head[between]])
    pair = np.minimum(a, b) * len(terminals) + np.maximum(a, b)
    order = np.lexsort((total, pair))
    first = order[np.concatenate([[True], pair[order][1:] != pair[order][:-1]])]
    if all_pairs:
        chosen = first
    else:
        small = sp.csr_matrix(
            (total[first], (np.minimum(a, b)[first], np.maximum(a, b)[first])),
            shape=(len(terminals), len(terminals)),
        )
        tree = minimum_spanning_tree(small).tocoo()
        by_pair = dict(zip(pair[first].tolist(), first.tolist(), strict=True))
        chosen = np.array(
            [by_pair[i * len(terminals) + j] for i, j in sorted(zip(tree.row.tolist(), tree.col.tolist(), strict=True))]
        )
    links = []
    for k in chosen.tolist():
        edge = between[k]
        path = _trace(previous, int(tail[edge]))[::-1] + _trace(previous, int(head[edge]))
        links.append((path[0], path[-1], path))
    return links


def _trace(previous: np.ndarray, node: int, stop: np.ndarray | None = None) -> list[int]:
    """Lattice nodes from ``node`` back to its source (or to the first node where ``stop`` is set)."""
    path = [node]
    while previous[node] >= 0 and (stop is None or not stop[node]):
        node = int(previous[node])
        path.append(node)
    return path


def _through_links(links: list[tuple[int, int, list[int]]], exits: np.ndarray) -> dict[int, int]:
    """Links on the tree route from the first exit to each other exit, numbered by the exit they serve."""
    adjacency: dict[int, list[tuple[int, int]]] = {}
    for k, (a, b, _) in enumerate(links):
        adjacency.setdefault(a, []).append((b, k))
        adjacency.setdefault(b, []).append((a, k))
    came_by: dict[int, tuple[int, int]] = {int(exits[0]): (-1, -1)}
    queue = [int(exits[0])]
    while queue:
        node = queue.pop()
        for other, k in adjacency.get(node, []):
            if other not in came_by:
                came_by[other] = (node, k)
                queue.append(other)
    through: dict[int, int] = {}
    for number, exit_node in enumerate(exits[1:].tolist()):
        node = exit_node
        while node in came_by and came_by[node][1] >= 0:
            through.setdefault(came_by[node][1], number)
            node = came_by[node][0]
    return through


def _branches(lattice: Lattice, builder: _RoadBuilder, targets: np.ndarray, cost: np.ndarray) -> list[list[int]]:
    """Least-cost paths joining each target to the network so far, nearest first.

    The paths come from one shortest-path forest grown from every road node, so two targets up the same
    valley share the road down it: once a path reaches a node already on a road (or on an earlier
    branch) it stops there.
    """
    distance, previous, _ = dijkstra(
        lattice.graph(cost), indices=np.flatnonzero(builder.on_road), min_only=True, return_predecessors=True
    )
    taken = builder.on_road.copy()
    paths = []
    for node in targets[np.argsort(distance[targets], kind="stable")].tolist():
        path = _trace(previous, node, stop=taken)
        taken[path] = True
        paths.append(path[::-1])
    return paths


def _road_ways(lattice: Lattice, builder: _RoadBuilder, anchors: np.ndarray) -> RoadNetwork:
    """Split the road segments into OSM ways (one per run of same tags between junctions) and smooth them.

    Node positions along a way are smoothed (junctions, way ends and settlement nodes stay put), so roads
    bend instead of stepping in lattice directions.
    """
    one_way = np.flatnonzero((builder.highway > 0) & (lattice.tail < lattice.head))
    u, v = lattice.tail[one_way].astype(np.int64), lattice.head[one_way].astype(np.int64)
    tags = np.column_stack([builder.highway[one_way], builder.surface[one_way], builder.name[one_way]])
    incident: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        incident.setdefault(a, []).append(k)
        incident.setdefault(b, []).append(k)
    tag_key = [tuple(t) for t in tags.tolist()]

    def is_end(node: int) -> bool:
        edges = incident[node]
        return len(edges) != 2 or tag_key[edges[0]] != tag_key[edges[1]]

    used = np.zeros(len(one_way), dtype=bool)
    chains: list[tuple[list[int], int]] = []
    starts = [n for n in sorted(incident) if is_end(n)] + sorted(incident)  # then any loops left
    for start in starts:
        for k in incident[start]:
            if used[k]:
                continue
            nodes, edge, node = [start], k, start
            while True:
                used[edge] = True
                node = int(v[edge]) if int(u[edge]) == node else int(u[edge])
                nodes.append(node)
                if node == start or is_end(node):
                    break
                edge = next(e for e in incident[node] if e != edge)
            chains.append((nodes, k))

    node_ids = np.array(sorted(incident), dtype=np.int64)
    x, y = lattice.x[node_ids].copy(), lattice.y[node_ids].copy()
    fixed = np.array([is_end(n) for n in node_ids.tolist()]) | np.isin(node_ids, anchors)
    position = {n: i for i, n in enumerate(node_ids.tolist())}
    left = np.arange(len(node_ids))
    right = np.arange(len(node_ids))
    for nodes, _ in chains:
        idx = np.array([position[n] for n in nodes])
        left[idx[1:-1]], right[idx[1:-1]] = idx[:-2], idx[2:]
    for _ in range(3):  # a few rounds of Laplacian smoothing round off the lattice's corners
        x = np.where(fixed, x, 0.5 * x + 0.25 * (x[left] + x[right]))
        y = np.where(fixed, y, 0.5 * y + 0.25 * (y[left] + y[right]))

    # OSM digitises roads with a node every ~20 m, not every lattice step: add the nodes in between.
    extra_x: list[float] = []
    extra_y: list[float] = []
    next_id = int(node_ids.max()) + 2  # OSM ids are lattice ids + 1
    ways = []
    for nodes, k in chains:
        refs = [nodes[0] + 1]
        for a, b in itertools.pairwise(nodes):
            pa, pb = position[a], position[b]
            pieces = max(1, round(float(np.hypot(x[pb] - x[pa], y[pb] - y[pa])) / OSM_NODE_SPACING_M))
            for j in range(1, pieces):
                extra_x.append(float(x[pa] + (x[pb] - x[pa]) * j / pieces))
                extra_y.append(float(y[pa] + (y[pb] - y[pa]) * j / pieces))
                refs.append(next_id)
                next_id += 1
            refs.append(b + 1)
        highway, surface, name = tags[k].tolist()
        ways.append(
            _Way(
                nodes=refs,
                highway=HIGHWAYS[highway - 1],
                surface=SURFACES[surface],
                name=builder.names[name] if name >= 0 else None,
            )
        )
    first_extra = int(node_ids.max()) + 2
    return RoadNetwork(
        node_ids=np.concatenate([node_ids + 1, np.arange(first_extra, next_id, dtype=np.int64)]),
        x=np.concatenate([x, extra_x]),
        y=np.concatenate([y, extra_y]),
        ways=ways,
    )
