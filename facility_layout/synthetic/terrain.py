"""The county outline and its mountains: a drainage tree, valleys widening downstream, ridges between them."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
from scipy import ndimage
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

from facility_layout.synthetic.geometry import CENTRE_LAT, CENTRE_LON, Frame, Grid

DEM_NODATA = -32768  # SRTM's void value
MAX_DEM_PIXELS = 5_000_000  # beyond this the DEM pixel is coarsened (whole arc-seconds), to bound memory

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


def county_outline(rng: np.random.Generator, frame: Frame) -> shapely.Polygon:
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
class Terrain:
    """The DEM and the fields derived with it, on the DEM grid."""

    grid: Grid
    elevation: np.ndarray  # metres, float32
    stream_bed: np.ndarray  # stream bed elevation, interpolated between the streams
    stream_area: np.ndarray  # upstream km² of the nearest stream
    stream_distance: np.ndarray  # metres to the nearest stream
    slope: np.ndarray  # tangent of the slope
    outlet: tuple[float, float]  # where the main river leaves the box (metric)

    def dem(self) -> np.ndarray:
        return np.round(self.elevation).astype(np.int16)

    def sample(self, frame: Frame, field: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bilinear value of ``field`` at metric points."""
        rows, cols = self.grid.index(frame, x, y)
        return ndimage.map_coordinates(field, [np.ravel(rows), np.ravel(cols)], order=1, mode="nearest").reshape(
            np.shape(x)
        )


def carve_terrain(rng: np.random.Generator, frame: Frame) -> Terrain:
    """Mountains carved by a stream network, on an SRTM-like grid (1″ unless the region is large).

    The stream beds, interpolated between the streams into a smooth surface, are the base. Beyond each
    stream's floor the ground rises towards the ridges (which form where the valleys of two streams meet)
    by a relief that varies over tens of kilometres, roughened by ridged and fine fractal noise. Floors
    alternate between gorges and wide basins, widening downstream; everything drains to the outlet.
    """
    west, south, east, north = frame.lonlat_box()
    pixels_at_1s = (east - west) * 3600 * (north - south) * 3600
    # SRTM's pixel centres sit on whole arc-seconds, so its pixel corners are half a pixel off them.
    grid = Grid.covering(frame, max(1, math.ceil(math.sqrt(pixels_at_1s / MAX_DEM_PIXELS))), (0.5, 0.5))
    dy, dx = grid.pixel_m(frame)
    streams, outlet = _drainage(rng, frame)
    # Broad (8–60 km) sets the relief of whole mountain blocks and where valleys open into basins, ridged
    # (1.2–8 km) shapes peaks and spurs, fine (below 1.2 km) roughens hillsides.
    shape = (grid.n_rows, grid.n_cols)
    broad, ridged, fine = fractal_noise(rng, shape, dy, dx, (60_000.0, 8_000.0, 1_200.0, 0.0))

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
    return Terrain(
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


def _drainage(rng: np.random.Generator, frame: Frame) -> tuple[list[np.ndarray], tuple[float, float]]:
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
    (relief,) = fractal_noise(rng, (n_rows, n_cols), cell[1], cell[0], (80_000.0, 5_000.0))
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
    # Cubic B-spline upsampling back to the full grid, as ``map_coordinates(order=3, mode="nearest")`` does it
    # (edge-padded by 12, prefiltered), but separable: the full grid is a tensor product of row and column
    # positions, so two sparse products replace a per-pixel 4 × 4 evaluation (ten times faster at 1″).
    pad = 12
    coefficients = ndimage.spline_filter(np.pad(coarse, pad, mode="edge"), order=3, mode="nearest")
    down = _cubic_weights(np.arange(field.shape[0]) / factor + pad, coefficients.shape[0])
    across = _cubic_weights(np.arange(field.shape[1]) / factor + pad, coefficients.shape[1])
    return (down @ (across @ coefficients.T).T).astype(np.float32)


def _cubic_weights(at: np.ndarray, size: int) -> sp.csr_matrix:
    """Sparse matrix evaluating a cubic B-spline with ``size`` coefficients at the positions ``at``."""
    base = np.floor(at)
    t = (at - base)[:, None]
    weights = np.hstack([(1 - t) ** 3, 4 - 6 * t**2 + 3 * t**3, 1 + 3 * t + 3 * t**2 - 3 * t**3, t**3]) / 6
    columns = np.clip(base.astype(np.int64)[:, None] + np.arange(-1, 3), 0, size - 1)
    rows = np.repeat(np.arange(len(at)), 4)
    return sp.csr_matrix((weights.ravel(), (rows, columns.ravel())), shape=(len(at), size))


def fractal_noise(
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
