"""WGS 84 → GCJ-02 against values published by independent implementations."""

from __future__ import annotations

import numpy as np
import pytest

from facility_layout.gcj02 import in_china, wgs84_to_gcj02

# (wgs lon, wgs lat, gcj lon, gcj lat): wandergis/coordtransform's test (Beijing) and googollee/eviltransform's.
PUBLISHED = [
    (116.404, 39.915, 116.41024449916938, 39.91640428150164),
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]


@pytest.mark.parametrize(("lon", "lat", "gcj_lon", "gcj_lat"), PUBLISHED)
def test_published_conversions(lon: float, lat: float, gcj_lon: float, gcj_lat: float) -> None:
    out_lon, out_lat = wgs84_to_gcj02(lon, lat)
    assert float(out_lon) == pytest.approx(gcj_lon, abs=1e-9)
    assert float(out_lat) == pytest.approx(gcj_lat, abs=1e-9)


def test_vectorised_and_no_shift_outside_china() -> None:
    lon = np.array([116.404, 43.3, -0.1276])
    lat = np.array([39.915, -11.7, 51.5072])  # Beijing, Ngazidja, London
    out_lon, out_lat = wgs84_to_gcj02(lon, lat)
    assert in_china(lon, lat).tolist() == [True, False, False]
    assert out_lon[1:].tolist() == lon[1:].tolist() and out_lat[1:].tolist() == lat[1:].tolist()
    # In China the shift is a few hundred metres, never more than a kilometre.
    shift_m = np.hypot((out_lon[0] - lon[0]) * 111_320 * np.cos(np.radians(lat[0])), (out_lat[0] - lat[0]) * 110_574)
    assert 100 < shift_m < 1000
