"""Location models: the project's MILPs (HiGHS) against PySAL spopt 0.7.0 with CBC, on the same matrices.

Instances:

- the 40 OR-Library p-median instances (Beasley 1990; ``pmed1`` … ``pmed40``, 100–900 vertices, every vertex
  a demand point and a candidate site, costs the all-pairs shortest paths; read with
  :mod:`facility_layout.orlib` from ``<data-root>/orlib``), whose proven optima are in ``pmedopt.txt``;
- generated ones (``syn<n>x<m>``): ``n`` demand points and ``m`` candidate sites uniform in a 100 × 100 km
  square, demand weights 1–100 people, minutes = Euclidean km × 2 (30 km/h) rounded to 0.1 min, pairs kept
  only within 60 min (about a fifth of all pairs).

Models, each solved by the project (``ours-highs``) and by spopt's equivalent model (``spopt-cbc``):
p-median (``PMedian`` vs spopt ``PMedian``, p from the file or ``m / 10``) on every instance; on the
generated ones also set cover (``SetCover`` vs ``LSCP``, radius 45 min or the largest nearest-site distance if
longer, so that it is feasible), maximal coverage (``MaxCoverage`` vs ``MCLP``, radius 30 min, p = m / 10) and
p-center (``PCenter`` vs spopt ``PCenter``; the worst trip) when the project's module for it exists (they
are imported lazily; a missing one is reported and skipped). Objectives: p-median, weighted minutes; set
cover, sites opened; maximal coverage, the demand left beyond the radius (what ours minimises; spopt's MCLP
maximises the covered demand, and its CBC gap is relative to that); p-center, the worst trip in minutes.

The project's models get the sparse matrix (:class:`~facility_layout.odmatrix.ODMatrix`, pairs within the
cutoff). spopt needs a dense matrix: it gets the same numbers, with pairs beyond the cutoff as a big-M cost
of 100 × the cutoff (6,000 min), which no sensible layout uses; its objective is recomputed from its open
sites on the true matrix, so a layout that served a point beyond the cutoff would show as ``inf``. OR-Library
matrices are complete (no big-M).

Measured per run, each (instance, model, engine) in a fresh Python process (``--worker``), killed with its
process group after the solver limit + ``--margin`` seconds, under an address-space limit of
``--memory-gib``:

- build seconds: everything but the solver's own time — for ours, ``from_cost_matrix`` and the arrays of the
  MILP (but the p-median's ``solve`` reports all its steps as solve seconds: the arrays, its starting
  layout, the LP relaxation for reduced-cost fixing and the MILP); for spopt, creating the PuLP model and
  (inside ``solve``) writing the MPS file and reading back the solution; reading the instance is not counted
  for either;
- solve seconds: the solver's wall time (HiGHS's run; CBC's "Wallclock seconds" from its log);
- objective, recomputed from the open sites for spopt; status: ``optimal`` only when proven. PuLP reports
  "Optimal" for a CBC run stopped by its time limit, so spopt's status is read from CBC's log ("Result -
  Optimal solution found"), its gap from the log's "Gap:" line, with the same one-thread CBC;
- peak memory (MiB): the larger ``ru_maxrss`` of the worker and of its children (CBC), so it includes
  Python and the imported libraries (about 150 MiB);
- pairs: demand–site pairs the models may use (within the cutoff).

Totals, the p-median ratio over the OR-Library instances (spopt + CBC seconds over ours, build + solve; a run
not proven optimal counts at its time limit, as CBC often runs past its ``-sec`` limit), and how many of ours
were proven optimal at the published value. Ends with one machine-readable line:

    RESULT orlib_proven_optimal=<k>/<N> speedup_vs_spopt=<x>

    .venv/bin/python benchmarks/location_models.py [--time-limit 300] [--baseline-time-limit 300] [--quick]
        [--only pmed6,syn1000x100] [--skip-baseline] [--data-root ../shared/data] [--out results.jsonl]

``--out`` appends one JSON line per run; with ``--resume`` runs already in it (same instance, model, engine
and time limit) are not run again but are counted, and so is a run proven optimal under a shorter limit: it
stopped before that limit, so a longer one would not have changed it. spopt is an optional dependency (``pip
install .[bench]``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA_ROOT = Path(os.environ.get("FACILITY_LAYOUT_SHARED_DATA", REPO.parent / "shared" / "data"))
ORLIB = [f"pmed{k}" for k in range(1, 41)]
SYNTHETIC = [(1000, 100), (2000, 200), (5000, 500)]
QUICK = ["pmed1", "pmed6", "pmed11", "pmed16", "syn1000x100"]
SIDE_KM = 100.0
MINUTES_PER_KM = 2.0  # 30 km/h
CUTOFF = 60.0  # minutes; pairs beyond it are out of reach
COVER_RADIUS = 45.0
MAXCOVER_RADIUS = 30.0
BIG_M = 100 * CUTOFF  # spopt's dense matrix: the cost of a pair beyond the cutoff
MIB = 2**20

# model → (our module, our class, spopt class); our module may not exist yet.
MODELS = {
    "pmedian": ("facility_layout.models.median", "PMedian", "PMedian"),
    "setcover": ("facility_layout.models.coverage", "SetCover", "LSCP"),
    "maxcover": ("facility_layout.models.coverage", "MaxCoverage", "MCLP"),
    "pcenter": ("facility_layout.models.center", "PCenter", "PCenter"),
}
SYNTHETIC_MODELS = ["pmedian", "setcover", "maxcover", "pcenter"]


# --- instances -----------------------------------------------------------------------------------------


@dataclass
class Instance:
    """A demand × site matrix: ``dense`` with ``inf`` beyond the cutoff, and what the models need."""

    name: str
    dense: np.ndarray
    weights: np.ndarray
    p: int
    optimum: float | None = None  # published p-median optimum (OR-Library)

    @property
    def pairs(self) -> int:
        return int(np.isfinite(self.dense).sum())


def load_instance(name: str, data_root: Path) -> Instance:
    """An OR-Library instance (``pmedN``) from ``data_root/orlib`` or a generated one (``syn<n>x<m>``)."""
    if name.startswith("pmed"):
        from facility_layout.orlib import read_pmed, read_pmedopt

        folder = data_root / "orlib"
        instance = read_pmed(folder / f"{name}.txt")
        optimum = read_pmedopt(folder / "pmedopt.txt").get(name)
        return Instance(name, instance.cost, np.ones(instance.n), instance.p, optimum)
    found = re.fullmatch(r"syn(\d+)x(\d+)", name)
    if not found:
        raise ValueError(f"unknown instance {name!r}: expected pmed1 … pmed40 or syn<n>x<m> (e.g. syn1000x100)")
    n, m = int(found.group(1)), int(found.group(2))
    rng = np.random.default_rng(1000 * n + m)  # same instance in every worker
    demand = rng.uniform(0, SIDE_KM, (n, 2))
    sites = rng.uniform(0, SIDE_KM, (m, 2))
    weights = rng.integers(1, 101, n).astype(float)
    km = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2))
    minutes = np.round(km * MINUTES_PER_KM, 1)
    dense = np.where(minutes <= CUTOFF, minutes, np.inf)
    return Instance(name, dense, weights, max(1, m // 10))


def cover_radius(instance: Instance) -> float:
    """Set cover radius: 45 min, or the longest trip to a nearest site if longer (so a cover exists)."""
    return max(COVER_RADIUS, float(instance.dense.min(axis=1).max()))


def instance_names(args: argparse.Namespace) -> list[str]:
    if args.only:
        return [name.strip() for name in args.only.split(",") if name.strip()]
    if args.quick:
        return list(QUICK)
    return ORLIB + [f"syn{n}x{m}" for n, m in SYNTHETIC]


def models_for(name: str) -> list[str]:
    return ["pmedian"] if name.startswith("pmed") else list(SYNTHETIC_MODELS)


# --- one run, in a worker process -----------------------------------------------------------------------


def run_ours(instance: Instance, model: str, time_limit: float) -> dict[str, Any]:
    from facility_layout.odmatrix import ODMatrix

    module_name, class_name, _ = MODELS[model]
    cls = getattr(importlib.import_module(module_name), class_name)
    start = time.perf_counter()
    cost = ODMatrix.from_dense(instance.dense)  # the sparse form the project's models take
    if model == "pmedian":
        built = cls.from_cost_matrix(cost, instance.p, weights=instance.weights)
    elif model == "setcover":
        built = cls.from_cost_matrix(cost, cover_radius(instance))
    elif model == "maxcover":
        built = cls.from_cost_matrix(cost, MAXCOVER_RADIUS, p=instance.p, weights=instance.weights)
    else:
        built = cls.from_cost_matrix(cost, instance.p, weights=instance.weights)
    result = built.solve(solver="highs", time_limit_s=time_limit)
    total = time.perf_counter() - start
    report = result.report
    return {
        "build_s": total - report.seconds,
        "solve_s": report.seconds,
        "objective": result.objective,
        "status": report.status,
        "bound": report.bound,
        "gap": report.gap,
        "open": int(result.open_sites.sum()),
    }


def run_spopt(instance: Instance, model: str, time_limit: float) -> dict[str, Any]:
    import pulp
    import spopt.locate

    cls = getattr(spopt.locate, MODELS[model][2])
    dense = np.where(np.isfinite(instance.dense), instance.dense, BIG_M)
    with tempfile.TemporaryDirectory(prefix="bench_spopt_") as tmp:
        log_path = Path(tmp) / "cbc.log"
        start = time.perf_counter()
        if model == "pmedian":
            built = cls.from_cost_matrix(dense, instance.weights, p_facilities=instance.p)
        elif model == "setcover":
            built = cls.from_cost_matrix(dense, cover_radius(instance))
        elif model == "maxcover":
            built = cls.from_cost_matrix(dense, instance.weights, MAXCOVER_RADIUS, p_facilities=instance.p)
        else:
            built = cls.from_cost_matrix(dense, p_facilities=instance.p)
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1, logPath=str(log_path))
        note = ""
        try:
            built.solve(solver, results=False)
        except RuntimeError as error:  # spopt's check_status: PuLP's status is not "Optimal"
            note = "spopt: " + str(error).split(".")[0]
        total = time.perf_counter() - start
        log = log_path.read_text(errors="replace") if log_path.is_file() else ""
    wall = re.search(r"Wallclock seconds\):\s*(\S+)", log)
    solve_s = float(wall.group(1)) if wall else float("nan")
    proven = "Result - Optimal solution found" in log
    gap_line = re.search(r"^Gap:\s*(\S+)", log, re.MULTILINE)
    open_sites = np.array([(v.value() or 0.0) > 0.5 for v in built.fac_vars])
    objective = recompute(instance, model, open_sites) if open_sites.any() else None
    if proven:
        status, gap = "optimal", 0.0
    elif objective is not None:
        status, gap = "feasible", float(gap_line.group(1)) if gap_line else None
    else:
        status, gap = "no_solution", None
    if objective is not None and not math.isfinite(objective):
        note = f"serves a point beyond the {CUTOFF:g} min cutoff (big-M pair)"
    return {
        "build_s": total - solve_s if wall else total,
        "solve_s": solve_s,
        "objective": objective if objective is None or math.isfinite(objective) else None,
        "status": status,
        "bound": None,
        "gap": gap,
        "open": int(open_sites.sum()),
        "note": note,
    }


def recompute(instance: Instance, model: str, open_sites: np.ndarray) -> float:
    """The model's objective for ``open_sites`` on the true matrix (``inf`` beyond the cutoff)."""
    nearest = instance.dense[:, open_sites].min(axis=1)
    if model == "pmedian":
        return float(instance.weights @ nearest)
    if model == "setcover":
        return float(open_sites.sum()) if np.all(nearest <= cover_radius(instance)) else math.inf
    if model == "maxcover":  # as ours reports it: demand left beyond the radius
        return float(instance.weights[nearest > MAXCOVER_RADIUS].sum())
    return float(nearest.max())


