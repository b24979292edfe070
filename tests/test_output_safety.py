"""Never lose a planner's file: the tool writes and deletes only what it wrote, one run at a time per folder,
its solver processes and temporary files end with the run, and its CSV cells never run as formulas.

Each test first reproduced the failure on the code before these rules (the whole folder replaced, no lock,
CBC outliving the run, raw formulas in the CSVs).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from facility_layout.cli import app
from facility_layout.errors import InputError
from facility_layout.folders import MARKER, claim_output_folder
from facility_layout.outputs import RUN_FILES, RUN_NAMES, write_csv
from facility_layout.solver_process import SOLVER_FOLDER_PREFIX, remove_orphaned_solver_folders

from conftest import scenario_on_region

# What a run on a population raster writes (villages.csv is a census run's only).
RASTER_RUN_FILES = tuple(name for name in RUN_FILES if name != "villages.csv")
runner = CliRunner()
EXE = Path(sys.executable).with_name("facility-layout")
NEVER = "never writes its outputs there, even with --force"


def cli(*args: object) -> tuple[int, str]:
    """Run the CLI in this process; the exit code and everything it printed, with rich's line wrapping undone."""
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def says(output: str, *texts: str) -> None:
    """Every text appears in the output (whitespace ignored: rich wraps long paths anywhere)."""
    squashed = "".join(output.split())
    for text in texts:
        assert "".join(text.split()) in squashed, f"{text!r} not in {output}"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def planner_files(folder: Path) -> dict[str, bytes]:
    """A planner's own files in ``folder``: a note, a sub-folder with a table, and a file named like an output."""
    files = {"notes.txt": b"my notes", "data/visits.csv": b"a,b\n1,2\n", "summary.json": b'{"mine": true}'}
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return files


def leftovers(parent: Path) -> list[str]:
    """Staging folders and lock files of the tool in ``parent``."""
    return sorted(p.name for p in parent.iterdir() if p.name.endswith((".partial", ".lock")))


