"""Elevation along lines, and what slope does to walkers and vehicles.

Walking follows Tobler's hiking function (Tobler 1993): on a slope S (rise over horizontal run, negative
downhill) a walker covers ``6 · exp(-3.5 · |S + 0.05|)`` km/h of horizontal distance: fastest on a gentle
descent (6 km/h at S = -0.05), 5.04 km/h on the flat, slower both up and down steep slopes, and never the
same uphill as downhill. The project scales it so that flat ground gives the scenario's walking speed.

Vehicles lose speed on steep grades, uphill and downhill alike (:class:`MotorSlopePenalty`).

A line (a road segment, an off-road walk) is cut into pieces no longer than a sample spacing, each piece's
slope read from the DEM at its ends, so a segment that climbs and descends is not taken as flat.
The DEM is read on its native grid with bilinear interpolation (points are transformed to its CRS).
Sea (SRTM stores it as 0 with small negative values near the coast) is clamped to 0 m; a piece touching
nodata, or lying off the DEM, is taken as flat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from affine import Affine
from pyproj import CRS, Transformer

from facility_layout.inputs import Raster
from facility_layout.travel_settings import MotorSlopePenalty

TOBLER_PEAK_KMH = 6.0
TOBLER_FLAT_KMH = TOBLER_PEAK_KMH * float(np.exp(-3.5 * 0.05))


def tobler_kmh(slope: np.ndarray | float, flat_kmh: float = TOBLER_FLAT_KMH) -> np.ndarray:
    """Walking speed (km/h of horizontal distance) on ``slope`` (rise/run), scaled so flat ground gives ``flat_kmh``.

    With the default ``flat_kmh`` this is Tobler's function itself: 6 km/h at -5 %, 5.04 km/h on the flat.
    """
    slope = np.asarray(slope, dtype=float)
    return flat_kmh / TOBLER_FLAT_KMH * TOBLER_PEAK_KMH * np.exp(-3.5 * np.abs(slope + 0.05))


def motor_slope_factor(slope: np.ndarray | float, penalty: MotorSlopePenalty | None) -> np.ndarray:
    """Vehicle speed × this on a grade ``slope`` (rise/run, either sign); 1 without a penalty."""
    slope = np.asarray(slope, dtype=float)
    if penalty is None:
        return np.ones_like(slope)
    excess = np.maximum(np.abs(slope) * 100 - penalty.free_grade_percent, 0.0)
    return np.maximum(1.0 - penalty.loss_per_grade_percent * excess, penalty.min_factor)


@dataclass(frozen=True)
class Elevation:
    """A DEM on its native grid, read at points of the region's metric CRS by bilinear interpolation.

    Points are transformed to the DEM's CRS and interpolated between the four nearest pixel centres. The
    DEM is never resampled first: a second interpolation would smooth it, and since Tobler's time grows
    faster than linearly with slope, smoothed slopes make trips too fast (about 1–2 % on Mwali).

    Attributes
    ----------
    values : numpy.ndarray of float64
        Metres; NaN where the DEM has no data; values below 0 (sea, coastal noise) clamped to 0.
    transform : affine.Affine
        Pixel → DEM CRS coordinates (of pixel corners).
    to_dem : pyproj.Transformer, optional
        Metric CRS → DEM CRS; None when they are the same.
    """

    values: np.ndarray
    transform: Affine
    to_dem: Transformer | None = None

    @classmethod
    def from_raster(cls, raster: Raster, crs: CRS) -> Elevation:
        """The DEM ``raster``, to be read at points given in ``crs``."""
        values = np.ma.filled(raster.values.astype(np.float64), np.nan)
        values = np.where(values < 0, 0.0, values)  # sea and coastal noise → 0 m
        same = CRS.from_user_input(raster.crs) == CRS.from_user_input(crs)
        to_dem = None if same else Transformer.from_crs(crs, raster.crs, always_xy=True)
        return cls(values=values, transform=Affine(*raster.transform[:6]), to_dem=to_dem)

    def at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Elevation (m) at points in the metric CRS; NaN off the grid or next to nodata."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        if self.to_dem is not None:
            x, y = (np.asarray(v) for v in self.to_dem.transform(x, y))
        inverse = ~self.transform
        # Fractional pixel index measured from the centre of pixel (0, 0).
        col = inverse.a * x + inverse.b * y + inverse.c - 0.5
        row = inverse.d * x + inverse.e * y + inverse.f - 0.5
        n_rows, n_cols = self.values.shape
        inside = (col >= 0) & (col <= n_cols - 1) & (row >= 0) & (row <= n_rows - 1)
        c0 = np.clip(np.floor(np.nan_to_num(col)), 0, max(n_cols - 2, 0)).astype(np.int64)
        r0 = np.clip(np.floor(np.nan_to_num(row)), 0, max(n_rows - 2, 0)).astype(np.int64)
        c1 = np.minimum(c0 + 1, n_cols - 1)
        r1 = np.minimum(r0 + 1, n_rows - 1)
        fc = np.clip(col - c0, 0, 1)
        fr = np.clip(row - r0, 0, 1)
        v = self.values
        top = v[r0, c0] * (1 - fc) + v[r0, c1] * fc
        bottom = v[r1, c0] * (1 - fc) + v[r1, c1] * fc
        out = top * (1 - fr) + bottom * fr
        return np.where(inside, out, np.nan)


@dataclass(frozen=True)
class LineProfiles:
    """Straight lines cut into pieces no longer than the sample spacing.

    Attributes
    ----------
    line : numpy.ndarray of int64
        Which line each piece belongs to (pieces of a line are consecutive, in travel order).
    run_m : numpy.ndarray
        Horizontal length of each piece.
    slope : numpy.ndarray
        Rise over run of each piece in the line's direction (0 where the DEM gave nothing).
    n_lines : int
    """

    line: np.ndarray
    run_m: np.ndarray
    slope: np.ndarray
    n_lines: int

    @classmethod
    def along(
        cls,
        x0: np.ndarray,
        y0: np.ndarray,
        x1: np.ndarray,
        y1: np.ndarray,
        elevation: Elevation | None,
        spacing_m: float,
    ) -> LineProfiles:
        """Profiles of the lines (x0, y0) → (x1, y1); flat everywhere without an ``elevation``."""
        x0, y0, x1, y1 = (np.asarray(a, dtype=float) for a in (x0, y0, x1, y1))
        length = np.hypot(x1 - x0, y1 - y0)
        n_lines = len(length)
        pieces = np.maximum(np.ceil(length / spacing_m), 1).astype(np.int64)
        line = np.repeat(np.arange(n_lines), pieces)
        run = (length / pieces)[line]
        if elevation is None:
            return cls(line=line, run_m=run, slope=np.zeros(len(line)), n_lines=n_lines)
        # Points k = 0..pieces of each line; piece k runs from point k to point k + 1.
        first_point = np.concatenate([[0], np.cumsum(pieces + 1)[:-1]])
        k = np.arange(int((pieces + 1).sum())) - np.repeat(first_point, pieces + 1)
        owner = np.repeat(np.arange(n_lines), pieces + 1)
        t = k / pieces[owner]
        z = elevation.at(x0[owner] + t * (x1 - x0)[owner], y0[owner] + t * (y1 - y0)[owner])
        start = np.flatnonzero(k[:-1] < pieces[owner[:-1]])  # every point but a line's last starts a piece
        rise = z[start + 1] - z[start]
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(np.isfinite(rise) & (run > 0), rise / np.where(run > 0, run, 1.0), 0.0)
        return cls(line=line, run_m=run, slope=slope, n_lines=n_lines)

    def walking_minutes(self, flat_kmh: float, tobler: bool = True, reverse: bool = False) -> np.ndarray:
        """Minutes to walk each line (backwards with ``reverse``): Tobler speeds, or flat ones."""
        slope = -self.slope if reverse else self.slope
        kmh = tobler_kmh(slope, flat_kmh) if tobler else np.full(len(slope), flat_kmh)
        return np.bincount(self.line, self.run_m / (kmh * 1000 / 60), minlength=self.n_lines)

    def motor_length_m(self, penalty: MotorSlopePenalty | None) -> np.ndarray:
        """Length of each line stretched by the slope penalty: minutes = this / (km/h · 1000 / 60)."""
        factor = motor_slope_factor(self.slope, penalty)
        return np.bincount(self.line, self.run_m / factor, minlength=self.n_lines)
