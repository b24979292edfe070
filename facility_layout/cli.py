"""Command line: ``facility-layout run | validate | compare | generate``.

A thin layer: it parses arguments, shows progress, and turns a :class:`FacilityLayoutError` into a
one-paragraph message and a non-zero exit status (2: bad scenario or input, 3: no layout could be
solved). Any other exception is a bug in facility_layout and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from facility_layout.errors import FacilityLayoutError, SolveError

if TYPE_CHECKING:
    from facility_layout.scenario import Scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Where to build, keep, merge or upgrade rural health facilities.",
)
console = Console(stderr=True)
out = Console()

T = TypeVar("T")

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]
DataRootOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-root",
        envvar="FACILITY_LAYOUT_DATA",
        help="Folder that relative input paths resolve against (default: the repo's data/).",
        show_default=False,
    ),
]


def _guarded(action: Callable[[], T]) -> T:
    """Run ``action``; bad input or an unsolvable scenario ends the program with its message."""
    try:
        return action()
    except FacilityLayoutError as exc:
        console.print(f"[bold red]error:[/bold red] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(code=3 if isinstance(exc, SolveError) else 2) from None


class _StageProgress:
    """Shows a spinner while a stage runs and a line with its time when it ends."""

    def __init__(self) -> None:
        self._status = None

    def __call__(self, stage: str, seconds: float | None) -> None:
        if seconds is None:
            self._status = console.status(f"{stage} …")
            self._status.start()
            return
        if self._status is not None:
            self._status.stop()
        console.print(f"[green]✓[/green] {stage:<16} {seconds:7.2f} s", highlight=False)


@app.command()
def run(
    scenario: ScenarioArg,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (overrides outputs.dir).", show_default=False)
    ] = None,
    data_root: DataRootOpt = None,
) -> None:
    """Run a scenario end to end: travel times, layout, map.html, layout.gpkg, summary.json."""
    from facility_layout.pipeline import run as run_pipeline
    from facility_layout.scenario import load_scenario

    def action() -> None:
        loaded = load_scenario(scenario, data_root)
        console.print(f"[bold]{loaded.region.name}[/bold]  ({scenario}, data root {loaded.data_root})")
        result = run_pipeline(loaded, out_dir, progress=_StageProgress())
        _print_summary(result.summary, result.out_dir)

    _guarded(action)


@app.command()
def validate(scenario: ScenarioArg, data_root: DataRootOpt = None) -> None:
    """Check a scenario and that its inputs exist, are readable and overlap, without solving."""
    from facility_layout.inputs import is_synthetic, read_region
    from facility_layout.scenario import load_scenario
    from facility_layout.solve import ensure_solver_available

    def action() -> None:
        loaded = load_scenario(scenario, data_root)
        ensure_solver_available(loaded.solver.name)
        missing = [k for k, p in loaded.input_files().items() if not p.is_file()]
        if loaded.region.synthetic is not None and missing:
            out.print(f"{scenario}: valid; the synthetic region will be generated in {loaded.region.boundary.parent}")
            return
        region = read_region(loaded)
        tiers = region.facilities["tier"].value_counts().to_dict()
        out.print(
            f"{scenario}: valid. CRS {region.crs.to_string()}, {region.roads.number_of_nodes():,} road nodes, "
            f"facilities {tiers}, {len(region.settlements)} settlements"
            + (", synthetic region" if is_synthetic(loaded) else "")
        )

    _guarded(action)


@app.command()
def compare(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Two or more scenario YAML files of one region.", show_default=False)
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder of the comparison.", show_default=False)],
    data_root: DataRootOpt = None,
    maps: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--maps",
            help="The two layouts drawn side by side (scenario file names), default the first two.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run each scenario and compare the layouts: report.html, the tables as CSV, and each layout's outputs."""
    from facility_layout.compare import compare as compare_layouts

    def announce(position: int, count: int, name: str, loaded: Scenario) -> None:
        console.print(f"[bold]{position}/{count} {name}[/bold]  ({loaded.source})", highlight=False)

    def action() -> None:
        comparison = compare_layouts(
            scenarios, out_dir, data_root=data_root, map_pair=maps, progress=_StageProgress(), on_scenario=announce
        )
        table = Table(title="comparison", title_justify="left")
        for column in ("layout", "clinic standard met", "beyond it", "cost", "solver"):
            table.add_column(column)
        for _, row in comparison.headline.iterrows():
            proven = "proven optimal" if row["proven_optimal"] else f"NOT proven optimal (gap {row['gap']})"
            table.add_row(
                row["scenario"],
                f"{row['village_clinic_within_standard']:,.0f} ({row['village_clinic_within_standard_share']:.1%})",
                f"{row['village_clinic_beyond_standard']:,.0f}",
                f"{row['cost']:g}",
                proven,
            )
        out.print(table)
        out.print(f"outputs: {out_dir.resolve()}  (open {out_dir.resolve() / 'report.html'})")

    _guarded(action)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the region into.", show_default=False)],
    seed: int = 7,
    width_km: float = 30.0,
    height_km: float = 24.0,
    population_total: float = 120_000,
) -> None:
    """Generate a synthetic mountainous county in the real input formats (OSM XML, GeoTIFF, GeoJSON)."""
    from facility_layout.synthetic import generate_region

    try:
        region = generate_region(
            out_dir, seed=seed, width_km=width_km, height_km=height_km, population_total=population_total
        )
    except ValueError as exc:
        console.print(f"[bold red]error:[/bold red] {exc}")
        raise typer.Exit(code=2) from None
    out.print(
        f"generated {region.directory}: a synthetic county of {region.county_km2:,.0f} km², "
        f"{region.population_total:,.0f} people, {region.towns} towns, {region.villages} villages, "
        f"{region.hamlets} hamlets, {region.township_centres} township centres, {region.village_clinics} "
        f"village clinics, {region.road_nodes:,} road nodes"
    )


