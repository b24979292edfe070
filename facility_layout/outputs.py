"""Write a run's outputs all at once: into a staging folder, moved into place only when complete.

A failed run therefore never leaves a half-written output folder, and a previous complete output
stays untouched until the new one is ready. Which folders may be written, and how the finished files
replace an earlier output without touching the planner's own files, is :mod:`facility_layout.folders`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import yaml

from facility_layout.brief import write_brief
from facility_layout.evaluate import LayoutTables
from facility_layout.folders import Names, OutputFolder, claim_output_folder, protected_places
from facility_layout.gpkg_styles import write_qgis_layers
from facility_layout.i18n import csv_table, translator
from facility_layout.jsonio import dump_json
from facility_layout.scenario import Scenario
from facility_layout.workbook import write_workbook

GPKG_LAYERS = ("demand", "facilities", "assignments", "referrals", "boundary")
# Every file a run writes into its output folder (the marker lists them; only these are ever replaced).
RUN_FILES = (
    "layout.gpkg",
    "demand.csv",
    "facilities.csv",
    "villages.csv",  # a village-census run only
    "layout.xlsx",
    "brief.pdf",
    "scenario.resolved.yaml",
    "map.html",
    "summary.json",
)
RUN_NAMES: dict[str, None] = dict.fromkeys(RUN_FILES)
# A text cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP, "CSV
# Injection"): a leading apostrophe makes it plain text there, and the apostrophe is not shown.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@contextmanager
def claim_run_folder(
    scenario: Scenario,
    out_dir: Path | None,
    force: bool,
    protected: Iterable[tuple[str, Path]] = (),
    names: Names = RUN_NAMES,
) -> Iterator[OutputFolder]:
    """The run's output folder (``out_dir``, else ``outputs.dir``), checked and locked for the whole run; it may
    not be or hold the scenario's protected places (:func:`facility_layout.folders.protected_places`) nor the
    ``protected`` ones (what they are, path). ``names``: what the run writes there (a partitioned run's differ).

    Raises
    ------
    InputError
        The folder may not be written (see :func:`facility_layout.folders.claim_output_folder`).
    """
    field = "outputs.dir" if out_dir is None else "--out"
    path = Path(out_dir) if out_dir is not None else scenario.output_dir
    with claim_output_folder(
        path,
        command="run",
        names=names,
        force=force,
        field=field,
        protected=[*protected_places(scenario), *protected],
    ) as folder:
        yield folder


def write_outputs(
    folder: OutputFolder,
    tables: LayoutTables,
    summary: dict[str, Any],
    scenario: Scenario,
    draw_map: Callable[[Path], Path],
    seconds: dict[str, float],
    attribution: list[str] | None = None,
    villages: gpd.GeoDataFrame | None = None,
) -> Path:
    """Write layout.gpkg (styled for QGIS), CSVs, layout.xlsx, brief.pdf, summary.json, the resolved scenario
    and map.html into ``folder``, in the language of ``outputs.language`` (the workbook and the brief unless
    ``outputs.workbook`` / ``outputs.brief`` turn them off).

    Parameters
    ----------
    folder : OutputFolder
        The checked and locked output folder (:func:`facility_layout.folders.claim_output_folder`); files of
        an earlier output there are replaced, other files kept.
    tables : LayoutTables
        The layout.
    summary : dict
        Figures for summary.json.
    scenario : Scenario
        Copied, resolved (absolute input paths, data root), as ``scenario.resolved.yaml``.
    draw_map : callable
        Writes the map to the path it is given.
    seconds : dict
        Seconds of the stages so far; this stage's own seconds and the total are added to summary.json.
    attribution : list of str, optional
        Sources of the input data, for brief.pdf.
    villages : geopandas.GeoDataFrame, optional
        The per-village table of a census run (:func:`facility_layout.per_village.village_table`): written as
        the ``villages`` layer and ``villages.csv``.
    """
    start = time.perf_counter()
    with folder.staging() as staging:
        gpkg = staging / "layout.gpkg"
        for layer in GPKG_LAYERS:
            frame = getattr(tables, layer)
            frame.to_file(gpkg, layer=layer, driver="GPKG")
        _ = translator(scenario.outputs.language)
        csv_encoding = "utf-8-sig" if scenario.outputs.bom else "utf-8"  # the mark tells Excel the text is UTF-8
        for name, frame in (("demand.csv", tables.demand), ("facilities.csv", tables.facilities)):
            write_csv(
                csv_table(frame.drop(columns="geometry").assign(x=frame.geometry.x, y=frame.geometry.y), _),
                staging / name,
                encoding=csv_encoding,
            )
        if villages is not None:  # inputs.population is a village census
            villages.to_file(gpkg, layer="villages", driver="GPKG")
            # With a byte-order mark, so that Excel shows the census's Chinese names.
            write_csv(
                csv_table(villages.drop(columns="geometry").assign(x=villages.geometry.x, y=villages.geometry.y), _),
                staging / "villages.csv",
                encoding="utf-8-sig",
            )
        # Seconds per output, so that a slow one shows (summary.json ``output_seconds``); absent ones are off.
        parts = {"tables": time.perf_counter() - start}
        for part, write, wanted in (
            (
                "workbook",
                lambda: write_workbook(staging / "layout.xlsx", tables, summary, scenario, _),
                scenario.outputs.workbook,
            ),
            ("qgis_styles", lambda: write_qgis_layers(gpkg, tables, summary, scenario, _, villages), True),
            (
                "brief",
                lambda: write_brief(staging / "brief.pdf", tables, summary, scenario, _, attribution),
                scenario.outputs.brief.enabled,
            ),
        ):
            if wanted:
                began = time.perf_counter()
                write()
                parts[part] = time.perf_counter() - began
        resolved = scenario.model_dump(mode="json")
        resolved["data_root"] = str(scenario.data_root)
        resolved["read_as"] = [
            {"file": str(r.file), "encoding": r.encoding, "how": str(r.how)} for r in scenario.read_as
        ]
        (staging / "scenario.resolved.yaml").write_text(
            yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True), "utf-8"
        )
        began = time.perf_counter()
        draw_map(staging / "map.html")
        parts["map"] = time.perf_counter() - began
        # summary.json goes last so that its seconds include writing everything else.
        stage_seconds = {**seconds, "outputs": time.perf_counter() - start}
        stage_seconds["total"] = sum(stage_seconds.values())
        summary["seconds"] = {k: round(v, 3) for k, v in stage_seconds.items()}
        summary["output_seconds"] = {k: round(v, 3) for k, v in parts.items()}
        dump_json(summary, staging / "summary.json")
    return folder.path


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names a spreadsheet would read as a formula start with an
    apostrophe (``=SUM(A1)`` → ``'=SUM(A1)``); numbers and other text are untouched."""

    def safe(value: Any) -> Any:
        return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value

    text = [c for c in frame.columns if frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype)]
    out = frame.copy()
    for column in text:
        out[column] = frame[column].map(safe)
    return out.rename(columns=safe)


def spreadsheet_text(value: str) -> str:
    """The text :func:`spreadsheet_safe` wrote as ``value`` (``'=rainy`` → ``=rainy``), for reading a table back."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


def write_csv(frame: pd.DataFrame, path: Path, encoding: str = "utf-8") -> None:
    """Write ``frame`` as a CSV file for spreadsheets: no index, formula-like text neutralised
    (:func:`spreadsheet_safe`), lines ended by CR LF as RFC 4180 says (Python's writer then also quotes a cell
    holding a bare CR, which would otherwise split its row); ``utf-8-sig`` adds the byte-order mark Excel needs
    to read UTF-8."""
    spreadsheet_safe(frame).to_csv(path, index=False, lineterminator="\r\n", encoding=encoding)
