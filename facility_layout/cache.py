"""On-disk cache of the travel-time stage, keyed by everything that produced its matrices.

The key hashes the contents of the files the stage reads (roads, elevation, closure polygons), the travel
settings, the metric CRS, the exact coordinates of demand points and sites, the cutoffs, and the source
code of the modules that compute travel times (so an upgraded engine never reads an old result). Change
any of them and the key changes; change only costs, budgets or the solver and the stage is read back
instead of recomputed. A cache file that cannot be read is ignored (and recomputed), never trusted; files
are written atomically so a stopped run leaves no half file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from facility_layout.odmatrix import ODMatrix
from facility_layout.traveltime import RegionTravel

log = logging.getLogger(__name__)

# The modules whose code decides the matrices: any change to them changes the key.
TRAVEL_MODULES = ("inputs", "network", "terrain", "traveltime", "odmatrix", "cache")

_MATRICES = ("demand_to_site", "demand_to_centre", "site_to_centre")


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


def load_travel(folder: Path, key: str) -> RegionTravel | None:
    """The cached stage for ``key``, or None (absent or unreadable)."""
    path = folder / f"travel-{key}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            matrices = {
                name: ODMatrix(
                    data[f"{name}_origin"],
                    data[f"{name}_destination"],
                    data[f"{name}_minutes"],
                    tuple(int(v) for v in data[f"{name}_shape"]),
                )
                for name in _MATRICES
            }
            closed = json.loads(str(data["closed_segments"]))
            return RegionTravel(
                **matrices,
                demand_off_network=data["demand_off_network"].astype(bool),
                demand_cut_off=data["demand_cut_off"].astype(bool),
                closed_segments={str(k): int(v) for k, v in closed.items()},
            )
    except (OSError, KeyError, ValueError) as exc:
        log.warning("ignoring unreadable travel cache %s (%s); recomputing", path, exc)
        return None


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
    arrays["demand_cut_off"] = travel.demand_cut_off
    arrays["closed_segments"] = np.array(json.dumps(travel.closed_segments))
    path = folder / f"travel-{key}.npz"
    partial: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".travel-", suffix=".npz", delete=False) as handle:
            partial = Path(handle.name)
            np.savez(handle, **arrays)
        os.replace(partial, path)
    except OSError as exc:
        log.warning("could not write the travel cache in %s (%s); continuing without it", folder, exc)
        if partial is not None:
            partial.unlink(missing_ok=True)
        return None
    return path
