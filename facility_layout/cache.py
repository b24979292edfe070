"""On-disk cache of the travel-time stage, keyed by everything that produced its matrices.

The key hashes the contents of the files the stage reads (roads, elevation, closure polygons), the travel
settings, the metric CRS, the exact coordinates of demand points and sites, the cutoffs, and the source
code of the modules that compute travel times (so an upgraded engine never reads an old result). Change
any of them and the key changes; change only costs, budgets or the solver and the stage is read back
instead of recomputed. A cache file that cannot be read, or whose arrays do not fit together, is ignored,
deleted and recomputed, never trusted (the run reports it); files
are written atomically so a stopped run leaves no half file.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from facility_layout.errors import Message
from facility_layout.npz_cache import discard_entry, save_entry
from facility_layout.odmatrix import ODMatrix
from facility_layout.traveltime import RegionTravel

# The modules whose code decides the matrices: any change to them changes the key.
TRAVEL_MODULES = ("inputs", "network", "terrain", "traveltime", "odmatrix", "cache")

_MATRICES = ("demand_to_site", "demand_to_centre", "site_to_centre")

# The stage's cache status (``travel.cache`` in summary.json) when an unreadable entry was replaced, and the
# run's warning then.
UNREADABLE = "recomputed (unreadable entry)"
UNREADABLE_WARNING = Message(
    "travel-time cache: this run's entry was unreadable (truncated or corrupt); deleted and recomputed"
)


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def travel_key(files: list[Path], settings: dict, arrays: list[np.ndarray]) -> str:
    """The cache key of a travel-time stage: file contents, settings (JSON-able) and arrays."""
    digest = hashlib.sha256(b"facility_layout travel")
    package = Path(__file__).parent
    for module in TRAVEL_MODULES:
        digest.update(file_digest(package / f"{module}.py").encode())
    for path in files:
        digest.update(file_digest(path).encode())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def load_travel(folder: Path, key: str, shapes: dict[str, tuple[int, int]]) -> tuple[RegionTravel | None, str | None]:
    """The cached stage for ``key``.

    ``shapes`` gives each matrix's (rows, columns) for this run's demand points, sites and centres: an entry
    of other shapes (another run's file under this name) is as unusable as a truncated one.

    Returns
    -------
    travel : RegionTravel or None
        None when there is no entry, or it cannot be trusted.
    problem : str or None
        Why an existing entry was not used (truncated, emptied, corrupt, inconsistent); the entry, a file
        of this tool's own cache, is then deleted so that the next run does not meet it again.
    """
    path = folder / f"travel-{key}.npz"
    if not path.is_file():
        return None, None
    try:
        return _read_entry(path, shapes), None
    # Anything wrong with the file (zipfile, numpy and our own checks raise many types, EOFError for a
    # zero-byte file among them) only means it is recomputed: a cache is never worth a failed run.
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
        discard_entry(path, problem, "recomputing")
        return None, problem


def _read_entry(path: Path, shapes: dict[str, tuple[int, int]]) -> RegionTravel:
    """Read and check one cache file: every member intact (CRC), arrays consistent with each other."""
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
        if bad is not None:
            raise ValueError(f"member {bad} is corrupt")
        names = set(archive.namelist())
    expected = {f"{name}_{part}.npy" for name in _MATRICES for part in ("origin", "destination", "minutes", "shape")}
    expected |= {"demand_off_network.npy", "closed_segments.npy"}
    if not expected <= names:
        raise ValueError(f"missing members {sorted(expected - names)}")
    with np.load(path, allow_pickle=False) as data:
        matrices = {}
        for name in _MATRICES:
            shape = tuple(int(v) for v in data[f"{name}_shape"])
            origin, destination = data[f"{name}_origin"], data[f"{name}_destination"]
            if shape != shapes[name]:
                raise ValueError(f"{name} has shape {shape}, this run needs {shapes[name]}")
            if len(origin) and (origin.min() < 0 or origin.max() >= shape[0]):
                raise ValueError(f"{name} has origins outside its shape {shape}")
            if len(destination) and (destination.min() < 0 or destination.max() >= shape[1]):
                raise ValueError(f"{name} has destinations outside its shape {shape}")
            matrices[name] = ODMatrix(origin, destination, data[f"{name}_minutes"], shape)
        n_demand = matrices["demand_to_site"].shape[0]
        off_network = data["demand_off_network"].astype(bool)
        if off_network.shape != (n_demand,):
            raise ValueError(f"demand_off_network does not have one entry per demand point ({n_demand})")
        closed = json.loads(str(data["closed_segments"]))
        return RegionTravel(
            **matrices, demand_off_network=off_network, closed_segments={str(k): int(v) for k, v in closed.items()}
        )


def save_travel(folder: Path, key: str, travel: RegionTravel) -> Path | None:
    """Write the stage atomically; a cache that cannot be written only costs time (logged, not raised)."""
    arrays: dict[str, np.ndarray] = {}
    for name in _MATRICES:
        matrix: ODMatrix = getattr(travel, name)
        arrays[f"{name}_origin"] = matrix.origin
        arrays[f"{name}_destination"] = matrix.destination
        arrays[f"{name}_minutes"] = matrix.minutes
        arrays[f"{name}_shape"] = np.array(matrix.shape, dtype=np.int64)
    arrays["demand_off_network"] = travel.demand_off_network
    arrays["closed_segments"] = np.array(json.dumps(travel.closed_segments))
    return save_entry(folder, "travel", key, arrays)
