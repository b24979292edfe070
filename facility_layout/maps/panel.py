"""The panels over the map: the headline figures, the legend, and the page's style."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np

from facility_layout import formatting as fmt
from facility_layout.i18n import ENGLISH, Translator
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.maps.cells import CellTheme
from facility_layout.maps.classes import CELL_STROKE, TIER_NAMES
from facility_layout.maps.styles import (
    ASSIGNMENT_STYLE,
    BEYOND_AREA_STYLE,
    CATCHMENT_STYLE,
    EXISTING_SYMBOLS,
    FACILITY_SYMBOLS,
    MERGE_STYLE,
    REFERRAL_STYLE,
    RELIEF_SWATCH,
    ROAD_STYLES,
    UNCOVERABLE_AREA_STYLE,
    svg,
)
from facility_layout.palette import BOUNDARY_COLOUR
from facility_layout.relief import ReliefImage
from facility_layout.travel_settings import MODE_WORDS


def headline_panel(title: str, summary: Mapping[str, Any], _: Translator = ENGLISH) -> str:
    """The headline figures of ``summary.json``; with today's figures (``summary["today"]``) beside the
    proposal's as "today → proposed". Collapsible: the title is its button."""
    total = fmt.finite(summary.get("population_total"))
    covered = summary.get("population_covered") or {}
    minutes = summary.get("travel_minutes") or {}
    standards = summary.get("standards") or {}
    facilities = summary.get("facilities") or {}
    clinics = facilities.get(VILLAGE_CLINIC) or {}
    centres = facilities.get(TOWNSHIP_CENTRE) or {}
    today = summary.get("today") or None

    def coverage(tier: str, standard_key: str) -> tuple[str, str]:
        figures = minutes.get(tier) or {}
        spread = " · ".join(f"{_(k)} {fmt.minutes(figures.get(k), _)}" for k in ("mean", "p95", "max"))
        label = _(
            "Within {standard} of a {tier}",
            standard=fmt.minutes(standards.get(standard_key), _),
            tier=_(TIER_NAMES[tier]),
        )
        value = fmt.share(covered.get(tier), total)
        if today is not None:
            before = fmt.share((today.get("population_covered") or {}).get(tier), total)
            value = _today_to_proposed(before, value)
            mean_before = ((today.get("travel_minutes") or {}).get(tier) or {}).get("mean")
            spread += _(" (mean today {minutes})", minutes=fmt.minutes(mean_before, _))
        return f'{label}<span class="fl-note">{spread}</span>', value

    rows = [
        (_("People in the region"), fmt.people(total)),
        coverage(VILLAGE_CLINIC, "village_clinic_max_minutes"),
        coverage(TOWNSHIP_CENTRE, "township_centre_max_minutes"),
        (
            f'{_("Cannot be covered")}<span class="fl-note">{_("no possible site within the clinic standard")}</span>',
            fmt.share(summary.get("population_uncoverable"), total),
        ),
        (
            _("Village clinics"),
            _(
                "{kept} kept · {closed} closed · {built} built",
                kept=fmt.count(clinics.get("keep")),
                closed=fmt.count(clinics.get("close")),
                built=fmt.count(clinics.get("build")),
            ),
        ),
        (
            _("Township centres"),
            _(
                "{kept} kept · {upgraded} upgraded to central",
                kept=fmt.count(centres.get("keep")),
                upgraded=fmt.count(centres.get("upgrade")),
            ),
        ),
    ]
    if today is not None:
        # Today's counts join the decision rows, so that the panel stays short enough to leave the map free.
        before = today.get("facilities") or {}
        for row, tier, word in ((4, VILLAGE_CLINIC, "open"), (5, TOWNSHIP_CENTRE, "central")):
            count = _open_count if tier == VILLAGE_CLINIC else _central_count
            change = _today_to_proposed(count(before.get(tier)), count(facilities.get(tier)))
            rows[row] = (rows[row][0], f"{rows[row][1]} · {_(word)} {change}")
        rows.append((_("Cost"), _today_to_proposed(fmt.number(today.get("cost")), fmt.number(summary.get("cost")))))
    else:
        rows.append((_("Cost"), fmt.number(summary.get("cost"))))
    travel = summary.get("travel") or {}
    if travel.get("modes"):
        words = {tier: _(MODE_WORDS[mode]) if mode in MODE_WORDS else mode for tier, mode in travel["modes"].items()}
        rows.append(
            (
                _("Travel"),
                html.escape(
                    _(
                        "to clinics {clinic} · to centres {centre} · referrals {referral}",
                        clinic=words.get(VILLAGE_CLINIC),
                        centre=words.get(TOWNSHIP_CENTRE),
                        referral=words.get("referral"),
                    )
                ),
            )
        )
    if travel.get("conditions"):
        closed = sum((travel.get("closed_road_segments") or {}).values())
        # Who loses access is measured against the same layout without the conditions (summary.json `access`);
        # a count of people merely snapped to a closed road would overstate it.
        losing = (summary.get("access") or {}).get("losing_access") or {}
        rows.append(
            (
                f'{_("Conditions")}<span class="fl-note">{html.escape(", ".join(travel["conditions"]))}</span>',
                _(
                    "{closed} road segments closed · people losing their clinic within the standard: {clinic}, "
                    "their township centre: {centre}",
                    closed=fmt.count(closed),
                    clinic=fmt.people(losing.get(VILLAGE_CLINIC)),
                    centre=fmt.people(losing.get(TOWNSHIP_CENTRE)),
                ),
            )
        )
        headline = (summary.get("access") or {}).get("headline")
        if headline:
            rows.append((_("Beyond every site"), html.escape(headline)))
    if today is not None:
        rows.insert(1, (f'<span class="fl-note">{_("today → proposed")}</span>', ""))
    return (
        f'<details id="fl-headline" class="fl-panel fl-collapsible" open><summary><h1>{html.escape(title)}</h1>'
        f'</summary><div class="fl-body">{_table(rows)}{_solver_line(summary.get("solver") or {}, _)}</div></details>'
    )


