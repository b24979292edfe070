"""Vector files as offices hold them: Shapefile (GBK attribute tables), GeoPackage layers, GeoJSON.

A vector input is a path or a mapping ``{file, encoding, layer, filter}``. ``encoding`` is passed to GDAL
for a ``.dbf`` without ``.cpg`` (pyogrio's ``encoding=``); ``filter`` keeps the features whose attributes
equal the given values, so one county can be picked from a file of all the counties of a province.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from facility_layout.errors import InputError
from facility_layout.settings_base import VectorOptions

# Values listed in an error when a filter matches nothing; more would drown the message.
MAX_LISTED_VALUES = 30
# Text values per column checked for mis-decoded Chinese.
SAMPLED_VALUES = 50
GBK_AS_LATIN1 = re.compile("(?:[\\x00-\\x7f]|[\\xa1-\\xfe]{2})+")


def read_vector(path: Path, key: str, options: VectorOptions | None = None) -> gpd.GeoDataFrame:
    """Read a vector file with the scenario's options; refuse one without CRS or features.

    Parameters
    ----------
    path : Path
        The file.
    key : str
        The scenario key that named it, for errors.
    options : VectorOptions, optional
        ``encoding``, ``layer`` and ``filter``.

    Raises
    ------
    InputError
        Unreadable file, unknown layer or encoding, no CRS, no features, a filter that matches nothing.
    """
    encoding = options.encoding if options else None
    layer = options.layer if options else None
    if layer is not None:
        _check_layer(path, key, layer)
    try:
        frame = gpd.read_file(path, layer=layer, encoding=encoding, engine="pyogrio")
    except LookupError:
        raise InputError(
            f"{key.removesuffix('.file')}.encoding",
            path,
            "unknown text encoding {encoding!r}",
            "give e.g. gbk or utf-8",
            encoding=encoding,
        ) from None
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputError(
            key, path, "is not a readable vector file ({exc})", "give a Shapefile, GeoPackage or GeoJSON file", exc=exc
        ) from None
    if frame.crs is None:
        raise InputError(
            key, path, "has no coordinate reference system", "save it with a CRS (e.g. EPSG:4326), or add the .prj"
        )
    if frame.empty:
        raise InputError(key, path, "has no features", "give a file with features")
    _check_text(frame, path, key, encoding)
    check_lonlat(frame, path, key)
    if options and options.filter:
        frame = _filtered(frame, path, key, options.filter)
    return frame


def check_lonlat(frame: gpd.GeoDataFrame, path: Path, key: str) -> None:
    """A layer in degrees has coordinates that are longitudes and latitudes.

    A GeoJSON without a ``crs`` member is read as WGS 84 (RFC 7946), so a file saved in metres (a UTM or
    national grid) without declaring it comes in with "longitudes" in the hundreds of thousands.
    """
    if not frame.crs.is_geographic:
        return
    coords = shapely.get_coordinates(frame.geometry.dropna().to_numpy())
    if not len(coords):
        return
    finite = np.isfinite(coords).all(axis=1)
    wrong = ~finite | (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    if wrong.any():
        x, y = coords[np.argmax(wrong)]
        raise InputError(
            key,
            path,
            "its coordinates are not longitude/latitude (e.g. ({x:.6g}, {y:.6g})), yet the file declares "
            "{to_string} (a GeoJSON without a 'crs' member is read as WGS 84 lon/lat); they look like metres of a "
            "projected CRS",
            "declare the file's real CRS: re-save it from QGIS (Export > Save Features As, with the layer's CRS "
            "set to the one it was made in, e.g. the UTM zone EPSG:327xx), or convert it with "
            "'ogr2ogr -s_srs EPSG:<its CRS> -t_srs EPSG:4326 out.geojson in.geojson'; a GeoPackage keeps its CRS",
            x=x,
            y=y,
            to_string=frame.crs.to_string(),
        )


def _check_layer(path: Path, key: str, layer: str | int) -> None:
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise InputError(
            key, path, "is not a readable vector file ({exc})", "give a GeoPackage or Shapefile", exc=exc
        ) from None
    known = layer in layers if isinstance(layer, str) else 0 <= layer < len(layers)
    if not known:
        raise InputError(
            f"{key.removesuffix('.file')}.layer",
            path,
            "has no layer {layer!r} (layers: {layers})",
            "set layer to one of those names (or its 0-based index)",
            layer=layer,
            layers=", ".join(layers),
        )


def _check_text(frame: gpd.GeoDataFrame, path: Path, key: str, encoding: str | None) -> None:
    """Refuse Chinese text read as Latin-1: GDAL's guess for a ``.dbf`` that has no ``.cpg`` to say it is GBK."""
    if encoding is not None or path.suffix.lower() not in (".shp", ".dbf"):
        return
    texts = [str(c) for c in frame.columns.drop("geometry")]
    for column in frame.columns.drop("geometry"):
        if frame[column].dtype == object:
            texts += [str(v) for v in frame[column].dropna().head(SAMPLED_VALUES)]
    garbled = next((t for t in texts if _gbk_read_as_latin1(t)), None)
    if garbled is not None:
        raise InputError(
            f"{key.removesuffix('.file')}.encoding",
            path,
            "holds Chinese text decoded as Latin-1 (e.g. {garbled!r} is {as_gbk!r} in GBK)",
            "give the file as a mapping with its encoding: {{file: {name}, encoding: gbk}} (a Shapefile without "
            ".cpg does not say how its .dbf is encoded)",
            garbled=garbled,
            as_gbk=_gbk_read_as_latin1(garbled),
            name=path.name,
        )


