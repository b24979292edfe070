"""Road network and travel minutes by mode, checked against networkx on crafted and random graphs (flat ground)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from pyproj import CRS, Transformer

from facility_layout.network import build_road_network, travel_graph
from facility_layout.road_table import parse_maxspeed_kmh
from facility_layout.travel_settings import TravelSettings
from facility_layout.traveltime import graphs_for, mode_minutes, place

UTM = CRS.from_epsg(32631)
TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
TRAVEL = TravelSettings(walking_speed_kmh=4.5, max_offroad_m=400, offroad_detour_factor=1.25, motor_slope_penalty=None)
WALK_M_PER_MIN = 4.5 * 1000 / 60


def osm_graph(xy: dict[int, tuple[float, float]], ways: list[tuple]) -> nx.MultiDiGraph:
    """An osmnx-style graph (EPSG:4326 nodes, metre ``length``) from metric coordinates and ways.

    Each way (u, v, highway, oneway[, tags]) becomes u→v, plus v→u unless one-way, as osmnx builds it.
    """
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in xy.items():
        lon, lat = TO_LONLAT.transform(x, y)
        graph.add_node(node, x=lon, y=lat)
    for k, (u, v, highway, oneway, *tags) in enumerate(ways):
        length = float(np.hypot(xy[u][0] - xy[v][0], xy[u][1] - xy[v][1]))
        extra = {"osmid": 1000 + k, **(tags[0] if tags else {})}
        graph.add_edge(u, v, highway=highway, length=length, oneway=oneway, reversed=False, **extra)
        if not oneway:
            graph.add_edge(v, u, highway=highway, length=length, oneway=oneway, reversed=True, **extra)
    return graph


def minutes_between(osm, origins, destinations, mode="walk", travel=TRAVEL, cutoff=1e9):
    network = build_road_network(osm, UTM)
    graphs = {kind: travel_graph(network, kind, travel, None) for kind in graphs_for([mode])}
    o = place(network, graphs, *np.array(origins, dtype=float).T, travel, None)
    d = place(network, graphs, *np.array(destinations, dtype=float).T, travel, None)
    return network, mode_minutes(mode, graphs, o, d, travel, None, cutoff).to_dense()


X0, Y0 = 500_000.0, 100_000.0


def test_a_footway_is_walked_but_unusable_by_car() -> None:
    xy = {1: (X0, Y0), 2: (X0 + 1000, Y0), 3: (X0 + 2000, Y0)}
    osm = osm_graph(xy, [(1, 2, "primary", False), (2, 3, "footway", False)])
    _, walk = minutes_between(osm, [xy[1]], [xy[2], xy[3]], mode="walk")
    assert walk[0, 0] == pytest.approx(1000 / WALK_M_PER_MIN)
    assert walk[0, 1] == pytest.approx(2000 / WALK_M_PER_MIN)
    _, motor = minutes_between(osm, [xy[1]], [xy[2], xy[3]], mode="motor")
    assert motor[0, 0] == pytest.approx(1000 / (50 * 1000 / 60))
    assert np.isinf(motor[0, 1])  # the footway's end is no motor road, and 1 km is beyond the off-road walk
    _, mixed = minutes_between(osm, [xy[3]], [xy[1]], mode="walk_then_motor")
    assert mixed[0, 0] == pytest.approx(1000 / WALK_M_PER_MIN + 1000 / (50 * 1000 / 60))  # walk, then ride


def test_walk_then_motor_walks_all_the_way_when_that_is_faster() -> None:
    # A 600 m footpath straight to the centre, while the motor road is 1 km back the other way.
    xy = {1: (X0, Y0), 2: (X0 + 600, Y0), 3: (X0 - 1000, Y0), 4: (X0 + 10_000, Y0)}
    osm = osm_graph(
        xy, [(1, 2, "path", False), (1, 3, "path", False), (3, 4, "primary", False), (4, 2, "primary", False)]
    )
    _, mixed = minutes_between(osm, [xy[1]], [xy[2]], mode="walk_then_motor")
    assert mixed[0, 0] == pytest.approx(600 / WALK_M_PER_MIN)


def test_one_way_street_is_walked_both_ways_and_driven_one_way() -> None:
    xy = {1: (X0, Y0), 2: (X0 + 1000, Y0), 3: (X0 + 500, Y0 + 3000)}
    ways = [(1, 2, "primary", True), (2, 3, "primary", False), (3, 1, "primary", False)]
    _, walk = minutes_between(osm_graph(xy, ways), [xy[1], xy[2]], [xy[2], xy[1]], mode="walk")
    assert walk[0, 0] == pytest.approx(1000 / WALK_M_PER_MIN) == walk[1, 1]
    _, motor = minutes_between(osm_graph(xy, ways), [xy[1], xy[2]], [xy[2], xy[1]], mode="motor")
    assert motor[0, 0] == pytest.approx(1.2)  # with the traffic, 50 km/h
    around = 2 * float(np.hypot(500, 3000))
    assert motor[1, 1] == pytest.approx(around / (50 * 1000 / 60))  # against it: the long way round


def test_surface_and_maxspeed_set_the_vehicle_speed() -> None:
    xy = {1: (X0, Y0), 2: (X0 + 1000, Y0), 3: (X0 + 2000, Y0), 4: (X0 + 3000, Y0)}
    ways = [
        (1, 2, "tertiary", False, {"surface": "gravel"}),  # 30 km/h × 0.7
        (2, 3, "primary", False, {"maxspeed": "20"}),  # the limit caps 50 km/h
        (3, 4, "tertiary", False, {"maxspeed": "100"}),  # a limit never raises the class speed
    ]
    _, m = minutes_between(osm_graph(xy, ways), [xy[1]], [xy[2], xy[3], xy[4]], mode="motor")
    leg = [1000 / (30 * 0.7 * 1000 / 60), 1000 / (20 * 1000 / 60), 1000 / (30 * 1000 / 60)]
    np.testing.assert_allclose(m[0], np.cumsum(leg))


def test_maxspeed_parsing() -> None:
    assert parse_maxspeed_kmh("50") == 50
    assert parse_maxspeed_kmh("30 mph") == pytest.approx(48.28, abs=0.01)
    assert parse_maxspeed_kmh("60;40") == 40
    assert np.isnan(parse_maxspeed_kmh("CN:rural")) and np.isnan(parse_maxspeed_kmh(None))


def test_unusable_ways_are_left_out_and_road_islands_kept_as_pieces() -> None:
    xy = {
        1: (X0, Y0),
        2: (X0 + 1000, Y0),
        3: (X0 + 5000, Y0),
        4: (X0 + 5100, Y0),
        5: (X0 + 9000, Y0),
        6: (X0 + 9100, Y0),
    }
    osm = osm_graph(
        xy,
        [(1, 2, "construction", False), (2, 3, "primary", False), (3, 4, "residential", False), (5, 6, "track", False)],
    )
    network = build_road_network(osm, UTM)
    assert network.osm_id.tolist() == [2, 3, 4, 5, 6]  # node 1 is only on a construction site
    assert network.piece.tolist() == [1, 1, 1, 2, 2] and network.n_pieces == 2


def test_offroad_walk_and_off_network_points() -> None:
    xy = {1: (X0, Y0), 2: (X0 + 3000, Y0)}
    osm = osm_graph(xy, [(1, 2, "secondary", False)])
    near = (X0 + 3000, Y0 + 300)  # 300 m off the road end: walked with the detour factor
    far = (X0 + 1500, Y0 + 1000)  # 1 km from any node: off the network
    _, m = minutes_between(osm, [xy[1], far], [near], mode="motor")
    assert m[0, 0] == pytest.approx(3000 / (40 * 1000 / 60) + 300 * 1.25 / WALK_M_PER_MIN)
    assert np.isinf(m[1, 0])


def test_a_cutoff_shorter_than_the_walks_to_the_road_keeps_no_pair() -> None:
    xy = {1: (X0, Y0), 2: (X0 + 3000, Y0)}
    osm = osm_graph(xy, [(1, 2, "secondary", False)])
    off_road = [(X0, Y0 + 350), (X0 + 3000, Y0 - 350)]  # 350 m × 1.25 on foot: 5.8 min each way
    for mode in ("walk", "motor", "walk_then_motor"):
        _, m = minutes_between(osm, off_road[:1], off_road[1:], mode=mode, cutoff=5.0)
        assert np.isinf(m).all()
        _, m = minutes_between(osm, off_road[:1], off_road[1:], mode=mode, cutoff=60.0)
        assert np.isfinite(m).all()


def test_close_points_may_walk_straight_across() -> None:
    # Two villages 300 m apart across a ravine; the road between them is a 6 km detour of track.
    xy = {1: (X0, Y0), 2: (X0, Y0 + 3000), 3: (X0 + 300, Y0 + 3000), 4: (X0 + 300, Y0)}
    osm = osm_graph(xy, [(1, 2, "track", False), (2, 3, "track", False), (3, 4, "track", False)])
    for mode in ("walk", "motor", "walk_then_motor"):
        _, m = minutes_between(osm, [xy[1]], [xy[4]], mode=mode)
        assert m[0, 0] == pytest.approx(300 * 1.25 / WALK_M_PER_MIN)


@pytest.mark.parametrize("mode", ["walk", "motor"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_network_matches_networkx(seed: int, mode: str) -> None:
    """Every pair inside the cutoff, and only those, with networkx's minutes."""
    rng = np.random.default_rng(seed)
    n = 80
    pts = rng.uniform(0, 6000, size=(n, 2)) + np.array([X0, Y0])
    xy = {i + 10: (float(x), float(y)) for i, (x, y) in enumerate(pts)}
    classes = ["primary", "tertiary", "residential", "track", "footway", "path", "steps", "construction"]
    ways = []
    for i in range(n):
        dist = np.hypot(*(pts - pts[i]).T)
        for j in np.argsort(dist)[1:4]:
            ways.append((i + 10, int(j) + 10, str(rng.choice(classes)), bool(rng.random() < 0.15)))
    osm = osm_graph(xy, ways)
    origins = rng.uniform(0, 6000, size=(150, 2)) + np.array([X0, Y0])
    destinations = rng.uniform(0, 6000, size=(30, 2)) + np.array([X0, Y0])
    cutoff = 60.0 if mode == "walk" else 15.0
    _, ours = minutes_between(osm, origins, destinations, mode=mode, cutoff=cutoff)

    # Independent truth: networkx over the same OSM edges. Walkers use every usable way both ways at
    # walking speed; vehicles the classes with a speed, in their direction.
    speeds = TRAVEL.motor_speeds_kmh
    g = nx.DiGraph()
    for u, v, data in osm.edges(data=True):
        if data["highway"] == "construction":
            continue
        if mode == "walk":
            pairs = [(u, v), (v, u)]
            minutes = data["length"] / WALK_M_PER_MIN
        elif data["highway"] in speeds:
            pairs = [(u, v)]
            minutes = data["length"] / (speeds[data["highway"]] * 1000 / 60)
        else:
            continue
        for a, b in pairs:
            if not g.has_edge(a, b) or g[a][b]["minutes"] > minutes:
                g.add_edge(a, b, minutes=minutes)
    # Each piece of the mode's roads keeps its largest strongly connected part; points tie to the nearest
    # kept node, and to the nearest node of the largest part as well.
    parts = [
        max(nx.strongly_connected_components(g.subgraph(piece)), key=len) for piece in nx.weakly_connected_components(g)
    ]
    assert len(parts) > 1 or (seed, mode) == (3, "walk")  # mostly the random roads come in pieces
    main = max(parts, key=len)
    g = g.subgraph(set().union(*parts))

    def nearest(nodes, p):
        ids = np.array(sorted(nodes))
        dist = np.hypot(*(np.array([xy[k] for k in ids]) - p).T)
        k = int(np.argmin(dist))
        return [(ids[k], dist[k] * 1.25 / WALK_M_PER_MIN)] if dist[k] <= TRAVEL.max_offroad_m else []

    def ties(p):
        return {*nearest(g.nodes, p), *nearest(main, p)}

    truth = np.full((len(origins), len(destinations)), np.inf)
    for j, dpt in enumerate(destinations):
        for dnode, dwalk in ties(dpt):
            to_d = nx.single_source_dijkstra_path_length(g.reverse(copy=False), dnode, weight="minutes")
            for i, opt in enumerate(origins):
                for onode, owalk in ties(opt):
                    if onode in to_d:
                        truth[i, j] = min(truth[i, j], owalk + to_d[onode] + dwalk)
    for j, dpt in enumerate(destinations):
        for i, opt in enumerate(origins):
            straight = np.hypot(*(opt - dpt))
            if straight <= TRAVEL.max_offroad_m:
                truth[i, j] = min(truth[i, j], straight * 1.25 / WALK_M_PER_MIN)
    truth[truth > cutoff] = np.inf
    np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(truth))
    finite = np.isfinite(truth)
    assert finite.sum() > 50  # the comparison is not vacuous
    np.testing.assert_allclose(ours[finite], truth[finite], rtol=1e-9)


