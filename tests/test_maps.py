"""The HTML map of a hand-built layout: what a planner reads off it, and that input text stays text."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from facility_layout.basemaps import AUTONAVI, OPENSTREETMAP, Basemap, tianditu
from facility_layout.evaluate import LayoutTables
from facility_layout.gcj02 import wgs84_to_gcj02
from facility_layout.maps import (
    BEYOND_STANDARD_COLOUR,
    DENSITY_CLASSES,
    UNCOVERABLE_COLOUR,
    WITHIN_STANDARD_COLOURS,
    render_map,
)
from facility_layout.relief import ReliefImage

CRS = "EPSG:32738"  # UTM 38S, over the Comoros
HOSTILE = '<script>alert(1)</script> & "Q"'
ATTRIBUTIONS = [
    "Roads, boundary, settlements © OpenStreetMap contributors (ODbL)",
    "Population: WorldPop 2020 (CC BY 4.0)",
    "Elevation: NASA SRTM GL1 v003",
    "Public health facilities: Maina et al. 2019, Sci Data 6:134",
]
LAYERS = [
    "Boundary",
    "Roads",
    "Demand cells: minutes to village clinic",
    "Demand cells: minutes to township centre",
    "Demand cells: people per km²",
    "Catchments: the area each village clinic serves",
    "Areas beyond the village clinic standard",
    "Existing village clinic (today, before the layout) (2)",
    "Existing township centre (today, before the layout) (2)",
    "Assignments: demand cell → village clinic",
    "Referrals: village clinic → township centre",
    "Merges: closed clinic → the clinic its people use",
    "Village clinic kept (1)",
    "Village clinic closed (people merged into another) (1)",
    "Village clinic built (new) (1)",
    "Township centre kept (1)",
    "Township centre upgraded to central township centre (1)",
]
DECISIONS = [
    ("village_clinic", "keep"),
    ("village_clinic", "close"),
    ("village_clinic", "build"),
    ("township_centre", "keep"),
    ("township_centre", "upgrade"),
]
MINUTES_CLASSES = ["within-1", "within-2", "within-3", "beyond", "uncoverable"]

X0, Y0 = 360_000.0, 8_706_000.0


def facility(site_id: str, name: str, tier: str, decision: str, x: float, y: float, **extra: object) -> dict:
    row = {
        "site_id": site_id,
        "name": name,
        "tier": tier,
        "origin": "new" if decision == "build" else "existing",
        "decision": decision,
        "merged_into": "",
        "merged_into_id": "",
        "reason": f"{decision}: because the model says so",
        "population_served": 1200.0,
        "mean_minutes": 12.5,
        "p95_minutes": 24.0,
        "max_minutes": 28.0,
        "referral_centre": "",
        "referral_minutes": np.nan,
        "cost": 1.0,
        "elevation_m": 240.0,
        "geometry": Point(x, y),
    }
    return {**row, **extra}


def make_tables() -> LayoutTables:
    facilities = gpd.GeoDataFrame(
        [
            facility(
                "C1",
                "Mitsamiouli",
                "village_clinic",
                "keep",
                X0 + 1000,
                Y0 + 1000,
                referral_centre="Moroni",
                referral_minutes=22.0,
            ),
            facility(
                "C2",
                HOSTILE,
                "village_clinic",
                "close",
                X0 + 1500,
                Y0 + 3000,
                merged_into="Mitsamiouli",
                merged_into_id="C1",
                reason=f"closed: its people reach {HOSTILE} in 12 min",
                population_served=0.0,
                mean_minutes=None,
                p95_minutes=None,
                max_minutes=None,
                cost=0.0,
            ),
            facility(
                "N1",
                "Nouveau poste",
                "village_clinic",
                "build",
                X0 + 6000,
                Y0 + 2000,
                cost=3.0,
                referral_centre="Foumbouni",
                referral_minutes=35.0,
            ),
            facility("T1", "Moroni", "township_centre", "keep", X0 + 3000, Y0 + 5000),
            facility("T2", "Foumbouni", "township_centre", "upgrade", X0 + 8000, Y0 + 6000),
        ],
        geometry="geometry",
        crs=CRS,
    )
    cells = [  # (minutes to clinic, clinic, uncoverable)
        (4.0, "Mitsamiouli", False),
        (15.0, "Mitsamiouli", False),
        (25.0, "Nouveau poste", False),
        (np.nan, "", False),
        (np.nan, "", True),
    ]
    xy = [(X0 + 500 * i, Y0 + 700 * i) for i in range(len(cells))]
    demand = gpd.GeoDataFrame(
        {
            "cell_id": [f"cell-{i}" for i in range(len(cells))],
            "population": [800.0, 300.0, 150.0, 60.0, 20.0],
            "clinic_minutes": [c[0] for c in cells],
            "clinic_site_id": ["C1", "C1", "N1", "", ""],
            "clinic_name": [c[1] for c in cells],
            "centre_minutes": [30.0, 40.0, 55.0, np.nan, np.nan],
            "centre_name": ["Moroni", "Moroni", "Foumbouni", "", ""],
            "uncoverable": [c[2] for c in cells],
            "off_network": [False, False, False, False, True],
            "cut_off": [False, False, False, True, False],
            "elevation_m": [100.0, 300.0, 650.0, 900.0, np.nan],
        },
        geometry=[Point(x, y) for x, y in xy],
        crs=CRS,
    )
    sites = {"C1": (X0 + 1000, Y0 + 1000), "N1": (X0 + 6000, Y0 + 2000)}
    served = [(0, "C1"), (1, "C1"), (2, "N1")]
    assignments = gpd.GeoDataFrame(
        {
            "cell_id": [f"cell-{i}" for i, _ in served],
            "site_id": [s for _, s in served],
            "population": [800.0, 300.0, 150.0],
            "minutes": [4.0, 15.0, 25.0],
        },
        geometry=[LineString([xy[i], sites[s]]) for i, s in served],
        crs=CRS,
    )
    referrals = gpd.GeoDataFrame(
        {"site_id": ["C1", "N1"], "centre_id": ["T1", "T2"], "minutes": [22.0, 35.0]},
        geometry=[
            LineString([sites["C1"], (X0 + 3000, Y0 + 5000)]),
            LineString([sites["N1"], (X0 + 8000, Y0 + 6000)]),
        ],
        crs=CRS,
    )
    boundary = gpd.GeoDataFrame(geometry=[box(X0 - 2000, Y0 - 2000, X0 + 10_000, Y0 + 8000)], crs=CRS)
    roads = gpd.GeoDataFrame(
        {"highway": ["primary", "residential", "track", "path"]},
        geometry=[LineString([(X0, Y0 + k * 1000), (X0 + 9000, Y0 + k * 1000 + 500)]) for k in range(4)],
        crs=CRS,
    )
    return LayoutTables(demand, facilities, assignments, referrals, boundary, roads)


def make_summary(proven: bool = True) -> dict:
    return {
        "population_total": 1330.0,
        "population_covered": {"village_clinic": 1250.0, "township_centre": 1250.0},
        "population_uncoverable": 20.0,
        "travel_minutes": {
            "village_clinic": {"mean": 8.3, "p95": 25.0, "max": 25.0},
            "township_centre": {"mean": 34.1, "p95": 55.0, "max": 55.0},
        },
        "facilities": {
            "village_clinic": {"keep": 1, "close": 1, "build": 1},
            "township_centre": {"keep": 1, "upgrade": 1},
        },
        "cost": 4.0,
        "standards": {
            "village_clinic_max_minutes": 30,
            "township_centre_max_minutes": 60,
            "referral_max_minutes": 60,
            "remote_keep_minutes": 45,
        },
        "travel": {
            "modes": {"village_clinic": "walk", "township_centre": "walk_then_motor", "referral": "motor"},
            "conditions": ["rainy_season"],
            "closed_road_segments": {"walk": 0, "motor": 12},
            "cut_off": {"population": 60.0, "cells": 1, "places": ["Hahaya"]},
            "cache": "miss",
        },
        "access": {
            "unreachable": {"village_clinic": 80.0, "township_centre": 60.0},
            "losing_access": {"village_clinic": 45.0, "township_centre": 30.0},
            "newly_beyond_every_site": {"population": 25.0, "within_standard_today": 5.0},
            "computed_up_to_minutes": {"village_clinic": 45.0, "township_centre": 60.0},
            "headline": "25 people no possible site reaches within the clinic standard in these conditions; "
            "5 of them are within the standard today",
        },
        "solver": {
            "name": "cbc",
            "status": "optimal" if proven else "feasible",
            "proven_optimal": proven,
            "objective": 4.0,
            "gap": 0.0 if proven else 0.125,
        },
    }


def render(tmp_path: Path, *, synthetic: bool = True, summary: dict | None = None, **options: object) -> str:
    """Render the hand-built layout; return the page with JSON string escapes decoded.

    The GeoJSON and attribution strings are embedded as JSON (``<`` as ``\\u003c`` …); decoding them gives
    the strings Leaflet will insert into the page as HTML.
    """
    path = tmp_path / "map.html"
    out = render_map(
        make_tables(),
        path,
        title="Test county: proposed layout",
        summary=make_summary() if summary is None else summary,
        attributions=ATTRIBUTIONS,
        synthetic=synthetic,
        **options,
    )
    assert out == path and path.stat().st_size > 10_000
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), path.read_text("utf-8"))


def test_input_text_is_escaped(tmp_path: Path) -> None:
    page = render(tmp_path)
    assert "<script>alert(1)" not in page
    assert html.escape(HOSTILE) in page  # in its popup, tooltip and the reason sentence
    for name in make_tables().facilities["name"]:
        assert html.escape(name) in page


def test_legend_has_one_entry_per_decision_and_minutes_class(tmp_path: Path) -> None:
    page = render(tmp_path)
    entries = re.findall(r'data-legend="([^"]+)"', page)
    for tier, decision in DECISIONS:
        assert entries.count(f"facility:{tier}:{decision}") == 1
    for key in MINUTES_CLASSES:
        assert entries.count(f"minutes:{key}") == 1
    # The classes follow the clinic standard (30 min here).
    assert "≤ 10 min" in page and "10–20 min" in page and "20–30 min (the standard)" in page


def cell_data(page: str) -> tuple[dict, dict]:
    """The demand cells' columns and the words their tooltips and popups are made of, as embedded."""
    found = re.search(r'\}\)\(JSON\.parse\(("(?:[^"\\]|\\.)*")\), (\{"centre_mode": .*?\})\)\);', page, re.S)
    return json.loads(json.loads(found[1])), json.loads(found[2])


