"""A hillshade of the DEM as a PNG the map lays over the region, so mountains show with no basemap.

The DEM is warped onto a Web Mercator grid (the projection Leaflet draws in, so the image stretches onto the
map exactly), then shaded with Horn's slope and aspect (Horn 1981) under a light from the north-west, 45°
above the horizon — the cartographic convention. Mercator stretches distances by 1/cos(latitude); the
pixel size is scaled back to metres on the ground so slopes are true. Sea and nodata are transparent.

The relief is tinted from lowland green to highland brown. The map draws it opaque where there is no
basemap, and translucent over one (opaque again if the basemap's tiles cannot load, e.g. offline).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from pyproj import Transformer
from rasterio.enums import Resampling
from rasterio.transform import from_bounds
from rasterio.warp import reproject

from facility_layout.inputs import Raster

WEB_MERCATOR = "EPSG:3857"
MAX_PIXELS = 1600  # on the image's longer side: sharp at the zoom a region is viewed at, and a small page
SUN_AZIMUTH_DEG = 315.0
SUN_ALTITUDE_DEG = 45.0
MARGIN = 0.03  # of the region's extent, so the relief does not stop exactly at the coastline's box
# Lowland to highland tint (elevation in metres, RGB) for maps without a basemap.
TINT_STOPS = (
    (0.0, (214, 232, 196)),
    (300.0, (233, 236, 196)),
    (900.0, (222, 205, 168)),
    (1800.0, (196, 170, 140)),
    (3000.0, (245, 245, 245)),
)


@dataclass(frozen=True)
class ReliefImage:
    """A PNG and the lon/lat box it covers.

    Attributes
    ----------
    png : bytes
        RGBA image; sea and nodata fully transparent.
    south, west, north, east : float
        Its edges in degrees (WGS 84).
    min_m, max_m : float
        Lowest and highest land elevation shown, for the legend.
    """

    png: bytes
    south: float
    west: float
    north: float
    east: float
    min_m: float
    max_m: float


def hillshade(values: np.ndarray, pixel_m: float) -> np.ndarray:
    """Illumination in [0, 1] of each cell of an elevation grid (Horn's method), edges replicated.

    Parameters
    ----------
    values : numpy.ndarray
        Elevation in metres, rows north to south; NaN where unknown (treated as flat).
    pixel_m : float
        Width and height of a cell on the ground, in metres.
    """
    z = np.pad(np.nan_to_num(values, nan=0.0), 1, mode="edge")
    # Horn's 3×3 weighted differences; x grows east, y grows north (rows run south).
    dz_dx = ((z[:-2, 2:] + 2 * z[1:-1, 2:] + z[2:, 2:]) - (z[:-2, :-2] + 2 * z[1:-1, :-2] + z[2:, :-2])) / (8 * pixel_m)
    dz_dy = ((z[:-2, :-2] + 2 * z[:-2, 1:-1] + z[:-2, 2:]) - (z[2:, :-2] + 2 * z[2:, 1:-1] + z[2:, 2:])) / (8 * pixel_m)
    zenith = math.radians(90.0 - SUN_ALTITUDE_DEG)
    # The sun's direction as a unit vector (east, north, up); the surface normal is (-dz/dx, -dz/dy, 1).
    azimuth = math.radians(SUN_AZIMUTH_DEG)
    sun = np.array([math.sin(zenith) * math.sin(azimuth), math.sin(zenith) * math.cos(azimuth), math.cos(zenith)])
    shade = (-dz_dx * sun[0] - dz_dy * sun[1] + sun[2]) / np.sqrt(1.0 + dz_dx**2 + dz_dy**2)
    return np.clip(shade, 0.0, 1.0)


def relief_image(dem: Raster, bounds_lonlat: tuple[float, float, float, float]) -> ReliefImage:
    """The region's relief as an image for the map.

    Parameters
    ----------
    dem : Raster
        The scenario's elevation raster, any CRS.
    bounds_lonlat : tuple of float
        (west, south, east, north) of the region in degrees; the image covers it with a small margin.
    """
    west, south, east, north = bounds_lonlat
    to_mercator = Transformer.from_crs("EPSG:4326", WEB_MERCATOR, always_xy=True)
    x0, y0 = to_mercator.transform(west, south)
    x1, y1 = to_mercator.transform(east, north)
    pad_x, pad_y = (x1 - x0) * MARGIN, (y1 - y0) * MARGIN
    x0, x1, y0, y1 = x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y

    # No finer than the DEM itself (metres at the region's latitude, in Mercator units), no larger than MAX_PIXELS.
    scale = 1.0 / math.cos(math.radians((south + north) / 2))
    native_m = _native_pixel_m(dem, (south + north) / 2)
    pixel = max(native_m * scale, (x1 - x0) / MAX_PIXELS, (y1 - y0) / MAX_PIXELS)
    width, height = max(1, round((x1 - x0) / pixel)), max(1, round((y1 - y0) / pixel))

    warped = warped_dem(dem, (x0, y0, x1, y1), (width, height), WEB_MERCATOR)
    land = np.isfinite(warped) & (warped > 0)  # SRTM stores the sea as 0 (or a little below)
    shade = hillshade(np.where(land, warped, 0.0), ((x1 - x0) / width) / scale)

    tint = _tint(np.where(land, warped, 0.0))
    # Lighten flat ground a little so shade, not tint, carries the slopes.
    light = 0.45 + 0.75 * shade[..., None]
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[..., :3] = np.clip(tint * light, 0, 255).round()
    rgba[..., 3] = np.where(land, 255, 0)
    # 256 colours are plenty for a tinted shade and keep the page about a fifth the size of full RGBA.
    image = Image.fromarray(rgba).quantize(256, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)

    to_lonlat = Transformer.from_crs(WEB_MERCATOR, "EPSG:4326", always_xy=True)
    lon0, lat0 = to_lonlat.transform(x0, y0)
    lon1, lat1 = to_lonlat.transform(x1, y1)
    land_m = warped[land]
    return ReliefImage(
        png=buffer.getvalue(),
        south=lat0,
        west=lon0,
        north=lat1,
        east=lon1,
        min_m=float(land_m.min()) if land_m.size else math.nan,
        max_m=float(land_m.max()) if land_m.size else math.nan,
    )


def _native_pixel_m(dem: Raster, latitude: float) -> float:
    """The DEM's pixel width on the ground, in metres."""
    width = abs(dem.transform.a)
    if dem.crs.is_geographic:
        return width * 111_320.0 * math.cos(math.radians(latitude))
    return width


def _tint(elevation_m: np.ndarray) -> np.ndarray:
    """RGB (float) of each elevation, linear between :data:`TINT_STOPS`."""
    stops = np.array([s[0] for s in TINT_STOPS])
    colours = np.array([s[1] for s in TINT_STOPS], dtype=float)
    return np.stack([np.interp(elevation_m, stops, colours[:, k]) for k in range(3)], axis=-1)


def warped_dem(dem: Raster, bounds: tuple[float, float, float, float], size: tuple[int, int], crs: str) -> np.ndarray:
    """The DEM resampled (bilinear) onto a grid of ``size`` = (width, height) pixels over ``bounds`` =
    (x0, y0, x1, y1) in ``crs`` (any pyproj string or WKT); NaN where the DEM has no value."""
    (x0, y0, x1, y1), (width, height) = bounds, size
    warped = np.full((height, width), np.nan, dtype=np.float64)
    reproject(
        source=np.ma.filled(dem.values.astype(np.float64), np.nan),
        destination=warped,
        src_transform=dem.transform,
        src_crs=dem.crs.to_wkt(),
        src_nodata=np.nan,
        dst_transform=from_bounds(x0, y0, x1, y1, width, height),
        dst_crs=crs,
        dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )
    return warped
