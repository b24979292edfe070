"""Population raster → demand points: people aggregated into square cells of the metric CRS.

Each raster pixel whose centre lies inside the region boundary adds its people to the cell that holds
that centre. A cell's demand point is the population-weighted mean of its pixel centres, so in a
mountain cell the point sits where the people live (the valley village), not at the cell's middle.
Nodata pixels (WorldPop's sea, a lake) hold nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer
from rasterio.features import geometry_mask

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
    """

    x: np.ndarray
    y: np.ndarray
    population: np.ndarray
    cell_id: np.ndarray
    cell_size_m: float
    raw_total: float

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
    cells, cell_of_pixel = np.unique(np.column_stack([cx, cy]), axis=0, return_inverse=True)
    cell_of_pixel = cell_of_pixel.ravel()
    total_per_cell = np.bincount(cell_of_pixel, weights=weights, minlength=len(cells))
    mean_x = np.bincount(cell_of_pixel, weights=weights * x, minlength=len(cells)) / total_per_cell
    mean_y = np.bincount(cell_of_pixel, weights=weights * y, minlength=len(cells)) / total_per_cell

    raw_total = float(weights.sum())
    scaled = total_per_cell
    if scale_to_total is not None and raw_total > 0:
        scaled = total_per_cell * (scale_to_total / raw_total)
    cell_id = np.array([f"c{c}_{r}" for c, r in cells], dtype=object)
    return DemandPoints(
        x=mean_x, y=mean_y, population=scaled, cell_id=cell_id, cell_size_m=cell_size_m, raw_total=raw_total
    )


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
    if scale_to_total is not None and raw_total > 0:
        people = people * (scale_to_total / raw_total)
    return DemandPoints(
        x=villages.geometry.x.to_numpy(),
        y=villages.geometry.y.to_numpy(),
        population=people,
        cell_id=np.array([f"v{row}" for row in villages["row"]], dtype=object),
        cell_size_m=cell_size_m,
        raw_total=raw_total,
    )


def village_weights(villages: gpd.GeoDataFrame, demand: DemandPoints) -> np.ndarray:
    """Each village's demand weight (people × visits per person of their age groups), rescaled like its people."""
    people = villages["people"].to_numpy(dtype=float)
    return villages["demand_weight"].to_numpy(dtype=float) * np.divide(
        demand.population, people, out=np.ones_like(people), where=people > 0
    )
