"""The HTML map of a hand-built layout: what a planner reads off it, and that input text stays text."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from facility_layout.evaluate import LayoutTables
from facility_layout.maps import (
    BEYOND_STANDARD_COLOUR,
    UNCOVERABLE_COLOUR,
    WITHIN_STANDARD_COLOURS,
    render_map,
)

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
    "Assignments: demand cell → village clinic",
    "Referrals: village clinic → township centre",
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
        "solver": {
            "name": "cbc",
            "status": "optimal" if proven else "feasible",
            "proven_optimal": proven,
            "objective": 4.0,
            "gap": 0.0 if proven else 0.125,
        },
    }


def render(tmp_path: Path, *, synthetic: bool = True, summary: dict | None = None) -> str:
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


def test_cells_are_classed_by_minutes(tmp_path: Path) -> None:
    page = render(tmp_path)
    colours = [json.loads(style)["fillColor"] for style in re.findall(r'"style": (\{[^}]*\})', page)]
    # cells 0..4: 4 min, 15 min, 25 min, no clinic, uncoverable
    assert colours == [*WITHIN_STANDARD_COLOURS, BEYOND_STANDARD_COLOUR, UNCOVERABLE_COLOUR]
    assert "none: no possible site within 30 min" in page
    assert "none: no village clinic within 30 min" in page
    assert "Off the road network" in page


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
    assert "Mitsamiouli · 4 min on foot" in page  # a cell's clinic, walked
    assert "Moroni · 30 min walking, then by road" in page  # its township centre
    assert "Minutes for them on foot" in page  # a clinic's catchment
    assert "22 min by road" in page  # a referral
    assert "to clinics on foot · to centres walking, then by road · referrals by road" in page
    assert "rainy_season" in page and "12 road segments closed · 60 people cut off" in page
    assert "Cut off: the closures in this scenario cut its roads" in page


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


def test_coordinates_are_lon_lat(tmp_path: Path) -> None:
    page = render(tmp_path)
    pairs = np.array([(float(a), float(b)) for a, b in re.findall(r"\[(-?\d+\.\d+), (-?\d+\.\d+)\]", page)])
    lonlat = make_tables().facilities.to_crs("EPSG:4326").geometry
    assert ((lonlat.x > 43) & (lonlat.x < 44) & (lonlat.y > -12) & (lonlat.y < -11)).all()  # the Comoros
    for point in lonlat:
        assert np.abs(pairs - [point.x, point.y]).max(axis=1).min() < 2e-5  # [lon, lat], about a metre