def _gbk_read_as_latin1(text: str) -> str | None:
    """The GBK reading of ``text`` if it is Chinese GBK bytes shown as Latin-1, else None."""
    # GB2312's characters are two bytes of 0xA1-0xFE each; accented Latin letters are lone bytes.
    if text.isascii() or not GBK_AS_LATIN1.fullmatch(text):
        return None
    try:
        decoded = text.encode("latin-1").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    return decoded if re.search("[\u4e00-\u9fff]", decoded) else None


def _filtered(frame: gpd.GeoDataFrame, path: Path, key: str, wanted: dict[str, object]) -> gpd.GeoDataFrame:
    keep = pd.Series(True, index=frame.index)
    filter_key = f"{key.removesuffix('.file')}.filter"
    for field, value in wanted.items():
        if field not in frame.columns:
            attributes = ", ".join(map(str, frame.columns.drop("geometry")))
            raise InputError(
                filter_key,
                path,
                "has no attribute {field!r} (attributes: {attributes})",
                "filter on one of those",
                field=field,
                attributes=attributes,
            )
        keep &= frame[field].map(_text) == _text(value)
    if not keep.any():
        field, value = next(iter(wanted.items()))
        available = sorted({_text(v) for v in frame[field].dropna()})
        shown = ", ".join(available[:MAX_LISTED_VALUES]) + (" …" if len(available) > MAX_LISTED_VALUES else "")
        raise InputError(
            filter_key,
            path,
            "no feature has {value} (values of {field!r}: {shown})",
            "use one of those values",
            value=", ".join(f"{f} = {v!r}" for f, v in wanted.items()),
            field=field,
            shown=shown,
        )
    return frame[keep].reset_index(drop=True)


def _text(value: object) -> str:
    """Compare as text, so YAML ``1`` matches 1, 1.0 and "1" in the attribute table."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def companion_files(path: Path) -> list[Path]:
    """The file and, for a Shapefile, the siblings that hold its attributes, index, CRS and encoding.

    For cache keys: a road grade changed in the ``.dbf`` must change the travel times.
    """
    if path.suffix.lower() != ".shp":
        return [path]
    return [path, *(p for p in (path.with_suffix(s) for s in (".dbf", ".shx", ".prj", ".cpg")) if p.is_file())]
