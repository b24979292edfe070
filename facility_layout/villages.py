"""Administrative villages for the village merge rule, from settlement points.

Until village boundaries are given as input, the settlements file stands in for the administrative
village seats: each settlement is one village, each demand point and each site belongs to its nearest
settlement (straight line in the metric CRS), and two villages are adjacent when their cells (the Voronoi
cells of the settlement points) share a border. Cells that meet only at a corner (four settlements on a
circle) are not adjacent, and cells on the edge of the region may touch outside it; the rule's
added-minutes limit, not adjacency alone, decides whether a merge is allowed.

The rule itself, over plain arrays, is :class:`facility_layout.models.merge_rule.VillageMergeRule`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import QhullError, Voronoi, cKDTree

from facility_layout.models.merge_rule import VillageMergeRule

if TYPE_CHECKING:
    import geopandas as gpd

    from facility_layout.candidates import Sites
    from facility_layout.demand import DemandPoints


def administrative_villages(
    demand_x: np.ndarray,
    demand_y: np.ndarray,
    site_x: np.ndarray,
    site_y: np.ndarray,
    settlement_x: np.ndarray,
    settlement_y: np.ndarray,
    settlement_names: np.ndarray,
    max_added_minutes: float,
) -> VillageMergeRule:
    """The merge rule with one village per settlement.

    Parameters
    ----------
    demand_x, demand_y : numpy.ndarray
        Demand points (metric CRS).
    site_x, site_y : numpy.ndarray
        Sites, in the model's site order (metric CRS).
    settlement_x, settlement_y : numpy.ndarray
        Settlement points standing in for the village seats (metric CRS).
    settlement_names : numpy.ndarray of str
        Village names for the report.
    max_added_minutes : float
        ``N`` of the rule.

    Returns
    -------
    VillageMergeRule
        Villages numbered as the settlements. Settlements at the same spot as an earlier one get no
        points, no sites and no neighbours (the earlier one takes them); with no settlements at all every
        point and site is in no village, and the rule asks nothing.
    """
    seats = np.column_stack([np.asarray(settlement_x, dtype=float), np.asarray(settlement_y, dtype=float)])
    names = np.asarray(settlement_names, dtype=object)
    if len(names) != len(seats):
        raise ValueError("settlement_names needs one name per settlement")
    # Two seats at one spot would split its people arbitrarily: the first of them is the village.
    _, first = np.unique(seats, axis=0, return_index=True)
    first = np.sort(first)
    return VillageMergeRule(
        village_of_point=_nearest(seats, first, demand_x, demand_y),
        village_of_site=_nearest(seats, first, site_x, site_y),
        adjacent=first[adjacent_cells(seats[first])] if len(first) else np.zeros((0, 2), dtype=np.int64),
        max_added_minutes=float(max_added_minutes),
        village_names=names,
    )


def villages_from_region(
    settlements: gpd.GeoDataFrame,
    demand: DemandPoints,
    sites: Sites,
    max_added_minutes: float,
    places: Sequence[str] | None = None,
) -> VillageMergeRule:
    """The merge rule for a region, from what the pipeline already holds.

    Parameters
    ----------
    settlements : geopandas.GeoDataFrame
        ``name``, ``place`` and point geometry in the metric CRS (``RegionInputs.settlements``).
    demand : DemandPoints
    sites : Sites
    max_added_minutes : float
        ``N`` of the rule.
    places : sequence of str, optional
        Only settlements of these ``place`` types are village seats (e.g. leave out hamlets); all by default.
    """
    if places is not None:
        settlements = settlements[settlements["place"].isin(list(places))]
    return administrative_villages(
        demand.x,
        demand.y,
        sites.x,
        sites.y,
        settlements.geometry.x.to_numpy(),
        settlements.geometry.y.to_numpy(),
        settlements["name"].to_numpy(dtype=object),
        max_added_minutes,
    )


def adjacent_cells(points: np.ndarray) -> np.ndarray:
    """Pairs ``(a, b)``, ``a < b``, of points whose Voronoi cells share a border, sorted; points distinct.

    Voronoi ridges rather than Delaunay edges: for four settlements on a circle (a square block) the
    Delaunay triangulation picks one diagonal at random, while their cells meet only at a corner.
    Settlements on one line have strip-shaped cells, each bordering the next along the line.
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(points) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = None
    if len(points) >= 3:
        try:
            pairs = np.asarray(Voronoi(points).ridge_points, dtype=np.int64)
        except QhullError:
            pairs = None  # all on one line: no 2-D diagram
    if pairs is None:
        # Order along the line (its main direction), then each point borders the next one.
        centred = points - points.mean(axis=0)
        direction = np.linalg.svd(centred, full_matrices=False)[2][0]
        order = np.argsort(centred @ direction, kind="stable")
        pairs = np.column_stack([order[:-1], order[1:]])
    pairs = np.sort(pairs, axis=1)
    return np.unique(pairs, axis=0)


def _nearest(seats: np.ndarray, usable: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index (among all seats) of the nearest usable seat of each point; -1 for all without seats."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(usable) == 0:
        return np.full(len(x), -1, dtype=np.int64)
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64)
    _, nearest = cKDTree(seats[usable]).query(np.column_stack([x, y]))
    return usable[np.asarray(nearest, dtype=np.int64)]
