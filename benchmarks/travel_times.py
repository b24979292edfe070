"""Travel-time matrices: the project's engine against the networkx loop a typical osmnx user writes.

Builds the demand→site and site→centre matrices for the bundled Ngazidja data and for a generated
county-scale road graph of at least 100,000 nodes with at least 5,000 origins, and times, in the same run:

- the engine: :func:`facility_layout.traveltime.road_minutes` (scipy's compiled ``dijkstra`` with ``limit``,
  64 sources per call, searching from the side with fewer distinct road nodes; median of 5 runs), and
  separately the snapping of the points to the graph (:func:`~facility_layout.traveltime.place`);
- the baseline: for every origin point, ``networkx.single_source_dijkstra_path_length`` with a cutoff on a
  ``DiGraph`` built from the same CSR weights, then access + route + egress for every destination, kept
  within the cutoff. Building the DiGraph is not counted (a typical user already has it from osmnx); it
  starts from the same snapped points, so snapping is not counted on either side;
- an ablation: the same compiled routine, forward from every origin (no smaller-side search), to show
  what each of the two choices brings.

Both results are compared pair by pair (same set of pairs, minutes within 1e-9). Peak memory of the
engine is measured with ``tracemalloc`` (numpy's buffers are traced), in a separate run so that tracing
does not slow the timed ones, and for 1/8 … all of the origins to show that it does not grow like
origins × nodes. It also prints what one search costs on each side (what decides the ratio) and, for the
generated graph, the demand→site ratio with more origins, other cutoffs and every candidate site.

    .venv/bin/python benchmarks/travel_times.py [--data-root ../shared/data] [--workdir /tmp/...] [--quick]

The generated region (seed 7, 75 × 75 km, about 10 s) is cached in ``--workdir`` and reused. ``--quick``
uses a 50 × 50 km region (a smoke run, below 100,000 nodes, no sensitivity runs). Ends with one
machine-readable line for the generated graph: networkx seconds over engine seconds summed over both
matrices, all pairs of both identical, the larger engine peak:
    RESULT speedup_vs_networkx=<x> identical=<true|false> peak_mib=<m>
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import yaml
from scipy.sparse.csgraph import dijkstra

from facility_layout import synthetic
from facility_layout.candidates import candidate_sites
from facility_layout.demand import demand_points
from facility_layout.inputs import RegionInputs, read_region
from facility_layout.network import MOTOR, WALK, RoadNetwork, TravelGraph, build_road_network, travel_graph
from facility_layout.odmatrix import ODMatrix
from facility_layout.scenario import Scenario, load_scenario
from facility_layout.synthetic import generate_region
from facility_layout.terrain import Elevation
from facility_layout.travel_settings import TravelSettings
from facility_layout.traveltime import CHUNK, Places, SnappedPoints, place, road_minutes

REPO = Path(__file__).resolve().parents[1]
SEED = 7
FULL_SIDE_KM = 75.0  # seed 7 at 75 × 75 km (a large county) gives 113,886 road nodes
QUICK_SIDE_KM = 50.0
MIN_NODES = 100_000
MIN_ORIGINS = 5_000
DEMAND_CELL_M = 750.0  # generated region: one demand point per 750 m cell (about 7,000 at 75 km)
N_SITES = 500  # generated region: every township centre, plus other candidate sites up to this many
WALK_CUTOFF = 60.0  # demand → site on foot, generated region
REFERRAL_CUTOFF = 60.0  # site → centre by road, generated region
SWEEP_CELLS_M = (1_000.0, 500.0)  # sensitivity: more origins …
SWEEP_CUTOFFS = (30.0, 120.0)  # … other walking cutoffs (and every candidate site as a destination)
TOLERANCE = 1e-9  # minutes; the two sum the same edges, in a different order
ENGINE_REPEATS = 5
MIB = 2**20


@dataclass(frozen=True)
class Case:
    """One matrix to build: a graph and the points tied to it."""

    region: str
    matrix: str
    graph: TravelGraph
    origins: SnappedPoints
    destinations: SnappedPoints
    cutoff: float
    snap_s: float  # seconds to tie both sides' points to every graph in use (engine only)


@dataclass(frozen=True)
class Outcome:
    case: Case
    engine_s: float
    networkx_s: float
    networkx_build_s: float
    forward_s: float
    peak_mib: float
    pairs: int
    networkx_pairs: int
    only_engine: int
    only_networkx: int
    max_diff: float
    forward_identical: bool | None  # None: ablation not run
    settled_per_search: float
    searches: int
    sources: int  # the engine's searches: distinct road nodes on its smaller side

    @property
    def identical(self) -> bool:
        return self.only_engine == 0 and self.only_networkx == 0 and self.max_diff <= TOLERANCE

    @property
    def ratio(self) -> float:
        return self.networkx_s / self.engine_s


# --- the two contenders ------------------------------------------------------------------------------------


def networkx_minutes(
    graph: nx.DiGraph, origins: SnappedPoints, destinations: SnappedPoints, cutoff: float
) -> tuple[ODMatrix, int, int]:
    """The baseline: one networkx search per origin point, bounded by the cutoff left after its legs.

    Returns the matrix, the nodes settled over all searches and the number of searches. Destinations are
    looked up from whichever is smaller, the search's result or the destinations' nodes.
    """
    egress = destinations.egress_minutes.tolist()
    by_node: dict[int, list[int]] = {}
    for j in np.flatnonzero(~destinations.off_network).tolist():
        by_node.setdefault(int(destinations.node[j]), []).append(j)
    rows: list[int] = []
    cols: list[int] = []
    minutes: list[float] = []
    settled = searches = 0
    if by_node:
        least_egress = min(egress[j] for js in by_node.values() for j in js)
        for i in np.flatnonzero(~origins.off_network).tolist():
            access = float(origins.access_minutes[i])
            budget = cutoff - access - least_egress
            if budget < 0:
                continue
            dist = nx.single_source_dijkstra_path_length(graph, int(origins.node[i]), cutoff=budget, weight="minutes")
            settled += len(dist)
            searches += 1
            if len(dist) <= len(by_node):
                found = [(route, by_node[node]) for node, route in dist.items() if node in by_node]
            else:
                found = [(dist[node], js) for node, js in by_node.items() if node in dist]
            for route, js in found:
                for j in js:
                    total = access + route + egress[j]
                    if total <= cutoff:
                        rows.append(i)
                        cols.append(j)
                        minutes.append(total)
    return ODMatrix.from_pairs(rows, cols, minutes, (len(origins.x), len(destinations.x))), settled, searches


def forward_minutes(graph: TravelGraph, origins: SnappedPoints, destinations: SnappedPoints, cutoff: float) -> ODMatrix:
    """Ablation: the engine's compiled routine, but always forward from the origins' nodes (blocks of CHUNK)."""
    on_o = np.flatnonzero(~origins.off_network)
    on_d = np.flatnonzero(~destinations.off_network)
    nodes, at = np.unique(origins.node[on_o], return_inverse=True)
    egress = destinations.egress_minutes[on_d]
    dest_nodes = destinations.node[on_d]
    rows, cols, minutes = [], [], []
    for start in range(0, len(nodes), CHUNK):
        points = np.flatnonzero((at >= start) & (at < start + CHUNK))
        access = origins.access_minutes[on_o[points]]
        limit = max(cutoff - egress.min() - access.min(), 0.0)
        dist = dijkstra(graph.minutes, directed=True, indices=nodes[start : start + CHUNK], limit=limit)
        total = dist[at[points] - start][:, dest_nodes] + access[:, None] + egress[None, :]
        hit_o, hit_d = np.nonzero(total <= cutoff)
        rows.append(on_o[points[hit_o]])
        cols.append(on_d[hit_d])
        minutes.append(total[hit_o, hit_d])
    return ODMatrix.from_pairs(
        np.concatenate(rows), np.concatenate(cols), np.concatenate(minutes), (len(origins.x), len(destinations.x))
    )


def compare(a: ODMatrix, b: ODMatrix) -> tuple[int, int, float]:
    """Pairs only in ``a``, only in ``b``, and the largest difference of minutes over the common pairs."""
    key_a = a.origin * a.shape[1] + a.destination
    key_b = b.origin * b.shape[1] + b.destination
    _, ia, ib = np.intersect1d(key_a, key_b, assume_unique=True, return_indices=True)
    diff = float(np.abs(a.minutes[ia] - b.minutes[ib]).max()) if len(ia) else 0.0
    return len(key_a) - len(ia), len(key_b) - len(ib), diff


def timed(run: Callable[[], ODMatrix]) -> tuple[ODMatrix, float]:
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def engine_peak_mib(case: Case, origins: SnappedPoints | None = None) -> tuple[float, int]:
    """Peak MiB traced while the engine builds the matrix (result included), and its pairs."""
    tracemalloc.start()
    try:
        od = road_minutes(case.graph, origins or case.origins, case.destinations, case.cutoff)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / MIB, od.n_pairs


def as_digraph(graph: TravelGraph) -> tuple[nx.DiGraph, float]:
    """The networkx DiGraph of the same CSR weights (attribute ``minutes``), and the seconds to build it."""
    start = time.perf_counter()
    coo = graph.minutes.tocoo()
    digraph = nx.DiGraph()
    digraph.add_nodes_from(range(graph.minutes.shape[0]))
    digraph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True), weight="minutes"
    )
    return digraph, time.perf_counter() - start


def measure(case: Case, digraphs: dict[int, tuple[nx.DiGraph, float]], ablation: bool = True) -> Outcome:
    """Time the engine (median of ENGINE_REPEATS), its traced peak, the networkx baseline and the ablation."""

    def engine() -> ODMatrix:
        return road_minutes(case.graph, case.origins, case.destinations, case.cutoff)

    runs = [timed(engine) for _ in range(ENGINE_REPEATS)]
    result = runs[0][0]
    engine_s = statistics.median(seconds for _, seconds in runs)
    peak_mib, _ = engine_peak_mib(case)
    forward_s, forward_identical = float("nan"), None
    if ablation:
        forward, forward_s = timed(lambda: forward_minutes(case.graph, case.origins, case.destinations, case.cutoff))
    if id(case.graph) not in digraphs:
        digraphs[id(case.graph)] = as_digraph(case.graph)
    digraph, build_s = digraphs[id(case.graph)]
    start = time.perf_counter()
    baseline, settled, searches = networkx_minutes(digraph, case.origins, case.destinations, case.cutoff)
    networkx_s = time.perf_counter() - start

    only_engine, only_networkx, max_diff = compare(result, baseline)
    if ablation:
        f_only, f_other, f_diff = compare(forward, baseline)
        forward_identical = f_only == 0 and f_other == 0 and f_diff <= TOLERANCE
    return Outcome(
        case=case,
        engine_s=engine_s,
        networkx_s=networkx_s,
        networkx_build_s=build_s,
        forward_s=forward_s,
        peak_mib=peak_mib,
        pairs=result.n_pairs,
        networkx_pairs=baseline.n_pairs,
        only_engine=only_engine,
        only_networkx=only_networkx,
        max_diff=max_diff,
        forward_identical=forward_identical,
        settled_per_search=settled / max(searches, 1),
        searches=searches,
        sources=min(len(np.unique(p.node[~p.off_network])) for p in (case.origins, case.destinations)),
    )


def tied(places: Places, mode: str) -> SnappedPoints:
    """The points as tied to the graph of ``mode`` (walk or motor)."""
    return places.on_walk if mode == WALK else places.on_motor


# --- the regions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """A region read once, its two matrices to time, and what the sensitivity runs need to make others."""

    name: str
    inputs: RegionInputs
    network: RoadNetwork
    graphs: dict[str, TravelGraph]
    elevation: Elevation
    travel: TravelSettings
    all_sites: Places  # every candidate site, tied
    chosen_sites: np.ndarray  # indices into all_sites of the sites timed
    cases: list[Case]

    def demand(self, cell_m: float) -> Places:
        points = demand_points(self.inputs.population, self.inputs.boundary, self.inputs.crs, cell_m)
        return place(self.network, self.graphs, points.x, points.y, self.travel, self.elevation)


def build_cases(
    name: str,
    scenario: Scenario,
    demand_cell_m: float,
    max_sites: int | None,
    cutoffs: tuple[float, float],
) -> Region:
    """Read the region and tie its demand points, sites and township centres to the walk and motor graphs."""
    start = time.perf_counter()
    region = read_region(scenario)
    network = build_road_network(region.roads, region.crs)
    elevation = Elevation.from_raster(region.elevation, region.crs)
    travel = scenario.travel
    graphs = {kind: travel_graph(network, kind, travel, elevation, region.closed_areas) for kind in (WALK, MOTOR)}
    demand = demand_points(region.population, region.boundary, region.crs, demand_cell_m)
    sites = candidate_sites(region.facilities, region.settlements, scenario.tiers.village_clinic)
    chosen = np.arange(len(sites))
    if max_sites is not None and len(sites) > max_sites:
        others = np.setdiff1d(chosen, sites.centres)
        extra = np.random.default_rng(SEED).choice(others, max(max_sites - len(sites.centres), 0), replace=False)
        chosen = np.sort(np.concatenate([sites.centres, extra]))
    centres = np.flatnonzero(np.isin(chosen, sites.centres))
    print(
        f"{name}: inputs, road network and travel graphs read in {time.perf_counter() - start:.1f} s "
        f"({network.n_nodes:,} nodes; {len(demand):,} demand points at {demand_cell_m:g} m, {len(chosen):,} sites, "
        f"{len(centres):,} township centres)"
    )

    start = time.perf_counter()
    demand_places = place(network, graphs, demand.x, demand.y, travel, elevation)
    site_places = place(network, graphs, sites.x[chosen], sites.y[chosen], travel, elevation)
    snap_s = time.perf_counter() - start
    centre_places = site_places.take(centres)
    all_sites = place(network, graphs, sites.x, sites.y, travel, elevation) if len(chosen) < len(sites) else site_places
    modes = travel.modes
    clinic_mode, referral_mode = modes.village_clinic, modes.referral
    if clinic_mode not in (WALK, MOTOR) or referral_mode not in (WALK, MOTOR):
        raise SystemExit(f"{name}: the benchmark times walk or motor matrices, got {clinic_mode}, {referral_mode}")

    cases = [
        Case(
            name,
            f"demand→site ({clinic_mode})",
            graphs[clinic_mode],
            tied(demand_places, clinic_mode),
            tied(site_places, clinic_mode),
            cutoffs[0],
            snap_s,
        ),
        Case(
            name,
            f"site→centre ({referral_mode})",
            graphs[referral_mode],
            tied(site_places, referral_mode),
            tied(centre_places, referral_mode),
            cutoffs[1],
            0.0,  # the same snapping serves both matrices; counted once, on the first
        ),
    ]
    return Region(name, region, network, graphs, elevation, travel, all_sites, chosen, cases)


def ngazidja(data_root: Path) -> Region | None:
    if not (data_root / "ngazidja_comoros").is_dir():
        print(f"SKIP Ngazidja: real data not found under {data_root} (pass --data-root)")
        return None
    scenario = load_scenario(REPO / "scenarios" / "ngazidja.yaml", data_root=data_root)
    clinic, centre = scenario.tiers.village_clinic, scenario.tiers.township_centre
    # The cutoffs the pipeline uses (pipeline.travel_times): clinic reach, and the referral limit.
    cutoffs = (max(clinic.max_travel_minutes, clinic.remote_keep_minutes or 0.0), centre.referral_max_minutes)
    return build_cases("Ngazidja", scenario, scenario.population.cell_size_m, None, cutoffs)


def generated(workdir: Path, side_km: float) -> Region:
    """The generated county (cached in ``workdir``), read through a scenario like the demo's, default travel."""
    # Keyed by the generator's source too: a changed generator writes a different region.
    version = hashlib.sha256(
        b"".join(p.read_bytes() for p in sorted(Path(synthetic.__file__).parent.glob("*.py")))
    ).hexdigest()[:10]
    folder = workdir / f"synthetic_seed{SEED}_{side_km:g}km_{version}"
    params = {"seed": SEED, "width_km": side_km, "height_km": side_km}
    meta = folder / "region.json"
    cached = meta.is_file() and all(json.loads(meta.read_text()).get(k) == v for k, v in params.items())
    if not cached:
        start = time.perf_counter()
        population = 120_000 * side_km**2 / (30 * 24)  # the demo's density
        generate_region(folder, **params, population_total=population)
        print(f"generated {side_km:g} × {side_km:g} km region in {time.perf_counter() - start:.1f} s → {folder}")
    else:
        print(f"reusing generated region {folder}")
    raw = yaml.safe_load((REPO / "scenarios" / "demo.yaml").read_text())
    # Files already there (admin areas only serve the comparison report); travel: the defaults (4.5 km/h).
    del raw["region"]["synthetic"], raw["region"]["admin_areas"], raw["travel"]
    raw["region"]["boundary"] = str(folder / "boundary.geojson")
    for key, file in (("roads", "roads.osm"), ("population", "population.tif"), ("elevation", "dem.tif")):
        raw["inputs"][key] = str(folder / file)
    raw["inputs"]["facilities"]["file"] = str(folder / "facilities.geojson")
    raw["inputs"]["settlements"]["file"] = str(folder / "settlements.geojson")
    path = workdir / f"scenario_{side_km:g}km.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    name = f"Generated {side_km:g} km"
    return build_cases(name, load_scenario(path), DEMAND_CELL_M, N_SITES, (WALK_CUTOFF, REFERRAL_CUTOFF))