def _today_to_proposed(today: str, proposed: str) -> str:
    return f'<span class="fl-today">{today}</span> → {proposed}'


def _open_count(decisions: Mapping[str, Any] | None) -> str:
    """Facilities of a tier open after the decisions (kept, built or upgraded); a dash if unknown."""
    if not decisions:
        return fmt.MISSING
    return fmt.count(sum(fmt.finite(decisions.get(k)) or 0 for k in ("keep", "build", "upgrade")))


def _central_count(decisions: Mapping[str, Any] | None) -> str:
    """Township centres upgraded to central ones (none today)."""
    return fmt.MISSING if not decisions else fmt.count(fmt.finite(decisions.get("upgrade")) or 0)


# The solver's status codes (summary.json ``solver.status``), as message ids.
SOLVER_STATUSES = ("optimal", "feasible", "no_solution", "infeasible", "unbounded", "error")


def _solver_line(solver: Mapping[str, Any], _: Translator) -> str:
    """Whether the layout is proven optimal, and how far off it might be if not."""
    # The solver's name as it is; its status code (optimal, feasible, …) in the page's language.
    words = [str(solver["name"])] if solver.get("name") else []
    words += [_(solver["status"]) if solver.get("status") in SOLVER_STATUSES else str(solver.get("status") or "")]
    name = " ".join(html.escape(w) for w in words if w)
    proven = solver.get("proven_optimal")
    if proven is True:
        verdict, css = _("proven optimal"), "fl-ok"
    elif proven is False:
        gap = fmt.finite(solver.get("gap"))
        verdict = _("NOT proven optimal (gap {gap})", gap=fmt.MISSING if gap is None else _.percent(gap, 2))
        css = "fl-warn"
    else:
        verdict, css = _("optimality not reported"), "fl-warn"
    return f'<div class="fl-solver {css}">{_("Solver")}{f" ({name})" if name else ""}: {verdict}</div>'


