"""The map's context and line layers: basemap, relief, boundary, roads, catchments and areas beyond the
standard, merges, assignments and referrals."""

from __future__ import annotations

import base64
from collections.abc import Mapping

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template

from facility_layout import formatting as fmt
from facility_layout.basemaps import Basemap
from facility_layout.gcj02 import wgs84_to_gcj02
from facility_layout.maps.geojson import BIND_FEATURE, feature_collection, lonlat
from facility_layout.maps.styles import (
    ASSIGNMENT_STYLE,
    BEYOND_AREA_STYLE,
    BEYOND_LAYER,
    BOUNDARY_COLOUR,
    CATCHMENT_LAYER,
    CATCHMENT_STYLE,
    LAND_COLOUR,
    MAIN_ROADS,
    MERGE_LAYER,
    MERGE_STYLE,
    PATHS,
    REFERRAL_STYLE,
    RELIEF_LAYER,
    RELIEF_OPACITY_OVER_BASEMAP,
    RELIEF_PANE,
    ROAD_STYLES,
    TRACKS,
    UNCOVERABLE_AREA_STYLE,
)
from facility_layout.relief import ReliefImage


def add_basemap(fmap: folium.Map, basemap: Basemap) -> folium.TileLayer:
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


def add_relief(fmap: folium.Map, relief: ReliefImage, gcj02: bool, tiles: folium.TileLayer | None) -> None:
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


def add_boundary(fmap: folium.Map, boundary: gpd.GeoDataFrame, land_fill: bool) -> folium.GeoJson:
    # With neither basemap nor relief the region is filled as land, so its shape reads against the background.
    style = {"color": BOUNDARY_COLOUR, "weight": 2, "fillColor": LAND_COLOUR, "fillOpacity": 1 if land_fill else 0}
    return folium.GeoJson(
        feature_collection(boundary, [{}] * len(boundary)),
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


def add_roads(fmap: folium.Map, roads: gpd.GeoDataFrame) -> None:
    # Drawn over the demand cells, which still take the clicks: the roads explain the minutes.
    properties = [{"group": _road_group(str(highway))} for highway in roads["highway"]]

    def style(feature: dict) -> dict:
        road = ROAD_STYLES[feature["properties"]["group"]]
        return {"color": road.colour, "weight": road.weight, "dashArray": road.dash, "opacity": 0.9}

    folium.GeoJson(feature_collection(roads, properties), name="Roads", style_function=style, interactive=False).add_to(
        fmap
    )


def add_areas(
    fmap: folium.Map, areas: gpd.GeoDataFrame, gcj02: bool, clinic_standard: float, names: Mapping[str, str]
) -> list[folium.GeoJson]:
    """Catchments (off at start) and the areas beyond the clinic standard, under the cells; returns both
    layers, the areas beyond first (the upper)."""
    shown = lonlat(areas, gcj02)
    catchments = shown[shown["kind"] == "catchment"]
    beyond = shown[shown["kind"] != "catchment"]
    properties = [
        {"tooltip": f"Catchment of {fmt.text(names.get(site, site))}: {fmt.people(n)} people"}
        for site, n in zip(catchments["site_id"], catchments["population"], strict=True)
    ]
    catchment_layer = folium.GeoJson(
        feature_collection(catchments, properties),
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
    beyond_layer = folium.GeoJson(
        feature_collection(beyond, properties), name=BEYOND_LAYER, on_each_feature=BIND_FEATURE
    ).add_to(fmap)
    return [beyond_layer, catchment_layer]


def add_merges(fmap: folium.Map, facilities: gpd.GeoDataFrame) -> None:
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
        feature_collection(lines, properties),
        name=MERGE_LAYER,
        style_function=lambda _: MERGE_STYLE,
        on_each_feature=BIND_FEATURE,
    ).add_to(fmap)


def add_assignments(fmap: folium.Map, assignments: gpd.GeoDataFrame, names: Mapping[str, str]) -> None:
    properties = [
        {"tooltip": f"{fmt.people(n)} people → {fmt.text(names.get(site, site))}: {fmt.minutes(minutes)}"}
        for site, n, minutes in zip(
            assignments["site_id"], assignments["population"], assignments["minutes"], strict=True
        )
    ]
    folium.GeoJson(
        feature_collection(assignments, properties),
        name="Assignments: demand cell → village clinic",
        show=False,
        style_function=lambda _: ASSIGNMENT_STYLE,
        on_each_feature=BIND_FEATURE,
    ).add_to(fmap)


def add_referrals(fmap: folium.Map, referrals: gpd.GeoDataFrame, names: Mapping[str, str]) -> None:
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
        feature_collection(referrals, properties),
        name="Referrals: village clinic → township centre",
        style_function=lambda _: REFERRAL_STYLE,
        on_each_feature=BIND_FEATURE,
    ).add_to(fmap)
