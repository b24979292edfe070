"""The generated map in headless Chromium with the network off: what a planner sees and clicks.

Expected layer and legend names come from the maps module's constants, so the test follows the map as it
grows; what the map must not do (reach the network, run input text as markup) is fixed here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from facility_layout.maps import (
    BEYOND_LAYER,
    CATCHMENT_LAYER,
    CELL_LAYERS,
    FACILITY_SYMBOLS,
    MERGE_LAYER,
    RELIEF_LAYER,
    ROAD_STYLES,
    WITHIN_STANDARD_COLOURS,
    FacilitySymbol,
    minutes_classes,
)
from facility_layout.pipeline import run
from facility_layout.scenario import load_scenario

from browser import (
    NEXT_FRAMES,
    PANES_DRAWN,
    BrowserPage,
    click_feature,
    open_html,
    overlay_names,
    overlay_state,
    popup_text,
    screenshot_not_blank,
    toggle_overlay,
)
from conftest import REPO, DemoRun, shared_region

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def facility_count(symbol: FacilitySymbol, facilities: pd.DataFrame) -> int:
    """How many facilities of the layout a (tier, decision) symbol stands for."""
    return int(((facilities["tier"] == symbol.tier) & (facilities["decision"] == symbol.decision)).sum())


def facility_layer(symbol: FacilitySymbol, facilities: pd.DataFrame) -> str:
    """The layer control's name of a (tier, decision) layer: its label and how many facilities it holds."""
    return f"{symbol.label} ({facility_count(symbol, facilities)})"


def nearest_row(table: pd.DataFrame, crs: str, lat: float, lng: float) -> pd.Series:
    """The row of an output table (x, y in the run's CRS) at a point the map shows in lon/lat."""
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lng, lat)
    distance = np.hypot(table["x"] - x, table["y"] - y)
    assert distance.min() < 5, f"no row within 5 m of ({lat}, {lng})"
    return table.loc[distance.idxmin()]


# Canvas pixels within `tolerance` (per channel) of one of `colours` (#rrggbb): cells are drawn translucent.
PIXELS_NEAR = """({colours, tolerance}) => {
    const targets = colours.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
    let count = 0;
    for (const canvas of document.querySelectorAll(".leaflet-overlay-pane canvas")) {
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < data.length; i += 4) {
            if (targets.some((t) => t.every((v, k) => Math.abs(data[i + k] - v) <= tolerance))) { count++; }
        }
    }
    return count;
}"""


def pixels_in_colours(page: BrowserPage, colours: list[str], tolerance: int = 40) -> int:
    """How many canvas pixels show one of ``colours``, once the canvas has redrawn."""
    page.page.evaluate(NEXT_FRAMES)
    return page.page.evaluate(PIXELS_NEAR, {"colours": colours, "tolerance": tolerance})


@pytest.fixture
def demo_page(browser_page: BrowserPage, demo_run: DemoRun) -> BrowserPage:
    """The demo map, opened and drawn."""
    open_html(browser_page.page, demo_run.out / "map.html")
    return browser_page


def test_demo_map_is_offline_error_free_and_not_blank(demo_page: BrowserPage, tmp_path: Path) -> None:
    demo_page.assert_clean()  # a synthetic region has no basemap: not one request leaves the file
    assert demo_page.requests and all(url.startswith("file:") for url in demo_page.requests)
    screenshot_not_blank(demo_page.page, tmp_path / "demo_map.png")
    panes = demo_page.page.evaluate(PANES_DRAWN)
    assert panes["painted"] > 10_000 and panes["markers"] > 0  # cells and roads on canvas, facility symbols


