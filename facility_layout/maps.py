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

import html
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, MacroElement
from folium.template import Template
from folium.utilities import JsCode
from scipy.spatial import cKDTree
from shapely.geometry import mapping

from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.scenario import MODE_WORDS, VillageClinicTier
from facility_layout.webassets import leaflet_head

if TYPE_CHECKING:
    from facility_layout.evaluate import LayoutTables

WGS84 = "EPSG:4326"
COORDINATE_DECIMALS = 5  # about 1 m on the ground
# The scenario's default, used if the summary lacks the standard.
DEFAULT_CLINIC_STANDARD_MINUTES = VillageClinicTier.model_fields["max_travel_minutes"].default
MISSING = "–"


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
  .fl-panel td { text-align: right; font-weight: 600; padding: 2px 0; vertical-align: top;
    white-space: nowrap; }
  .fl-note { display: block; font-weight: normal; color: #666; font-size: 11px; }
  #fl-headline { top: 10px; left: 10px; width: 330px; max-height: calc(100% - 110px); overflow: auto; }
  #fl-headline h1 { font-size: 15px; margin: 0 0 6px; }
  .fl-solver { margin-top: 6px; padding: 3px 6px; border-radius: 3px; }
  .fl-ok { background: #e6f4ea; color: #1e5b2e; }
  .fl-warn { background: #fdecea; color: #a4161a; font-weight: 700; }
  #fl-legend { bottom: 34px; right: 10px; width: 290px; max-height: calc(100% - 330px); overflow: auto; }
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
  .fl-popup th { text-align: left; font-weight: normal; color: #555; padding: 1px 10px 1px 0;
    vertical-align: top; }
</style>
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
) -> Path:
    """Write the layout as a self-contained Leaflet HTML map (Leaflet inlined; only the basemap is online).

    Parameters
    ----------
    tables : LayoutTables
        The layout, in the region's metric CRS; reprojected to WGS 84 (lon/lat) for the map.
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

    Returns
    -------
    Path
        ``path``.
    """
    standards = summary.get("standards") or {}
    clinic_standard = _finite(standards.get("village_clinic_max_minutes")) or DEFAULT_CLINIC_STANDARD_MINUTES
    classes = minutes_classes(clinic_standard)
    cell_class = classify_cells(tables.demand, clinic_standard)
    people = tables.demand["population"].to_numpy(dtype=float)
    full_circle_people = float(np.nanquantile(people, FULL_CIRCLE_QUANTILE)) if len(people) else 0.0

    fmap = folium.Map(
        tiles=None, prefer_canvas=True, control_scale=True, zoom_control="bottomleft", zoom_snap=0.5, font_size="13px"
    )
    if not synthetic:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False).add_to(fmap)
    # Leaflet inlined, folium's CDN links (and the jQuery/Bootstrap it loads by default, unused here) dropped.
    fmap.default_js, fmap.default_css = [], []
    root = fmap.get_root()
    root.header.add_child(Element(leaflet_head()), name="leaflet", index=0)
    root.title = html.escape(f"SYNTHETIC — {title}" if synthetic else title)
    root.header.add_child(Element(CSS))

    _add_boundary(fmap, tables.boundary, synthetic)
    modes = {
        tier: MODE_WORDS.get(mode, "") for tier, mode in ((summary.get("travel") or {}).get("modes") or {}).items()
    }
    _add_demand(fmap, tables.demand, cell_class, classes, full_circle_people, standards, modes)
    _add_roads(fmap, tables.roads)
    names = dict(zip(tables.facilities["site_id"], tables.facilities["name"], strict=True))
    _add_assignments(fmap, tables.assignments, names)
    _add_referrals(fmap, tables.referrals, names)
    counts = _add_facilities(fmap, tables.facilities, modes)
    folium.LayerControl(position="topright", collapsed=False).add_to(fmap)

    class_people = [float(people[cell_class == k].sum()) for k in range(len(classes))]
    root.html.add_child(Element(_headline_panel(title, summary)))
    root.html.add_child(Element(_legend(classes, class_people, counts, full_circle_people)))
    if synthetic:
        banner = f'<div id="fl-synthetic-banner" class="fl-panel">{SYNTHETIC_BANNER}</div>'
        root.html.add_child(Element(banner))
    if attributions:
        fmap.add_child(_Attribution(" | ".join(html.escape(line) for line in attributions)))

    west, south, east, north = tables.boundary.to_crs(WGS84).total_bounds
    fmap.fit_bounds([[south, west], [north, east]])
    fmap.save(str(path))
    return path


# --- layers -------------------------------------------------------------------------------------------


def _add_boundary(fmap: folium.Map, boundary: gpd.GeoDataFrame, synthetic: bool) -> None:
    # Without a basemap the region is filled as land, so its shape reads against the background.
    fill = 1 if synthetic else 0
    style = {"color": BOUNDARY_COLOUR, "weight": 2, "fillColor": LAND_COLOUR, "fillOpacity": fill}
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


def _add_demand(
    fmap: folium.Map,
    demand: gpd.GeoDataFrame,
    cell_class: np.ndarray,
    classes: tuple[MinutesClass, ...],
    full_circle_people: float,
    standards: Mapping[str, Any],
    modes: Mapping[str, str],
) -> None:
    clinic_standard = _minutes_text(standards.get("village_clinic_max_minutes"))
    centre_standard = _minutes_text(standards.get("township_centre_max_minutes"))
    people = demand["population"].to_numpy(dtype=float)
    radius = np.round(circle_radius_m(demand, people, full_circle_people), 1)

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
    cells = zip(*(demand[c].to_numpy() for c in columns), people, radius, cell_class, strict=True)
    for cell, clinic_min, clinic, centre_min, centre, off_network, cut_off, elevation, n, r, k in cells:
        if _finite(clinic_min) is not None:
            clinic_text = f"{_text(clinic)} · {_minutes_text(clinic_min)} {_mode(modes, VILLAGE_CLINIC)}".rstrip()
            tooltip = f"{_people(n)} people · {_minutes_text(clinic_min)} to {_text(clinic)}"
        else:
            reach = "no possible site" if classes[k].key == "uncoverable" else "no village clinic"
            clinic_text = f"none: {reach} within {clinic_standard}"
            tooltip = f"{_people(n)} people · {reach} within {clinic_standard}"
        if _finite(centre_min) is not None:
            centre_text = f"{_text(centre)} · {_minutes_text(centre_min)} {_mode(modes, TOWNSHIP_CENTRE)}".rstrip()
        else:
            centre_text = f"none within {centre_standard}"
        rows = [
            ("People", _people(n)),
            ("Village clinic", clinic_text),
            ("Township centre", centre_text),
            ("Elevation", _metres(elevation)),
        ]
        note = "Off the road network: too far to walk to any road." if off_network else ""
        if cut_off:
            note = "Cut off: the closures in this scenario cut its roads from the rest of the network."
        properties.append(
            {
                "style": {"fillColor": classes[k].colour},
                "radius": float(r),
                "tooltip": tooltip,
                "popup": _popup(f"Demand cell {_text(cell)}", rows, reason=note),
            }
        )
    folium.GeoJson(
        _feature_collection(demand, properties),
        name="Demand cells: minutes to village clinic",
        marker=folium.Circle(color=CELL_STROKE, weight=0.5, fill=True, fill_opacity=0.85),
        on_each_feature=BIND_FEATURE,
    ).add_to(fmap)


def circle_radius_m(demand: gpd.GeoDataFrame, people: np.ndarray, full_circle_people: float) -> np.ndarray:
    """Radius of each cell's circle in metres, scaled to the spacing between demand points."""
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    if len(xy) > 1:
        distance, _ = cKDTree(xy).query(xy, k=2)
        spacing = float(np.median(distance[:, 1])) or DEFAULT_CELL_SPACING_M
    else:
        spacing = DEFAULT_CELL_SPACING_M
    share = np.clip(np.nan_to_num(people) / full_circle_people, 0, 1) if full_circle_people > 0 else 1.0
    return spacing * LARGEST_CIRCLE_SPACINGS * np.maximum(np.sqrt(share), SMALLEST_CIRCLE_SHARE)


def _add_assignments(fmap: folium.Map, assignments: gpd.GeoDataFrame, names: Mapping[str, str]) -> None:
    properties = [
        {"tooltip": f"{_people(n)} people → {_text(names.get(site, site))}: {_minutes_text(minutes)}"}
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
            "tooltip": f"{_text(names.get(clinic, clinic))} refers to {_text(names.get(centre, centre))}: "
            f"{_minutes_text(minutes)}"
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
    fmap: folium.Map, facilities: gpd.GeoDataFrame, modes: Mapping[str, str]
) -> dict[tuple[str, str], int]:
    """One layer per tier and decision; returns how many facilities each holds."""
    known = {(s.tier, s.decision) for s in FACILITY_SYMBOLS}
    pairs = set(zip(facilities["tier"], facilities["decision"], strict=True))
    if pairs - known:
        raise ValueError(f"facilities with a tier and decision the map cannot draw: {sorted(pairs - known)}")
    counts = {}
    for symbol in FACILITY_SYMBOLS:
        chosen = facilities[(facilities["tier"] == symbol.tier) & (facilities["decision"] == symbol.decision)]
        counts[symbol.tier, symbol.decision] = len(chosen)
        properties = [
            {"tooltip": f"{_text(f['name'])} — {symbol.label.lower()}", "popup": _facility_popup(f, symbol, modes)}
            for f in chosen.drop(columns="geometry").to_dict("records")
        ]
        icon = folium.DivIcon(
            html=symbol.svg,
            icon_size=(symbol.size, symbol.size),
            icon_anchor=(symbol.size // 2, symbol.size // 2),
            class_name="fl-symbol",
        )
        folium.GeoJson(
            _feature_collection(chosen, properties),
            name=f"{symbol.label} ({len(chosen)})",
            marker=folium.Marker(icon=icon),
            on_each_feature=BIND_FEATURE,
        ).add_to(fmap)
    return counts


def _facility_popup(facility: Mapping[str, Any], symbol: FacilitySymbol, modes: Mapping[str, str]) -> dict[str, Any]:
    columns = {"mean": "mean_minutes", "p95": "p95_minutes", "max": "max_minutes"}
    if any(_finite(facility[column]) is not None for column in columns.values()):
        figures = " · ".join(f"{label} {_minutes_text(facility[c])}" for label, c in columns.items())
    else:
        figures = MISSING
    rows = [
        ("People served", _people(facility["population_served"])),
        (f"Minutes for them {_mode(modes, VILLAGE_CLINIC)}".strip(), figures),
    ]
    if _text(facility["referral_centre"]):
        referral = (
            f"{_text(facility['referral_centre'])} · {_minutes_text(facility['referral_minutes'])} "
            f"{_mode(modes, 'referral')}"
        ).strip()
        rows.append(("Refers to", referral))
    if _text(facility["merged_into"]):
        rows.append(("Merged into", _text(facility["merged_into"])))
    origin = "new site" if facility["origin"] == "new" else "existing"
    rows += [
        ("Elevation", _metres(facility["elevation_m"])),
        ("Cost", _number(facility["cost"])),
        ("Site", f"{_text(facility['site_id'])} ({origin})"),
    ]
    return _popup(_text(facility["name"]), rows, status=symbol.label, reason=_text(facility["reason"]))


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


def minutes_classes(standard: float) -> tuple[MinutesClass, ...]:
    """Thirds of the clinic standard, then beyond it, then cells no possible site can reach."""
    first, second = standard / 3, 2 * standard / 3
    return (
        MinutesClass("within-1", f"≤ {_num(first)} min", WITHIN_STANDARD_COLOURS[0]),
        MinutesClass("within-2", f"{_num(first)}–{_num(second)} min", WITHIN_STANDARD_COLOURS[1]),
        MinutesClass("within-3", f"{_num(second)}–{_num(standard)} min (the standard)", WITHIN_STANDARD_COLOURS[2]),
        MinutesClass("beyond", f"no village clinic within {_num(standard)} min", BEYOND_STANDARD_COLOUR),
        MinutesClass(
            "uncoverable", f"cannot be reached within {_num(standard)} min from any possible site", UNCOVERABLE_COLOUR
        ),
    )


def classify_cells(demand: gpd.GeoDataFrame, standard: float) -> np.ndarray:
    """Index into :func:`minutes_classes` of each demand cell."""
    minutes = demand["clinic_minutes"].to_numpy(dtype=float)
    uncoverable = demand["uncoverable"].to_numpy(dtype=bool)
    return np.select(
        [uncoverable, ~(minutes <= standard), minutes <= standard / 3, minutes <= 2 * standard / 3],
        [4, 3, 0, 1],
        default=2,
    )


# --- panels -------------------------------------------------------------------------------------------


def _headline_panel(title: str, summary: Mapping[str, Any]) -> str:
    total = _finite(summary.get("population_total"))
    covered = summary.get("population_covered") or {}
    minutes = summary.get("travel_minutes") or {}
    standards = summary.get("standards") or {}
    facilities = summary.get("facilities") or {}
    clinics = facilities.get(VILLAGE_CLINIC) or {}
    centres = facilities.get(TOWNSHIP_CENTRE) or {}

    def coverage(tier: str, standard_key: str) -> tuple[str, str]:
        figures = minutes.get(tier) or {}
        spread = " · ".join(f"{k} {_minutes_text(figures.get(k))}" for k in ("mean", "p95", "max"))
        label = f"Within {_minutes_text(standards.get(standard_key))} of a {TIER_NAMES[tier]}"
        return f'{label}<span class="fl-note">{spread}</span>', _share(covered.get(tier), total)

    rows = [
        ("People in the region", _people(total)),
        coverage(VILLAGE_CLINIC, "village_clinic_max_minutes"),
        coverage(TOWNSHIP_CENTRE, "township_centre_max_minutes"),
        (
            'Cannot be covered<span class="fl-note">no possible site within the clinic standard</span>',
            _share(summary.get("population_uncoverable"), total),
        ),
        (
            "Village clinics",
            f"{_count(clinics.get('keep'))} kept · {_count(clinics.get('close'))} closed · "
            f"{_count(clinics.get('build'))} built",
        ),
        (
            "Township centres",
            f"{_count(centres.get('keep'))} kept · {_count(centres.get('upgrade'))} upgraded to central",
        ),
        ("Cost", _number(summary.get("cost"))),
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
                f"{_count(closed)} road segments closed · {_people(cut)} people cut off",
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
        gap = _finite(solver.get("gap"))
        verdict, css = f"NOT proven optimal (gap {MISSING if gap is None else f'{gap:.2%}'})", "fl-warn"
    else:
        verdict, css = "optimality not reported", "fl-warn"
    return f'<div class="fl-solver {css}">Solver{f" ({name})" if name else ""}: {verdict}</div>'


def _legend(
    classes: tuple[MinutesClass, ...],
    class_people: list[float],
    facility_counts: Mapping[tuple[str, str], int],
    full_circle_people: float,
) -> str:
    facilities = [
        _legend_row(
            f"facility:{s.tier}:{s.decision}", s.svg, s.label, _count(facility_counts.get((s.tier, s.decision)))
        )
        for s in FACILITY_SYMBOLS
    ]
    cells = [
        _legend_row(f"minutes:{c.key}", _circle_svg(c.colour), c.label, f"{_people(n)} people")
        for c, n in zip(classes, class_people, strict=True)
    ]
    lines = [
        _legend_row(
            "line:referral",
            _line_svg(REFERRAL_STYLE["color"], 2.2, REFERRAL_STYLE["dashArray"]),
            "Referral: village clinic → township centre",
        ),
        _legend_row(
            "line:assignment",
            _line_svg(ASSIGNMENT_STYLE["color"], 1, None),
            "Assignment: demand cell → its clinic (layer off at start)",
        ),
        _legend_row("line:boundary", _line_svg(BOUNDARY_COLOUR, 2, None), "Region boundary"),
    ]
    roads = [
        _legend_row(f"road:{key}", _line_svg(style.colour, style.weight, style.dash), style.label)
        for key, style in ROAD_STYLES.items()
    ]
    size_note = (
        f'<span class="fl-note">Circle area grows with the people in the cell, up to the largest '
        f"circles at {_people(full_circle_people)} people or more.</span>"
    )
    return (
        '<div id="fl-legend" class="fl-panel"><details open><summary>Legend</summary>'
        f"<h4>Facilities</h4>{''.join(facilities)}"
        f"<h4>Demand cells: minutes to village clinic</h4>{''.join(cells)}{size_note}"
        f"<h4>Lines</h4>{''.join(lines)}<h4>Roads</h4>{''.join(roads)}</details></div>"
    )


def _legend_row(key: str, swatch: str, label: str, count: str = "") -> str:
    count_html = f'<span class="fl-count">{count}</span>' if count else ""
    return f'<div class="fl-legend-row" data-legend="{key}">{swatch}<span>{label}</span>{count_html}</div>'


def _circle_svg(colour: str) -> str:
    return _svg(
        14,
        f'<circle cx="7" cy="7" r="5.5" fill="{colour}" fill-opacity="0.85" '
        f'stroke="{CELL_STROKE}" stroke-width="0.5"/>',
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


# --- text ---------------------------------------------------------------------------------------------


def _finite(value: Any) -> float | None:
    """The value as a float, or None if it is missing, not a number or not finite."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    """Input text, HTML-escaped; '' for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value))


def _num(value: float) -> str:
    return f"{round(value, 1):g}"


def _formatted(value: Any, template: str) -> str:
    """``template`` filled with the value as a number, or the missing-value mark."""
    number = _finite(value)
    return MISSING if number is None else template.format(number)


def _people(value: Any) -> str:
    return _formatted(value, "{:,.0f}")


def _count(value: Any) -> str:
    return _formatted(value, "{:.0f}")


def _number(value: Any) -> str:
    number = _finite(value)
    return _formatted(number, "{:,.0f}" if number is not None and number.is_integer() else "{:,.2f}")


def _minutes_text(value: Any) -> str:
    number = _finite(value)
    return MISSING if number is None else f"{_num(number)} min"


def _metres(value: Any) -> str:
    return _formatted(value, "{:,.0f} m")


def _share(part: Any, whole: float | None) -> str:
    """'12,345 (67.8%)' people, or only the count when the total is unknown."""
    number = _finite(part)
    if number is None:
        return MISSING
    if not whole:
        return _people(number)
    return f"{_people(number)} ({number / whole:.1%})"
