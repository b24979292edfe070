"""Longitude/latitude from a table's coordinate system to WGS 84: EPSG codes, GCJ-02 and BD-09.

Interim version on the readers branch (issue 15): helper F's ``coords.py`` on ``issue15-fetch`` is the one to
keep at merge; the readers only call :func:`to_wgs84` with this signature.
"""

from __future__ import annotations

import numpy as np
from pyproj import CRS, Transformer

from facility_layout.gcj02 import in_china, wgs84_to_gcj02

# Baidu's BD-09 is GCJ-02 turned and shifted by this published formula.
_BD_X_PI = np.pi * 3000.0 / 180.0
# Iterations of the GCJ-02 inverse; each divides the error by ~100, so 1e-9° (< 1 mm) comes in 4-5.
_MAX_ITERATIONS = 30
_TOLERANCE_DEG = 1e-10


def to_wgs84(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 longitude and latitude of points given in ``crs``.

    Parameters
    ----------
    lon, lat : array_like
        Coordinates in ``crs`` (x, y for a projected CRS).
    crs : str
        ``gcj02``, ``bd09`` or anything pyproj accepts (``EPSG:4326``, ``EPSG:4490``, …).
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    name = crs.strip().lower().replace("-", "")
    if name == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    if name == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    x, y = Transformer.from_crs(CRS.from_user_input(crs), "EPSG:4326", always_xy=True).transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invert the GCJ-02 shift by fixed-point iteration (unchanged outside China)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(_MAX_ITERATIONS):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if np.all(np.abs(dlon) < _TOLERANCE_DEG) and np.all(np.abs(dlat) < _TOLERANCE_DEG):
            break
    inside = in_china(lon, lat)
    return np.where(inside, wlon, lon), np.where(inside, wlat, lat)


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Baidu BD-09 → GCJ-02 (the published closed form)."""
    x, y = np.asarray(lon, dtype=float) - 0.0065, np.asarray(lat, dtype=float) - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)
