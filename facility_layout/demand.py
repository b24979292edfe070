"""Population raster → demand points: people aggregated into square cells of the metric CRS.

Each raster pixel whose centre lies inside the region boundary adds its people to the cell that holds
that centre. A cell's demand point is the population-weighted mean of its pixel centres, so in a
mountain cell the point sits where the people live (the valley village), not at the cell's middle.
Nodata pixels (WorldPop's sea, a lake) hold nobody.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer
from rasterio.features import geometry_mask

from facility_layout.errors import InputError, Message
from facility_layout.inputs import Raster


@dataclass(frozen=True)
class DemandPoints:
    """People to serve.

    Attributes
    ----------
    x, y : numpy.ndarray
        Demand point per cell (metric CRS).
    population : numpy.ndarray
        People in the cell (after any rescaling).
    cell_id : numpy.ndarray of str
        Stable id ``"c<col>_<row>"`` of the cell in the aggregation grid.
    cell_size_m : float
        Side of the cells.
    raw_total : float
        People inside the boundary before rescaling (for the record).
    scale_factor : float
        ``population`` ÷ the raster's people (1 without ``population.scale_to_total``).
    """

    x: np.ndarray
    y: np.ndarray
    population: np.ndarray
    cell_id: np.ndarray
    cell_size_m: float
    raw_total: float
    scale_factor: float = 1.0

    @property
    def total(self) -> float:
        return float(self.population.sum())

    def __len__(self) -> int:
        return len(self.x)


def demand_points(
    population: Raster,
    boundary: gpd.GeoDataFrame,
    crs: CRS,
    cell_size_m: float,
    scale_to_total: float | None = None,
) -> DemandPoints:
    """Aggregate the population raster to demand points.

    Parameters
    ----------
    population : Raster
        People per pixel, nodata masked.
    boundary : geopandas.GeoDataFrame
        The region; pixels whose centre is outside hold nobody for this region.
    crs : pyproj.CRS
        Metric CRS of the cells.
    cell_size_m : float
        Cell side in metres.
    scale_to_total : float, optional
        Rescale so the region holds this many people (e.g. a census total).
    """
    region = boundary.to_crs(population.crs).union_all()
    outside = geometry_mask([region], out_shape=population.values.shape, transform=population.transform)
    people = population.values.filled(0.0).astype(np.float64)
    people[outside | ~np.isfinite(people) | (people < 0)] = 0.0
    rows, cols = np.nonzero(people > 0)
    weights = people[rows, cols]
    px, py = population.pixel_centres()
    x, y = Transformer.from_crs(population.crs, crs, always_xy=True).transform(px[rows, cols], py[rows, cols])
    x, y = np.asarray(x), np.asarray(y)

    bounds = boundary.to_crs(crs).total_bounds
    cx = np.floor((x - bounds[0]) / cell_size_m).astype(np.int64)
    cy = np.floor((y - bounds[1]) / cell_size_m).astype(np.int64)
    cells, cell_of_pixel = grid_cells(cx, cy)
    total_per_cell = np.bincount(cell_of_pixel, weights=weights, minlength=len(cells))
    mean_x = np.bincount(cell_of_pixel, weights=weights * x, minlength=len(cells)) / total_per_cell
    mean_y = np.bincount(cell_of_pixel, weights=weights * y, minlength=len(cells)) / total_per_cell

    raw_total = float(weights.sum())
    factor = scale_to_total / raw_total if scale_to_total is not None and raw_total > 0 else 1.0
    cell_id = np.array([f"c{c}_{r}" for c, r in cells], dtype=object)
    return DemandPoints(
        x=mean_x,
        y=mean_y,
        population=total_per_cell * factor,
        cell_id=cell_id,
        cell_size_m=cell_size_m,
        raw_total=raw_total,
        scale_factor=factor,
    )


def grid_cells(cx: np.ndarray, cy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (column, row) cells of pixels, sorted by column then row, and each pixel's cell.

    As ``np.unique`` over the rows of ``[cx, cy]``, on one integer key per pixel (a prefecture's millions of
    pixels: a tenth of the time).
    """
    if len(cx) == 0:
        return np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.int64)
    x0, y0 = cx.min(), cy.min()
    span = int(cy.max() - y0) + 1
    keys, cell_of_pixel = np.unique((cx - x0) * span + (cy - y0), return_inverse=True)
    cells = np.column_stack([keys // span + x0, keys % span + y0])
    return cells, cell_of_pixel.ravel()


def village_demand(villages: gpd.GeoDataFrame, cell_size_m: float, scale_to_total: float | None = None) -> DemandPoints:
    """Demand points from a village census: one point per village, at the village, with its people.

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        ``people`` and point ``geometry`` in the metric CRS (:func:`facility_layout.readers.census.read_census`).
    cell_size_m : float
        Kept as the size each village is drawn with on the map (a village is not a cell).
    scale_to_total : float, optional
        Rescale so the villages hold this many people.

    Returns
    -------
    DemandPoints
        ``cell_id`` is ``v<row in the census table>``, so each point can be found in the planner's table.
    """
    people = villages["people"].to_numpy(dtype=float)
    raw_total = float(people.sum())
    scale_factor = scale_to_total / raw_total if scale_to_total is not None and raw_total > 0 else 1.0
    people = people * scale_factor
    return DemandPoints(
        x=villages.geometry.x.to_numpy(),
        y=villages.geometry.y.to_numpy(),
        population=people,
        cell_id=np.array([f"v{row}" for row in villages["row"]], dtype=object),
        cell_size_m=cell_size_m,
        raw_total=raw_total,
        scale_factor=scale_factor,
    )


def village_weights(villages: gpd.GeoDataFrame, demand: DemandPoints) -> np.ndarray:
    """Each village's demand weight (people × visits per person of their age groups), rescaled like its people."""
    people = villages["people"].to_numpy(dtype=float)
    return villages["demand_weight"].to_numpy(dtype=float) * np.divide(
        demand.population, people, out=np.ones_like(people), where=people > 0
    )


# Cell-size sanity (docs/reliability.md, "Input data"): warn when cells are finer than this share of the
# population raster's pixel side (they add demand points, not detail) ...
FINE_CELL_SHARE = 0.5
# ... or when the upper bound of the travel matrices (every cell to every site and centre, BYTES_PER_PAIR
# each) passes this share of the machine's memory; refuse when it passes the whole memory.
LARGE_MEMORY_SHARE = 0.25
BYTES_PER_PAIR = 24  # origin and destination (int64) and minutes (float64)


def pixel_side_m(raster: Raster, crs: CRS) -> float:
    """Side of the raster's middle pixel in metres of ``crs`` (geometric mean of its width and height)."""
    rows, cols = raster.values.shape
    r, c = rows // 2, cols // 2
    corners = [raster.transform @ (c + dc, r + dr) for dc, dr in ((0, 0), (1, 0), (0, 1))]
    x, y = Transformer.from_crs(raster.crs, crs, always_xy=True).transform(*np.array(corners).T)
    width = float(np.hypot(x[1] - x[0], y[1] - y[0]))
    height = float(np.hypot(x[2] - x[0], y[2] - y[0]))
    return float(np.sqrt(width * height))


def check_cell_size(
    demand: DemandPoints,
    pixel_m: float,
    standard_walk_m: float,
    destinations: int,
    source: Path | str,
    memory_bytes: int | None = None,
) -> list[str]:
    """Warnings about ``population.cell_size_m``; an :class:`InputError` when the run cannot fit in memory.

    Parameters
    ----------
    demand : DemandPoints
        The cells as aggregated.
    pixel_m : float
        Side of the population raster's pixels (m), see :func:`pixel_side_m`.
    standard_walk_m : float
        Metres walked on flat ground within the village-clinic standard's minutes.
    destinations : int
        Sites plus township centres: the columns of the travel matrices.
    source : Path or str
        The scenario file, for the messages.
    memory_bytes : int, optional
        The machine's memory (default: this machine's physical memory).
    """
    key = "population.cell_size_m"
    memory_bytes = memory_bytes if memory_bytes is not None else machine_memory_bytes()
    cell = demand.cell_size_m
    pairs = len(demand) * destinations
    need = pairs * BYTES_PER_PAIR
    estimate = Message(
        "{n_demand:,} demand cells × {destinations:,} sites and centres = {pairs:,} pairs, up to {need:.1f} GiB of "
        "travel matrices (this machine has {memory_bytes:.1f} GiB)",
        n_demand=len(demand),
        destinations=destinations,
        pairs=pairs,
        need=need / 2**30,
        memory_bytes=memory_bytes / 2**30,
    )
    if need > memory_bytes:
        raise InputError(
            key,
            source,
            "{cell:g} m cells cannot fit in memory: {estimate}",
            "use larger cells (e.g. 500 m)",
            cell=cell,
            estimate=estimate,
        )
    warnings = []
    if cell < FINE_CELL_SHARE * pixel_m:
        warnings.append(
            Message(
                "{key} ({source}): {cell:g} m cells are much finer than the population raster's {pixel_m:.0f} m "
                "pixels: each pixel's people fall in one cell, so finer cells add demand points but no detail "
                "({estimate}); use at least {pixel_m:.0f} m",
                key=key,
                source=source,
                cell=cell,
                pixel_m=pixel_m,
                estimate=estimate,
            )
        )
    if cell > standard_walk_m:
        warnings.append(
            Message(
                "{key} ({source}): {cell:g} m cells are wider than the {standard_walk_m:.0f} m walked within the "
                "village-clinic standard: everyone in a cell is timed from one point, so minutes can be wrong by "
                "more than the standard itself; use at most {standard_walk_m2:.0f} m",
                key=key,
                source=source,
                cell=cell,
                standard_walk_m=standard_walk_m,
                standard_walk_m2=standard_walk_m / 2,
            )
        )
    if need > LARGE_MEMORY_SHARE * memory_bytes:
        warnings.append(
            Message(
                "{key} ({source}): {cell:g} m cells make a large run: {estimate}",
                key=key,
                source=source,
                cell=cell,
                estimate=estimate,
            )
        )
    return warnings


def machine_memory_bytes() -> int:
    """Physical memory of this machine (bytes)."""
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
