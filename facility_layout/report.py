"""The comparison report: one self-contained HTML page a ministry can decide from.

It holds the tables of :mod:`facility_layout.comparison` (headline, remote people, areas, facility changes), the
cumulative population-vs-minutes curves as inline SVG (:mod:`facility_layout.report_chart`), and two Leaflet maps
side by side with linked pan and zoom, every word in the first scenario's ``outputs.language`` (the catalogue of
:mod:`facility_layout.i18n`) and numbers in its locale's format. Wide tables scroll in their own box on a phone;
a print stylesheet lays the page out for paper. Leaflet is inlined
(:func:`facility_layout.webassets.leaflet_head`) and there is no basemap, so the page opens with no network.

Everything from input data (scenario, facility and area names, reasons) is HTML-escaped here. The map data
travels as JSON in a ``<script type="application/json">`` element with ``<``, ``>`` and ``&`` written as
``\\u`` escapes, so no name can close the element; the page's script reads it with ``JSON.parse``.

Elements tests and readers can find: ``#headline-table`` (a ``<th data-today>`` for today's layout, then a
``<th data-layout>`` per layout), ``#cost-falls`` (layouts cheaper because people left the standard),
``#cross-verdict`` and ``#cross-table`` (a ``tr[data-layout]`` per layout, a ``td[data-conditions]`` per
scenario's conditions),
``#chart-village_clinic`` and ``#chart-township_centre`` (a ``path.curve[data-layout]`` per layout),
``#remote-table``, ``#areas-table``, ``#changes-table`` (a ``tr[data-site-id]`` per changed site),
``#map-0`` and ``#map-1`` (``data-layout`` names the layout; ``window.reportMaps`` holds both maps).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from facility_layout import formatting as fmt
from facility_layout.comparison import (
    NOT_BUILT,
    OUTSIDE_AREAS,
    TIERS,
    TODAY_OBJECTIVE,
    Comparison,
    Layout,
    today_headline,
)
from facility_layout.i18n import Translator, translator
from facility_layout.inputs import VILLAGE_CLINIC, credits
from facility_layout.jsonio import dumps_json
from facility_layout.maps import (
    COORDINATE_DECIMALS,
    FACILITY_SYMBOLS,
    FULL_CIRCLE_QUANTILE,
    SYNTHETIC_BANNER,
    TIER_NAMES,
    WGS84,
    circle_radius_m,
    classify_cells,
    minutes_classes,
)
from facility_layout.report_chart import cumulative_chart
from facility_layout.webassets import leaflet_head

BOUNDARY_SIMPLIFY_M = 20.0  # the boundary is context on the report's maps; a real coastline is 300 kB+ unsimplified
# Message ids of the words the report writes for coded values (decisions, objectives, built-in conditions).
DECISION_WORDS = {
    "keep": "kept",
    "close": "closed",
    "build": "built",
    "upgrade": "upgraded to central",
    NOT_BUILT: "not built",
}
OBJECTIVE_WORDS = {
    "min_cost": "least cost serving everyone within the standards",
    "max_coverage": "most people within the standard for the budget",
    "set_cover": "fewest clinics serving everyone within the standard",
    "p_median": "least total travel with a given number of clinics",
    "p_center": "shortest longest trip with a given number of clinics",
}
BUILTIN_CONDITION_WORDS = {"rainy_season": "rainy season"}

CSS = """
body { font: 14px/1.45 "Helvetica Neue", Arial, sans-serif; color: #222; margin: 0 auto; max-width: 1280px;
  padding: 16px 24px 40px; }
