"""Road graph and travel minutes, checked against networkx on crafted and random graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from pyproj import CRS, Transformer

from facility_layout.network import build_road_graph, edge_speed_kmh
from facility_layout.scenario import TravelSettings
from facility_layout.traveltime import snap_points, travel_minutes

UTM = CRS.from_epsg(32631)
TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
TRAVEL = TravelSettings(walking_speed_kmh=4.5, max_offroad_m=400, offroad_detour_factor=1.25)
WALK_M_PER_MIN = 4.5 * 1000 / 60


def osm_graph(xy: dict[int, tuple[float, float]], ways: list[tuple[int, int, str, bool]]) -> nx.MultiDiGraph:
    """An osmnx-style graph (EPSG:4326 nodes, metre ``length``) from metric coordinates and ways.

    Each way (u, v, highway, oneway) becomes u→v, plus v→u unless one-way, as osmnx builds it.
    """
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in xy.items():
        lon, lat = TO_LONLAT.transform(x, y)
        graph.add_node(node, x=lon, y=lat)
    for u, v, highway, oneway in ways:
        length = float(np.hypot(xy[u][0] - xy[v][0], xy[u][1] - xy[v][1]))
        graph.add_edge(u, v, highway=highway, length=length, oneway=oneway, reversed=False)
        if not oneway:
            graph.add_edge(v, u, highway=highway, length=length, oneway=oneway, reversed=True)
    return graph


def minutes_between(graph_osm, origins, destinations, travel=TRAVEL, cutoff=1e9):
    graph = build_road_graph(graph_osm, UTM, travel)
    o = snap_points(graph, *np.array(origins, dtype=float).T, travel)
    d = snap_points(graph, *np.array(destinations, dtype=float).T, travel)
    return graph, travel_minutes(graph, o, d, travel, cutoff).to_dense()


X0, Y0 = 500_000.0, 100_000.0


def test_footway_is_walked_and_primary_driven() -> None:
    xy = {1: (X0, Y0), 2: (X0 + 1000, Y0), 3: (X0 + 2000, Y0)}
    osm = osm_graph(xy, [(1, 2, "primary", False), (2, 3, "footway", False)])
    _, m = minutes_between(osm, [xy[1]], [xy[2], xy[3]])
    assert m[0, 0] == pytest.approx(1000 / (50 * 1000 / 60))
    assert m[0, 1] == pytest.approx(1000 / (50 * 1000 / 60) + 1000 / WALK_M_PER_MIN)


def test_one_way_street_is_walked_against_its_direction() -> None:
    xy = {1: (X0, Y0), 2: (X0 + 1000, Y0)}
    _, m = minutes_between(osm_graph(xy, [(1, 2, "primary", True)]), [xy[1], xy[2]], [xy[2], xy[1]])
    assert m[0, 0] == pytest.approx(1.2)  # with the traffic, 50 km/h
    assert m[1, 1] == pytest.approx(1000 / WALK_M_PER_MIN)  # against it, on foot


def test_slowest_class_of_a_merged_segment_counts() -> None:
    assert edge_speed_kmh(["primary", "track"], TRAVEL) == TRAVEL.motor_speeds_kmh["track"]
    assert edge_speed_kmh("footway", TRAVEL) == TRAVEL.walking_speed_kmh
    assert edge_speed_kmh("construction", TRAVEL) is None


def test_unusable_ways_and_road_islands_are_left_out() -> None:
    xy = {1: (X0, Y0), 2: (X0 + 1000, Y0), 3: (X0 + 5000, Y0), 4: (X0 + 5100, Y0)}
    osm = osm_graph(xy, [(1, 2, "construction", False), (2, 3, "primary", False), (3, 4, "residential", False)])
    graph = build_road_graph(osm, UTM, TRAVEL)
    assert graph.n_nodes == 3 and graph.dropped_nodes == 1
    assert 1 not in graph.osm_id.tolist()


def test_offroad_walk_and_off_network_points() -> None:
    xy = {1: (X0, Y0), 2: (X0 + 3000, Y0)}
    osm = osm_graph(xy, [(1, 2, "secondary", False)])
    near = (X0 + 3000, Y0 + 300)  # 300 m off the road end: walked with the detour factor
    far = (X0 + 1500, Y0 + 1000)  # 1 km from any node: off the network
    graph, m = minutes_between(osm, [xy[1], far], [near])
    assert m[0, 0] == pytest.approx(3000 / (40 * 1000 / 60) + 300 * 1.25 / WALK_M_PER_MIN)
    assert np.isinf(m[1, 0])
    snapped = snap_points(graph, np.array([far[0]]), np.array([far[1]]), TRAVEL)
    assert snapped.off_network.all()


def test_close_points_may_walk_straight_across() -> None:
    # Two villages 300 m apart across a ravine; the road between them is a 6 km detour of track.
    xy = {1: (X0, Y0), 2: (X0, Y0 + 3000), 3: (X0 + 300, Y0 + 3000), 4: (X0 + 300, Y0)}
    osm = osm_graph(xy, [(1, 2, "track", False), (2, 3, "track", False), (3, 4, "track", False)])
    _, m = minutes_between(osm, [xy[1]], [xy[4]])
    assert m[0, 0] == pytest.approx(300 * 1.25 / WALK_M_PER_MIN)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_network_matches_networkx(seed: int) -> None:
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
    origins = rng.uniform(0, 6000, size=(40, 2)) + np.array([X0, Y0])
    destinations = rng.uniform(0, 6000, size=(15, 2)) + np.array([X0, Y0])
    cutoff = 45.0
    graph, ours = minutes_between(osm, origins, destinations, cutoff=cutoff)

    # Independent truth: networkx over the same OSM edges with speeds from the settings.
    speeds = TRAVEL.motor_speeds_kmh
    g = nx.DiGraph()
    for u, v, data in osm.edges(data=True):
        if data["highway"] == "construction":
            continue
        kmh = speeds.get(data["highway"], TRAVEL.walking_speed_kmh)
        for a, b, minutes in [(u, v, data["length"] / (kmh * 1000 / 60))] + (
            [(v, u, data["length"] / WALK_M_PER_MIN)] if data["oneway"] else []
        ):
            if not g.has_edge(a, b) or g[a][b]["minutes"] > minutes:
                g.add_edge(a, b, minutes=minutes)
    main = max(nx.strongly_connected_components(g), key=len)
    g = g.subgraph(main)
    node_ids = np.array(sorted(main))
    node_xy = np.array([xy[k] for k in node_ids])

    def snap(p):
        dist = np.hypot(*(node_xy - p).T)
        k = int(np.argmin(dist))
        return (node_ids[k], dist[k] * 1.25 / WALK_M_PER_MIN) if dist[k] <= TRAVEL.max_offroad_m else (None, None)

    truth = np.full((len(origins), len(destinations)), np.inf)
    for j, dpt in enumerate(destinations):
        dnode, dwalk = snap(dpt)
        to_d = nx.single_source_dijkstra_path_length(g.reverse(copy=False), dnode, weight="minutes") if dnode else {}
        for i, opt in enumerate(origins):
            onode, owalk = snap(opt)
            if onode is not None and onode in to_d:
                truth[i, j] = owalk + to_d[onode] + dwalk
            straight = np.hypot(*(opt - dpt))
            if straight <= TRAVEL.max_offroad_m:
                truth[i, j] = min(truth[i, j], straight * 1.25 / WALK_M_PER_MIN)
    truth[truth > cutoff] = np.inf
    assert graph.n_nodes == len(main)
    np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(truth))
    finite = np.isfinite(truth)
    assert finite.sum() > 50  # the comparison is not vacuous
    np.testing.assert_allclose(ours[finite], truth[finite], rtol=1e-9)