@pytest.fixture
def plan(tmp_path: Path, small_county: Path) -> Path:
    """The demo scenario on the small county, in a folder of its own."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    return scenario_on_region(small_county, folder / "plan.yaml", tmp_path / "out" / "plan")


# --- existing folders ---------------------------------------------------------------------------------------


def test_a_folder_the_tool_did_not_write_is_refused(tmp_path: Path, plan: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    planner_files(out)
    before = snapshot(out)
    code, output = cli("run", plan, "--out", out)
    assert code == 2
    says(output, str(out), "facility-layout did not write", "--force", "notes.txt")
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_force_replaces_only_the_tools_own_files(tmp_path: Path, plan: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    mine = planner_files(out)
    code, output = cli("run", plan, "--out", out, "--force")
    assert code == 0, output
    after = snapshot(out)
    for name, content in mine.items():
        if name not in RUN_FILES:
            assert after[name] == content
    assert "solver" in json.loads(after["summary.json"])  # an output name: replaced, as --force says
    assert sorted(json.loads(after[MARKER])["files"]) == sorted(RASTER_RUN_FILES)
    says(output, "kept 2 file(s)", "notes.txt", "data")
    assert leftovers(tmp_path) == []


def test_a_new_run_keeps_the_planners_files_and_removes_only_its_own(tmp_path: Path, plan: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # An earlier output of the tool that also wrote a table this version no longer writes.
    (out / "old_table.csv").write_text("stale")
    (out / "summary.json").write_text("{}")
    marker = {"tool": "facility-layout", "version": "0.0.1", "command": "run"}
    (out / MARKER).write_text(json.dumps(marker | {"files": ["old_table.csv", "summary.json"]}))
    (out / "notes.txt").write_text("my notes")
    code, output = cli("run", plan, "--out", out)
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == sorted([*RASTER_RUN_FILES, MARKER, "notes.txt"])
    assert (out / "notes.txt").read_text() == "my notes"
    says(output, "kept 1 file(s)", "notes.txt")


def test_a_planners_file_under_an_output_name_is_refused_without_force(tmp_path: Path, plan: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    marker = {"tool": "facility-layout", "version": "0.0.1", "command": "run", "files": ["summary.json"]}
    (out / MARKER).write_text(json.dumps(marker))
    (out / "summary.json").write_text("{}")
    (out / "map.html").write_text("my own map")  # not listed: the planner's
    before = snapshot(out)
    code, output = cli("run", plan, "--out", out)
    assert code == 2
    says(output, str(out / "map.html"), "facility-layout did not write this file", "--force")
    assert snapshot(out) == before


def test_an_empty_folder_is_used(tmp_path: Path, plan: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    code, output = cli("run", plan, "--out", out)
    assert code == 0, output
    assert {*RASTER_RUN_FILES, MARKER} == {p.name for p in out.iterdir()}


def test_out_naming_an_existing_file_is_refused(tmp_path: Path, plan: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    code, output = cli("run", plan, "--out", notes, "--force")
    assert code == 2
    says(output, str(notes), "is an existing file, not a folder")
    assert notes.read_text() == "my notes"


@pytest.mark.parametrize(
    "place", ["scenario folder", "data root", "input folder", "home", "root", "cwd", "outputs.dir"]
)
def test_protected_folders_are_refused_even_with_force(
    tmp_path: Path, plan: Path, small_county: Path, monkeypatch: pytest.MonkeyPatch, place: str
) -> None:
    home, work = tmp_path / "home", tmp_path / "work" / "deep"
    work.mkdir(parents=True)
    home.mkdir()
    (home / "thesis.docx").write_text("years of work")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    args: list[object] = ["run", plan, "--force"]
    folder, what = {
        "scenario folder": (plan.parent, "the scenario file"),
        "data root": (tmp_path / "root", "the data root"),
        "input folder": (small_county.parent, "the input file region.boundary"),
        "home": (home, "your home folder"),
        "root": (Path("/"), "your home folder"),
        "cwd": (tmp_path / "work", "the working directory"),
        "outputs.dir": (work.parent, "the working directory"),
    }[place]
    if place == "data root":
        folder.mkdir()
        (folder / "census.csv").write_text("a,b")
        args += ["--data-root", folder]
    if place == "outputs.dir":
        raw = yaml.safe_load(plan.read_text())
        raw["outputs"]["dir"] = ".."
        plan.write_text(yaml.safe_dump(raw))
        args = ["run", plan, "--force"]
    else:
        args += ["--out", folder]
    before = snapshot(folder) if folder != Path("/") else {}
    code, output = cli(*args)
    assert code == 2
    says(output, "--out" if place != "outputs.dir" else "outputs.dir", str(folder), what, NEVER, "Fix:")
    if folder != Path("/"):
        assert snapshot(folder) == before


# --- read-only places ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("read_only", ["parent", "folder"])
def test_a_read_only_location_is_refused_before_any_work(plan: Path, read_only: str) -> None:
    """Root ignores permissions: then the CLI runs as the unprivileged user `nobody`, in a folder it may enter."""
    shared = Path(tempfile.mkdtemp(prefix="facility_layout_read_only_"))
    try:
        shared.chmod(0o755)
        scenario = shared / "plan.yaml"
        scenario.write_text(plan.read_text())
        scenario.chmod(0o644)
        base = shared / "shared"
        base.mkdir(mode=0o777)
        base.chmod(0o555 if read_only == "parent" else 0o777)
        folder = base / "out"
        if read_only == "folder":
            folder.mkdir()
            folder.chmod(0o555)
        drop = None
        if os.geteuid() == 0:

            def drop() -> None:
                os.setgid(65534)
                os.setuid(65534)

        done = subprocess.run(
            [str(EXE), "run", str(scenario), "--out", str(folder)],
            capture_output=True,
            text=True,
            cwd=shared,
            preexec_fn=drop,
            env={**os.environ, "COLUMNS": "300", "FACILITY_LAYOUT_CACHE": str(shared / "cache")},
        )
        assert done.returncode == 2, done.stderr
        says(done.stderr, str(folder), "cannot be written", "Permission denied", "Fix:")
        assert "Traceback" not in done.stderr
        assert "inputs" not in done.stderr  # refused before the first stage
        assert (not folder.exists()) or list(folder.iterdir()) == []
    finally:
        for path in (shared, *shared.rglob("*")):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(shared)


# --- staging folders and the lock ----------------------------------------------------------------------------

HOLD = """
import os, signal, sys, time
from pathlib import Path
from facility_layout.folders import claim_output_folder
from facility_layout.outputs import RUN_NAMES

