"""GCJ-02 / BD-09 / EPSG → WGS 84 (facility_layout.coords): round trips, published values, outside China."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from facility_layout.coords import bd09_to_gcj02, from_wgs84, gcj02_to_bd09, parse_crs, to_wgs84
from facility_layout.gcj02 import CHINA_LAT, CHINA_LON

GEOD = Geod(ellps="WGS84")

# Forward values published by independent implementations, (input lon, lat) → (output lon, lat):
# - WGS 84 → GCJ-02: wandergis/coordtransform README (Beijing, 116.404 39.915) and googollee/eviltransform's
#   tests (the other three), as in tests/test_gcj02.py;
# - GCJ-02 → BD-09: wandergis/coordtransform README and dromara/hutool CoordinateUtilTest.gcj02ToBd09Test.
WGS_TO_GCJ = [
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
]
GCJ_TO_BD = [((116.404, 39.915), (116.41036949371029, 39.92133699351021))]
# Beijing railway station as Baidu's and AMap's APIs give it (to 5 decimals, about 1 m), from the
# documentation of the R package `cst` (bd2gcj example): GCJ-02 (116.42703, 39.90245), BD-09 (116.43351, 39.90851).
STATION_GCJ, STATION_BD = (116.42703, 39.90245), (116.43351, 39.90851)


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance (m) on the WGS 84 ellipsoid: an independent yardstick for every error bound."""
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.mark.parametrize(("wgs", "gcj"), WGS_TO_GCJ)
def test_gcj02_inverse_recovers_published_wgs84_points(wgs, gcj) -> None:
    lon, lat = to_wgs84(*gcj, "gcj02")
    assert float(metres(lon, lat, *wgs)) < 0.01  # 1 cm: the inverse solves the forward formula exactly


@pytest.mark.parametrize(("gcj", "bd"), GCJ_TO_BD)
def test_bd09_forward_matches_published_values(gcj, bd) -> None:
    lon, lat = gcj02_to_bd09(*gcj)
    assert float(lon) == pytest.approx(bd[0], abs=1e-12) and float(lat) == pytest.approx(bd[1], abs=1e-12)
    back = bd09_to_gcj02(*bd)
    assert float(metres(*back, *gcj)) < 0.01


def test_bd09_of_a_real_place_agrees_with_both_providers_to_a_metre() -> None:
    lon, lat = bd09_to_gcj02(*STATION_BD)
    assert float(metres(lon, lat, *STATION_GCJ)) < 1.5  # the published pair is rounded to 5 decimals
    lon, lat = gcj02_to_bd09(*STATION_GCJ)
    assert float(metres(lon, lat, *STATION_BD)) < 1.5


def test_bd09_chain_recovers_wgs84_of_published_points() -> None:
    """WGS 84 → GCJ-02 (published) → BD-09 (published formula) → back through to_wgs84."""
    wgs, gcj = WGS_TO_GCJ[0]
    bd = gcj02_to_bd09(*gcj)
    lon, lat = to_wgs84(*bd, "BD-09")
    assert float(metres(lon, lat, *wgs)) < 0.01


# The shift moves a point by under a kilometre (< 0.01°): stay 0.05° inside the box so that a point and its
# shifted image are on the same side of it (at the box's edge the standard itself is not invertible).
_MARGIN = 0.05
china_lon = st.floats(CHINA_LON[0] + _MARGIN, CHINA_LON[1] - _MARGIN)
china_lat = st.floats(CHINA_LAT[0] + _MARGIN, CHINA_LAT[1] - _MARGIN)


@settings(deadline=None)  # a busy shared machine can take longer than the default 200 ms
@given(lon=china_lon, lat=china_lat)
def test_round_trips_inside_china_are_within_a_metre(lon: float, lat: float) -> None:
    for datum in ("gcj02", "bd09"):
        shifted = from_wgs84(lon, lat, datum)
        assert float(metres(*shifted, lon, lat)) > 1.0  # the shift applied (it is never below ~100 m)
        back = to_wgs84(*shifted, datum)
        assert float(metres(*back, lon, lat)) < 1.0


def test_round_trips_vectorised_over_all_of_china() -> None:
    rng = np.random.default_rng(15)
    lon = rng.uniform(CHINA_LON[0] + _MARGIN, CHINA_LON[1] - _MARGIN, 20_000)
    lat = rng.uniform(CHINA_LAT[0] + _MARGIN, CHINA_LAT[1] - _MARGIN, 20_000)
    for datum in ("gcj02", "bd09"):
        back_lon, back_lat = to_wgs84(*from_wgs84(lon, lat, datum), datum)
        assert back_lon.shape == lon.shape
        assert metres(back_lon, back_lat, lon, lat).max() < 0.01


def test_outside_china_coordinates_are_unchanged() -> None:
    lon = np.array([43.3, -0.1276, 139.69, 100.5])  # Ngazidja, London, Tokyo, 0.5° south of the box
    lat = np.array([-11.7, 51.5072, 35.69, 0.3])
    for datum in ("gcj02", "bd09"):
        for convert in (to_wgs84, from_wgs84):
            out_lon, out_lat = convert(lon, lat, datum)
            assert out_lon.tolist() == lon.tolist() and out_lat.tolist() == lat.tolist()


def test_epsg_codes_go_through_pyproj() -> None:
    # CGCS2000 / 3-degree Gauss-Kruger CM 117E (EPSG:4548), the CRS of many county GIS files: 116.404° E is
    # 0.596° west of the central meridian, about 50.9 km at 39.9° N, west of the 500 km false easting.
    x, y = from_wgs84(116.404, 39.915, "EPSG:4548")
    assert float(x) == pytest.approx(500_000 - 50_900, abs=300) and 4_400_000 < float(y) < 4_450_000
    lon, lat = to_wgs84(x, y, 4548)
    assert float(metres(lon, lat, 116.404, 39.915)) < 0.001
    assert to_wgs84(116.404, 39.915, "EPSG:4326") == pytest.approx((116.404, 39.915))


def test_unknown_crs_is_a_clear_error() -> None:
    assert parse_crs("GCJ-02") == "gcj02" and parse_crs("bd_09") == "bd09"
    with pytest.raises(ValueError, match=r"'wgs-85' is not a known coordinate system.*gcj02"):
        to_wgs84(1.0, 2.0, "wgs-85")
