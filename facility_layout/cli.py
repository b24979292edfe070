"""Command line: ``facility-layout run | evaluate | validate | compare | generate | fetch | init``.

A thin layer: it parses arguments, shows progress, and turns a :class:`FacilityLayoutError` into a
one-paragraph message and a non-zero exit status (2: bad scenario or input, 3: no layout could be
solved). Any other exception is a bug in facility_layout and keeps its traceback.

Names, paths and messages come from the planner's files, so the consoles print text literally: rich
markup (``[bold]``) and emoji codes (``:smile:``) are off, and styles are given as ``style=``.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

import typer
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from facility_layout.cli_report import console, out, print_summary, print_warnings
from facility_layout.errors import FacilityLayoutError, Message, SolveError, in_words
from facility_layout.i18n import DEFAULT_LANGUAGE, LANGUAGES, VALUE_LABELS, Translator, translator
from facility_layout.usage import (
    ARGUMENTS_KEY,
    COMMAND_KEY,
    COMMAND_LINE_KEY,
    HelpPage,
    NoSuchCommand,
    UsageError,
    language_options,
    usage_message,
)

if TYPE_CHECKING:
    from facility_layout.pipeline import RunResult
    from facility_layout.province import ProvinceResult
    from facility_layout.scenario import Scenario


class _PlannersCommands(TyperGroup):
    """The commands, with click's usage errors (found before a command runs) in the planner's language."""

    def make_context(self, info_name: str | None, args: list[str], parent=None, **extra) -> typer.Context:
        with _usage_in_words(list(args)):
            ctx = super().make_context(info_name, list(args), parent, **extra)
        ctx.meta[COMMAND_LINE_KEY] = list(args)
        return ctx

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> tuple:
        ctx.meta[COMMAND_KEY], ctx.meta[ARGUMENTS_KEY] = args[0], list(args[1:])
        if self.get_command(ctx, args[0]) is None and not args[0].startswith("-"):
            raise NoSuchCommand(args[0], ctx)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: typer.Context) -> object:
        with _usage_in_words(ctx.meta.get(COMMAND_LINE_KEY, []), ctx):
            return super().invoke(ctx)


@contextmanager
def _usage_in_words(argv: list[str], commands: typer.Context | None = None) -> Iterator[None]:
    """A usage error of ``argv`` printed as the tool's errors are (language as :func:`_error_language` finds it
    in ``argv``), with click's exit status 2; the help page shown for no arguments stays as it is."""
    try:
        yield
    except UsageError as error:
        if isinstance(error, HelpPage):
            raise
        language = _error_language(*language_options(argv))
        _print_error(usage_message(error, commands).text(translator(language)), language)
        raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_PlannersCommands,
    add_completion=False,
    no_args_is_help=True,
    help="Where to build, keep, merge or upgrade rural health facilities.",
)

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
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding of the scenario files, e.g. gbk, cp1252, utf-16 (default: detected; see "
        "docs/reliability.md).",
        show_default=False,
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Write into an existing folder facility-layout did not write: only its own output files there are "
        "replaced, every other file is kept.",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        envvar="DASK_SCHEDULER_ADDRESS",
        help="Dask scheduler (e.g. tcp://10.0.0.5:8786) for partitioned scenarios; default a LocalCluster here.",
        show_default=False,
    ),
]
LangOpt = Annotated[
    Literal[LANGUAGES] | None,
    typer.Option(
        "--lang", help="Language of the outputs: en or zh-CN (overrides outputs.language).", show_default=False
    ),
]


def _guarded(
    action: Callable[[], T], lang: str | None = None, scenarios: list[Path] = (), encoding: str | None = None
) -> T:
    """Run ``action``; bad input or an unsolvable scenario ends the program with its message, in the language of
    ``--lang``, else of the first of ``scenarios`` that sets ``outputs.language``, else English."""
    try:
        return action()
    except FacilityLayoutError as exc:
        language = _error_language(lang, scenarios, encoding)
        _print_error(exc.text(translator(language)), language)
        raise typer.Exit(code=3 if isinstance(exc, SolveError) else 2) from None


