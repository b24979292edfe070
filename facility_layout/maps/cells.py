"""The demand cells: circles on the ground coloured by one theme at a time, and the cells' areas (catchments,
beyond the standard)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template
from scipy.spatial import cKDTree

from facility_layout import formatting as fmt
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.maps.classes import (
    CELL_STROKE,
    DENSITY_BREAKS,
    DENSITY_CLASSES,
    MinutesClass,
    classify_cells,
    classify_minutes,
    minutes_classes,
)
from facility_layout.maps.geojson import BIND_FEATURE, feature_collection, mode_words, popup
from facility_layout.maps.styles import CELL_LAYERS, CELLS_OFF_LAYER

# Cells are circles on the ground, so the classes read as a surface at any zoom. A cell holding at least the
# 90th percentile of people per cell gets the largest circle (slightly wider than the spacing between cells);
# emptier cells shrink with area ∝ people, but not below 55 % of that radius, so their colour stays visible.
FULL_CIRCLE_QUANTILE = 0.9
LARGEST_CIRCLE_SPACINGS = 0.55  # radius, in cell spacings
SMALLEST_CIRCLE_SHARE = 0.55
DEFAULT_CELL_SPACING_M = 500.0  # the scenario's default cell size, for a layout of a single cell


@dataclass(frozen=True)
class CellTheme:
    """One way of colouring the demand cells: a layer of the map and a section of its legend."""

    key: str
    name: str
    classes: tuple[MinutesClass, ...]
    cell_class: np.ndarray
    show: bool
    note: str = ""


def cell_themes(
    demand: gpd.GeoDataFrame, clinic_standard: float, centre_standard: float, cell_size_m: float | None
) -> list[CellTheme]:
    """Minutes to the village clinic (shown), to the township centre, and people per km²."""
    density = demand["population"].to_numpy(dtype=float) / (cell_spacing_m(demand, cell_size_m) ** 2 / 1e6)
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
            onEachFeature: {{ this.bind }},
            flTheme: {{ this.key|tojson }}
        });
        {% endmacro %}
        """
    )

    def __init__(self, cells: _SharedData, index: int, theme: CellTheme) -> None:
        super().__init__(name=theme.name, overlay=False, control=True, show=theme.show)
        self._name = "CellLayer"
        self.cells = cells
        self.index = index
        self.key = theme.key
        self.colours = [c.colour for c in theme.classes]
        self.style = {"color": CELL_STROKE, "weight": 0.5, "fill": True, "fillOpacity": 0.85}
        self.bind = BIND_FEATURE.js_code


def add_demand(
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
            clinic_text = f"{fmt.text(clinic)} · {fmt.minutes(clinic_min)} {mode_words(modes, VILLAGE_CLINIC)}".rstrip()
            tooltip = f"{fmt.people(n)} people · {fmt.minutes(clinic_min)} to {fmt.text(clinic)}"
        else:
            reach = "no possible site" if clinic_classes[k[0]].key == "uncoverable" else "no village clinic"
            clinic_text = f"none: {reach} within {clinic_standard}"
            tooltip = f"{fmt.people(n)} people · {reach} within {clinic_standard}"
        if fmt.finite(centre_min) is not None:
            centre_text = (
                f"{fmt.text(centre)} · {fmt.minutes(centre_min)} {mode_words(modes, TOWNSHIP_CENTRE)}".rstrip()
            )
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
                "popup": popup(f"Demand cell {fmt.text(cell)}", rows, reason=note),
            }
        )
    cells_data = _SharedData(feature_collection(demand, properties))
    fmap.add_child(cells_data)
    # One theme at a time (radio buttons: the themes share colours with different meanings), or none.
    for index, theme in enumerate(themes):
        fmap.add_child(_CellLayer(cells_data, index, theme))
    folium.FeatureGroup(name=CELLS_OFF_LAYER, overlay=False, show=False).add_to(fmap)


def cell_spacing_m(demand: gpd.GeoDataFrame, cell_size_m: float | None) -> float:
    """The side of a demand cell: the scenario's, or the median distance between neighbouring points."""
    if cell_size_m:
        return float(cell_size_m)
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    if len(xy) > 1:
        distance, _ = cKDTree(xy).query(xy, k=2)
        return float(np.median(distance[:, 1])) or DEFAULT_CELL_SPACING_M
    return DEFAULT_CELL_SPACING_M


def cell_areas(demand: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, cell_size_m: float | None) -> gpd.GeoDataFrame:
    """Catchment polygons of each clinic and the areas no clinic reaches within the standard.

    Each demand cell is drawn as its Voronoi region, cut to a square a little wider than a cell around its
    point (so empty land between settlements is not claimed) and to the region; cells are dissolved by
    clinic. Rows: ``kind`` (``catchment`` | ``beyond`` | ``uncoverable``), ``site_id``, ``population``.
    """
    columns = ["kind", "site_id", "population"]
    if len(demand) == 0:
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=demand.crs)
    half = 0.6 * cell_spacing_m(demand, cell_size_m)
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
    spacing = cell_spacing_m(demand, cell_size_m)
    share = np.clip(np.nan_to_num(people) / full_circle_people, 0, 1) if full_circle_people > 0 else 1.0
    return spacing * LARGEST_CIRCLE_SPACINGS * np.maximum(np.sqrt(share), SMALLEST_CIRCLE_SHARE)