def cell_colours(page: str) -> list[list[str]]:
    """Each cell theme's fill colour per cell, in the order of the themes' radio buttons."""
    data, _ = cell_data(page)
    palettes = {int(t): json.loads(p) for t, p in re.findall(r"cells\(\)\.path\.setTheme\((\d), (\[[^\]]*\])\)", page)}
    return [[palettes[t][int(k)] for k in classes] for t, classes in enumerate(data["classes"])]


def test_cells_are_classed_by_minutes_to_each_tier_and_by_density(tmp_path: Path) -> None:
    page = render(tmp_path, cell_size_m=500.0)
    clinic, centre, density = cell_colours(page)
    # cells 0..4: 4 min, 15 min, 25 min, no clinic, uncoverable (clinic standard 30 min)
    assert clinic == [*WITHIN_STANDARD_COLOURS, BEYOND_STANDARD_COLOUR, UNCOVERABLE_COLOUR]
    # 30, 40, 55 min, none, none to a township centre (standard 60 min: classes of 20 min)
    assert centre == [WITHIN_STANDARD_COLOURS[1]] * 2 + [WITHIN_STANDARD_COLOURS[2]] + [BEYOND_STANDARD_COLOUR] * 2
    # 800, 300, 150, 60, 20 people in 0.25 km² cells: 3,200, 1,200, 600, 240 and 80 per km²
    assert density == [DENSITY_CLASSES[k].colour for k in (6, 5, 4, 2, 1)]
    # What the cells' popups are made of (put together in the browser: tests/test_browser_map.py).
    data, text = cell_data(page)
    assert text["clinic_standard"] == "30 min" and text["centre_standard"] == "60 min"
    assert [data["clinic_names"][k] if k >= 0 else None for k in data["clinic"]] == [
        "Mitsamiouli",
        "Mitsamiouli",
        "Nouveau poste",
        None,
        None,
    ]
    assert data["clinic_minutes"] == [40, 150, 250, -1, -1]  # tenths of a minute; -1: none within the standard
    assert data["people"] == [800, 300, 150, 60, 20] and data["elevation"] == [100, 300, 650, 900, None]
    assert data["off_network"] == [4] and data["cut_off"] == [3]
    assert data["ids"] == [f"cell-{i}" for i in range(5)]


