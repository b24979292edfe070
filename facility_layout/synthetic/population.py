"""The population raster: people per pixel on a WorldPop-like grid, concentrated in the settlements."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from rasterio.features import geometry_mask
from scipy import ndimage

from facility_layout.synthetic.geometry import Frame, Grid
from facility_layout.synthetic.places import Places
from facility_layout.synthetic.terrain import Terrain, fractal_noise

POPULATION_NODATA = -99999.0  # WorldPop's no-data value
POPULATION_ARCSEC = 3
# WorldPop's 3″ grid does not line up with SRTM's 1″ grid; shift ours by a fraction of a pixel the same way.
POPULATION_GRID_SHIFT = (0.41, 0.27)
# Who lives where (shares of the total) and how far a settlement's people spread.
POPULATION_SHARES = {"town": 0.25, "village": 0.50, "hamlet": 0.10, "rural": 0.15}
SPREAD_M = {"town": 350.0, "village": 150.0, "hamlet": 70.0}


@dataclass(frozen=True)
class Population:
    grid: Grid
    people: np.ndarray  # float32 people per pixel, nodata outside the county


def spread_population(
    rng: np.random.Generator,
    frame: Frame,
    terrain: Terrain,
    places: Places,
    county: shapely.Polygon,
    total: float,
) -> Population:
    """People per pixel on a WorldPop-like 3″ grid, concentrated in the settlements.

    Each settlement spreads its people over a Gaussian footprint (wider for towns) that avoids steep
    ground; a thin rural background lives on gentle slopes, thinning out up the mountains. The pixels whose
    centre is inside the county sum to ``total``; the others are nodata.
    """
    grid = Grid.covering(frame, POPULATION_ARCSEC, POPULATION_GRID_SHIFT)
    dy, dx = grid.pixel_m(frame)
    cx, cy = grid.centres(frame)
    px, py = np.meshgrid(cx, cy)
    slope = terrain.sample(frame, terrain.slope, px, py)
    above = np.maximum(terrain.sample(frame, terrain.elevation - terrain.stream_bed, px, py), 0.0)
    habitable = np.exp(-slope / 0.35)
    # The exact ring of boundary.geojson, so the loaders count the very pixels counted here.
    outside = geometry_mask(
        [{"type": "Polygon", "coordinates": [frame.county_ring(county)]}],
        out_shape=(grid.n_rows, grid.n_cols),
        transform=grid.transform,
    )

    people = np.zeros((grid.n_rows, grid.n_cols))
    rows, cols = (np.rint(v).astype(np.int64) for v in grid.index(frame, places.x, places.y))
    for kind, spread in SPREAD_M.items():
        pick = places.place == kind
        seeds = np.zeros_like(people)
        np.add.at(seeds, (rows[pick], cols[pick]), places.size[pick])
        footprint = ndimage.gaussian_filter(seeds, sigma=(spread / dy, spread / dx), mode="constant") * habitable
        people += _share(footprint, outside, POPULATION_SHARES[kind])
    # Fields and scattered houses come in patches of a few kilometres.
    (patchy,) = fractal_noise(rng, people.shape, dy, dx, (8_000.0, 1_000.0))
    rural = habitable * np.exp(-above / 250.0) * np.clip(1.0 + 0.5 * patchy, 0.1, None)
    people += _share(rural, outside, POPULATION_SHARES["rural"])
    people *= total / people[~outside].sum()
    people[outside] = POPULATION_NODATA
    return Population(grid=grid, people=people.astype(np.float32))


def _share(values: np.ndarray, outside: np.ndarray, share: float) -> np.ndarray:
    """``values`` scaled so those inside the county sum to ``share`` (nothing if they sum to zero)."""
    inside_total = values[~outside].sum()
    return values * (share / inside_total) if inside_total > 0 else np.zeros_like(values)