def test_layers_and_legend_entries(demo_page: BrowserPage, demo_run: DemoRun) -> None:
    facilities = pd.read_csv(demo_run.out / "facilities.csv")
    standard = json.loads((demo_run.out / "summary.json").read_text())["standards"]["village_clinic_max_minutes"]
    page = demo_page.page
    names = overlay_names(page)
    for symbol in FACILITY_SYMBOLS:
        assert facility_layer(symbol, facilities) in names
    for name in [*CELL_LAYERS.values(), RELIEF_LAYER, CATCHMENT_LAYER, BEYOND_LAYER, MERGE_LAYER]:
        assert name in names
    # The relief is an image the browser decoded and laid under the layout.
    relief = page.locator(".leaflet-pane.leaflet-relief-pane img.leaflet-image-layer")
    assert relief.count() == 1 and relief.evaluate("(img) => img.complete && img.naturalWidth > 100")
    # The minutes to the clinic are shown at start, in the classes' colours.
    fills = {c.lower() for c in overlay_state(page, CELL_LAYERS["minutes"])["fill_colours"]}
    assert fills and fills <= {c.colour.lower() for c in minutes_classes(standard)}
    # What the control shows ticked is what is on the map, layer by layer.
    for name in names:
        assert page.get_by_label(name, exact=True).is_checked() == overlay_state(page, name)["on_map"], name

    legend = {
        key: " ".join(text.split())
        for key, text in page.eval_on_selector_all(
            "[data-legend]", "rows => rows.map((r) => [r.dataset.legend, r.innerText])"
        )
    }
    for symbol in FACILITY_SYMBOLS:
        assert symbol.label in legend[f"facility:{symbol.tier}:{symbol.decision}"]
    for minutes in minutes_classes(standard):
        assert minutes.label in legend[f"minutes:{minutes.key}"]
    for key, road in ROAD_STYLES.items():
        assert road.label in legend[f"road:{key}"]
    assert "Elevation model" in legend["relief"] and " m to " in legend["relief"]
    assert page.locator("[data-legend]").first.is_visible()


def test_toggling_a_layer_removes_it_from_the_map(demo_page: BrowserPage, demo_run: DemoRun) -> None:
    page = demo_page.page
    facilities = pd.read_csv(demo_run.out / "facilities.csv")
    kept = next(s for s in FACILITY_SYMBOLS if s.decision == "keep" and s.tier == "village_clinic")
    name = facility_layer(kept, facilities)
    before = overlay_state(page, name)
    markers = page.locator(".leaflet-marker-pane > *").count()
    assert before["on_map"] and before["leaves"] > 0 and before["elements_in_page"] == before["leaves"]

    toggle_overlay(page, name)
    off = overlay_state(page, name)
    assert not off["on_map"] and off["leaves_on_map"] == 0 and off["elements_in_page"] == 0
    assert page.locator(".leaflet-marker-pane > *").count() == markers - before["leaves"]
    toggle_overlay(page, name)
    assert overlay_state(page, name)["elements_in_page"] == before["leaves"]

    # Cells are drawn on a canvas: switched off, their leaves leave the map and the canvas loses their pixels
    # (the within-standard greens: the areas beyond the standard share the other classes' colours).
    cells = CELL_LAYERS["minutes"]
    colours = list(WITHIN_STANDARD_COLOURS)
    shown = pixels_in_colours(demo_page, colours)
    toggle_overlay(page, cells)
    assert overlay_state(page, cells)["leaves_on_map"] == 0
    assert shown > 10_000 and pixels_in_colours(demo_page, colours) < 0.1 * shown  # roads share greys
    demo_page.assert_clean()


def test_popups_of_a_facility_and_a_cell(demo_page: BrowserPage, demo_run: DemoRun) -> None:
    page = demo_page.page
    crs = json.loads((demo_run.out / "summary.json").read_text())["crs"]
    facilities = pd.read_csv(demo_run.out / "facilities.csv", keep_default_na=False)
    # A closed clinic if the layout closes one: its popup must say where its people go.
    drawn = [s for s in FACILITY_SYMBOLS if facility_count(s, facilities)]
    symbol = next((s for s in drawn if s.decision == "close"), drawn[0])
    clicked = click_feature(page, facility_layer(symbol, facilities))
    facility = nearest_row(facilities, crs, clicked["lat"], clicked["lng"])
    text = popup_text(page)
    for expected in (facility["name"], facility["reason"], symbol.label):
        assert " ".join(expected.split()) in text
    page.locator(".leaflet-popup-close-button").click()
    page.locator(".leaflet-popup").wait_for(state="detached", timeout=5_000)

    demand = pd.read_csv(demo_run.out / "demand.csv", keep_default_na=False)
    # A cell within the clinic standard (class 0–2 of the minutes to its clinic), the most populous first.
    clicked = click_feature(page, CELL_LAYERS["minutes"], where="p.classes[0] < 3", order="p.radius || 0")
    cell = nearest_row(demand, crs, clicked["lat"], clicked["lng"])
    text = popup_text(page)
    assert f"{cell['population']:,.0f}" in text and cell["clinic_name"] and cell["clinic_name"] in text
    demo_page.assert_clean()