def worker(spec: dict[str, Any]) -> None:
    """Run one (instance, model, engine) and print its record as the last line of standard output."""
    limit = int(spec["memory_gib"] * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # a runaway fails here, not on the machine
    instance = load_instance(spec["instance"], Path(spec["data_root"]))
    run = run_ours if spec["engine"] == "ours-highs" else run_spopt
    try:
        record = run(instance, spec["model"], spec["time_limit"])
    except MemoryError:
        record = {"status": "error", "note": f"out of memory (limit {spec['memory_gib']:g} GiB)"}
    except Exception as error:  # reported per run; the benchmark goes on
        record = {"status": "error", "note": f"{type(error).__name__}: {error}"[:300]}
    peak_kib = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    record.update(peak_mib=peak_kib / 1024, pairs=instance.pairs, n=instance.dense.shape[0])
    record.update(m=instance.dense.shape[1], p=instance.p, published=instance.optimum)
    print(json.dumps(record), flush=True)


# --- the driver -----------------------------------------------------------------------------------------


def run_one(spec: dict[str, Any], margin: float) -> dict[str, Any]:
    """Run a worker in its own process group; kill the group (CBC included) after the wall limit."""
    wall_limit = spec["time_limit"] + margin
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = process.communicate(timeout=wall_limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        record = {"status": "killed", "note": f"wall limit {wall_limit:g} s"}
    else:
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if lines:
            record = json.loads(lines[-1])
        else:
            tail = err.strip().splitlines()[-1:] or [f"exit code {process.returncode}"]
            record = {"status": "crashed", "note": tail[0][:300]}
    record.update(spec)
    record["wall_s"] = time.perf_counter() - start
    return record


def total_seconds(record: dict[str, Any]) -> float:
    """Build + solve seconds; a run that crashed counts at its wall time."""
    build, solve = record.get("build_s"), record.get("solve_s")
    if build is None or solve is None or not math.isfinite(build + solve):
        return float(record.get("wall_s", 0.0))
    return float(build + solve)


def counted_seconds(record: dict[str, Any]) -> float:
    """Seconds for the ratio: build + solve, a run not proven optimal at build + its time limit (CBC's
    overruns past ``-sec`` are not counted, nor is time cut short by a crash)."""
    if record.get("status") == "optimal":
        return total_seconds(record)
    if record.get("status") == "killed":  # ran past limit + margin; its build time is unknown
        return float(record["time_limit"])
    return float(record.get("build_s") or 0.0) + float(record["time_limit"])


def reusable(done: dict[tuple, dict[str, Any]], key: tuple) -> dict[str, Any] | None:
    """The run for ``key`` (instance, model, engine, limit) in a resumed file: the same run; or one of the same
    instance, model and engine under a shorter limit that was proven optimal (it would not have run longer),
    or that solved for at least ``limit`` seconds without a proof (CBC past its ``-sec``: it would have timed
    out at ``limit`` too, and counts as that timeout)."""
    if key in done:
        return done[key]
    name, model, engine, limit = key
    for (n, m, e, shorter), record in sorted(done.items(), key=lambda item: item[0][3]):
        if (n, m, e) != (name, model, engine) or shorter > limit:
            continue
        if record.get("status") == "optimal":
            return record
        if (record.get("solve_s") or 0.0) >= limit:
            return {**record, "time_limit": limit, "status": "time_limit", "note": f"ran past {shorter:g} s"}
    return None


def at_published(record: dict[str, Any]) -> bool:
    """Proven optimal, objective and bound at the published optimum (the bound may carry round-off)."""
    published = record.get("published")
    return (
        published is not None
        and record.get("status") == "optimal"
        and record.get("objective") is not None
        and abs(record["objective"] - published) <= 1e-6
        and record.get("bound") is not None
        and abs(record["bound"] - published) <= 1e-9 * max(1.0, abs(published))
    )


HEADER = (
    f"{'instance':<12} {'model':<9} {'engine':<10} {'n×m':>9} {'pairs':>9} {'p':>4} {'build_s':>8} "
    f"{'solve_s':>8} {'objective':>12} {'published':>9} {'status':<11} {'gap':>8} {'peak_MiB':>8}  note"
)


def row(record: dict[str, Any]) -> str:
    def num(key: str, fmt: str) -> str:
        value = record.get(key)
        return format(value, fmt) if isinstance(value, int | float) and math.isfinite(value) else "-"

    size = f"{record.get('n', '?')}×{record.get('m', '?')}"
    return (
        f"{record['instance']:<12} {record['model']:<9} {record['engine']:<10} {size:>9} {num('pairs', ',d'):>9} "
        f"{num('p', 'd'):>4} {num('build_s', '.2f'):>8} {num('solve_s', '.2f'):>8} {num('objective', '.6g'):>12} "
        f"{num('published', '.6g'):>9} {record.get('status', '?'):<11} {num('gap', '.2e'):>8} "
        f"{num('peak_mib', '.0f'):>8}  {record.get('note', '')}"
    )


def summary(records: list[dict[str, Any]], names: list[str], args: argparse.Namespace) -> None:
    print("\nTotals (build + solve seconds) per model and engine:")
    for model in MODELS:
        for engine in ("ours-highs", "spopt-cbc"):
            runs = [r for r in records if r["model"] == model and r["engine"] == engine]
            if runs:
                proven = sum(r.get("status") == "optimal" for r in runs)
                seconds = sum(map(total_seconds, runs))
                peak = max(r.get("peak_mib") or 0 for r in runs)
                print(
                    f"  {model:<9} {engine:<10} runs {len(runs):>3}  proven {proven:>3}  "
                    f"seconds {seconds:>9.1f}  peak {peak:>6.0f} MiB"
                )

    orlib = [name for name in names if name.startswith("pmed")]
    ours = {r["instance"]: r for r in records if r["engine"] == "ours-highs" and r["model"] == "pmedian"}
    theirs = {r["instance"]: r for r in records if r["engine"] == "spopt-cbc" and r["model"] == "pmedian"}
    k = sum(at_published(ours[name]) for name in orlib if name in ours)
    both = [name for name in orlib if name in ours and name in theirs]
    speedup = "n/a"
    if both:
        ours_s = sum(counted_seconds(ours[name]) for name in both)
        theirs_s = sum(counted_seconds(theirs[name]) for name in both)
        stopped = sum(theirs[name].get("status") != "optimal" for name in both)
        speedup = f"{theirs_s / ours_s:.2f}"
        print(
            f"\nOR-Library p-median, {len(both)} instances: ours {ours_s:.1f} s, spopt + CBC {theirs_s:.1f} s "
            f"(ratio {speedup}). {stopped} spopt runs were not proven optimal within "
            f"{args.baseline_time_limit:g} s and count at build + that limit, so the ratio understates spopt's "
            "time to an optimum."
        )
        disagree = [
            name
            for name in both
            if theirs[name].get("status") == "optimal"
            and ours[name].get("objective") is not None
            and abs((theirs[name].get("objective") or math.inf) - ours[name]["objective"]) > 1e-6
        ]
        if disagree:
            print(f"WARNING: proven optima differ between ours and spopt on {', '.join(disagree)}")
    if orlib:
        print(f"Ours proven optimal at the published value: {k}/{len(orlib)} OR-Library instances.")
    print(f"RESULT orlib_proven_optimal={k}/{len(orlib)} speedup_vs_spopt={speedup}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time-limit", type=float, default=300.0, help="our solver's limit per run (s)")
    parser.add_argument("--baseline-time-limit", type=float, default=None, help="spopt's CBC limit (s)")
    parser.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)}")
    parser.add_argument("--only", default="", help="comma-separated instances, e.g. pmed6,pmed36,syn1000x100")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run spopt")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT, help="holds orlib/")
    parser.add_argument("--out", type=Path, default=None, help="append one JSON line per run")
    parser.add_argument("--resume", action="store_true", help="skip runs already in --out")
    parser.add_argument("--margin", type=float, default=600.0, help="wall limit = solver limit + this (s)")
    parser.add_argument("--memory-gib", type=float, default=8.0, help="address-space limit per run")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return
    if args.baseline_time_limit is None:
        args.baseline_time_limit = args.time_limit

    names = instance_names(args)
    if any(name.startswith("pmed") for name in names) and not (args.data_root / "orlib" / "pmedopt.txt").is_file():
        sys.exit(
            f"OR-Library data not found at {args.data_root / 'orlib'}: pass --data-root (or set "
            "FACILITY_LAYOUT_SHARED_DATA) to the folder holding orlib/pmed1.txt … pmedopt.txt"
        )
    engines = ["ours-highs"]
    if not args.skip_baseline:
        if importlib.util.find_spec("spopt") is None:
            sys.exit("spopt is not installed: `pip install -e .[bench]` (spopt==0.7.0), or pass --skip-baseline")
        engines.append("spopt-cbc")
    missing = sorted({module for module, _, _ in MODELS.values() if importlib.util.find_spec(module) is None})
    for module in missing:
        print(f"note: {module} is not in the project yet; its models are skipped")

    done: dict[tuple, dict[str, Any]] = {}
    if args.resume and args.out and args.out.is_file():
        for line in args.out.read_text().splitlines():
            record = json.loads(line)
            done[(record["instance"], record["model"], record["engine"], record["time_limit"])] = record

    print(
        f"time limit {args.time_limit:g} s (ours), {args.baseline_time_limit:g} s (spopt); wall limit + "
        f"{args.margin:g} s; {args.memory_gib:g} GiB per run; {len(names)} instances",
        flush=True,
    )
    print(HEADER, flush=True)
    records = []
    for name in names:
        for model in models_for(name):
            if MODELS[model][0] in missing:
                continue
            for engine in engines:
                limit = args.time_limit if engine == "ours-highs" else args.baseline_time_limit
                key = (name, model, engine, limit)
                record = reusable(done, key)
                if record is None:
                    spec = {
                        "instance": name,
                        "model": model,
                        "engine": engine,
                        "time_limit": limit,
                        "data_root": str(args.data_root.resolve()),
                        "memory_gib": args.memory_gib,
                    }
                    record = run_one(spec, args.margin)
                    if args.out:
                        with args.out.open("a") as out:
                            out.write(json.dumps(record) + "\n")
                records.append(record)
                print(row(record), flush=True)
    summary(records, names, args)


if __name__ == "__main__":
    main()