def test_synthetic_banner_and_basemap(tmp_path: Path) -> None:
    synthetic = render(tmp_path, synthetic=True)
    assert "SYNTHETIC REGION" in synthetic and 'id="fl-synthetic-banner"' in synthetic
    assert "tile.openstreetmap.org" not in synthetic
    real = render(tmp_path, synthetic=False)
    assert "SYNTHETIC" not in real
    assert "tile.openstreetmap.org" in real


@pytest.mark.parametrize("synthetic", [True, False])
def test_attributions_are_shown(tmp_path: Path, synthetic: bool) -> None:
    page = render(tmp_path, synthetic=synthetic)
    for line in ATTRIBUTIONS:
        assert html.escape(line) in page
    assert "attributionControl.addAttribution" in page


def test_solver_line(tmp_path: Path) -> None:
    proven = render(tmp_path, summary=make_summary(proven=True))
    assert "proven optimal" in proven and "NOT proven optimal" not in proven
    unproven = render(tmp_path, summary=make_summary(proven=False))
    assert "NOT proven optimal (gap 12.50%)" in unproven


def test_headline_figures(tmp_path: Path) -> None:
    page = render(tmp_path)
    assert "1,250 (94.0%)" in page  # within the clinic standard
    assert "20 (1.5%)" in page  # cannot be covered
    assert "1 kept · 1 closed · 1 built" in page and "1 kept · 1 upgraded to central" in page


