"""The square lattice roads are routed on, every node with the terrain under it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
from affine import Affine
from rasterio.features import geometry_mask
from scipy import ndimage

from facility_layout.synthetic.geometry import Frame
from facility_layout.synthetic.terrain import Terrain

# Roads are routed on a square lattice; every lattice step becomes an OSM node.
ROAD_STEP_M = 90.0
MAX_LATTICE_NODES = 1_200_000  # beyond this the step grows, so a prefecture-size region fits in memory
BRIDGE_MIN_KM2 = 3.0  # streams from this size need a bridge (or a ford) to cross
BRIDGE_COST_M = 150.0  # extra metres-equivalent to enter the stream band: roads keep to one bank
# The eight neighbours of a lattice node (row, column offsets), in ascending node order.
NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


@dataclass(frozen=True)
class Lattice:
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
        """Positions of edges given by their end nodes (neighbours on the lattice).

        A node's edges are listed in :data:`NEIGHBOURS` order, skipping the directions off the lattice, so an
        edge's position is its tail's first edge plus the number of valid directions listed before its own.
        """
        tail, head = np.asarray(tail, dtype=np.int64), np.asarray(head, dtype=np.int64)
        row, col = np.divmod(tail, self.n_cols)
        direction = (head // self.n_cols - row) * 3 + (head % self.n_cols - col)
        dr, dc = np.array(NEIGHBOURS).T
        valid = (
            (row[:, None] + dr >= 0)
            & (row[:, None] + dr < self.n_rows)
            & (col[:, None] + dc >= 0)
            & (col[:, None] + dc < self.n_cols)
        )
        return self.indptr[tail] + np.sum(valid & (dr * 3 + dc < direction[:, None]), axis=1)

    def road_cost(self, grade_scale: float) -> np.ndarray:
        """Metres-equivalent cost of each edge for a road: grows with the square of the grade."""
        return self.length * (1.0 + (self.grade / grade_scale) ** 2) + self.bridge[self.head]

    def walking_cost(self) -> np.ndarray:
        """Walking effort of each edge in flat-ground metres (Tobler's hiking function)."""
        return self.length * np.exp(3.5 * self.grade)


def road_lattice(frame: Frame, terrain: Terrain, county: shapely.Polygon) -> Lattice:
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
    for dr, dc in NEIGHBOURS:
        valid = (rows + dr >= 0) & (rows + dr < n_rows) & (cols + dc >= 0) & (cols + dc < n_cols)
        tails.append(np.where(valid, np.arange(x.size), -1))
        heads.append(np.arange(x.size) + dr * n_cols + dc)
    tail, head = np.stack(tails, axis=1).ravel(), np.stack(heads, axis=1).ravel()
    tail, head = tail[tail >= 0].astype(np.int32), head[tail >= 0].astype(np.int32)
    length = np.hypot(x[tail] - x[head], y[tail] - y[head])
    # A diagonal edge can cross a stream line between nodes: a band of 0.75 step catches every crossing.
    in_stream = (stream_distance < 0.75 * step) & (stream_area >= BRIDGE_MIN_KM2)
    return Lattice(
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
        indptr=np.concatenate([[0], np.cumsum(np.bincount(tail, minlength=x.size))]),
        length=length,
        grade=np.abs(elevation[tail] - elevation[head]) / length,
        bridge=np.where(in_stream, BRIDGE_COST_M, 0.0),
    )
