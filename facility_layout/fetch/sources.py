"""The public sources ``fetch`` reads, in their real wire formats.

- **Nominatim** (OpenStreetMap's geocoder): ``/search?q=…&format=json&polygon_geojson=1`` → a JSON list of
  places, each with its outline as GeoJSON.
- **Overpass** (OpenStreetMap): an Overpass QL query POSTed as the form field ``data``; ``[out:json]`` answers
  ``{"elements": [{"type": "node", "id", "lat", "lon", "tags"}, {"type": "way", "id", "nodes", "tags"}]}``.
- **WorldPop** REST API: ``/rest/data/pop/wpgp?iso3=XXX`` → ``{"data": [{"popyear", "files": [url], …}]}``,
  one entry per year of the unconstrained 100 m population counts; ``files`` are country GeoTIFFs.
- **SRTM elevation** from the AWS Terrain Tiles "skadi" layout: ``{base}/N25/N25E103.hgt.gz``, one gzipped
  1°×1° HGT tile per name (big-endian int16, 3601² samples at 1″ or 1201² at 3″, -32768 = void, first row
  north, samples on the whole-degree edges).
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from affine import Affine
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from facility_layout.fetch.http import Downloader, Endpoint, FetchError

OVERPASS = Endpoint(
    "Overpass (OpenStreetMap)",
    "https://overpass-api.de/api/interpreter",
    "--overpass-url",
    "FACILITY_LAYOUT_OVERPASS_URL",
)
NOMINATIM = Endpoint(
    "Nominatim (OpenStreetMap geocoder)",
    "https://nominatim.openstreetmap.org/search",
    "--nominatim-url",
    "FACILITY_LAYOUT_NOMINATIM_URL",
)
WORLDPOP = Endpoint(
    "WorldPop", "https://hub.worldpop.org/rest/data/pop/wpgp", "--worldpop-url", "FACILITY_LAYOUT_WORLDPOP_URL"
)
DEM = Endpoint(
    "SRTM tiles (AWS Terrain Tiles)",
    "https://elevation-tiles-prod.s3.amazonaws.com/skadi",
    "--dem-url",
    "FACILITY_LAYOUT_DEM_URL",
)

HGT_VOID = -32768
# OSM places a village clinic could serve (`place=*` on nodes), as the settlements input expects them.
SETTLEMENT_PLACES = ("city", "town", "village", "hamlet", "isolated_dwelling")
# OSM health facilities: amenity=hospital|clinic|doctors and healthcare=* of the same kinds.
HEALTH_KINDS = ("hospital", "clinic", "doctors", "doctor", "health_post", "centre")


@dataclass(frozen=True)
class Place:
    """A geocoded place: its outline (WGS 84), the name the geocoder gave, and its ISO 3166-1 alpha-2 country."""

    outline: BaseGeometry
    name: str
    country_code: str | None


def geocode(downloader: Downloader, endpoint: Endpoint, query: str) -> Place:
    """The outline of the first place Nominatim finds for ``query``.

    Raises
    ------
    FetchError
        When nothing is found, or the place has no polygon (a point-only result such as a village node).
    """
    params = {"q": query, "format": "json", "polygon_geojson": "1", "addressdetails": "1", "limit": "1"}
    path = downloader.get(endpoint, endpoint.url, params=params)
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        path.unlink(missing_ok=True)  # a broken answer must not be cached
        raise FetchError(
            "{name} at {url} did not answer JSON ({exc}). Fix: check the URL",
            name=endpoint.name,
            url=endpoint.url,
            exc=exc,
        ) from None
    if not results:
        raise FetchError(
            "{name} found no place called {query!r}. Fix: add the province or country (e.g. '{query}, Yunnan, "
            "China'), or give --bbox W,S,E,N or --boundary FILE instead",
            name=endpoint.name,
            query=query,
        )
    first = results[0]
    outline = shape(first.get("geojson") or {"type": "Point", "coordinates": [first["lon"], first["lat"]]})
    if outline.geom_type not in ("Polygon", "MultiPolygon"):
        raise FetchError(
            "{name} knows {get!r} only as a point, not an area. Fix: ask for the county or district that holds it, "
            "or give --bbox W,S,E,N or --boundary FILE",
            name=endpoint.name,
            get=first.get("display_name", query),
        )
    return Place(outline, first.get("display_name", query), (first.get("address") or {}).get("country_code"))


def overpass_query(bbox: tuple[float, float, float, float], timeout_s: int = 600) -> str:
    """Overpass QL for roads (with their nodes), settlements and health facilities in ``bbox`` (W, S, E, N)."""
    west, south, east, north = bbox
    box = f"({south:.6f},{west:.6f},{north:.6f},{east:.6f})"
    places = "|".join(SETTLEMENT_PLACES)
    kinds = "|".join(HEALTH_KINDS)
    return (
        f"[out:json][timeout:{timeout_s}];\n"
        f'(\n  way[highway]{box};\n  node[place~"^({places})$"]{box};\n'
        f'  nw[amenity~"^({kinds})$"]{box};\n  nw[healthcare~"^({kinds})$"]{box};\n);\n'
        "(._;>;);\nout body;\n"
    )


def read_overpass(path: Path, endpoint: Endpoint) -> list[dict]:
    """The ``elements`` of an Overpass JSON answer; a broken or failed answer is removed from the cache."""
    try:
        answer = json.loads(path.read_text(encoding="utf-8"))
        elements = answer["elements"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        path.unlink(missing_ok=True)
        raise FetchError(
            "{name} at {url} did not answer Overpass JSON ({exc}). Fix: check the URL points at an Overpass API "
            "interpreter (…/api/interpreter); set it with {option} or {env}",
            name=endpoint.name,
            url=endpoint.url,
            exc=exc,
            option=endpoint.option,
            env=endpoint.env,
        ) from None
    remark = answer.get("remark", "")
    if "error" in remark.lower():  # Overpass reports a timeout or memory limit in `remark`, with HTTP 200
        path.unlink(missing_ok=True)
        raise FetchError(
            "{name} stopped the query: {remark}. Fix: fetch a smaller area, or use another Overpass server ({option})",
            name=endpoint.name,
            remark=remark,
            option=endpoint.option,
        )
    return elements


@dataclass(frozen=True)
class PopulationFile:
    """One WorldPop population raster: its URL, the year it estimates and WorldPop's citation of it."""

    url: str
    year: int
    citation: str