# --- report ------------------------------------------------------------------------------------------------


def print_table(outcomes: list[Outcome], networks: dict[str, RoadNetwork]) -> None:
    header = (
        f"{'region':<18} {'matrix':<21} {'nodes':>8} {'edges':>8} {'origins':>7} {'dests':>6} {'cutoff':>6} "
        f"{'pairs':>9} {'snap s':>7} {'engine s':>8} {'networkx s':>10} {'ratio':>6} {'fwd s':>6} "
        f"{'peak MiB':>8} {'max |Δ|':>8} identical"
    )
    print("\n" + header)
    print("-" * len(header))
    for o in outcomes:
        c = o.case
        print(
            f"{c.region:<18} {c.matrix:<21} {networks[c.region].n_nodes:>8,} {c.graph.minutes.nnz:>8,} "
            f"{len(c.origins.x):>7,} {len(c.destinations.x):>6,} {c.cutoff:>6g} {o.pairs:>9,} {c.snap_s:>7.2f} "
            f"{o.engine_s:>8.3f} {o.networkx_s:>10.2f} {o.ratio:>6.1f} {o.forward_s:>6.2f} {o.peak_mib:>8.1f} "
            f"{o.max_diff:>8.1e} {'yes' if o.identical else 'NO'}"
        )
    print(
        "  snap s: tying all demand points and sites to both graphs (engine side, not in the ratio); "
        "fwd s: ablation, scipy forward from every origin"
    )
    for o in outcomes:
        c = o.case
        print(
            f"  {c.region}, {c.matrix}: networkx pairs {o.networkx_pairs:,}, engine pairs {o.pairs:,}, only engine "
            f"{o.only_engine}, only networkx {o.only_networkx}, max |Δ| {o.max_diff:.2e} min; networkx settles "
            f"{o.settled_per_search:,.0f} nodes per search; DiGraph built in {o.networkx_build_s:.2f} s (not "
            f"counted); forward ablation identical: {'yes' if o.forward_identical else 'NO'}, ratio vs networkx "
            f"{o.networkx_s / o.forward_s:.1f}"
        )
    for name in dict.fromkeys(o.case.region for o in outcomes):
        mine = [o for o in outcomes if o.case.region == name]
        engine = sum(o.engine_s for o in mine)
        baseline = sum(o.networkx_s for o in mine)
        snap = sum(o.case.snap_s for o in mine)
        print(
            f"  {name}, both matrices: engine {engine:.3f} s, networkx {baseline:.2f} s, ratio "
            f"{baseline / engine:.1f}; with snapping on the engine side {engine + snap:.2f} s, ratio "
            f"{baseline / (engine + snap):.1f}"
        )


