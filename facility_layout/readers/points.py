"""Coordinate columns of a table → WGS 84 points, checked row by row.

A roster copied from AutoNavi or Tencent is in GCJ-02 and one from Baidu in BD-09: 300–600 m off the true
position in China. They are converted here (``crs: gcj02`` / ``bd09``), so every later stage sees WGS 84.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from facility_layout.coords import to_wgs84
from facility_layout.errors import Message
from facility_layout.readers.tables import Table
from facility_layout.scenario import OFFSET_DATUMS


def table_points(table: Table, lon_field: str, lat_field: str, crs: str, *, required: bool = True) -> gpd.GeoDataFrame:
    """The table's rows as points in EPSG:4326 (all columns kept, index = row number).

    Rows with both coordinate cells empty get no geometry when ``required`` is False.

    Raises
    ------
    InputError
        Text in a coordinate column, a missing coordinate, or coordinates out of range (naming the rows).
    """
    lon = table.numbers(lon_field, "lon_field", required=False)
    lat = table.numbers(lat_field, "lat_field", required=False)
    rows = table.rows.index
    half = np.isnan(lon) != np.isnan(lat)
    empty = np.isnan(lon) & np.isnan(lat)
    if half.any() or (required and empty.any()):
        missing = half | (empty if required else False)
        raise table.fail(
            "lon_field",
            "{lon_field!r} / {lat_field!r} have no coordinates",
            pd.Series([_pair(a, b) for a, b in zip(lon[missing], lat[missing], strict=True)], index=rows[missing]),
            "fill both coordinate cells of those rows"
            if required
            else "fill both coordinate cells of those rows, or leave both empty",
            lon_field=lon_field,
            lat_field=lat_field,
        )
    geographic = crs in OFFSET_DATUMS or _is_geographic(crs)
    if geographic:
        _check_degrees(table, lon, lat, lon_field, lat_field)
    has = ~empty
    x, y = np.full(len(lon), np.nan), np.full(len(lat), np.nan)
    if has.any():
        x[has], y[has] = to_wgs84(lon[has], lat[has], crs)
    if not geographic:
        _check_degrees(table, x, y, lon_field, lat_field, converted_from=crs)
    geometry = gpd.points_from_xy(x, y)
    geometry[empty] = None
    return gpd.GeoDataFrame(table.rows.copy(), geometry=geometry, crs="EPSG:4326")


def outside_rows(points: gpd.GeoDataFrame, region: BaseGeometry) -> pd.Series:
    """Rows whose point lies outside ``region`` (EPSG:4326), as 'lon, lat' text indexed by row number."""
    has = points.geometry.notna()
    outside = has & ~points.geometry.within(region)
    return pd.Series([_pair(p.x, p.y) for p in points.geometry[outside]], index=points.index[outside])


def _check_degrees(
    table: Table, lon: np.ndarray, lat: np.ndarray, lon_field: str, lat_field: str, converted_from: str | None = None
) -> None:
    finite = ~np.isnan(lon)
    bad = finite & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    if not bad.any():
        return
    swapped = np.all(np.abs(lat[bad]) <= 180) and np.all(np.abs(lon[bad]) <= 90)
    values = pd.Series([_pair(a, b) for a, b in zip(lon[bad], lat[bad], strict=True)], index=table.rows.index[bad])
    if converted_from:
        problem = Message("coordinates in {crs} fall outside the globe in WGS 84", crs=converted_from)
        fix = Message("check `crs` (the coordinate system the columns are in)")
    else:
        problem = Message(
            "{lon_field!r} / {lat_field!r} are outside longitude ±180 / latitude ±90",
            lon_field=lon_field,
            lat_field=lat_field,
        )
        fix = Message(
            "lon_field and lat_field look swapped: exchange them"
            if swapped
            else "give longitude and latitude in degrees (or the projected CRS of those columns in `crs`)"
        )
    raise table.fail("lon_field", problem, values, fix)


def _is_geographic(crs: str) -> bool:
    from pyproj import CRS

    return CRS.from_user_input(crs).is_geographic


def _pair(a: float, b: float) -> str:
    return f"{a:g}, {b:g}"
