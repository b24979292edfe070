"""The demand cells: circles on the ground coloured by one theme at a time, and the cells' areas (catchments,
beyond the standard)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template
from scipy.spatial import cKDTree

from facility_layout import formatting as fmt
from facility_layout.cells import GRID_CELL_ID, cell_squares, dissolved_areas, on_grid
from facility_layout.i18n import ENGLISH, Translator
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
from facility_layout.maps.geojson import mode_words, steps
from facility_layout.maps.styles import (
    ASSIGNMENT_STYLE,
    ASSIGNMENTS_LAYER,
    CELL_LAYERS,
    CELLS_OFF_LAYER,
    COORDINATE_DECIMALS,
)

# Cells are circles on the ground, so the classes read as a surface at any zoom. A cell holding at least the
# 90th percentile of people per cell gets the largest circle (slightly wider than the spacing between cells);
# emptier cells shrink with area ∝ people, but not below 55 % of that radius, so their colour stays visible.
FULL_CIRCLE_QUANTILE = 0.9
LARGEST_CIRCLE_SPACINGS = 0.55  # radius, in cell spacings
SMALLEST_CIRCLE_SHARE = 0.55
DEFAULT_CELL_SPACING_M = 500.0
CELL_OUTLINE_ZOOM = (
    11  # 500 m cells are about 20 px wide at zoom 11  # the scenario's default cell size, for a layout of a single cell
)


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
    demand: gpd.GeoDataFrame,
    clinic_standard: float,
    centre_standard: float,
    cell_size_m: float | None,
    _: Translator = ENGLISH,
) -> list[CellTheme]:
    """Minutes to the village clinic (shown), to the township centre, and people per km²."""
    density = demand["population"].to_numpy(dtype=float) / (cell_spacing_m(demand, cell_size_m) ** 2 / 1e6)
    return [
        CellTheme(
            "minutes",
            CELL_LAYERS["minutes"],
            minutes_classes(clinic_standard, VILLAGE_CLINIC, _),
            classify_cells(demand, clinic_standard),
            show=True,
        ),
        CellTheme(
            "centre-minutes",
            CELL_LAYERS["centre-minutes"],
            minutes_classes(centre_standard, TOWNSHIP_CENTRE, _),
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


class _CellData(MacroElement):
    """The demand cells, column by column, and the circles drawn from them: one canvas path of circles,
    coloured by whichever theme is chosen (a prefecture has 90,000 cells: one GeoJSON feature per cell and
    per theme made a 66 MB page, and one Leaflet circle per cell took seconds to make).

    Columns: positions as integer steps of 1e-5° (about a metre), each the step from the previous cell;
    people (whole); the index of the cell's clinic and township centre in the name lists (-1: none within
    the standard) and the minutes to them in tenths; elevation in whole metres (null: unknown); one string
    per theme of the cells' class indexes (one digit each); the cells off the road network and cut off.
    Tooltips and popups are put together from these when shown; every name is HTML-escaped in Python.
    """

    _template = Template(
        r"""
        {% macro script(this, kwargs) %}
        // Made when first needed (from the detail zoom on): parsing and projecting a prefecture's cells is most
        // of the work of opening its map.
        var {{ this.get_name() }} = (function (make) {
            let made = null;
            return () => made || (made = make());
        })(() => (function (data, text) {
            const n = data.people.length, lat = new Float64Array(n), lng = new Float64Array(n);
            for (let i = 0, a = 0, b = 0; i < n; i++) {
                a += data.lat[i]; b += data.lng[i]; lat[i] = a / 1e5; lng[i] = b / 1e5;
            }
            const offNetwork = new Set(data.off_network), cutOff = new Set(data.cut_off);
            // Grid cells' ids c<col>_<row> from their columns and rows (steps from the previous cell).
            const grid = data.grid && data.grid.col.map((_, i) => i);
            if (grid) {
                for (let i = 0, c = 0, r = 0; i < n; i++) {
                    c += data.grid.col[i]; r += data.grid.row[i]; grid[i] = `c${c}_${r}`;
                }
            }
            const cellId = (i) => (data.ids ? data.ids[i] : grid ? grid[i] : i);
            const people = (v) => v.toLocaleString("en-US");
            const fill = (template, values) => template.replace(/\{(\w+)\}/g, (m, k) => values[k]);
            const minutes = (tenths) => fill(text.minutes, {minutes: tenths / 10});
            const metres = (v) => (v === null ? text.missing : `${v.toLocaleString("en-US")} m`);
            const full = data.full_circle_people;
            const radius = (i) => data.spacing_m * data.largest * Math.max(
                Math.sqrt(full > 0 ? Math.min(Math.max(data.people[i] / full, 0), 1) : 1), data.smallest);
            const classOf = (theme, i) => data.classes[theme].charCodeAt(i) - 48;
            function reach(i) {
                return classOf(0, i) === text.uncoverable_class ? text.no_possible_site : text.no_clinic;
            }
            function tooltip(i) {
                const k = data.clinic[i];
                return k >= 0
                    ? fill(text.tooltip_served, {people: people(data.people[i]),
                        minutes: minutes(data.clinic_minutes[i]), clinic: data.clinic_names[k]})
                    : fill(text.tooltip_unserved, {people: people(data.people[i]), reach: reach(i),
                        standard: text.clinic_standard});
            }
            function popup(i) {
                const k = data.clinic[i], c = data.centre[i];
                const clinic = k >= 0
                    ? `${data.clinic_names[k]} · ${minutes(data.clinic_minutes[i])} ${text.clinic_mode}`.trim()
                    : fill(text.no_clinic_within, {reach: reach(i), standard: text.clinic_standard});
                const centre = c >= 0
                    ? `${data.centre_names[c]} · ${minutes(data.centre_minutes[i])} ${text.centre_mode}`.trim()
                    : fill(text.no_centre_within, {standard: text.centre_standard});
                let note = offNetwork.has(i) ? text.off_network : "";
                if (cutOff.has(i)) { note = text.cut_off; }
                return {
                    title: fill(text.title, {cell: cellId(i)}),
                    reason: note,
                    rows: [
                        [text.rows[0], people(data.people[i])],
                        [text.rows[1], clinic],
                        [text.rows[2], centre],
                        [text.rows[3], text.density_labels[classOf(2, i)]],
                        [text.rows[4], metres(data.elevation[i])],
                    ],
                };
            }
            // All cells are one canvas path, drawn one colour at a time and hit-tested through a grid of
            // buckets (one Leaflet object per cell took seconds to make and draw at prefecture size).
            // Positions in Web Mercator metres, as Leaflet's default CRS projects them; radii too (on the
            // ground ÷ cos latitude). Outlines only from zoom {{ this.outline_zoom }} on: below, they would
            // cover the small circles' colour.
            const R = 6378137, D = Math.PI / 180, K = 0.5 / (Math.PI * R), LIMIT = 85.0511287798;
            const mx = new Float64Array(n), my = new Float64Array(n), rm = new Float64Array(n);
            for (let i = 0; i < n; i++) {
                const s = Math.sin(Math.max(Math.min(LIMIT, lat[i]), -LIMIT) * D);
                mx[i] = R * lng[i] * D; my[i] = R * Math.log((1 + s) / (1 - s)) / 2;
                rm[i] = radius(i) / Math.cos(lat[i] * D);
            }
            const px = new Float64Array(n), py = new Float64Array(n), pr = new Float64Array(n);
            const style = {{ this.style|tojson }};
            const Cells = L.Path.extend({
                options: style,
                setTheme: function (theme, colours) {
                    this._theme = theme; this._colours = colours;
                    // Cells by class, so that each colour is one path to fill.
                    const order = Array.from(colours, () => []);
                    for (let i = 0; i < n; i++) { order[classOf(theme, i)].push(i); }
                    this._byClass = order;
                    if (this._map) { this.redraw(); }
                },
                _project: function () {
                    const map = this._map, scale = 256 * Math.pow(2, map.getZoom()), origin = map.getPixelOrigin();
                    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, widest = 0;
                    for (let i = 0; i < n; i++) {
                        px[i] = scale * (K * mx[i] + 0.5) - origin.x;
                        py[i] = scale * (-K * my[i] + 0.5) - origin.y;
                        pr[i] = scale * K * rm[i];
                        x0 = Math.min(x0, px[i]); y0 = Math.min(y0, py[i]);
                        x1 = Math.max(x1, px[i]); y1 = Math.max(y1, py[i]); widest = Math.max(widest, pr[i]);
                    }
                    this._pxBounds = n ? L.bounds([x0 - widest, y0 - widest], [x1 + widest, y1 + widest]) : null;
                    this._cellSize = Math.max(8, 2 * widest);
                    this._grid = null;
                },
                _update: function () { if (this._map) { this._updatePath(); } },
                _empty: function () { return !n; },
                _updatePath: function () {
                    const renderer = this._renderer;
                    if (!renderer._drawing || !this._byClass || !n) { return; }
                    const ctx = renderer._ctx, b = renderer._redrawBounds || renderer._bounds;
                    const outline = this._map.getZoom() >= {{ this.outline_zoom }} && this.options.stroke;
                    this._byClass.forEach((cells, k) => {
                        ctx.beginPath();
                        for (const i of cells) {
                            const x = px[i], y = py[i], r = pr[i];
                            if (x + r < b.min.x || x - r > b.max.x || y + r < b.min.y || y - r > b.max.y) { continue; }
                            ctx.moveTo(x + r, y);
                            ctx.arc(x, y, r, 0, 2 * Math.PI);
                        }
                        ctx.globalAlpha = this.options.fillOpacity;
                        ctx.fillStyle = this._colours[k];
                        ctx.fill();
                        if (outline) {
                            ctx.globalAlpha = this.options.opacity;
                            ctx.lineWidth = this.options.weight;
                            ctx.strokeStyle = this.options.color;
                            ctx.stroke();
                        }
                    });
                },
                // The cell under a point (the one whose centre is nearest among those whose circle holds it).
                _containsPoint: function (p) {
                    if (!n || !this._pxBounds) { return false; }
                    const size = this._cellSize, key = (a, b) => a * 1048576 + b;
                    if (!this._grid) {
                        this._grid = new Map();
                        for (let i = 0; i < n; i++) {
                            const k = key(Math.floor(px[i] / size), Math.floor(py[i] / size));
                            if (!this._grid.has(k)) { this._grid.set(k, []); }
                            this._grid.get(k).push(i);
                        }
                    }
                    const gx = Math.floor(p.x / size), gy = Math.floor(p.y / size);
                    let best = -1, nearest = Infinity;
                    for (let a = gx - 1; a <= gx + 1; a++) {
                        for (let b = gy - 1; b <= gy + 1; b++) {
                            for (const i of this._grid.get(key(a, b)) || []) {
                                const d = (p.x - px[i]) ** 2 + (p.y - py[i]) ** 2;
                                if (d <= pr[i] ** 2 && d < nearest) { best = i; nearest = d; }
                            }
                        }
                    }
                    this._hit = best;
                    return best >= 0;
                },
            });
            const path = new Cells();
            path.bindTooltip(() => tooltip(path._hit), {sticky: true});
            path.bindPopup(() => flPopupHtml(popup(path._hit)), {maxWidth: 380});
            // The tooltip follows the cell under the mouse within the one path.
            path.on("mousemove", function () {
                if (path._hit !== path._shown) {
                    path._shown = path._hit;
                    if (path.isTooltipOpen()) { path.getTooltip().update(); }
                }
            });
            // The cells as features, for whoever inspects the map's layers (positions, classes, radii, colours).
            function features() {
                return Array.from({length: n}, (_, i) => ({
                    cell: i,
                    feature: {properties: {classes: data.classes.map((_, t) => classOf(t, i)), radius: radius(i)}},
                    getLatLng: () => L.latLng(lat[i], lng[i]),
                    options: {fillColor: path._colours[classOf(path._theme, i)]},
                }));
            }
            return {path, features, classOf, lat, lng, data, tooltip};
        })(JSON.parse({{ this.data_json|tojson }}), {{ this.text|tojson }}));
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], text: dict[str, Any]) -> None:
        super().__init__()
        self._name = "CellData"
        # As a JSON string: the browser parses JSON faster than the same data written as a script.
        self.data_json = json.dumps(data, separators=(",", ":"))
        self.text = text
        self.style = {"color": CELL_STROKE, "weight": 0.5, "fill": True, "fillOpacity": 0.85}
        self.outline_zoom = CELL_OUTLINE_ZOOM