def per_source_floor_us(graph: TravelGraph) -> float:
    """Microseconds per source of scipy's dijkstra with ``limit=0`` (blocks of CHUNK): the work it does for
    every node of the graph whatever the cutoff (a distance row and a heap node per node, per source)."""
    nodes = np.random.default_rng(SEED).choice(np.flatnonzero(graph.usable), 4 * CHUNK, replace=False)
    start = time.perf_counter()
    for block in range(0, len(nodes), CHUNK):
        dijkstra(graph.minutes, directed=True, indices=nodes[block : block + CHUNK], limit=0.0)
    return (time.perf_counter() - start) / len(nodes) * 1e6


def print_floors(outcomes: list[Outcome], networks: dict[str, RoadNetwork]) -> None:
    """Where the time goes: scipy's fixed cost per source against networkx's cost per search."""
    print("\nPer search (what decides the ratio):")
    for o in outcomes:
        c = o.case
        print(
            f"  {c.region}, {c.matrix}: scipy dijkstra with limit=0 costs {per_source_floor_us(c.graph):,.0f} µs per "
            f"source on {networks[c.region].n_nodes:,} nodes; networkx {o.networkx_s / max(o.searches, 1) * 1e6:,.0f}"
            f" µs per search ({o.searches:,} searches, {o.settled_per_search:,.0f} nodes settled each); engine "
            f"{o.engine_s / max(o.sources, 1) * 1e6:,.0f} µs per source ({o.sources:,} sources)"
        )


