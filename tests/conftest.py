"""Shared fixtures. Real inputs are read from the shared data root, never copied into the repo."""

from __future__ import annotations

import inspect
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import browser as browsers

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# No per-example deadline: the tests check results, not speed (benchmarks/ measure that), and a busy
# 2-core machine made hypothesis's 200 ms default fail correct code.
settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# A brute-force check on CBC draws the same instances and compares with the same truth as on HiGHS, and the
# model it solves is built by the same code, which the HiGHS examples exercise in full. What CBC's examples
# add is its binding (the MPS file, the command line, the solution and status read back), and each of its
# solves starts a process of its own, about 4 times a HiGHS solve of these tiny models: a third of the
# examples checks that binding.
SOLVERS = ("highs", "cbc")
CBC_SHARE = 3


def on_each_solver(max_examples: int | None = None, **strategies: st.SearchStrategy) -> Callable:
    """Make ``check(solver, **drawn)`` a test per solver, each a hypothesis test drawing ``strategies``:
    ``max_examples`` (else the profile's) on HiGHS, a third of them on CBC; no deadline. Other arguments
    of ``check`` stay pytest's (fixtures, ``parametrize``)."""

    def decorate(check: Callable) -> Callable:
        @pytest.mark.parametrize("solver", SOLVERS)
        def test(solver: str, **pytest_args: object) -> None:
            examples = max_examples or settings.default.max_examples
            if solver == "cbc":
                examples = max(10, examples // CBC_SHARE)
            drawn = given(solver=st.just(solver), **strategies)(check)
            settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])(drawn)(
                **pytest_args
            )

        signature = inspect.signature(check)
        test.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[p for name, p in signature.parameters.items() if name not in strategies]
        )
        test.__name__, test.__qualname__, test.__doc__ = check.__name__, check.__qualname__, check.__doc__
        return test

    return decorate


REPO = Path(__file__).resolve().parents[1]
# The CLI's rich consoles take their width from a COLUMNS set when facility_layout.cli is imported, for good;
# pytest-xdist's worker processes start with COLUMNS=80, which wraps the long temporary paths in what tests
# read from the CLI. Without it, each CliRunner.invoke's own COLUMNS holds.
os.environ.pop("COLUMNS", None)
SHARED_DATA = Path(os.environ.get("FACILITY_LAYOUT_SHARED_DATA", REPO.parent / "shared" / "data")).resolve()


def shared_region(slug: str) -> Path:
    """Folder of a real region under the shared data root; skips the test when it is absent."""
    folder = SHARED_DATA / slug
    if not folder.is_dir():
        pytest.skip(
            f"real input data not found at {folder}: set FACILITY_LAYOUT_SHARED_DATA to the folder that holds "
            f"{slug}/ (it lives in ../shared/data beside the repo)"
        )
    return folder


def shared_orlib() -> Path:
    """The OR-Library p-median folder (pmed1.txt … pmed40.txt, pmedopt.txt) under the shared data root, or skip."""
    folder = SHARED_DATA / "orlib"
    if not (folder / "pmedopt.txt").is_file():
        pytest.skip(
            f"OR-Library p-median data not found at {folder}: set FACILITY_LAYOUT_SHARED_DATA to the folder that "
            "holds orlib/pmed1.txt … pmed40.txt and orlib/pmedopt.txt (it lives in ../shared/data beside the repo)"
        )
    return folder


@pytest.fixture(scope="session")
def orlib() -> Path:
    """The OR-Library p-median folder under the shared data root, or skip."""
    return shared_orlib()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data root (holding mwali_comoros/, ngazidja_comoros/, …), or skip."""
    shared_region("mwali_comoros")
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def travel_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Runs cache travel times in a folder of this test session, never in the user's ~/.cache."""
    from facility_layout.scenario import CACHE_DIR_ENV

    folder = tmp_path_factory.mktemp("travel_cache")
    saved = os.environ.get(CACHE_DIR_ENV)
    os.environ[CACHE_DIR_ENV] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop(CACHE_DIR_ENV, None)
    else:
        os.environ[CACHE_DIR_ENV] = saved


