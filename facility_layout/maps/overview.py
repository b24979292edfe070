"""The township overview: below :data:`DETAIL_ZOOM` each township (``region.admin_areas``) is one polygon
shaded by the share of its people within the village clinic standard, labelled with its name, its popup
giving people within the standards today → proposed and the count of each decision; from the detail zoom
on, the cells, roads and areas take over (a prefecture's 90,000 cells read as noise at the zoom that shows
it whole, and making them was most of the time its map took to open).
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.map import Layer
from folium.template import Template

from facility_layout import formatting as fmt
from facility_layout.i18n import ENGLISH, Translator
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.maps.geojson import delta_rings
from facility_layout.maps.styles import COORDINATE_DECIMALS

# Zoom 10 shows about 40 km across a phone, 130 km across a laptop: a county's townships can be told apart.
DETAIL_ZOOM = 10
# Outlines simplified by about 50 m: a third of a pixel at zoom 9, the deepest the overview shows at.
OVERVIEW_SIMPLIFY_DEGREES = 5e-4
# Share of a township's people within the village clinic standard (proposed): the shade of its polygon.
SHARE_BREAKS = (0.5, 0.8, 0.95)
SHARE_COLOURS = ("#d73027", "#fc8d59", "#d9ef8b", "#1a9850")
OVERVIEW_LAYER = "Townships: overview (below zoom {zoom})"
# The decisions counted per township: (label, tier or None for both, decision, merged into another or None).
DECISION_COUNTS = (
    ("Facilities kept", None, "keep", None),
    ("Village clinics closed, not merged", VILLAGE_CLINIC, "close", False),
    ("Village clinics merged into another", VILLAGE_CLINIC, "close", True),
    ("Village clinics built", VILLAGE_CLINIC, "build", None),
    ("Township centres upgraded to central", TOWNSHIP_CENTRE, "upgrade", None),
)


def township_figures(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    clinic_standard: float,
    centre_standard: float,
) -> pd.DataFrame:
    """Per township (row of ``areas``, all in one CRS): people; people within the clinic and the centre
    standard, today (NaN without today's minutes) and proposed; facilities by decision. A cell or facility
    on the line between two townships counts in the first."""
    cell_area = _area_of(demand, areas)
    site_area = _area_of(facilities, areas)
    people = demand["population"].to_numpy(dtype=float)
    n = len(areas)
    figures = {"people": np.bincount(cell_area[cell_area >= 0], people[cell_area >= 0], n)}
    for tier, standard, column in (
        ("clinic", clinic_standard, "clinic_minutes"),
        ("centre", centre_standard, "centre_minutes"),
    ):
        for when, suffix in (("today", "_today"), ("proposed", "")):
            if column + suffix not in demand.columns:
                figures[f"{tier}_{when}"] = np.full(n, np.nan)
                continue
            within = (demand[column + suffix].to_numpy(dtype=float) <= standard) & (cell_area >= 0)
            figures[f"{tier}_{when}"] = np.bincount(cell_area[within], people[within], n)
    tier = facilities["tier"].to_numpy()
    decision = facilities["decision"].to_numpy()
    merged = facilities["merged_into_id"].fillna("").astype(str).to_numpy() != ""
    for label, only_tier, chosen, into in DECISION_COUNTS:
        pick = (decision == chosen) & (site_area >= 0)
        if only_tier is not None:
            pick &= tier == only_tier
        if into is not None:
            pick &= merged == into
        figures[label] = np.bincount(site_area[pick], minlength=n)
    return pd.DataFrame(figures, index=areas.index)


def _area_of(points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> np.ndarray:
    """The position in ``areas`` of the area holding each point; -1 for none (the first when on a line)."""
    found = np.full(len(points), -1)
    point, area = shapely.STRtree(areas.geometry.to_numpy()).query(points.geometry.to_numpy(), "intersects")
    first = np.unique(point, return_index=True)[1]
    found[point[first]] = area[first]
    return found


class _Overview(Layer):
    """The townships as shaded polygons with labels, shown below the detail zoom while on."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new (L.Layer.extend({
            group: function () {
                if (!this._group) {
                    const data = {{ this.data|tojson }};
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
                        const style = Object.assign({}, data.style, {fillColor: data.colours[data.shade[k]]});
                        const shape = L.polygon(polygons.map((rings) => rings.map(ring)), style);
                        shape.feature = {properties: {name: data.names[k], shade: data.shade[k]}};
                        shape.bindTooltip(data.tooltips[k]);
                        shape.bindPopup(() => flPopupHtml(data.popups[k]), {maxWidth: 380});
                        this._group.addLayer(shape);
                        this._group.addLayer(L.marker(data.at[k], {
                            icon: L.divIcon({className: "fl-label fl-label-area", html: data.names[k],
                                             iconSize: null, iconAnchor: [0, 8]}),
                            interactive: false, keyboard: false,
                        }));
                    });
                }
                return this._group;
            },
            onAdd: function (map) {
                this._sync = () => {
                    const wanted = map.getZoom() < {{ this.detail_zoom }};
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

    def __init__(self, data: dict[str, Any], name: str, detail_zoom: int) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "Overview"
        self.data = data
        self.detail_zoom = detail_zoom


def add_overview(
    fmap: folium.Map,
    areas: gpd.GeoDataFrame,
    shown: gpd.GeoDataFrame,
    figures: pd.DataFrame,
    clinic_standard: float,
    centre_standard: float,
    _: Translator = ENGLISH,
) -> _Overview:
    """The overview layer of the townships ``areas`` (``name``; region CRS), drawn from ``shown`` (the
    same areas in map coordinates) with their ``figures`` (:func:`township_figures`)."""
    outlines = shapely.simplify(shown.geometry.to_numpy(), OVERVIEW_SIMPLIFY_DEGREES)
    within = figures["clinic_proposed"] / figures["people"].where(figures["people"] > 0)
    shade = np.searchsorted(SHARE_BREAKS, within.fillna(0).to_numpy(), side="right")
    inner = shapely.point_on_surface(areas.geometry.to_numpy())
    at = gpd.GeoSeries(inner, crs=areas.crs).to_crs(shown.crs)
    names = [fmt.text(name) for name in areas["name"]]
    popups, tooltips = [], []
    for name, (_index, row) in zip(names, figures.iterrows(), strict=True):
        rows = [(_("People"), _.people(row["people"]))]
        for key, label, standard in (
            ("clinic", "Within {standard} of a village clinic", clinic_standard),
            ("centre", "Within {standard} of a township centre", centre_standard),
        ):
            proposed = _share(row[f"{key}_proposed"], row["people"], _)
            today = _share(row[f"{key}_today"], row["people"], _) if np.isfinite(row[f"{key}_today"]) else None
            value = proposed if today is None else f'<span class="fl-today">{today} →</span> {proposed}'
            rows.append((_(label, standard=fmt.minutes(standard, _)), value))
        rows += [(_(label), _.people(row[label])) for label, *_rest in DECISION_COUNTS]
        popups.append({"title": name, "status": _("Township"), "reason": "", "rows": rows})
        tooltips.append(
            _(
                "{name}: {share} of people within {standard} of a village clinic",
                name=name,
                share=_share(row["clinic_proposed"], row["people"], _),
                standard=fmt.minutes(clinic_standard, _),
            )
        )
    data = {
        "rings": delta_rings(outlines),
        "shade": shade.tolist(),
        "colours": list(SHARE_COLOURS),
        "style": {"color": "#4a148c", "weight": 1.2, "opacity": 0.9, "fillOpacity": 0.55},
        "names": names,
        "tooltips": tooltips,
        "popups": popups,
        "at": np.round(np.column_stack([at.y, at.x]), COORDINATE_DECIMALS).tolist(),
    }
    layer = _Overview(data, _(OVERVIEW_LAYER, zoom=DETAIL_ZOOM), DETAIL_ZOOM)
    fmap.add_child(layer)
    return layer


def _share(part: float, whole: float, _: Translator) -> str:
    return _.percent(part / whole) if whole > 0 else fmt.MISSING


def share_labels(_: Translator = ENGLISH) -> list[tuple[str, str]]:
    """The overview's shades and what each means, for the legend."""
    bounds = [0.0, *SHARE_BREAKS, 1.0]
    return [
        (colour, f"{_.percent(low, 0)}–{_.percent(high, 0)}")
        for colour, low, high in zip(SHARE_COLOURS, bounds[:-1], bounds[1:], strict=True)
    ]