def worldpop_file(downloader: Downloader, endpoint: Endpoint, iso3: str, year: int | None) -> PopulationFile:
    """The WorldPop country raster of ``year`` (the latest one when None).

    Raises
    ------
    FetchError
        For an unknown country code, or a year WorldPop does not have (naming the years it has).
    """
    path = downloader.get(endpoint, endpoint.url, params={"iso3": iso3.upper()})
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["data"]
        by_year = {int(e["popyear"]): e for e in entries if e.get("files")}
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        path.unlink(missing_ok=True)
        raise FetchError(
            "{name} at {url} did not answer its REST JSON ({exc})", name=endpoint.name, url=endpoint.url, exc=exc
        ) from None
    if not by_year:
        raise FetchError(
            "{name} has no population raster for country {upper!r}. Fix: give the ISO 3166-1 alpha-3 code with "
            "--country (e.g. CHN, KEN, COM)",
            name=endpoint.name,
            upper=iso3.upper(),
        )
    chosen = max(by_year) if year is None else year
    if chosen not in by_year:
        raise FetchError(
            "{name} has no {upper} population raster for {year} (years: {min}–{max}). Fix: pick one of those with "
            "--year",
            name=endpoint.name,
            upper=iso3.upper(),
            year=year,
            min=min(by_year),
            max=max(by_year),
        )
    entry = by_year[chosen]
    return PopulationFile(entry["files"][0], chosen, entry.get("citation") or entry.get("title", ""))


def dem_tile_names(bbox: tuple[float, float, float, float]) -> list[str]:
    """Skadi paths (``N25/N25E103.hgt.gz``) of every 1°×1° tile that ``bbox`` (W, S, E, N) touches."""
    west, south, east, north = bbox
    names = []
    for lat in range(math.floor(south), math.floor(north) + 1):
        for lon in range(math.floor(west), math.floor(east) + 1):
            ns = f"{'N' if lat >= 0 else 'S'}{abs(lat):02d}"
            names.append(f"{ns}/{ns}{'E' if lon >= 0 else 'W'}{abs(lon):03d}.hgt.gz")
    return names


def read_hgt_tile(path: Path, name: str) -> tuple[np.ndarray, Affine]:
    """Elevations (int16, void = :data:`HGT_VOID`) and pixel-corner transform of a gzipped HGT tile.

    The tile's south-west corner comes from its name; its resolution from its size, as HGT has no header.
    """
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:
        path.unlink(missing_ok=True)
        raise FetchError(
            "DEM tile {name} is not a gzipped HGT file ({exc}). Fix: check the --dem-url mirror", name=name, exc=exc
        ) from None
    side = math.isqrt(len(raw) // 2)
    if side * side * 2 != len(raw) or side not in (1201, 3601):
        path.unlink(missing_ok=True)
        raise FetchError(
            "DEM tile {name} has {n_raw} bytes, not 1201² or 3601² int16 samples", name=name, n_raw=len(raw)
        )
    stem = Path(name).name[:7]
    lat = int(stem[1:3]) * (1 if stem[0] == "N" else -1)
    lon = int(stem[4:7]) * (1 if stem[3] == "E" else -1)
    step = 1.0 / (side - 1)
    values = np.frombuffer(raw, dtype=">i2").reshape(side, side).astype(np.int16)
    # Samples sit on the degree lines, so pixel corners are half a step outside the tile's degree square.
    return values, Affine(step, 0.0, lon - step / 2, 0.0, -step, lat + 1 + step / 2)
