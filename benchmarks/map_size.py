"""map.html at prefecture size: how large the file is and how long Chromium takes to open it.

Builds a prefecture-size layout directly as :class:`~facility_layout.evaluate.LayoutTables` (no pipeline run,
a few seconds): a 150 × 150 km region, a 500 m grid of 90,000 demand cells holding 2.5 million people,
1,576 village clinics (kept, closed, built) and 142 township centres (kept, upgraded), each cell assigned to
its nearest open clinic and each open clinic referred to its nearest centre, about 11,000 road edges with
about 750,000 vertices (the issue's generated prefecture has 504,943 road nodes) and 3,926 settlements.
Then it renders ``map.html`` with :func:`facility_layout.maps.render_map`, opens it in headless Chromium
with the network off (as the browser tests do) and measures the time from navigation until every map has
a view and has painted, and the JavaScript heap then.

The renderer on ``main`` before this work is not importable beside this one; the issue measured it on the
same kind of region: 66 MB, 9.5 s to load, 842 MB of JavaScript heap. Targets: ≤ 10 MB, < 3 s.

    .venv/bin/python benchmarks/map_size.py [--out /tmp/map_size] [--scale 1.0]

``--scale 0.3`` builds a smaller region (a smoke run). Ends with machine-readable lines:
    RESULT map_mb=<size> load_s=<seconds> heap_mb=<mib> render_s=<seconds>
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from facility_layout.evaluate import LayoutTables
from facility_layout.maps import render_map

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import browser  # noqa: E402  (the browser tests' own offline Chromium)

CRS = "EPSG:32649"  # UTM 49N, over central China
X0, Y0 = 500_000.0, 3_000_000.0
ISSUE_MAIN = {"map_mb": 66.0, "load_s": 9.5, "heap_mb": 842.0}  # main's renderer, measured in issue 17
TARGET = {"map_mb": 10.0, "load_s": 3.0}
WALK_KMH, ROAD_KMH = 4.0, 30.0


def prefecture(scale: float = 1.0, seed: int = 11) -> tuple[LayoutTables, gpd.GeoDataFrame, dict]:
    """A prefecture-size layout, its settlements and its summary; ``scale`` shrinks every count."""
    rng = np.random.default_rng(seed)
    side = 150_000.0 * np.sqrt(scale)
    boundary = gpd.GeoDataFrame(geometry=[_wobbly_square(side, rng)], crs=CRS)

    # Demand: a 500 m grid, people clustered around towns (lognormal per cell, ×10 near a town).
    # Cells of the population grid anchored at the region's lower left corner, as the pipeline makes them
    # (ids c<col>_<row>, points at the cells' centres).
    left, bottom = boundary.total_bounds[:2] - [X0, Y0]
    xs = np.arange(250.0, side + 500.0, 500.0)
    gx, gy = (a.ravel() for a in np.meshgrid(left + xs, bottom + xs))
    inside = shapely.contains_xy(boundary.geometry.iloc[0], X0 + gx, Y0 + gy)
    gx, gy = gx[inside], gy[inside]
    towns = rng.uniform(0, side, (max(3, int(142 * scale)), 2))
    near_town = cKDTree(towns).query(np.column_stack([gx, gy]))[0] < 3_000
    people = rng.lognormal(3.0, 1.0, len(gx)) * np.where(near_town, 10, 1)
    people *= 2_500_000 * scale / people.sum()

    n_clinics, n_centres = int(1_576 * scale), max(2, int(142 * scale))
    clinic_xy = rng.uniform(0, side, (n_clinics, 2))
    centre_xy = towns[:n_centres]
    decision = rng.choice(["keep", "close", "build"], n_clinics, p=[0.7, 0.12, 0.18])
    centre_decision = np.where(np.arange(n_centres) < max(1, n_centres // 10), "upgrade", "keep")
    open_clinic = decision != "close"
    open_ids = np.flatnonzero(open_clinic)

    # Each cell to its nearest open clinic, on foot at WALK_KMH along a 1.3-times detour.
    distance, nearest = cKDTree(clinic_xy[open_ids]).query(np.column_stack([gx, gy]))
    clinic_of_cell = open_ids[nearest]
    clinic_minutes = distance * 1.3 / (WALK_KMH * 1000 / 60)
    clinic_minutes = np.where(clinic_minutes <= 30, clinic_minutes, np.nan)
    centre_distance, centre_of_cell = cKDTree(centre_xy).query(np.column_stack([gx, gy]))
    centre_minutes = centre_distance * 1.3 / (ROAD_KMH * 1000 / 60) + 10
    centre_minutes = np.where(centre_minutes <= 60, centre_minutes, np.nan)

    clinic_ids = np.array([f"VC{i:05d}" for i in range(n_clinics)])
    clinic_names = np.array([f"村卫生室 {i} Village Clinic" for i in range(n_clinics)])
    centre_ids = np.array([f"TC{i:04d}" for i in range(n_centres)])
    centre_names = np.array([f"乡镇卫生院 {i} Township Health Centre" for i in range(n_centres)])
    served = ~np.isnan(clinic_minutes)
    demand = gpd.GeoDataFrame(
        {
            "cell_id": [f"c{c:.0f}_{r:.0f}" for c, r in zip((gx - left) // 500, (gy - bottom) // 500, strict=True)],
            "population": np.round(people, 1),
            "clinic_minutes": clinic_minutes,
            "clinic_site_id": np.where(served, clinic_ids[clinic_of_cell], ""),
            "clinic_name": np.where(served, clinic_names[clinic_of_cell], ""),
            "centre_minutes": centre_minutes,
            "centre_name": np.where(np.isnan(centre_minutes), "", centre_names[centre_of_cell]),
            "uncoverable": rng.random(len(gx)) < 0.02,
            "off_network": rng.random(len(gx)) < 0.01,
            "cut_off": np.zeros(len(gx), dtype=bool),
            "elevation_m": rng.uniform(200, 2_500, len(gx)).round(),
        },
        geometry=gpd.points_from_xy(X0 + gx, Y0 + gy),
        crs=CRS,
    )

    # Facilities: clinics (a closed one merged into its nearest open neighbour), then centres.
    served_people = np.bincount(clinic_of_cell[served], weights=people[served], minlength=n_clinics)
    merged = open_ids[cKDTree(clinic_xy[open_ids]).query(clinic_xy)[1]]
    referral = cKDTree(centre_xy).query(clinic_xy)[1]
    rows = {
        "site_id": np.concatenate([clinic_ids, centre_ids]),
        "name": np.concatenate([clinic_names, centre_names]),
        "tier": ["village_clinic"] * n_clinics + ["township_centre"] * n_centres,
        "origin": np.concatenate([np.where(decision == "build", "new", "existing"), ["existing"] * n_centres]),
        "decision": np.concatenate([decision, centre_decision]),
        "merged_into": np.concatenate([np.where(open_clinic, "", clinic_names[merged]), [""] * n_centres]),
        "merged_into_id": np.concatenate([np.where(open_clinic, "", clinic_ids[merged]), [""] * n_centres]),
        "reason": [f"{d}: its people reach it within the standard" for d in decision] + ["kept"] * n_centres,
        "population_served": np.concatenate([served_people, np.zeros(n_centres)]),
        "mean_minutes": rng.uniform(5, 25, n_clinics + n_centres),
        "p95_minutes": rng.uniform(20, 30, n_clinics + n_centres),
        "max_minutes": np.full(n_clinics + n_centres, 30.0),
        "referral_centre": np.concatenate([np.where(open_clinic, centre_names[referral], ""), [""] * n_centres]),
        "referral_minutes": np.concatenate([rng.uniform(10, 60, n_clinics), np.full(n_centres, np.nan)]),
        "cost": np.concatenate(
            [np.where(decision == "build", 3.0, np.where(open_clinic, 1.0, 0.0)), [5.0] * n_centres]
        ),
        "elevation_m": rng.uniform(200, 2_500, n_clinics + n_centres).round(),
    }
    xy = np.concatenate([clinic_xy, centre_xy])
    facilities = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy(X0 + xy[:, 0], Y0 + xy[:, 1]), crs=CRS)

    cell_xy = np.column_stack([X0 + gx, Y0 + gy])
    assignments = gpd.GeoDataFrame(
        {
            "cell_id": demand["cell_id"][served].to_numpy(),
            "site_id": clinic_ids[clinic_of_cell[served]],
            "population": people[served],
            "minutes": clinic_minutes[served],
        },
        geometry=shapely.linestrings(np.stack([cell_xy[served], clinic_xy[clinic_of_cell[served]] + [X0, Y0]], axis=1)),
        crs=CRS,
    )
    referrals = gpd.GeoDataFrame(
        {
            "site_id": clinic_ids[open_ids],
            "centre_id": centre_ids[referral[open_ids]],
            "minutes": rng.uniform(10, 60, len(open_ids)),
        },
        geometry=shapely.linestrings(
            np.stack([xy[open_ids] + [X0, Y0], centre_xy[referral[open_ids]] + [X0, Y0]], axis=1)
        ),
        crs=CRS,
    )
    roads = _roads(side, rng)
    n_settlements = int(3_926 * scale)
    settlements = gpd.GeoDataFrame(
        {"name": [f"村 {i}" for i in range(n_settlements)], "place": ["village"] * n_settlements},
        geometry=gpd.points_from_xy(*(rng.uniform(0, side, (2, n_settlements)) + np.array([[X0], [Y0]]))),
        crs=CRS,
    )
    total = float(people.sum())
    counts = {d: int((decision == d).sum()) for d in ("keep", "close", "build")}
    summary = {
        "population_total": total,
        "population_covered": {
            "village_clinic": float(people[served].sum()),
            "township_centre": float(people[~np.isnan(centre_minutes)].sum()),
        },
        "population_uncoverable": float(people[demand["uncoverable"]].sum()),
        "travel_minutes": {
            "village_clinic": {"mean": float(np.nanmean(clinic_minutes)), "p95": 28.0, "max": 30.0},
            "township_centre": {"mean": float(np.nanmean(centre_minutes)), "p95": 55.0, "max": 60.0},
        },
        "facilities": {
            "village_clinic": counts,
            "township_centre": {
                "keep": int((centre_decision == "keep").sum()),
                "upgrade": int((centre_decision == "upgrade").sum()),
            },
        },
        "cost": float(facilities["cost"].sum()),
        "standards": {"village_clinic_max_minutes": 30, "township_centre_max_minutes": 60},
        "solver": {"name": "synthetic", "status": "optimal", "proven_optimal": True, "gap": 0.0},
    }
    tables = LayoutTables(demand, facilities, assignments, referrals, boundary, roads)
    return tables, settlements, summary


def townships(boundary: gpd.GeoDataFrame, per_side: int = 12) -> gpd.GeoDataFrame:
    """The region cut into ``per_side`` × ``per_side`` square townships (144: about the prefecture's 142),
    named ``乡 <i>``, for the map's overview."""
    west, south, east, north = boundary.total_bounds
    xs, ys = np.linspace(west, east, per_side + 1), np.linspace(south, north, per_side + 1)
    squares = [shapely.box(x0, y0, x1, y1) for x0, x1 in itertools.pairwise(xs) for y0, y1 in itertools.pairwise(ys)]
    areas = shapely.intersection(np.array(squares), boundary.geometry.iloc[0])
    keep = ~shapely.is_empty(areas)
    return gpd.GeoDataFrame({"name": [f"乡 {i}" for i in range(int(keep.sum()))]}, geometry=areas[keep], crs=CRS)


def _wobbly_square(side: float, rng: np.random.Generator) -> shapely.Polygon:
    """The region: a square with a jagged edge (a real boundary has thousands of vertices)."""
    t = np.linspace(0, 4, 4_000, endpoint=False)
    edge, along = np.floor(t).astype(int), (t % 1) * side
    x = np.select([edge == 0, edge == 1, edge == 2], [along, side, side - along], 0.0)
    y = np.select([edge == 0, edge == 1, edge == 2], [0.0, along, side], side - along)
    jitter = rng.normal(0, 150, (2, len(t)))
    ring = shapely.make_valid(shapely.Polygon(np.column_stack([X0 + x + jitter[0], Y0 + y + jitter[1]])))
    return max(shapely.get_parts(ring), key=lambda part: part.area)  # where the jitter crossed itself


def _roads(side: float, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """A 2 km grid of winding roads cut into edges between junctions, a vertex every 30 m."""
    spacing, step = 2_000.0, 30.0
    lines, classes = [], []
    kinds = np.array(["primary", "secondary", "tertiary", "unclassified", "residential", "track", "path"])
    for offset in np.arange(spacing / 2, side, spacing):
        for start in np.arange(0, side - spacing + 1, spacing):
            along = np.arange(start, start + spacing + step / 2, step)
            wiggle = np.cumsum(rng.normal(0, 8, len(along)))
            wiggle -= np.linspace(wiggle[0], wiggle[-1], len(along))
            for horizontal in (True, False):
                x, y = (along, offset + wiggle) if horizontal else (offset + wiggle, along)
                lines.append(shapely.LineString(np.column_stack([X0 + x, Y0 + y])))
                classes.append(rng.choice(kinds, p=[0.05, 0.1, 0.15, 0.25, 0.15, 0.2, 0.1]))
    return gpd.GeoDataFrame({"highway": classes}, geometry=lines, crs=CRS)


# Milliseconds from the navigation's start until now, and the page's JS heap in use (bytes).
NOW_MS = "() => performance.now()"


def load_in_chromium(path: Path) -> dict[str, float]:
    """Open ``path`` offline in headless Chromium; seconds until drawn, JS heap in MiB."""
    from playwright.sync_api import sync_playwright

    chromium = browser.find_chromium()
    if chromium is None:
        sys.exit(f"Chromium not found: install Debian's chromium or set {browser.CHROMIUM_ENV}")
    with sync_playwright() as playwright:
        launched = browser.launch(playwright, chromium)
        with browser.offline_page(launched, viewport={"width": 1366, "height": 768}) as watched:
            page = watched.page
            page.set_default_timeout(120_000)
            page.goto(path.resolve().as_uri(), wait_until="load", timeout=120_000)
            page.wait_for_function(browser.LEAFLET_DRAWN, arg=1, timeout=120_000)
            load_s = page.evaluate(NOW_MS) / 1000  # since navigation start
            cdp = page.context.new_cdp_session(page)
            cdp.send("HeapProfiler.collectGarbage")
            heap = cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20
            errors = watched.page_errors + watched.console_errors
        launched.close()
    if errors:
        sys.exit(f"the map has errors: {errors}")
    return {"load_s": load_s, "heap_mb": heap}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/map_size"))
    parser.add_argument("--scale", type=float, default=1.0, help="share of the prefecture's counts and area")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    tables, settlements, summary = prefecture(args.scale)
    built = time.perf_counter() - start
    vertices = int(shapely.get_num_coordinates(tables.roads.geometry.to_numpy()).sum())
    print(
        f"layout built in {built:.1f} s: {len(tables.demand):,} cells, {len(tables.facilities):,} facilities, "
        f"{len(tables.roads):,} road edges ({vertices:,} vertices), {len(settlements):,} settlements"
    )
    start = time.perf_counter()
    path = render_map(
        tables,
        args.out / "map.html",
        title="Generated prefecture: proposed layout",
        summary=summary,
        attributions=["Generated by benchmarks/map_size.py"],
        synthetic=True,
        cell_size_m=500.0,
        settlements=settlements,
    )
    render_s = time.perf_counter() - start
    size_mb = path.stat().st_size / 1e6
    loaded = load_in_chromium(path)
    print(f"{'':24}{'main (issue 17)':>18}{'this branch':>14}{'target':>10}")
    print(f"{'map.html, MB':24}{ISSUE_MAIN['map_mb']:>18.1f}{size_mb:>14.1f}{'≤ 10':>10}")
    print(f"{'load in Chromium, s':24}{ISSUE_MAIN['load_s']:>18.1f}{loaded['load_s']:>14.2f}{'< 3':>10}")
    print(f"{'JS heap, MiB':24}{ISSUE_MAIN['heap_mb']:>18.0f}{loaded['heap_mb']:>14.0f}{'':>10}")
    print(f"render_map: {render_s:.1f} s")
    print(
        f"RESULT map_mb={size_mb:.2f} load_s={loaded['load_s']:.2f} heap_mb={loaded['heap_mb']:.0f} "
        f"render_s={render_s:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
