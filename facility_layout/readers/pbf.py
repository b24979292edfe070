"""OpenStreetMap ``.osm.pbf`` extracts (Geofabrik, BBBike, an office's own) → the road table of OSM XML.

pyosmium copies the ``highway=*`` ways and the nodes they use into a temporary OSM XML file, which
:func:`facility_layout.readers.osm_xml.read_osm_roads` reads like any ``.osm`` file, so both formats give
the same road table.
Other features (buildings, land use: most of a provincial extract) are skipped on the way.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from facility_layout.errors import InputError

KEY = "inputs.roads"


@contextmanager
def highways_as_xml(pbf: Path) -> Iterator[Path]:
    """The highway ways of ``pbf`` and their nodes as a temporary OSM XML file, removed afterwards.

    Raises
    ------
    InputError
        The file is not a readable PBF, or holds no highway way.
    """
    with tempfile.TemporaryDirectory(prefix="facility_layout_pbf_") as folder:
        yield _write_highways(pbf, Path(folder) / "roads.osm")


def _write_highways(pbf: Path, out: Path) -> Path:
    import osmium

    try:
        node_ids: set[int] = set()
        ways = 0
        for way in osmium.FileProcessor(str(pbf), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway")):
            node_ids.update(n.ref for n in way.nodes)
            ways += 1
        if ways == 0:
            raise InputError(KEY, pbf, "has no highway ways", "give an OSM extract with highway=* ways")
        with osmium.SimpleWriter(str(out)) as writer:
            for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY):
                if obj.is_node() and obj.id in node_ids:
                    writer.add_node(obj)
                elif obj.is_way() and "highway" in obj.tags:
                    writer.add_way(obj)
    except InputError:
        raise
    except Exception as exc:  # pyosmium raises RuntimeError and others for damaged files
        raise InputError(
            KEY, pbf, "is not a readable .osm.pbf file ({exc})", "give an OSM PBF extract", exc=exc
        ) from None
    return out
