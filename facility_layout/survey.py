"""What a folder of a planner's own files holds: headers and a sample of rows, never whole files.

``facility-layout init`` guesses a scenario from this survey: CSV and Excel sheets (header row and the first
rows), vector files (fields, geometry type, CRS, attribute-table encoding), rasters (data type, CRS) and OSM
extracts. A Shapefile whose ``.dbf`` has no ``.cpg`` is checked for GBK text, as Chinese offices' files are.
"""

from __future__ import annotations

import csv
import struct
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_ROWS = 200
TABLE_SUFFIXES = {".csv", ".xlsx", ".xlsm"}
VECTOR_SUFFIXES = {".shp", ".gpkg", ".geojson", ".kml", ".fgb"}
RASTER_SUFFIXES = {".tif", ".tiff", ".img", ".vrt", ".hgt"}
OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf")
# Text encodings tried for a CSV, in order: Excel on Chinese Windows saves CSV as GBK.
CSV_ENCODINGS = ("utf-8-sig", "gbk", "latin-1")


@dataclass(frozen=True)
class Found:
    """One file (or one Excel sheet) of the folder, as far as its header tells.

    Attributes
    ----------
    path : Path
        The file.
    kind : str
        ``table`` (CSV/XLSX), ``vector``, ``raster`` or ``osm``.
    sheet : str or None
        The Excel sheet.
    columns : list of str
        Column or attribute names.
    rows : list of dict
        Up to :data:`SAMPLE_ROWS` rows, column → value.
    geometry_type : str or None
        For vector files, e.g. ``Polygon``.
    encoding : str or None
        A text encoding other than UTF-8 the file needs (``gbk``), for CSV and Shapefile tables.
    crs : str or None
        Declared CRS of vector and raster files.
    dtype : str or None
        Raster data type.
    """

    path: Path
    kind: str
    sheet: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    geometry_type: str | None = None
    encoding: str | None = None
    crs: str | None = None
    dtype: str | None = None


def survey(folder: Path) -> tuple[list[Found], list[tuple[Path, str]]]:
    """Everything readable in ``folder`` (and its subfolders), and the files that could not be read (with why)."""
    found: list[Found] = []
    unreadable: list[tuple[Path, str]] = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        if any((folder / parent / "summary.json").is_file() for parent in relative.parents):
            continue  # the outputs of an earlier run, not inputs
        name = path.name.lower()
        suffix = path.suffix.lower()
        try:
            if name.endswith(OSM_SUFFIXES):
                found.append(Found(path, "osm"))
            elif suffix in TABLE_SUFFIXES:
                found.extend(_csv(path) if suffix == ".csv" else _xlsx(path))
            elif suffix in VECTOR_SUFFIXES:
                found.append(_vector(path))
            elif suffix in RASTER_SUFFIXES:
                found.append(_raster(path))
        except Exception as exc:  # a file we cannot read is reported, never fatal: the rest may do
            unreadable.append((path, f"{exc.__class__.__name__}: {exc}"))
    return found, unreadable


def _csv(path: Path) -> list[Found]:
    raw = path.read_bytes()[: 1 << 20]  # the header and first rows are in the first megabyte
    cut = path.stat().st_size > len(raw)
    encoding = next(e for e in CSV_ENCODINGS if _decode(raw, e, cut) is not None)  # latin-1 decodes anything
    text = _decode(raw, encoding, cut) or ""
    lines = text.splitlines()[: SAMPLE_ROWS + 1]
    reader = csv.DictReader(lines)
    rows = [dict(r) for r in reader]
    columns = [c.strip() for c in reader.fieldnames or []]
    rows = [{k.strip(): v for k, v in r.items() if k is not None} for r in rows]
    return [Found(path, "table", columns=columns, rows=rows, encoding=None if encoding == "utf-8-sig" else encoding)]


def _xlsx(path: Path) -> list[Found]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = []
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = next((r for r in rows if any(v not in (None, "") for v in r)), None)
            if header is None:
                continue
            columns = [str(v).strip() if v is not None else "" for v in header]
            sample = []
            for row in rows:
                if len(sample) >= SAMPLE_ROWS:
                    break
                if any(v not in (None, "") for v in row):
                    sample.append({c: v for c, v in zip(columns, row, strict=False) if c})
            sheets.append(Found(path, "table", sheet=sheet.title, columns=[c for c in columns if c], rows=sample))
        return sheets
    finally:
        book.close()


def _vector(path: Path) -> Found:
    import pyogrio

    encoding = _dbf_encoding(path) if path.suffix.lower() == ".shp" else None
    info = pyogrio.read_info(path, encoding=encoding)
    sample = pyogrio.read_dataframe(path, max_features=SAMPLE_ROWS, read_geometry=False, encoding=encoding)
    return Found(
        path,
        "vector",
        columns=[str(c) for c in info["fields"]],
        rows=sample.to_dict("records"),
        geometry_type=info["geometry_type"],
        encoding=encoding,
        crs=info["crs"],
    )


def _dbf_encoding(shp: Path) -> str | None:
    """``gbk`` when a Shapefile's attribute table has no ``.cpg`` and its text is GBK, not UTF-8; else None."""
    dbf = next((p for p in (shp.with_suffix(".dbf"), shp.with_suffix(".DBF")) if p.is_file()), None)
    if dbf is None or any(shp.with_suffix(s).is_file() for s in (".cpg", ".CPG")):
        return None
    data = dbf.read_bytes()[: 1 << 20]
    if len(data) < 32:
        return None
    header_length = struct.unpack("<H", data[8:10])[0]
    names = data[32 : max(32, header_length - 1)]  # field descriptors: names are text too
    text = bytes(b for i, b in enumerate(names) if i % 32 < 11) + data[header_length:]
    cut = dbf.stat().st_size > len(data)
    return "gbk" if _decode(text, "utf-8", cut) is None and _decode(text, "gbk", cut) is not None else None


def _decode(data: bytes, encoding: str, cut: bool) -> str | None:
    """``data`` as text, or None if it is not in ``encoding``; a character ``cut`` at the sample's end is fine."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if not cut or exc.start < len(data) - 4:
            return None
        return data[: exc.start].decode(encoding, errors="replace")


def _raster(path: Path) -> Found:
    import rasterio

    with rasterio.open(path) as src:
        return Found(path, "raster", crs=src.crs.to_string() if src.crs else None, dtype=src.dtypes[0])