def _print_summary(summary: dict, out_dir: Path) -> None:
    solver = summary["solver"]
    table = Table(title=f"{summary['scenario']}", show_header=False, title_justify="left")
    total = summary["population_total"] or 1.0
    for tier, label in (("village_clinic", "village clinic"), ("township_centre", "township centre")):
        covered = summary["population_covered"][tier]
        minutes = summary["travel_minutes"][tier]
        table.add_row(
            f"within the {label} standard",
            f"{covered:,.0f} of {total:,.0f} people ({100 * covered / total:.1f} %); minutes mean "
            f"{minutes['mean']}, p95 {minutes['p95']}, max {minutes['max']}",
        )
    table.add_row("cannot be covered", f"{summary['population_uncoverable']:,.0f} people")
    for future in summary["futures"]:
        minutes = future["clinic_minutes"]
        table.add_row(
            f"future: {future['name']}",
            f"{future['covered']:,.0f} of {future['population']:,.0f} within the clinic standard, "
            f"{future['uncovered']:,.0f} beyond, {future['uncoverable']:,.0f} uncoverable; minutes mean "
            f"{minutes['mean']}, p95 {minutes['p95']}, max {minutes['max']}",
        )
    table.add_row("travel", _travel_line(summary["travel"]))
    cut = summary["travel"]["cut_off"]
    if cut["cells"]:
        places = ", ".join(cut["places"][:8]) + (" …" if len(cut["places"]) > 8 else "")
        table.add_row("cut off by closures", f"{cut['population']:,.0f} people, near {places or 'no named place'}")
    clinics = summary["facilities"]["village_clinic"]
    centres = summary["facilities"]["township_centre"]
    table.add_row(
        "decisions",
        f"clinics kept {clinics['keep']}, closed {clinics['close']}, built {clinics['build']}; "
        f"centres upgraded {centres['upgrade']}, kept {centres['keep']}",
    )
    gap = "unknown" if solver["gap"] is None else f"{solver['gap']:.2%}"
    unproven = ", ".join(
        f"{name.replace('_', ' ')} {stage['status']}"
        for name, stage in solver.get("stages", {}).items()
        if not stage["proven_optimal"]
    )
    proven = "proven optimal" if solver["proven_optimal"] else f"NOT proven optimal (gap {gap}; {unproven})"
    table.add_row("solver", f"{solver['name']}: {solver['status']}, {proven}, cost {summary['cost']}")
    out.print(table)
    out.print(f"outputs: {out_dir}  (open {out_dir / 'map.html'})")


def _travel_line(travel: dict) -> str:
    from facility_layout.scenario import MODE_WORDS

    modes = travel["modes"]
    words = {k: MODE_WORDS[v] for k, v in modes.items()}
    line = (
        f"to clinics {words['village_clinic']}, to township centres {words['township_centre']}, "
        f"referrals {words['referral']}"
    )
    if travel["conditions"]:
        closed = sum(travel["closed_road_segments"].values())
        line += f"; conditions: {', '.join(travel['conditions'])} ({closed:,} road segments closed)"
    return line + f"; travel-time cache: {travel['cache']}"


def main() -> None:  # pragma: no cover - console entry for `python -m facility_layout.cli`
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
