"""What the command line prints about a run: its headline table today → proposed, the lines that explain
it (who cannot be covered, referral violations, road pieces, travel modes and cache) and its warnings.

Names, paths and messages come from the planner's files, so the consoles print text literally: rich markup
(``[bold]``) and emoji codes (``:smile:``) are off, and styles are given as ``style=``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.table import Table

from facility_layout.errors import in_words
from facility_layout.i18n import Translator, field_of

# Progress, warnings and errors go to stderr; tables and results to stdout.
console = Console(stderr=True, markup=False, emoji=False)
out = Console(markup=False, emoji=False)


def print_summary(summary: dict, out_dir: Path, _: Translator) -> None:
    """The run's headline as a table, in ``_``'s language (figures formatted alike in every language)."""
    solver = summary["solver"]
    table = Table(title=f"{summary['scenario']}", show_header=False, title_justify="left")
    total = summary["population_total"] or 1.0
    today = summary["today"]
    for tier, label in (
        ("village_clinic", "within the village clinic standard"),
        ("township_centre", "within the township centre standard"),
    ):
        covered, before = summary["population_covered"][tier], today["population_covered"][tier]
        minutes = summary["travel_minutes"][tier]
        table.add_row(
            _(label),
            _(
                "today {before} ({before_share} %) → {covered} of {total} people ({covered_share} %); minutes mean "
                "{mean_before} → {mean}, p95 {p95}, max {max}",
                before=f"{before:,.0f}",
                before_share=f"{100 * before / total:.1f}",
                covered=f"{covered:,.0f}",
                total=f"{total:,.0f}",
                covered_share=f"{100 * covered / total:.1f}",
                mean_before=today["travel_minutes"][tier]["mean"],
                mean=minutes["mean"],
                p95=minutes["p95"],
                max=minutes["max"],
            ),
        )
    table.add_row(_("cannot be covered"), _uncoverable_line(summary, _))
    for future in summary["futures"]:
        minutes = future["clinic_minutes"]
        table.add_row(
            _("future: {name}", name=future["name"]),
            _(
                "{covered} of {population} within the clinic standard, {uncovered} beyond, {uncoverable} "
                "uncoverable; minutes mean {mean}, p95 {p95}, max {max}",
                covered=f"{future['covered']:,.0f}",
                population=f"{future['population']:,.0f}",
                uncovered=f"{future['uncovered']:,.0f}",
                uncoverable=f"{future['uncoverable']:,.0f}",
                mean=minutes["mean"],
                p95=minutes["p95"],
                max=minutes["max"],
            ),
        )
    table.add_row(_("travel"), _travel_line(summary["travel"], _))
    if summary["road_graph"]["piece_count"] > 1:
        table.add_row(_("road network"), _pieces_line(summary["road_graph"], _))
    cut = summary["travel"]["cut_off"]
    access = summary["access"]
    if cut["cells"]:
        places = ", ".join(cut["places"][:8]) + (" …" if len(cut["places"]) > 8 else "")
        reach = access["computed_up_to_minutes"]
        table.add_row(
            _("no facility within reach"),
            _(
                "{people} people reach no open clinic within {clinic} min nor township centre within {centre} min, "
                "near {places}",
                people=f"{cut['population']:,.0f}",
                clinic=f"{reach['village_clinic']:g}",
                centre=f"{reach['township_centre']:g}",
                places=places or _("no named place"),
            ),
        )
    if access["losing_access"] is not None:
        lost = access["losing_access"]
        table.add_row(
            _("losing access to the conditions"),
            _(
                "{clinic} people lose their clinic within the standard, {centre} their township centre (within it "
                "without the conditions)",
                clinic=f"{lost['village_clinic']:,.0f}",
                centre=f"{lost['township_centre']:,.0f}",
            ),
        )
    if access["headline"]:
        table.add_row(_("beyond every possible site"), access["headline"])
    if summary["referral_violations"]:
        table.add_row(_("referral limit not met"), _violations_line(summary, out_dir, _))
    clinics = summary["facilities"]["village_clinic"]
    centres = summary["facilities"]["township_centre"]
    table.add_row(
        _("decisions"),
        _(
            "clinics kept {kept}, closed {closed}, built {built}; centres upgraded {upgraded}, kept {centres_kept}",
            kept=clinics["keep"],
            closed=clinics["close"],
            built=clinics["build"],
            upgraded=centres["upgrade"],
            centres_kept=centres["keep"],
        ),
    )
    table.add_row(_("cost"), _("today {before} → {after}", before=f"{today['cost']:g}", after=f"{summary['cost']:g}"))
    for rule in summary.get("rules_broken", []):
        table.add_row(_("breaks {rule}", rule=rule["rule"].replace("_", " ")), rule["words"])
    if "layout_file" in summary:
        table.add_row(_("layout"), _("given in {file}: evaluated, not optimised", file=summary["layout_file"]))
    else:
        gap = _("unknown") if solver["gap"] is None else f"{solver['gap']:.2%}"
        unproven = ", ".join(
            f"{name.replace('_', ' ')} {_(stage['status'])}"
            for name, stage in solver.get("stages", {}).items()
            if not stage["proven_optimal"]
        )
        proven = (
            _("proven optimal")
            if solver["proven_optimal"]
            else _("NOT proven optimal (gap {gap}; {unproven})", gap=gap, unproven=unproven)
        )
        table.add_row(
            _("solver"),
            _(
                "{name}: {status}, {proven}, cost {cost}",
                name=solver["name"],
                status=_(solver["status"]),
                proven=proven,
                cost=summary["cost"],
            ),
        )
    out.print(table)
    out.print(_("outputs: {folder}  (open {page})", folder=out_dir, page=out_dir / "map.html"))


def _uncoverable_line(summary: dict, _: Translator) -> str:
    """'N people: A with no possible site within the standard, B dispersed (cells below M people)'."""
    split = summary.get("uncoverable")
    line = _("{people} people", people=f"{summary['population_uncoverable']:,.0f}")
    if not split or not summary["population_uncoverable"]:
        return line
    line += _(": {people} with no possible site within the standard", people=f"{split['no_possible_site']:,.0f}")
    if split["dispersed_below_people"] is not None:
        line += _(
            ", {people} dispersed (cells below {below} people)",
            people=f"{split['dispersed']:,.0f}",
            below=f"{split['dispersed_below_people']:g}",
        )
    return line


def _violations_line(summary: dict, out_dir: Path, _: Translator, shown: int = 5) -> str:
    """The open clinics without a township centre within the referral limit: count and the first few."""
    ids = summary["referral_violations"]
    names: dict[str, str] = {}
    table = out_dir / "facilities.csv"
    if table.is_file():
        # Headers in the run's language ("站点编号") and maybe a byte-order mark: read back as fields.
        with table.open(encoding="utf-8-sig", newline="") as rows:
            names = {row["site_id"]: row.get("name", "") for row in _rows_by_field(rows)}
    unnamed = _("unnamed")
    clinics = ", ".join(f"{names.get(i) or unnamed} ({i})" for i in ids[:shown]) + (" …" if len(ids) > shown else "")
    limit = summary["standards"]["referral_max_minutes"]
    return _(
        "{count} open clinic(s) with no township centre within {limit} min: {clinics}",
        count=len(ids),
        limit=f"{limit:g}",
        clinics=clinics,
    )


def _rows_by_field(rows) -> Iterator[dict[str, str]]:
    """A CSV's rows keyed by field name, whatever the language of its headers."""
    for row in csv.DictReader(rows):
        yield {field_of(k): v for k, v in row.items()}