def test_minutes_are_given_by_mode_and_conditions_are_shown(tmp_path: Path) -> None:
    page = render(tmp_path)
    _, text = cell_data(page)
    assert text["clinic_mode"] == "on foot" and text["centre_mode"] == "walking, then by road"  # in cells' popups
    assert "Minutes for them on foot" in page  # a clinic's catchment
    assert "22 min by road" in page  # a referral
    assert "to clinics on foot · to centres walking, then by road · referrals by road" in page
    assert (
        "rainy_season" in page
        and "12 road segments closed · people losing their clinic within the standard: 45" in page
    )
    assert "their township centre: 30" in page and "25 people no possible site reaches" in page
    # Cut off means no open facility within the minutes computed, nothing about closures.
    assert text["cut_off"] == (
        "Cut off: no open facility of any tier within 45 min (clinic) or 60 min (township centre), "
        "the farthest travel times computed."
    )


def test_missing_figures_and_empty_layers_do_not_break_the_map(tmp_path: Path) -> None:
    page = render(tmp_path, summary={})
    assert "optimality not reported" in page
    assert "≤ 10 min" in page  # the default clinic standard
    t = make_tables()
    bare = LayoutTables(
        t.demand.iloc[:1],
        t.facilities.iloc[:1],
        t.assignments.iloc[:0],
        t.referrals.iloc[:0],
        t.boundary,
        t.roads.iloc[:0],
    )
    path = render_map(bare, tmp_path / "bare.html", title="Bare", summary={}, attributions=[], synthetic=False)
    assert "Village clinic built (new) (0)" in path.read_text("utf-8")