def test_input_text_stays_text_in_the_browser(browser_page: BrowserPage, demo_run: DemoRun, tmp_path: Path) -> None:
    """A clinic named with markup: its popup and tooltip show the markup as text, and none of it runs."""
    data = tmp_path / "data"
    shutil.copytree(demo_run.data_root, data)
    path = data / "demo" / "facilities.geojson"
    collection = json.loads(path.read_text())
    clinics = pd.read_csv(demo_run.out / "facilities.csv")
    # The busiest kept clinic: its name also reaches many cells' popups and the referral tooltips.
    served = clinics[(clinics["decision"] == "keep") & (clinics["tier"] == "village_clinic")]
    hostile_id = served.sort_values("population_served").iloc[-1]["site_id"]
    for feature in collection["features"]:
        if feature["properties"]["facility_id"] == hostile_id:
            feature["properties"]["name"] = HOSTILE
    path.write_text(json.dumps(collection))
    out = run(load_scenario(REPO / "scenarios" / "demo.yaml", data_root=data), out_dir=tmp_path / "out").out_dir

    page = browser_page.page
    open_html(page, out / "map.html")
    facilities = pd.read_csv(out / "facilities.csv")
    kept = next(s for s in FACILITY_SYMBOLS if s.decision == "keep" and s.tier == "village_clinic")
    # Found by position, not by name, so that a name that breaks the page still gets clicked.
    hostile = facilities.set_index("site_id").loc[hostile_id]
    crs = json.loads((out / "summary.json").read_text())["crs"]
    lng, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(hostile["x"], hostile["y"])
    clicked = click_feature(
        page,
        facility_layer(kept, facilities),
        where="Math.abs(ll.lat - arg[0]) < 2e-5 && Math.abs(ll.lng - arg[1]) < 2e-5",
        arg=[lat, lng],
    )
    popup = popup_text(page)
    page.mouse.move(clicked["x"] + 1, clicked["y"] + 1)  # hovering shows the tooltip
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for(state="visible", timeout=5_000)

    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    assert page.locator("img[src=x]").count() == 0
    assert page.locator(".leaflet-popup script, .leaflet-tooltip script").count() == 0
    assert not [url for url in browser_page.requests if url.endswith("/x")]
    assert HOSTILE in popup and HOSTILE in tooltip.inner_text()
    browser_page.assert_clean()


@pytest.mark.real_data
def test_ngazidja_map_in_the_browser(browser_page: BrowserPage, tmp_path: Path) -> None:
    """The real island: drawn offline, where only the optional basemap's tiles are asked for (and refused)."""
    data_root = shared_region("ngazidja_comoros").parent
    scenario = load_scenario(REPO / "scenarios" / "ngazidja.yaml", data_root=data_root)
    out = run(scenario, out_dir=tmp_path / "ngazidja").out_dir
    open_html(browser_page.page, out / "map.html")
    browser_page.assert_clean(allow=lambda request: request.resource_type == "image")
    facilities = pd.read_csv(out / "facilities.csv")
    names = overlay_names(browser_page.page)
    for symbol in FACILITY_SYMBOLS:
        assert facility_layer(symbol, facilities) in names
    screenshot_not_blank(browser_page.page, tmp_path / "ngazidja_map.png")
