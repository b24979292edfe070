"""Entries of the on-disk caches (travel-time matrices, parsed road tables): one ``.npz`` file per key.

Both caches write atomically and treat an entry that cannot be trusted the same way: it is deleted and
recomputed, because a cache is never worth a failed run.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def save_entry(folder: Path, kind: str, key: str, arrays: dict[str, np.ndarray]) -> Path | None:
    """Write ``folder/<kind>-<key>.npz`` atomically; a cache that cannot be written only costs time (logged,
    not raised), so None is returned then."""
    path = folder / f"{kind}-{key}.npz"
    partial: Path | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{kind}-", suffix=".npz", delete=False) as handle:
            partial = Path(handle.name)
            np.savez(handle, **arrays)
        os.replace(partial, path)
    except OSError as exc:
        log.warning("could not write the %s cache in %s (%s); continuing without it", kind, folder, exc)
        if partial is not None:
            partial.unlink(missing_ok=True)
        return None
    return path


def discard_entry(path: Path, problem: str, instead: str) -> None:
    """Log why the cache entry ``path`` is not used and delete it (a file of this tool's own cache), so that
    the next run does not meet it again; ``instead`` says what happens in its place."""
    log.warning("ignoring unreadable cache entry %s (%s); %s", path, problem, instead)
    try:
        path.unlink(missing_ok=True)
    except OSError as unlink_error:
        log.warning("could not delete %s (%s)", path, unlink_error)
