"""The road input as plain arrays, and an on-disk cache of it keyed by the road file's contents.

What the network stage reads of the road input is small: per node its OSM id and lon/lat, per directed
edge its two nodes, length and the few tags the travel model uses. OSM files are read straight into this
table (:mod:`facility_layout.readers.osm_xml`); road lines of a vector file become a graph first and
:func:`road_table` extracts the table from it. :func:`load_road_table` / :func:`save_road_table` keep the
table of an OSM file in the cache folder (``cache.dir``, beside the travel-time matrices) so that a re-run
of the same file skips the parse. The key hashes the file's bytes, the pyosmium version (``.osm.pbf``) and
the code of the modules that read it; an entry that cannot be read is ignored, deleted and parsed again,
never trusted; entries are written atomically.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from importlib.metadata import version
from pathlib import Path

import networkx as nx
import numpy as np

from facility_layout.npz_cache import discard_entry, save_entry
from facility_layout.travel_settings import UNPAVED_SURFACES

# Classes taken as unpaved where neither `surface` nor `tracktype` says otherwise.
UNPAVED_BY_DEFAULT = frozenset({"track", "path", "bridleway"})

# The modules whose code decides the table read from a road file: any change to them changes the key.
ROAD_MODULES = ("road_table.py", "inputs.py", "readers/osm_xml.py", "readers/pbf.py")


@dataclass(frozen=True)
class RoadTable:
    """Every node and directed edge of the road input, as the network stage reads them.

    Attributes
    ----------
    osm_id, lon, lat : numpy.ndarray
        Per node (every node of the input, also those only on unusable ways), in ``crs``.
    crs : str
        Of ``lon``/``lat`` (EPSG:4326 for OSM).
    edge_u, edge_v : numpy.ndarray of int64
        Per directed edge: node indices (a two-way road has an edge each way).
    length_m : numpy.ndarray
    highway, surface : numpy.ndarray of str
        OSM class (``road`` where untagged) and surface (lower case, ``""`` where untagged).
    unpaved : numpy.ndarray of bool
        Tagged unpaved (``surface``, else ``tracktype`` other than grade1), or untagged track/path/bridleway.
    maxspeed_kmh : numpy.ndarray
        Tagged speed limit, NaN where untagged or not a number.
    way_id : numpy.ndarray of int64
    """

    osm_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    crs: str
    edge_u: np.ndarray
    edge_v: np.ndarray
    length_m: np.ndarray
    highway: np.ndarray
    surface: np.ndarray
    unpaved: np.ndarray
    maxspeed_kmh: np.ndarray
    way_id: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.osm_id)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)


def road_table(graph: nx.MultiDiGraph) -> RoadTable:
    """The nodes and edges of an osmnx-style graph (node ``x``/``y``; edge ``length``, ``osmid`` and tags)."""
    osm_ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    index = {node: i for i, node in enumerate(osm_ids.tolist())}
    lon = np.array([data["x"] for _, data in graph.nodes(data=True)], dtype=float)
    lat = np.array([data["y"] for _, data in graph.nodes(data=True)], dtype=float)
    # The tags of a way repeat on each of its segments: classify each distinct combination once.
    classified: dict[tuple, tuple[str, str, bool, float]] = {}
    u, v, length, kind, way = [], [], [], [], []
    for a, b, data in graph.edges(data=True):
        tags = (data.get("highway", "road"), data.get("surface", ""), data.get("tracktype", ""), data.get("maxspeed"))
        key = tuple(tuple(t) if isinstance(t, list) else t for t in tags)
        if key not in classified:
            classified[key] = classify(*tags)
        u.append(index[a])
        v.append(index[b])
        length.append(float(data.get("length", 0.0)))
        kind.append(classified[key])
        way.append(int(_first(data.get("osmid", -1))))
    highway, surface, unpaved, maxspeed = zip(*kind, strict=True) if kind else ((), (), (), ())
    return RoadTable(
        osm_id=osm_ids,
        lon=lon,
        lat=lat,
        crs=str(graph.graph.get("crs", "EPSG:4326")),
        edge_u=np.array(u, dtype=np.int64),
        edge_v=np.array(v, dtype=np.int64),
        length_m=np.array(length, dtype=float),
        highway=np.array(highway, dtype=str),
        surface=np.array(surface, dtype=str),
        unpaved=np.array(unpaved, dtype=bool),
        maxspeed_kmh=np.array(maxspeed, dtype=float),
        way_id=np.array(way, dtype=np.int64),
    )


def classify(highway: object, surface: object, tracktype: object, maxspeed: object) -> tuple[str, str, bool, float]:
    highway = _first(highway)
    surface = _first(surface).strip().lower()
    tracktype = _first(tracktype).strip().lower()
    if surface:
        unpaved = surface in UNPAVED_SURFACES
    elif tracktype:
        unpaved = tracktype != "grade1"
    else:
        unpaved = highway in UNPAVED_BY_DEFAULT
    return highway, surface, unpaved, parse_maxspeed_kmh(maxspeed)


def parse_maxspeed_kmh(value: object) -> float:
    """km/h of an OSM ``maxspeed`` ("50", "30 mph", "50;60" → the lowest); NaN if not a number ("CN:rural")."""
    speeds = []
    for part in value if isinstance(value, list) else str(value or "").split(";"):
        text = str(part).strip().lower()
        factor = 1.609344 if text.endswith("mph") else 1.0
        number = text.removesuffix("mph").removesuffix("km/h").strip()
        try:
            kmh = float(number) * factor
        except ValueError:
            continue
        if kmh > 0:
            speeds.append(kmh)
    return min(speeds) if speeds else float("nan")


def _first(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def road_key(path: Path) -> str:
    """Cache key of the table read from the OSM file ``path``: its bytes, pyosmium and the reading code."""
    digest = hashlib.sha256(b"facility_layout roads 1")
    package = Path(__file__).parent
    for module in ROAD_MODULES:
        digest.update((package / module).read_bytes())
    digest.update(version("osmium").encode())
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_road_table(folder: Path, key: str) -> RoadTable | None:
    """The cached table for ``key``, or None (no entry; an unreadable one is deleted)."""
    path = folder / f"roads-{key}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            values = {f.name: data[f.name] for f in fields(RoadTable)}
        values["crs"] = str(values["crs"])
        table = RoadTable(**values)
        n_edges = table.n_edges
        if any(len(getattr(table, f)) != table.n_nodes for f in ("lon", "lat")) or any(
            len(getattr(table, f)) != n_edges
            for f in ("edge_v", "length_m", "highway", "surface", "unpaved", "maxspeed_kmh", "way_id")
        ):
            raise ValueError("arrays of different lengths")
        if n_edges and (
            min(table.edge_u.min(), table.edge_v.min()) < 0
            or max(table.edge_u.max(), table.edge_v.max()) >= table.n_nodes
        ):
            raise ValueError("edges name nodes that are not in the table")
        return table
    # Whatever is wrong with the entry (truncated, corrupt, another layout) only means parsing again.
    except Exception as exc:
        discard_entry(path, f"{type(exc).__name__}: {exc}", "parsing the road file")
        return None


def save_road_table(folder: Path, key: str, table: RoadTable) -> Path | None:
    """Write the table atomically; a cache that cannot be written only costs time (logged, not raised)."""
    return save_entry(folder, "roads", key, {f.name: np.asarray(getattr(table, f.name)) for f in fields(RoadTable)})
