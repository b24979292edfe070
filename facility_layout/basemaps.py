"""Online basemaps a scenario can put under the layout (``map.basemap``), with their credits.

Every map works without one: the relief and the roads give context offline. Tianditu (天地图, China's
national platform) needs a free developer key. AutoNavi (高德) draws its tiles in GCJ-02, so the map shifts
every overlay the same way (:mod:`facility_layout.gcj02`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

TIANDITU_KEY_ENV = "TIANDITU_KEY"


@dataclass(frozen=True)
class Basemap:
    """A tile layer: its URL template, credit line and the datum its tiles are drawn in."""

    key: str
    name: str
    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18
    gcj02: bool = False
    labels_url: str | None = None  # a transparent layer of place names drawn over the tiles


OPENSTREETMAP = Basemap(
    "openstreetmap",
    "OpenStreetMap",
    "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    subdomains="",
    max_zoom=19,
)
_TIANDITU_WMTS = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
AUTONAVI = Basemap(
    "autonavi",
    "AutoNavi (高德地图)",
    "https://webrd0{s}.is.autonavi.com/appmaprender?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
    "© AutoNavi 高德地图 (GCJ-02; overlays shifted to match)",
    subdomains="1234",
    gcj02=True,
)
BASEMAP_KEYS = ("openstreetmap", "none", "tianditu", "autonavi")


def tianditu(key: str) -> Basemap:
    """Tianditu's vector map and its labels, for a developer key (``tk``)."""
    url = _TIANDITU_WMTS.replace("{key}", key)
    return Basemap(
        "tianditu",
        "Tianditu (天地图)",
        url.replace("{layer}", "vec"),
        "© 天地图 Tianditu, National Platform for Common GeoSpatial Information Services",
        subdomains="01234567",
        labels_url=url.replace("{layer}", "cva"),
    )


def basemap_for(key: str, tianditu_key: str | None = None) -> Basemap | None:
    """The basemap named by ``map.basemap`` (None for ``none``).

    Raises
    ------
    ValueError
        For Tianditu without a key in ``map.tianditu_key`` or ``$TIANDITU_KEY``.
    """
    if key == "none":
        return None
    if key == "openstreetmap":
        return OPENSTREETMAP
    if key == "autonavi":
        return AUTONAVI
    token = tianditu_key or os.environ.get(TIANDITU_KEY_ENV)
    if not token:
        raise ValueError(
            f"map.basemap: tianditu needs a developer key: set map.tianditu_key or ${TIANDITU_KEY_ENV} "
            "(free at console.tianditu.gov.cn), or choose openstreetmap, autonavi or none"
        )
    return tianditu(token)
