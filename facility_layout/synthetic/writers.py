"""The region's files: GeoTIFF rasters, GeoJSON layers and OSM XML, with no timestamps (same data, same bytes)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import rasterio
import shapely

from facility_layout.synthetic.counties import Counties
from facility_layout.synthetic.geometry import Frame, Grid
from facility_layout.synthetic.places import Facilities, Places
from facility_layout.synthetic.roads import RoadNetwork


def write_raster(path: Path, grid: Grid, values: np.ndarray, nodata: float) -> None:
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


def _point(frame: Frame, x: float, y: float) -> dict:
    lon, lat = frame.lonlat(x, y)
    return {"coordinates": [round(float(lon), 7), round(float(lat), 7)], "type": "Point"}


def write_boundary(path: Path, frame: Frame, county: shapely.Polygon) -> None:
    polygon = {"coordinates": [frame.county_ring(county)], "type": "Polygon"}
    _geojson(path, "boundary", [({"name": "Synthetic mountain county"}, polygon)])


def write_settlements(path: Path, frame: Frame, places: Places) -> None:
    features = [
        ({"name": str(name), "place": str(place)}, _point(frame, x, y))
        for name, place, x, y in zip(places.name, places.place, places.x.tolist(), places.y.tolist(), strict=True)
    ]
    _geojson(path, "settlements", features)


def write_facilities(path: Path, frame: Frame, facilities: Facilities) -> None:
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


def write_township_areas(path: Path, frame: Frame, places: Places, counties: Counties) -> None:
    """Administrative townships (``name``, ``seat``, ``county``): the land nearest each township seat.

    They give the comparison report areas to tabulate; ``county`` is the ``name`` in ``counties.geojson``.
    """
    features = [
        (
            {
                "county": counties.name[county],
                "name": f"{places.name[town]} township",
                "seat": str(places.name[town]),
            },
            _lonlat_geometry(frame, area),
        )
        for town, area, county in zip(counties.town.tolist(), counties.area, counties.county.tolist(), strict=True)
    ]
    _geojson(path, "admin_areas", features)


def write_counties(path: Path, frame: Frame, counties: Counties) -> None:
    """Counties (``name``, ``code``, ``townships``): each the union of its townships' areas."""
    features = [
        (
            {"code": code, "name": name, "townships": int(np.sum(counties.county == k))},
            _lonlat_geometry(frame, geometry),
        )
        for k, (name, code, geometry) in enumerate(zip(counties.name, counties.code, counties.geometry, strict=True))
    ]
    _geojson(path, "counties", features)


def _lonlat_geometry(frame: Frame, geometry: shapely.Geometry) -> dict:
    lonlat = shapely.transform(geometry, lambda xy: np.column_stack(frame.lonlat(xy[:, 0], xy[:, 1])))
    return _rounded(shapely.geometry.mapping(lonlat))


def _rounded(geometry: dict) -> dict:
    """A GeoJSON geometry with coordinates rounded as elsewhere in the generated files (1e-7°, about 1 cm)."""

    def walk(node: object) -> object:
        if isinstance(node, float):
            return round(node, 7)
        return [walk(item) for item in node] if isinstance(node, list | tuple) else node

    return {"coordinates": walk(geometry["coordinates"]), "type": geometry["type"]}


def write_osm(path: Path, frame: Frame, roads: RoadNetwork) -> None:
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