def test_layers_are_named(tmp_path: Path) -> None:
    page = render(tmp_path)
    for name in LAYERS:
        assert f'"{name}"' in page
    assert '"collapsed": false' in page  # the layer list is open, not behind an icon


def facility_table(path: Path) -> dict:
    """The facilities' table embedded in the page at ``path``, its positions decoded here (a running sum
    of steps of 1e-5°) into ``lon``/``lat`` arrays."""
    raw = re.search(r'<script type="application/json" id="fl-facility-data">(.*?)</script>', path.read_text("utf-8"))
    table = json.loads(raw[1])
    table["lon"], table["lat"] = (np.cumsum(table[key]) / 1e5 for key in ("lng", "lat"))
    return table


def test_coordinates_are_lon_lat(tmp_path: Path) -> None:
    render(tmp_path)
    table = facility_table(tmp_path / "map.html")
    lonlat = make_tables().facilities.to_crs("EPSG:4326").geometry
    assert ((lonlat.x > 43) & (lonlat.x < 44) & (lonlat.y > -12) & (lonlat.y < -11)).all()  # the Comoros
    # Each facility where it is, to the quantisation step (half of 1e-5° either way).
    assert np.abs(table["lon"] - lonlat.x.to_numpy()).max() <= 0.5e-5 + 1e-12
    assert np.abs(table["lat"] - lonlat.y.to_numpy()).max() <= 0.5e-5 + 1e-12


def test_the_page_loads_nothing_from_the_network(tmp_path: Path) -> None:
    page = render(tmp_path, synthetic=False)
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert "Leaflet 1.9.4" in page  # inlined


def catchment_frame(tables: LayoutTables) -> gpd.GeoDataFrame:
    from facility_layout.maps.cells import cell_areas

    return cell_areas(tables.demand, tables.boundary, 500.0)


def test_catchments_and_unreached_areas_partition_the_cells() -> None:
    tables = make_tables()
    areas = catchment_frame(tables)
    demand = tables.demand
    # Each cell's point lies in exactly one area: its clinic's catchment, or the area beyond the standard.
    for _, cell in demand.iterrows():
        holding = areas[areas.contains(cell.geometry)]
        assert len(holding) == 1
        row = holding.iloc[0]
        if cell["uncoverable"]:
            assert row["kind"] == "uncoverable"
        elif cell["clinic_site_id"]:
            assert (row["kind"], row["site_id"]) == ("catchment", cell["clinic_site_id"])
        else:
            assert row["kind"] == "beyond"
    # Areas do not overlap, stay inside the region, and carry the people of their cells.
    geometries = list(areas.geometry)
    for i, a in enumerate(geometries):
        for b in geometries[i + 1 :]:
            assert a.intersection(b).area < 1e-6
    assert areas.union_all().difference(tables.boundary.union_all()).area < 1e-6
    served = demand[demand["clinic_site_id"] != ""].groupby("clinic_site_id")["population"].sum()
    catchments = areas[areas["kind"] == "catchment"].set_index("site_id")["population"]
    assert catchments.sort_index().to_dict() == pytest.approx(served.sort_index().to_dict())
    assert areas["population"].sum() == pytest.approx(demand["population"].sum())


def test_facility_popup_shows_how_far_its_people_live(tmp_path: Path) -> None:
    render(tmp_path)
    table = facility_table(tmp_path / "map.html")
    sites = [table["strings"][k] for k in table["site"]]
    # Mitsamiouli serves 800 people at 4 min and 300 at 15 min: two bars, in the classes of the legend.
    assert table["chart"][sites.index("C1")] == [800, 300, 0, 0, 0]
    rows = table["rows"][sites.index("C1")]
    labels = [table["strings"][k] for k in rows[::2]]
    assert labels[rows[1::2].index(-1)] == "How far they live"


