"""The generated map in headless Chromium with the network off: what a planner sees and clicks.

Expected layer and legend names come from the maps module's constants, so the test follows the map as it
grows; what the map must not do (reach the network, run input text as markup) is fixed here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from pyproj import Transformer

from facility_layout.maps import (
    BEYOND_LAYER,
    CATCHMENT_LAYER,
    CELL_LAYERS,
    CELLS_OFF_LAYER,
    DETAIL_ZOOM,
    FACILITY_SYMBOLS,
    LABEL_MIN_ZOOM,
    MERGE_LAYER,
    OVERVIEW_LAYER,
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
    offline_page,
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
    for name in [*CELL_LAYERS.values(), CELLS_OFF_LAYER, RELIEF_LAYER, CATCHMENT_LAYER, BEYOND_LAYER, MERGE_LAYER]:
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

    # Cells are drawn on a canvas: with no theme chosen, their leaves leave the map and the canvas loses their
    # pixels (the within-standard greens: the areas beyond the standard share the other classes' colours).
    cells = CELL_LAYERS["minutes"]
    colours = list(WITHIN_STANDARD_COLOURS)
    shown = pixels_in_colours(demo_page, colours)
    toggle_overlay(page, CELLS_OFF_LAYER)
    assert not overlay_state(page, cells)["on_map"]
    assert shown > 10_000 and pixels_in_colours(demo_page, colours) < 0.1 * shown  # roads share greys
    demo_page.assert_clean()


def test_popups_of_a_facility_and_a_cell(demo_page: BrowserPage, demo_run: DemoRun) -> None:
    page = demo_page.page
    summary = json.loads((demo_run.out / "summary.json").read_text())
    crs, standard = summary["crs"], summary["standards"]["village_clinic_max_minutes"]
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
    assert f"{cell['clinic_name']} · {round(float(cell['clinic_minutes']), 1):g} min" in text
    assert f"{float(cell['elevation_m']):,.0f} m" in text
    assert f"Demand cell {cell['cell_id']}" in text  # a grid cell's id, put together in the page
    page.locator(".leaflet-popup-close-button").click()
    # A cell no possible site can reach within the standard says so.
    clicked = click_feature(page, CELL_LAYERS["minutes"], where="p.classes[0] === 4", order="p.radius || 0")
    cell = nearest_row(demand, crs, clicked["lat"], clicked["lng"])
    assert cell["uncoverable"] in (True, "True")
    assert f"none: no possible site within {standard:g} min" in popup_text(page)
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
    # Hovering shows the tooltip, once the popup (which closes tooltips) is closed and the mouse comes back.
    page.locator(".leaflet-popup-close-button").click()
    page.mouse.move(clicked["x"] + 200, clicked["y"] + 200)
    page.mouse.move(clicked["x"] + 1, clicked["y"] + 1)
    # (a tooltip of a cell crossed on the way may linger: the clinic's is the one with its name)
    tooltip = page.locator(".leaflet-tooltip").filter(has_text="__pwned")
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


# --- on a phone, a laptop and paper ---------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
A4_LANDSCAPE = {"width": 1123, "height": 794}  # 297 × 210 mm at 96 px per inch

# Boxes (left, top, right, bottom) of the map, the panels and the controls, as laid out.
LAYOUT = """() => {
    const box = (selector) => {
        const e = document.querySelector(selector);
        if (!e) { return null; }
        const r = e.getBoundingClientRect();
        const shown = r.width && r.height && e.checkVisibility();
        return shown ? [r.left, r.top, r.right, r.bottom] : null;
    };
    const map = window.__flBrowserTest.maps[0];
    return {
        map: box(".folium-map"),
        panels: [...document.querySelectorAll(".fl-panel")].map((e) => {
            const r = e.getBoundingClientRect();
            return r.width && r.height ? [r.left, r.top, r.right, r.bottom] : null;
        }).filter((b) => b),
        scale: box(".leaflet-control-scale"),
        attribution: box(".leaflet-control-attribution"),
        layers: box(".leaflet-control-layers"),
        open: Object.fromEntries([...document.querySelectorAll("details.fl-collapsible")].map((d) => [d.id, d.open])),
        zoom: map.getZoom(),
    };
}"""

# The region's bounding box (left, top, right, bottom) in page pixels, from the boundary layer's bounds.
REGION_BOX = """() => {
    const map = window.__flBrowserTest.maps[0];
    const entry = window.__flBrowserTest.controls[0]._layers.find((e) => e.name === "Boundary");
    const b = entry.layer.getBounds();
    const nw = map.latLngToContainerPoint(b.getNorthWest()), se = map.latLngToContainerPoint(b.getSouthEast());
    const c = map.getContainer().getBoundingClientRect();
    return [c.left + nw.x, c.top + nw.y, c.left + se.x, c.top + se.y];
}"""


def area(box: list[float]) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def overlap(a: list[float], b: list[float]) -> float:
    return area([max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])])


def covered_share(boxes: list[list[float]], map_box: list[float]) -> float:
    """Share of the map under the boxes, counted on a 4 px raster (boxes may overlap each other)."""
    x0, y0, x1, y1 = (int(v) for v in map_box)
    xs, ys = np.arange(x0, x1, 4) + 2, np.arange(y0, y1, 4) + 2
    under = np.zeros((len(ys), len(xs)), dtype=bool)
    for left, top, right, bottom in boxes:
        under |= ((ys >= top) & (ys < bottom))[:, None] & ((xs >= left) & (xs < right))[None, :]
    return float(under.mean())


@pytest.fixture
def map_html(demo_run: DemoRun) -> Path:
    return demo_run.out / "map.html"


def test_on_a_phone_the_panels_start_closed_and_open_on_demand(browser, map_html: Path) -> None:
    with offline_page(browser, viewport=PHONE) as watched:
        page = watched.page
        open_html(page, map_html)
        layout = page.evaluate(LAYOUT)
        assert layout["open"] == {"fl-headline": False, "fl-layers": False, "fl-legend": False}
        assert covered_share(layout["panels"], layout["map"]) < 0.12
        assert layout["layers"] is None  # the layer list is folded away with its panel
        # The region is fitted below the closed panels' bar and fills most of the phone's width.
        region = page.evaluate(REGION_BOX)
        assert all(overlap(region, panel) < 0.02 * area(region) for panel in layout["panels"])
        assert region[2] - region[0] > 0.6 * PHONE["width"]
        assert overlap(layout["scale"], layout["attribution"]) == 0

        page.locator("#fl-layers > summary").click()
        assert page.get_by_label(CELL_LAYERS["minutes"], exact=True).is_visible()
        page.get_by_label(CELL_LAYERS["density"], exact=True).click()
        assert overlay_state(page, CELL_LAYERS["density"])["on_map"]
        # One panel at a time on a phone: the open side panel covers the headline's title, so it is closed first.
        page.locator("#fl-layers > summary").click()
        page.locator("#fl-headline > summary").click()
        page.locator("#fl-headline table").wait_for(state="visible", timeout=5_000)
        page.locator("#fl-legend > summary").click()
        # The headline folds on the legend's "toggle" event, which the browser fires after the click returns.
        page.wait_for_function("() => !document.getElementById('fl-headline').open", timeout=5_000)
        assert page.evaluate(LAYOUT)["open"] == {"fl-headline": False, "fl-layers": False, "fl-legend": True}
        watched.assert_clean()


def test_on_a_laptop_the_panels_leave_the_region_free(browser, map_html: Path) -> None:
    with offline_page(browser, viewport=LAPTOP) as watched:
        page = watched.page
        open_html(page, map_html)
        layout = page.evaluate(LAYOUT)
        assert layout["open"] == {"fl-headline": True, "fl-layers": True, "fl-legend": True}
        assert covered_share(layout["panels"], layout["map"]) < 0.30  # 45 % before panels were sized
        region = page.evaluate(REGION_BOX)
        for panel in layout["panels"]:
            assert overlap(region, panel) < 0.02 * area(region), (region, panel)
        assert layout["layers"] is not None and overlap(layout["scale"], layout["attribution"]) == 0
        # Leaflet is credited, without the flag it shows by default.
        prefix = page.locator(".leaflet-control-attribution")
        assert "Leaflet" in prefix.inner_text() and prefix.locator("svg").count() == 0
        watched.assert_clean()


def test_cell_themes_are_one_choice(demo_page: BrowserPage) -> None:
    page = demo_page.page
    choices = [*CELL_LAYERS.values(), CELLS_OFF_LAYER]
    for chosen in choices:
        page.get_by_label(chosen, exact=True).click()
        for name in choices:
            assert page.get_by_label(name, exact=True).is_checked() == (name == chosen), (chosen, name)
        on_map = [name for name in CELL_LAYERS.values() if overlay_state(page, name)["on_map"]]
        assert on_map == ([] if chosen == CELLS_OFF_LAYER else [chosen])
    # Back to the clinic minutes: drawn under the roads again (the roads' layer is later in the canvas order).
    page.get_by_label(CELL_LAYERS["minutes"], exact=True).click()
    order = page.evaluate(
        """(names) => {
            const entries = window.__flBrowserTest.controls[0]._layers;
            const first = (name) => {
                const layer = entries.find((e) => e.name === name).layer;
                const leaf = layer.cellsPath ? layer.cellsPath() : layer.getLayers()[0];  // the cells: one path
                let k = 0;
                for (let o = leaf._renderer._drawFirst; o; o = o.next, k++) { if (o.layer === leaf) { return k; } }
                return -1;
            };
            return names.map(first);
        }""",
        ["Boundary", CELL_LAYERS["minutes"], "Roads"],
    )
    assert -1 not in order and order == sorted(order), order
    demo_page.assert_clean()


def test_a_popup_closes_the_tooltip_under_it(demo_page: BrowserPage) -> None:
    page = demo_page.page
    target = click_feature(page, CELL_LAYERS["minutes"], where="p.classes[0] < 3", order="p.radius || 0")
    popup_text(page)
    page.mouse.move(target["x"] + 1, target["y"])  # still over the cell: its tooltip must not come back under
    # A closed tooltip fades out for 200 ms before Leaflet removes it; one left open under the popup stays.
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tooltip').length === 0", timeout=3_000)
    # Hover shows the tooltip again once the popup is closed.
    page.locator(".leaflet-popup-close-button").click()
    page.mouse.move(target["x"] + 200, target["y"] + 200)
    page.mouse.move(target["x"], target["y"])
    page.locator(".leaflet-tooltip").first.wait_for(state="visible", timeout=5_000)
    demo_page.assert_clean()


def test_place_labels_appear_from_their_zoom_level(demo_page: BrowserPage, demo_run: DemoRun) -> None:
    page = demo_page.page
    facilities = pd.read_csv(demo_run.out / "facilities.csv")
    centres = set(facilities.loc[facilities["tier"] == "township_centre", "name"])
    labels = "(kind) => [...document.querySelectorAll(`.fl-label-${kind}`)].map((e) => e.textContent)"
    map_js = "window.__flBrowserTest.maps[0]"
    page.evaluate(f"(z) => {{ {map_js}.setZoom(z, {{animate: false}}); }}", LABEL_MIN_ZOOM["centre"] - 1)
    page.evaluate(NEXT_FRAMES)
    assert page.evaluate(labels, "centre") == [] and page.evaluate(labels, "settlement") == []
    page.evaluate(f"(z) => {{ {map_js}.setZoom(z, {{animate: false}}); }}", LABEL_MIN_ZOOM["centre"])
    page.evaluate(NEXT_FRAMES)
    assert set(page.evaluate(labels, "centre")) == centres  # the demo's region is in view whole at this zoom
    assert page.evaluate(labels, "settlement") == []
    page.evaluate(f"(z) => {{ {map_js}.setZoom(z, {{animate: false}}); }}", LABEL_MIN_ZOOM["settlement"])
    page.evaluate(NEXT_FRAMES)
    assert len(page.evaluate(labels, "settlement")) > 0
    demo_page.assert_clean()


def test_printed_the_map_fills_the_page(browser, map_html: Path, tmp_path: Path) -> None:
    with offline_page(browser, viewport=A4_LANDSCAPE) as watched:
        page = watched.page
        open_html(page, map_html)
        page.emulate_media(media="print")
        page.evaluate(NEXT_FRAMES)
        layout = page.evaluate(LAYOUT)
        page_box = [0, 0, A4_LANDSCAPE["width"], A4_LANDSCAPE["height"]]
        assert area(layout["map"]) > 0.55 * area(page_box), layout["map"]
        for panel in layout["panels"]:
            assert overlap(panel, layout["map"]) == 0, (panel, layout["map"])
        assert all(layout["open"].values())  # the figures and the legend print, even if folded on screen
        assert layout["layers"] is None  # no layer list on paper
        region = page.evaluate(REGION_BOX)
        assert overlap(region, layout["map"]) > 0.98 * area(region)  # the whole region is on the page
        screenshot_not_blank(page, tmp_path / "print.png")
        watched.assert_clean()


def set_zoom(page, zoom: float) -> None:
    page.evaluate("(z) => { window.__flBrowserTest.maps[0].setZoom(z, {animate: false}); }", zoom)
    page.evaluate(NEXT_FRAMES)


# Whether the demand cells' canvas path and any road line are on the map.
DETAIL_ON_MAP = """() => {
    const map = window.__flBrowserTest.maps[0];
    let cells = false, roads = 0;
    map.eachLayer((layer) => {
        if (layer.setTheme) { cells = true; }
        if (layer instanceof L.Polyline && !(layer instanceof L.Polygon) && layer.options.interactive === false) {
            roads++;
        }
    });
    return {cells, roads};
}"""


def test_township_overview_below_the_detail_zoom(demo_page: BrowserPage, demo_run: DemoRun) -> None:
    """Zoomed out: one shaded polygon per township with the people and people within the standard in its
    popup (recomputed here from demand.csv and the townships file), no cells and no roads; from the detail
    zoom on, the cells and roads and no overview."""
    page = demo_page.page
    resolved = (demo_run.out / "scenario.resolved.yaml").read_text()
    townships = gpd.read_file(yaml.safe_load(resolved)["region"]["admin_areas"]["file"])
    summary = json.loads((demo_run.out / "summary.json").read_text())
    standard = summary["standards"]["village_clinic_max_minutes"]
    demand = pd.read_csv(demo_run.out / "demand.csv")
    cells = gpd.GeoDataFrame(demand, geometry=gpd.points_from_xy(demand["x"], demand["y"]), crs=summary["crs"])
    joined = cells.sjoin(townships.to_crs(summary["crs"]), predicate="within")
    joined = joined[~joined.index.duplicated()]
    overview = OVERVIEW_LAYER.format(zoom=DETAIL_ZOOM)

    set_zoom(page, DETAIL_ZOOM - 1)
    state = overlay_state(page, overview)
    assert state["on_map"] and state["leaves_on_map"] == 2 * len(townships)  # a polygon and a label each
    assert page.evaluate(DETAIL_ON_MAP) == {"cells": False, "roads": 0}
    popups = page.evaluate(
        """(name) => window.__flBrowserTest.controls[0]._layers.find((e) => e.name === name).layer.getLayers()
            .filter((l) => l.feature).map((l) => [l.feature.properties.name, l.getPopup()._content(l)])""",
        overview,
    )
    assert len(popups) == len(townships)
    for name, popup in popups:
        inside = joined[joined["name"] == name]
        within = inside.loc[inside["clinic_minutes"] <= standard, "population"].sum()
        assert f"<th>People</th><td>{inside['population'].sum():,.0f}</td>" in popup
        assert f"{within / inside['population'].sum():.1%}" in popup

    set_zoom(page, DETAIL_ZOOM)
    assert overlay_state(page, overview)["leaves_on_map"] == 0
    detail = page.evaluate(DETAIL_ON_MAP)
    assert detail["cells"] and detail["roads"] > 0
    demo_page.assert_clean()


def test_positions_decoded_in_the_page_are_the_facilities_csv(demo_page: BrowserPage, demo_run: DemoRun) -> None:
    """The page decodes the facilities' integer steps into the positions of facilities.csv, to the
    quantisation step (1e-5°, half of it either way)."""
    page = demo_page.page
    crs = json.loads((demo_run.out / "summary.json").read_text())["crs"]
    facilities = pd.read_csv(demo_run.out / "facilities.csv", keep_default_na=False)
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(facilities["x"], facilities["y"])
    decoded = page.evaluate(
        """() => {
            const table = window[Object.keys(window).find((k) => k.startsWith("facility_data_"))];
            return {lat: Array.from(table.lat), lng: Array.from(table.lng),
                    site: Array.from(table.data.site, (k) => table.data.strings[k])};
        }"""
    )
    assert decoded["site"] == facilities["site_id"].astype(str).tolist()
    # facilities.csv rounds x, y to the centimetre: a few 1e-7° on top of the half step
    assert np.abs(np.array(decoded["lng"]) - lon).max() <= 0.5e-5 + 1e-6
    assert np.abs(np.array(decoded["lat"]) - lat).max() <= 0.5e-5 + 1e-6
