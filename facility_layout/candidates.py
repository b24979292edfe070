"""Sites a layout may use: existing township centres and village clinics, and possible new clinics.

A township centre is always open and also serves the people around it as their village clinic. An
existing village clinic may be kept or closed. New clinics may be built at a settlement of a listed
``place`` type, at a point of the county's own list of sites (``candidates.file``), and where people live:
every demand cell or census village with at least ``populated_cells.min_people`` people within
``travel.max_offroad_m`` of a road (``candidates.populated_cells``). A new site next to an existing
facility (``min_distance_to_existing_m``) is left out: that facility is there already.

With populated cells as candidates, people no site can reach within the standard are split by why:
dispersed (in cells below ``min_people``, too few for a clinic of their own) or no possible site (a cell
big enough, but no site within the standard: off the roads, or beyond reach of any).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from facility_layout.demand import DemandPoints
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.models.two_tier import CANDIDATE as NEW_SITE
from facility_layout.models.two_tier import EXISTING_CLINIC
from facility_layout.models.two_tier import TOWNSHIP_CENTRE as CENTRE_SITE
from facility_layout.scenario import VillageClinicTier


@dataclass(frozen=True)
class Sites:
    """Clinic-capable sites, township centres first, then existing clinics, then new candidates.

    Attributes
    ----------
    site_id, name : numpy.ndarray of str
    kind : numpy.ndarray of str
        ``township_centre`` | ``existing_clinic`` | ``candidate``.
    x, y : numpy.ndarray
        Metric CRS.
    cost : numpy.ndarray
        Cost if open: keep cost (existing clinics), build cost (candidates), 0 (centres: kept anyway).
    centre_index : numpy.ndarray of int64
        Index among township centres for centre sites, else -1.
    neighbour : numpy.ndarray of bool, optional
        Existing clinics of a neighbouring county within a partition's halo (:mod:`facility_layout.partition`):
        kept at no cost to this county, never its decision. None when there are none.
    """

    site_id: np.ndarray
    name: np.ndarray
    kind: np.ndarray
    x: np.ndarray
    y: np.ndarray
    cost: np.ndarray
    centre_index: np.ndarray
    neighbour: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.site_id)

    @property
    def centres(self) -> np.ndarray:
        """Site index of each township centre, in centre order."""
        return np.flatnonzero(self.kind == CENTRE_SITE)


def candidate_sites(
    facilities: gpd.GeoDataFrame,
    settlements: gpd.GeoDataFrame,
    clinic: VillageClinicTier,
    *,
    site_points: gpd.GeoDataFrame | None = None,
    demand: DemandPoints | None = None,
    demand_names: np.ndarray | None = None,
    road_xy: tuple[np.ndarray, np.ndarray] | None = None,
    max_offroad_m: float = 0.0,
    neighbours: gpd.GeoDataFrame | None = None,
) -> Sites:
    """Assemble the sites from the existing facilities, the settlements and the scenario's other candidates.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        ``facility_id``, ``name``, ``tier`` (``village_clinic`` | ``township_centre``), metric CRS.
    settlements : geopandas.GeoDataFrame
        ``name``, ``place``, metric CRS.
    clinic : VillageClinicTier
        Costs and the rules for new candidate sites.
    site_points : geopandas.GeoDataFrame, optional
        ``candidates.file`` as read: ``name`` and points, metric CRS.
    demand : DemandPoints, optional
        For ``candidates.populated_cells``: the cells (or census villages) and their people.
    demand_names : numpy.ndarray, optional
        Village names of census demand points, to name their candidate sites.
    road_xy : tuple of numpy.ndarray, optional
        Road node coordinates (metric CRS): a populated cell is a candidate only within ``max_offroad_m``.
    max_offroad_m : float
        ``travel.max_offroad_m``.
    neighbours : geopandas.GeoDataFrame, optional
        Neighbouring counties' village clinics within the halo (``facility_id``, ``name``, metric CRS): sites
        after this county's clinics, at no keep cost (the scenario forces them open).
    """
    facilities = facilities.assign(site_id=facilities["facility_id"].astype(str))
    centres = facilities[facilities["tier"] == TOWNSHIP_CENTRE]
    clinics = facilities[facilities["tier"] == VILLAGE_CLINIC]
    new = _new_sites(facilities, settlements, clinic)
    listed = _away_from(facilities, site_points, clinic) if site_points is not None else new.iloc[:0]
    listed = listed.assign(site_id=[f"site-{i + 1:04d}" for i in range(len(listed))])
    populated = new.iloc[:0]
    if clinic.candidates.populated_cells is not None and demand is not None and road_xy is not None:
        populated = _populated_cells(facilities, demand, demand_names, road_xy, max_offroad_m, clinic)
    borrowed = facilities.iloc[:0] if neighbours is None else neighbours.assign(site_id=neighbours["facility_id"])
    frames = [
        (centres, CENTRE_SITE, 0.0),
        (clinics, EXISTING_CLINIC, clinic.keep_cost),
        (borrowed, EXISTING_CLINIC, 0.0),
        (new, NEW_SITE, clinic.build_cost),
        (listed, NEW_SITE, clinic.build_cost),
        (populated, NEW_SITE, clinic.build_cost),
    ]
    kind = np.concatenate([np.full(len(f), k, dtype=object) for f, k, _ in frames])
    return Sites(
        site_id=np.concatenate([f["site_id"].to_numpy(dtype=object) for f, _, _ in frames]),
        name=np.concatenate([f["name"].to_numpy(dtype=object) for f, _, _ in frames]),
        kind=kind,
        x=np.concatenate([f.geometry.x.to_numpy() for f, _, _ in frames]),
        y=np.concatenate([f.geometry.y.to_numpy() for f, _, _ in frames]),
        cost=np.concatenate([np.full(len(f), c, dtype=float) for f, _, c in frames]),
        centre_index=np.where(kind == CENTRE_SITE, np.cumsum(kind == CENTRE_SITE) - 1, -1).astype(np.int64),
        neighbour=None
        if neighbours is None
        else np.concatenate([np.full(len(f), f is borrowed) for f, _, _ in frames]),
    )


def _new_sites(
    facilities: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame, clinic: VillageClinicTier
) -> gpd.GeoDataFrame:
    """Settlements where a new clinic could go: listed place types, away from existing facilities."""
    if not clinic.candidates.settlements or settlements.empty:
        return settlements.iloc[:0].assign(site_id=[])
    places = settlements[settlements["place"].isin(clinic.candidates.settlement_places)]
    places = places.sort_values(["name"], kind="stable").reset_index(drop=True)
    if places.empty:
        return places.assign(site_id=[])
    places = _away_from(facilities, places, clinic)
    return places.assign(site_id=[f"new-{i + 1:04d}" for i in range(len(places))])


def _away_from(facilities: gpd.GeoDataFrame, points: gpd.GeoDataFrame, clinic: VillageClinicTier) -> gpd.GeoDataFrame:
    """The points farther than ``min_distance_to_existing_m`` from every existing facility."""
    if points.empty or facilities.empty:
        return points
    xy = np.column_stack([points.geometry.x, points.geometry.y])
    existing = np.column_stack([facilities.geometry.x, facilities.geometry.y])
    far = cKDTree(existing).query(xy)[0] > clinic.candidates.min_distance_to_existing_m
    return points[far].reset_index(drop=True)


def _populated_cells(
    facilities: gpd.GeoDataFrame,
    demand: DemandPoints,
    names: np.ndarray | None,
    road_xy: tuple[np.ndarray, np.ndarray],
    max_offroad_m: float,
    clinic: VillageClinicTier,
) -> gpd.GeoDataFrame:
    """Demand points with at least ``min_people`` people within ``max_offroad_m`` of a road node."""
    settings = clinic.candidates.populated_cells
    assert settings is not None
    big = demand.population >= settings.min_people
    if big.any() and len(road_xy[0]):
        near_road = cKDTree(np.column_stack(road_xy)).query(np.column_stack([demand.x, demand.y]))[0] <= max_offroad_m
        big &= near_road
    index = np.flatnonzero(big)
    labels = names[index] if names is not None else np.array([f"cell {c}" for c in demand.cell_id[index]], dtype=object)
    cells = gpd.GeoDataFrame(
        {
            "name": [
                f"{label} ({people:,.0f} people)"
                for label, people in zip(labels, demand.population[index], strict=True)
            ],
            "cell_id": demand.cell_id[index],
        },
        geometry=gpd.points_from_xy(demand.x[index], demand.y[index]),
        crs=facilities.crs,
    )
    cells = _away_from(facilities, cells, clinic)
    return cells.assign(site_id=[f"cell-{c}" for c in cells["cell_id"]])


def uncoverable_split(people: np.ndarray, uncoverable: np.ndarray, clinic: VillageClinicTier) -> dict[str, Any]:
    """People no site reaches within the standard, by why: no possible site, or dispersed in small cells.

    ``people`` per demand point as the demand table shows them, so the parts add up to its total. Without
    ``candidates.populated_cells`` every such person counts as "no possible site": the candidates were the
    settlements (and the listed sites) only.
    """
    settings = clinic.candidates.populated_cells
    small = people < settings.min_people if settings is not None else np.zeros(len(people), dtype=bool)
    return {
        "no_possible_site": round(float(people[uncoverable & ~small].sum()), 2),
        "dispersed": round(float(people[uncoverable & small].sum()), 2),
        "dispersed_below_people": settings.min_people if settings is not None else None,
    }