@pytest.mark.parametrize(
    ("basemap", "expected", "absent"),
    [
        (OPENSTREETMAP, ["tile.openstreetmap.org", "OpenStreetMap</a> contributors"], ["tianditu", "autonavi"]),
        (None, [], ["tile.openstreetmap.org", "tianditu", "autonavi"]),
        (tianditu("KEY123"), ["vec_w/wmts", "cva_w/wmts", "tk=KEY123", "天地图"], ["tile.openstreetmap.org"]),
        (AUTONAVI, ["webrd0{s}.is.autonavi.com", "GCJ-02"], ["tile.openstreetmap.org"]),
    ],
)
def test_basemap_choice(tmp_path: Path, basemap: Basemap | None, expected: list[str], absent: list[str]) -> None:
    page = render(tmp_path, synthetic=False, basemap=basemap)
    for text in expected:
        assert text in page
    for text in absent:
        assert text not in page
    for line in ATTRIBUTIONS:  # the data's credits whatever the basemap
        assert html.escape(line) in page


def test_a_synthetic_region_never_gets_a_basemap(tmp_path: Path) -> None:
    page = render(tmp_path, synthetic=True, basemap=AUTONAVI)
    assert "autonavi" not in page


def test_overlays_are_shifted_to_gcj02_over_autonavi_tiles(tmp_path: Path) -> None:
    # The same layout moved to Yunnan, where AutoNavi's tiles are offset.
    china = "EPSG:32648"  # UTM 48N
    tables = make_tables()
    moved = LayoutTables(
        *(
            f.set_geometry(f.geometry.translate(300_000 - X0, 2_800_000 - Y0)).set_crs(china, allow_override=True)
            for f in dataclasses.astuple(tables)
        )
    )
    kwargs = {"title": "t", "summary": make_summary(), "attributions": [], "synthetic": False}
    render_map(moved, tmp_path / "osm.html", basemap=OPENSTREETMAP, **kwargs)
    render_map(moved, tmp_path / "gcj.html", basemap=AUTONAVI, **kwargs)
    wgs, gcj = (facility_table(tmp_path / name) for name in ("osm.html", "gcj.html"))
    truth = moved.facilities.to_crs("EPSG:4326").geometry
    shifted_lon, shifted_lat = wgs84_to_gcj02(truth.x.to_numpy(), truth.y.to_numpy())
    assert np.abs(wgs["lon"] - truth.x.to_numpy()).max() < 1e-5 and np.abs(wgs["lat"] - truth.y.to_numpy()).max() < 1e-5
    assert np.abs(gcj["lon"] - shifted_lon).max() < 1e-5 and np.abs(gcj["lat"] - shifted_lat).max() < 1e-5
    # a few hundred metres off the true position
    assert np.hypot(gcj["lon"] - truth.x.to_numpy(), gcj["lat"] - truth.y.to_numpy()).min() > 1e-3


def test_relief_layer_and_legend(tmp_path: Path) -> None:
    relief = ReliefImage(png=b"\x89PNG fake", south=-11.9, west=43.2, north=-11.3, east=43.6, min_m=2.0, max_m=2361.0)
    page = render(tmp_path, relief=relief)
    assert '"Relief: hillshade of the elevation model"' in page
    assert 'data-legend="relief"' in page and "2 m to 2,361 m" in page
    assert '"pane": "relief"' in page


def test_a_closed_clinic_is_linked_to_the_clinic_its_people_use(tmp_path: Path) -> None:
    render(tmp_path)
    table = facility_table(tmp_path / "map.html")
    sites = [table["strings"][k] for k in table["site"]]
    assert table["merges"] == [[sites.index("C2"), sites.index("C1")]]


