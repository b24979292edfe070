"""The hillshade under the map: Horn's shading against the closed form on planes, and the image's extent."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from PIL import Image
from pyproj import CRS

from facility_layout.inputs import Raster
from facility_layout.relief import SUN_ALTITUDE_DEG, SUN_AZIMUTH_DEG, hillshade, relief_image


def plane_shade(east_slope: float, north_slope: float) -> float:
    """Lambert shading of a plane z = east_slope·x + north_slope·y under the module's sun, from first principles."""
    normal = np.array([-east_slope, -north_slope, 1.0])
    normal /= np.linalg.norm(normal)
    az, alt = math.radians(SUN_AZIMUTH_DEG), math.radians(SUN_ALTITUDE_DEG)
    sun = np.array([math.cos(alt) * math.sin(az), math.cos(alt) * math.cos(az), math.sin(alt)])
    return max(0.0, float(normal @ sun))


@pytest.mark.parametrize(("east", "north"), [(0.0, 0.0), (0.3, 0.0), (-0.2, 0.5), (0.0, -0.8), (1.5, 1.5)])
def test_hillshade_of_a_plane_matches_lambert_shading(east: float, north: float) -> None:
    pixel = 30.0
    rows, cols = np.indices((9, 11))
    x, y = cols * pixel, -rows * pixel  # rows run south
    shade = hillshade(east * x + north * y, pixel)
    # Away from the replicated edges every cell sees the same slope.
    assert shade[1:-1, 1:-1] == pytest.approx(plane_shade(east, north), abs=1e-9)


def test_slopes_facing_the_sun_are_lighter() -> None:
    rows, cols = np.indices((41, 41))
    cone = 500.0 - 20.0 * np.hypot(rows - 20, cols - 20)
    shade = hillshade(cone, 30.0)
    north_west, south_east = shade[10, 10], shade[30, 30]
    assert north_west > plane_shade(0, 0) > south_east


def dem_raster(values: np.ndarray, west: float = 43.2, north: float = -11.3, step: float = 0.0003) -> Raster:
    return Raster(
        values=np.ma.masked_invalid(values),
        transform=Affine(step, 0, west, 0, -step, north),
        crs=CRS.from_epsg(4326),
        path=Path("dem.tif"),
    )


def test_relief_image_covers_the_region_and_leaves_the_sea_clear() -> None:
    rows, cols = np.indices((400, 500))
    island = 900.0 - 6.0 * np.hypot(rows - 200, cols - 250)  # a cone rising from the sea
    dem = dem_raster(np.where(island > 0, island, -2.0))
    bounds = (43.23, -11.40, 43.32, -11.33)
    image = relief_image(dem, bounds)
    assert image.west < bounds[0] and image.south < bounds[1] and image.east > bounds[2] and image.north > bounds[3]
    assert 0 < image.min_m < 60 and 850 < image.max_m <= 900
    pixels = np.asarray(Image.open(io.BytesIO(image.png)).convert("RGBA"))
    alpha = pixels[..., 3]
    # The image corners lie in the sea, the middle on the cone's slopes.
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0
    h, w = alpha.shape
    middle = pixels[h // 2 - 20 : h // 2 + 20, w // 2 - 20 : w // 2 + 20]
    assert (middle[..., 3] > 0).mean() > 0.9
    # Shading varies across the cone (a flat fill would not show it).
    assert np.ptp(middle[..., :3].astype(int).sum(axis=-1)) > 30