def _error_language(lang: str | None, scenarios: list[Path], encoding: str | None) -> str:
    """The language of an error: ``--lang``, else the scenarios' ``outputs.language``, else English (an error
    may come before the scenario is read, or be the scenario's own)."""
    from facility_layout.scenario import scenario_language

    if lang in LANGUAGES:
        return lang
    found = (scenario_language(path, encoding) for path in scenarios)
    return next(filter(None, found), DEFAULT_LANGUAGE)


def _print_error(message: str, language: str = DEFAULT_LANGUAGE) -> None:
    """Print an error for the planner; never raises, so the message and the exit status always get out."""
    try:
        prefix = translator(language)("error:")
        console.print(Text.assemble((prefix, "bold red"), " ", message), highlight=False, soft_wrap=True)
    except Exception:  # a broken terminal: the plain message still matters more than colours
        with contextlib.suppress(Exception):  # and if even that fails, the exit status still gets out
            sys.stderr.write(f"error: {message}\n")


def _announce_encodings(loaded: Scenario, _: Translator) -> None:
    """One line per scenario file that was not plain UTF-8: the encoding used and why."""
    for read_as in loaded.read_as:
        if not read_as.plain_utf8:
            console.print(read_as.line().text(_), highlight=False)


class _StageProgress:
    """Shows a spinner while a stage runs and a line with its time when it ends, the stage named in ``_``'s
    language."""

    def __init__(self, _: Translator) -> None:
        self._status = None
        self._ = _

    def __call__(self, stage: str, seconds: float | None) -> None:
        name = self._(stage) if stage in STAGE_NAMES else stage
        if seconds is None:
            self._status = console.status(Text(f"{name} …"))
            self._status.start()
            return
        if self._status is not None:
            self._status.stop()
        console.print(Text.assemble(("✓", "green"), f" {name:<16} {seconds:7.2f} s"), highlight=False)


# The pipeline's stages (message ids), as the progress lines name them.
STAGE_NAMES = (
    "generate region",
    "inputs",
    "road graph",
    "demand",
    "sites",
    "travel times",
    "model",
    "evaluate",
    "outputs",
    "report",
)


@app.command()
def run(
    scenario: ScenarioArg,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (overrides outputs.dir).", show_default=False)
    ] = None,
    data_root: DataRootOpt = None,
    encoding: EncodingOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = None,
    scheduler: SchedulerOpt = None,
) -> None:
    """Run a scenario end to end: travel times, layout, map.html, layout.gpkg, layout.xlsx, brief.pdf, summary.json."""
    from facility_layout.pipeline import run as run_pipeline
    from facility_layout.scenario import load_scenario

    def action() -> None:
        loaded = load_scenario(scenario, data_root, encoding).in_language(lang)
        _ = _announce(loaded, "  ({scenario}, data root {root})", scenario=scenario, root=loaded.data_root)
        if loaded.region.partition is not None:
            _run_partitioned(loaded, out_dir, scheduler, force)
            return
        _report(run_pipeline(loaded, out_dir, progress=_StageProgress(_), force=force), _)

    with _ending_cleanly_on_sigterm():
        _guarded(action, lang, [scenario], encoding)


@app.command()
def evaluate(
    scenario: ScenarioArg,
    layout: Annotated[
        Path,
        typer.Option(
            "--layout", help="CSV with site_id and decision: a run's facilities.csv, edited.", show_default=False
        ),
    ],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (overrides outputs.dir).", show_default=False)
    ] = None,
    data_root: DataRootOpt = None,
    encoding: EncodingOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = None,
) -> None:
    """Evaluate a layout given by hand, without optimising: the outputs of `run`, and every rule it breaks."""
    from facility_layout.pipeline import run as run_pipeline
    from facility_layout.scenario import load_scenario

    def action() -> None:
        loaded = load_scenario(scenario, data_root, encoding).in_language(lang)
        _ = _announce(loaded, "  ({scenario}, layout {layout})", scenario=scenario, layout=layout)
        _report(run_pipeline(loaded, out_dir, progress=_StageProgress(_), layout=layout, force=force), _)

    with _ending_cleanly_on_sigterm():
        _guarded(action, lang, [scenario], encoding)


