"""A synthetic mountainous county, written in the same file formats as real inputs.

The default scenario needs no download: this module generates a seeded county in south-west China
(centred near 104.0°E, 26.0°N, so its UTM zone is 48N) with river valleys and ridges, township seats,
villages and hamlets, roads routed over the terrain, a population raster and an existing health system.
Its files are the real formats (GeoJSON, an SRTM-like and a WorldPop-like GeoTIFF, OSM XML), so a run
goes through exactly the loaders of :mod:`facility_layout.inputs`. Nothing in it is a real place.

The steps, one private function each: county outline → terrain (drainage tree, valleys, ridges) → road
lattice over the terrain → settlements → roads → population → facilities → township areas → files. Every random draw
comes from ``numpy.random.Generator(PCG64(...))`` seeded from ``seed``, one independent stream per step,
and the writers add no timestamps, so the same parameters give the same bytes.
"""

from __future__ import annotations

import errno
import itertools
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import rasterio
import scipy.sparse as sp
import shapely
from affine import Affine
from rasterio.features import geometry_mask
from scipy import ndimage
from scipy.sparse.csgraph import breadth_first_order, dijkstra, minimum_spanning_tree
from scipy.spatial import cKDTree

from facility_layout.jsonio import dumps_json
from facility_layout.scenario import MAX_SYNTHETIC_SIDE_KM, MIN_SYNTHETIC_SIDE_KM

# Where the county lies: the karst mountains of western Guizhou, well inside UTM zone 48N (102–108°E).
CENTRE_LON, CENTRE_LAT = 104.0, 26.0


DEM_NODATA = -32768  # SRTM's void value
POPULATION_NODATA = -99999.0  # WorldPop's no-data value
MAX_DEM_PIXELS = 5_000_000  # beyond this the DEM pixel is coarsened (whole arc-seconds), to bound memory
POPULATION_ARCSEC = 3
# WorldPop's 3″ grid does not line up with SRTM's 1″ grid; shift ours by a fraction of a pixel the same way.
POPULATION_GRID_SHIFT = (0.41, 0.27)

# Terrain: a stream network with upstream areas, valley floors widening downstream, hillslopes rising to
# ridges between streams.
DRAINAGE_CELL_M = 1_000.0  # spacing of the lattice the stream tree is drawn on
STREAM_MIN_KM2 = 2.5  # upstream area at which a gully becomes a stream with its own valley
OUTLET_ELEVATION_M = 650.0  # where the main river leaves the county
FLINT_SLOPE = 0.08  # stream bed slope at 1 km² of upstream area …
FLINT_EXPONENT = 0.45  # … falling as area^-0.45: steep gullies, gentle rivers
FLOOR_M_PER_SQRT_KM2 = 15.0  # valley floor half-width grows with the square root of upstream area
FLOOR_MIN_M, FLOOR_MAX_M = 20.0, 350.0
HILLSLOPE_M = 900.0  # horizontal scale over which valley sides rise to the ridges
RELIEF_M = 750.0  # typical height of the ridges above their valley floors

# Roads are routed on a square lattice; every lattice step becomes an OSM node.
ROAD_STEP_M = 90.0
# … and each step is written with nodes this far apart, as OSM maps mountain roads (median segment between
# two OSM nodes: 18 m on Ngazidja, 22 m on Mwali).
OSM_NODE_SPACING_M = 22.0
MAX_LATTICE_NODES = 1_200_000  # beyond this the step grows, so a prefecture-size region fits in memory
BRIDGE_MIN_KM2 = 3.0  # streams from this size need a bridge (or a ford) to cross
BRIDGE_COST_M = 150.0  # extra metres-equivalent to enter the stream band: roads keep to one bank
# Grade at which building or driving a road costs twice as much per metre (cost grows with grade²).
GRADE_SCALE = {"trunk": 0.06, "village": 0.09, "track": 0.14}
ON_ROAD_DISCOUNT = 0.8  # an existing road is preferred to new way at equal cost
LARGE_VILLAGE_SHARE = 0.15  # the largest villages are reached by (paved, named) county roads
FOOTWAY_GRADE = 0.15  # a hamlet whose access climbs steeper than this on average gets a footway, not a track
# Shortcuts between neighbouring villages at most this far apart (straight line), adding this much new way:
SHORTCUT_MAX_M = 5_000.0
SHORTCUT_MIN_NEW_M = 400.0
PASS_ROAD_RATIO = 0.4  # a road over a pass, if at most 0.4 × the length of the way round by road
PATH_RATIO = 0.7  # a footpath over a ridge, if it saves 30 % of the walking effort of the way round by road …
PATH_MIN_CLIMB_M = 80.0  # … and it climbs this much above both villages

# Settlements per km² of county, and their spacing.
KM2_PER_TOWNSHIP = 120.0
MIN_TOWNSHIPS = 2  # even a small county has its seat town and at least one more township (space allowing)
KM2_PER_VILLAGE = 9.0
KM2_PER_HAMLET = 9.0
VILLAGE_SPACING_M = 800.0
HAMLET_SPACING_M = 500.0
TOWN_CLEARANCE_M = 1_500.0  # no village right next to a township seat: it would be part of the town

# Who lives where (shares of the total) and how far a settlement's people spread.
POPULATION_SHARES = {"town": 0.25, "village": 0.50, "hamlet": 0.10, "rural": 0.15}
SPREAD_M = {"town": 350.0, "village": 150.0, "hamlet": 70.0}

# Existing health system.
CLINIC_SHARE_SMALL, CLINIC_SHARE_LARGE = 0.55, 0.92  # chance a village has a clinic, smallest to largest
MERGE_PAIR_M = 1_800.0  # two clinics this close are candidates for merging
VILLAGES_PER_MERGE_PAIR = 15
REMOTE_CLINIC_SHARE = 0.06  # of hamlets, the highest, keep an old clinic of their own

FILE_NAMES = (
    "boundary.geojson",
    "dem.tif",
    "population.tif",
    "settlements.geojson",
    "roads.osm",
    "facilities.geojson",
    "admin_areas.geojson",
    "region.json",  # last: its presence marks a complete region
)

# OSM road classes of the generated network, in the order they are built (a segment keeps its first class).
HIGHWAYS = ("secondary", "tertiary", "unclassified", "track", "footway", "path")
_SECONDARY, _TERTIARY, _UNCLASSIFIED, _TRACK, _FOOTWAY, _PATH = range(1, 7)
SURFACES = ("paved", "unpaved", "ground")

_NAME_HEADS = (
    "Bai", "Bei", "Chang", "Da", "Dong", "Feng", "Gao", "Hei", "Hong", "Hua", "Huang", "Jin", "Lao", "Liu",
    "Long", "Ma", "Mao", "Mu", "Nan", "Ping", "Qing", "Sha", "Shang", "Shi", "Shui", "Song", "Tao", "Tian",
    "Wang", "Xi", "Xia", "Xiao", "Xin", "Yang", "Yu", "Yun", "Zhang", "Zhong", "Zhu",
)  # fmt: skip
_NAME_TAILS = (
    "ao", "ba", "chong", "dong", "gou", "guan", "he", "jiao", "kou", "lin", "ling", "miao", "pan", "ping",
    "po", "pu", "qiao", "shan", "shui", "tai", "tang", "tian", "tun", "wan", "xi", "ya", "yan", "zhai",
    "zhuang",
)  # fmt: skip


@dataclass(frozen=True)
class GeneratedRegion:
    """What :func:`generate_region` wrote.

    Attributes
    ----------
    directory : Path
        The folder holding the region's files.
    seed, width_km, height_km, population_total
        The parameters it was generated with.
    towns, villages, hamlets : int
        Settlements by OSM ``place``.
    township_centres, village_clinics : int
        Existing facilities by tier.
    road_nodes, road_ways : int
        OSM nodes and ways in ``roads.osm``.
    county_km2 : float
        Area inside the boundary.
    dem_arcsec : int
        DEM pixel size (1″ unless the region is large).
    """

    directory: Path
    seed: int
    width_km: float
    height_km: float
    population_total: float
    towns: int
    villages: int
    hamlets: int
    township_centres: int
    village_clinics: int
    road_nodes: int
    road_ways: int
    county_km2: float
    dem_arcsec: int