claim = claim_output_folder(Path(sys.argv[1]), command="run", names=RUN_NAMES, force=False, field="--out", protected=[])
with claim as folder:
    if sys.argv[2] == "die while staging":
        with folder.staging() as staging:
            (staging / "summary.json").write_text("half written")
            os.kill(os.getpid(), signal.SIGKILL)
    print("locked", flush=True)
    time.sleep(120)
"""


def hold(out: Path, how: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", HOLD, str(out), how], stdout=subprocess.PIPE, text=True)


def test_staging_left_by_a_killed_run_is_removed_by_the_next(tmp_path: Path, plan: Path) -> None:
    out = tmp_path / "out"
    killed = hold(out, "die while staging")
    assert killed.wait(timeout=60) == -signal.SIGKILL
    stale = [p for p in tmp_path.iterdir() if p.name.startswith(".out.") and p.name.endswith(".partial")]
    assert len(stale) == 1 and (stale[0] / "summary.json").is_file()
    # A planner's folder that only looks like a staging folder (no marker) is not the tool's.
    lookalike = tmp_path / ".out.abcdefgh.partial"
    lookalike.mkdir()
    (lookalike / "keep.txt").write_text("mine")
    code, output = cli("run", plan, "--out", out)
    assert code == 0, output
    assert not stale[0].exists()
    assert (lookalike / "keep.txt").read_text() == "mine"
    assert leftovers(tmp_path) == [lookalike.name]


def test_a_second_run_into_a_locked_folder_fails_at_once(tmp_path: Path, plan: Path) -> None:
    out = tmp_path / "out"
    first = hold(out, "hold")
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "locked"
        code, output = cli("run", plan, "--out", out)
        assert code == 2
        says(output, str(out), f"another facility-layout run (process {first.pid})", "wait for that run to end")
        assert not out.exists()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # The kernel released the killed run's lock: the next run is not blocked.
    code, output = cli("run", plan, "--out", out)
    assert code == 0, output
    assert leftovers(tmp_path) == []


def test_the_lock_is_held_by_one_claim_at_a_time(tmp_path: Path) -> None:
    def claim() -> object:
        return claim_output_folder(
            tmp_path / "out", command="run", names=RUN_NAMES, force=False, field="--out", protected=[]
        )

    with claim(), pytest.raises(InputError, match="another facility-layout run"), claim():
        pass
    with claim():
        pass
    assert leftovers(tmp_path) == []


def test_sigterm_during_a_run_leaves_nothing_behind(tmp_path: Path, plan: Path) -> None:
    out = tmp_path / "out"
    run = subprocess.Popen([str(EXE), "run", str(plan), "--out", str(out)], stderr=subprocess.PIPE, text=True)
    assert run.stderr is not None
    for line in run.stderr:  # the first stage has ended: the folder is claimed and locked
        if "inputs" in line and "✓" in line:
            break
    run.send_signal(signal.SIGTERM)
    assert run.wait(timeout=60) == 128 + signal.SIGTERM
    assert not out.exists()
    assert leftovers(tmp_path) == []


# --- solver processes ----------------------------------------------------------------------------------------

# A market split problem (Cornuéjols & Dawande): tiny, and far beyond CBC's reach in minutes.
HARD_SOLVE = """
import random, sys
import pulp
from facility_layout.cli import _ending_cleanly_on_sigterm
from facility_layout.solve import MilpBuilder, solve_milp, solve_problem