h1 { font-size: 22px; margin: 4px 0 6px; }
h2 { font-size: 18px; margin: 28px 0 6px; border-bottom: 1px solid #ccc; padding-bottom: 3px; }
p.note { color: #555; margin: 4px 0 10px; max-width: 900px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid #d5d5d5; padding: 3px 8px; vertical-align: top; }
thead th { background: #f1f3f5; }
tbody th { text-align: left; font-weight: normal; color: #333; }
td.id { white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.reason { font-size: 12px; color: #444; max-width: 320px; }
.ok { background: #e6f4ea; color: #1e5b2e; }
.warn { background: #fdecea; color: #a4161a; font-weight: 700; }
#synthetic-banner { background: #ffcc00; border: 2px solid #000; font-weight: 700; padding: 6px 10px;
  display: inline-block; margin: 6px 0; }
.chart text { font-size: 12px; fill: #333; }
.chart .axis line, .chart .axis path { stroke: #555; }
.chart .grid { stroke: #e4e4e4; }
.table-wrap { overflow-x: auto; max-width: 100%; }
.chart { max-width: 100%; height: auto; }
figure { margin: 12px 0; }
.maps { display: flex; gap: 12px; }
.maps > div { flex: 1; min-width: 0; }
.map { height: 520px; border: 1px solid #999; background: #dfe3e8; }
.legend-row { display: flex; align-items: center; gap: 6px; margin: 2px 0; font-size: 12px; }
.legend-row .count { margin-left: auto; color: #555; }
.fl-symbol { background: none; border: none; }
.fl-symbol svg { filter: drop-shadow(0 0 1px rgba(0, 0, 0, 0.7)); }
/* A phone: tighter margins, maps one above the other, long words break instead of widening the page. */
@media (max-width: 767px) {
  body { padding: 10px 10px 30px; overflow-wrap: anywhere; }
  .maps { flex-direction: column; }
  .map { height: 380px; }
  td.reason { max-width: 220px; }
  /* The row labels keep a readable width and stay in view while the figures scroll sideways. */
  .table-wrap tbody th { min-width: 8em; position: sticky; left: 0; background: #fff; z-index: 1; }
}
/* Paper: no scrolling boxes (every column prints), maps and charts kept whole on a page. */
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .table-wrap { overflow: visible; }
  figure, .maps > div, tr { break-inside: avoid; }
  .map { height: 360px; }
}
"""

# Draws both maps from the embedded data, then links them: a move or zoom of one map sets the other's view.
# `syncing` stops the echo (setView on the other map fires its own moveend, synchronously, without animation);
# a zoom also ends with moveend, so that one event covers panning and zooming.
MAPS_JS = """
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const icons = data.symbols.map((s) => L.divIcon({html: s.svg, className: "fl-symbol", iconSize: [s.size, s.size]}));
  const maps = data.maps.map((layout, side) => {
    // The view first: canvas layers added to a map without one have no pixel bounds to draw in.
    const map = L.map("map-" + side, {preferCanvas: true, zoomSnap: 0.5}).fitBounds(data.bounds);
    L.geoJSON(data.boundary, {interactive: false,
      style: {color: "#222222", weight: 2, fillColor: "#fbfaf5", fillOpacity: 1}}).addTo(map);
    for (const [lat, lon, k, radius] of layout.cells) {
      L.circle([lat, lon], {radius: radius, stroke: false, fillColor: data.classes[layout.classKey][k].colour,
        fillOpacity: 0.85, interactive: false}).addTo(map);
    }
    for (const [lat, lon, k, tooltip, popup] of layout.facilities) {
      L.marker([lat, lon], {icon: icons[k], zIndexOffset: data.symbols[k].z})
        .bindTooltip(tooltip).bindPopup(popup, {maxWidth: 360}).addTo(map);
    }
    return map;
  });
  let syncing = false;
  maps.forEach((map, side) => {
    const other = maps[1 - side];
    map.on("moveend", () => {
      if (syncing) { return; }
      syncing = true;
      other.setView(map.getCenter(), map.getZoom(), {animate: false});
      syncing = false;
    });
  });
  window.reportMaps = maps;
})();
"""


def render_report(comparison: Comparison, path: Path, *, map_pair: tuple[str, str]) -> Path:
    """Write the comparison as one self-contained HTML page, in the first scenario's ``outputs.language``.

    Parameters
    ----------
    comparison : Comparison
        The tables (:func:`facility_layout.comparison.comparison_tables`).
    path : Path
        HTML file to write.
    map_pair : (str, str)
        Names of the two layouts drawn side by side.

    Returns
    -------
    Path
        ``path``.
    """
    layouts = comparison.layouts
    first = layouts[0]
    _ = translator(first.scenario.outputs.language)
    region = first.scenario.region.name
    names = _(", ").join(layout.name for layout in layouts)
    synthetic = bool(first.summary.get("synthetic"))
    banner = f'<div id="synthetic-banner">{_(SYNTHETIC_BANNER)}</div>' if synthetic else ""
    pair = [next(layout for layout in layouts if layout.name == name) for name in map_pair]
    remote = comparison.remote_definition
    body = [
        f"<h1>{_('{region}: comparison of {count} layouts', region=fmt.text(region), count=len(layouts))}</h1>{banner}",
        '<p class="note">'
        + _(
            "Layouts: {names}. Each layout's own outputs ({files}) are in the folder of its name beside this report; "
            "the tables below are also there as CSV files.",
            names=fmt.text(names),
            files="map.html, layout.gpkg, layout.xlsx, brief.pdf, *.csv",
        )
        + "</p>",
        _not_proven_warning(comparison.headline, _),
        _cost_falls_warning(comparison.headline, _),
        f"<h2>{_('Headline figures')}</h2>",
        '<p class="note">'
        + _(
            "The first column is today: every existing clinic and township centre open, nothing upgraded or built, "
            "under the conditions and people of {first}. People lose access to a scenario's conditions when they are "
            "within the standard of an open facility without the conditions and no longer with them (same layout, "
            "same people).",
            first=fmt.text(first.name),
        )
        + "</p>",
        _table_wrap(
            _headline_table(
                pd.concat([pd.DataFrame([today_headline(first)]), comparison.headline], ignore_index=True), _
            )
        ),
        f"<h2>{_('People within each number of minutes')}</h2>",
        '<p class="note">'
        + _(
            "How many people reach their facility within a given number of minutes: a curve higher and further left "
            "serves more people sooner. Each curve ends at the standard, as the runs compute trips only up to it; its "
            "last point is the people within the standard."
        )
        + "</p>",
        *(cumulative_chart(comparison, tier, _) for tier in TIERS),
        f"<h2>{_('Remote villages')}</h2>",
        '<p class="note" id="remote-definition">'
        + _(
            "Remote people are those living in demand cells with no township centre within {standard} minutes (the "
            "village clinic standard) in the first layout, {layout}: {people} people in {cells} cells. Every layout is "
            "measured on these same cells and people, by minutes to its village clinic. Minutes are over the people "
            "who reach a clinic within the standard.",
            standard=_.decimal(remote.standard),
            layout=fmt.text(remote.layout),
            people=_.people(remote.people),
            cells=_.people(remote.cells),
        )
        + "</p>",
        _remote_verdict(comparison.remote, _),
        _table_wrap(_remote_table(comparison.remote, _)),
        f"<h2>{_('By administrative area')}</h2>",
        _areas_table(comparison.admin_areas, layouts, _),
        *_cross_section(comparison, _),
        f"<h2>{_('Facilities whose decision differs')}</h2>",
        _changes_table(comparison.changes, layouts, _),
        f"<h2>{_('Maps: {first} and {second}', first=fmt.text(pair[0].name), second=fmt.text(pair[1].name))}</h2>",
        '<p class="note">'
        + _(
            "Moving or zooming one map moves the other. Cells are coloured by minutes to their village clinic (the "
            "classes of each layout's {file}); click a facility for its decision and the reason.",
            file="map.html",
        )
        + "</p>",
        _maps_html(pair, _),
        _attribution(first, _),
    ]
    data = _map_data(pair, _)
    title = _("{region}: comparison of layouts", region=fmt.text(region))
    page = (
        f'<!DOCTYPE html>\n<html lang="{_.language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n{leaflet_head()}<style>{CSS}</style>\n"
        "</head>\n<body>\n"
        + "\n".join(body)
        + f'\n<script type="application/json" id="report-data">{script_json(data)}</script>'
        + f"\n<script>{MAPS_JS}</script>\n</body>\n</html>\n"
    )
    path.write_text(page, encoding="utf-8")
    return path


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` appears literally, so no text
    in it (``</script>``, ``<!--``) can end the element; ``JSON.parse`` reads the escapes back."""
    text = dumps_json(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- figures ------------------------------------------------------------------------------------------


def _share(part: Any, whole: Any, _: Translator) -> str:
    """'12,345 (67.8%)' people, or only the count when the total is unknown."""
    figure, total = fmt.finite(part), fmt.finite(whole)
    if figure is None:
        return fmt.MISSING
    return f"{_.people(figure)} ({_.percent(figure / total)})" if total else _.people(figure)


def _number(value: Any, _: Translator) -> str:
    figure = fmt.finite(value)
    return fmt.MISSING if figure is None else _.decimal(figure, 2)


def _people(value: Any, _: Translator) -> str:
    figure = fmt.finite(value)
    return fmt.MISSING if figure is None else _.people(figure)


def _minutes(value: Any, _: Translator) -> str:
    figure = fmt.finite(value)
    return fmt.MISSING if figure is None else _.minutes(figure)


def _conditions(names: str, _: Translator) -> str:
    """A run's travel conditions ("rainy_season, flood"): built-in ones in words, a scenario's own by name."""
    if not names:
        return _("none")
    words = [_(BUILTIN_CONDITION_WORDS[n]) if n in BUILTIN_CONDITION_WORDS else n for n in names.split(", ")]
    return fmt.text(_(", ").join(words))


def _table_wrap(table: str) -> str:
    """A wide table scrolls inside its own box on a phone instead of widening the page."""
    return f'<div class="table-wrap">{table}</div>'


# --- tables -------------------------------------------------------------------------------------------


def _not_proven_warning(headline: pd.DataFrame, _: Translator) -> str:
    unproven = headline[~headline["proven_optimal"]]
    if unproven.empty:
        return f'<p class="ok" id="solver-verdict">{_("Every layout is proven optimal by its solver.")}</p>'
    names = "; ".join(
        f"{fmt.text(name)}: {_gap_words(gap, _)}"
        for name, gap in zip(unproven["scenario"], unproven["gap"], strict=True)
    )
    warning = _(
        "NOT proven optimal — {names}. A better layout may exist for these scenarios; raise {key} to close the gap "
        "before deciding on them.",
        names=names,
        key="solver.time_limit_s",
    )
    return f'<p class="warn" id="solver-verdict">{warning}</p>'


def _cost_falls_warning(headline: pd.DataFrame, _: Translator) -> str:
    """Layouts that cost less than the first because their conditions put people beyond every possible site."""
    flagged = headline[headline["cost_falls_as_people_leave_standard"].astype(bool)]
    if flagged.empty:
        return ""
    first = headline.iloc[0]
    words = "; ".join(
        _(
            "{layout} costs {cost} against {first_cost} for {first}, but its conditions put {people} people beyond "
            "every possible site, whom the plan then need not serve",
            layout=fmt.text(r["scenario"]),
            cost=_number(r["cost"], _),
            first_cost=_number(first["cost"], _),
            first=fmt.text(first["scenario"]),
            people=_people(r["beyond_every_site_in_conditions"], _),
        )
        for _row, r in flagged.iterrows()
    )
    warning = _(
        "Cheaper because people left the standard — {layouts}. Compare the plans under the same conditions (the "
        "table of every layout under every scenario's conditions).",
        layouts=words,
    )
    return f'<p class="warn" id="cost-falls">{warning}</p>'


def _cross_section(comparison: Comparison, _: Translator) -> list[str]:
    """Every layout under every scenario's conditions: the answers in words, then the matrix."""
    table = comparison.cross_conditions
    if table is None:
        return []
    names = [layout.name for layout in comparison.layouts]
    head = f"<tr><th>{_('Layout ↓ under the conditions of →')}</th>" + "".join(
        f'<th data-conditions="{fmt.text(n)}">{fmt.text(n)}</th>' for n in names
    )
    by = table.set_index(["layout", "conditions_of"])
    body = []
    for layout in names:
        cells = "".join(_cross_cell(by.loc[(layout, c)], c, _) for c in names)
        body.append(f'<tr data-layout="{fmt.text(layout)}"><th>{fmt.text(layout)}</th>{cells}</tr>')
    verdict = "".join(f"<li>{words}</li>" for words in _cross_words(table, names, _))
    return [
        "<h2>" + _("Every layout under every scenario's conditions") + "</h2>",
        '<p class="note">'
        + _(
            "Each layout (row) measured with the travel times and people of each scenario (column), sites matched by "
            "id; the diagonal is each run's own figures. People lose access when the layout serves them within the "
            "clinic standard under its own conditions and not under these. Also in {file}.",
            file="cross_conditions.csv",
        )
        + "</p>",
        f'<ul id="cross-verdict">{verdict}</ul>',
        _table_wrap(f'<table id="cross-table"><thead>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'),
    ]


def _cross_words(table: pd.DataFrame, names: list[str], _: Translator) -> list[str]:
    """Sentences answering "does the first plan hold under the others' conditions, and what do the others' plans
    give under the first's conditions?" (people within the clinic standard and cost), HTML-escaped."""
    by = table.set_index(["layout", "conditions_of"])
    first = names[0]
    words = []
    for other in names[1:]:
        at_home, away, theirs = by.loc[(first, first)], by.loc[(first, other)], by.loc[(other, other)]
        words.append(
            _(
                "The {first} plan under the conditions of {other}: {away} people within the clinic standard ({home} "
                "under its own), {losing} lose access; {other}'s own plan reaches {theirs} there.",
                first=fmt.text(first),
                other=fmt.text(other),
                away=_.people(away["population_covered_village_clinic"]),
                home=_.people(at_home["population_covered_village_clinic"]),
                losing=_.people(away["people_losing_access"]),
                theirs=_.people(theirs["population_covered_village_clinic"]),
            )
        )
        back = by.loc[(other, first)]
        words.append(
            _(
                "The {other} plan under the conditions of {first}: {back} people within the clinic standard against "
                "{mine} for the {first} plan, for a cost of {back_cost} against {cost}.",
                first=fmt.text(first),
                other=fmt.text(other),
                back=_.people(back["population_covered_village_clinic"]),
                mine=_.people(at_home["population_covered_village_clinic"]),
                back_cost=_number(back["cost"], _),
                cost=_number(at_home["cost"], _),
            )
        )
    return words


def _cross_cell(row: pd.Series, conditions: str, _: Translator) -> str:
    lines = (
        _(
            "{people} within the clinic standard",
            people=_share(row["population_covered_village_clinic"], row["population_total"], _),
        ),
        _("{people} lose access", people=_.people(row["people_losing_access"])),
        _("township centre: {people}", people=_.people(row["population_covered_township_centre"])),
    )
    return f'<td class="num" data-conditions="{fmt.text(conditions)}">{"<br>".join(lines)}</td>'


def _gap_words(gap: Any, _: Translator) -> str:
    number = fmt.finite(gap)
    return _("NOT proven optimal (gap {gap})", gap=fmt.MISSING if number is None else _.percent(number, 2))


def _headline_table(headline: pd.DataFrame, _: Translator) -> str:
    def people_share(tier: str) -> Callable[[pd.Series], str]:
        return lambda r: _share(r[f"{tier}_within_standard"], r["population_total"], _)

    def minutes(tier: str) -> Callable[[pd.Series], str]:
        return lambda r: " · ".join(_minutes(r[f"{tier}_minutes_{k}"], _) for k in ("mean", "p95", "max"))

    rows: list[tuple[str, Callable[[pd.Series], str]]] = [
        (_("Objective"), lambda r: _objective(r["objective"], _)),
        (_("Travel conditions"), lambda r: _conditions(r["conditions"], _)),
        (_("People in the region"), lambda r: _people(r["population_total"], _)),
        (_("Village clinics kept"), lambda r: _people(r["clinics_kept"], _)),
        (_("Village clinics closed"), lambda r: _people(r["clinics_closed"], _)),
        (_("Village clinics built"), lambda r: _people(r["clinics_built"], _)),
        (_("Township centres kept"), lambda r: _people(r["centres_kept"], _)),
        (_("Township centres upgraded to central"), lambda r: _people(r["centres_upgraded"], _)),
        (_("Cost"), lambda r: _number(r["cost"], _)),
    ]
    for tier in TIERS:
        label = _(TIER_NAMES[tier])
        standard = headline[f"{tier}_standard_minutes"]
        same = standard.nunique() == 1
        rows += [
            (
                _("People within {minutes} of a {tier}", minutes=_minutes(standard.iloc[0], _), tier=label)
                if same
                else _("People within the standard of a {tier}", tier=label),
                people_share(tier),
            ),
            (
                _("People beyond the {tier} standard", tier=label),
                lambda r, t=tier: _people(r[f"{t}_beyond_standard"], _),
            ),
            (_("Minutes to the {tier}: mean · 95th percentile · max", tier=label), minutes(tier)),
        ]
        if not same:
            rows.append((_("{tier} standard", tier=label), lambda r, t=tier: _minutes(r[f"{t}_standard_minutes"], _)))
    rows += [
        (
            _("People no possible clinic site reaches within the standard"),
            lambda r: _people(r["uncoverable"], _),
        ),
        (
            _("… of whom the conditions put beyond every possible site"),
            lambda r: _people(r["beyond_every_site_in_conditions"], _),
        ),
        (_no_facility_label(headline, _), lambda r: _people(r["no_facility_reachable"], _)),
        (
            _("People losing their village clinic to the conditions"),
            lambda r: _people(r["losing_access_village_clinic"], _),
        ),
        (
            _("People losing their township centre to the conditions"),
            lambda r: _people(r["losing_access_township_centre"], _),
        ),
        (_("Solver"), lambda r: _solver_cell(r, _)),
    ]
    return _layout_table("headline-table", headline, rows, _)


def _objective(objective: Any, _: Translator) -> str:
    """The objective's name in words; today's column has none."""
    if objective == TODAY_OBJECTIVE:
        return _("none: the existing facilities")
    return _(OBJECTIVE_WORDS[objective]) if objective in OBJECTIVE_WORDS else fmt.text(objective)


def _no_facility_label(headline: pd.DataFrame, _: Translator) -> str:
    """The runs compute trips only up to each tier's limit, so "no facility reachable" is within those minutes."""
    clinic, centre = headline["reach_computed_clinic_minutes"], headline["reach_computed_centre_minutes"]
    if clinic.nunique() == 1 and centre.nunique() == 1:
        return _(
            "People no open facility reaches (no clinic within {clinic}, no township centre within {centre})",
            clinic=_minutes(clinic.iloc[0], _),
            centre=_minutes(centre.iloc[0], _),
        )
    return _("People no open facility reaches (none within the minutes each run computes)")


def _solver_cell(row: pd.Series, _: Translator) -> str:
    if row["solver_status"] == "given":
        return _("existing facilities, not optimised")
    status = f"{fmt.text(row['solver'])} {fmt.text(_(row['solver_status']))}"
    if row["proven_optimal"]:
        return f'<span class="ok">{status}: {_("proven optimal")}</span>'
    return f'<span class="warn">{status}: {_gap_words(row["gap"], _)}</span>'


def _layout_table(
    table_id: str, frame: pd.DataFrame, rows: Sequence[tuple[str, Callable[[pd.Series], str]]], _: Translator
) -> str:
    """Figures as rows, one column per layout (a row of ``frame`` each, by its ``scenario``)."""
    # Today's column (a headline of today's layout, no file) is not a layout of the comparison.
    head = "".join(
        f'<th data-today="{fmt.text(name)}">{_("today")}</th>'
        if file == ""
        else f'<th data-layout="{fmt.text(name)}">{fmt.text(name)}</th>'
        for name, file in zip(frame["scenario"], frame.get("file", pd.Series(["-"] * len(frame))), strict=True)
    )
    body = "".join(
        f"<tr><th>{label}</th>" + "".join(f'<td class="num">{cell(r)}</td>' for _row, r in frame.iterrows()) + "</tr>"
        for label, cell in rows
    )
    return f'<table id="{table_id}"><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>'


def _remote_table(remote: pd.DataFrame, _: Translator) -> str:
    rows: list[tuple[str, Callable[[pd.Series], str]]] = [
        (_("Remote people"), lambda r: _people(r["remote_people"], _)),
        (
            _("Within the village clinic standard"),
            lambda r: _share(r["within_clinic_standard"], r["remote_people"], _),
        ),
        (_("Beyond the standard"), lambda r: _people(r["beyond_clinic_standard"], _)),
        (_("… of whom no possible clinic site can reach"), lambda r: _people(r["uncoverable"], _)),
        (
            _("Minutes to a village clinic: mean · 95th percentile · max"),
            lambda r: " · ".join(_minutes(r[f"clinic_minutes_{k}"], _) for k in ("mean", "p95", "max")),
        ),
    ]
    return _layout_table("remote-table", remote, rows, _)


def _remote_verdict(remote: pd.DataFrame, _: Translator) -> str:
    """Which layout brings most remote people within the standard, in one sentence."""
    within = remote["within_clinic_standard"].to_numpy(dtype=float)
    best = np.flatnonzero(np.isclose(within, within.max(), rtol=0, atol=0.5))
    if len(best) == len(remote):
        words = _("Every layout brings the same remote people within the village clinic standard.")
    else:
        words = _(
            "{layouts} brings the most remote people within the village clinic standard: {people} of {remote}.",
            layouts=fmt.text(_(" and ").join(remote["scenario"].iloc[best])),
            people=_.people(within.max()),
            remote=_.people(remote["remote_people"].iloc[0]),
        )
    return f'<p id="remote-verdict"><strong>{words}</strong></p>'


def _areas_table(areas: pd.DataFrame | None, layouts: list[Layout], _: Translator) -> str:
    if areas is None:
        note = _(
            "The scenario gives no administrative areas. Set {key} ({fields}) to a polygon file to get a row per "
            "area here.",
            key="region.admin_areas",
            fields="file, name_field",
        )
        return f'<p class="note" id="areas-none">{note}</p>'
    names = [layout.name for layout in layouts]
    columns = f"<th>{_('people')}</th><th>{_('within the clinic standard')}</th><th>{_('mean minutes')}</th>"
    head = (
        f'<tr><th rowspan="2">{_("Area")}</th>'
        + "".join(f'<th colspan="3" data-layout="{fmt.text(n)}">{fmt.text(n)}</th>' for n in names)
        + "</tr><tr>"
        + columns * len(names)
        + "</tr>"
    )
    body = []
    for area, rows in areas.groupby("area", sort=False):
        by_layout = rows.set_index("scenario")
        cells = "".join(
            f'<td class="num">{_people(r["people"], _)}</td>'
            f'<td class="num">{_share(r["within_clinic_standard"], r["people"], _)}</td>'
            f'<td class="num">{_minutes(r["clinic_minutes_mean"], _)}</td>'
            for r in (by_layout.loc[n] for n in names)
        )
        shown = _("(outside every area)") if area == OUTSIDE_AREAS else fmt.text(area)
        body.append(f'<tr data-area="{fmt.text(area)}"><th>{shown}</th>{cells}</tr>')
    return _table_wrap(f'<table id="areas-table"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>')


def _changes_table(changes: pd.DataFrame, layouts: list[Layout], _: Translator) -> str:
    names = [layout.name for layout in layouts]
    if changes.empty:
        return f'<p class="note" id="changes-none">{_("Every facility has the same decision in every layout.")}</p>'
    head = (
        f"<tr><th>{_('Site id')}</th><th>{_('Name')}</th><th>{_('Tier')}</th>"
        + "".join(f'<th data-layout="{fmt.text(n)}">{fmt.text(n)}</th>' for n in names)
        + "</tr>"
    )
    body = []
    for _row, row in changes.iterrows():
        cells = "".join(_decision_cell(row, n, _) for n in names)
        tier = _(TIER_NAMES[row["tier"]]) if row["tier"] in TIER_NAMES else fmt.text(row["tier"])
        body.append(
            f'<tr data-site-id="{fmt.text(row["site_id"])}"><td class="id">{fmt.text(row["site_id"])}</td>'
            f"<td>{fmt.text(row['name'])}</td><td>{tier}</td>{cells}</tr>"
        )
    note = _.ngettext(
        "{count} site; the reason is each layout's own, as in its map and {file}.",
        "{count} sites; the reason is each layout's own, as in its map and {file}.",
        len(changes),
        count=_.people(len(changes)),
        file="facilities.csv",
    )
    return f'<p class="note">{note}</p>' + _table_wrap(
        f'<table id="changes-table"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'
    )


def _decision_words(decision: str, merged: str, _: Translator) -> str:
    """A decision in words, with the facility merged into (a name from the data), HTML-escaped."""
    words = _(DECISION_WORDS[decision]) if decision in DECISION_WORDS else fmt.text(decision)
    return _("{decision} (merged into {facility})", decision=words, facility=fmt.text(merged)) if merged else words


def _decision_cell(row: pd.Series, name: str, _: Translator) -> str:
    decision = row[f"decision: {name}"]
    reason = row[f"reason: {name}"]
    return (
        f'<td class="reason" data-layout="{fmt.text(name)}" data-decision="{fmt.text(decision)}">'
        f"<strong>{_decision_words(decision, row[f'merged_into: {name}'], _)}</strong>"
        + (f"<br>{fmt.text(reason)}" if reason else "")
        + "</td>"
    )


# --- maps ---------------------------------------------------------------------------------------------


def _maps_html(pair: list[Layout], _: Translator) -> str:
    sides = []
    for side, layout in enumerate(pair):
        standard = layout.standard(VILLAGE_CLINIC)
        classes = minutes_classes(standard, _=_)
        cell_class = classify_cells(layout.demand, standard)
        people = layout.demand["population"].to_numpy(dtype=float)
        counts = layout.facilities.groupby(["tier", "decision"]).size()
        legend = [
            f'<div class="legend-row" data-legend="minutes:{c.key}"><svg width="14" height="14"><circle cx="7" '
            f'cy="7" r="6" fill="{c.colour}"/></svg><span>{fmt.text(c.label)}</span>'
            f'<span class="count">{_("{people} people", people=_.people(people[cell_class == k].sum()))}</span></div>'
            for k, c in enumerate(classes)
        ] + [
            f'<div class="legend-row" data-legend="facility:{s.tier}:{s.decision}">{s.svg}'
            f"<span>{_(s.label)}</span>"
            f'<span class="count">{int(counts.get((s.tier, s.decision), 0))}</span></div>'
            for s in FACILITY_SYMBOLS
        ]
        sides.append(
            f"<div><h3>{fmt.text(layout.name)}</h3>"
            f'<div id="map-{side}" class="map" data-layout="{fmt.text(layout.name)}"></div>'
            f'<div class="map-legend" id="map-legend-{side}">{"".join(legend)}</div></div>'
        )
    return f'<div class="maps">{"".join(sides)}</div>'


def _map_data(pair: list[Layout], _: Translator) -> dict[str, Any]:
    """What the page's script draws: cells (lat, lon, class, radius in metres), facilities (lat, lon, symbol,
    tooltip, popup), the boundary and the view; coordinates rounded to about 1 m."""
    symbol_index = {(s.tier, s.decision): k for k, s in enumerate(FACILITY_SYMBOLS)}
    boundary = pair[0].boundary
    outline = boundary.simplify(BOUNDARY_SIMPLIFY_M).to_crs(WGS84)
    outline = outline.apply(lambda g: shapely.transform(g, lambda c: np.round(c, COORDINATE_DECIMALS)))
    west, south, east, north = boundary.to_crs(WGS84).total_bounds
    classes: dict[str, list[dict[str, str]]] = {}
    maps = []
    for layout in pair:
        standard = layout.standard(VILLAGE_CLINIC)
        key = f"{standard:g}"
        classes[key] = [{"key": c.key, "colour": c.colour} for c in minutes_classes(standard)]
        cells = layout.demand.to_crs(WGS84)
        cell_class = classify_cells(layout.demand, standard)
        # Sized by people as on map.html, so empty mountain cells do not outweigh the villages.
        people = layout.demand["population"].to_numpy(dtype=float)
        full_circle_people = float(np.nanquantile(people, FULL_CIRCLE_QUANTILE)) if len(people) else 0.0
        radius = np.round(circle_radius_m(layout.demand, people, full_circle_people)).astype(int)
        facilities = layout.facilities.to_crs(WGS84)
        maps.append(
            {
                "name": layout.name,
                "classKey": key,
                "cells": [
                    [round(lat, COORDINATE_DECIMALS), round(lon, COORDINATE_DECIMALS), k, r]
                    for lon, lat, k, r in zip(
                        cells.geometry.x, cells.geometry.y, cell_class.tolist(), radius.tolist(), strict=True
                    )
                ],
                "facilities": [
                    [
                        round(point.y, COORDINATE_DECIMALS),
                        round(point.x, COORDINATE_DECIMALS),
                        symbol_index[(row["tier"], row["decision"])],
                        *_facility_texts(row, _),
                    ]
                    for point, (_index, row) in zip(facilities.geometry, facilities.iterrows(), strict=True)
                ],
            }
        )
    return {
        # Closed clinics go beneath the open facilities they were merged into, which often stand close by.
        "symbols": [
            {"svg": s.svg, "size": s.size, "z": -100 if s.decision == "close" else 0} for s in FACILITY_SYMBOLS
        ],
        "classes": classes,
        "maps": maps,
        "boundary": {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": mapping(g)} for g in outline],
        },
        "bounds": [[round(v, COORDINATE_DECIMALS) for v in corner] for corner in ((south, west), (north, east))],
    }


def _facility_texts(row: pd.Series, _: Translator) -> tuple[str, str]:
    """Tooltip and popup of a facility, HTML-escaped (Leaflet inserts both as markup)."""
    tier = _(TIER_NAMES[row["tier"]]) if row["tier"] in TIER_NAMES else fmt.text(row["tier"])
    decision = _decision_words(row["decision"], row["merged_into"], _)
    tooltip = _("{name} — {tier}, {decision}", name=fmt.text(row["name"]), tier=tier, decision=decision)
    what = _("{tier}, {decision}", tier=tier, decision=decision)
    popup = f"<strong>{fmt.text(row['name'])}</strong><br>{what}<br><em>{fmt.text(row['reason'])}</em>"
    return tooltip, popup


def _attribution(first: Layout, _: Translator) -> str:
    lines = credits(first.scenario, _)
    return f'<p class="note" id="attribution">{" · ".join(fmt.text(line) for line in lines)}</p>' if lines else ""