def _announce(loaded: Scenario, where: str, **values: object) -> Translator:
    """Say how the scenario's files were read and which region runs; the translator of its language."""
    _ = translator(loaded.outputs.language)
    _announce_encodings(loaded, _)
    console.print(Text.assemble((loaded.region.name, "bold"), _(where, **values)), highlight=False)
    return _


def _report(result: RunResult, _: Translator) -> None:
    """A run's (or an evaluated layout's) summary table, the planner's files kept beside it, its warnings."""
    print_summary(result.summary, result.out_dir, _)
    _print_kept(result.kept, result.out_dir, _)
    print_warnings(result.summary.get("warnings", []), _)


class _CountyLines:
    """One line per county as it ends (run and compare of a partitioned region), in ``_``'s language: its
    outcome and the counts of counties finished, waiting or running, and failed."""

    def __init__(self, _: Translator) -> None:
        self._ = _

    def __call__(self, county, outcome, finished, unfinished, failed, total) -> None:
        _ = self._
        status = _(VALUE_LABELS[outcome.status])
        line = (
            _("{status} {county}: {message}", status=status, county=county.name, message=outcome.message)
            if outcome.status == "failed"
            else _(
                "{status} {county} ({seconds} s)", status=status, county=county.name, seconds=f"{outcome.seconds:.1f}"
            )
        )
        counts = _(
            "[{finished}/{total} finished, {unfinished} waiting or running, {failed} failed]",
            finished=finished,
            total=total,
            unfinished=unfinished,
            failed=failed,
        )
        console.print(f"{line}  {counts}", markup=False, highlight=False, soft_wrap=True)


def _run_partitioned(scenario: Scenario, out_dir: Path | None, scheduler: str | None, force: bool) -> None:
    """Run the counties on Dask, one line per county as it ends; exit 2 (bad input) or 3 (no layout) at the
    end if any county failed, after the others' outputs are written."""
    from facility_layout.distributed import exit_error
    from facility_layout.province import run_partitioned

    _ = translator(scenario.outputs.language)
    result = run_partitioned(scenario, out_dir, scheduler, progress=_CountyLines(_), force=force)
    _print_partitioned(result, _)
    error = exit_error(result.outcomes)
    if error is not None:
        _print_error(
            _("counties failed: {counties}", counties=", ".join(result.summary["counties_failed"])), _.language
        )
        raise typer.Exit(code=3 if error is SolveError else 2)


def _print_partitioned(result: ProvinceResult, _: Translator) -> None:
    """A partitioned run's figures, its folder and the planner's files kept in it."""
    figures = result.summary
    total = figures["population_total"] or 1.0
    covered = figures["population_covered"]["village_clinic"]
    counts = figures["counties_count"]
    solver = figures["solver"]
    least = solver["least_proven_county"]
    out.print(
        _(
            "{counties} counties: {done} computed, {reused} reused, {failed} failed. Within the village clinic "
            "standard: {covered} of {total} people ({share}) in the counties that completed; solver: {status}",
            counties=len(figures["counties"]),
            done=counts["done"],
            reused=counts["reused"],
            failed=counts["failed"],
            covered=_.people(covered),
            total=_.people(total),
            share=_.percent(covered / total),
            status=_(solver["status"]),
        )
        + (_(" (least proven county: {county})", county=least) if least else ""),
        markup=False,
        highlight=False,
    )
    out.print(
        _("outputs: {folder}  (open {page})", folder=result.out_dir, page=result.out_dir / "index.html"),
        markup=False,
        highlight=False,
    )
    _print_kept(result.kept, result.out_dir, _)