rng = random.Random(3)
m, n = 6, 60
a = [[rng.randrange(100) for _ in range(n)] for _ in range(m)]
targets = [sum(row) // 2 for row in a]


def solve_pulp():
    problem = pulp.LpProblem("market_split", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(n)]
    over = [pulp.LpVariable(f"over{i}", lowBound=0) for i in range(m)]
    under = [pulp.LpVariable(f"under{i}", lowBound=0) for i in range(m)]
    problem += pulp.lpSum(over) + pulp.lpSum(under)
    for i in range(m):
        problem += pulp.lpSum(a[i][j] * x[j] for j in range(n)) + over[i] - under[i] == targets[i]
    solve_problem(problem, "cbc", 600, 0.0)


def solve_matrix():
    builder = MilpBuilder()
    x = builder.add_columns(n, upper=1.0, integer=True)
    over = builder.add_columns(m, cost=1.0)
    under = builder.add_columns(m, cost=1.0)
    rows = [i for i in range(m) for _ in range(n + 2)]
    columns = [c for i in range(m) for c in [*x, over[i], under[i]]]
    values = [v for i in range(m) for v in [*a[i], 1.0, -1.0]]
    builder.add_rows(rows, columns, values, targets, targets)
    solve_milp(builder.build(), "cbc", 600, 0.0)


with _ending_cleanly_on_sigterm():  # as the CLI's run and compare commands do
    solve_pulp() if sys.argv[1] == "pulp" else solve_matrix()
"""


def solver_processes(folder: Path) -> list[int]:
    """Processes whose command line names ``folder`` (CBC reading its model from there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if str(folder).encode() in command and b"-solve" in command:
                found.append(int(entry.name))
    return found


def wait_for(condition: Callable[[], object], seconds: float = 60.0) -> object:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds CBC through /proc")
@pytest.mark.parametrize("way", ["pulp", "matrix"])
@pytest.mark.parametrize("kill", [signal.SIGTERM, signal.SIGKILL])
def test_cbc_ends_with_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str, kill: signal.Signals) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    parent = subprocess.Popen([sys.executable, "-c", HARD_SOLVE, way], env=env, stderr=subprocess.PIPE)
    try:
        cbc = wait_for(lambda: solver_processes(temp))
        assert cbc, "CBC did not start"
        time.sleep(0.5)  # CBC is searching
        assert solver_processes(temp) == cbc
        parent.send_signal(kill)
        assert parent.wait(timeout=30) in (128 + kill, -kill)
    finally:
        parent.kill()
    assert wait_for(lambda: not solver_processes(temp), 10), "CBC outlived the run"
    folders = [p.name for p in temp.iterdir() if p.name.startswith(SOLVER_FOLDER_PREFIX)]
    if kill == signal.SIGTERM:
        assert folders == [], "the solve's files outlived the run"
        assert b"Traceback" not in parent.stderr.read()
    else:  # nothing runs in a process killed outright: its folder goes with the next solve
        assert len(folders) == 1
        monkeypatch.setattr("tempfile.tempdir", str(temp))
        remove_orphaned_solver_folders()
        assert list(temp.iterdir()) == []


# --- CSV cells ----------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_csv_text_cells_never_start_a_formula(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "name": [*FORMULAS, "Mwali = good", "plain", None],
            "minutes": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, -8.0, 9.0],
            "=count": [1, -2, 3, 4, 5, 6, 7, 8, -9],
        }
    )
    write_csv(frame, tmp_path / "t.csv")
    with open(tmp_path / "t.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["name", "minutes", "'=count"]
    assert [r[0] for r in rows[1:]] == [*("'" + f for f in FORMULAS), "Mwali = good", "plain", ""]
    assert [float(r[1]) for r in rows[1:]] == frame["minutes"].tolist()  # numbers untouched, minus signs too
    assert [int(r[2]) for r in rows[1:]] == frame["=count"].tolist()


def test_facility_names_in_a_runs_csv_cannot_run(tmp_path: Path, small_county: Path) -> None:
    region = tmp_path / "county"
    region.mkdir()
    for source in small_county.iterdir():
        (region / source.name).write_bytes(source.read_bytes())
    facilities = json.loads((region / "facilities.geojson").read_text())
    for feature, name in zip(facilities["features"], FORMULAS, strict=False):
        feature["properties"]["name"] = name
    (region / "facilities.geojson").write_text(json.dumps(facilities))
    plan = scenario_on_region(region, tmp_path / "plan.yaml", tmp_path / "out")
    code, output = cli("run", plan)
    assert code == 0, output
    table = pd.read_csv(tmp_path / "out" / "facilities.csv", keep_default_na=False)
    names = set(table["name"])
    assert {"'" + f for f in FORMULAS} <= names
    assert not any(str(n).startswith(("=", "+", "-", "@", "\t", "\r")) for n in names)
    assert pd.api.types.is_float_dtype(table["x"]) and pd.api.types.is_float_dtype(table["population_served"])


def test_ids_neutralised_in_facilities_csv_read_back_by_evaluate(tmp_path: Path, small_county: Path) -> None:
    """A facility id that would start a formula is written with an apostrophe; the unedited facilities.csv
    given back to `evaluate` still names the same sites and reproduces the run's figures."""
    region = tmp_path / "county"
    region.mkdir()
    for source in small_county.iterdir():
        (region / source.name).write_bytes(source.read_bytes())
    facilities = json.loads((region / "facilities.geojson").read_text())
    for feature in facilities["features"]:
        feature["properties"]["facility_id"] = "=" + str(feature["properties"]["facility_id"])
    (region / "facilities.geojson").write_text(json.dumps(facilities))
    plan = scenario_on_region(region, tmp_path / "plan.yaml", tmp_path / "out")
    code, output = cli("run", plan)
    assert code == 0, output
    table = pd.read_csv(tmp_path / "out" / "facilities.csv", keep_default_na=False)
    existing = table[table["origin"] == "existing"]
    assert len(existing) and existing["site_id"].str.startswith("'=").all()
    code, output = cli("evaluate", plan, "--layout", tmp_path / "out" / "facilities.csv", "--out", tmp_path / "eval")
    assert code == 0, output
    run = json.loads((tmp_path / "out" / "summary.json").read_text())
    given = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert given["population_covered"] == run["population_covered"] and given["cost"] == run["cost"]


# --- the comparison's folder ------------------------------------------------------------------------------------


def test_a_comparison_follows_the_same_rules(tmp_path: Path, plan: Path) -> None:
    rainy = plan.parent / "=rainy.yaml"  # its name appears in the comparison's CSVs
    rainy.write_text(yaml.safe_dump({"extends": plan.name, "travel": {"conditions": ["rainy_season"]}}))
    out = tmp_path / "comparison"
    out.mkdir()
    mine = planner_files(out)
    before = snapshot(out)
    code, output = cli("compare", plan, rainy, "--out", out)
    assert code == 2
    says(output, str(out), "facility-layout did not write", "--force")
    assert snapshot(out) == before
    code, output = cli("compare", plan, rainy, "--out", out, "--force")
    assert code == 0, output
    assert all(snapshot(out)[name] == content for name, content in mine.items() if name != "summary.json")
    with open(out / "headline.csv", newline="", encoding="utf-8") as f:
        assert [row["scenario"] for row in csv.DictReader(f)] == ["plan", "'=rainy"]
    with open(out / "cumulative_minutes.csv", newline="", encoding="utf-8") as f:
        assert "'=rainy: village_clinic" in next(csv.reader(f))
    # The planner adds a note inside a layout's folder: the next comparison keeps it, no --force needed.
    (out / "plan" / "call the county.txt").write_text("Tuesday")
    code, output = cli("compare", plan, rainy, "--out", out)
    assert code == 0, output
    assert (out / "plan" / "call the county.txt").read_text() == "Tuesday"
    says(output, "plan/call the county.txt", "notes.txt")
    assert json.loads((out / "plan" / MARKER).read_text())["files"] == sorted(RASTER_RUN_FILES)
    assert leftovers(tmp_path) == []


# --- any folder layout ---------------------------------------------------------------------------------------

PLACES = ["a.txt", "out/a.txt", "out/summary.json", "out/map.html", "out/sub/b.txt", "out/sub/map.html", "c/d.txt"]
PLACES += [".out.abcdefgh.partial/e.txt", "out/.facility-layout-output", "out.txt"]
TARGETS = ["out", "out/sub", "c", "new", "out.txt", ".", "new/deeper"]
EARLIER = ["out", "out/sub", "new"]


def write_run(folder: Path, force: bool, protected: list[tuple[str, Path]]) -> None:
    """A run's output files, written as :func:`facility_layout.outputs.write_outputs` writes them (staged, then
    moved in), only smaller: the rules under test are the folder's, not the files' formats."""
    claim = claim_output_folder(folder, command="run", names=RUN_NAMES, force=force, field="--out", protected=protected)
    with claim as checked, checked.staging() as staging:
        for name in RUN_FILES:
            (staging / name).write_text(f"the tool's {name}")


@settings(deadline=None)
@given(
    files=st.dictionaries(st.sampled_from(PLACES), st.binary(min_size=1, max_size=8), max_size=6),
    earlier=st.sampled_from([None, *EARLIER]),
    target=st.sampled_from(TARGETS),
    force=st.booleans(),
)
def test_no_folder_layout_loses_a_file_the_tool_did_not_write(
    tmp_path_factory: pytest.TempPathFactory, files: dict, earlier: str | None, target: str, force: bool
) -> None:
    base = tmp_path_factory.mktemp("layout")
    protected = [("the scenario file", base / "c" / "d.txt")]  # c/ and the base hold it

    def write(where: str, force: bool) -> None:
        write_run(base / where, force, protected)

    if earlier is not None and not (base / earlier).exists():
        write(earlier, False)  # an earlier output of the tool, the planner's files added around and in it
    tool_before = snapshot(base)
    for place, content in files.items():
        path = base / place
        if any(parent.is_file() for parent in path.parents) or path.is_dir():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    theirs = {k: v for k, v in snapshot(base).items() if k not in tool_before}  # over a tool's file: still the tool's
    before = snapshot(base)
    try:
        write(target, force)
    except InputError:
        assert snapshot(base) == before  # refused: nothing at all changed
        return
    after = snapshot(base)
    replaceable = {f"{target}/{name}".removeprefix("./") for name in [*RUN_FILES, MARKER]} if force else set()
    for name, content in theirs.items():
        if name not in replaceable:
            assert after.get(name) == content, name
    assert json.loads(after[f"{target}/{MARKER}".removeprefix("./")])["files"] == sorted(RUN_FILES)
    assert not [p for p in base.rglob("*") if p.name.endswith(".lock")]
    assert not [p for p in base.rglob("*.partial") if (p / MARKER).exists()]


def test_generate_replaces_only_a_generated_region(tmp_path: Path) -> None:
    region = tmp_path / "region"
    region.mkdir()
    (region / "boundary.geojson").write_text("my county's boundary")
    (region / "notes.txt").write_text("my notes")
    size = ["--width-km", "4", "--height-km", "4", "--population-total", "1000"]
    code, output = cli("generate", region, *size)
    assert code == 2
    says(output, str(region), "boundary.geojson", "the generator did not write", "--force")
    assert snapshot(region) == {"boundary.geojson": b"my county's boundary", "notes.txt": b"my notes"}
    code, output = cli("generate", region, *size, "--force")
    assert code == 0, output
    assert (region / "boundary.geojson").read_text() != "my county's boundary"
    code, output = cli("generate", region, *size, "--seed", "8")  # an earlier generated region: replaced
    assert code == 0, output
    assert (region / "notes.txt").read_text() == "my notes"


def test_evaluate_never_writes_over_its_layout_file(tmp_path: Path, plan: Path) -> None:
    edited = tmp_path / "edited"
    edited.mkdir()
    layout = edited / "facilities.csv"
    layout.write_text("site_id,decision\n")
    code, output = cli("evaluate", plan, "--layout", layout, "--out", edited, "--force")
    assert code == 2
    says(output, str(edited), "the layout file", NEVER)
    assert snapshot(edited) == {"facilities.csv": b"site_id,decision\n"}
