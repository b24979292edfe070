"""WGS 84 → GCJ-02, the obfuscated datum that Chinese web maps (AutoNavi/Gaode, Tencent) draw their tiles in.

Inside mainland China, tiles from those providers are offset from true (WGS 84) positions by a few hundred
metres, by a published nonlinear function of longitude and latitude on the Krasovsky 1940 ellipsoid. Overlays
drawn over such tiles must be shifted the same way, or every clinic sits off its village. Outside China's
bounding box the providers use WGS 84 and no shift applies. Tianditu uses CGCS2000, which matches WGS 84 at
map scale, so it needs no shift.

The inverse (GCJ-02 → WGS 84) and Baidu's BD-09 are in :mod:`facility_layout.coords`.
"""

from __future__ import annotations

import numpy as np

KRASOVSKY_A = 6378245.0  # semi-major axis (m)
KRASOVSKY_E2 = 0.00669342162296594323  # first eccentricity squared
# The rough box the providers apply the shift in (degrees).
CHINA_LON = (72.004, 137.8347)
CHINA_LAT = (0.8293, 55.8271)


def in_china(lon: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray:
    """True where a point lies in the box GCJ-02 applies to."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon >= CHINA_LON[0]) & (lon <= CHINA_LON[1]) & (lat >= CHINA_LAT[0]) & (lat <= CHINA_LAT[1])


def wgs84_to_gcj02(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 longitude and latitude of WGS 84 points (unchanged outside China).

    Parameters
    ----------
    lon, lat : array_like
        Degrees, WGS 84.

    Returns
    -------
    tuple of numpy.ndarray
        (lon, lat) in GCJ-02, same shape as the input.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    shifted_lon, shifted_lat = shift_everywhere(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, shifted_lon, lon), np.where(inside, shifted_lat, lat)


def shift_everywhere(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 formula applied without the China box: smooth everywhere, so an inverse can iterate on it."""
    x, y = lon - 105.0, lat - 35.0
    d_lat, d_lon = _offset_lat(x, y), _offset_lon(x, y)
    rad_lat = np.radians(lat)
    magic = 1.0 - KRASOVSKY_E2 * np.sin(rad_lat) ** 2
    # Offsets in metres-like units → degrees, through the meridian and parallel radii of curvature.
    d_lat = d_lat * 180.0 / ((KRASOVSKY_A * (1.0 - KRASOVSKY_E2)) / (magic * np.sqrt(magic)) * np.pi)
    d_lon = d_lon * 180.0 / (KRASOVSKY_A / np.sqrt(magic) * np.cos(rad_lat) * np.pi)
    return lon + d_lon, lat + d_lat


def _waves(x: np.ndarray) -> np.ndarray:
    return (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0


def _offset_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    base = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    along = (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    long_wave = (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return base + _waves(x) + along + long_wave


def _offset_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    base = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    along = (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    long_wave = (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return base + _waves(x) + along + long_wave