@app.command()
def validate(
    scenario: ScenarioArg, data_root: DataRootOpt = None, encoding: EncodingOpt = None, lang: LangOpt = None
) -> None:
    """Check a scenario and that its inputs exist, are readable and overlap, without solving."""
    from facility_layout.inputs import is_synthetic, read_region
    from facility_layout.scenario import load_scenario
    from facility_layout.settings_base import source_file
    from facility_layout.solve import ensure_solver_available

    def action() -> None:
        loaded = load_scenario(scenario, data_root, encoding).in_language(lang)
        _ = translator(loaded.outputs.language)
        _announce_encodings(loaded, _)
        ensure_solver_available(loaded.solver.name)
        missing = [k for k, p in loaded.input_files().items() if not p.is_file()]
        if loaded.region.synthetic is not None and missing:
            folder = source_file(loaded.region.boundary).parent
            out.print(
                _(
                    "{scenario}: valid; the synthetic region will be generated in {folder}",
                    scenario=scenario,
                    folder=folder,
                )
            )
            return
        region = read_region(loaded)
        print_warnings(region.warnings, _)
        tiers = ", ".join(
            f"{_(VALUE_LABELS[tier]) if tier in VALUE_LABELS else tier} {count}"
            for tier, count in region.facilities["tier"].value_counts().items()
        )
        line = _(
            "{scenario}: valid. CRS {crs}, {nodes} road nodes, facilities: {tiers}, {settlements} settlements",
            scenario=scenario,
            crs=region.crs.to_string(),
            nodes=f"{region.roads.n_nodes:,}",
            tiers=tiers,
            settlements=len(region.settlements),
        )
        if region.villages is not None:
            line += _(
                ", {villages} census villages ({people} people)",
                villages=len(region.villages),
                people=f"{region.villages['people'].sum():,.0f}",
            )
        out.print(line + (_(", synthetic region") if is_synthetic(loaded) else ""))

    _guarded(action, lang, [scenario], encoding)


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
    scheduler: SchedulerOpt = None,
    encoding: EncodingOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = None,
) -> None:
    """Run each scenario and compare the layouts: report.html, the tables as CSV, and each layout's outputs."""
    from facility_layout.compare import compare as compare_layouts
    from facility_layout.comparison import today_headline

    def announce(position: int, count: int, name: str, loaded: Scenario) -> None:
        _announce_encodings(loaded, translator(loaded.outputs.language))
        console.print(Text.assemble((f"{position}/{count} {name}", "bold"), f"  ({loaded.source})"), highlight=False)

    def action() -> None:
        comparison = compare_layouts(
            scenarios,
            out_dir,
            data_root=data_root,
            map_pair=maps,
            progress=_StageProgress(translator(_error_language(lang, scenarios, encoding))),
            on_scenario=announce,
            scheduler=scheduler,
            encoding=encoding,
            force=force,
            language=lang,
            county_progress=_CountyLines(translator(_error_language(lang, scenarios, encoding))),
        )
        _ = translator(comparison.layouts[0].scenario.outputs.language)
        table = Table(title=_("comparison"), title_justify="left")
        for column in ("layout", "clinic standard met", "beyond it", "cost", "solver"):
            table.add_column(_(column))
        today = today_headline(comparison.layouts[0])
        table.add_row(
            _("today (conditions of {layout})", layout=comparison.layouts[0].name),
            f"{today['village_clinic_within_standard']:,.0f} ({today['village_clinic_within_standard_share']:.1%})",
            f"{today['village_clinic_beyond_standard']:,.0f}",
            f"{today['cost']:g}",
            _("existing facilities, not optimised"),
        )
        for _index, row in comparison.headline.iterrows():
            proven = (
                _("proven optimal") if row["proven_optimal"] else _("NOT proven optimal (gap {gap})", gap=row["gap"])
            )
            table.add_row(
                row["scenario"],
                f"{row['village_clinic_within_standard']:,.0f} ({row['village_clinic_within_standard_share']:.1%})",
                f"{row['village_clinic_beyond_standard']:,.0f}",
                f"{row['cost']:g}",
                proven,
            )
        out.print(table)
        out.print(
            _("outputs: {folder}  (open {page})", folder=out_dir.resolve(), page=out_dir.resolve() / "report.html")
        )
        _print_kept(comparison.kept, out_dir.resolve(), _)

    with _ending_cleanly_on_sigterm():
        _guarded(action, lang, scenarios, encoding)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the region into.", show_default=False)],
    seed: int = 7,
    width_km: float = 30.0,
    height_km: float = 24.0,
    population_total: float = 120_000,
    force: Annotated[
        bool, typer.Option("--force", help="Also replace region files of the same names the generator did not write.")
    ] = False,
    lang: LangOpt = None,
) -> None:
    """Generate a synthetic mountainous county in the real input formats (OSM XML, GeoTIFF, GeoJSON)."""
    from facility_layout.synthetic import generate_region

    try:
        region = generate_region(
            out_dir, seed=seed, width_km=width_km, height_km=height_km, population_total=population_total, force=force
        )
    except (ValueError, OSError) as exc:  # the generator's own message (facility_layout.synthetic), or the OS's
        language = _error_language(lang, [], None)
        if isinstance(exc, OSError):
            exc = Message(
                "{folder}: could not write the generated region ({problem}). Fix: give a folder you can write to",
                folder=out_dir,
                problem=exc.strerror or exc,
            )
        _print_error(str(in_words(exc, translator(language))), language)
        raise typer.Exit(code=2) from None
    out.print(
        translator(_error_language(lang, [], None))(
            "generated {folder}: a synthetic county of {km2} km², {people} people, {towns} towns, {villages} "
            "villages, {hamlets} hamlets, {centres} township centres, {clinics} village clinics, {nodes} road nodes",
            folder=region.directory,
            km2=f"{region.county_km2:,.0f}",
            people=f"{region.population_total:,.0f}",
            towns=region.towns,
            villages=region.villages,
            hamlets=region.hamlets,
            centres=region.township_centres,
            clinics=region.village_clinics,
            nodes=f"{region.road_nodes:,}",
        )
    )


