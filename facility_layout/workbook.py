"""``layout.xlsx``: the layout as an Excel workbook, typed, in the planner's language.

Sheets: the headline (today → proposed, with the change), the facilities with their decisions and reasons,
the demand cells, per-township figures (when the scenario gives ``region.admin_areas``) and the referral
links. Numbers are numbers (people as whole numbers, minutes as decimals, shares as percentages), headers are
frozen and filterable, and every text cell is stored as text: a name starting with ``=`` is shown, never run
as a formula.
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from facility_layout.comparison import OUTSIDE_AREAS, Layout, admin_area_figures
from facility_layout.evaluate import LayoutTables
from facility_layout.i18n import Translator, localised_table
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.scenario import Scenario

# Fields counted in people: written as whole numbers.
PEOPLE_FIELDS = ("population", "population_served", "people", "within_clinic_standard")
SHARE_FIELDS = ("within_clinic_standard_share",)
MAX_COLUMN_WIDTH = 60
HEADER_FILL = PatternFill("solid", fgColor="DDE5EE")


def headline_rows(summary: dict[str, Any], _: Translator) -> list[tuple[str, Any, Any, str]]:
    """The headline figures as (label, today, proposed, kind), kind ``people`` | ``share`` | ``minutes`` |
    ``count`` | ``cost``; today is None when the run has no baseline."""
    today = summary.get("today") or {}
    total = summary["population_total"]
    standards = summary["standards"]
    rows: list[tuple[str, Any, Any, str]] = [(_("Total people"), total, total, "people")]
    for tier, key, people, share, stats in (
        (
            VILLAGE_CLINIC,
            "village_clinic_max_minutes",
            "People within {minutes} of a village clinic",
            "Share within {minutes} of a village clinic",
            {
                "mean": "Mean minutes to a village clinic",
                "p95": "95th percentile minutes to a village clinic",
                "max": "Longest minutes to a village clinic",
            },
        ),
        (
            TOWNSHIP_CENTRE,
            "township_centre_max_minutes",
            "People within {minutes} of a township health centre",
            "Share within {minutes} of a township health centre",
            {
                "mean": "Mean minutes to a township health centre",
                "p95": "95th percentile minutes to a township health centre",
                "max": "Longest minutes to a township health centre",
            },
        ),
    ):
        minutes = _.minutes(standards[key])
        before = (today.get("population_covered") or {}).get(tier)
        after = summary["population_covered"][tier]
        rows.append((_(people, minutes=minutes), before, after, "people"))
        rows.append(
            (
                _(share, minutes=minutes),
                None if before is None else before / total if total else math.nan,
                after / total if total else math.nan,
                "share",
            )
        )
        for stat, label in stats.items():
            before = ((today.get("travel_minutes") or {}).get(tier) or {}).get(stat)
            rows.append((_(label), before, summary["travel_minutes"][tier][stat], "minutes"))
    for tier, decision, label in (
        (VILLAGE_CLINIC, "keep", "Village clinics kept"),
        (VILLAGE_CLINIC, "close", "Village clinics closed"),
        (VILLAGE_CLINIC, "build", "Village clinics built"),
        (TOWNSHIP_CENTRE, "keep", "Township health centres kept"),
        (TOWNSHIP_CENTRE, "upgrade", "Township health centres upgraded"),
    ):
        before = ((today.get("facilities") or {}).get(tier) or {}).get(decision)
        rows.append((_(label), before, summary["facilities"][tier][decision], "count"))
    rows.append(
        (
            _("People no possible site can serve within the standard"),
            today.get("population_uncoverable"),
            summary["population_uncoverable"],
            "people",
        )
    )
    rows.append(
        (
            _("Clinics without a referral township health centre"),
            len(today["referral_violations"]) if "referral_violations" in today else None,
            len(summary["referral_violations"]),
            "count",
        )
    )
    rows.append((_("Cost"), today.get("cost"), summary["cost"], "cost"))
    return rows


def write_workbook(
    path: Path, tables: LayoutTables, summary: dict[str, Any], scenario: Scenario, _: Translator
) -> Path:
    """Write ``layout.xlsx`` to ``path``.

    Parameters
    ----------
    path : Path
        The workbook's file.
    tables : LayoutTables
        The layout; ``demand`` with today's minutes when the run has a baseline.
    summary : dict
        summary.json's figures (``today`` beside the proposal when present).
    scenario : Scenario
        For ``region.admin_areas``.
    _ : Translator
        The language of headers, sheet names and coded values.
    """
    # Write-only: rows are streamed to the file instead of kept as cell objects (a prefecture's demand sheet
    # has a million cells); each sheet's layout is therefore set before its rows.
    book = Workbook(write_only=True)
    _headline_sheet(book.create_sheet(_("Headline")), summary, _)
    _table_sheet(book.create_sheet(_("Facilities")), _points_table(tables.facilities), _)
    _table_sheet(book.create_sheet(_("Demand cells")), _points_table(tables.demand), _)
    areas = township_figures(tables, summary, scenario, _)
    if areas is not None:
        _table_sheet(book.create_sheet(_("Townships")), areas, _)
    _table_sheet(book.create_sheet(_("Referrals")), referral_table(tables), _)
    book.save(path)
    return path


def township_figures(
    tables: LayoutTables, summary: dict[str, Any], scenario: Scenario, _: Translator
) -> pd.DataFrame | None:
    """Per township (admin area): people, people within the clinic standard and mean minutes, today and
    proposed; None without ``region.admin_areas``. The same figures as the comparison report's."""
    if scenario.region.admin_areas is None:
        return None
    layouts = [Layout(_("Proposed"), scenario, summary, tables.demand, tables.facilities, tables.boundary)]
    if "clinic_minutes_today" in tables.demand.columns:
        today = tables.demand.assign(clinic_minutes=tables.demand["clinic_minutes_today"])
        layouts.insert(0, Layout(_("Today"), scenario, summary, today, tables.facilities, tables.boundary))
    figures = admin_area_figures(layouts)
    figures["area"] = figures["area"].replace(OUTSIDE_AREAS, _("(outside every township)"))
    return figures


