"""Headless Chromium for the map and report tests (Playwright, driving the system's Chromium).

Every page opens in a fresh browser context with the network off: ``offline=True``, and a route that lets
``file:``/``data:``/``about:``/``blob:`` through and aborts and records everything else, so a test can say
both "nothing failed" and "nothing was even attempted". Console errors and uncaught exceptions are
collected too. Leaflet's maps and layer controls are recorded as the page creates them (an init script
hooks ``window.L`` when Leaflet defines it), so the helpers find them without knowing folium's variable
names.

Imported by ``tests/conftest.py`` (fixtures) and ``scripts/screenshots.py``; Playwright is imported only
when a browser is started, so the rest of the suite runs without it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image
    from playwright.sync_api import Browser, ConsoleMessage, Page, Route

CHROMIUM_ENV = "FACILITY_LAYOUT_CHROMIUM"
# Headless, and nothing that phones home: without the background-networking flags Chromium tries to reach
# its vendor's services at start. --no-sandbox because CI runs as root, where the sandbox refuses to start.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
LOCAL_SCHEMES = frozenset({"file", "data", "about", "blob"})
VIEWPORT = {"width": 1400, "height": 900}
LOAD_TIMEOUT_MS = 30_000

# Runs before any page script. Leaflet's bundle ends with `window.L = …`; the setter then hooks every map
# and layer control created afterwards into window.__flBrowserTest.
RECORD_LEAFLET = """
(() => {
    const seen = {maps: [], controls: []};
    let leaflet;
    Object.defineProperty(window, "__flBrowserTest", {value: seen});
    Object.defineProperty(window, "L", {
        configurable: true,
        get: () => leaflet,
        set: (value) => {
            leaflet = value;
            if (value && value.Map && !value.Map.__flRecorded) {
                value.Map.__flRecorded = true;
                value.Map.addInitHook(function () { seen.maps.push(this); });
                value.Control.Layers.addInitHook(function () { seen.controls.push(this); });
            }
        },
    });
})();
"""

# True once every recorded map has a view and its vector panes have painted: Leaflet's canvas renderer
# draws on the next animation frame, so wait for two.
LEAFLET_DRAWN = """
async (minMaps) => {
    const seen = window.__flBrowserTest;
    if (!seen || seen.maps.length < minMaps || document.readyState !== "complete") { return false; }
    for (const map of seen.maps) {
        try { map.getCenter(); } catch (e) { return false; }
    }
    await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
    return true;
}
"""

# Resolves after the next frame has painted: Leaflet redraws canvases and moves markers on animation frames.
NEXT_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

# Pixels the overlay panes (vector canvas/SVG) and the marker pane hold, over every map on the page.
PANES_DRAWN = """
() => {
    let painted = 0;
    for (const canvas of document.querySelectorAll(".leaflet-overlay-pane canvas")) {
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { painted++; } }
    }
    const paths = document.querySelectorAll(".leaflet-overlay-pane svg path, .leaflet-overlay-pane img").length;
    const markers = document.querySelectorAll(".leaflet-marker-pane > *").length;
    return {painted, paths, markers};
}
"""


def find_chromium() -> Path | None:
    """The Chromium to drive: ``$FACILITY_LAYOUT_CHROMIUM``, else ``chromium`` on PATH; None if neither exists."""
    override = os.environ.get(CHROMIUM_ENV)
    if override:
        return Path(override) if Path(override).is_file() else None
    found = shutil.which("chromium")
    return Path(found) if found else None


def in_ci() -> bool:
    """Whether this runs under CI (``CI`` set, as CI services and this project's CI do)."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


@dataclass(frozen=True)
class BlockedRequest:
    """A request the page attempted beyond the local schemes; it was aborted."""

    url: str
    resource_type: str


@dataclass
class BrowserPage:
    """A page in its own offline context, with what it tried to fetch and what went wrong in it."""

    page: Page
    requests: list[str] = field(default_factory=list)  # every URL asked for, local ones too
    blocked: list[BlockedRequest] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def assert_clean(self, allow: Callable[[BlockedRequest], bool] = lambda _: False) -> None:
        """No uncaught exception, no console error and no network request, except requests ``allow`` accepts
        (and the console's "Failed to load resource" lines their aborting causes)."""
        unexpected = [r for r in self.blocked if not allow(r)]
        allowed = {r.url for r in self.blocked if allow(r)}
        errors = [e for e in self.console_errors if not (allowed and e.startswith("Failed to load resource"))]
        assert not unexpected, f"the page tried to reach the network: {unexpected}"
        assert not self.page_errors, f"uncaught JavaScript errors: {self.page_errors}"
        assert not errors, f"console errors: {errors}"


def launch(playwright: Any, executable: Path) -> Browser:
    """Start the given Chromium headless, with :data:`CHROMIUM_ARGS`."""
    return playwright.chromium.launch(executable_path=str(executable), headless=True, args=list(CHROMIUM_ARGS))


@contextmanager
def offline_page(browser: Browser, viewport: dict[str, int] = VIEWPORT) -> Iterator[BrowserPage]:
    """A new context with the network off and one page in it, closed on exit."""
    context = browser.new_context(offline=True, viewport=viewport)
    try:
        context.add_init_script(RECORD_LEAFLET)
        watched = BrowserPage(context.new_page())

        def route(route: Route) -> None:
            request = route.request
            if request.url.split(":", 1)[0].lower() in LOCAL_SCHEMES:
                route.continue_()
            else:
                watched.blocked.append(BlockedRequest(request.url, request.resource_type))
                route.abort("internetdisconnected")

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                watched.console_errors.append(message.text)

        def websocket(socket: Any) -> None:  # WebSockets bypass routes; record them all the same
            watched.blocked.append(BlockedRequest(socket.url, "websocket"))

        context.route("**/*", route)
        watched.page.on("request", lambda request: watched.requests.append(request.url))
        watched.page.on("console", console)
        watched.page.on("pageerror", lambda error: watched.page_errors.append(str(error)))
        watched.page.on("websocket", websocket)
        yield watched
    finally:
        context.close()


def open_html(page: Page, path: Path, *, min_maps: int = 1) -> None:
    """Open a local HTML file and wait until its Leaflet maps (at least ``min_maps``; 0 for a page without
    maps) have a view and have painted."""
    page.goto(path.resolve().as_uri(), wait_until="load", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(LEAFLET_DRAWN, arg=min_maps, timeout=LOAD_TIMEOUT_MS)


def image_stats(image: Image.Image) -> tuple[int, float]:
    """Distinct colours (up to 4096) and the standard deviation of the grey levels of an image."""
    from PIL import ImageStat

    rgb = image.convert("RGB")
    colours = rgb.getcolors(maxcolors=4096)
    return (4097 if colours is None else len(colours)), ImageStat.Stat(rgb.convert("L")).stddev[0]


def screenshot_not_blank(
    page: Page, path: Path, *, min_colours: int = 32, min_stddev: float = 8.0, full_page: bool = False
) -> Path:
    """Save a PNG screenshot to ``path`` and check that it shows something: enough distinct colours and
    contrast, and, where the page has Leaflet maps, painted vectors or markers in them."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    with Image.open(path) as image:
        colours, stddev = image_stats(image)
    assert colours >= min_colours and stddev >= min_stddev, (
        f"screenshot {path} looks blank: {colours} colours, grey-level stddev {stddev:.1f}"
    )
    if page.evaluate("() => window.__flBrowserTest && window.__flBrowserTest.maps.length > 0"):
        panes = page.evaluate(PANES_DRAWN)
        assert panes["painted"] > 1000 or panes["paths"] > 0 or panes["markers"] > 0, (
            f"the map panes drew nothing: {panes}"
        )
    return path


# --- Leaflet --------------------------------------------------------------------------------------------
# The layer controls' entries come from Leaflet 1.9's `control._layers` ({layer, name, overlay}): Leaflet
# offers no public way to read them back, and the vendored Leaflet is pinned (facility_layout/webassets.py).
# Both kinds count: overlays (check boxes) and base layers (radio buttons, e.g. the map's cell themes).
_LEAFLET_HELPERS = """
const seen = window.__flBrowserTest;
const overlays = () => seen.controls.flatMap((c) => c._layers.map((e) => ({...e, control: c})));
const leaves = (layer) => layer.getLayers ? layer.getLayers().flatMap(leaves) : [layer];
const mapOf = (control) => control._map;
"""

OVERLAY_STATE = (
    "(name) => {"
    + _LEAFLET_HELPERS
    + """
    const entry = overlays().find((e) => e.name === name);
    if (!entry) { return null; }
    const map = mapOf(entry.control);
    const all = leaves(entry.layer);
    const elements = all.map((l) => l.getElement ? l.getElement() : null).filter((e) => e);
    return {
        on_map: map.hasLayer(entry.layer),
        leaves: all.length,
        leaves_on_map: all.filter((l) => map.hasLayer(l)).length,
        elements_in_page: elements.filter((e) => document.contains(e)).length,
        fill_colours: [...new Set(all.map((l) => l.options.fillColor).filter((c) => c))],
    };
}"""
)

# A point to click a feature of the named overlay at so that the click reaches it and nothing else: the
# map is centred on the feature at `zoom`, and no marker, panel or other interactive vector covers it.
# `where(p, arg, ll)` picks features by their GeoJSON properties or position; `order(p, arg)` ranks them
# (largest first).
CLICK_TARGET = (
    "({overlay, where, order, zoom, arg}) => {"
    + _LEAFLET_HELPERS
    + """
    const pick = new Function("p", "arg", "ll", `return (${where});`);
    const rank = new Function("p", "arg", `return (${order});`);
    const entry = overlays().find((e) => e.name === overlay);
    if (!entry) { return {error: `no overlay named ${overlay}`}; }
    const map = mapOf(entry.control);
    const position = (l) => (l.getLatLng ? l.getLatLng() : l.getCenter());
    const candidates = leaves(entry.layer).filter((l) => l.feature && pick(l.feature.properties, arg, position(l)));
    candidates.sort((a, b) => rank(b.feature.properties, arg) - rank(a.feature.properties, arg));
    const others = overlays().filter((e) => map.hasLayer(e.layer)).flatMap((e) => leaves(e.layer));
    const box = map.getContainer().getBoundingClientRect();
    const covers = (layer, latlng, point) => {
        if (layer.getElement && layer instanceof L.Marker) { return false; }  // DOM: elementFromPoint sees it
        if (layer.options.interactive === false || !map.hasLayer(layer)) { return false; }
        if (layer instanceof L.Circle) { return map.distance(layer.getLatLng(), latlng) <= layer.getRadius(); }
        if (layer instanceof L.CircleMarker) {
            return map.latLngToContainerPoint(layer.getLatLng()).distanceTo(point) <= layer.getRadius() + 1;
        }
        if (layer instanceof L.Polyline) {
            const tolerance = (layer.options.weight || 1) / 2 + 6;
            const rings = (lls) => (L.LineUtil.isFlat(lls) ? [lls] : lls.flatMap(rings));
            const near = (a, b) => L.LineUtil.pointToSegmentDistance(
                point, map.latLngToContainerPoint(a), map.latLngToContainerPoint(b)) <= tolerance;
            return rings(layer.getLatLngs()).some((line) => line.some((ll, i) => i > 0 && near(line[i - 1], ll)));
        }
        return false;
    };
    for (const layer of candidates.slice(0, 60)) {
        const latlng = position(layer);
        map.setView(latlng, zoom, {animate: false});
        const point = map.latLngToContainerPoint(latlng);
        const x = box.left + point.x, y = box.top + point.y;
        const hit = document.elementFromPoint(x, y);
        const own = layer.getElement ? layer.getElement() : null;
        // A marker's element is above every canvas, so what the page hits there is all that counts for it.
        const alone = layer instanceof L.Marker
            ? own && own.contains(hit)
            : hit && hit.tagName === "CANVAS" && !others.some((o) => o !== layer && covers(o, latlng, point));
        if (!alone) { continue; }
        return {x, y, properties: layer.feature.properties, lat: latlng.lat, lng: latlng.lng};
    }
    return {error: `no feature of ${overlay} can be clicked alone (${candidates.length} candidates)`};
}"""
)


def overlay_names(page: Page) -> list[str]:
    """The layers listed in the page's layer controls (check boxes and radio buttons), as shown."""
    return [text.strip() for text in page.locator(".leaflet-control-layers-list label").all_inner_texts()]