class _CellTheme(Layer):
    """One theme of the demand cells: a radio button that colours the cells' shared path by its classes."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (cells) {
            return new (L.Layer.extend({
                // Drawn from the detail zoom on while chosen (below it the township overview stands for them).
                onAdd: function (map) {
                    this._sync = () => {
                        const wanted = map.getZoom() >= {{ this.detail_zoom }};
                        if (wanted && !this._themed) {
                            cells().path.setTheme({{ this.index }}, {{ this.colours|tojson }});
                            this._themed = true;
                        }
                        const path = this._themed ? cells().path : null;
                        if (path && wanted !== map.hasLayer(path)) {
                            wanted ? map.addLayer(path) : map.removeLayer(path);
                        }
                    };
                    map.on("zoomend", this._sync);
                    this._sync();
                },
                onRemove: function (map) {
                    map.off("zoomend", this._sync);
                    if (this._themed) { map.removeLayer(cells().path); }
                    this._themed = false;
                },
                getLayers: function () { return this._map && this._themed ? cells().features() : []; },
                bringToBack: function () { if (this._themed) { cells().path.bringToBack(); } return this; },
                cellsPath: function () { return cells().path; },
            }))({flTheme: {{ this.key|tojson }}});
        })({{ this.cells.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, cells: _CellData, index: int, theme: CellTheme, detail_zoom: int, _: Translator) -> None:
        super().__init__(name=_(theme.name), overlay=False, control=True, show=theme.show)
        self.detail_zoom = detail_zoom
        self._name = "CellTheme"
        self.cells = cells
        self.index = index
        self.key = theme.key
        self.colours = [c.colour for c in theme.classes]


class _Assignments(Layer):
    """A line from each served cell to its clinic, built from the cells' data the first time it is shown (a
    prefecture has 90,000: built at load, they slowed every page down, shown or not)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new (L.Layer.extend({
            onAdd: function (map) {
                if (!this._lines) {
                    const cells = {{ this.cells.get_name() }}(), data = cells.data;
                    this._lines = L.featureGroup();
                    for (let i = 0; i < data.people.length; i++) {
                        const site = data.clinic[i] >= 0 ? data.clinic_sites[data.clinic[i]] : null;
                        if (!site) { continue; }
                        const line = L.polyline([[cells.lat[i], cells.lng[i]], site], {{ this.style|tojson }});
                        line.cell = i;
                        this._lines.addLayer(line);
                    }
                    this._lines.bindTooltip((line) => cells.tooltip(line.cell).replace(" · ", " → "));
                }
                map.addLayer(this._lines);
            },
            onRemove: function (map) { map.removeLayer(this._lines); },
            getLayers: function () { return this._lines ? this._lines.getLayers() : []; },
        }))();
        {% endmacro %}
        """
    )

    def __init__(self, cells: _CellData, _: Translator) -> None:
        super().__init__(name=_(ASSIGNMENTS_LAYER), overlay=True, control=True, show=False)
        self._name = "Assignments"
        self.cells = cells
        self.style = ASSIGNMENT_STYLE


def add_demand(
    fmap: folium.Map,
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    themes: list[CellTheme],
    full_circle_people: float,
    spacing_m: float,
    standards: Mapping[str, Any],
    modes: Mapping[str, str],
    reach: Mapping[str, float],
    _: Translator = ENGLISH,
    detail_zoom: int = 0,
) -> None:
    """The demand cells (in map coordinates, as the facilities), one theme at a time, and the lines from each
    cell to its clinic (a layer off at start, drawn from the cells' data when first switched on). ``reach``:
    the minutes up to which travel times were computed, per tier (what a cut-off cell's note quotes); the cells
    show from ``detail_zoom`` on."""
    served = np.isfinite(demand["clinic_minutes"].to_numpy(dtype=float))
    sites, first, clinic = np.unique(demand["clinic_site_id"].astype(str).to_numpy(), True, True)
    clinic_names = [fmt.text(name) for name in demand["clinic_name"].to_numpy()[first]]
    at = dict(
        zip(
            facilities["site_id"].astype(str),
            zip(facilities.geometry.y, facilities.geometry.x, strict=True),
            strict=True,
        )
    )
    clinic_sites = [
        [round(at[s][0], COORDINATE_DECIMALS), round(at[s][1], COORDINATE_DECIMALS)] if s in at else None
        for s in sites.tolist()
    ]
    clinic = np.where(served, clinic, -1).tolist()
    centre_names, centre = _name_index(demand["centre_name"], demand["centre_minutes"])
    ids = demand["cell_id"].to_numpy()
    grid = None
    if on_grid(demand):  # c<col>_<row>: columns and rows as steps, most of them 1 and 0
        col_row = np.array([GRID_CELL_ID.fullmatch(str(c)).groups() for c in ids], dtype=np.int64).reshape(-1, 2)
        grid = {key: np.diff(col_row[:, k], prepend=0).tolist() for k, key in enumerate(("col", "row"))}
    data = {
        "lat": steps(demand.geometry.y.to_numpy()),
        "lng": steps(demand.geometry.x.to_numpy()),
        "people": [int(v) for v in np.round(np.nan_to_num(demand["population"].to_numpy(dtype=float)))],
        "clinic": clinic,
        "clinic_minutes": _tenths(demand["clinic_minutes"]),
        "centre": centre,
        "centre_minutes": _tenths(demand["centre_minutes"]),
        "elevation": [None if not np.isfinite(v) else round(v) for v in demand["elevation_m"].to_numpy(float).tolist()],
        "classes": ["".join(map(str, theme.cell_class.tolist())) for theme in themes],
        "off_network": np.flatnonzero(demand["off_network"].to_numpy(dtype=bool)).tolist(),
        "cut_off": np.flatnonzero(demand["cut_off"].to_numpy(dtype=bool)).tolist(),
        "clinic_names": clinic_names,
        "clinic_sites": clinic_sites,
        "centre_names": centre_names,
        # Cell ids are shown in popups; left out when they are just the row numbers.
        "ids": None if grid is not None or np.array_equal(ids, np.arange(len(ids))) else [fmt.text(v) for v in ids],
        "grid": grid,
        "full_circle_people": full_circle_people,
        "spacing_m": spacing_m,
        "largest": LARGEST_CIRCLE_SPACINGS,
        "smallest": SMALLEST_CIRCLE_SHARE,
    }
    text = {
        "clinic_standard": fmt.minutes(standards.get("village_clinic_max_minutes"), _),
        "centre_standard": fmt.minutes(standards.get("township_centre_max_minutes"), _),
        "clinic_mode": mode_words(modes, VILLAGE_CLINIC, _),
        "centre_mode": mode_words(modes, TOWNSHIP_CENTRE, _),
        # Sentences with {placeholders} the page fills in (already in the page's language).
        "minutes": _("{minutes} min"),
        "no_possible_site": _("no possible site"),
        "no_clinic": _("no village clinic"),
        "tooltip_served": _("{people} people · {minutes} to {clinic}"),
        "tooltip_unserved": _("{people} people · {reach} within {standard}"),
        "no_clinic_within": _("none: {reach} within {standard}"),
        "no_centre_within": _("none within {standard}"),
        "title": _("Demand cell {cell}"),
        "rows": [_("People"), _("Village clinic"), _("Township centre"), _("People per km²"), _("Elevation")],
        "uncoverable_class": next(k for k, c in enumerate(themes[0].classes) if c.key == "uncoverable"),
        "density_labels": [c.label for c in themes[2].classes],
        "off_network": _("Off the road network: too far to walk to any road."),
        "cut_off": _(
            "Cut off: no open facility of any tier within {clinic} (clinic) or {centre} (township centre), the "
            "farthest travel times computed.",
            clinic=fmt.minutes(reach.get(VILLAGE_CLINIC), _),
            centre=fmt.minutes(reach.get(TOWNSHIP_CENTRE), _),
        ),
        "missing": fmt.MISSING,
    }
    cells = _CellData(data, text)
    fmap.add_child(cells)
    # One theme at a time (radio buttons: the themes share colours with different meanings), or none.
    for index, theme in enumerate(themes):
        fmap.add_child(_CellTheme(cells, index, theme, detail_zoom, _))
    folium.FeatureGroup(name=_(CELLS_OFF_LAYER), overlay=False, show=False).add_to(fmap)
    fmap.add_child(_Assignments(cells, _))


def _tenths(minutes: pd.Series) -> list[int]:
    """Minutes in whole tenths (-1 where there are none), as the popups show them: to 0.1 min."""
    values = minutes.to_numpy(dtype=float)
    return np.where(np.isfinite(values), np.round(np.nan_to_num(values) * 10), -1).astype(int).tolist()


def _name_index(names: pd.Series, minutes: pd.Series) -> tuple[list[str], list[int]]:
    """The distinct names (HTML-escaped) and each row's index into them; -1 where the minutes are missing."""
    present = np.isfinite(minutes.to_numpy(dtype=float))
    distinct, index = np.unique(names.fillna("").astype(str).to_numpy(), return_inverse=True)
    return [fmt.text(name) for name in distinct], np.where(present, index, -1).tolist()


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

    Cells of the population grid are their squares (:func:`facility_layout.cells.cell_squares`, as in the
    GeoPackage); other demand points (census villages) their Voronoi regions, cut to a square a little wider
    than a cell around the point (so empty land between settlements is not claimed) and to the region.
    Cells are dissolved by clinic (:func:`facility_layout.cells.dissolved_areas`). Rows: ``kind``
    (``catchment`` | ``beyond`` | ``uncoverable``), ``site_id``, ``population``.
    """
    columns = ["kind", "site_id", "population"]
    if len(demand) == 0:
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=demand.crs)
    grid = bool(cell_size_m) and on_grid(demand)
    shapes = cell_squares(demand, boundary, cell_size_m) if grid else _voronoi_cells(demand, boundary, cell_size_m)
    catchments, beyond = dissolved_areas(demand, shapes, coverage=grid)
    frames = [catchments.assign(kind="catchment"), beyond.assign(site_id="")]
    return gpd.GeoDataFrame(pd.concat([f[[*columns, "geometry"]] for f in frames], ignore_index=True), crs=demand.crs)


def _voronoi_cells(demand: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, cell_size_m: float | None) -> np.ndarray:
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
    return shapely.intersection(shapely.intersection(voronoi, squares), region)


def circle_radius_m(
    demand: gpd.GeoDataFrame, people: np.ndarray, full_circle_people: float, cell_size_m: float | None = None
) -> np.ndarray:
    """Radius of each cell's circle in metres, scaled to the spacing between demand cells."""
    spacing = cell_spacing_m(demand, cell_size_m)
    share = np.clip(np.nan_to_num(people) / full_circle_people, 0, 1) if full_circle_people > 0 else 1.0
    return spacing * LARGEST_CIRCLE_SPACINGS * np.maximum(np.sqrt(share), SMALLEST_CIRCLE_SHARE)
