"""The page around the map: its style on screens, phones and paper, and the script that lays it out.

The headline panel (top left) and the side panel (layer list and legend, top right) are ``<details>``
elements: a planner opens and closes them by their titles; below :data:`NARROW_PX` (a phone) they start
closed. The first view fits the region into what the panels leave free. Printed, the panels become a
compact header and legend around a map that fills the page.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import MacroElement
from folium.template import Template

from facility_layout.i18n import ENGLISH, Translator

NARROW_PX = 768  # below this window width the panels start closed
LEAFLET_CREDIT = '<a href="https://leafletjs.com" title="A JavaScript library for interactive maps">Leaflet</a>'

CSS = """
<style>
  .leaflet-container { background: #dfe3e8; }
  .fl-panel { position: fixed; z-index: 1000; background: rgba(255, 255, 255, 0.95); color: #222;
    border-radius: 6px; box-shadow: 0 1px 6px rgba(0, 0, 0, 0.35); padding: 6px 10px;
    font: 12px/1.35 "Helvetica Neue", Arial, sans-serif; box-sizing: border-box; }
  .fl-panel table { border-collapse: collapse; width: 100%; }
  .fl-panel th { text-align: left; font-weight: normal; color: #444; padding: 2px 8px 2px 0;
    vertical-align: top; width: 55%; }
  .fl-panel td { text-align: right; font-weight: 600; padding: 2px 0; vertical-align: top; }
  .fl-note { display: block; font-weight: normal; color: #666; font-size: 11px; }
  .fl-today { font-weight: normal; color: #555; }
  .fl-panel summary { cursor: pointer; font-weight: 700; font-size: 13px; }
  .fl-panel summary h1 { display: inline; font-size: 14px; margin: 0; }
  #fl-headline { top: 10px; left: 10px; width: 340px; max-width: calc(100% - 150px);
    max-height: calc(100% - 120px); overflow: auto; }
  #fl-headline .fl-body { margin-top: 4px; }
  .fl-solver { margin-top: 6px; padding: 3px 6px; border-radius: 3px; }
  .fl-ok { background: #e6f4ea; color: #1e5b2e; }
  .fl-warn { background: #fdecea; color: #a4161a; font-weight: 700; }
  #fl-side { top: 10px; right: 10px; width: 290px; max-width: calc(100% - 20px);
    max-height: min(60%, calc(100% - 80px)); overflow: auto; }
  #fl-side details + details { margin-top: 6px; border-top: 1px solid #ddd; padding-top: 4px; }
  #fl-layers-list .leaflet-control-layers { box-shadow: none; border: none; background: none; padding: 0;
    margin: 2px 0 0; font-size: 12px; }
  #fl-layers-list .leaflet-control-layers-expanded { padding: 0; }
  .leaflet-control-layers label { margin: 1px 0; }
  .leaflet-control-layers-base::before, .leaflet-control-layers-overlays::before { display: block;
    font-weight: 700; margin: 2px 0; }
  #fl-legend h4 { margin: 7px 0 2px; font-size: 12px; }
  .fl-legend-row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
  .fl-legend-row svg { flex: none; }
  .fl-legend-row .fl-count { margin-left: auto; color: #555; white-space: nowrap; }
  #fl-synthetic-banner { top: 10px; left: 50%; transform: translateX(-50%); background: #ffcc00;
    border: 2px solid #000; font-weight: 700; font-size: 14px; letter-spacing: 0.03em; }
  /* The credits wrap rather than run under the scale bar, bottom left. */
  .leaflet-control-attribution { max-width: calc(100vw - 150px); white-space: normal; line-height: 1.3; }
  .fl-symbol { background: none; border: none; }
  .fl-symbol svg { filter: drop-shadow(0 0 1px rgba(0, 0, 0, 0.7)); }
  .leaflet-fl-labels-pane { pointer-events: none; }
  .fl-label { white-space: nowrap; font: 11px/1.2 "Helvetica Neue", Arial, sans-serif; color: #222;
    text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
  .fl-label-centre { font-weight: 700; font-size: 12px; color: #4a148c; }
  .fl-label-area { font-weight: 700; font-size: 12px; color: #222; }
  .fl-popup h3 { margin: 0 0 2px; font-size: 14px; }
  .fl-popup p { margin: 0 0 5px; }
  .fl-popup .fl-status { color: #555; }
  .fl-popup .fl-reason { font-style: italic; }
  .fl-popup .fl-chart text { fill: #333; }
  .fl-popup th { text-align: left; font-weight: normal; color: #555; padding: 1px 10px 1px 0;
    vertical-align: top; }
  @media (max-width: 767px) {
    #fl-headline { width: auto; max-width: calc(100% - 130px); max-height: calc(100% - 110px); }
    #fl-side { width: auto; min-width: 96px; max-width: calc(100% - 20px); max-height: calc(100% - 110px); }
    #fl-side[data-open] { width: 290px; }
    #fl-synthetic-banner { top: 76px; font-size: 11px; padding: 3px 6px; white-space: nowrap; }
  }
  /* On paper: a compact header (title and figures), the map, then the legend in columns; no controls. */
  @page { size: A4 landscape; margin: 8mm; }
  @media print {
    html, body { height: auto !important; }
    body { display: flex; flex-direction: column; height: 190mm !important; }
    .fl-panel { position: static; box-shadow: none; border-radius: 0; padding: 2px 0; background: none;
      max-height: none !important; max-width: none !important; width: auto !important; overflow: visible;
      transform: none; }
    .fl-panel summary { list-style: none; }
    .fl-panel summary::-webkit-details-marker { display: none; }
    #fl-headline { order: 0; flex: none; font-size: 8px; line-height: 1.2; }
    #fl-headline .fl-solver { margin-top: 2px; padding: 1px 4px; }
    #fl-headline table { display: block; }
    #fl-headline tr { display: inline-block; width: 16%; vertical-align: top; }
    #fl-headline th, #fl-headline td { display: block; width: auto; text-align: left; padding: 0 4px 0 0; }
    #fl-headline .fl-note { font-size: 7px; }
    #fl-synthetic-banner { order: 1; flex: none; font-size: 9px; border: 1px solid #000; background: #ffcc00;
      padding: 1px 4px; transform: none; }
    .folium-map { order: 2; flex: 1 1 auto; position: relative !important; height: auto !important;
      min-height: 0; width: 100% !important; }
    #fl-side { order: 3; flex: none; font-size: 7px; line-height: 1.15; }
    #fl-legend .fl-note { font-size: 7px; }
    #fl-legend .fl-theme:not(.fl-theme-shown) { display: none; }
    #fl-layers { display: none; }
    #fl-legend > summary { display: none; }
    #fl-legend .fl-legend-body { column-count: 5; column-gap: 10px; }
    #fl-legend h4 { font-size: 8px; margin: 2px 0 0; break-after: avoid; }
    .fl-legend-row { margin: 0; gap: 3px; break-inside: avoid; }
    .fl-legend-row svg { width: 10px; height: 10px; }
    .leaflet-control-zoom, .leaflet-control-layers { display: none; }
    .leaflet-popup, .leaflet-tooltip-pane { display: none; }
  }
</style>
"""


class PageLayout(MacroElement):
    """The page's script: moves the layer list into the side panel, closes the panels on a phone, fits the
    first view into the room the panels leave, keeps the demand cells under the roads when another theme is
    chosen, closes tooltips when a popup opens, credits Leaflet without its flag, adds a metric scale bar,
    and lays the page out for print."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, control, bounds, under) {
            const panels = () => [...document.querySelectorAll(".fl-panel")];
            document.getElementById("fl-layers-list").appendChild(control.getContainer());
            const side = document.getElementById("fl-side");
            const markOpen = () => side.toggleAttribute(
                "data-open", [...side.querySelectorAll("details")].some((d) => d.open));
            side.querySelectorAll("details").forEach((d) => d.addEventListener("toggle", markOpen));
            if (window.innerWidth < {{ this.narrow }}) {
                document.querySelectorAll("details.fl-collapsible").forEach((d) => { d.open = false; });
            }
            markOpen();
            // On a phone one panel at a time: opening the headline folds the side panel and back.
            const headline = document.getElementById("fl-headline");
            const narrow = () => window.innerWidth < {{ this.narrow }};
            headline.addEventListener("toggle", () => {
                if (headline.open && narrow()) { side.querySelectorAll("details").forEach((d) => { d.open = false; }); }
            });
            side.querySelectorAll("details").forEach((d) => d.addEventListener("toggle", () => {
                if (d.open && narrow()) { headline.open = false; }
            }));

            // Padding on each side of the map: each panel pushes the region away from the side (left or right,
            // top or bottom) where that costs the least map; an axis that would keep less than a third of the
            // window is not padded.
            function fit(padded) {
                const w = window.innerWidth, h = window.innerHeight;
                const pad = {left: 0, right: 0, top: 0, bottom: 0};
                if (padded) {
                    for (const panel of panels()) {
                        const r = panel.getBoundingClientRect();
                        if (!r.width || !r.height) { continue; }
                        const [across, side] = r.left + r.width / 2 < w / 2 ? [r.right, "left"] : [w - r.left, "right"];
                        const [down, end] = r.top + r.height / 2 < h / 2 ? [r.bottom, "top"] : [h - r.top, "bottom"];
                        if (across * h <= down * w) { pad[side] = Math.max(pad[side], across); }
                        else { pad[end] = Math.max(pad[end], down); }
                    }
                    if (w - pad.left - pad.right < w / 3) { pad.left = pad.right = 0; }
                    if (h - pad.top - pad.bottom < h / 3) { pad.top = pad.bottom = 0; }
                }
                map.fitBounds(bounds, {
                    paddingTopLeft: [pad.left + 8, pad.top + 8],
                    paddingBottomRight: [pad.right + 8, pad.bottom + 8],
                    animate: false,
                });
            }
            fit(true);
            window.flFitRegion = fit;

            // A newly chosen cell theme is added on top of the canvas: put it back under the roads and lines,
            // and the areas and the boundary back under it.
            // The legend marks the chosen theme's section (print shows only that one).
            map.on("baselayerchange", function (e) {
                if (e.layer.bringToBack) { e.layer.bringToBack(); }
                under.filter((layer) => map.hasLayer(layer)).forEach((layer) => layer.bringToBack());
                document.querySelectorAll(".fl-theme").forEach((section) => section.classList.toggle(
                    "fl-theme-shown", section.dataset.theme === e.layer.options.flTheme));
            });
            map.on("popupopen", function () {
                const open = [];
                map.eachLayer((layer) => { if (layer instanceof L.Tooltip) { open.push(layer); } });
                open.forEach((tooltip) => map.closeTooltip(tooltip));
            });
            // Nor may one open while a popup is open (the mouse still over its cell): it would sit under it.
            map.on("tooltipopen", function (e) {
                if (map._popup && map.hasLayer(map._popup)) { map.closeTooltip(e.tooltip); }
            });
            map.attributionControl.setPrefix({{ this.credit|tojson }});
            // Kilometres only: the planners' unit (a second, imperial line only crowds the corner).
            L.control.scale({imperial: false}).addTo(map);

            // Printed: every panel open (the layer list is hidden by the print style), the map resized to
            // its place on the page and fitted to the region; back on screen, as the planner left it.
            let before = null;
            function printing(on) {
                if (on && before === null) {
                    const all = [...document.querySelectorAll("details.fl-collapsible")];
                    before = all.map((d) => [d, d.open]);
                    all.forEach((d) => { d.open = true; });
                    map.invalidateSize({animate: false});
                    fit(false);
                } else if (!on && before !== null) {
                    before.forEach(([d, open]) => { d.open = open; });
                    before = null;
                    map.invalidateSize({animate: false});
                }
            }
            const print = window.matchMedia("print");
            print.addEventListener("change", (e) => printing(e.matches));
            window.addEventListener("beforeprint", () => printing(true));
            window.addEventListener("afterprint", () => printing(false));
            // Ready: every layer made and the first view painted (what benchmarks/map_load.py times).
            requestAnimationFrame(() => requestAnimationFrame(() => {
                window.flMapReady = performance.now();
                document.body.dataset.flReady = "";
            }));
        })({{ this._parent.get_name() }}, {{ this.control.get_name() }}, {{ this.bounds|tojson }},
           [{{ this.under|join(", ") }}]);
        {% endmacro %}
        """
    )

    def __init__(self, control: folium.LayerControl, bounds: list[list[float]], under: list[Any]) -> None:
        """``under``: the layers that lie under the demand cells, top first (areas, then the boundary)."""
        super().__init__()
        self._name = "PageLayout"
        self.control = control
        self.bounds = bounds
        self.under = [layer.get_name() for layer in under]
        self.narrow = NARROW_PX
        self.credit = LEAFLET_CREDIT


def side_panel(legend: str, _: Translator = ENGLISH) -> str:
    """The side panel: the layer list (moved in by :class:`PageLayout`) and the legend, each collapsible; the
    layer list's two headings in the page's language."""
    # A JSON string with its characters as they are (CSS reads no \u escapes) is a valid CSS string: quotes and
    # backslashes in a translation stay inside it.
    base, overlays = (
        json.dumps(_(words), ensure_ascii=False) for words in ("Demand cells coloured by (one at a time)", "Layers")
    )
    headings = (
        f".leaflet-control-layers-base::before {{ content: {base}; }}"
        f" .leaflet-control-layers-overlays::before {{ content: {overlays}; }}"
    )
    return (
        f"<style>{headings}</style>"
        '<div id="fl-side" class="fl-panel"><details id="fl-layers" class="fl-collapsible" open>'
        f'<summary>{_("Layers")}</summary><div id="fl-layers-list"></div></details>{legend}</div>'
    )