def overlay_state(page: Page, name: str) -> dict[str, Any]:
    """Whether the named overlay is on its map (``on_map``), how many features it has (``leaves``), how many
    of them are on the map and how many DOM elements of them (markers) are in the page, and the distinct
    fill colours of its vector features (``fill_colours``)."""
    state = page.evaluate(OVERLAY_STATE, name)
    assert state is not None, f"no overlay named {name!r} in {overlay_names(page)}"
    return state


def toggle_overlay(page: Page, name: str) -> None:
    """Click the named layer's check box (or radio button) in the layer control, as a person would."""
    page.get_by_label(name, exact=True).click()


def click_feature(
    page: Page, overlay: str, *, where: str = "true", order: str = "0", zoom: float = 15, arg: Any = None
) -> dict[str, Any]:
    """Click a feature of ``overlay`` with the mouse where nothing else covers it; returns its GeoJSON
    properties and ``lat``/``lng``. ``where`` and ``order`` are JavaScript expressions over its properties
    ``p``, ``arg`` and (``where`` only) its position ``ll`` (a ``L.LatLng``): which features qualify, and
    which to try first (largest first)."""
    target = page.evaluate(CLICK_TARGET, {"overlay": overlay, "where": where, "order": order, "zoom": zoom, "arg": arg})
    assert "error" not in target, target.get("error")
    page.mouse.click(target["x"], target["y"])
    return target


def popup_text(page: Page) -> str:
    """The text of the open popup (waits for one to open)."""
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=5_000)
    return " ".join(popup.inner_text().split())
