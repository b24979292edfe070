"""The per-village table of a run whose people come from a village census: one row per census village.

A planner checks a layout village by village, by the names in their own census: who serves it, how far,
and whether that is within the standard.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np


def village_table(villages: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, max_travel_minutes: float) -> gpd.GeoDataFrame:
    """Each census village with its clinic and minutes in the proposed layout, and its minutes today.

    Parameters
    ----------
    villages : geopandas.GeoDataFrame
        ``village``, ``township``, ``people``, ``row`` in demand order (:func:`.readers.census.read_census`).
    demand : geopandas.GeoDataFrame
        The layout's demand table (one row per village, same order).
    max_travel_minutes : float
        The clinic standard.

    Returns
    -------
    geopandas.GeoDataFrame
        ``village``, ``township``, ``census_row``, ``people``, ``clinic`` (name, '' if none within the
        standard), ``clinic_id``, ``clinic_minutes``, ``within_standard``, ``uncoverable``, ``centre``,
        ``centre_minutes``, and ``clinic_minutes_today``, ``within_standard_today``, ``centre_minutes_today``
        (today's layout: every existing facility open) when the demand table has today's minutes; point
        geometry at the village.
    """
    minutes = demand["clinic_minutes"].to_numpy(dtype=float)

    def within(clinic_minutes: np.ndarray) -> np.ndarray:
        return np.isfinite(clinic_minutes) & (clinic_minutes <= max_travel_minutes + 1e-9)

    today = {}
    if "clinic_minutes_today" in demand:
        minutes_today = demand["clinic_minutes_today"].to_numpy(dtype=float)
        today = {
            "clinic_minutes_today": minutes_today,
            "within_standard_today": within(minutes_today),
            "centre_minutes_today": demand["centre_minutes_today"].to_numpy(),
        }
    return gpd.GeoDataFrame(
        {
            "village": villages["village"].to_numpy(),
            "township": villages["township"].to_numpy(),
            "census_row": villages["row"].to_numpy(),
            "people": demand["population"].to_numpy(),
            "clinic": demand["clinic_name"].to_numpy(),
            "clinic_id": demand["clinic_site_id"].to_numpy(),
            "clinic_minutes": minutes,
            "within_standard": within(minutes),
            "uncoverable": demand["uncoverable"].to_numpy(),
            "centre": demand["centre_name"].to_numpy(),
            "centre_minutes": demand["centre_minutes"].to_numpy(),
            **today,
        },
        geometry=demand.geometry.to_numpy(),
        crs=demand.crs,
    )