def sensitivity(region: Region, digraphs: dict[int, tuple[nx.DiGraph, float]], main: Outcome) -> None:
    """The demand→site matrix of the generated region with more origins, all sites, other cutoffs."""
    case = region.cases[0]
    mode = WALK if case.graph is region.graphs[WALK] else MOTOR
    all_sites = tied(region.all_sites, mode)
    print(f"\nSensitivity, {region.name}, {case.matrix} ({region.network.n_nodes:,} nodes):")
    header = (
        f"{'variant':<34} {'origins':>8} {'dests':>6} {'cutoff':>6} {'pairs':>9} {'settled/search':>14} "
        f"{'engine s':>8} {'networkx s':>10} {'ratio':>6} {'peak MiB':>8} identical"
    )
    print(header)
    print("-" * len(header))
    variants: list[tuple[str, Outcome]] = [(f"as above ({DEMAND_CELL_M:g} m cells)", main)]
    for cell_m in SWEEP_CELLS_M:
        origins = tied(region.demand(cell_m), mode)
        variant = Case(case.region, case.matrix, case.graph, origins, case.destinations, case.cutoff, 0.0)
        variants.append((f"{cell_m:g} m cells", measure(variant, digraphs, ablation=False)))
    for cutoff in SWEEP_CUTOFFS:
        variant = Case(case.region, case.matrix, case.graph, case.origins, case.destinations, cutoff, 0.0)
        variants.append((f"cutoff {cutoff:g} min", measure(variant, digraphs, ablation=False)))
    variant = Case(case.region, case.matrix, case.graph, case.origins, all_sites, case.cutoff, 0.0)
    variants.append(("every candidate site", measure(variant, digraphs, ablation=False)))
    for label, o in variants:
        c = o.case
        print(
            f"{label:<34} {len(c.origins.x):>8,} {len(c.destinations.x):>6,} {c.cutoff:>6g} {o.pairs:>9,} "
            f"{o.settled_per_search:>14,.0f} {o.engine_s:>8.3f} {o.networkx_s:>10.2f} {o.ratio:>6.1f} "
            f"{o.peak_mib:>8.1f} {'yes' if o.identical else 'NO'}"
        )