def legend(
    themes: list[CellTheme],
    people: np.ndarray,
    facility_counts: Mapping[tuple[str, str], int],
    full_circle_people: float,
    relief: ReliefImage | None,
    areas: gpd.GeoDataFrame,
    _: Translator = ENGLISH,
    overview: list[tuple[str, str]] | None = None,
) -> str:
    """The legend's sections; ``overview``: the township overview's shades and their meanings, if drawn."""
    facilities = [
        _legend_row(
            f"facility:{s.tier}:{s.decision}", s.svg, _(s.label), fmt.count(facility_counts.get((s.tier, s.decision)))
        )
        for s in FACILITY_SYMBOLS
    ]
    facilities += [_legend_row(f"existing:{tier}", s.svg, _(s.label)) for tier, s in EXISTING_SYMBOLS.items()]
    sections = [f"<h4>{_('Facilities')}</h4>{''.join(facilities)}"]
    for theme in themes:
        rows = [
            _legend_row(
                f"{theme.key}:{c.key}",
                _circle_svg(c.colour),
                c.label,
                f"{fmt.people(people[theme.cell_class == k].sum())}",
            )
            for k, c in enumerate(theme.classes)
        ]
        off = "" if theme.show else _(" (choose it under Layers)")
        note = f'<span class="fl-note">{_(theme.note)}</span>' if theme.note else ""
        # The theme on the map is marked, for print, which shows only its section.
        shown = " fl-theme-shown" if theme.show else ""
        sections.append(
            f'<div class="fl-theme{shown}" data-theme="{theme.key}">'
            f'<h4 data-legend-section="{theme.key}">{_(theme.name.removeprefix("Demand cells: ").capitalize())}'
            f'<span class="fl-note">{_("people per class")}{off}</span></h4>{"".join(rows)}{note}</div>'
        )
    sections.append(
        '<span class="fl-note">'
        + _(
            "Circle area grows with the people in the cell, up to the largest circles at {people} people or more.",
            people=fmt.people(full_circle_people),
        )
        + "</span>"
    )
    area_people = areas.groupby("kind")["population"].sum()
    sections.append(
        f"<h4>{_('Areas')}</h4>"
        + _legend_row(
            "area:beyond",
            _area_svg(BEYOND_AREA_STYLE),
            _("Beyond the clinic standard (no village clinic within it)"),
            fmt.people(area_people.get("beyond", 0.0)),
        )
        + _legend_row(
            "area:uncoverable",
            _area_svg(UNCOVERABLE_AREA_STYLE),
            _("No possible site within the clinic standard"),
            fmt.people(area_people.get("uncoverable", 0.0)),
        )
        + _legend_row("area:catchment", _area_svg(CATCHMENT_STYLE), _("Catchment of a clinic (layer off at start)"))
    )
    lines = [
        _legend_row(
            "line:referral",
            _line_svg(REFERRAL_STYLE["color"], 2.2, REFERRAL_STYLE["dashArray"]),
            _("Referral: village clinic → township centre"),
        ),
        _legend_row(
            "line:merge",
            _line_svg(MERGE_STYLE["color"], 2.4, MERGE_STYLE["dashArray"]),
            _("Merge: closed clinic → the clinic its people use"),
        ),
        _legend_row(
            "line:assignment",
            _line_svg(ASSIGNMENT_STYLE["color"], 1, None),
            _("Assignment: demand cell → its clinic (layer off at start)"),
        ),
        _legend_row("line:boundary", _line_svg(BOUNDARY_COLOUR, 2, None), _("Region boundary")),
    ]
    if overview:
        shades = [
            _legend_row(
                f"overview:{k}", _area_svg({"color": "#4a148c", "fillColor": colour, "fillOpacity": 0.55}), label
            )
            for k, (colour, label) in enumerate(overview)
        ]
        sections.append(
            f"<h4>{_('Townships (overview, zoomed out)')}"
            f'<span class="fl-note">{_("share of people within the village clinic standard")}</span></h4>'
            + "".join(shades)
        )
    sections.append(f"<h4>{_('Lines')}</h4>{''.join(lines)}")
    roads = [
        _legend_row(f"road:{key}", _line_svg(style.colour, style.weight, style.dash), _(style.label))
        for key, style in ROAD_STYLES.items()
    ]
    sections.append(f"<h4>{_('Roads')}</h4>{''.join(roads)}")
    if relief is not None:
        span = _("{low} to {high}", low=fmt.metres(relief.min_m), high=fmt.metres(relief.max_m))
        sections.append(
            f"<h4>{_('Relief')}</h4>"
            + _legend_row(
                "relief",
                RELIEF_SWATCH,
                _("Elevation model, {span}: tinted by height, shaded with light from the north-west", span=span),
            )
        )
    body = "".join(sections)
    return (
        f'<details id="fl-legend" class="fl-collapsible" open><summary>{_("Legend")}</summary>'
        f'<div class="fl-legend-body">{body}</div></details>'
    )


def _legend_row(key: str, swatch: str, label: str, count: str = "") -> str:
    count_html = f'<span class="fl-count">{count}</span>' if count else ""
    return f'<div class="fl-legend-row" data-legend="{key}">{swatch}<span>{label}</span>{count_html}</div>'


def _circle_svg(colour: str) -> str:
    return svg(
        14,
        f'<circle cx="7" cy="7" r="5.5" fill="{colour}" fill-opacity="0.85" '
        f'stroke="{CELL_STROKE}" stroke-width="0.5"/>',
    )


def _area_svg(style: Mapping[str, Any]) -> str:
    dash = f' stroke-dasharray="{style["dashArray"]}"' if style.get("dashArray") else ""
    return svg(
        16,
        f'<rect x="1.5" y="1.5" width="13" height="13" fill="{style["fillColor"]}" '
        f'fill-opacity="{style["fillOpacity"]}" stroke="{style["color"]}" stroke-width="1.5"{dash}/>',
    )


def _line_svg(colour: str, weight: float, dash: str | None) -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<svg width="26" height="10" viewBox="0 0 26 10"><line x1="1" y1="5" x2="25" y2="5" '
        f'stroke="{colour}" stroke-width="{weight}"{dash_attr}/></svg>'
    )


def _table(rows: list[tuple[str, str]]) -> str:
    """Rows of (label, value), both already HTML."""
    return "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"