@pytest.mark.parametrize("backwards", [False, True])
def test_searches_cut_to_their_reach_give_exact_minutes(backwards: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """When each block of searches runs on a cut-out area of the graph, minutes stay exact."""
    import scipy.sparse as sp

    from facility_layout import traveltime

    # Small search boxes (about 300 nodes), so this 4,900-node graph is cut into many areas.
    monkeypatch.setattr(traveltime, "AREA_NODES", 300)

    from facility_layout.network import TravelGraph, max_metres_per_minute
    from facility_layout.traveltime import SnappedPoints, _SearchAreas, road_minutes

    rng = np.random.default_rng(5)
    side = 70  # 4,900 nodes, 100 m apart
    x, y = (np.indices((side, side)).reshape(2, -1) * 100.0).astype(float)
    node = np.arange(side * side).reshape(side, side)
    u = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    v = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    u, v = np.concatenate([u, v]), np.concatenate([v, u])
    # 100 m at a random 70–80 m/min, each direction its own: straight runs come close to the reach bound.
    minutes = 100 / rng.uniform(70, 80, size=len(u))
    matrix = sp.csr_matrix((minutes, (u, v)), shape=(side * side, side * side))
    graph = TravelGraph(
        mode="walk",
        minutes=matrix,
        usable=np.ones(side * side, dtype=bool),
        part=np.zeros(side * side, dtype=np.int64),
        main_part=0,
        closed_segments=0,
        x=x,
        y=y,
        max_metres_per_minute=max_metres_per_minute(matrix, x, y),
        by_x=np.argsort(x, kind="stable"),
    )

    def points(count: int) -> SnappedPoints:
        at = rng.choice(side * side, size=count, replace=False)
        legs = rng.uniform(0, 1.5, size=count)
        none = np.full(count, -1, dtype=np.int64)
        return SnappedPoints(
            x[at],
            y[at],
            at.astype(np.int64),
            legs,
            legs[::-1].copy(),
            none,
            np.full(count, np.inf),
            np.full(count, np.inf),
        )

    many, few = points(900), points(120)
    origins, destinations = (few, many) if backwards else (many, few)
    cutoff = 10.0
    areas = _SearchAreas(graph, matrix, cutoff * graph.max_metres_per_minute)
    assert areas.cutting and np.isfinite(areas.block_extent)  # the cut-out path is taken
    sizes: list[int] = []
    around = _SearchAreas.around

    def recorded(self: _SearchAreas, block: np.ndarray, limit: float):
        local, sub = around(self, block, limit)
        sizes.append(sub.shape[0])  # the nodes each block's searches ran on
        return local, sub

    monkeypatch.setattr(_SearchAreas, "around", recorded)
    ours = road_minutes(graph, origins, destinations, cutoff).to_dense()
    assert len(sizes) > 5 and max(sizes) < graph.minutes.shape[0] / 2  # many blocks, each on a small area

    g = nx.DiGraph()
    g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), minutes.tolist(), strict=True))
    truth = np.full(ours.shape, np.inf)
    for i, start in enumerate(origins.node.tolist()):
        reach = nx.single_source_dijkstra_path_length(g, start, cutoff=cutoff - origins.access_minutes[i])
        for j, end in enumerate(destinations.node.tolist()):
            if end in reach:
                truth[i, j] = origins.access_minutes[i] + reach[end] + destinations.egress_minutes[j]
    truth[truth > cutoff] = np.inf
    assert np.isfinite(truth).sum() > 300
    np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(truth))
    np.testing.assert_allclose(ours[np.isfinite(ours)], truth[np.isfinite(truth)], rtol=1e-12)