def referral_table(tables: LayoutTables) -> pd.DataFrame:
    """Each open clinic's referral link: clinic id and name, township centre id and name, minutes."""
    names = dict(zip(tables.facilities["site_id"].astype(str), tables.facilities["name"], strict=True))
    links = pd.DataFrame(tables.referrals.drop(columns="geometry"))
    return pd.DataFrame(
        {
            "site_id": links["site_id"].astype(str),
            "clinic_name": links["site_id"].astype(str).map(names),
            "centre_id": links["centre_id"].astype(str),
            "centre_name": links["centre_id"].astype(str).map(names),
            "minutes": links["minutes"].astype(float),
        }
    )


def _points_table(frame) -> pd.DataFrame:
    return pd.DataFrame(frame.drop(columns="geometry")).assign(x=frame.geometry.x, y=frame.geometry.y)


def _headline_sheet(sheet: WriteOnlyWorksheet, summary: dict[str, Any], _: Translator) -> None:
    formats = {"people": "#,##0", "share": "0.0%", "minutes": "0.0", "count": "0", "cost": "#,##0.##"}
    rows = []
    for label, today, proposed, kind in headline_rows(summary, _):
        values = [_typed(v, kind) for v in (today, proposed)]
        change = None if values[0] is None or values[1] is None else values[1] - values[0]
        rows.append([label, *values, change, formats[kind]])
    header = [_("Figure"), _("Today"), _("Proposed"), _("Change")]
    _start(sheet, header, [[row[k] for row in rows] for k in range(len(header))], len(rows))
    for *values, number_format in rows:
        sheet.append([_text_cell(sheet, values[0]), *(_cell(sheet, v, number_format) for v in values[1:])])


def _typed(value: Any, kind: str) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if kind in ("people", "count"):
        return round(value)
    return float(value)


def _table_sheet(sheet: WriteOnlyWorksheet, frame: pd.DataFrame, _: Translator) -> None:
    shown = localised_table(frame, _)
    columns = []
    for field, column in zip(frame.columns, shown.columns, strict=True):
        kind = frame[field].dtype
        values = [_cell_value(v, field, kind, _) for v in shown[column].to_numpy(dtype=object)]
        number_format = "0.0%" if field in SHARE_FIELDS else "#,##0" if field in PEOPLE_FIELDS else None
        columns.append((values, number_format))
    _start(sheet, list(shown.columns), [values for values, _format in columns], len(shown))
    for row in zip(*(values for values, _format in columns), strict=True):
        sheet.append(
            [
                _text_cell(sheet, value) if isinstance(value, str) else _cell(sheet, value, number_format)
                for value, (_values, number_format) in zip(row, columns, strict=True)
            ]
        )


def _cell(sheet: WriteOnlyWorksheet, value: Any, number_format: str | None) -> Any:
    if number_format is None or value is None:
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.number_format = number_format
    return cell


def _text_cell(sheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    # openpyxl takes a string starting with "=" for a formula; stored as text it is shown, never evaluated.
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    return cell


def _cell_value(value: Any, field: str, kind: np.dtype, _: Translator) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return _("yes") if value else _("no")
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round(float(value)) if field in PEOPLE_FIELDS else float(value)
    return str(value)


def _start(sheet: WriteOnlyWorksheet, header: list[str], columns: list[list[Any]], n_rows: int) -> None:
    """Bold frozen header, autofilter and columns wide enough for their text (CJK counts double)."""
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{n_rows + 1}"
    for index, (title, values) in enumerate(zip(header, columns, strict=True), start=1):
        longest = max((_display_width(v) for v in values[:199]), default=0)
        width = min(max(longest, min(_display_width(title), 24), 6) + 2, MAX_COLUMN_WIDTH)
        sheet.column_dimensions[get_column_letter(index)].width = width
    cells = []
    for title in header:
        cell = _text_cell(sheet, title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cells.append(cell)
    sheet.append(cells)


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    text = f"{value:,.2f}" if isinstance(value, float) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
