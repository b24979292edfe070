"""The demo map's size budget: bytes per demand cell and per facility, so that a prefecture's map stays
within ~10 MB (90,000 cells, 3,000 facilities; benchmarks/map_load.py measures that one)."""

from __future__ import annotations

import json
import re

import pandas as pd

from conftest import DemoRun

# Budgets, with room over today's (about 37 B per cell and 330 B per facility at prefecture size):
# 90,000 cells × 45 B + 3,000 facilities × 450 B ≈ 5.4 MB, under 10 MB with the page's fixed parts.
BYTES_PER_CELL = 45
BYTES_PER_FACILITY = 450


def test_bytes_per_cell_and_per_facility_are_bounded(demo_run: DemoRun) -> None:
    page = (demo_run.out / "map.html").read_text("utf-8")
    cells = len(pd.read_csv(demo_run.out / "demand.csv"))
    facilities = len(pd.read_csv(demo_run.out / "facilities.csv"))
    # The cells' columns: one JSON string literal in the page's script.
    cell_json = json.loads(re.search(r'\}\)\(JSON\.parse\(("(?:[^"\\]|\\.)*")\), \{"centre_mode"', page)[1])
    facility_json = re.search(r'<script type="application/json" id="fl-facility-data">(.*?)</script>', page, re.S)[1]
    assert len(json.loads(cell_json)["people"]) == cells
    assert len(json.loads(facility_json)["name"]) == facilities
    per_cell, per_facility = len(cell_json.encode()) / cells, len(facility_json.encode()) / facilities
    assert per_cell <= BYTES_PER_CELL, f"{per_cell:.0f} B per cell"
    assert per_facility <= BYTES_PER_FACILITY, f"{per_facility:.0f} B per facility"
    # No feature carries its popup as HTML any more (that made a prefecture's page 16 MB).
    assert page.count("fl-chart") <= 2  # the style rule and the page's chart function
