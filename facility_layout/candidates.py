"""Sites a layout may use: existing township centres and village clinics, and possible new clinics.

A township centre is always open and also serves the people around it as their village clinic. An
existing village clinic may be kept or closed. A settlement of a listed ``place`` type that is not
already next to a facility is a site where a new clinic could be built.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

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
    """

    site_id: np.ndarray
    name: np.ndarray
    kind: np.ndarray
    x: np.ndarray
    y: np.ndarray
    cost: np.ndarray
    centre_index: np.ndarray

    def __len__(self) -> int:
        return len(self.site_id)

    @property
    def centres(self) -> np.ndarray:
        """Site index of each township centre, in centre order."""
        return np.flatnonzero(self.kind == CENTRE_SITE)


def candidate_sites(facilities: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame, clinic: VillageClinicTier) -> Sites:
    """Assemble the sites from the existing facilities and the settlements.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        ``facility_id``, ``name``, ``tier`` (``village_clinic`` | ``township_centre``), metric CRS.
    settlements : geopandas.GeoDataFrame
        ``name``, ``place``, metric CRS.
    clinic : VillageClinicTier
        Costs and the rule for new candidate sites.
    """
    facilities = facilities.assign(site_id=facilities["facility_id"].astype(str))
    centres = facilities[facilities["tier"] == TOWNSHIP_CENTRE]
    clinics = facilities[facilities["tier"] == VILLAGE_CLINIC]
    new = _new_sites(facilities, settlements, clinic)
    frames = [
        (centres, CENTRE_SITE, 0.0),
        (clinics, EXISTING_CLINIC, clinic.keep_cost),
        (new, NEW_SITE, clinic.build_cost),
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
    xy = np.column_stack([places.geometry.x, places.geometry.y])
    existing = np.column_stack([facilities.geometry.x, facilities.geometry.y])
    far = cKDTree(existing).query(xy)[0] > clinic.candidates.min_distance_to_existing_m
    places = places[far]
    return places.assign(site_id=[f"new-{i + 1:04d}" for i in range(len(places))])
