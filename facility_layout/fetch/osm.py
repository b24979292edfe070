"""OpenStreetMap elements (Overpass JSON) → the files the scenario reads: OSM XML roads, GeoJSON points.

Roads are kept whole when any of their nodes lies in the area (a road leaving the county still carries
people to its edge); settlements and health facilities are kept when they lie in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from facility_layout.fetch.sources import HEALTH_KINDS, SETTLEMENT_PLACES


def write_roads(elements: list[dict], area: BaseGeometry, path: Path) -> int:
    """Write the highway ways touching ``area`` (WGS 84) and their nodes as OSM XML; returns the way count."""
    nodes = {e["id"]: e for e in elements if e["type"] == "node"}
    ids = np.fromiter(nodes, dtype=np.int64, count=len(nodes))
    lon = np.array([nodes[i]["lon"] for i in ids], dtype=float)
    lat = np.array([nodes[i]["lat"] for i in ids], dtype=float)
    shapely.prepare(area)  # one point-in-area test per node, not per way
    inside = set(ids[shapely.intersects_xy(area, lon, lat)].tolist()) if len(ids) else set()
    kept = []
    for way in (e for e in elements if e["type"] == "way" and "highway" in e.get("tags", {})):
        refs = [r for r in way.get("nodes", []) if r in nodes]
        if len(refs) >= 2 and any(r in inside for r in refs):
            kept.append((way, refs))
    used = sorted({r for _, refs in kept for r in refs})
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="facility-layout fetch">\n')
        for ref in used:
            node = nodes[ref]
            out.write(f'  <node id="{ref}" version="1" lat="{node["lat"]:.7f}" lon="{node["lon"]:.7f}"/>\n')
        for way, refs in kept:
            out.write(f'  <way id="{way["id"]}" version="1">\n')
            out.writelines(f'    <nd ref="{r}"/>\n' for r in refs)
            out.writelines(_tags(way.get("tags", {})))
            out.write("  </way>\n")
        out.write("</osm>\n")
    return len(kept)


def _tags(tags: dict[str, str]) -> Iterable[str]:
    for key, value in tags.items():
        yield f"    <tag k={quoteattr(str(key))} v={quoteattr(str(value))}/>\n"


def settlements(elements: list[dict], area: BaseGeometry) -> gpd.GeoDataFrame:
    """Place nodes (city … isolated_dwelling) in ``area``: ``osm_id``, ``name``, ``place``, point geometry."""
    rows = [
        {
            "osm_id": f"n{e['id']}",
            "name": e["tags"].get("name"),
            "place": e["tags"]["place"],
            "xy": (e["lon"], e["lat"]),
        }
        for e in elements
        if e["type"] == "node" and e.get("tags", {}).get("place") in SETTLEMENT_PLACES
    ]
    return _points(rows, area, ["osm_id", "name", "place"])


def health_facilities(elements: list[dict], area: BaseGeometry) -> gpd.GeoDataFrame:
    """Hospitals, clinics, doctors and health posts in ``area``: ``osm_id``, ``name``, ``kind``, point geometry.

    ``kind`` is the ``healthcare=*`` value where tagged, else ``amenity=*`` (``doctors`` and ``doctor`` are one
    kind). A facility mapped as a building outline (a way) is placed at the mean of its nodes.
    """
    nodes = {e["id"]: e for e in elements if e["type"] == "node"}
    rows = []
    for e in elements:
        tags = e.get("tags", {})
        kind = next((tags[k] for k in ("healthcare", "amenity") if tags.get(k) in HEALTH_KINDS), None)
        if kind is None:
            continue
        if e["type"] == "node":
            xy = (e["lon"], e["lat"])
        else:
            outline = [nodes[r] for r in e.get("nodes", []) if r in nodes]
            if not outline:
                continue
            xy = (float(np.mean([n["lon"] for n in outline])), float(np.mean([n["lat"] for n in outline])))
        kind = "doctors" if kind == "doctor" else kind
        rows.append({"osm_id": f"{e['type'][0]}{e['id']}", "name": tags.get("name"), "kind": kind, "xy": xy})
    return _points(rows, area, ["osm_id", "name", "kind"])


def _points(rows: list[dict], area: BaseGeometry, columns: list[str]) -> gpd.GeoDataFrame:
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    xy = np.array([r["xy"] for r in rows], dtype=float)
    frame = gpd.GeoDataFrame(
        {c: [r[c] for r in rows] for c in columns}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:4326"
    )
    return frame[frame.intersects(area)].reset_index(drop=True)
