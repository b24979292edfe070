"""The proposed layout as one Folium (Leaflet) HTML map a planner can read without the other outputs.

Layers, bottom to top: the boundary; demand cells as circles on the ground, coloured by minutes to their
village clinic and sized by population; roads by class, drawn over the cells; assignment lines (cell →
clinic, off until switched on); referral lines (clinic → township centre); and the facilities, one layer
per tier and decision. A headline panel gives the figures of ``summary.json``, a legend explains every
colour and symbol, and a synthetic region says so in a banner and gets no real-world basemap under its
invented roads.

Tooltips and popups travel in each feature's GeoJSON properties and Leaflet inserts them as markup, so
everything that comes from input data (names, reasons, ids) is HTML-escaped here, before it reaches the
page. The GeoJSON is embedded as JSON, so no input text can reach the page's JavaScript either.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template
from folium.utilities import JsCode
from scipy.spatial import cKDTree
from shapely.geometry import mapping

from facility_layout import formatting as fmt
from facility_layout.basemaps import OPENSTREETMAP, Basemap
from facility_layout.evaluate import LayoutTables
from facility_layout.gcj02 import wgs84_to_gcj02
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.relief import ReliefImage
from facility_layout.scenario import MODE_WORDS, TownshipCentreTier, VillageClinicTier
from facility_layout.webassets import leaflet_head

WGS84 = "EPSG:4326"
COORDINATE_DECIMALS = 5  # about 1 m on the ground
# The scenario's default, used if the summary lacks the standard.
DEFAULT_CLINIC_STANDARD_MINUTES = VillageClinicTier.model_fields["max_travel_minutes"].default
DEFAULT_CENTRE_STANDARD_MINUTES = TownshipCentreTier.model_fields["max_travel_minutes"].default


@dataclass(frozen=True)
class FacilitySymbol:
    """How one (tier, decision) pair is drawn, named in the layer control and explained in the legend."""

    tier: str
    decision: str
    label: str
    svg: str
    size: int


def _svg(size: int, body: str) -> str:
    return f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}">{body}</svg>'


_STAR = "12,4.5 13.9,9.4 19.1,9.7 15,13 16.4,18.1 12,15.2 7.6,18.1 9,13 4.9,9.7 10.1,9.4"

# Circles and a triangle for village clinics, squares for township centres; closed clinics stay visible.
FACILITY_SYMBOLS: tuple[FacilitySymbol, ...] = (
    FacilitySymbol(
        VILLAGE_CLINIC,
        "keep",
        "Village clinic kept",
        _svg(16, '<circle cx="8" cy="8" r="6.5" fill="#2e7d32" stroke="#ffffff" stroke-width="1.5"/>'),
        16,
    ),
    FacilitySymbol(
        VILLAGE_CLINIC,
        "close",
        "Village clinic closed (people merged into another)",
        _svg(
            16,
            '<circle cx="8" cy="8" r="6.5" fill="#bdbdbd" stroke="#616161" stroke-width="1"/>'
            '<path d="M4 4L12 12M12 4L4 12" stroke="#c62828" stroke-width="2.4"/>',
        ),
        16,
    ),
    FacilitySymbol(
        VILLAGE_CLINIC,
        "build",
        "Village clinic built (new)",
        _svg(18, '<path d="M9 1.5L16.8 16H1.2Z" fill="#1565c0" stroke="#ffffff" stroke-width="1.5"/>'),
        18,
    ),
    FacilitySymbol(
        TOWNSHIP_CENTRE,
        "keep",
        "Township centre kept",
        _svg(18, '<rect x="1.5" y="1.5" width="15" height="15" fill="#7b1fa2" stroke="#ffffff" stroke-width="1.5"/>'),
        18,
    ),
    FacilitySymbol(
        TOWNSHIP_CENTRE,
        "upgrade",
        "Township centre upgraded to central township centre",
        _svg(
            24,
            '<rect x="1.5" y="1.5" width="21" height="21" fill="#4a148c" stroke="#ffd54f" '
            'stroke-width="2"/>'
            f'<polygon points="{_STAR}" fill="#ffd54f"/>',
        ),
        24,
    ),
)
TIER_NAMES = {VILLAGE_CLINIC: "village clinic", TOWNSHIP_CENTRE: "township centre"}
# Today's facilities, before any decision: hollow shapes of the same kind as the decision symbols.
EXISTING_SYMBOLS = {
    VILLAGE_CLINIC: FacilitySymbol(
        VILLAGE_CLINIC,
        "existing",
        "Existing village clinic (today, before the layout)",
        _svg(16, '<circle cx="8" cy="8" r="5.5" fill="none" stroke="#212121" stroke-width="2"/>'),
        16,
    ),
    TOWNSHIP_CENTRE: FacilitySymbol(
        TOWNSHIP_CENTRE,
        "existing",
        "Existing township centre (today, before the layout)",
        _svg(18, '<rect x="3" y="3" width="12" height="12" fill="none" stroke="#212121" stroke-width="2"/>'),
        18,
    ),
}


@dataclass(frozen=True)
class MinutesClass:
    """One class of travel minutes from a demand cell to its village clinic."""

    key: str
    label: str
    colour: str


# Within the first, second and last third of the clinic standard; beyond it; unreachable from any site.
WITHIN_STANDARD_COLOURS = ("#1a9850", "#91cf60", "#fee08b")
BEYOND_STANDARD_COLOUR = "#d73027"
UNCOVERABLE_COLOUR = "#6e6e6e"
CELL_STROKE = "#333333"
# Cells are circles on the ground, so the classes read as a surface at any zoom. A cell holding at least the
# 90th percentile of people per cell gets the largest circle (slightly wider than the spacing between cells);
# emptier cells shrink with area ∝ people, but not below 55 % of that radius, so their colour stays visible.
FULL_CIRCLE_QUANTILE = 0.9
LARGEST_CIRCLE_SPACINGS = 0.55  # radius, in cell spacings
SMALLEST_CIRCLE_SHARE = 0.55
DEFAULT_CELL_SPACING_M = 500.0  # the scenario's default cell size, for a layout of a single cell

# People per km² of a demand cell: from empty hillside to a town's centre.
DENSITY_BREAKS = (25.0, 100.0, 250.0, 500.0, 1000.0, 2500.0)
DENSITY_COLOURS = ("#ffffd4", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04")
DENSITY_CLASSES = tuple(
    MinutesClass(f"density-{k}", label, colour)
    for k, (label, colour) in enumerate(
        zip(
            [f"< {DENSITY_BREAKS[0]:,.0f}"]
            + [f"{lo:,.0f}–{hi:,.0f}" for lo, hi in itertools.pairwise(DENSITY_BREAKS)]
            + [f"≥ {DENSITY_BREAKS[-1]:,.0f}"],
            DENSITY_COLOURS,
            strict=True,
        )
    )
)


@dataclass(frozen=True)
class RoadStyle:
    """How one group of OSM highway classes is drawn."""

    label: str
    colour: str
    weight: float
    dash: str | None


MAIN_ROADS = frozenset(
    {"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link"}
)
TRACKS = frozenset({"track"})
PATHS = frozenset({"path", "footway", "steps", "bridleway", "pedestrian", "cycleway", "corridor"})
ROAD_STYLES = {
    "main": RoadStyle("Main road (trunk, primary, secondary)", "#4d4d4d", 2.6, None),
    "minor": RoadStyle("Other road or street", "#8a8a8a", 1.3, None),
    "track": RoadStyle("Track (unpaved)", "#9c6b30", 1.4, "6 4"),
    "path": RoadStyle("Footpath or steps", "#9c6b30", 1.1, "1 4"),
}
BOUNDARY_COLOUR = "#222222"
LAND_COLOUR = "#fbfaf5"  # the region's fill where there is no basemap
CATCHMENT_STYLE = {"color": "#4a148c", "weight": 1.6, "opacity": 0.8, "fillColor": "#ce93d8", "fillOpacity": 0.12}
BEYOND_AREA_STYLE = {
    "color": BEYOND_STANDARD_COLOUR,
    "weight": 1.5,
    "opacity": 0.9,
    "dashArray": "4 3",
    "fillColor": BEYOND_STANDARD_COLOUR,
    "fillOpacity": 0.22,
}
UNCOVERABLE_AREA_STYLE = {**BEYOND_AREA_STYLE, "color": UNCOVERABLE_COLOUR, "fillColor": UNCOVERABLE_COLOUR}
MERGE_STYLE = {"color": "#c62828", "weight": 2.4, "opacity": 0.9, "dashArray": "2 5"}
MERGE_LAYER = "Merges: closed clinic → the clinic its people use"
# The demand cells' layers, by theme key.
CELL_LAYERS = {
    "minutes": "Demand cells: minutes to village clinic",
    "centre-minutes": "Demand cells: minutes to township centre",
    "density": "Demand cells: people per km²",
}
CATCHMENT_LAYER = "Catchments: the area each village clinic serves"
BEYOND_LAYER = "Areas beyond the village clinic standard"
RELIEF_LAYER = "Relief: hillshade of the elevation model"
RELIEF_OPACITY_OVER_BASEMAP = 0.35
RELIEF_PANE, RELIEF_PANE_Z = "relief", 350  # above basemap tiles (200), below the layout (400)
RELIEF_SWATCH = (
    '<svg width="26" height="14" viewBox="0 0 26 14"><defs><linearGradient id="fl-relief" x1="0" x2="1">'
    '<stop offset="0" stop-color="#f2efe6"/><stop offset="1" stop-color="#6b6358"/></linearGradient></defs>'
    '<rect width="26" height="14" fill="url(#fl-relief)"/></svg>'
)
ASSIGNMENT_STYLE = {"color": "#555555", "weight": 0.8, "opacity": 0.55}
REFERRAL_STYLE = {"color": "#7b1fa2", "weight": 2.2, "opacity": 0.85, "dashArray": "7 5"}

SYNTHETIC_BANNER = "SYNTHETIC REGION — generated data, not a real place"

# Binds each feature's own style, radius, tooltip and popup. A popup is assembled from its parts (already
# HTML-escaped in Python) when first opened: as whole HTML strings in the JSON, popups made the page a
# third larger.
BIND_FEATURE = JsCode(
    """function (feature, layer) {
        const p = feature.properties;
        if (p.style && layer.setStyle) { layer.setStyle(p.style); }
        if (p.radius) { layer.setRadius(p.radius); }
        if (p.tooltip) { layer.bindTooltip(p.tooltip); }
        if (p.popup) {
            const q = p.popup;
            layer.bindPopup(() => `<div class="fl-popup"><h3>${q.title}</h3>`
                + (q.status ? `<p class="fl-status">${q.status}</p>` : "")
                + (q.reason ? `<p class="fl-reason">${q.reason}</p>` : "")
                + "<table>" + q.rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")
                + "</table></div>", {maxWidth: 380});
        }
    }"""
)

CSS = """
<style>
  .leaflet-container { background: #dfe3e8; }
  .fl-panel { position: fixed; z-index: 1000; background: rgba(255, 255, 255, 0.95); color: #222;
    border-radius: 6px; box-shadow: 0 1px 6px rgba(0, 0, 0, 0.35); padding: 8px 10px;
    font: 12px/1.35 "Helvetica Neue", Arial, sans-serif; }
  .fl-panel table { border-collapse: collapse; width: 100%; }
  .fl-panel th { text-align: left; font-weight: normal; color: #444; padding: 2px 8px 2px 0;
    vertical-align: top; }
  .fl-panel td { text-align: right; font-weight: 600; padding: 2px 0; vertical-align: top; }
  .fl-panel th { width: 55%; }
  .fl-note { display: block; font-weight: normal; color: #666; font-size: 11px; }
  #fl-headline { top: 10px; left: 10px; width: 330px; max-height: calc(100% - 110px); overflow: auto; }
  #fl-headline h1 { font-size: 15px; margin: 0 0 6px; }
  .fl-solver { margin-top: 6px; padding: 3px 6px; border-radius: 3px; }
  .fl-ok { background: #e6f4ea; color: #1e5b2e; }
  .fl-warn { background: #fdecea; color: #a4161a; font-weight: 700; }
  #fl-legend { bottom: 34px; right: 10px; width: 300px; max-height: calc(100% - 330px); overflow: auto; }
  .leaflet-control-layers { font-size: 12px; max-height: 45vh; overflow: auto; }
  .leaflet-control-layers label { margin: 1px 0; }
  #fl-legend summary { font-weight: 700; cursor: pointer; }
  #fl-legend h4 { margin: 7px 0 2px; font-size: 12px; }
  .fl-legend-row { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
  .fl-legend-row svg { flex: none; }
  .fl-legend-row .fl-count { margin-left: auto; color: #555; white-space: nowrap; }
  #fl-synthetic-banner { top: 10px; left: 50%; transform: translateX(-50%); background: #ffcc00;
    border: 2px solid #000; font-weight: 700; font-size: 14px; letter-spacing: 0.03em; }
  .fl-symbol { background: none; border: none; }
  .fl-symbol svg { filter: drop-shadow(0 0 1px rgba(0, 0, 0, 0.7)); }
  .fl-popup h3 { margin: 0 0 2px; font-size: 14px; }
  .fl-popup p { margin: 0 0 5px; }
  .fl-popup .fl-status { color: #555; }
  .fl-popup .fl-reason { font-style: italic; }
  .fl-popup .fl-chart text { fill: #333; }
  .fl-popup th { text-align: left; font-weight: normal; color: #555; padding: 1px 10px 1px 0;
    vertical-align: top; }
</style>
<script>
  // The legend sits under the layer list, whatever that list's height, and scrolls within the window.
  function flPlaceLegend() {
    const layers = document.querySelector(".leaflet-control-layers");
    const legend = document.getElementById("fl-legend");
    if (!layers || !legend) { return; }
    const top = layers.getBoundingClientRect().bottom + 8;
    legend.style.top = top + "px";
    legend.style.bottom = "auto";
    legend.style.maxHeight = Math.max(120, window.innerHeight - top - 34) + "px";
  }
  window.addEventListener("load", flPlaceLegend);
  window.addEventListener("resize", flPlaceLegend);
</script>
"""


class _Attribution(MacroElement):
    """Adds (already escaped) source credits to the map's attribution control, bottom right."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text


def render_map(
    tables: LayoutTables,
    path: Path,
    *,
    title: str,
    summary: Mapping[str, Any],
    attributions: list[str],
    synthetic: bool,
    basemap: Basemap | None = OPENSTREETMAP,
    relief: ReliefImage | None = None,
    cell_size_m: float | None = None,
) -> Path:
    """Write the layout as a self-contained Leaflet HTML map (Leaflet inlined; only the basemap is online).

    Parameters
    ----------
    tables : LayoutTables
        The layout, in the region's metric CRS; reprojected to WGS 84 (lon/lat) for the map, and shifted to
        GCJ-02 when the basemap's tiles are drawn in it.
    path : Path
        HTML file to write.
    title : str
        Shown in the headline panel and the browser tab.
    summary : mapping
        The figures of ``summary.json`` (:func:`facility_layout.evaluate.summary`); a missing figure
        shows as a dash.
    attributions : list of str
        Source credits, shown in the map's attribution line.
    synthetic : bool
        A generated region: no real-world basemap, and a banner saying so.
    basemap : Basemap or None
        Online tiles under the layout (:data:`BASEMAPS`); None for none. Ignored for a synthetic region.
    relief : ReliefImage or None
        Hillshade of the DEM (:func:`facility_layout.relief.relief_image`), drawn under the layout.
    cell_size_m : float, optional
        Side of a demand cell, for people per km²; default: the spacing between demand points.

    Returns
    -------
    Path
        ``path``.
    """
    if synthetic:
        basemap = None
    standards = summary.get("standards") or {}
    clinic_standard = fmt.finite(standards.get("village_clinic_max_minutes")) or DEFAULT_CLINIC_STANDARD_MINUTES
    centre_standard = fmt.finite(standards.get("township_centre_max_minutes")) or DEFAULT_CENTRE_STANDARD_MINUTES
    themes = _cell_themes(tables.demand, clinic_standard, centre_standard, cell_size_m)
    people = tables.demand["population"].to_numpy(dtype=float)
    full_circle_people = float(np.nanquantile(people, FULL_CIRCLE_QUANTILE)) if len(people) else 0.0
    radius = np.round(circle_radius_m(tables.demand, people, full_circle_people, cell_size_m), 1)
    areas = _cell_areas(tables.demand, tables.boundary, cell_size_m)
    gcj02 = basemap is not None and basemap.gcj02
    shown = _in_map_coordinates(tables, gcj02)

    fmap = folium.Map(
        tiles=None, prefer_canvas=True, control_scale=True, zoom_control="bottomleft", zoom_snap=0.5, font_size="13px"
    )
    # Leaflet inlined, folium's CDN links (and the jQuery/Bootstrap it loads by default, unused here) dropped.
    fmap.default_js, fmap.default_css = [], []
    root = fmap.get_root()
    root.header.add_child(Element(leaflet_head()), name="leaflet", index=0)
    root.title = html.escape(f"SYNTHETIC — {title}" if synthetic else title)
    root.header.add_child(Element(CSS))
    basemap_layer = _add_basemap(fmap, basemap) if basemap is not None else None
    folium.map.CustomPane(RELIEF_PANE, z_index=RELIEF_PANE_Z).add_to(fmap)
    if relief is not None:
        _add_relief(fmap, relief, gcj02, basemap_layer)

    _add_boundary(fmap, shown.boundary, land_fill=basemap is None and relief is None)
    modes = {
        tier: MODE_WORDS.get(mode, "") for tier, mode in ((summary.get("travel") or {}).get("modes") or {}).items()
    }
    names = _names(tables.facilities)
    _add_areas(fmap, areas, gcj02, clinic_standard, names)
    _add_demand(fmap, shown.demand, themes, radius, standards, modes)
    _add_roads(fmap, shown.roads)
    _add_assignments(fmap, shown.assignments, names)
    _add_referrals(fmap, shown.referrals, names)
    _add_merges(fmap, shown.facilities)
    _add_existing(fmap, shown.facilities)
    counts = _add_facilities(fmap, shown.facilities, tables.assignments, themes[0].classes, clinic_standard, modes)
    folium.LayerControl(position="topright", collapsed=False).add_to(fmap)

    root.html.add_child(Element(_headline_panel(title, summary)))
    root.html.add_child(Element(_legend(themes, people, counts, full_circle_people, relief, areas)))
    if synthetic:
        banner = f'<div id="fl-synthetic-banner" class="fl-panel">{SYNTHETIC_BANNER}</div>'
        root.html.add_child(Element(banner))
    if attributions:
        fmap.add_child(_Attribution(" | ".join(html.escape(line) for line in attributions)))

    west, south, east, north = shown.boundary.total_bounds
    fmap.fit_bounds([[south, west], [north, east]])
    fmap.save(str(path))
    return path


def _names(facilities: gpd.GeoDataFrame) -> dict[str, str]:
    return dict(zip(facilities["site_id"], facilities["name"], strict=True))


def _in_map_coordinates(tables: LayoutTables, gcj02: bool) -> LayoutTables:
    """The layout in lon/lat (WGS 84, or GCJ-02 over tiles drawn in it)."""
    return LayoutTables(*(_lonlat(getattr(tables, f.name), gcj02) for f in dataclasses.fields(tables)))


def _lonlat(frame: gpd.GeoDataFrame, gcj02: bool) -> gpd.GeoDataFrame:
    shown = frame.to_crs(WGS84)
    if gcj02:
        shifted = shapely.transform(shown.geometry.to_numpy(), lambda xy: np.column_stack(wgs84_to_gcj02(*xy.T)))
        shown = shown.set_geometry(gpd.GeoSeries(shifted, index=shown.index, crs=WGS84))
    return shown


# --- layers -------------------------------------------------------------------------------------------


def _add_basemap(fmap: folium.Map, basemap: Basemap) -> folium.TileLayer:
    tiles = folium.TileLayer(
        basemap.url,
        name=f"Basemap: {basemap.name} (online)",
        attr=basemap.attribution,
        subdomains=basemap.subdomains or "abc",
        max_zoom=basemap.max_zoom,
        overlay=True,
        control=True,
    ).add_to(fmap)
    if basemap.labels_url:
        folium.TileLayer(
            basemap.labels_url,
            name=f"Basemap labels: {basemap.name} (online)",
            attr=basemap.attribution,
            subdomains=basemap.subdomains,
            max_zoom=basemap.max_zoom,
            overlay=True,
        ).add_to(fmap)
    return tiles


class _OpaqueWhenTilesFail(MacroElement):
    """Turns the relief opaque once the basemap's tiles fail to load (offline), so the land still shows."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.tiles.get_name() }}.once("tileerror", function () {
            {{ this.relief.get_name() }}.setOpacity(1);
        });
        {% endmacro %}
        """
    )

    def __init__(self, tiles: folium.TileLayer, relief: folium.raster_layers.ImageOverlay) -> None:
        super().__init__()
        self._name = "OpaqueWhenTilesFail"
        self.tiles = tiles
        self.relief = relief


def _add_relief(fmap: folium.Map, relief: ReliefImage, gcj02: bool, tiles: folium.TileLayer | None) -> None:
    lon, lat = np.array([relief.west, relief.east]), np.array([relief.south, relief.north])
    if gcj02:  # the offset barely changes across a region: shifting the corners is enough
        lon, lat = wgs84_to_gcj02(lon, lat)
    encoded = base64.b64encode(relief.png).decode("ascii")
    image = folium.raster_layers.ImageOverlay(
        f"data:image/png;base64,{encoded}",
        bounds=[[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]],
        name=RELIEF_LAYER,
        pixelated=False,
        pane=RELIEF_PANE,
        opacity=1.0 if tiles is None else RELIEF_OPACITY_OVER_BASEMAP,
        interactive=False,
    ).add_to(fmap)
    if tiles is not None:
        fmap.add_child(_OpaqueWhenTilesFail(tiles, image))


def _add_boundary(fmap: folium.Map, boundary: gpd.GeoDataFrame, land_fill: bool) -> None:
    # With neither basemap nor relief the region is filled as land, so its shape reads against the background.
    style = {"color": BOUNDARY_COLOUR, "weight": 2, "fillColor": LAND_COLOUR, "fillOpacity": 1 if land_fill else 0}
    folium.GeoJson(
        _feature_collection(boundary, [{}] * len(boundary)),
        name="Boundary",
        style_function=lambda _: style,
        interactive=False,
    ).add_to(fmap)


def _road_group(highway: str) -> str:
    if highway in MAIN_ROADS:
        return "main"
    if highway in TRACKS:
        return "track"
    return "path" if highway in PATHS else "minor"


def _add_roads(fmap: folium.Map, roads: gpd.GeoDataFrame) -> None:
    # Drawn over the demand cells, which still take the clicks: the roads explain the minutes.
    properties = [{"group": _road_group(str(highway))} for highway in roads["highway"]]

    def style(feature: dict) -> dict:
        road = ROAD_STYLES[feature["properties"]["group"]]
        return {"color": road.colour, "weight": road.weight, "dashArray": road.dash, "opacity": 0.9}

    folium.GeoJson(
        _feature_collection(roads, properties), name="Roads", style_function=style, interactive=False
    ).add_to(fmap)


@dataclass(frozen=True)
class CellTheme:
    """One way of colouring the demand cells: a layer of the map and a section of its legend."""

    key: str
    name: str
    classes: tuple[MinutesClass, ...]
    cell_class: np.ndarray
    show: bool
    note: str = ""


def _cell_themes(
    demand: gpd.GeoDataFrame, clinic_standard: float, centre_standard: float, cell_size_m: float | None
) -> list[CellTheme]:
    """Minutes to the village clinic (shown), to the township centre, and people per km²."""
    density = demand["population"].to_numpy(dtype=float) / (_cell_spacing_m(demand, cell_size_m) ** 2 / 1e6)
    return [
        CellTheme(
            "minutes",
            CELL_LAYERS["minutes"],
            minutes_classes(clinic_standard),
            classify_cells(demand, clinic_standard),
            show=True,
        ),
        CellTheme(
            "centre-minutes",
            CELL_LAYERS["centre-minutes"],
            minutes_classes(centre_standard, TOWNSHIP_CENTRE),
            classify_minutes(demand["centre_minutes"].to_numpy(dtype=float), centre_standard),
            show=False,
        ),
        CellTheme(
            "density",
            CELL_LAYERS["density"],
            DENSITY_CLASSES,
            np.searchsorted(DENSITY_BREAKS, density, side="right"),
            show=False,
            note="people in the cell ÷ its area",
        ),
    ]


class _SharedData(MacroElement):
    """A GeoJSON object defined once in the page, for several layers to draw."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.data|tojson }};
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__()
        self._name = "SharedData"
        self.data = data


class _CellLayer(Layer):
    """Demand cells as circles on the ground, coloured by one theme's class, from :class:`_SharedData`."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.cells.get_name() }}, {
            pointToLayer: function (feature, latlng) {
                const p = feature.properties;
                return L.circle(latlng, Object.assign(
                    {radius: p.radius, fillColor: {{ this.colours|tojson }}[p.classes[{{ this.index }}]]},
                    {{ this.style|tojson }}));
            },
            onEachFeature: {{ this.bind }}
        });
        {% endmacro %}
        """
    )

    def __init__(self, cells: _SharedData, index: int, theme: CellTheme) -> None:
        super().__init__(name=theme.name, overlay=True, control=True, show=theme.show)
        self._name = "CellLayer"
        self.cells = cells
        self.index = index
        self.colours = [c.colour for c in theme.classes]
        self.style = {"color": CELL_STROKE, "weight": 0.5, "fill": True, "fillOpacity": 0.85}
        self.bind = BIND_FEATURE.js_code


def _add_demand(
    fmap: folium.Map,
    demand: gpd.GeoDataFrame,
    themes: list[CellTheme],
    radius: np.ndarray,
    standards: Mapping[str, Any],
    modes: Mapping[str, str],
) -> None:
    clinic_standard = fmt.minutes(standards.get("village_clinic_max_minutes"))
    centre_standard = fmt.minutes(standards.get("township_centre_max_minutes"))
    people = demand["population"].to_numpy(dtype=float)
    clinic_classes = themes[0].classes

    properties = []
    columns = (
        "cell_id",
        "clinic_minutes",
        "clinic_name",
        "centre_minutes",
        "centre_name",
        "off_network",
        "cut_off",
        "elevation_m",
    )
    classes = np.column_stack([t.cell_class for t in themes]) if len(demand) else np.zeros((0, len(themes)))
    cells = zip(*(demand[c].to_numpy() for c in columns), people, radius, classes, strict=True)
    for cell, clinic_min, clinic, centre_min, centre, off_network, cut_off, elevation, n, r, k in cells:
        if fmt.finite(clinic_min) is not None:
            clinic_text = f"{fmt.text(clinic)} · {fmt.minutes(clinic_min)} {_mode(modes, VILLAGE_CLINIC)}".rstrip()
            tooltip = f"{fmt.people(n)} people · {fmt.minutes(clinic_min)} to {fmt.text(clinic)}"
        else:
            reach = "no possible site" if clinic_classes[k[0]].key == "uncoverable" else "no village clinic"
            clinic_text = f"none: {reach} within {clinic_standard}"
            tooltip = f"{fmt.people(n)} people · {reach} within {clinic_standard}"
        if fmt.finite(centre_min) is not None:
            centre_text = f"{fmt.text(centre)} · {fmt.minutes(centre_min)} {_mode(modes, TOWNSHIP_CENTRE)}".rstrip()
        else:
            centre_text = f"none within {centre_standard}"
        rows = [
            ("People", fmt.people(n)),
            ("Village clinic", clinic_text),
            ("Township centre", centre_text),
            ("People per km²", themes[2].classes[k[2]].label),
            ("Elevation", fmt.metres(elevation)),
        ]
        note = "Off the road network: too far to walk to any road." if off_network else ""
        if cut_off:
            note = "Cut off: the closures in this scenario cut its roads from the rest of the network."
        properties.append(
            {
                "classes": [int(c) for c in k],
                "radius": float(r),
                "tooltip": tooltip,
                "popup": _popup(f"Demand cell {fmt.text(cell)}", rows, reason=note),
            }
        )
    cells_data = _SharedData(_feature_collection(demand, properties))
    fmap.add_child(cells_data)
    # Added in reverse so the clinic minutes, the layer shown at start, lie on top and take the clicks.
    for index in reversed(range(len(themes))):
        fmap.add_child(_CellLayer(cells_data, index, themes[index]))


def _cell_spacing_m(demand: gpd.GeoDataFrame, cell_size_m: float | None) -> float:
    """The side of a demand cell: the scenario's, or the median distance between neighbouring points."""
    if cell_size_m:
        return float(cell_size_m)
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    if len(xy) > 1:
        distance, _ = cKDTree(xy).query(xy, k=2)
        return float(np.median(distance[:, 1])) or DEFAULT_CELL_SPACING_M
    return DEFAULT_CELL_SPACING_M


def _cell_areas(demand: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, cell_size_m: float | None) -> gpd.GeoDataFrame:
    """Catchment polygons of each clinic and the areas no clinic reaches within the standard.

    Each demand cell is drawn as its Voronoi region, cut to a square a little wider than a cell around its
    point (so empty land between settlements is not claimed) and to the region; cells are dissolved by
    clinic. Rows: ``kind`` (``catchment`` | ``beyond`` | ``uncoverable``), ``site_id``, ``population``.
    """
    columns = ["kind", "site_id", "population"]
    if len(demand) == 0:
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=demand.crs)
    half = 0.6 * _cell_spacing_m(demand, cell_size_m)
    points = demand.geometry.to_numpy()
    region = shapely.union_all(boundary.geometry.to_numpy())
    if len(points) > 1:
        voronoi = shapely.get_parts(
            shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=region, ordered=True)
        )
    else:
        voronoi = np.array([region])
    x, y = shapely.get_x(points), shapely.get_y(points)
    squares = shapely.box(x - half, y - half, x + half, y + half)
    cells = shapely.intersection(shapely.intersection(voronoi, squares), region)
    kind = np.where(
        demand["uncoverable"].to_numpy(dtype=bool),
        "uncoverable",
        np.where(demand["clinic_site_id"].to_numpy(dtype=str) == "", "beyond", "catchment"),
    )
    frame = gpd.GeoDataFrame(
        {"kind": kind, "site_id": demand["clinic_site_id"].to_numpy(dtype=str), "population": demand["population"]},
        geometry=cells,
        crs=demand.crs,
    )
    frame.loc[frame["kind"] != "catchment", "site_id"] = ""
    dissolved = frame.dissolve(by=["kind", "site_id"], aggfunc={"population": "sum"}, as_index=False)
    return dissolved[[*columns, "geometry"]]


def circle_radius_m(
    demand: gpd.GeoDataFrame, people: np.ndarray, full_circle_people: float, cell_size_m: float | None = None
) -> np.ndarray:
    """Radius of each cell's circle in metres, scaled to the spacing between demand cells."""
    spacing = _cell_spacing_m(demand, cell_size_m)
    share = np.clip(np.nan_to_num(people) / full_circle_people, 0, 1) if full_circle_people > 0 else 1.0
    return spacing * LARGEST_CIRCLE_SPACINGS * np.maximum(np.sqrt(share), SMALLEST_CIRCLE_SHARE)


def _add_areas(
    fmap: folium.Map, areas: gpd.GeoDataFrame, gcj02: bool, clinic_standard: float, names: Mapping[str, str]
) -> None:
    """Catchments (off at start) and the areas beyond the clinic standard, under the cells."""
    shown = _lonlat(areas, gcj02)
    catchments = shown[shown["kind"] == "catchment"]
    beyond = shown[shown["kind"] != "catchment"]
    properties = [
        {"tooltip": f"Catchment of {fmt.text(names.get(site, site))}: {fmt.people(n)} people"}
        for site, n in zip(catchments["site_id"], catchments["population"], strict=True)
    ]
    folium.GeoJson(
        _feature_collection(catchments, properties),
        name=CATCHMENT_LAYER,
        show=False,
        style_function=lambda _: CATCHMENT_STYLE,
        on_each_feature=BIND_FEATURE,
    ).add_to(fmap)
    standard = fmt.minutes(clinic_standard)
    properties = [
        {
            "style": UNCOVERABLE_AREA_STYLE if kind == "uncoverable" else BEYOND_AREA_STYLE,
            "tooltip": f"{fmt.people(n)} people: "
            + (
                f"no possible site within {standard}"
                if kind == "uncoverable"
                else f"no village clinic within {standard}"
            ),
        }
        for kind, n in zip(beyond["kind"], beyond["population"], strict=True)
    ]
    folium.GeoJson(_feature_collection(beyond, properties), name=BEYOND_LAYER, on_each_feature=BIND_FEATURE).add_to(
        fmap
    )


def _add_merges(fmap: folium.Map, facilities: gpd.GeoDataFrame) -> None:
    """A line from each closed clinic to the clinic most of its people use now."""
    at = dict(zip(facilities["site_id"], facilities.geometry, strict=True))
    closed = facilities[(facilities["decision"] == "close") & facilities["merged_into_id"].isin(at)]
    lines = gpd.GeoDataFrame(
        {"reason": closed["reason"].to_numpy()},
        geometry=[
            shapely.LineString([p, at[target]])
            for p, target in zip(closed.geometry, closed["merged_into_id"], strict=True)
        ],
        crs=facilities.crs,
    )
    properties = [
        {"tooltip": f"{fmt.text(name)} → {fmt.text(into)}: {fmt.text(reason)}"}
        for name, into, reason in zip(closed["name"], closed["merged_into"], closed["reason"], strict=True)
    ]
    folium.GeoJson(
        _feature_collection(lines, properties),
        name=MERGE_LAYER,
        style_function=lambda _: MERGE_STYLE,
        on_each_feature=BIND_FEATURE,
    ).add_to(fmap)


def _add_existing(fmap: folium.Map, facilities: gpd.GeoDataFrame) -> None:
    """Today's facilities by tier, before any decision (off at start: the decisions layers show them too)."""
    for tier, symbol in EXISTING_SYMBOLS.items():
        chosen = facilities[(facilities["origin"] == "existing") & (facilities["tier"] == tier)]
        properties = [{"tooltip": f"{fmt.text(name)} — existing {TIER_NAMES[tier]} (today)"} for name in chosen["name"]]
        folium.GeoJson(
            _feature_collection(chosen, properties),
            name=f"{symbol.label} ({len(chosen)})",
            show=False,
            marker=folium.Marker(icon=_div_icon(symbol)),
            on_each_feature=BIND_FEATURE,
        ).add_to(fmap)


def _div_icon(symbol: FacilitySymbol) -> folium.DivIcon:
    return folium.DivIcon(
        html=symbol.svg,
        icon_size=(symbol.size, symbol.size),
        icon_anchor=(symbol.size // 2, symbol.size // 2),
        class_name="fl-symbol",
    )


def _add_assignments(fmap: folium.Map, assignments: gpd.GeoDataFrame, names: Mapping[str, str]) -> None:
    properties = [
        {"tooltip": f"{fmt.people(n)} people → {fmt.text(names.get(site, site))}: {fmt.minutes(minutes)}"}
        for site, n, minutes in zip(
            assignments["site_id"], assignments["population"], assignments["minutes"], strict=True
        )
    ]
    folium.GeoJson(
        _feature_collection(assignments, properties),
        name="Assignments: demand cell → village clinic",
        show=False,
        style_function=lambda _: ASSIGNMENT_STYLE,
        on_each_feature=BIND_FEATURE,
    ).add_to(fmap)


def _add_referrals(fmap: folium.Map, referrals: gpd.GeoDataFrame, names: Mapping[str, str]) -> None:
    properties = [
        {
            "tooltip": f"{fmt.text(names.get(clinic, clinic))} refers to {fmt.text(names.get(centre, centre))}: "
            f"{fmt.minutes(minutes)}"
        }
        for clinic, centre, minutes in zip(
            referrals["site_id"], referrals["centre_id"], referrals["minutes"], strict=True
        )
    ]
    folium.GeoJson(
        _feature_collection(referrals, properties),
        name="Referrals: village clinic → township centre",
        style_function=lambda _: REFERRAL_STYLE,
        on_each_feature=BIND_FEATURE,
    ).add_to(fmap)


def _add_facilities(
    fmap: folium.Map,
    facilities: gpd.GeoDataFrame,
    assignments: gpd.GeoDataFrame,
    classes: tuple[MinutesClass, ...],
    clinic_standard: float,
    modes: Mapping[str, str],
) -> dict[tuple[str, str], int]:
    """One layer per tier and decision; returns how many facilities each holds."""
    known = {(s.tier, s.decision) for s in FACILITY_SYMBOLS}
    pairs = set(zip(facilities["tier"], facilities["decision"], strict=True))
    if pairs - known:
        raise ValueError(f"facilities with a tier and decision the map cannot draw: {sorted(pairs - known)}")
    # People per minutes class among each facility's assigned cells, for the popup's bar chart.
    minutes = assignments["minutes"].to_numpy(dtype=float)
    assigned_class = classify_minutes(minutes, clinic_standard)
    by_site: dict[str, np.ndarray] = {}
    for site, k, n in zip(assignments["site_id"], assigned_class, assignments["population"], strict=True):
        by_site.setdefault(site, np.zeros(len(classes)))[k] += float(n)
    counts = {}
    for symbol in FACILITY_SYMBOLS:
        chosen = facilities[(facilities["tier"] == symbol.tier) & (facilities["decision"] == symbol.decision)]
        counts[symbol.tier, symbol.decision] = len(chosen)
        properties = [
            {
                "tooltip": f"{fmt.text(f['name'])} — {symbol.label.lower()}",
                "popup": _facility_popup(f, symbol, modes, _minutes_chart(by_site.get(f["site_id"]), classes)),
            }
            for f in chosen.drop(columns="geometry").to_dict("records")
        ]
        folium.GeoJson(
            _feature_collection(chosen, properties),
            name=f"{symbol.label} ({len(chosen)})",
            marker=folium.Marker(icon=_div_icon(symbol)),
            on_each_feature=BIND_FEATURE,
        ).add_to(fmap)
    return counts


def _facility_popup(
    facility: Mapping[str, Any], symbol: FacilitySymbol, modes: Mapping[str, str], chart: str
) -> dict[str, Any]:
    columns = {"mean": "mean_minutes", "p95": "p95_minutes", "max": "max_minutes"}
    if any(fmt.finite(facility[column]) is not None for column in columns.values()):
        figures = " · ".join(f"{label} {fmt.minutes(facility[c])}" for label, c in columns.items())
    else:
        figures = fmt.MISSING
    rows = [
        ("Tier", TIER_NAMES.get(facility["tier"], fmt.text(facility["tier"]))),
        ("People served", fmt.people(facility["population_served"])),
        (f"Minutes for them {_mode(modes, VILLAGE_CLINIC)}".strip(), figures),
    ]
    if chart:
        rows.append(("How far they live", chart))
    if fmt.text(facility["referral_centre"]):
        referral = (
            f"{fmt.text(facility['referral_centre'])} · {fmt.minutes(facility['referral_minutes'])} "
            f"{_mode(modes, 'referral')}"
        ).strip()
        rows.append(("Refers to", referral))
    if fmt.text(facility["merged_into"]):
        rows.append(("Merged into", fmt.text(facility["merged_into"])))
    origin = "new site" if facility["origin"] == "new" else "existing"
    rows += [
        ("Elevation", fmt.metres(facility["elevation_m"])),
        ("Cost", fmt.number(facility["cost"])),
        ("Site", f"{fmt.text(facility['site_id'])} ({origin})"),
    ]
    return _popup(fmt.text(facility["name"]), rows, status=symbol.label, reason=fmt.text(facility["reason"]))


def _minutes_chart(people: np.ndarray | None, classes: tuple[MinutesClass, ...]) -> str:
    """People per minutes class as small horizontal bars, in the legend's colours ('' for nobody)."""
    if people is None or people.sum() <= 0:
        return ""
    width, bar, gap = 120, 9, 3
    rows = []
    for k, (n, cls) in enumerate((n, c) for n, c in zip(people, classes, strict=True) if n > 0):
        y = k * (bar + gap)
        length = max(1.0, width * n / people.sum())
        rows.append(
            f'<rect x="0" y="{y}" width="{length:.1f}" height="{bar}" fill="{cls.colour}" stroke="{CELL_STROKE}" '
            f'stroke-width="0.4"><title>{cls.label}: {fmt.people(n)} people</title></rect>'
            f'<text x="{width + 4}" y="{y + bar - 1}" font-size="10">{fmt.people(n)} · {cls.label}</text>'
        )
    height = len(rows) * (bar + gap)
    return f'<svg class="fl-chart" width="300" height="{height}" viewBox="0 0 300 {height}">{"".join(rows)}</svg>'


def _mode(modes: Mapping[str, str], tier: str) -> str:
    """How people travel to ``tier`` ("on foot", …), from the run's travel settings; '' if unknown."""
    return html.escape(modes.get(tier, ""))


def _popup(title: str, rows: list[tuple[str, str]], *, status: str = "", reason: str = "") -> dict[str, Any]:
    """The parts of a popup, already HTML, for :data:`BIND_FEATURE` to assemble."""
    return {"title": title, "status": status, "reason": reason, "rows": rows}


def _feature_collection(frame: gpd.GeoDataFrame, properties: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON in lon/lat, coordinates rounded to about a metre to keep the page small."""
    geometries = shapely.transform(
        frame.geometry.to_crs(WGS84).to_numpy(), lambda xy: np.round(xy, COORDINATE_DECIMALS)
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": mapping(geometry), "properties": props}
            for geometry, props in zip(geometries, properties, strict=True)
        ],
    }


# --- minutes classes ----------------------------------------------------------------------------------


def minutes_classes(standard: float, tier: str = VILLAGE_CLINIC) -> tuple[MinutesClass, ...]:
    """Thirds of a tier's standard, then beyond it; for clinics also cells no possible site can reach.

    The map's legend, its layers and the comparison report all class minutes with these.
    """
    first, second = standard / 3, 2 * standard / 3
    classes = (
        MinutesClass("within-1", f"≤ {fmt.num(first)} min", WITHIN_STANDARD_COLOURS[0]),
        MinutesClass("within-2", f"{fmt.num(first)}–{fmt.num(second)} min", WITHIN_STANDARD_COLOURS[1]),
        MinutesClass(
            "within-3", f"{fmt.num(second)}–{fmt.num(standard)} min (the standard)", WITHIN_STANDARD_COLOURS[2]
        ),
        MinutesClass("beyond", f"no {TIER_NAMES[tier]} within {fmt.num(standard)} min", BEYOND_STANDARD_COLOUR),
    )
    if tier != VILLAGE_CLINIC:
        return classes
    return (
        *classes,
        MinutesClass(
            "uncoverable",
            f"cannot be reached within {fmt.num(standard)} min from any possible site",
            UNCOVERABLE_COLOUR,
        ),
    )


def classify_minutes(minutes: np.ndarray, standard: float, uncoverable: np.ndarray | None = None) -> np.ndarray:
    """Index into :func:`minutes_classes` of each travel time (NaN: none within the standard)."""
    minutes = np.asarray(minutes, dtype=float)
    uncoverable = np.zeros(len(minutes), dtype=bool) if uncoverable is None else np.asarray(uncoverable, dtype=bool)
    return np.select(
        [uncoverable, ~(minutes <= standard), minutes <= standard / 3, minutes <= 2 * standard / 3],
        [4, 3, 0, 1],
        default=2,
    )


def classify_cells(demand: gpd.GeoDataFrame, standard: float) -> np.ndarray:
    """Index into :func:`minutes_classes` of each demand cell's minutes to its village clinic."""
    return classify_minutes(demand["clinic_minutes"].to_numpy(dtype=float), standard, demand["uncoverable"])


# --- panels -------------------------------------------------------------------------------------------


def _headline_panel(title: str, summary: Mapping[str, Any]) -> str:
    total = fmt.finite(summary.get("population_total"))
    covered = summary.get("population_covered") or {}
    minutes = summary.get("travel_minutes") or {}
    standards = summary.get("standards") or {}
    facilities = summary.get("facilities") or {}
    clinics = facilities.get(VILLAGE_CLINIC) or {}
    centres = facilities.get(TOWNSHIP_CENTRE) or {}

    def coverage(tier: str, standard_key: str) -> tuple[str, str]:
        figures = minutes.get(tier) or {}
        spread = " · ".join(f"{k} {fmt.minutes(figures.get(k))}" for k in ("mean", "p95", "max"))
        label = f"Within {fmt.minutes(standards.get(standard_key))} of a {TIER_NAMES[tier]}"
        return f'{label}<span class="fl-note">{spread}</span>', fmt.share(covered.get(tier), total)

    rows = [
        ("People in the region", fmt.people(total)),
        coverage(VILLAGE_CLINIC, "village_clinic_max_minutes"),
        coverage(TOWNSHIP_CENTRE, "township_centre_max_minutes"),
        (
            'Cannot be covered<span class="fl-note">no possible site within the clinic standard</span>',
            fmt.share(summary.get("population_uncoverable"), total),
        ),
        (
            "Village clinics",
            f"{fmt.count(clinics.get('keep'))} kept · {fmt.count(clinics.get('close'))} closed · "
            f"{fmt.count(clinics.get('build'))} built",
        ),
        (
            "Township centres",
            f"{fmt.count(centres.get('keep'))} kept · {fmt.count(centres.get('upgrade'))} upgraded to central",
        ),
        ("Cost", fmt.number(summary.get("cost"))),
    ]
    travel = summary.get("travel") or {}
    if travel.get("modes"):
        words = {tier: MODE_WORDS.get(mode, mode) for tier, mode in travel["modes"].items()}
        rows.append(
            (
                "Travel",
                html.escape(
                    f"to clinics {words.get(VILLAGE_CLINIC)} · to centres {words.get(TOWNSHIP_CENTRE)} · "
                    f"referrals {words.get('referral')}"
                ),
            )
        )
    if travel.get("conditions"):
        closed = sum((travel.get("closed_road_segments") or {}).values())
        cut = (travel.get("cut_off") or {}).get("population")
        rows.append(
            (
                f'Conditions<span class="fl-note">{html.escape(", ".join(travel["conditions"]))}</span>',
                f"{fmt.count(closed)} road segments closed · {fmt.people(cut)} people cut off",
            )
        )
    return (
        f'<div id="fl-headline" class="fl-panel"><h1>{html.escape(title)}</h1>{_table(rows)}'
        f"{_solver_line(summary.get('solver') or {})}</div>"
    )


def _solver_line(solver: Mapping[str, Any]) -> str:
    """Whether the layout is proven optimal, and how far off it might be if not."""
    name = " ".join(html.escape(str(solver[k])) for k in ("name", "status") if solver.get(k))
    proven = solver.get("proven_optimal")
    if proven is True:
        verdict, css = "proven optimal", "fl-ok"
    elif proven is False:
        gap = fmt.finite(solver.get("gap"))
        verdict, css = f"NOT proven optimal (gap {fmt.MISSING if gap is None else f'{gap:.2%}'})", "fl-warn"
    else:
        verdict, css = "optimality not reported", "fl-warn"
    return f'<div class="fl-solver {css}">Solver{f" ({name})" if name else ""}: {verdict}</div>'


def _legend(
    themes: list[CellTheme],
    people: np.ndarray,
    facility_counts: Mapping[tuple[str, str], int],
    full_circle_people: float,
    relief: ReliefImage | None,
    areas: gpd.GeoDataFrame,
) -> str:
    facilities = [
        _legend_row(
            f"facility:{s.tier}:{s.decision}", s.svg, s.label, fmt.count(facility_counts.get((s.tier, s.decision)))
        )
        for s in FACILITY_SYMBOLS
    ]
    facilities += [_legend_row(f"existing:{tier}", s.svg, s.label) for tier, s in EXISTING_SYMBOLS.items()]
    sections = [f"<h4>Facilities</h4>{''.join(facilities)}"]
    for theme in themes:
        rows = [
            _legend_row(
                f"{theme.key}:{c.key}",
                _circle_svg(c.colour),
                c.label,
                f"{fmt.people(people[theme.cell_class == k].sum())}",
            )
            for k, c in enumerate(theme.classes)
        ]
        off = "" if theme.show else " (layer off at start)"
        note = f'<span class="fl-note">{theme.note}</span>' if theme.note else ""
        sections.append(
            f'<h4 data-legend-section="{theme.key}">{theme.name.removeprefix("Demand cells: ").capitalize()}'
            f'<span class="fl-note">people per class{off}</span></h4>{"".join(rows)}{note}'
        )
    sections.append(
        f'<span class="fl-note">Circle area grows with the people in the cell, up to the largest '
        f"circles at {fmt.people(full_circle_people)} people or more.</span>"
    )
    area_people = areas.groupby("kind")["population"].sum()
    sections.append(
        "<h4>Areas</h4>"
        + _legend_row(
            "area:beyond",
            _area_svg(BEYOND_AREA_STYLE),
            "Beyond the clinic standard (no village clinic within it)",
            fmt.people(area_people.get("beyond", 0.0)),
        )
        + _legend_row(
            "area:uncoverable",
            _area_svg(UNCOVERABLE_AREA_STYLE),
            "No possible site within the clinic standard",
            fmt.people(area_people.get("uncoverable", 0.0)),
        )
        + _legend_row("area:catchment", _area_svg(CATCHMENT_STYLE), "Catchment of a clinic (layer off at start)")
    )
    lines = [
        _legend_row(
            "line:referral",
            _line_svg(REFERRAL_STYLE["color"], 2.2, REFERRAL_STYLE["dashArray"]),
            "Referral: village clinic → township centre",
        ),
        _legend_row(
            "line:merge",
            _line_svg(MERGE_STYLE["color"], 2.4, MERGE_STYLE["dashArray"]),
            "Merge: closed clinic → the clinic its people use",
        ),
        _legend_row(
            "line:assignment",
            _line_svg(ASSIGNMENT_STYLE["color"], 1, None),
            "Assignment: demand cell → its clinic (layer off at start)",
        ),
        _legend_row("line:boundary", _line_svg(BOUNDARY_COLOUR, 2, None), "Region boundary"),
    ]
    sections.append(f"<h4>Lines</h4>{''.join(lines)}")
    roads = [
        _legend_row(f"road:{key}", _line_svg(style.colour, style.weight, style.dash), style.label)
        for key, style in ROAD_STYLES.items()
    ]
    sections.append(f"<h4>Roads</h4>{''.join(roads)}")
    if relief is not None:
        span = f"{fmt.metres(relief.min_m)} to {fmt.metres(relief.max_m)}"
        sections.append(
            "<h4>Relief</h4>"
            + _legend_row(
                "relief",
                RELIEF_SWATCH,
                f"Elevation model, {span}: tinted by height, shaded with light from the north-west",
            )
        )
    body = "".join(sections)
    return f'<div id="fl-legend" class="fl-panel"><details open><summary>Legend</summary>{body}</details></div>'


def _legend_row(key: str, swatch: str, label: str, count: str = "") -> str:
    count_html = f'<span class="fl-count">{count}</span>' if count else ""
    return f'<div class="fl-legend-row" data-legend="{key}">{swatch}<span>{label}</span>{count_html}</div>'


def _circle_svg(colour: str) -> str:
    return _svg(
        14,
        f'<circle cx="7" cy="7" r="5.5" fill="{colour}" fill-opacity="0.85" '
        f'stroke="{CELL_STROKE}" stroke-width="0.5"/>',
    )


def _area_svg(style: Mapping[str, Any]) -> str:
    dash = f' stroke-dasharray="{style["dashArray"]}"' if style.get("dashArray") else ""
    return _svg(
        16,
        f'<rect x="1.5" y="1.5" width="13" height="13" fill="{style["fillColor"]}" '
        f'fill-opacity="{style["fillOpacity"]}" stroke="{style["color"]}" stroke-width="1.5"{dash}/>',
    )


def _line_svg(colour: str, weight: float, dash: str | None) -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<svg width="26" height="10" viewBox="0 0 26 10"><line x1="1" y1="5" x2="25" y2="5" '
        f'stroke="{colour}" stroke-width="{weight}"{dash_attr}/></svg>'
    )


def _table(rows: list[tuple[str, str]]) -> str:
    """Rows of (label, value), both already HTML."""
    return "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"