def test_headline_shows_today_then_proposed_when_today_is_given(tmp_path: Path) -> None:
    summary = make_summary()
    summary["today"] = {
        "population_covered": {"village_clinic": 1000.0, "township_centre": 1100.0},
        "travel_minutes": {
            "village_clinic": {"mean": 12.4, "p95": 40.0, "max": 41.0},
            "township_centre": {"mean": 36.0, "p95": 58.0, "max": 59.0},
        },
        "facilities": {
            "village_clinic": {"keep": 3, "close": 0, "build": 0},
            "township_centre": {"keep": 2, "upgrade": 0},
        },
        "cost": 3.0,
    }
    panel = re.search(r'<details id="fl-headline".*?</details>', render(tmp_path, summary=summary), re.S)[0]
    assert "today → proposed" in panel
    # 1,000 of 1,330 people today (75.2 %), 1,250 proposed (94.0 %); 1,100 → 1,250 within the centre standard.
    assert '<span class="fl-today">1,000 (75.2%)</span> → 1,250 (94.0%)' in panel
    assert '<span class="fl-today">1,100 (82.7%)</span> → 1,250 (94.0%)' in panel
    assert "mean today 12.4 min" in panel
    # Open clinics: 3 today; proposed 1 kept + 1 built. Central centres: none today, 1 upgraded.
    assert '<span class="fl-today">3</span> → 2' in panel and '<span class="fl-today">0</span> → 1' in panel
    assert '<span class="fl-today">3</span> → 4' in panel  # cost
    plain = re.search(r'<details id="fl-headline".*?</details>', render(tmp_path), re.S)[0]
    assert "today →" not in plain and "fl-today" not in plain and "mean today" not in plain


def test_settlements_and_township_centres_are_labelled(tmp_path: Path) -> None:
    tables = make_tables()
    centre = tables.facilities[tables.facilities["tier"] == "township_centre"].iloc[0]
    settlements = gpd.GeoDataFrame(
        {"name": [HOSTILE, "Hahaya"], "place": ["village", "town"]},
        geometry=[centre.geometry, tables.demand.geometry.iloc[0]],
        crs=tables.facilities.crs,
    )
    page = render(tmp_path, settlements=settlements)
    labels = json.loads(re.search(r"\}\)\(\w+, \w+, (\[\[.*?\]\]),", page)[1])
    kinds = {name: kind for _, _, name, kind in labels}
    assert kinds[html.escape(HOSTILE)] == "settlement" and kinds["Hahaya"] == "settlement"
    assert kinds[html.escape(centre["name"])] == "centre"
    assert HOSTILE not in json.dumps(labels)


def test_grid_catchments_are_the_union_of_their_cells_squares() -> None:
    """On the population grid the catchments are joined by coverage union: the same areas as a general
    union of each clinic's squares (recomputed here), and the people of their cells."""
    rng = np.random.default_rng(3)
    cols, rows = np.meshgrid(np.arange(12), np.arange(9))
    cols, rows = cols.ravel(), rows.ravel()
    clinic = rng.choice(["A", "B", "C", ""], len(cols), p=[0.3, 0.3, 0.3, 0.1])
    demand = gpd.GeoDataFrame(
        {
            "cell_id": [f"c{c}_{r}" for c, r in zip(cols, rows, strict=True)],
            "population": rng.uniform(0, 100, len(cols)),
            "clinic_site_id": clinic,
            "clinic_name": clinic,
            "uncoverable": (clinic == "") & (rng.random(len(cols)) < 0.5),
        },
        geometry=gpd.points_from_xy(X0 + 250 + 500 * cols, Y0 + 250 + 500 * rows),
        crs=CRS,
    )
    region = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 6000, Y0 + 4500)], crs=CRS)
    areas = catchment_frame(LayoutTables(demand, demand.iloc[:0], demand.iloc[:0], demand.iloc[:0], region, region))
    for site in ("A", "B", "C"):
        mine = demand[demand["clinic_site_id"] == site]
        x, y = mine.geometry.x.to_numpy(), mine.geometry.y.to_numpy()
        truth = shapely.union_all(shapely.box(x - 250, y - 250, x + 250, y + 250))
        row = areas[(areas["kind"] == "catchment") & (areas["site_id"] == site)].iloc[0]
        assert row.geometry.symmetric_difference(truth).area < 1e-3
        assert row["population"] == pytest.approx(mine["population"].sum())
    assert set(areas["kind"]) <= {"catchment", "beyond", "uncoverable"}
    assert areas["population"].sum() == pytest.approx(demand["population"].sum())
