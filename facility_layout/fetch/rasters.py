"""Rasters cut to the area: the WorldPop country GeoTIFF and the DEM tiles, as GeoTIFFs on their native grids.

No resampling happens here: the population stage aggregates the population raster to its cells, and the
travel stage samples the DEM, each on the raster's own grid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.errors import RasterioIOError
from rasterio.windows import Window, from_bounds

from facility_layout.fetch.http import FetchError
from facility_layout.fetch.sources import HGT_VOID

Bounds = tuple[float, float, float, float]


def crop_population(source: Path, bounds: Bounds, path: Path, url: str) -> float:
    """Write the window of ``source`` covering ``bounds`` (W, S, E, N, WGS 84) to ``path``; returns its total.

    Raises
    ------
    FetchError
        When the file is not a GeoTIFF or does not cover the area (wrong country).
    """
    try:
        with rasterio.open(source) as src:
            window = _window(src.transform, src.width, src.height, bounds)
            if window is None:
                raise FetchError(
                    "the WorldPop raster {url} does not cover the area {area} (it covers {covered}). Fix: give the "
                    "area's country with --country",
                    url=url,
                    area=_fmt(bounds),
                    covered=_fmt(tuple(src.bounds)),
                )
            values = src.read(1, window=window)
            profile = src.profile | {
                "driver": "GTiff",
                "width": window.width,
                "height": window.height,
                "transform": src.window_transform(window),
                "compress": "deflate",
                "tiled": False,
            }
            profile.pop("blockxsize", None), profile.pop("blockysize", None)
            nodata = src.nodata
    except RasterioIOError as exc:
        source.unlink(missing_ok=True)
        raise FetchError(
            "the WorldPop file {url} is not a readable GeoTIFF ({exc}); it was removed from the cache", url=url, exc=exc
        ) from None
    with rasterio.open(path, "w", **profile) as out:
        out.write(values, 1)
    valid = values[values != nodata] if nodata is not None else values
    return float(np.nansum(valid[valid > 0]))


def mosaic_dem(tiles: list[tuple[np.ndarray, Affine]], bounds: Bounds, path: Path) -> None:
    """Assemble HGT tiles (all one resolution) over ``bounds`` and write them as an int16 GeoTIFF."""
    step = tiles[0][1].a
    if any(abs(t.a - step) > 1e-12 for _, t in tiles):
        raise FetchError("the DEM tiles of this area mix 1″ and 3″ resolutions. Fix: use a --dem-url with one of them")
    grid_west = min(t.c for _, t in tiles)
    grid_north = max(t.f for _, t in tiles)
    window = _window(Affine(step, 0, grid_west, 0, -step, grid_north), 1 << 30, 1 << 30, bounds)
    assert window is not None  # the tiles were chosen to cover the bounds
    out = np.full((window.height, window.width), HGT_VOID, dtype=np.int16)
    for values, transform in tiles:
        # Offset of the tile's first sample in the output grid (tiles share their edge samples: later wins).
        row0 = round((grid_north - transform.f) / step) - window.row_off
        col0 = round((transform.c - grid_west) / step) - window.col_off
        rows = slice(max(row0, 0), min(row0 + values.shape[0], window.height))
        cols = slice(max(col0, 0), min(col0 + values.shape[1], window.width))
        if rows.start < rows.stop and cols.start < cols.stop:
            out[rows, cols] = values[rows.start - row0 : rows.stop - row0, cols.start - col0 : cols.stop - col0]
    transform = Affine(step, 0, grid_west + window.col_off * step, 0, -step, grid_north - window.row_off * step)
    profile = {
        "driver": "GTiff",
        "width": window.width,
        "height": window.height,
        "count": 1,
        "dtype": "int16",
        "crs": "EPSG:4326",
        "transform": transform,
        "nodata": HGT_VOID,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(out, 1)


def _window(transform: Affine, width: int, height: int, bounds: Bounds) -> Window | None:
    """Whole-pixel window of a north-up grid covering ``bounds``, clipped to the grid; None when disjoint."""
    window = from_bounds(*bounds, transform=transform).round_offsets(op="floor").round_lengths(op="ceil")
    col0, row0 = max(int(window.col_off), 0), max(int(window.row_off), 0)
    col1 = min(int(window.col_off + window.width) + 1, width)
    row1 = min(int(window.row_off + window.height) + 1, height)
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


def _fmt(bounds: tuple) -> str:
    return "[" + ", ".join(f"{v:.4f}" for v in bounds) + "]"
