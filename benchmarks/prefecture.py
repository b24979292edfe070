"""The prefecture of issue 17 end to end on this machine: stage table, peak memory, map size, target 3 min.

A generated prefecture (``extends: demo.yaml`` with ``synthetic: {seed: 11, width_km: 150, height_km: 150,
population_total: 2500000}``) is run with the CLI in a fresh process, from an empty cache, then (with
``--rerun``) once more with the cache the first run filled (the road table and travel times read back).
The region is generated into ``--data-root`` (default: a temporary folder) on the first run and reused
when it is already there; its generation is counted in the first run's stage table when it happens.

    .venv/bin/python benchmarks/prefecture.py [--data-root DIR] [--central-count N] [--rerun]

Ends with one machine-readable line per run:
    RESULT run=<first|rerun> prefecture_s=<s> target_s=180 within_target=<true|false> peak_rss_mib=<m>
           map_mib=<m> status=<headline status>/<each solver stage's status>
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 180.0
PREFECTURE = {"seed": 11, "width_km": 150, "height_km": 150, "population_total": 2_500_000}


def scenario_file(folder: Path, central_count: int | None) -> Path:
    raw: dict = {
        "extends": str(REPO / "scenarios" / "demo.yaml"),
        "region": {"name": "Generated prefecture", "synthetic": PREFECTURE},
        "cache": {"dir": str(folder / "cache")},
        "outputs": {"dir": str(folder / "out")},
    }
    if central_count is not None:
        raw["tiers"] = {"township_centre": {"central_count": central_count}}
    path = folder / "prefecture.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def run_once(scenario: Path, data_root: Path, out: Path) -> tuple[float, float, float, dict]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of the child process, and the run's summary."""
    cli = Path(sys.executable).with_name("facility-layout")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [str(cli), "run", str(scenario), "--data-root", str(data_root), "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"prefecture run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    peak = after.ru_maxrss / 1024  # KiB → MiB, largest child so far
    return wall, cpu, peak, json.loads((out / "summary.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", type=Path, help="where the region is generated (default: a temporary folder)")
    parser.add_argument("--central-count", type=int, help="override tiers.township_centre.central_count")
    parser.add_argument("--rerun", action="store_true", help="run a second time with the filled cache")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data_root = args.data_root or folder / "data"
        scenario = scenario_file(folder, args.central_count)
        for run in ("first", "rerun") if args.rerun else ("first",):
            out = folder / f"out-{run}"
            load = os.getloadavg()
            wall, cpu, peak, summary = run_once(scenario, data_root, out)
            map_mib = (out / "map.html").stat().st_size / 2**20
            print(f"\nprefecture, {run} run: road nodes {summary['road_graph']['nodes']:,}, ", end="")
            print(f"cells {summary['demand_points']['count']:,}, travel cache {summary['travel'].get('cache')}")
            print("| stage | seconds |\n|---|---:|")
            for stage, seconds in summary["seconds"].items():
                print(f"| {stage} | {seconds:.1f} |")
            print("outputs: " + ", ".join(f"{k} {v:.1f} s" for k, v in summary.get("output_seconds", {}).items()))
            print(
                f"wall {wall:.1f} s (process start to exit), CPU {cpu:.1f} s, load average before {load[0]:.1f}, ",
                end="",
            )
            print(f"peak RSS {peak:,.0f} MiB (largest run so far), map.html {map_mib:.1f} MiB")
            stages = summary["solver"].get("stages", {})
            print("solver stages: " + ", ".join(f"{k} {v.get('status')}" for k, v in stages.items()))
            statuses = [summary["solver"]["status"], *(v.get("status", "-") for v in stages.values())]
            print(
                f"RESULT run={run} prefecture_s={wall:.1f} target_s={TARGET_S:.0f} "
                f"within_target={str(wall < TARGET_S).lower()} peak_rss_mib={peak:.0f} map_mib={map_mib:.1f} "
                f"status={'/'.join(statuses)}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
