"""The proposed layout as one Folium (Leaflet) HTML map a planner can read without the other outputs.

Layers, bottom to top: the boundary; with townships given, their overview below :data:`DETAIL_ZOOM`;
from that zoom on, demand cells as circles on the ground, coloured by minutes to their village clinic and
sized by population, and roads by class, drawn over the cells; assignment lines (cell → clinic, off until
switched on); referral lines (clinic → township centre); and the facilities, one layer per tier and
decision, at every zoom. A headline panel gives the figures of ``summary.json``, a legend explains every
colour and symbol, and a synthetic region says so in a banner and gets no real-world basemap under its
invented roads.

Leaflet inserts tooltips and popups as markup, so everything that comes from input data (names, reasons,
ids) is HTML-escaped here, before it reaches the page. The data is embedded as JSON (strings, or script
elements with every ``<`` escaped), so no input text can reach the page's JavaScript either.

One module per concern: :mod:`.classes` (minutes and density classes, colours), :mod:`.styles` (symbols,
line and area styles, layer names), :mod:`.geojson` (map coordinates, integer-step encodings, popups),
:mod:`.layers` (basemap, relief, boundary, roads, areas), :mod:`.cells` (the demand cells), :mod:`.facilities`
(markers, merges, referrals and popups from one table), :mod:`.overview` (the townships below the detail
zoom), :mod:`.labels` (place names), :mod:`.panel` (headline panel, legend), :mod:`.page` (page style and
layout); this module puts them together.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
from branca.element import Element, MacroElement
from folium.template import Template

from facility_layout import formatting as fmt
from facility_layout.basemaps import OPENSTREETMAP, Basemap
from facility_layout.evaluate import LayoutTables
from facility_layout.i18n import DEFAULT_LANGUAGE, translator
from facility_layout.maps.cells import (
    FULL_CIRCLE_QUANTILE,
    CellTheme,
    add_demand,
    cell_areas,
    cell_spacing_m,
    cell_themes,
    circle_radius_m,
)
from facility_layout.maps.classes import (
    BEYOND_STANDARD_COLOUR,
    DENSITY_CLASSES,
    TIER_NAMES,
    UNCOVERABLE_COLOUR,
    WITHIN_STANDARD_COLOURS,
    MinutesClass,
    classify_cells,
    classify_minutes,
    minutes_classes,
)
from facility_layout.maps.facilities import add_facilities
from facility_layout.maps.geojson import PAGE_FUNCTIONS, in_map_coordinates, lonlat
from facility_layout.maps.labels import add_labels
from facility_layout.maps.layers import (
    add_areas,
    add_basemap,
    add_boundary,
    add_relief,
    add_roads,
)
from facility_layout.maps.overview import DETAIL_ZOOM, OVERVIEW_LAYER, add_overview, share_labels, township_figures
from facility_layout.maps.page import CSS, PageLayout, side_panel
from facility_layout.maps.panel import headline_panel, legend
from facility_layout.maps.styles import (
    BEYOND_LAYER,
    CATCHMENT_LAYER,
    CELL_LAYERS,
    CELLS_OFF_LAYER,
    COORDINATE_DECIMALS,
    DEFAULT_CENTRE_STANDARD_MINUTES,
    DEFAULT_CLINIC_STANDARD_MINUTES,
    FACILITY_SYMBOLS,
    LABEL_MIN_ZOOM,
    LABELS_LAYER,
    MERGE_LAYER,
    RELIEF_LAYER,
    RELIEF_PANE,
    RELIEF_PANE_Z,
    ROAD_STYLES,
    SYNTHETIC_BANNER,
    WGS84,
    FacilitySymbol,
)
from facility_layout.relief import ReliefImage
from facility_layout.travel_settings import MODE_WORDS
from facility_layout.webassets import leaflet_head

# The map's deepest zoom (about 0.3 m per pixel): the marker clusters need one even when no tiles give it.
MAX_ZOOM = 19

__all__ = [
    "BEYOND_LAYER",
    "BEYOND_STANDARD_COLOUR",
    "CATCHMENT_LAYER",
    "CELLS_OFF_LAYER",
    "CELL_LAYERS",
    "COORDINATE_DECIMALS",
    "DENSITY_CLASSES",
    "DETAIL_ZOOM",
    "FACILITY_SYMBOLS",
    "FULL_CIRCLE_QUANTILE",
    "LABELS_LAYER",
    "LABEL_MIN_ZOOM",
    "MERGE_LAYER",
    "OVERVIEW_LAYER",
    "RELIEF_LAYER",
    "ROAD_STYLES",
    "TIER_NAMES",
    "UNCOVERABLE_COLOUR",
    "WGS84",
    "WITHIN_STANDARD_COLOURS",
    "CellTheme",
    "FacilitySymbol",
    "MinutesClass",
    "circle_radius_m",
    "classify_cells",
    "classify_minutes",
    "minutes_classes",
    "render_map",
]


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
    settlements: gpd.GeoDataFrame | None = None,
    language: str = DEFAULT_LANGUAGE,
    admin_areas: gpd.GeoDataFrame | None = None,
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
    settlements : GeoDataFrame, optional
        Settlement points (``name``, in any CRS), labelled from a zoom level on beside the township centres.
    language : str
        The language of every word the map writes (``outputs.language``): one of
        :data:`facility_layout.i18n.LANGUAGES`.
    admin_areas : GeoDataFrame, optional
        Townships (``name``, in any CRS; ``region.admin_areas``): below :data:`DETAIL_ZOOM` the map shows
        them with their figures instead of the cells, roads and areas.

    Returns
    -------
    Path
        ``path``.
    """
    _ = translator(language)
    if synthetic:
        basemap = None
    standards = summary.get("standards") or {}
    clinic_standard = fmt.finite(standards.get("village_clinic_max_minutes")) or DEFAULT_CLINIC_STANDARD_MINUTES
    centre_standard = fmt.finite(standards.get("township_centre_max_minutes")) or DEFAULT_CENTRE_STANDARD_MINUTES
    themes = cell_themes(tables.demand, clinic_standard, centre_standard, cell_size_m, _)
    people = tables.demand["population"].to_numpy(dtype=float)
    full_circle_people = float(np.nanquantile(people, FULL_CIRCLE_QUANTILE)) if len(people) else 0.0
    spacing = cell_spacing_m(tables.demand, cell_size_m)
    areas = cell_areas(tables.demand, tables.boundary, cell_size_m)
    gcj02 = basemap is not None and basemap.gcj02
    shown = in_map_coordinates(tables, gcj02)

    fmap = folium.Map(
        tiles=None,
        prefer_canvas=True,
        control_scale=False,  # PageLayout adds a metric-only one
        zoom_control="bottomleft",
        zoom_snap=0.5,
        font_size="13px",
    )
    fmap.options["max_zoom"] = MAX_ZOOM  # folium gives its max_zoom to its own tiles only
    # Leaflet inlined, folium's CDN links (and the jQuery/Bootstrap it loads by default, unused here) dropped.
    fmap.default_js, fmap.default_css = [], []
    root = fmap.get_root()
    root.header.add_child(Element(leaflet_head()), name="leaflet", index=0)
    root.title = html.escape(_("SYNTHETIC — {title}", title=title) if synthetic else title)
    root.header.add_child(Element(CSS))
    root.header.add_child(Element(PAGE_FUNCTIONS))
    basemap_layer = add_basemap(fmap, basemap, _) if basemap is not None else None
    folium.map.CustomPane(RELIEF_PANE, z_index=RELIEF_PANE_Z).add_to(fmap)
    if relief is not None:
        add_relief(fmap, relief, gcj02, basemap_layer, _)

    boundary = add_boundary(fmap, shown.boundary, basemap is None and relief is None, _)
    overview, detail_zoom, shades = [], 0, None
    if admin_areas is not None and len(admin_areas):
        townships = admin_areas.to_crs(tables.demand.crs)
        figures = township_figures(tables.demand, tables.facilities, townships, clinic_standard, centre_standard)
        overview = [
            add_overview(fmap, townships, lonlat(townships, gcj02), figures, clinic_standard, centre_standard, _)
        ]
        detail_zoom, shades = DETAIL_ZOOM, share_labels(_)
    modes = {
        tier: MODE_WORDS.get(mode, "") for tier, mode in ((summary.get("travel") or {}).get("modes") or {}).items()
    }
    names = site_names(tables.facilities)
    under_cells = [*add_areas(fmap, areas, gcj02, clinic_standard, names, _, detail_zoom), *overview, boundary]
    # How far travel times were computed: a cell cut off has no open facility within these minutes.
    reach = (summary.get("access") or {}).get("computed_up_to_minutes") or {}
    add_demand(
        fmap,
        shown.demand,
        shown.facilities,
        themes,
        full_circle_people,
        spacing,
        standards,
        modes,
        reach,
        _,
        detail_zoom,
    )
    add_roads(fmap, shown.roads, _, detail_zoom)
    counts = add_facilities(
        fmap,
        shown.facilities,
        tables.assignments,
        shown.referrals,
        themes[0].classes,
        clinic_standard,
        modes,
        _,
        detail_zoom=detail_zoom,
    )
    add_labels(fmap, shown.facilities, None if settlements is None else lonlat(settlements, gcj02), _)
    control = folium.LayerControl(position="topright", collapsed=False).add_to(fmap)

    root.html.add_child(Element(headline_panel(title, summary, _)))
    root.html.add_child(
        Element(side_panel(legend(themes, people, counts, full_circle_people, relief, areas, _, shades), _))
    )
    if synthetic:
        banner = f'<div id="fl-synthetic-banner" class="fl-panel">{_(SYNTHETIC_BANNER)}</div>'
        root.html.add_child(Element(banner))
    if attributions:
        fmap.add_child(_Attribution(" | ".join(html.escape(line) for line in attributions)))
    west, south, east, north = (float(v) for v in shown.boundary.total_bounds)
    fmap.add_child(PageLayout(control, [[south, west], [north, east]], under_cells))
    # The page says its language, so browsers pick the Chinese forms of CJK glyphs and screen readers the voice.
    page = fmap.get_root().render().replace("<html>", f'<html lang="{language}">', 1)
    Path(path).write_text(page, encoding="utf-8")
    return path


def site_names(facilities: gpd.GeoDataFrame) -> dict[str, str]:
    """Each facility's name by its site id."""
    return dict(zip(facilities["site_id"], facilities["name"], strict=True))
