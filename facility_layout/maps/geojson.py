"""Layout frames in map coordinates, and how the page gets them: positions as integer steps of 1e-5°
(:func:`steps`, :func:`delta_rings`), GeoJSON for the few small layers, and the popup's markup.

Tooltips and popups are inserted by Leaflet as markup, so everything that comes from input data (names,
reasons, ids) is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping

from facility_layout.evaluate import LayoutTables
from facility_layout.gcj02 import wgs84_to_gcj02
from facility_layout.i18n import ENGLISH, Translator
from facility_layout.maps.styles import COORDINATE_DECIMALS, WGS84

# The popup's markup from its parts ({title, status, reason, rows: [[label, value], …]}, all already HTML).
POPUP_HTML = """<script>
  function flPopupHtml(q) {
    return `<div class="fl-popup"><h3>${q.title}</h3>`
      + (q.status ? `<p class="fl-status">${q.status}</p>` : "")
      + (q.reason ? `<p class="fl-reason">${q.reason}</p>` : "")
      + "<table>" + q.rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")
      + "</table></div>";
  }
</script>"""


def in_map_coordinates(tables: LayoutTables, gcj02: bool) -> LayoutTables:
    """The layout in lon/lat (WGS 84, or GCJ-02 over tiles drawn in it)."""
    return LayoutTables(*(lonlat(getattr(tables, f.name), gcj02) for f in dataclasses.fields(tables)))


def lonlat(frame: gpd.GeoDataFrame, gcj02: bool) -> gpd.GeoDataFrame:
    shown = frame.to_crs(WGS84)
    if gcj02:
        shifted = shapely.transform(shown.geometry.to_numpy(), lambda xy: np.column_stack(wgs84_to_gcj02(*xy.T)))
        shown = shown.set_geometry(gpd.GeoSeries(shifted, index=shown.index, crs=WGS84))
    return shown


def mode_words(modes: Mapping[str, str], tier: str, _: Translator = ENGLISH) -> str:
    """How people travel to ``tier`` ("on foot", …, in ``_``'s language), from the run's travel settings; ''
    if unknown."""
    words = modes.get(tier, "")
    return html.escape(_(words) if words else "")


def steps(degrees: np.ndarray) -> list[int]:
    """Coordinates as integer steps of 1e-5° (:data:`COORDINATE_DECIMALS`) from the previous one (the first
    from 0): the page adds them up and divides by 1e5."""
    return np.diff(np.round(degrees * 10**COORDINATE_DECIMALS).astype(np.int64), prepend=0).tolist()


def delta_rings(geometries: np.ndarray) -> list[list[list[list[int]]]]:
    """Polygons (or multipolygons) as, per geometry, its polygons, their rings (outer first), each ring a
    flat list ``[dx, dy, dx, dy, …]`` of integer steps of 1e-5° from the previous vertex, counted across
    all geometries in order (the page keeps one running position while it decodes)."""
    parts = shapely.get_parts(geometries, return_index=True)
    rings, ring_part = shapely.get_rings(parts[0], return_index=True)
    coordinates = np.round(shapely.get_coordinates(rings) * 10**COORDINATE_DECIMALS).astype(np.int64)
    coordinates[1:] -= coordinates[:-1].copy()
    flat = np.split(coordinates, np.cumsum(shapely.get_num_coordinates(rings))[:-1]) if len(rings) else []
    shaped: list[list[list[list[int]]]] = [[] for _ in range(len(geometries))]
    last_part = -1
    for chunk, part in zip(flat, ring_part.tolist(), strict=True):
        if part != last_part:
            shaped[int(parts[1][part])].append([])
            last_part = part
        shaped[int(parts[1][part])][-1].append(chunk.ravel().tolist())
    return shaped


def feature_collection(frame: gpd.GeoDataFrame, properties: Iterable[dict[str, Any]]) -> dict[str, Any]:
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
