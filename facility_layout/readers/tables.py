"""Tables as offices keep them: CSV (UTF-8 with or without BOM, else GBK; comma, semicolon or tab) and XLSX.

Rows keep their spreadsheet row numbers (the header is row 1), so every error names the row a planner
opens in Excel to fix it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from facility_layout.errors import InputError, Joined, Message, as_message

TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
# Tried in this order when a CSV file declares nothing: Excel's "CSV UTF-8" (BOM), plain UTF-8, then the
# GBK superset that Chinese Windows writes by default.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# Rows listed in one error message; the rest are counted.
MAX_LISTED_ROWS = 10
THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def is_table(path: Path) -> bool:
    """True for a file read as a table (CSV, XLSX), not as a vector file."""
    return path.suffix.lower() in TABLE_SUFFIXES


@dataclass(frozen=True)
class Table:
    """The rows of one sheet or CSV file.

    Attributes
    ----------
    rows : pandas.DataFrame
        One column per header, values as read (text, numbers, or None for empty cells); the index is the
        spreadsheet row number (header = row 1).
    path : Path
    key : str
        The scenario key that named the file (e.g. ``inputs.facilities``), for errors.
    """

    rows: pd.DataFrame
    path: Path
    key: str

    def column(self, field: str, setting: str) -> pd.Series:
        """The column named by the scenario setting ``setting`` (e.g. ``lon_field``); an error lists the others."""
        if field not in self.rows.columns:
            raise InputError(
                f"{self.key}.{setting}",
                self.path,
                "has no column {field!r} (columns: {columns})",
                "set {key}.{setting} to one of those",
                field=field,
                columns=", ".join(map(str, self.rows.columns)),
                key=self.key,
                setting=setting,
            )
        return self.rows[field]

    def numbers(self, field: str, setting: str, *, required: bool = True) -> np.ndarray:
        """The column as floats; text that is not a number is an error naming its rows and values.

        Empty cells are NaN, or an error when ``required``.
        """
        values = self.column(field, setting)
        parsed = values.map(_number)
        empty = values.map(_is_empty)
        bad = parsed.isna() & ~empty
        if bad.any():
            raise InputError(
                f"{self.key}.{setting}",
                self.path,
                "column {field!r} holds text that is not a number: {rows}",
                "correct those cells (digits only, e.g. 1234 or 116.39)",
                field=field,
                rows=_rows(values[bad]),
            )
        if required and empty.any():
            raise InputError(
                f"{self.key}.{setting}",
                self.path,
                "column {field!r} is empty in {rows}",
                "fill those cells or delete those rows",
                field=field,
                rows=_rows(values[empty], show_values=False),
            )
        return parsed.to_numpy(dtype=float)

    def text(self, field: str, setting: str) -> pd.Series:
        """The column as stripped text ('' for empty cells; 12.0 read from Excel as '12')."""
        return self.column(field, setting).map(lambda v: "" if _is_empty(v) else _plain(v))

    def fail(
        self, setting: str, problem: str | Message, rows: pd.Series, fix: str | Message, /, **values: object
    ) -> InputError:
        """An error about some rows (``rows``: values indexed by row number); ``problem`` and ``fix`` are message
        ids with ``values``."""
        problem_words = Message("{problem}: {rows}", problem=as_message(problem, **values), rows=_rows(rows))
        return InputError(f"{self.key}.{setting}", self.path, problem_words, fix, **values)


def read_table(path: Path, key: str, sheet: str | int | None = None, encoding: str | None = None) -> Table:
    """Read a CSV or XLSX file with a header row.

    Parameters
    ----------
    path : Path
    key : str
        The scenario key that names the file (its settings are ``key.sheet``, ``key.lon_field``, …).
    sheet : str or int, optional
        XLSX sheet name or 0-based index; the first sheet when omitted.
    encoding : str, optional
        CSV encoding; by default UTF-8 (with or without BOM), else GBK.

    Raises
    ------
    InputError
        Unreadable file, unknown sheet, no header or no data rows.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        cells = _xlsx_rows(path, key, sheet)
    else:
        cells = _csv_rows(path, key, encoding)
    numbered = [(i + 1, row) for i, row in enumerate(cells) if any(not _is_empty(v) for v in row)]
    where = Message("sheet {sheet!r}", sheet=sheet) if sheet is not None else Message("the file")
    if not numbered:
        raise InputError(key, path, "{where} is empty", "give the sheet that holds the table (`sheet:`)", where=where)
    (header_row, header), body = numbered[0], numbered[1:]
    names = [_plain(v) if not _is_empty(v) else f"column {i + 1}" for i, v in enumerate(header)]
    if not body:
        raise InputError(
            key,
            path,
            "{where} has a header (row {header_row}) but no data rows",
            "add the rows below the header",
            where=where,
            header_row=header_row,
        )
    width = len(names)
    data = [list(row[:width]) + [None] * (width - len(row)) for _, row in body]
    frame = pd.DataFrame(data, columns=names, index=pd.Index([n for n, _ in body], name="row"), dtype=object)
    return Table(rows=frame, path=path, key=key)


def _xlsx_rows(path: Path, key: str, sheet: str | int | None) -> list[tuple]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(
            key, path, "is not a readable XLSX file ({exc})", "save it from Excel as .xlsx", exc=exc
        ) from None
    try:
        names = book.sheetnames
        if sheet is None:
            chosen = names[0]
        elif isinstance(sheet, int) and 0 <= sheet < len(names):
            chosen = names[sheet]
        elif isinstance(sheet, str) and sheet in names:
            chosen = sheet
        else:
            raise InputError(
                f"{key}.sheet",
                path,
                "has no sheet {sheet!r} (sheets: {names})",
                "set sheet to one of those",
                sheet=sheet,
                names=", ".join(names),
            )
        return list(book[chosen].iter_rows(values_only=True))
    finally:
        book.close()


def _csv_rows(path: Path, key: str, encoding: str | None) -> list[list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(
            key, path, "cannot be read ({strerror})", "check the file and its permissions", strerror=exc.strerror
        ) from None
    text = None
    for candidate in (encoding,) if encoding else CSV_ENCODINGS:
        try:
            text = raw.decode(candidate)
            break
        except UnicodeDecodeError:
            continue
        except LookupError:
            raise InputError(
                f"{key}.encoding", path, "unknown encoding {encoding!r}", "give e.g. gbk or utf-8", encoding=encoding
            ) from None
    if text is None:
        tried = encoding or " and ".join(CSV_ENCODINGS)
        raise InputError(
            key, path, "is not text in {tried}", "save it as CSV UTF-8, or give its `encoding`", tried=tried
        )
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _is_empty(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: object) -> float:
    """A cell as a float: numbers as they are, text with digits (a decimal comma accepted), else NaN."""
    if isinstance(value, bool) or _is_empty(value):
        return np.nan
    if isinstance(value, int | float):
        return float(value) if np.isfinite(value) else np.nan
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if THOUSANDS.fullmatch(text):  # 12,345 as statistical yearbooks print it
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return np.nan
    return number if np.isfinite(number) else np.nan


def _rows(values: pd.Series, show_values: bool = True) -> Joined | Message:
    """'row 5 ('abc'), row 9 ('—') and 3 more' from values indexed by row number."""
    listed = Joined(
        Message("row {row} ({value!r})", row=row, value=value) if show_values else Message("row {row}", row=row)
        for row, value in values.head(MAX_LISTED_ROWS).items()
    )
    more = len(values) - MAX_LISTED_ROWS
    return Message("{rows} and {count} more", rows=listed, count=more) if more > 0 else listed
