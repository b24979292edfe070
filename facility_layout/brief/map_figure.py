"""The brief's static map: relief, boundary, facilities by decision, township centre labels, scale bar,
north arrow and legend, drawn in the region's metric CRS."""

from __future__ import annotations

import math

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from facility_layout.errors import FacilityLayoutError
from facility_layout.evaluate import LayoutTables
from facility_layout.i18n import Translator
from facility_layout.inputs import TOWNSHIP_CENTRE, read_raster
from facility_layout.palette import BOUNDARY_COLOUR, FACILITY_STYLES
from facility_layout.relief import hillshade, warped_dem
from facility_layout.scenario import Scenario

MARKERS = {"circle": "o", "cross": "X", "triangle": "^", "square": "s", "star": "*"}
MARKER_SIZES = {"circle": 18, "cross": 26, "triangle": 26, "square": 34, "star": 120}
RELIEF_PIXELS = 700  # along the longer side: fine enough for a page, quick to shade


def draw_map(ax: Axes, tables: LayoutTables, scenario: Scenario, _: Translator) -> None:
    """Draw the layout into ``ax`` (axes off, equal scale)."""
    west, south, east, north = tables.boundary.total_bounds
    pad = 0.03 * max(east - west, north - south)
    extent = (west - pad, east + pad, south - pad, north + pad)
    shade = _relief(scenario, tables, extent)
    if shade is not None:
        ax.imshow(shade, extent=extent, cmap="Greys_r", vmin=0, vmax=1, alpha=0.45, interpolation="bilinear", zorder=0)
    for line in shapely.get_parts(tables.boundary.boundary.to_numpy()):
        x, y = shapely.get_coordinates(line).T
        ax.plot(x, y, color=BOUNDARY_COLOUR, linewidth=1.0, zorder=2)
    handles = []
    facilities = tables.facilities
    for (tier, decision), (fill, outline, shape, label) in FACILITY_STYLES.items():
        rows = facilities[(facilities["tier"] == tier) & (facilities["decision"] == decision)]
        style = {
            "marker": MARKERS[shape],
            "c": fill,
            "edgecolors": outline,
            "linewidths": 0.6,
            "s": MARKER_SIZES[shape],
            "zorder": 4 if tier == TOWNSHIP_CENTRE else 3,
        }
        ax.scatter(rows.geometry.x, rows.geometry.y, **style)
        handles.append(
            Line2D(
                [],
                [],
                marker=MARKERS[shape],
                color="none",
                markerfacecolor=fill,
                markeredgecolor=outline,
                markersize=math.sqrt(MARKER_SIZES[shape]),
                label=f"{_(label)} ({_.people(len(rows))})",
            )
        )
    centres = facilities[(facilities["tier"] == TOWNSHIP_CENTRE) & (facilities["decision"] != "close")]
    middle = (extent[0] + extent[1]) / 2
    for name, point in zip(centres["name"], centres.geometry, strict=True):
        # Labels point inwards, so they stay on the map.
        right_half = point.x > middle
        label = ax.annotate(
            name,
            (point.x, point.y),
            xytext=(-5 if right_half else 5, 4),
            textcoords="offset points",
            ha="right" if right_half else "left",
            fontsize=7,
            zorder=5,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
        )
        label.set_clip_on(True)
    handles.append(Line2D([], [], color=BOUNDARY_COLOUR, linewidth=1.0, label=_("Boundary")))
    ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    _scale_bar(ax, extent, _)
    _north_arrow(ax)


def _relief(scenario: Scenario, tables: LayoutTables, extent: tuple[float, float, float, float]) -> np.ndarray | None:
    """Hillshade of the DEM on the map's extent (0 dark to 1 light), NaN over the sea; None without a DEM."""
    if not scenario.map.relief or scenario.inputs.elevation is None:
        return None
    try:
        dem = read_raster(scenario.inputs.elevation, "inputs.elevation")
    except FacilityLayoutError:
        return None  # the run read it already; a DEM gone since leaves the page without relief, not unwritten
    x0, x1, y0, y1 = extent
    pixel = max(x1 - x0, y1 - y0) / RELIEF_PIXELS
    width, height = max(1, round((x1 - x0) / pixel)), max(1, round((y1 - y0) / pixel))
    values = warped_dem(dem, (x0, y0, x1, y1), (width, height), tables.boundary.crs.to_wkt())
    land = np.isfinite(values) & (values > 0)
    shade = hillshade(np.where(land, values, 0.0), pixel)
    return np.where(land, shade, np.nan)


def _scale_bar(ax: Axes, extent: tuple[float, float, float, float], _: Translator) -> None:
    """A bar of a round length, about a fifth of the map's width, at the lower right."""
    x0, x1, y0, y1 = extent
    target = (x1 - x0) / 5
    length = max(b * 10**e for e in range(0, 7) for b in (1, 2, 5) if b * 10**e <= target)
    right, bottom = x1 - 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([right - length, right], [bottom, bottom], color="black", linewidth=3, solid_capstyle="butt", zorder=6)
    ax.text(
        right - length / 2,
        bottom + 0.012 * (y1 - y0),
        _("{distance} km", distance=_.decimal(length / 1000, 1)),
        ha="center",
        va="bottom",
        fontsize=8,
        zorder=6,
    )


def _north_arrow(ax: Axes) -> None:
    # The region's metric CRS (UTM or the scenario's) has grid north up, within a degree or two of true north.
    ax.annotate(
        "",
        xy=(0.95, 0.96),
        xytext=(0.95, 0.88),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>,head_width=0.4,head_length=0.8", "color": "black", "linewidth": 1.5},
    )
    ax.text(0.95, 0.965, "N", transform=ax.transAxes, ha="center", va="bottom", fontsize=10)
