"""Coordinates as offices hold them → WGS 84 longitude and latitude.

A roster copied from AMap or Tencent maps is in GCJ-02, one copied from Baidu maps in BD-09, one from a
survey in an EPSG coordinate system. :func:`to_wgs84` brings any of them to WGS 84 (and
:func:`from_wgs84` goes back), vectorised over numpy arrays.

GCJ-02 and BD-09 have published forward formulas only (:mod:`facility_layout.gcj02`; BD-09 is a small
rotation and offset of GCJ-02). Their inverses here solve the forward formula by fixed-point iteration, to
1e-9° (about 0.1 mm), far below the metre the planner needs. Outside the standard's China box the shift does
not apply and coordinates are returned unchanged, as the standard's reference code does.
"""

from __future__ import annotations

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from facility_layout.gcj02 import in_china, shift_everywhere, wgs84_to_gcj02

GCJ02 = "gcj02"
BD09 = "bd09"
CHINESE_DATUMS = (GCJ02, BD09)
# BD-09's published constants: its rotation frequency (x_pi) and its offset in degrees.
_BD_FREQUENCY = np.pi * 3000.0 / 180.0
_BD_OFFSET_LON, _BD_OFFSET_LAT = 0.0065, 0.006
_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 50

__all__ = [
    "BD09",
    "GCJ02",
    "bd09_to_gcj02",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "parse_crs",
    "to_wgs84",
    "wgs84_to_gcj02",
]


def parse_crs(crs: str | int | CRS) -> str | CRS:
    """``"gcj02"`` / ``"bd09"`` (any case, with or without the dash), else the pyproj CRS it names.

    Raises
    ------
    ValueError
        When ``crs`` is neither one of the two Chinese datums nor a CRS pyproj knows.
    """
    if isinstance(crs, str):
        key = crs.strip().lower().replace("-", "").replace("_", "")
        if key in CHINESE_DATUMS:
            return key
    try:
        return CRS.from_user_input(crs)
    except CRSError as exc:
        raise ValueError(
            f"{crs!r} is not a known coordinate system ({exc}); give an EPSG code such as 'EPSG:4326', "
            "or 'gcj02' (AMap/Tencent) or 'bd09' (Baidu)"
        ) from None


def to_wgs84(x: np.ndarray | float, y: np.ndarray | float, crs: str | int | CRS) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 longitude and latitude of points given in ``crs``.

    Parameters
    ----------
    x, y : array_like
        Longitude and latitude (degrees) for ``gcj02``/``bd09`` and geographic CRSs; easting and northing
        for projected ones.
    crs : str, int or pyproj.CRS
        ``"gcj02"``, ``"bd09"``, or anything pyproj accepts (``"EPSG:4547"``, ``4326``, a WKT string).

    Returns
    -------
    tuple of numpy.ndarray
        (lon, lat) in WGS 84, shaped like the input.

    Raises
    ------
    ValueError
        When ``crs`` is unknown (see :func:`parse_crs`).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    parsed = parse_crs(crs)
    if parsed == GCJ02:
        return gcj02_to_wgs84(x, y)
    if parsed == BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(x, y))
    lon, lat = Transformer.from_crs(parsed, "EPSG:4326", always_xy=True).transform(x, y)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def from_wgs84(lon: np.ndarray | float, lat: np.ndarray | float, crs: str | int | CRS) -> tuple[np.ndarray, np.ndarray]:
    """Points given in WGS 84 longitude and latitude, expressed in ``crs`` (the inverse of :func:`to_wgs84`)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    parsed = parse_crs(crs)
    if parsed == GCJ02:
        return wgs84_to_gcj02(lon, lat)
    if parsed == BD09:
        inside = in_china(lon, lat)
        bd_lon, bd_lat = gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
        return np.where(inside, bd_lon, lon), np.where(inside, bd_lat, lat)
    x, y = Transformer.from_crs("EPSG:4326", parsed, always_xy=True).transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def gcj02_to_wgs84(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 of GCJ-02 points: the point whose forward shift lands on them (unchanged outside China)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wgs_lon, wgs_lat = _invert(shift_everywhere, lon, lat, lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, wgs_lon, lon), np.where(inside, wgs_lat, lat)


def gcj02_to_bd09(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 of GCJ-02 points (Baidu's published forward formula)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    radius = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_FREQUENCY)
    angle = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_FREQUENCY)
    return radius * np.cos(angle) + _BD_OFFSET_LON, radius * np.sin(angle) + _BD_OFFSET_LAT


def bd09_to_gcj02(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 of BD-09 points (unchanged outside China).

    Starts from the published closed-form inverse (which is off by up to about 0.2 m, because it
    evaluates the rotation terms at the BD-09 point rather than the GCJ-02 one) and refines it against the
    forward formula.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon - _BD_OFFSET_LON, lat - _BD_OFFSET_LAT
    radius = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_FREQUENCY)
    angle = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_FREQUENCY)
    gcj_lon, gcj_lat = _invert(gcj02_to_bd09, lon, lat, radius * np.cos(angle), radius * np.sin(angle))
    inside = in_china(lon, lat)
    return np.where(inside, gcj_lon, lon), np.where(inside, gcj_lat, lat)


def _invert(forward, target_lon, target_lat, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(lon, lat) == target`` by fixed-point iteration from the guess (``lon``, ``lat``).

    Both shifts move a point by well under a kilometre and change slowly with position (their Jacobian is
    the identity to about 1e-3), so subtracting the residual converges by about three digits a step.
    """
    lon, lat = np.array(lon, dtype=float), np.array(lat, dtype=float)
    for _ in range(_MAX_ITERATIONS):
        out_lon, out_lat = forward(lon, lat)
        d_lon, d_lat = out_lon - target_lon, out_lat - target_lat
        lon, lat = lon - d_lon, lat - d_lat
        if max(np.max(np.abs(d_lon), initial=0.0), np.max(np.abs(d_lat), initial=0.0)) < _TOLERANCE_DEG:
            break
    return lon, lat