def generate_region(
    directory: str | Path,
    *,
    seed: int = 7,
    width_km: float = 30.0,
    height_km: float = 24.0,
    population_total: float = 120_000,
    force: bool = False,
) -> GeneratedRegion:
    """Generate a synthetic mountainous county and write its input files into ``directory``.

    Parameters
    ----------
    directory : str or Path
        Folder to write into; created if absent, files of an earlier generated region there are replaced.
    force : bool
        Also replace files of these names (:data:`FILE_NAMES`) that the generator did not write.
    seed : int
        Random seed (non-negative); the same parameters give byte-identical files.
    width_km, height_km : float
        Extent of the box holding the county, at least 4 km and at most 400 km each.
    population_total : float
        People living inside the county boundary (the population raster sums to this).

    Returns
    -------
    GeneratedRegion
        The folder and counts of what was generated.

    Raises
    ------
    ValueError
        For a bad parameter, naming it, its value and the fix; or, without ``force``, a folder holding files
        of the region's names that the generator did not write.
    OSError
        If the folder cannot be written; nothing half-written is left behind.
    """
    _check_parameters(seed, width_km, height_km, population_total)
    target = Path(directory).expanduser()
    if not force:
        _check_replaceable(target)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a folder", str(target))

    streams = iter(np.random.SeedSequence(seed).spawn(6))
    frame = _Frame.around_centre(width_km * 1_000, height_km * 1_000)
    county = _county_outline(_rng(streams), frame)
    terrain = _terrain(_rng(streams), frame)
    lattice = _road_lattice(frame, terrain, county)
    places = _settlements(_rng(streams), lattice, county)
    roads = _roads(_rng(streams), lattice, places, terrain.outlet)
    population = _population(_rng(streams), frame, terrain, places, county, population_total)
    facilities = _facilities(_rng(streams), places, terrain, frame)

    counts = {
        "towns": int(np.sum(places.place == "town")),
        "villages": int(np.sum(places.place == "village")),
        "hamlets": int(np.sum(places.place == "hamlet")),
        "township_centres": int(np.sum(facilities.tier == 2)),
        "village_clinics": int(np.sum(facilities.tier == 1)),
        "road_nodes": len(roads.node_ids),
        "road_ways": len(roads.ways),
    }
    metadata = {
        "synthetic": True,
        "generator": "facility_layout.synthetic",
        "seed": int(seed),
        "width_km": float(width_km),
        "height_km": float(height_km),
        "population_total": float(population_total),
        "county_km2": round(county.area / 1e6, 3),
        "centre_lon_lat": [CENTRE_LON, CENTRE_LAT],
        "dem_arcsec": terrain.grid.arcsec,
        "population_arcsec": POPULATION_ARCSEC,
        "attribution_list": [f"Synthetic region generated by facility_layout (seed {seed}) — not a real place"],
        **counts,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        _write_boundary(staging / "boundary.geojson", frame, county)
        _write_raster(staging / "dem.tif", terrain.grid, terrain.dem(), DEM_NODATA)
        _write_raster(staging / "population.tif", population.grid, population.people, POPULATION_NODATA)
        _write_settlements(staging / "settlements.geojson", frame, places)
        _write_osm(staging / "roads.osm", frame, roads)
        _write_facilities(staging / "facilities.geojson", frame, facilities)
        _write_township_areas(staging / "admin_areas.geojson", frame, places, county)
        text = dumps_json(metadata, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (staging / "region.json").write_text(text, encoding="utf-8")
        _publish(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return GeneratedRegion(
        directory=target,
        seed=int(seed),
        width_km=float(width_km),
        height_km=float(height_km),
        population_total=float(population_total),
        county_km2=county.area / 1e6,
        dem_arcsec=terrain.grid.arcsec,
        **counts,
    )


def _check_parameters(seed: object, width_km: object, height_km: object, population_total: object) -> None:
    """Raise ValueError naming the parameter, its value and the fix."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}. Fix: give e.g. seed=7.")
    for name, value in (("width_km", width_km), ("height_km", height_km)):
        number = _as_number(name, value)
        if not number > 0:
            raise ValueError(f"{name} must be a positive number of kilometres, got {value!r}. Fix: give e.g. 30.")
        if number < MIN_SYNTHETIC_SIDE_KM:
            raise ValueError(
                f"{name}={value!r} km is too small to hold a township with villages around it. "
                f"Fix: give at least {MIN_SYNTHETIC_SIDE_KM:g} km."
            )
        if number > MAX_SYNTHETIC_SIDE_KM:
            raise ValueError(
                f"{name}={value!r} km is larger than a region can be. Fix: give at most {MAX_SYNTHETIC_SIDE_KM:g} km."
            )
    if not _as_number("population_total", population_total) > 0:
        raise ValueError(
            f"population_total must be a positive number of people, got {population_total!r}. "
            "Fix: give the county's population, e.g. 120000."
        )


def _as_number(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}. Fix: give a number.") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}. Fix: give a number.")
    return number


def _rng(streams: Iterator[np.random.SeedSequence]) -> np.random.Generator:
    """The next step's own random stream, so a change in one step leaves the others' draws alone."""
    return np.random.Generator(np.random.PCG64(next(streams)))


# --- geometry: the local metric frame and the lon/lat grids ------------------------------------------


@dataclass(frozen=True)
class _Frame:
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
    def around_centre(cls, width_m: float, height_m: float) -> _Frame:
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
class _Grid:
    """A north-up lon/lat raster grid covering the box."""

    west: float
    north: float
    arcsec: int
    n_rows: int
    n_cols: int

    @classmethod
    def covering(cls, frame: _Frame, arcsec: int, shift: tuple[float, float]) -> _Grid:
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

    def pixel_m(self, frame: _Frame) -> tuple[float, float]:
        """Pixel height and width in metres."""
        return self.res_deg * frame.m_per_deg_lat, self.res_deg * frame.m_per_deg_lon

    def centres(self, frame: _Frame) -> tuple[np.ndarray, np.ndarray]:
        """Metric x of each column's pixel centres and y of each row's."""
        lon = self.west + (np.arange(self.n_cols) + 0.5) * self.res_deg
        lat = self.north - (np.arange(self.n_rows) + 0.5) * self.res_deg
        return (lon - CENTRE_LON) * frame.m_per_deg_lon, (lat - CENTRE_LAT) * frame.m_per_deg_lat

    def index(self, frame: _Frame, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional row and column of metric points (pixel centres at whole numbers)."""
        lon, lat = frame.lonlat(x, y)
        return (self.north - lat) / self.res_deg - 0.5, (lon - self.west) / self.res_deg - 0.5


# --- county outline ----------------------------------------------------------------------------------


def _county_outline(rng: np.random.Generator, frame: _Frame) -> shapely.Polygon:
    """An irregular county polygon (metric frame) filling most of the box.

    A squircle fills the box the way a county of that extent does; a wobble of random harmonics, strong
    at long wavelengths and weak at short ones, makes its outline irregular. Being star-shaped about the
    centre with a positive radius, it is always a simple polygon.
    """
    theta = np.linspace(0.0, 2 * np.pi, 480, endpoint=False)
    squircle = (np.abs(np.cos(theta)) ** 4 + np.abs(np.sin(theta)) ** 4) ** -0.25
    harmonics = np.arange(2, 40)
    amplitude = 0.07 * harmonics**-1.1 * rng.uniform(0.5, 1.5, len(harmonics))
    phase = rng.uniform(0.0, 2 * np.pi, len(harmonics))
    wobble = (amplitude[:, None] * np.cos(harmonics[:, None] * theta + phase[:, None])).sum(axis=0)
    radius = squircle * (1.0 + wobble)
    x = radius * np.cos(theta) * frame.width_m / 2
    y = radius * np.sin(theta) * frame.height_m / 2
    fill = 0.97 / max(np.abs(x).max() / (frame.width_m / 2), np.abs(y).max() / (frame.height_m / 2))
    # Round to the precision of the written GeoJSON (1e-7°, about 1 cm) so that every later step sees the
    # very polygon the loaders will read.
    lon, lat = frame.lonlat(x * fill, y * fill)
    lon, lat = np.round(lon, 7), np.round(lat, 7)
    return shapely.Polygon(
        np.column_stack([(lon - CENTRE_LON) * frame.m_per_deg_lon, (lat - CENTRE_LAT) * frame.m_per_deg_lat])
    )


# --- terrain -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Terrain:
    """The DEM and the fields derived with it, on the DEM grid."""

    grid: _Grid
    elevation: np.ndarray  # metres, float32
    stream_bed: np.ndarray  # stream bed elevation, interpolated between the streams
    stream_area: np.ndarray  # upstream km² of the nearest stream
    stream_distance: np.ndarray  # metres to the nearest stream
    slope: np.ndarray  # tangent of the slope
    outlet: tuple[float, float]  # where the main river leaves the box (metric)

    def dem(self) -> np.ndarray:
        return np.round(self.elevation).astype(np.int16)

    def sample(self, frame: _Frame, field: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bilinear value of ``field`` at metric points."""
        rows, cols = self.grid.index(frame, x, y)
        return ndimage.map_coordinates(field, [np.ravel(rows), np.ravel(cols)], order=1, mode="nearest").reshape(
            np.shape(x)
        )


def _terrain(rng: np.random.Generator, frame: _Frame) -> _Terrain:
    """Mountains carved by a stream network, on an SRTM-like grid (1″ unless the region is large).

    The stream beds, interpolated between the streams into a smooth surface, are the base. Beyond each
    stream's floor the ground rises towards the ridges (which form where the valleys of two streams meet)
    by a relief that varies over tens of kilometres, roughened by ridged and fine fractal noise. Floors
    alternate between gorges and wide basins, widening downstream; everything drains to the outlet.
    """
    west, south, east, north = frame.lonlat_box()
    pixels_at_1s = (east - west) * 3600 * (north - south) * 3600
    # SRTM's pixel centres sit on whole arc-seconds, so its pixel corners are half a pixel off them.
    grid = _Grid.covering(frame, max(1, math.ceil(math.sqrt(pixels_at_1s / MAX_DEM_PIXELS))), (0.5, 0.5))
    dy, dx = grid.pixel_m(frame)
    streams, outlet = _drainage(rng, frame)
    # Broad (8–60 km) sets the relief of whole mountain blocks and where valleys open into basins, ridged
    # (1.2–8 km) shapes peaks and spurs, fine (below 1.2 km) roughens hillsides.
    shape = (grid.n_rows, grid.n_cols)
    broad, ridged, fine = _fractal_noise(rng, shape, dy, dx, (60_000.0, 8_000.0, 1_200.0, 0.0))

    # Burn the streams into the grid (samples closer than half a pixel leave no gaps).
    stream = np.zeros(shape, dtype=bool)
    bed = np.zeros(shape, dtype=np.float32)
    area = np.zeros(shape, dtype=np.float32)
    for line in streams:
        points = _resample(line, 0.5 * min(dx, dy))
        rows, cols = (np.rint(v).astype(np.int64) for v in grid.index(frame, points[:, 0], points[:, 1]))
        ok = (rows >= 0) & (rows < grid.n_rows) & (cols >= 0) & (cols < grid.n_cols)
        stream[rows[ok], cols[ok]] = True
        bed[rows[ok], cols[ok]] = points[ok, 2]
        area[rows[ok], cols[ok]] = points[ok, 3]
    distance, (near_row, near_col) = ndimage.distance_transform_edt(~stream, sampling=(dy, dx), return_indices=True)
    stream_area = area[near_row, near_col]
    del near_row, near_col
    floor = np.clip(FLOOR_M_PER_SQRT_KM2 * np.sqrt(area), FLOOR_MIN_M, FLOOR_MAX_M) * np.exp(0.6 * broad)
    # Values of the nearest stream would jump where two valleys meet; interpolated ones are continuous.
    stream_bed = _spread(bed, stream, dy, dx)
    floor = _spread(floor, stream, dy, dx)

    # Rises smoothly from 0 at the foot of the valley side (a concave foot, no kink) towards 1 far up.
    rise = 1.0 - np.exp(-((np.maximum(distance - floor, 0.0) / HILLSLOPE_M) ** 1.5))
    relief = RELIEF_M * np.clip(1.0 + 0.35 * broad, 0.4, 1.8)
    ridges = 1.0 - np.minimum(np.abs(ridged), 2.0) / 2.0
    elevation = (
        stream_bed
        + rise * relief * (0.7 + 0.6 * ridges)
        + 0.03 * np.minimum(distance, floor)  # floors rise gently from the river to their edges
        + fine * 12.0 * (0.25 + rise)  # rough hillsides, smooth fields
    ).astype(np.float32)
    grad_y, grad_x = np.gradient(elevation, dy, dx)
    return _Terrain(
        grid=grid,
        elevation=elevation,
        stream_bed=stream_bed,
        stream_area=stream_area,
        stream_distance=distance.astype(np.float32),
        slope=np.hypot(grad_x, grad_y).astype(np.float32),
        outlet=outlet,
    )


def _spread(values: np.ndarray, known: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """A continuous field that keeps ``values`` near the ``known`` pixels and interpolates between them.

    Normalised convolution at three scales, the finest weighted most: next to a stream its own values
    dominate, farther away broader averages take over.
    """
    weights = known.astype(np.float32)
    total = np.zeros(values.shape, dtype=np.float32)
    norm = np.zeros(values.shape, dtype=np.float32)
    for sigma_m, scale_weight in ((250.0, 1.0), (1_000.0, 0.05), (4_000.0, 0.0025)):
        total += scale_weight * _smooth(values * weights, sigma_m, dy, dx)
        norm += scale_weight * _smooth(weights, sigma_m, dy, dx)
    return total / np.maximum(norm, 1e-12)


def _drainage(rng: np.random.Generator, frame: _Frame) -> tuple[list[np.ndarray], tuple[float, float]]:
    """Streams as polylines (columns x, y, bed elevation, upstream km²), the main stem first, and the outlet.

    Water flows from a rough proto-landscape (fractal noise tilted towards an outlet on the box edge) to
    the outlet: the minimum spanning tree of a jittered ~1 km lattice, weighing each link by the higher
    of its two ends, is that flow tree (a priority flood), and it fills any area with a dendritic
    network. Upstream area accumulated down the tree sizes each reach; bed elevations rise upstream with
    a slope that falls with area (Flint's law), so the big river is gentle and headwater gullies steep.
    """
    n_cols = max(3, round(frame.width_m / DRAINAGE_CELL_M) + 1)
    n_rows = max(3, round(frame.height_m / DRAINAGE_CELL_M) + 1)
    gx, gy = np.meshgrid(
        np.linspace(-frame.width_m / 2, frame.width_m / 2, n_cols),
        np.linspace(-frame.height_m / 2, frame.height_m / 2, n_rows),
    )
    cell = frame.width_m / (n_cols - 1), frame.height_m / (n_rows - 1)
    # Jitter inner nodes to break the lattice; edge nodes stay on the edge so the outlet is on it.
    gx[1:-1, 1:-1] += rng.uniform(-0.35, 0.35, (n_rows - 2, n_cols - 2)) * cell[0]
    gy[1:-1, 1:-1] += rng.uniform(-0.35, 0.35, (n_rows - 2, n_cols - 2)) * cell[1]
    x, y = gx.ravel(), gy.ravel()
    ids = np.arange(n_rows * n_cols).reshape(n_rows, n_cols)

    edge_nodes = np.concatenate([ids[0, 1:-1], ids[-1, 1:-1], ids[1:-1, 0], ids[1:-1, -1]])
    along_edge = np.concatenate([x[ids[0, 1:-1]], x[ids[-1, 1:-1]], y[ids[1:-1, 0]], y[ids[1:-1, -1]]])
    side_length = np.concatenate([np.full(2 * (n_cols - 2), frame.width_m), np.full(2 * (n_rows - 2), frame.height_m)])
    # The river leaves through the middle part of a side, as rivers leave a county through a gorge.
    outlet = int(rng.choice(edge_nodes[np.abs(along_edge) < 0.3 * side_length]))
    (relief,) = _fractal_noise(rng, (n_rows, n_cols), cell[1], cell[0], (80_000.0, 5_000.0))
    to_outlet = np.hypot(x - x[outlet], y - y[outlet])
    to_edge = np.minimum(frame.width_m / 2 - np.abs(x), frame.height_m / 2 - np.abs(y))
    proto = (
        relief.ravel()
        + 2.0 * to_outlet / math.hypot(frame.width_m, frame.height_m)  # the land falls towards the outlet
        # The box edge is a divide (a county is often a basin), save where the river leaves.
        + 2.0 * np.exp(-to_edge / 2_000.0) * (1.0 - np.exp(-to_outlet / 3_000.0))
        + rng.uniform(0.0, 0.25, x.size)
    )
    # Links to the four neighbours and one diagonal per lattice square, picked at random: more directions
    # for streams to take, and no two links ever cross.
    flip = rng.random((n_rows - 1, n_cols - 1)) < 0.5
    diagonal_tail = np.where(flip, ids[:-1, :-1], ids[:-1, 1:]).ravel()
    diagonal_head = np.where(flip, ids[1:, 1:], ids[1:, :-1]).ravel()
    tail = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel(), diagonal_tail])
    head = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel(), diagonal_head])
    # No stream runs along the box edge: edge cells drain inwards (corners keep their links: they have no
    # other way in).
    on_side = np.isin(np.arange(x.size), edge_nodes) & (np.arange(x.size) != outlet)
    keep = ~(on_side[tail] & on_side[head])
    tail, head = tail[keep], head[keep]
    # +1 keeps every weight positive (a zero weight is a missing link to the spanning tree).
    weights = np.maximum(proto[tail], proto[head]) - proto.min() + 1.0
    tree = minimum_spanning_tree(sp.csr_matrix((weights, (tail, head)), shape=(x.size, x.size)))
    order, downstream = breadth_first_order(tree, outlet, directed=False, return_predecessors=True)

    area = np.full(x.size, cell[0] * cell[1] / 1e6)
    for node in order[:0:-1].tolist():  # leaves first: each node passes its area downstream
        area[downstream[node]] += area[node]
    bed = np.zeros(x.size)
    to_outlet = np.zeros(x.size)
    bed[outlet] = OUTLET_ELEVATION_M + rng.uniform(0.0, 250.0)
    for node in order[1:].tolist():  # outlet first: each node is its downstream node plus the reach's drop
        below = downstream[node]
        reach = math.hypot(x[node] - x[below], y[node] - y[below])
        bed[node] = bed[below] + reach * FLINT_SLOPE * area[node] ** -FLINT_EXPONENT
        to_outlet[node] = to_outlet[below] + reach

    is_stream = area >= STREAM_MIN_KM2
    is_stream[outlet] = True
    tributaries = np.bincount(downstream[is_stream & (downstream >= 0)], minlength=x.size)
    sources = np.flatnonzero(is_stream & (tributaries == 0))
    sources = sources[np.argsort(-to_outlet[sources], kind="stable")]  # longest first: the main stem
    values = np.column_stack([x, y, bed, area])
    chain_of = np.full(x.size, -1)  # the polyline each stream node was drawn in
    lines: list[np.ndarray] = []
    for source in sources.tolist():
        chain = [source]
        while chain_of[chain[-1]] < 0 and chain[-1] != outlet:
            chain_of[chain[-1]] = len(lines)
            chain.append(int(downstream[chain[-1]]))
        line = _chaikin(values[chain], rounds=3)
        parent = chain_of[chain[-1]]
        if parent >= 0:
            # A tributary ends on the smoothed line of the stream it joins, taking its bed there.
            joined = lines[parent]
            nearest = np.argmin(np.hypot(joined[:, 0] - line[-1, 0], joined[:, 1] - line[-1, 1]))
            line[-1, :3] = joined[nearest, :3]
        lines.append(line)
        chain_of[outlet] = 0  # streams reaching the outlet join the main stem there
    return lines, (float(x[outlet]), float(y[outlet]))


def _chaikin(points: np.ndarray, rounds: int) -> np.ndarray:
    """Corner-cutting smoothing of a polyline, all columns alike; its end points stay where they are."""
    for _ in range(rounds):
        if len(points) < 3:
            return points
        a, b = points[:-1], points[1:]
        cut = np.empty((2 * len(a), points.shape[1]))
        cut[0::2] = 0.75 * a + 0.25 * b
        cut[1::2] = 0.25 * a + 0.75 * b
        points = np.vstack([points[:1], cut[1:-1], points[-1:]])
    return points


def _resample(line: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` metres along a polyline (columns interpolated alike)."""
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(line[:, :2], axis=0).T))])
    at = np.append(np.arange(0.0, along[-1], step), along[-1])
    return np.column_stack([np.interp(at, along, line[:, k]) for k in range(line.shape[1])])


def _smooth(field: np.ndarray, sigma_m: float, dy: float, dx: float) -> np.ndarray:
    """Gaussian smoothing over ``sigma_m`` metres, done on a coarser copy (a wide kernel at 30 m is slow)."""
    factor = max(1, int(sigma_m / (4 * min(dx, dy))))
    coarse = ndimage.uniform_filter(field, size=factor, mode="nearest")[::factor, ::factor]
    coarse = ndimage.gaussian_filter(coarse, sigma=(sigma_m / (dy * factor), sigma_m / (dx * factor)), mode="nearest")
    rows, cols = np.indices(field.shape, dtype=np.float32)
    return ndimage.map_coordinates(coarse, [rows / factor, cols / factor], order=3, mode="nearest").astype(np.float32)


def _fractal_noise(
    rng: np.random.Generator, shape: tuple[int, int], dy: float, dx: float, wavelengths_m: tuple[float, ...]
) -> list[np.ndarray]:
    """Fractal noise fields (standard deviation 1), one per wavelength band, all cut from one white noise.

    ``wavelengths_m`` are the band edges, longest first (0 for "down to the pixel"). Non-overlapping bands
    of one white noise are independent fields.
    """
    spectrum = np.fft.rfft2(rng.standard_normal(shape))
    fy = np.fft.fftfreq(shape[0], d=dy)[:, None]
    fx = np.fft.rfftfreq(shape[1], d=dx)[None, :]
    frequency = np.hypot(fy, fx)  # cycles per metre
    frequency[0, 0] = np.inf
    amplitude = frequency**-1.1  # falling with frequency: a fractal (Brownian-like) surface
    fields = []
    for longest, shortest in itertools.pairwise(wavelengths_m):
        band = (frequency > 1.0 / longest) & (frequency <= (1.0 / shortest if shortest else np.inf))
        noise = np.fft.irfft2(spectrum * np.where(band, amplitude, 0.0), s=shape)
        std = noise.std()
        fields.append((noise / std if std > 0 else noise).astype(np.float32))
    return fields


# --- road lattice --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lattice:
    """Square lattice over the box on which roads are routed; 8 neighbours per node, edges both ways."""

    step: float
    n_rows: int
    n_cols: int
    x: np.ndarray
    y: np.ndarray
    elevation: np.ndarray
    slope: np.ndarray
    above_stream: np.ndarray  # metres above the nearest stream bed
    stream_area: np.ndarray
    in_county: np.ndarray  # bool
    county_depth: np.ndarray  # metres to the nearest node outside the county (0 outside)
    tail: np.ndarray  # directed edges sorted by tail then head
    head: np.ndarray
    edge_key: np.ndarray  # tail * n_nodes + head, ascending: finds an edge by its ends
    indptr: np.ndarray  # CSR row pointers of the edges
    length: np.ndarray
    grade: np.ndarray
    bridge: np.ndarray  # extra cost to enter the head node: it lies in a stream band

    @property
    def n_nodes(self) -> int:
        return self.x.size

    def graph(self, cost: np.ndarray) -> sp.csr_matrix:
        """The lattice with these edge costs (same order as ``tail``)."""
        return sp.csr_matrix((cost, self.head, self.indptr), shape=(self.n_nodes, self.n_nodes))

    def edge_index(self, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
        """Positions of edges given by their end nodes."""
        return np.searchsorted(self.edge_key, np.asarray(tail, dtype=np.int64) * self.n_nodes + head)

    def road_cost(self, grade_scale: float) -> np.ndarray:
        """Metres-equivalent cost of each edge for a road: grows with the square of the grade."""
        return self.length * (1.0 + (self.grade / grade_scale) ** 2) + self.bridge[self.head]

    def walking_cost(self) -> np.ndarray:
        """Walking effort of each edge in flat-ground metres (Tobler's hiking function)."""
        return self.length * np.exp(3.5 * self.grade)


def _road_lattice(frame: _Frame, terrain: _Terrain, county: shapely.Polygon) -> _Lattice:
    """The routing lattice, every node with the terrain under it."""
    step = max(ROAD_STEP_M, math.sqrt(frame.width_m * frame.height_m / MAX_LATTICE_NODES))
    n_cols, n_rows = int(frame.width_m // step) + 1, int(frame.height_m // step) + 1
    xs = (np.arange(n_cols) - (n_cols - 1) / 2) * step
    ys = (np.arange(n_rows) - (n_rows - 1) / 2) * step
    gx, gy = np.meshgrid(xs, ys)
    x, y = gx.ravel(), gy.ravel()
    elevation = terrain.sample(frame, terrain.elevation, x, y)
    stream_distance = terrain.sample(frame, terrain.stream_distance, x, y)
    stream_area = terrain.sample(frame, terrain.stream_area, x, y)
    # Burn the county into the lattice as into a raster whose pixel centres are the nodes (north row first).
    in_county = ~geometry_mask(
        [county],
        out_shape=(n_rows, n_cols),
        transform=Affine(step, 0.0, xs[0] - step / 2, 0.0, -step, ys[-1] + step / 2),
    )[::-1]
    depth = ndimage.distance_transform_edt(in_county) * step

    # Eight neighbours per node, listed in ascending node order, so the edges come out sorted for CSR.
    rows, cols = np.divmod(np.arange(x.size), n_cols)
    tails, heads = [], []
    for dr, dc in ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)):
        valid = (rows + dr >= 0) & (rows + dr < n_rows) & (cols + dc >= 0) & (cols + dc < n_cols)
        tails.append(np.where(valid, np.arange(x.size), -1))
        heads.append(np.arange(x.size) + dr * n_cols + dc)
    tail, head = np.stack(tails, axis=1).ravel(), np.stack(heads, axis=1).ravel()
    tail, head = tail[tail >= 0].astype(np.int32), head[tail >= 0].astype(np.int32)
    length = np.hypot(x[tail] - x[head], y[tail] - y[head])
    # A diagonal edge can cross a stream line between nodes: a band of 0.75 step catches every crossing.
    in_stream = (stream_distance < 0.75 * step) & (stream_area >= BRIDGE_MIN_KM2)
    return _Lattice(
        step=step,
        n_rows=n_rows,
        n_cols=n_cols,
        x=x,
        y=y,
        elevation=elevation,
        slope=terrain.sample(frame, terrain.slope, x, y),
        above_stream=elevation - terrain.sample(frame, terrain.stream_bed, x, y),
        stream_area=stream_area,
        in_county=in_county.ravel(),
        county_depth=depth.ravel(),
        tail=tail,
        head=head,
        edge_key=tail.astype(np.int64) * x.size + head,
        indptr=np.concatenate([[0], np.cumsum(np.bincount(tail, minlength=x.size))]),
        length=length,
        grade=np.abs(elevation[tail] - elevation[head]) / length,
        bridge=np.where(in_stream, BRIDGE_COST_M, 0.0),
    )


# --- settlements ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Places:
    """Settlements: OSM place, name, lattice node, point (metric) and relative size."""

    name: np.ndarray
    place: np.ndarray
    node: np.ndarray
    x: np.ndarray
    y: np.ndarray
    size: np.ndarray


def _settlements(rng: np.random.Generator, lattice: _Lattice, county: shapely.Polygon) -> _Places:
    """Township seats, villages and hamlets, where people settle in mountains.

    Township seats take the widest valley floors (big rivers, flat, low); villages prefer valley bottoms
    and gentle slopes; hamlets are scattered higher up on the hillsides. Each kind keeps its distance
    from the others, and their number scales with the county's area.
    """
    area_km2 = county.area / 1e6
    n_towns = max(MIN_TOWNSHIPS, round(area_km2 / KM2_PER_TOWNSHIP))
    n_villages = max(2, round(area_km2 / KM2_PER_VILLAGE))
    n_hamlets = max(2, round(area_km2 / KM2_PER_HAMLET))
    blocked = ~lattice.in_county | (lattice.bridge > 0)  # nobody builds in the river

    town_score = (
        np.log1p(lattice.stream_area)
        - lattice.slope / 0.05
        - lattice.above_stream / 40.0
        + rng.gumbel(0.0, 0.5, lattice.n_nodes)
    )
    # Township seats keep clear of the boundary, where a county would not put its market towns.
    margin = min(1_500.0, 0.15 * math.sqrt(area_km2) * 1_000)
    town_blocked = blocked | (lattice.county_depth < margin)
    if town_blocked.all():
        town_blocked = blocked
    towns = _pick_spaced(
        np.argsort(-town_score, kind="stable"),
        lattice,
        town_blocked,
        550.0 * math.sqrt(area_km2 / n_towns),
        n_towns,
    )
    _block(lattice, blocked, towns, TOWN_CLEARANCE_M)
    village_weight = np.exp(-lattice.slope / 0.12 - np.maximum(lattice.above_stream, 0.0) / 90.0)
    villages = _pick_spaced(_weighted_order(rng, village_weight), lattice, blocked, VILLAGE_SPACING_M, n_villages)
    _block(lattice, blocked, villages, HAMLET_SPACING_M + 100.0)
    # Hamlets sit on shoulders and benches up the valley sides, not on the crests.
    above = np.maximum(lattice.above_stream, 0.0)
    hamlet_weight = np.exp(-lattice.slope / 0.3) * (1.0 - np.exp(-above / 100.0)) * np.exp(-above / 450.0)
    hamlets = _pick_spaced(_weighted_order(rng, hamlet_weight), lattice, blocked, HAMLET_SPACING_M, n_hamlets)

    node = np.array(towns + villages + hamlets, dtype=np.int64)
    place = np.array(["town"] * len(towns) + ["village"] * len(villages) + ["hamlet"] * len(hamlets))
    size = np.concatenate(
        [
            rng.uniform(3_000, 9_000, len(towns)),
            rng.lognormal(math.log(550), 0.6, len(villages)),
            rng.uniform(40, 150, len(hamlets)),
        ]
    )
    # The settlement point sits a little off the road lattice node, as an OSM place node sits off the road.
    offset = rng.uniform(-0.25, 0.25, (len(node), 2)) * lattice.step
    return _Places(
        name=np.array(_place_names(rng, len(node)), dtype=object),
        place=place,
        node=node,
        x=lattice.x[node] + offset[:, 0],
        y=lattice.y[node] + offset[:, 1],
        size=size,
    )


def _weighted_order(rng: np.random.Generator, weight: np.ndarray) -> np.ndarray:
    """Nodes in a random order where heavier ones tend to come first (Efraimidis–Spirakis keys)."""
    keys = np.log(rng.uniform(1e-12, 1.0, weight.size)) / np.maximum(weight, 1e-12)
    return np.argsort(-keys, kind="stable")


def _pick_spaced(order: np.ndarray, lattice: _Lattice, blocked: np.ndarray, spacing_m: float, count: int) -> list[int]:
    """The first ``count`` nodes of ``order`` not blocked, each blocking the nodes within ``spacing_m``."""
    chosen: list[int] = []
    for node in order.tolist():
        if len(chosen) == count:
            break
        if not blocked[node]:
            chosen.append(node)
            _block(lattice, blocked, [node], spacing_m)
    return chosen


def _block(lattice: _Lattice, blocked: np.ndarray, nodes: list[int], radius_m: float) -> None:
    """Mark the lattice nodes within ``radius_m`` of each node as taken."""
    reach = int(radius_m // lattice.step)
    dr, dc = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    disc = (dr**2 + dc**2) * lattice.step**2 <= radius_m**2
    dr, dc = dr[disc], dc[disc]
    for node in nodes:
        row, col = divmod(node, lattice.n_cols)
        r, c = row + dr, col + dc
        ok = (r >= 0) & (r < lattice.n_rows) & (c >= 0) & (c < lattice.n_cols)
        blocked[r[ok] * lattice.n_cols + c[ok]] = True


def _place_names(rng: np.random.Generator, count: int) -> list[str]:
    """Unique pinyin-like place names: two syllables first, three when those run out.

    The pools hold about 44,000 names, more than the largest region (400 km × 400 km) has settlements.
    """
    two = [h + t for h in _NAME_HEADS for t in _NAME_TAILS if h.lower() != t]
    three = [h + m.lower() + t for h in _NAME_HEADS for m in _NAME_HEADS for t in _NAME_TAILS if h != m]
    names: list[str] = []
    seen: set[str] = set()
    for pool in (two, three):
        for i in rng.permutation(len(pool)).tolist():
            if len(names) == count:
                return names
            if pool[i] not in seen:
                seen.add(pool[i])
                names.append(pool[i])
    return names


# --- roads ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Way:
    nodes: list[int]  # OSM node ids
    highway: str
    surface: str
    name: str | None


@dataclass(frozen=True)
class _RoadNetwork:
    node_ids: np.ndarray  # OSM ids: lattice nodes (sorted), then the nodes added between them
    x: np.ndarray  # metric, smoothed
    y: np.ndarray
    ways: list[_Way]


class _RoadBuilder:
    """Road segments on lattice edges, each with a class, a surface and maybe a name (first one wins)."""

    def __init__(self, lattice: _Lattice) -> None:
        self.lattice = lattice
        self.highway = np.zeros(lattice.tail.size, dtype=np.int8)
        self.surface = np.zeros(lattice.tail.size, dtype=np.int8)
        self.name = np.full(lattice.tail.size, -1, dtype=np.int32)
        self.names: list[str] = []
        self.on_road = np.zeros(lattice.n_nodes, dtype=bool)

    def add(self, path: list[int], highway: int, surface: str, name: str | None = None) -> None:
        """Make the lattice path a road where it is not one already."""
        if len(path) < 2:
            return
        nodes = np.asarray(path)
        edges = np.concatenate(
            [self.lattice.edge_index(nodes[:-1], nodes[1:]), self.lattice.edge_index(nodes[1:], nodes[:-1])]
        )
        new = edges[self.highway[edges] == 0]
        self.highway[new] = highway
        self.surface[new] = SURFACES.index(surface)
        if name is not None:
            self.names.append(name)
            self.name[new] = len(self.names) - 1
        self.on_road[nodes] = True

    def new_length(self, path: list[int]) -> float:
        """Metres of the path not yet on a road."""
        if len(path) < 2:
            return 0.0
        edges = self.lattice.edge_index(path[:-1], path[1:])
        return float(self.lattice.length[edges][self.highway[edges] == 0].sum())


def _roads(rng: np.random.Generator, lattice: _Lattice, places: _Places, outlet: tuple[float, float]) -> _RoadNetwork:
    """A road network that follows the terrain, built the way mountain networks grow.

    Paved trunk roads join the township seats and leave the box at its edge (secondary between the exits,
    tertiary to the other seats), along the cheapest corridors for a road: valley floors, since cost grows
    with the square of the grade. County roads (tertiary) reach the large villages, village roads
    (unclassified) the others, and a few unpaved roads cross low passes where the way round is long.
    Tracks, or footways where too steep, reach the hamlets; footpaths climb over ridges between
    neighbouring villages where walking over beats walking round. Each tier is routed as a shortest-path
    forest grown from the network built so far, so branches join it and each other instead of running in
    parallel.
    """
    builder = _RoadBuilder(lattice)
    towns = places.node[places.place == "town"]
    exits = _exits(rng, lattice, outlet)
    terminals = np.concatenate([exits, towns])
    links = _steiner_links(lattice, lattice.road_cost(GRADE_SCALE["trunk"]), terminals)
    # Roads between exits are the through roads (secondary); the rest link township seats (tertiary).
    through = _through_links(links, exits)
    is_village = places.place == "village"
    large = np.zeros_like(is_village)
    if is_village.any():
        large = is_village & (places.size >= np.quantile(places.size[is_village], 1.0 - LARGE_VILLAGE_SHARE))
    # Road numbers as in China: provincial roads S2xx–S3xx, county roads X001 onwards.
    provincial = (201 + rng.permutation(199)).tolist()
    county = (1 + rng.permutation(max(999, len(links) + int(large.sum())))).tolist()
    for k, (_, _, path) in enumerate(links):
        if k in through:
            builder.add(path, _SECONDARY, "paved", f"S{provincial[through[k] % len(provincial)]}")
    for k, (_, _, path) in enumerate(links):
        if k not in through:
            builder.add(path, _TERTIARY, "paved", f"X{county.pop():03d}")

    village_cost = lattice.road_cost(GRADE_SCALE["village"])
    # County roads reach the large villages first, so the village roads branch off them.
    for path in _branches(lattice, builder, places.node[large], village_cost):
        builder.add(path, _TERTIARY, "paved", f"X{county.pop():03d}")
    for path in _branches(lattice, builder, places.node[is_village & ~large], village_cost):
        # China's village road programme has paved most village roads; the rest are gravel.
        builder.add(path, _UNCLASSIFIED, "paved" if rng.random() < 0.65 else "unpaved")
    seats = places.node[places.place != "hamlet"]
    # Roads over a low pass join neighbouring valleys where the way round is long.
    on_road = np.where(builder.highway > 0, ON_ROAD_DISCOUNT, 1.0)
    for path in _shortcuts(lattice, builder, seats, village_cost * on_road, lattice.length, PASS_ROAD_RATIO, 0.0):
        builder.add(path, _UNCLASSIFIED, "unpaved")
    for path in _branches(
        lattice, builder, places.node[places.place == "hamlet"], lattice.road_cost(GRADE_SCALE["track"])
    ):
        edges = lattice.edge_index(path[:-1], path[1:])
        steep = len(path) > 1 and float(np.average(lattice.grade[edges], weights=lattice.length[edges])) > FOOTWAY_GRADE
        builder.add(path, _FOOTWAY if steep else _TRACK, "ground" if steep else "unpaved")
    # Footpaths climb over ridges between neighbouring villages where walking over beats walking round.
    walking = lattice.walking_cost()
    on_road = np.where(builder.highway > 0, ON_ROAD_DISCOUNT, 1.0)
    for path in _shortcuts(lattice, builder, seats, walking * on_road, walking, PATH_RATIO, PATH_MIN_CLIMB_M):
        builder.add(path, _PATH, "ground")
    return _road_ways(lattice, builder, places.node)


def _shortcuts(
    lattice: _Lattice,
    builder: _RoadBuilder,
    seats: np.ndarray,
    cost: np.ndarray,
    effort: np.ndarray,
    ratio: float,
    min_climb_m: float,
) -> list[list[int]]:
    """New links between neighbouring settlements where the way round on the existing roads is long.

    Candidates are the least-``cost`` lattice paths between neighbouring settlements (``cost`` already
    favours existing roads where they serve). A candidate is kept if it is at most ``SHORTCUT_MAX_M``
    long in a straight line, adds ``SHORTCUT_MIN_NEW_M`` of new way, climbs ``min_climb_m`` above its
    ends (a ridge crossing), and needs at most ``ratio`` times the ``effort`` of the road route.
    """
    candidates = []
    for a, b, path in _steiner_links(lattice, cost, seats, all_pairs=True):
        if math.hypot(lattice.x[a] - lattice.x[b], lattice.y[a] - lattice.y[b]) > SHORTCUT_MAX_M:
            continue
        climb = lattice.elevation[path].max() - max(lattice.elevation[a], lattice.elevation[b])
        if climb >= min_climb_m and builder.new_length(path) >= SHORTCUT_MIN_NEW_M:
            candidates.append((a, b, path, float(effort[lattice.edge_index(path[:-1], path[1:])].sum())))
    if not candidates:
        return []
    # Effort between the candidates' ends over roads only, on the (much smaller) road graph.
    road_nodes = np.flatnonzero(builder.on_road)
    compact = np.full(lattice.n_nodes, -1)
    compact[road_nodes] = np.arange(len(road_nodes))
    edges = np.flatnonzero(builder.highway > 0)
    roads = sp.csr_matrix(
        (effort[edges], (compact[lattice.tail[edges]], compact[lattice.head[edges]])),
        shape=(len(road_nodes), len(road_nodes)),
    )
    start, end = (np.array([c[k] for c in candidates]) for k in (0, 1))
    limit = max(e for _, _, _, e in candidates) / ratio  # farther than this by road: the shortcut qualifies
    by_road = np.empty(len(candidates))
    # 16 sources at a time: each gives a row of distances to every road node, kept only at the ends needed.
    sources = np.unique(start)
    for chunk in np.array_split(sources, -(-len(sources) // 16)):
        rows = dijkstra(roads, indices=compact[chunk], limit=limit)
        mine = np.flatnonzero(np.isin(start, chunk))
        by_road[mine] = rows[np.searchsorted(chunk, start[mine]), compact[end[mine]]]
    return [path for (_, _, path, e), road in zip(candidates, by_road, strict=True) if e <= ratio * road]


def _exits(rng: np.random.Generator, lattice: _Lattice, outlet: tuple[float, float]) -> np.ndarray:
    """Lattice nodes on the box edge where through roads leave: down the river's gorge, and over passes.

    One exit per ~60 km of perimeter (at least two): the first where the river leaves, the others spread
    round the edge, each at the lowest point of its stretch of edge (a pass).
    """
    rows, cols = lattice.n_rows, lattice.n_cols
    ring = np.concatenate(
        [
            np.arange(cols),  # south edge, west to east
            np.arange(1, rows) * cols + cols - 1,  # east edge, northwards
            (rows - 1) * cols + np.arange(cols - 2, -1, -1),  # north edge, westwards
            np.arange(rows - 2, 0, -1) * cols,  # west edge, southwards
        ]
    )
    n = len(ring)
    start = int(np.argmin(np.hypot(lattice.x[ring] - outlet[0], lattice.y[ring] - outlet[1])))
    perimeter_km = 2 * (rows + cols) * lattice.step / 1_000
    count = max(2, round(perimeter_km / 60))
    exits = [int(ring[start])]
    for k in range(1, count):
        centre = start + round(n * (k / count + rng.uniform(-0.05, 0.05)))
        stretch = ring[np.arange(centre - n // (3 * count), centre + n // (3 * count) + 1) % n]
        exits.append(int(stretch[np.argmin(lattice.elevation[stretch])]))
    return np.array(sorted(set(exits), key=exits.index), dtype=np.int64)


def _steiner_links(
    lattice: _Lattice, cost: np.ndarray, terminals: np.ndarray, *, all_pairs: bool = False
) -> list[tuple[int, int, list[int]]]:
    """Least-cost lattice paths linking terminals: a spanning tree of them, or every neighbouring pair.

    One multi-source Dijkstra splits the lattice into the terminals' catchments; each lattice edge between
    two catchments is a possible link of their terminals (Mehlhorn's Steiner-tree approximation). The
    cheapest link of each pair is kept; a minimum spanning tree of those links the terminals with (near)
    least total cost, or with ``all_pairs`` every neighbouring pair is returned.
    """
    terminals = np.unique(terminals)
    if len(terminals) < 2:
        return []
    graph = lattice.graph(cost)
    distance, previous, source = dijkstra(graph, indices=terminals, min_only=True, return_predecessors=True)
    tail, head = lattice.tail, lattice.head
    between = np.flatnonzero((source[tail] != source[head]) & (source[tail] >= 0) & (source[head] >= 0))
    total = distance[tail[between]] + cost[between] + distance[head[between]]
    a = np.searchsorted(terminals, source[tail[between]])
    b = np.searchsorted(terminals, source[head[between]])
    pair = np.minimum(a, b) * len(terminals) + np.maximum(a, b)
    order = np.lexsort((total, pair))
    first = order[np.concatenate([[True], pair[order][1:] != pair[order][:-1]])]
    if all_pairs:
        chosen = first
    else:
        small = sp.csr_matrix(
            (total[first], (np.minimum(a, b)[first], np.maximum(a, b)[first])),
            shape=(len(terminals), len(terminals)),
        )
        tree = minimum_spanning_tree(small).tocoo()
        by_pair = dict(zip(pair[first].tolist(), first.tolist(), strict=True))
        chosen = np.array(
            [by_pair[i * len(terminals) + j] for i, j in sorted(zip(tree.row.tolist(), tree.col.tolist(), strict=True))]
        )
    links = []
    for k in chosen.tolist():
        edge = between[k]
        path = _trace(previous, int(tail[edge]))[::-1] + _trace(previous, int(head[edge]))
        links.append((path[0], path[-1], path))
    return links


def _trace(previous: np.ndarray, node: int, stop: np.ndarray | None = None) -> list[int]:
    """Lattice nodes from ``node`` back to its source (or to the first node where ``stop`` is set)."""
    path = [node]
    while previous[node] >= 0 and (stop is None or not stop[node]):
        node = int(previous[node])
        path.append(node)
    return path


def _through_links(links: list[tuple[int, int, list[int]]], exits: np.ndarray) -> dict[int, int]:
    """Links on the tree route from the first exit to each other exit, numbered by the exit they serve."""
    adjacency: dict[int, list[tuple[int, int]]] = {}
    for k, (a, b, _) in enumerate(links):
        adjacency.setdefault(a, []).append((b, k))
        adjacency.setdefault(b, []).append((a, k))
    came_by: dict[int, tuple[int, int]] = {int(exits[0]): (-1, -1)}
    queue = [int(exits[0])]
    while queue:
        node = queue.pop()
        for other, k in adjacency.get(node, []):
            if other not in came_by:
                came_by[other] = (node, k)
                queue.append(other)
    through: dict[int, int] = {}
    for number, exit_node in enumerate(exits[1:].tolist()):
        node = exit_node
        while node in came_by and came_by[node][1] >= 0:
            through.setdefault(came_by[node][1], number)
            node = came_by[node][0]
    return through


def _branches(lattice: _Lattice, builder: _RoadBuilder, targets: np.ndarray, cost: np.ndarray) -> list[list[int]]:
    """Least-cost paths joining each target to the network so far, nearest first.

    The paths come from one shortest-path forest grown from every road node, so two targets up the same
    valley share the road down it: once a path reaches a node already on a road (or on an earlier
    branch) it stops there.
    """
    distance, previous, _ = dijkstra(
        lattice.graph(cost), indices=np.flatnonzero(builder.on_road), min_only=True, return_predecessors=True
    )
    taken = builder.on_road.copy()
    paths = []
    for node in targets[np.argsort(distance[targets], kind="stable")].tolist():
        path = _trace(previous, node, stop=taken)
        taken[path] = True
        paths.append(path[::-1])
    return paths


def _road_ways(lattice: _Lattice, builder: _RoadBuilder, anchors: np.ndarray) -> _RoadNetwork:
    """Split the road segments into OSM ways (one per run of same tags between junctions) and smooth them.

    Node positions along a way are smoothed (junctions, way ends and settlement nodes stay put), so roads
    bend instead of stepping in lattice directions.
    """
    one_way = np.flatnonzero((builder.highway > 0) & (lattice.tail < lattice.head))
    u, v = lattice.tail[one_way].astype(np.int64), lattice.head[one_way].astype(np.int64)
    tags = np.column_stack([builder.highway[one_way], builder.surface[one_way], builder.name[one_way]])
    incident: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        incident.setdefault(a, []).append(k)
        incident.setdefault(b, []).append(k)
    tag_key = [tuple(t) for t in tags.tolist()]

    def is_end(node: int) -> bool:
        edges = incident[node]
        return len(edges) != 2 or tag_key[edges[0]] != tag_key[edges[1]]

    used = np.zeros(len(one_way), dtype=bool)
    chains: list[tuple[list[int], int]] = []
    starts = [n for n in sorted(incident) if is_end(n)] + sorted(incident)  # then any loops left
    for start in starts:
        for k in incident[start]:
            if used[k]:
                continue
            nodes, edge, node = [start], k, start
            while True:
                used[edge] = True
                node = int(v[edge]) if int(u[edge]) == node else int(u[edge])
                nodes.append(node)
                if node == start or is_end(node):
                    break
                edge = next(e for e in incident[node] if e != edge)
            chains.append((nodes, k))

    node_ids = np.array(sorted(incident), dtype=np.int64)
    x, y = lattice.x[node_ids].copy(), lattice.y[node_ids].copy()
    fixed = np.array([is_end(n) for n in node_ids.tolist()]) | np.isin(node_ids, anchors)
    position = {n: i for i, n in enumerate(node_ids.tolist())}
    left = np.arange(len(node_ids))
    right = np.arange(len(node_ids))
    for nodes, _ in chains:
        idx = np.array([position[n] for n in nodes])
        left[idx[1:-1]], right[idx[1:-1]] = idx[:-2], idx[2:]
    for _ in range(3):  # a few rounds of Laplacian smoothing round off the lattice's corners
        x = np.where(fixed, x, 0.5 * x + 0.25 * (x[left] + x[right]))
        y = np.where(fixed, y, 0.5 * y + 0.25 * (y[left] + y[right]))

    # OSM digitises roads with a node every ~20 m, not every lattice step: add the nodes in between.
    extra_x: list[float] = []
    extra_y: list[float] = []
    next_id = int(node_ids.max()) + 2  # OSM ids are lattice ids + 1
    ways = []
    for nodes, k in chains:
        refs = [nodes[0] + 1]
        for a, b in itertools.pairwise(nodes):
            pa, pb = position[a], position[b]
            pieces = max(1, round(float(np.hypot(x[pb] - x[pa], y[pb] - y[pa])) / OSM_NODE_SPACING_M))
            for j in range(1, pieces):
                extra_x.append(float(x[pa] + (x[pb] - x[pa]) * j / pieces))
                extra_y.append(float(y[pa] + (y[pb] - y[pa]) * j / pieces))
                refs.append(next_id)
                next_id += 1
            refs.append(b + 1)
        highway, surface, name = tags[k].tolist()
        ways.append(
            _Way(
                nodes=refs,
                highway=HIGHWAYS[highway - 1],
                surface=SURFACES[surface],
                name=builder.names[name] if name >= 0 else None,
            )
        )
    first_extra = int(node_ids.max()) + 2
    return _RoadNetwork(
        node_ids=np.concatenate([node_ids + 1, np.arange(first_extra, next_id, dtype=np.int64)]),
        x=np.concatenate([x, extra_x]),
        y=np.concatenate([y, extra_y]),
        ways=ways,
    )


# --- population ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Population:
    grid: _Grid
    people: np.ndarray  # float32 people per pixel, nodata outside the county


def _population(
    rng: np.random.Generator,
    frame: _Frame,
    terrain: _Terrain,
    places: _Places,
    county: shapely.Polygon,
    total: float,
) -> _Population:
    """People per pixel on a WorldPop-like 3″ grid, concentrated in the settlements.

    Each settlement spreads its people over a Gaussian footprint (wider for towns) that avoids steep
    ground; a thin rural background lives on gentle slopes, thinning out up the mountains. The pixels whose
    centre is inside the county sum to ``total``; the others are nodata.
    """
    grid = _Grid.covering(frame, POPULATION_ARCSEC, POPULATION_GRID_SHIFT)
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
    (patchy,) = _fractal_noise(rng, people.shape, dy, dx, (8_000.0, 1_000.0))
    rural = habitable * np.exp(-above / 250.0) * np.clip(1.0 + 0.5 * patchy, 0.1, None)
    people += _share(rural, outside, POPULATION_SHARES["rural"])
    people *= total / people[~outside].sum()
    people[outside] = POPULATION_NODATA
    return _Population(grid=grid, people=people.astype(np.float32))


def _share(values: np.ndarray, outside: np.ndarray, share: float) -> np.ndarray:
    """``values`` scaled so those inside the county sum to ``share`` (nothing if they sum to zero)."""
    inside_total = values[~outside].sum()
    return values * (share / inside_total) if inside_total > 0 else np.zeros_like(values)


# --- facilities ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facilities:
    facility_id: list[str]
    name: list[str]
    tier: np.ndarray  # 1 village clinic, 2 township health centre
    x: np.ndarray
    y: np.ndarray


def _facilities(rng: np.random.Generator, places: _Places, terrain: _Terrain, frame: _Frame) -> _Facilities:
    """The existing health system, as a real one looks.

    A township health centre in every township seat; a village clinic in most villages, the larger ones
    more likely, but not all (so new sites make sense); clinics in pairs of nearby villages (candidates
    for merging); and a few old clinics in the highest hamlets (remote ones a plan must weigh).
    """
    towns = np.flatnonzero(places.place == "town")
    villages = np.flatnonzero(places.place == "village")
    hamlets = np.flatnonzero(places.place == "hamlet")

    by_size = np.argsort(places.size[villages], kind="stable")
    rank = np.argsort(by_size, kind="stable") / max(1, len(villages) - 1)  # 0 smallest … 1 largest
    chance = CLINIC_SHARE_SMALL + (CLINIC_SHARE_LARGE - CLINIC_SHARE_SMALL) * rank
    has_clinic = rng.random(len(villages)) < chance
    if len(villages) >= 2:
        # The closest pairs of neighbouring villages both keep a clinic (a mutual pair is listed twice).
        xy = np.column_stack([places.x[villages], places.y[villages]])
        gap, neighbour = (v[:, 1] for v in cKDTree(xy).query(xy, k=2))
        closest = np.argsort(gap, kind="stable")[: 2 * max(1, len(villages) // VILLAGES_PER_MERGE_PAIR)]
        close = closest[gap[closest] <= MERGE_PAIR_M]
        has_clinic[close] = True
        has_clinic[neighbour[close]] = True
    if len(villages) >= 2 and has_clinic.all():
        # Some villages must lack a clinic, or there is nothing to plan: the smallest ones.
        has_clinic[by_size[: max(1, len(villages) // 6)]] = False
    elevation = terrain.sample(frame, terrain.elevation, places.x[hamlets], places.y[hamlets])
    n_remote = max(1, round(REMOTE_CLINIC_SHARE * len(hamlets)))
    remote = hamlets[np.argsort(-elevation, kind="stable")[:n_remote]]

    sites = np.concatenate([towns, np.sort(np.concatenate([villages[has_clinic], remote]))])
    tier = np.where(np.arange(len(sites)) < len(towns), 2, 1)
    # Facilities stand in their settlement, a few tens of metres from its place node.
    angle = rng.uniform(0.0, 2 * np.pi, len(sites))
    distance = rng.uniform(20.0, 80.0, len(sites))
    ids = [f"SYN-C{k + 1:02d}" for k in range(len(towns))] + [
        f"SYN-V{k + 1:03d}" for k in range(len(sites) - len(towns))
    ]
    names = [
        f"{places.name[s]} Township Health Centre" if t == 2 else f"{places.name[s]} Village Clinic"
        for s, t in zip(sites.tolist(), tier.tolist(), strict=True)
    ]
    return _Facilities(
        facility_id=ids,
        name=names,
        tier=tier,
        x=places.x[sites] + distance * np.cos(angle),
        y=places.y[sites] + distance * np.sin(angle),
    )


# --- writers -------------------------------------------------------------------------------------------


def _write_raster(path: Path, grid: _Grid, values: np.ndarray, nodata: float) -> None:
    """A deflate-compressed one-band GeoTIFF in EPSG:4326; no timestamp, so equal values give equal bytes."""
    profile = {
        "driver": "GTiff",
        "width": grid.n_cols,
        "height": grid.n_rows,
        "count": 1,
        "dtype": values.dtype.name,
        "crs": "EPSG:4326",
        "transform": grid.transform,
        "nodata": nodata,
        "compress": "deflate",
        "predictor": 2 if values.dtype.kind == "i" else 3,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
        dst.update_tags(AREA_OR_POINT="Area", SOURCE="facility_layout synthetic region, not a real place")


def _geojson(path: Path, name: str, features: list[tuple[dict, dict]]) -> None:
    """A GeoJSON FeatureCollection in lon/lat, one feature per line, keys sorted."""
    lines = [
        json.dumps(
            {"geometry": geometry, "properties": properties, "type": "Feature"},
            sort_keys=True,
            ensure_ascii=False,
        )
        for properties, geometry in features
    ]
    header = {
        "crs": {"properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}, "type": "name"},
        "name": name,
        "type": "FeatureCollection",
    }
    text = json.dumps(header, sort_keys=True)[:-1] + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def _point(frame: _Frame, x: float, y: float) -> dict:
    lon, lat = frame.lonlat(x, y)
    return {"coordinates": [round(float(lon), 7), round(float(lat), 7)], "type": "Point"}


def _write_boundary(path: Path, frame: _Frame, county: shapely.Polygon) -> None:
    polygon = {"coordinates": [frame.county_ring(county)], "type": "Polygon"}
    _geojson(path, "boundary", [({"name": "Synthetic mountain county"}, polygon)])


def _write_settlements(path: Path, frame: _Frame, places: _Places) -> None:
    features = [
        ({"name": str(name), "place": str(place)}, _point(frame, x, y))
        for name, place, x, y in zip(places.name, places.place, places.x.tolist(), places.y.tolist(), strict=True)
    ]
    _geojson(path, "settlements", features)


def _write_facilities(path: Path, frame: _Frame, facilities: _Facilities) -> None:
    features = [
        ({"facility_id": fid, "name": name, "tier": int(tier)}, _point(frame, x, y))
        for fid, name, tier, x, y in zip(
            facilities.facility_id,
            facilities.name,
            facilities.tier.tolist(),
            facilities.x.tolist(),
            facilities.y.tolist(),
            strict=True,
        )
    ]
    _geojson(path, "facilities", features)


def _write_township_areas(path: Path, frame: _Frame, places: _Places, county: shapely.Polygon) -> None:
    """Administrative townships: the county split into the land nearest each township seat (Voronoi cells).

    Real townships follow ridges and rivers, but nearest-seat areas are what a county without drawn
    boundaries would use, and they give the comparison report areas to tabulate.
    """
    towns = np.flatnonzero(places.place == "town")
    seats = shapely.points(places.x[towns], places.y[towns])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seats), extend_to=county.envelope))
    features = []
    for town in towns.tolist():
        seat = shapely.Point(places.x[town], places.y[town])
        cell = next(c for c in cells if c.contains(seat))  # the cells come in no fixed order
        area = cell.intersection(county)
        lonlat = shapely.transform(area, lambda xy: np.column_stack(frame.lonlat(xy[:, 0], xy[:, 1])))
        geometry = _rounded(shapely.geometry.mapping(lonlat))
        features.append(({"name": f"{places.name[town]} township", "seat": str(places.name[town])}, geometry))
    _geojson(path, "admin_areas", features)


def _rounded(geometry: dict) -> dict:
    """A GeoJSON geometry with coordinates rounded as elsewhere in the generated files (1e-7°, about 1 cm)."""

    def walk(node: object) -> object:
        if isinstance(node, float):
            return round(node, 7)
        return [walk(item) for item in node] if isinstance(node, list | tuple) else node

    return {"coordinates": walk(geometry["coordinates"]), "type": geometry["type"]}


def _write_osm(path: Path, frame: _Frame, roads: _RoadNetwork) -> None:
    """OSM XML 0.6: nodes, then ways with ``highway``, ``surface`` and (bigger roads) ``name`` tags."""
    lon, lat = frame.lonlat(roads.x, roads.y)
    west, south, east, north = frame.lonlat_box()
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="facility_layout synthetic">',
        f'  <bounds minlat="{south:.7f}" minlon="{west:.7f}" maxlat="{north:.7f}" maxlon="{east:.7f}"/>',
    ]
    lines += [
        f'  <node id="{i}" version="1" lat="{a:.7f}" lon="{o:.7f}"/>'
        for i, a, o in zip(roads.node_ids.tolist(), lat.tolist(), lon.tolist(), strict=True)
    ]
    for way_id, way in enumerate(roads.ways, start=1):
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{n}"/>' for n in way.nodes]
        tags = {"highway": way.highway, "surface": way.surface} | ({"name": way.name} if way.name else {})
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _check_replaceable(target: Path) -> None:
    """Refuse to replace files of the region's names that are not an earlier generated region's."""
    existing = [name for name in FILE_NAMES if (target / name).exists()]
    if not existing:
        return
    try:
        earlier = json.loads((target / "region.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        earlier = None
    if isinstance(earlier, dict) and earlier.get("generator") == "facility_layout.synthetic":
        return
    raise ValueError(
        f"{target} holds {', '.join(existing)}, which the generator did not write (no region.json of a generated "
        "region there); generating would replace them. Fix: give a new or empty folder, or add --force to replace "
        "those files"
    )


def _publish(staging: Path, target: Path) -> None:
    """Move the complete region into place: rename the folder, or replace the files of an earlier region."""
    if not target.exists():
        staging.rename(target)
        return
    for name in FILE_NAMES:  # region.json last
        os.replace(staging / name, target / name)
    staging.rmdir()
