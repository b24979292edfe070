"""Demand cells as the squares they are: the aggregation grid of :mod:`facility_layout.demand`."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import shapely

GRID_CELL_ID = re.compile(r"c(-?\d+)_(-?\d+)")


def on_grid(demand: gpd.GeoDataFrame) -> bool:
    """Whether the demand points are cells of the population grid (``c<col>_<row>``), not census villages."""
    return len(demand) > 0 and all(GRID_CELL_ID.fullmatch(str(c)) for c in demand["cell_id"])


def cell_squares(demand: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, cell_size_m: float) -> np.ndarray:
    """The square of each demand cell, from its id ``c<col>_<row>`` in the grid anchored at the lower left
    corner of the region's bounds (as :func:`facility_layout.demand.demand_points` aggregates people).

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        With ``cell_id``; in the region's metric CRS.
    boundary : geopandas.GeoDataFrame
        The region, same CRS.
    cell_size_m : float
        Side of a cell (``population.cell_size_m``).
    """
    x0, y0 = boundary.total_bounds[:2]
    col_row = np.array(
        [GRID_CELL_ID.fullmatch(cell).groups() for cell in demand["cell_id"].astype(str)], dtype=np.int64
    ).reshape(-1, 2)
    left, bottom = x0 + col_row[:, 0] * cell_size_m, y0 + col_row[:, 1] * cell_size_m
    return shapely.box(left, bottom, left + cell_size_m, bottom + cell_size_m)


def dissolved_areas(demand: gpd.GeoDataFrame, squares: np.ndarray) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Catchment of each clinic (union of the squares of the cells it serves: ``site_id``, ``name``,
    ``population``) and the land beyond the clinic standard (``kind`` ``beyond`` | ``uncoverable``,
    ``population``)."""
    site = demand["clinic_site_id"].fillna("").astype(str).to_numpy()
    uncoverable = demand["uncoverable"].to_numpy(dtype=bool)
    frame = gpd.GeoDataFrame(
        {
            "site_id": site,
            "name": demand["clinic_name"].fillna("").astype(str).to_numpy(),
            "kind": np.where(uncoverable, "uncoverable", "beyond"),
            "population": demand["population"].to_numpy(dtype=float),
        },
        geometry=squares,
        crs=demand.crs,
    )
    served = frame[site != ""]
    catchments = served.dissolve(by=["site_id", "name"], aggfunc={"population": "sum"}, as_index=False)
    beyond = frame[site == ""].dissolve(by="kind", aggfunc={"population": "sum"}, as_index=False)
    return (
        catchments[["site_id", "name", "population", "geometry"]],
        beyond[["kind", "population", "geometry"]],
    )