def memory_scaling(case: Case, n_nodes: int) -> None:
    """Engine peak for 1/8, 1/4, 1/2 and all of the origins (spread over the region)."""
    n = len(case.origins.x)
    order = np.random.default_rng(SEED).permutation(n)
    print(f"\nMemory, {case.region}, {case.matrix}, {n_nodes:,} nodes, CHUNK = {CHUNK}:")
    print(f"{'origins':>8} {'pairs':>10} {'peak MiB':>9} {'pairs × 24 B, MiB':>18} {'origins × nodes × 8 B, MiB':>27}")
    for count in sorted({max(n // 8, 1), max(n // 4, 1), max(n // 2, 1), n}):
        subset = case.origins.take(np.sort(order[:count]))
        peak, pairs = engine_peak_mib(case, subset)
        print(f"{count:>8,} {pairs:>10,} {peak:>9.1f} {pairs * 24 / MIB:>18.1f} {count * n_nodes * 8 / MIB:>27,.0f}")
    print(f"  one block of {CHUNK} searches: {CHUNK} × nodes × 8 B = {CHUNK * n_nodes * 8 / MIB:.1f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "facility_layout_travel_bench",
        help="where the generated region is cached between runs",
    )
    parser.add_argument("--quick", action="store_true", help=f"a {QUICK_SIDE_KM:g} km region, no sensitivity runs")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs); other work skews the timings")

    side = QUICK_SIDE_KM if args.quick else FULL_SIDE_KM
    regions = [r for r in (ngazidja(args.data_root), generated(args.workdir, side)) if r is not None]
    big = regions[-1]
    big_demand = big.cases[0]
    if not args.quick and (big.network.n_nodes < MIN_NODES or len(big_demand.origins.x) < MIN_ORIGINS):
        print(
            f"FAIL: the generated graph has {big.network.n_nodes:,} nodes and {len(big_demand.origins.x):,} origins "
            f"(need ≥ {MIN_NODES:,} and ≥ {MIN_ORIGINS:,}): raise FULL_SIDE_KM"
        )
        return 1

    outcomes = []
    digraphs: dict[int, tuple[nx.DiGraph, float]] = {}
    for region in regions:
        for case in region.cases:
            print(f"timing {case.region}, {case.matrix} …", flush=True)
            outcomes.append(measure(case, digraphs))
    networks = {r.name: r.network for r in regions}
    print_table(outcomes, networks)
    print_floors(outcomes, networks)
    mine = [o for o in outcomes if o.case.region == big.name]
    if not args.quick:
        sensitivity(big, digraphs, mine[0])
    memory_scaling(big_demand, big.network.n_nodes)

    speedup = sum(o.networkx_s for o in mine) / sum(o.engine_s for o in mine)
    identical = all(o.identical for o in mine)
    peak = max(o.peak_mib for o in mine)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    if args.quick:
        print(f"NOTE: --quick: {big.network.n_nodes:,} nodes, below the {MIN_NODES:,} of the real benchmark")
    print(
        f"\nRESULT speedup_vs_networkx={speedup:.1f} identical={'true' if identical else 'false'} peak_mib={peak:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