def scenario_on_region(region: Path, path: Path, out_dir: Path, edit=lambda raw: None) -> Path:
    """Write the demo scenario pointed at the generated ``region`` folder (absolute paths, no synthetic
    block), outputs in ``out_dir``, changed by ``edit(raw)``, to ``path``."""
    import yaml

    raw = yaml.safe_load((REPO / "scenarios" / "demo.yaml").read_text())
    raw["region"].pop("synthetic")
    raw["region"]["boundary"] = str(region / "boundary.geojson")
    for key, name in (("roads", "roads.osm"), ("population", "population.tif"), ("elevation", "dem.tif")):
        raw["inputs"][key] = str(region / name)
    raw["inputs"]["facilities"]["file"] = str(region / "facilities.geojson")
    raw["inputs"]["settlements"]["file"] = str(region / "settlements.geojson")
    raw["region"]["admin_areas"]["file"] = str(region / "admin_areas.geojson")
    raw["outputs"]["dir"] = str(out_dir)
    edit(raw)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def small_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated county (10 × 8 km) that scenario tests start from; tests must not change its files."""
    from facility_layout.synthetic import generate_region

    folder = tmp_path_factory.mktemp("data") / "county"
    generate_region(folder, seed=5, width_km=10, height_km=8, population_total=10_000)
    return folder


@dataclass(frozen=True)
class DemoRun:
    """The demo scenario, run once per session: its generated inputs and its outputs."""

    data_root: Path  # holds demo/ (boundary, roads, rasters, facilities, settlements)
    out: Path  # map.html, summary.json, facilities.csv, …


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """``scenarios/demo.yaml`` as the README runs it (the 30 × 24 km generated county, a few seconds), written
    under this session's temporary folder; tests must not change its files."""
    from facility_layout.pipeline import run
    from facility_layout.scenario import load_scenario

    base = tmp_path_factory.mktemp("demo_run")
    result = run(load_scenario(REPO / "scenarios" / "demo.yaml", data_root=base / "data"), out_dir=base / "out")
    return DemoRun(base / "data", result.out_dir)


# --- browser --------------------------------------------------------------------------------------------


def browser_unavailable(reason: str) -> None:
    """Skip a browser test locally, but fail it under CI, which must never pass without running them."""
    if browsers.in_ci():
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs Debian's chromium)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium executable (``$FACILITY_LAYOUT_CHROMIUM``, else ``chromium`` on PATH), or skip (fail in CI)."""
    found = browsers.find_chromium()
    if found is None:
        browser_unavailable(
            f"Chromium not found: install Debian's chromium (apt-get install chromium) or set "
            f"{browsers.CHROMIUM_ENV} to a Chromium executable"
        )
    return found


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Browser]:
    """One headless Chromium for the whole session, driven by Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("Playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        launched = browsers.launch(playwright, chromium)
        yield launched
        launched.close()


@pytest.fixture
def browser_page(browser: Browser) -> Iterator[browsers.BrowserPage]:
    """A fresh page in its own context with the network off, recording blocked requests, console errors
    and uncaught exceptions (``assert_clean()`` checks them)."""
    with browsers.offline_page(browser) as page:
        yield page


# --- a comparison of two layouts (tests/test_compare.py, tests/test_browser_report.py) ---------------------

EVIL_FACILITY = "</script><script>alert(1)</script>"
EVIL_REGION = 'County <b>"bold"</b> & co'
RAINY = "rainy<script>"  # a scenario file name is shown in the report too


@pytest.fixture(scope="session")
def county(small_county: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small county with a township centre whose name tries to break out of the report's script."""
    folder = tmp_path_factory.mktemp("compare") / "county"
    shutil.copytree(small_county, folder)
    facilities = json.loads((folder / "facilities.geojson").read_text())
    facilities["features"][0]["properties"]["name"] = EVIL_FACILITY
    (folder / "facilities.geojson").write_text(json.dumps(facilities))
    return folder


@pytest.fixture(scope="session")
def scenarios(county: Path) -> list[Path]:
    """A baseline on the county and its rainy season as a two-line `extends` file."""
    folder = county.parent / "scenarios"
    folder.mkdir()

    def edit(raw: dict) -> None:
        raw["region"]["name"] = EVIL_REGION

    import yaml

    base = scenario_on_region(county, folder / "baseline.yaml", county.parent / "unused", edit)
    rainy = folder / f"{RAINY}.yaml"
    rainy.write_text(yaml.safe_dump({"extends": "baseline.yaml", "travel": {"conditions": ["rainy_season"]}}))
    return [base, rainy]


@pytest.fixture(scope="session")
def compared(scenarios: list[Path]) -> tuple[Path, str]:
    """The comparison folder, written once through the CLI, and what the CLI printed."""
    from typer.testing import CliRunner

    from facility_layout.cli import app

    out = scenarios[0].parent.parent / "comparison"
    result = CliRunner().invoke(app, ["compare", *map(str, scenarios), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output