@contextmanager
def _ending_cleanly_on_sigterm() -> Iterator[None]:
    """SIGTERM becomes an exit that runs every clean-up on the way out (the solver process ended, temporary
    and staging files removed, the output folder's lock released), as Ctrl-C already does."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_kept(kept: tuple[str, ...], folder: Path, _: Translator) -> None:
    if kept:
        console.print(
            _(
                "kept {count} file(s) in {folder} that facility-layout did not write: {files}",
                count=len(kept),
                folder=folder,
                files=", ".join(kept),
            ),
            markup=False,
            highlight=False,
        )


def _endpoint_option(name: str, service: str) -> object:
    env = f"FACILITY_LAYOUT_{name.upper()}_URL"
    return typer.Option(f"--{name}-url", envvar=env, help=f"{service} URL, e.g. a mirror.", show_default=False)


@app.command()
def fetch(
    out_dir: Annotated[Path, typer.Argument(help="New folder to write the region into.", show_default=False)],
    place: Annotated[str | None, typer.Option(help="Place name to geocode (Nominatim).", show_default=False)] = None,
    bbox: Annotated[str | None, typer.Option(help="W,S,E,N in degrees (WGS 84).", show_default=False)] = None,
    boundary: Annotated[Path | None, typer.Option(help="Polygon file of the area.", show_default=False)] = None,
    country: Annotated[
        str | None, typer.Option(help="ISO 3166-1 alpha-3 code, for WorldPop (e.g. CHN).", show_default=False)
    ] = None,
    year: Annotated[int | None, typer.Option(help="WorldPop year (default: latest).", show_default=False)] = None,
    overpass_url: Annotated[str | None, _endpoint_option("overpass", "Overpass API interpreter")] = None,
    nominatim_url: Annotated[str | None, _endpoint_option("nominatim", "Nominatim search")] = None,
    worldpop_url: Annotated[str | None, _endpoint_option("worldpop", "WorldPop REST API (pop/wpgp)")] = None,
    dem_url: Annotated[str | None, _endpoint_option("dem", "SRTM skadi tiles")] = None,
    cache_dir: Annotated[
        Path | None,
        typer.Option(help="Download cache (default: $FACILITY_LAYOUT_CACHE/downloads).", show_default=False),
    ] = None,
    retries: Annotated[int, typer.Option(min=0, help="Retries per download (back-off doubles each time).")] = 5,
    lang: LangOpt = None,
) -> None:
    """Download a region's roads, settlements, facilities, population and elevation, with a starter scenario."""
    import dataclasses

    from facility_layout.fetch.http import Downloader, FetchError
    from facility_layout.fetch.region import Area, Endpoints, fetch_region
    from facility_layout.scenario import CacheSettings

    def action() -> None:
        given = [o for o, v in (("--place", place), ("--bbox", bbox), ("--boundary", boundary)) if v is not None]
        if len(given) != 1:
            raise FetchError(
                "give exactly one of --place, --bbox, --boundary (given: {given})",
                given=", ".join(given) or Message("none"),
            )
        box = None
        if bbox is not None:
            try:
                box = tuple(float(v) for v in bbox.split(","))
                assert len(box) == 4
            except (ValueError, AssertionError):
                raise FetchError(
                    "--bbox {bbox!r} is not four numbers W,S,E,N. Fix: e.g. 103.9,25.9,104.1,26.1", bbox=bbox
                ) from None
        defaults = Endpoints()
        urls = {"overpass": overpass_url, "nominatim": nominatim_url, "worldpop": worldpop_url, "dem": dem_url}
        endpoints = Endpoints(
            **{
                k: dataclasses.replace(getattr(defaults, k), url=u) if u else getattr(defaults, k)
                for k, u in urls.items()
            }
        )
        downloader = Downloader(
            cache_dir or CacheSettings().folder() / "downloads",
            retries=retries,
            language=_error_language(lang, [], None),
        )
        _ = translator(_error_language(lang, [], None))
        got = fetch_region(out_dir, Area(place, box, boundary), country, year, endpoints, downloader, _)
        kinds = ", ".join(f"{k} ×{n}" for k, n in sorted(got.facilities.items())) or _("no health facility")
        out.print(
            _(
                "fetched {name} into {folder}: {roads} road ways, {settlements} settlements, {kinds}, {people} people "
                "(WorldPop), {tiles} DEM tile(s). Next: check {scenario}, then `facility-layout run {scenario}`",
                name=got.name,
                folder=got.folder,
                roads=f"{got.roads:,}",
                settlements=got.settlements,
                kinds=kinds,
                people=f"{got.population_total:,.0f}",
                tiles=got.dem_tiles,
                scenario=got.folder / "scenario.yaml",
            ),
            highlight=False,
            markup=False,
        )

    _guarded(action, lang)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Folder of your own files (roster, census, boundary, …).")],
    lang: LangOpt = None,
) -> None:
    """Write a commented starter scenario for a folder of your files, saying what it guessed and what is missing."""
    from facility_layout.init_scenario import init_folder

    def action() -> None:
        _ = translator(_error_language(lang, [], None))
        written, guess = init_folder(folder, _)
        for line in guess.report:  # what it guessed, as the starter scenario's comments say it
            out.print(f"  {line}", highlight=False, markup=False)
        if written.name != "scenario.yaml":
            out.print(
                _("scenario.yaml already exists: left as it is; wrote {name} beside it", name=written.name),
                highlight=False,
            )
        todo = _("; still missing: {inputs}", inputs=", ".join(guess.missing)) if guess.missing else ""
        out.print(
            _("wrote {file}: check every GUESS and TODO in it", file=written) + todo, highlight=False, markup=False
        )

    _guarded(action, lang)


def main() -> None:  # pragma: no cover - console entry for `python -m facility_layout.cli`
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