def _pieces_line(roads: dict, _: Translator) -> str:
    """The road network's pieces in use, largest first (five at most), and the unused ones."""
    used = "; ".join(
        _(
            "#{piece} {people} people, {sites} candidate sites",
            piece=p["piece"],
            people=f"{p['people']:,.0f}",
            sites=p["sites"],
        )
        for p in roads["pieces"][:5]
    )
    if len(roads["pieces"]) > 5:
        used += _(
            "; {count} more in {file} ({key})",
            count=len(roads["pieces"]) - 5,
            file="summary.json",
            key="road_graph.pieces",
        )
    unused = roads["unused_pieces"]
    if unused["pieces"]:
        used += _(
            "; {pieces} with no people or sites near them ({nodes} nodes)",
            pieces=unused["pieces"],
            nodes=unused["nodes"],
        )
    return _(
        "{count} pieces not joined by any road; travel stays within each. In use: {used}",
        count=roads["piece_count"],
        used=used,
    )


def print_warnings(warnings: list | tuple, _: Translator) -> None:
    """Each warning on stderr in ``_``'s language, printed literally (no rich markup in file names)."""
    for warning in warnings:
        console.print(
            f"{_('warning:')} {in_words(warning, _)}", style="yellow", markup=False, highlight=False, soft_wrap=True
        )


def _travel_line(travel: dict, _: Translator) -> str:
    from facility_layout.travel_settings import MODE_WORDS

    modes = travel["modes"]
    words = {k: _(MODE_WORDS[v]) for k, v in modes.items()}
    line = _(
        "to clinics {clinic}, to township centres {centre}, referrals {referral}",
        clinic=words["village_clinic"],
        centre=words["township_centre"],
        referral=words["referral"],
    )
    if travel["conditions"]:
        closed = sum(travel["closed_road_segments"].values())
        line += _(
            "; conditions: {conditions} ({closed} road segments closed)",
            conditions=", ".join(travel["conditions"]),
            closed=f"{closed:,}",
        )
    return line + _(
        "; travel-time cache: {cache}", cache=_(travel["cache"]) if travel["cache"] in CACHE_WORDS else travel["cache"]
    )


# summary.json ``travel.cache`` codes (message ids).
CACHE_WORDS = ("hit", "miss", "off", "recomputed (unreadable entry)")
