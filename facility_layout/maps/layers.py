"""The map's context and line layers: basemap, relief, boundary, roads, catchments and areas beyond the
standard, merges, assignments and referrals."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template

from facility_layout import formatting as fmt
from facility_layout.basemaps import Basemap
from facility_layout.gcj02 import wgs84_to_gcj02
from facility_layout.i18n import ENGLISH, Translator
from facility_layout.maps.geojson import delta_rings, feature_collection, lonlat
from facility_layout.maps.styles import (
    AREA_SIMPLIFY_DEGREES,
    BEYOND_AREA_STYLE,
    BEYOND_LAYER,
    CATCHMENT_LAYER,
    CATCHMENT_STYLE,
    COORDINATE_DECIMALS,
    LAND_COLOUR,
    MAIN_ROADS,
    PATHS,
    RELIEF_LAYER,
    RELIEF_OPACITY_OVER_BASEMAP,
    RELIEF_PANE,
    ROAD_MIN_ZOOM,
    ROAD_SIMPLIFY_DEGREES,
    ROAD_STYLES,
    TRACKS,
    UNCOVERABLE_AREA_STYLE,
)
from facility_layout.palette import BOUNDARY_COLOUR
from facility_layout.relief import ReliefImage


def add_basemap(fmap: folium.Map, basemap: Basemap, _: Translator = ENGLISH) -> folium.TileLayer:
    tiles = folium.TileLayer(
        basemap.url,
        name=_("Basemap: {name} (online)", name=basemap.name),
        attr=basemap.attribution,
        subdomains=basemap.subdomains or "abc",
        max_zoom=basemap.max_zoom,
        overlay=True,
        control=True,
    ).add_to(fmap)
    if basemap.labels_url:
        folium.TileLayer(
            basemap.labels_url,
            name=_("Basemap labels: {name} (online)", name=basemap.name),
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


def add_relief(
    fmap: folium.Map, relief: ReliefImage, gcj02: bool, tiles: folium.TileLayer | None, _: Translator = ENGLISH
) -> None:
    lon, lat = np.array([relief.west, relief.east]), np.array([relief.south, relief.north])
    if gcj02:  # the offset barely changes across a region: shifting the corners is enough
        lon, lat = wgs84_to_gcj02(lon, lat)
    encoded = base64.b64encode(relief.png).decode("ascii")
    image = folium.raster_layers.ImageOverlay(
        f"data:image/png;base64,{encoded}",
        bounds=[[float(lat[0]), float(lon[0])], [float(lat[1]), float(lon[1])]],
        name=_(RELIEF_LAYER),
        pixelated=False,
        pane=RELIEF_PANE,
        opacity=1.0 if tiles is None else RELIEF_OPACITY_OVER_BASEMAP,
        interactive=False,
    ).add_to(fmap)
    if tiles is not None:
        fmap.add_child(_OpaqueWhenTilesFail(tiles, image))


def add_boundary(
    fmap: folium.Map, boundary: gpd.GeoDataFrame, land_fill: bool, _: Translator = ENGLISH
) -> folium.GeoJson:
    # With neither basemap nor relief the region is filled as land, so its shape reads against the background.
    style = {"color": BOUNDARY_COLOUR, "weight": 2, "fillColor": LAND_COLOUR, "fillOpacity": 1 if land_fill else 0}
    return folium.GeoJson(
        feature_collection(boundary, [{}] * len(boundary)),
        name=_("Boundary"),
        style_function=lambda _: style,
        interactive=False,
    ).add_to(fmap)


def _road_group(highway: str) -> str:
    if highway in MAIN_ROADS:
        return "main"
    if highway in TRACKS:
        return "track"
    return "path" if highway in PATHS else "minor"


class _Roads(Layer):
    """Roads as one polyline per class (a prefecture has hundreds of thousands of road vertices: one GeoJSON
    feature per edge made the page large and slow). Each class's lines are flat lists of integer steps of
    1e-5° (lng, lat, lng, lat, …), each step from the previous vertex, across the class's lines."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (groups, styles, minZoom) {
            const roads = L.featureGroup(), made = {};
            function decode(lines) {
                let x = 0, y = 0;
                return lines.map((flat) => {
                    const line = [];
                    for (let i = 0; i < flat.length; i += 2) {
                        x += flat[i]; y += flat[i + 1]; line.push([y / 1e5, x / 1e5]);
                    }
                    return line;
                });
            }
            // Each class from its zoom level on, made the first time it is needed.
            function update() {
                const zoom = roads._map.getZoom();
                for (const key of Object.keys(groups)) {
                    const wanted = zoom >= (minZoom[key] || 0);
                    if (wanted && !made[key]) { made[key] = L.polyline(decode(groups[key]), styles[key]); }
                    if (made[key] && wanted !== roads.hasLayer(made[key])) {
                        wanted ? roads.addLayer(made[key]) : roads.removeLayer(made[key]);
                    }
                }
            }
            roads.on("add", function () {
                const map = roads._map;
                update();
                map.on("zoomend", update);
                roads.once("remove", () => map.off("zoomend", update));
            });
            return roads;
        })(JSON.parse({{ this.groups_json|tojson }}), {{ this.styles|tojson }}, {{ this.min_zoom|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, groups: dict[str, list[list[int]]], name: str, detail_zoom: int) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "Roads"
        self.groups_json = json.dumps(groups, separators=(",", ":"))
        self.min_zoom = {key: max(zoom, detail_zoom) for key, zoom in ROAD_MIN_ZOOM.items()}
        self.styles = {
            key: {"color": s.colour, "weight": s.weight, "dashArray": s.dash, "opacity": 0.9, "interactive": False}
            for key, s in ROAD_STYLES.items()
        }


def add_roads(fmap: folium.Map, roads: gpd.GeoDataFrame, _: Translator = ENGLISH, detail_zoom: int = 0) -> None:
    """Roads by class, simplified to :data:`ROAD_SIMPLIFY_DEGREES`, each class from its zoom level on (and
    none below ``detail_zoom``); drawn over the demand cells, which still take the clicks: the roads
    explain the minutes."""
    lines = shapely.simplify(roads.geometry.to_numpy(), ROAD_SIMPLIFY_DEGREES)
    group = np.array([_road_group(str(highway)) for highway in roads["highway"]], dtype=object)
    groups = {}
    for key in ROAD_STYLES:
        parts = shapely.get_parts(lines[group == key])
        if len(parts) == 0:
            continue
        steps = np.round(shapely.get_coordinates(parts) * 10**COORDINATE_DECIMALS).astype(np.int64)
        steps[1:] -= steps[:-1].copy()
        counts = shapely.get_num_coordinates(parts)
        groups[key] = [chunk.ravel().tolist() for chunk in np.split(steps, np.cumsum(counts)[:-1])]
    fmap.add_child(_Roads(groups, _("Roads"), detail_zoom))


class _Areas(Layer):
    """Polygons drawn from integer steps of 1e-5° (:func:`delta_rings`), each with its style and tooltip;
    made the first time the layer is shown (a prefecture has thousands of catchments: as GeoJSON they were
    a third of the page)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new (L.Layer.extend({
            // Made the first time it is wanted, drawn from the detail zoom on while on.
            group: function () {
                if (!this._group) {
                    const data = JSON.parse({{ this.data_json|tojson }});
                    this._group = L.featureGroup();
                    let x = 0, y = 0;
                    const ring = (flat) => {
                        const line = [];
                        for (let i = 0; i < flat.length; i += 2) {
                            x += flat[i]; y += flat[i + 1]; line.push([y / 1e5, x / 1e5]);
                        }
                        return line;
                    };
                    data.rings.forEach((polygons, k) => {
                        const shape = L.polygon(polygons.map((rings) => rings.map(ring)), data.styles[data.style[k]]);
                        shape.feature = {properties: data.properties[k]};
                        shape.bindTooltip(data.tooltip[k]);
                        this._group.addLayer(shape);
                    });
                }
                return this._group;
            },
            onAdd: function (map) {
                this._sync = () => {
                    const wanted = map.getZoom() >= {{ this.detail_zoom }};
                    if (wanted !== (this._group !== undefined && map.hasLayer(this._group))) {
                        wanted ? map.addLayer(this.group()) : map.removeLayer(this._group);
                    }
                };
                map.on("zoomend", this._sync);
                this._sync();
            },
            onRemove: function (map) {
                map.off("zoomend", this._sync);
                if (this._group) { map.removeLayer(this._group); }
            },
            getLayers: function () { return this._group && this._map ? this._group.getLayers() : []; },
            bringToBack: function () { if (this._group) { this._group.bringToBack(); } return this; },
        }))();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], name: str, show: bool, detail_zoom: int) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "Areas"
        self.detail_zoom = detail_zoom
        self.data_json = json.dumps(data, separators=(",", ":"))


def add_areas(
    fmap: folium.Map,
    areas: gpd.GeoDataFrame,
    gcj02: bool,
    clinic_standard: float,
    names: Mapping[str, str],
    _: Translator = ENGLISH,
    detail_zoom: int = 0,
) -> list[Layer]:
    """Catchments (off at start) and the areas beyond the clinic standard, under the cells, from
    ``detail_zoom`` on; returns both layers, the areas beyond first (the upper)."""
    shown = lonlat(areas, gcj02)
    # Simplified by less than a pixel at the zoom the cells show as squares (:data:`AREA_SIMPLIFY_DEGREES`).
    shown = shown.set_geometry(shapely.simplify(shown.geometry.to_numpy(), AREA_SIMPLIFY_DEGREES), crs=shown.crs)
    catchments = shown[shown["kind"] == "catchment"]
    beyond = shown[shown["kind"] != "catchment"]
    tooltips = [
        _("Catchment of {clinic}: {people} people", clinic=fmt.text(names.get(site, site)), people=fmt.people(n))
        for site, n in zip(catchments["site_id"], catchments["population"], strict=True)
    ]
    catchment_layer = _Areas(
        _area_data(catchments, tooltips, [0] * len(catchments), [CATCHMENT_STYLE]),
        _(CATCHMENT_LAYER),
        show=False,
        detail_zoom=detail_zoom,
    )
    standard = fmt.minutes(clinic_standard, _)
    tooltips = [
        _(
            "{people} people: no possible site within {standard}"
            if kind == "uncoverable"
            else "{people} people: no village clinic within {standard}",
            people=fmt.people(n),
            standard=standard,
        )
        for kind, n in zip(beyond["kind"], beyond["population"], strict=True)
    ]
    style = [1 if kind == "uncoverable" else 0 for kind in beyond["kind"]]
    beyond_layer = _Areas(
        _area_data(beyond, tooltips, style, [BEYOND_AREA_STYLE, UNCOVERABLE_AREA_STYLE]),
        _(BEYOND_LAYER),
        show=True,
        detail_zoom=detail_zoom,
    )
    fmap.add_child(catchment_layer)
    fmap.add_child(beyond_layer)
    return [beyond_layer, catchment_layer]


def _area_data(frame: gpd.GeoDataFrame, tooltips: list[str], style: list[int], styles: list[dict]) -> dict[str, Any]:
    properties = [
        {"kind": kind, "site_id": site, "population": float(n)}
        for kind, site, n in zip(frame["kind"], frame["site_id"], frame["population"], strict=True)
    ]
    return {
        "rings": delta_rings(frame.geometry.to_numpy()),
        "tooltip": tooltips,
        "style": style,
        "styles": styles,
        "properties": properties,
    }
