"""The generated region's local metric frame (metres about its centre) and its lon/lat raster grids."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine

# Where the county lies: the karst mountains of western Guizhou, well inside UTM zone 48N (102–108°E).
CENTRE_LON, CENTRE_LAT = 104.0, 26.0


@dataclass(frozen=True)
class Frame:
    """Metres east/north of the county centre, and their lon/lat.

    An equirectangular projection about the centre: at county scale its distances are within a fraction
    of a percent of the geodesic lengths osmnx and the UTM zone will measure, and a lon/lat raster grid
    is a regular grid in it too.
    """

    width_m: float
    height_m: float
    m_per_deg_lon: float
    m_per_deg_lat: float

    @classmethod
    def around_centre(cls, width_m: float, height_m: float) -> Frame:
        phi = math.radians(CENTRE_LAT)
        # Lengths of a degree on the WGS84 ellipsoid at the centre latitude.
        per_lat = 111_132.954 - 559.822 * math.cos(2 * phi) + 1.175 * math.cos(4 * phi)
        per_lon = 111_412.84 * math.cos(phi) - 93.5 * math.cos(3 * phi) + 0.118 * math.cos(5 * phi)
        return cls(width_m, height_m, per_lon, per_lat)

    def lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon = CENTRE_LON + np.asarray(x) / self.m_per_deg_lon
        return lon, CENTRE_LAT + np.asarray(y) / self.m_per_deg_lat

    def county_ring(self, county: shapely.Polygon) -> list[list[float]]:
        """The county outline in lon/lat, rounded as written to GeoJSON (1e-7°, about 1 cm)."""
        lon, lat = self.lonlat(*np.asarray(county.exterior.coords).T)
        return [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]

    def lonlat_box(self) -> tuple[float, float, float, float]:
        """West, south, east, north of the box holding the county."""
        (west, east), (south, north) = self.lonlat(
            np.array([-self.width_m / 2, self.width_m / 2]), np.array([-self.height_m / 2, self.height_m / 2])
        )
        return float(west), float(south), float(east), float(north)


@dataclass(frozen=True)
class Grid:
    """A north-up lon/lat raster grid covering the box."""

    west: float
    north: float
    arcsec: int
    n_rows: int
    n_cols: int

    @classmethod
    def covering(cls, frame: Frame, arcsec: int, shift: tuple[float, float]) -> Grid:
        """Pixels of ``arcsec`` whose corners sit ``shift`` pixels off whole multiples of the pixel size."""
        res = arcsec / 3600
        west, south, east, north = frame.lonlat_box()
        grid_west = (math.floor(west / res) - shift[0]) * res
        grid_north = (math.ceil(north / res) + shift[1]) * res
        n_cols = math.ceil((east - grid_west) / res) + 1
        n_rows = math.ceil((grid_north - south) / res) + 1
        return cls(grid_west, grid_north, arcsec, n_rows, n_cols)

    @property
    def res_deg(self) -> float:
        return self.arcsec / 3600

    @property
    def transform(self) -> Affine:
        return Affine(self.res_deg, 0.0, self.west, 0.0, -self.res_deg, self.north)

    def pixel_m(self, frame: Frame) -> tuple[float, float]:
        """Pixel height and width in metres."""
        return self.res_deg * frame.m_per_deg_lat, self.res_deg * frame.m_per_deg_lon

    def centres(self, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        """Metric x of each column's pixel centres and y of each row's."""
        lon = self.west + (np.arange(self.n_cols) + 0.5) * self.res_deg
        lat = self.north - (np.arange(self.n_rows) + 0.5) * self.res_deg
        return (lon - CENTRE_LON) * frame.m_per_deg_lon, (lat - CENTRE_LAT) * frame.m_per_deg_lat

    def index(self, frame: Frame, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional row and column of metric points (pixel centres at whole numbers)."""
        lon, lat = frame.lonlat(x, y)
        return (self.north - lat) / self.res_deg - 0.5, (lon - self.west) / self.res_deg - 0.5
