"""English words left in text meant for a Chinese reader, literals aside: what the planner typed or must type
(scenario keys, options, file names, values, codes) and the names of formats, services and standards stay as
they are in every language."""

from __future__ import annotations

import re

# Names that are the same in Chinese text: file formats, services, standards, units, codecs and solvers.
PROPER_NAMES = frozenset(
    [
        "YAML",
        "CRS",
        "UTF",
        "GBK",
        "QGIS",
        "GeoTIFF",
        "GeoJSON",
        "GeoPackage",
        "Shapefile",
        "WorldPop",
        "OSM",
        "OpenStreetMap",
        "HTTP",
        "HiGHS",
        "CBC",
        "PuLP",
        "DEM",
        "HGT",
        "CSV",
        "XLSX",
        "Excel",
        "JSON",
        "REST",
        "API",
        "UTM",
        "WGS",
        "Overpass",
        "Dask",
        "GPS",
        "Nominatim",
        "SRTM",
        "PBF",
        "XML",
        "ISO",
        "EPSG",
        "GiB",
        "KB",
        "Windows",
        "Latin",
        "GUESS",
        "TODO",
        "FILE",
        "CHN",
        "KEN",
        "COM",
        "gbk",
        "highs",
        "cbc",
        "pulp",
        "gzip",
        "km",
        "min",
    ]
)
# A token with one of these is a literal: a key (inputs.population), an option (--lang), a file (demo.yaml),
# a value (W,S,E,N), a code (EPSG:4326, utf-8), a number.
_LITERAL = re.compile(r"[._/=\-*:<>,0-9@#]")


def english_words(text: str, allowed: frozenset[str] | set[str] = frozenset()) -> set[str]:
    """Words of two or more Latin letters in ``text`` that are neither literals nor names nor ``allowed``
    (``{placeholders}``, `backticked` and quoted text are literals)."""
    text = re.sub(r"\{\{.*?\}\}|\{[^{}]*\}|`[^`]*`|\"[!-~ ]*?\"|'[!-~ ]*?'", " ", text)
    words = set()
    for token in re.findall(r"[!-~]+", text):
        token = token.strip("()[]<>,;:!?\"'").rstrip(".")
        if not _LITERAL.search(token) and len(token) > 1 and token not in PROPER_NAMES | set(allowed):
            words.add(token)
    return words
