"""Write a run's outputs all at once: into a temporary folder, moved into place only when complete.

A failed run therefore never leaves a half-written output folder, and a previous complete output
stays untouched until the new one is ready.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import yaml

from facility_layout.evaluate import LayoutTables
from facility_layout.jsonio import dump_json
from facility_layout.scenario import Scenario

GPKG_LAYERS = ("demand", "facilities", "assignments", "referrals", "boundary")


def write_outputs(
    out_dir: Path,
    tables: LayoutTables,
    summary: dict[str, Any],
    scenario: Scenario,
    draw_map: Callable[[Path], Path],
    seconds: dict[str, float],
    villages: gpd.GeoDataFrame | None = None,
) -> Path:
    """Write layout.gpkg, CSVs, summary.json, the resolved scenario and map.html into ``out_dir``.

    Parameters
    ----------
    out_dir : Path
        Final folder; replaced as a whole if it exists.
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
    villages : geopandas.GeoDataFrame, optional
        The per-village table of a census run (:func:`facility_layout.per_village.village_table`): written as
        the ``villages`` layer and ``villages.csv``.
    """
    start = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        gpkg = staging / "layout.gpkg"
        for layer in GPKG_LAYERS:
            frame = getattr(tables, layer)
            frame.to_file(gpkg, layer=layer, driver="GPKG")
        tables.demand.drop(columns="geometry").assign(x=tables.demand.geometry.x, y=tables.demand.geometry.y).to_csv(
            staging / "demand.csv", index=False
        )
        tables.facilities.drop(columns="geometry").assign(
            x=tables.facilities.geometry.x, y=tables.facilities.geometry.y
        ).to_csv(staging / "facilities.csv", index=False)
        if villages is not None:  # inputs.population is a village census
            villages.to_file(gpkg, layer="villages", driver="GPKG")
            villages.drop(columns="geometry").assign(x=villages.geometry.x, y=villages.geometry.y).to_csv(
                staging / "villages.csv", index=False, encoding="utf-8-sig"
            )
        resolved = scenario.model_dump(mode="json")
        resolved["data_root"] = str(scenario.data_root)
        resolved["read_as"] = [{"file": str(r.file), "encoding": r.encoding, "how": r.how} for r in scenario.read_as]
        (staging / "scenario.resolved.yaml").write_text(
            yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True), "utf-8"
        )
        draw_map(staging / "map.html")
        # summary.json goes last so that its seconds include writing everything else.
        stage_seconds = {**seconds, "outputs": time.perf_counter() - start}
        stage_seconds["total"] = sum(stage_seconds.values())
        summary["seconds"] = {k: round(v, 3) for k, v in stage_seconds.items()}
        dump_json(summary, staging / "summary.json")
        replace_folder(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def replace_folder(staging: Path, out_dir: Path) -> None:
    """Swap the finished folder into place; the old one is removed only after the swap."""
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out_dir.rename(old)
        staging.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out_dir)
