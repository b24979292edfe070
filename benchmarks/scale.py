"""Scale: a generated prefecture end to end on one machine, and a generated province partitioned on Dask.

Usage::

    .venv/bin/python benchmarks/scale.py                        # full size (issue 17): long on 2 cores
    .venv/bin/python benchmarks/scale.py --prefecture-km 50 --province-km 60   # reduced

(a) **Prefecture**: ``facility-layout run`` in a fresh process on ``extends: demo.yaml`` with
``synthetic: {seed: 11, width_km: W, height_km: W, population_total: P}`` (issue 17: W = 150,
P = 2,500,000). Reports the stage table from ``summary.json``, the wall time (generation included), the
process's peak resident memory and the size of ``map.html``.

(b) **Province**: a generated region of ``--province-km`` square (≥ 317 km for the issue's ≥ 100,000 km²),
partitioned into the generator's counties (``counties.geojson``: contiguous unions of about 15 whole
townships, given as ``region.partition.areas``) while its townships stay ``region.admin_areas``
(320 km square: ≥ 40 counties). Run on a LocalCluster of 1
and then 2 single-threaded worker processes, each time on a fresh cache (nothing reused). Reports wall time,
the per-county seconds (min, median, p90, max), each worker's peak resident memory, the speed-up, and the
projected wall time on N workers: ``split + max(slowest county, total county seconds / N) + merge``, a lower
bound (the critical path is the slowest county; no schedule on N workers can beat either term).

Ends with::

    RESULT prefecture_wall_s=<s> prefecture_peak_rss_mib=<m> prefecture_map_mib=<m> prefecture_status=<s>
    RESULT province_km2=<a> counties=<n> wall_1_s=<s> wall_2_s=<s> speedup_2=<x> slowest_county_s=<s>
           projected_<N>_s=<s> ...
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo.yaml"
PROJECTED_WORKERS = (4, 8, 16, 32)


def scenario_file(
    folder: Path, width_km: float, population: float, seed: int, partition: bool, counties: Path | None = None
) -> Path:
    raw: dict = {
        "extends": str(DEMO),
        "region": {"synthetic": {"seed": seed, "width_km": width_km, "height_km": width_km}},
        "cache": {"dir": str(folder / "cache")},
        "outputs": {"dir": str(folder / "out")},
    }
    raw["region"]["synthetic"]["population_total"] = population
    if partition:
        raw["region"]["partition"] = {"by": "admin_areas", "halo_km": 0}
        if counties is not None:
            raw["region"]["partition"]["areas"] = str(counties)
        raw["tiers"] = {"township_centre": {"central_count": 1}}  # one central centre per county
        raw["map"] = {"relief": False}
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def prefecture(work: Path, width_km: float, population: float) -> dict:
    folder = work / "prefecture"
    folder.mkdir(parents=True)
    path = scenario_file(folder, width_km, population, 11, partition=False)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "facility_layout.cli", "run", str(path), "--data-root", str(folder / "data")],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"prefecture run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB → MiB
    summary = json.loads((folder / "out" / "summary.json").read_text())
    map_mib = (folder / "out" / "map.html").stat().st_size / 2**20
    print(f"\n(a) prefecture {width_km:g} × {width_km:g} km, {population:,.0f} people, seed 11")
    print(f"    road nodes {summary['road_graph']['nodes']:,}, cells {summary['demand_points']['count']:,}")
    print("    | stage | seconds |\n    |---|---:|")
    for stage, seconds in summary["seconds"].items():
        print(f"    | {stage} | {seconds:.1f} |")
    print(f"    wall {wall:.1f} s (process start to exit), peak RSS {peak:,.0f} MiB, map.html {map_mib:.1f} MiB")
    statuses = {stage["status"] for stage in summary["solver"]["stages"].values()}
    return {
        "wall": wall,
        "peak": peak,
        "map": map_mib,
        "status": "optimal" if statuses <= {"optimal", "not_needed"} else "/".join(sorted(statuses)),
    }


def province_run(work: Path, width_km: float, population: float, workers: int, counties: Path) -> dict:
    from distributed import Client, LocalCluster

    from facility_layout.province import run_partitioned
    from facility_layout.scenario import load_scenario

    folder = work / f"province-{workers}"
    folder.mkdir(parents=True)
    data_root = work / "province-data"  # generated once, shared by both runs
    scenario = load_scenario(scenario_file(folder, width_km, population, 13, True, counties), data_root)
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        start = time.perf_counter()
        result = run_partitioned(scenario, scheduler=cluster.scheduler_address)
        wall = time.perf_counter() - start
    return {"wall": wall, "summary": result.summary}


def province(work: Path, width_km: float, population: float, workers: list[int]) -> dict:
    from facility_layout.pipeline import ensure_synthetic_inputs
    from facility_layout.scenario import load_scenario

    data_root = work / "province-data"
    start = time.perf_counter()
    generated = load_scenario(scenario_file(work, width_km, population, 13, partition=True), data_root)
    ensure_synthetic_inputs(generated)
    generate = time.perf_counter() - start
    counties = generated.region.admin_areas.file.parent / "counties.geojson"  # written by the generator
    runs = {n: province_run(work, width_km, population, n, counties) for n in workers}
    summary = runs[max(workers)]["summary"]
    counties = [c for c in summary["counties"] if c["status"] == "done"]
    seconds = sorted(c["seconds"] for c in counties)
    rss: dict[str, int] = {}
    for c in counties:
        rss[c["worker"]] = max(rss.get(c["worker"], 0), c["peak_rss_bytes"])
    split, merge = summary["seconds"]["split"], summary["seconds"]["merge"]
    projected = {n: split + max(seconds[-1], sum(seconds) / n) + merge for n in PROJECTED_WORKERS}
    area = width_km * width_km
    print(f"\n(b) province {width_km:g} × {width_km:g} km ({area:,.0f} km²), {population:,.0f} people, seed 13")
    print(f"    generated in {generate:.0f} s; {len(summary['counties'])} counties, {len(counties)} completed")
    for n, run in runs.items():
        print(f"    {n} worker(s): wall {run['wall']:.1f} s  (seconds: {run['summary']['seconds']})")
    print(
        f"    per county ({max(workers)} workers): min {seconds[0]:.1f} s, median {statistics.median(seconds):.1f} s, "
        f"p90 {seconds[int(0.9 * (len(seconds) - 1))]:.1f} s, max {seconds[-1]:.1f} s, sum {sum(seconds):.1f} s"
    )
    print("    peak RSS per worker: " + ", ".join(f"{v / 2**20:,.0f} MiB" for v in rss.values()))
    print("    projected wall (lower bound): " + ", ".join(f"{n} workers {s:.0f} s" for n, s in projected.items()))
    return {
        "area": area,
        "counties": len(summary["counties"]),
        "failed": len(summary["counties_failed"]),
        "walls": {n: run["wall"] for n, run in runs.items()},
        "slowest": seconds[-1],
        "projected": projected,
        "rss_mib": max(rss.values()) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefecture-km", type=float, default=150.0)
    parser.add_argument("--prefecture-people", type=float, default=2_500_000)
    parser.add_argument("--province-km", type=float, default=320.0)
    parser.add_argument("--province-people", type=float, default=38_000_000 * 320**2 / 176_000)
    parser.add_argument("--skip-prefecture", action="store_true")
    parser.add_argument("--workers", default="1,2", help="LocalCluster sizes to run the province on, e.g. 1,2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp:
        work = Path(tmp)
        if not args.skip_prefecture:
            a = prefecture(work, args.prefecture_km, args.prefecture_people)
            print(
                f"RESULT prefecture_km={args.prefecture_km:g} prefecture_wall_s={a['wall']:.1f} "
                f"prefecture_peak_rss_mib={a['peak']:.0f} prefecture_map_mib={a['map']:.1f} "
                f"prefecture_status={a['status']}"
            )
        workers = sorted(int(n) for n in args.workers.split(","))
        b = province(work, args.province_km, args.province_people, workers)
        projected = " ".join(f"projected_{n}_s={s:.0f}" for n, s in b["projected"].items())
        walls = b["walls"]
        walls_text = " ".join(f"wall_{n}_s={s:.1f}" for n, s in walls.items())
        speedup = f" speedup_2={walls[1] / walls[2]:.2f}" if {1, 2} <= set(walls) else ""
        print(
            f"RESULT province_km2={b['area']:.0f} counties={b['counties']} failed={b['failed']} {walls_text}"
            f"{speedup} slowest_county_s={b['slowest']:.1f} worker_peak_rss_mib={b['rss_mib']:.0f} {projected}"
        )


if __name__ == "__main__":
    main()
