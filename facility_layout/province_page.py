"""``index.html`` of a partitioned run: the counties on one offline map, coloured by the share of their people
within the village clinic standard, each linking to its own map, and a table per county, in the scenario's
``outputs.language``. :mod:`facility_layout.province` writes it beside ``counties.csv``."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import geopandas as gpd

from facility_layout import formatting as fmt
from facility_layout.i18n import VALUE_LABELS, Translator, translator
from facility_layout.inputs import VILLAGE_CLINIC
from facility_layout.jsonio import dumps_json
from facility_layout.partition import County
from facility_layout.scenario import Scenario
from facility_layout.webassets import leaflet_head

# The share within the standard that turns a county green, light green, yellow; below it is red.
SHARE_CLASSES = ((0.95, "#1a9850"), (0.85, "#91cf60"), (0.7, "#fee08b"))
BELOW_COLOUR, FAILED_COLOUR = "#d73027", "#999999"

PAGE_JS = """
const counties = JSON.parse(document.getElementById("counties").textContent);
const map = L.map("map");
const layer = L.geoJSON(counties, {
  style: (f) => ({color: "#333", weight: 1, fillColor: f.properties.colour, fillOpacity: 0.6}),
  onEachFeature: (f, l) => {
    const p = f.properties;
    const el = document.createElement("div");
    const name = document.createElement(p.map ? "a" : "b");
    name.textContent = p.name;
    if (p.map) name.href = p.map;
    el.append(name, document.createElement("br"), p.words);
    l.bindPopup(el);
  }
}).addTo(map);
map.fitBounds(layer.getBounds());
"""


def overview_page(scenario: Scenario, counties: Sequence[County], figures: dict[str, Any]) -> str:
    """The page's HTML, from the counties and the merged figures of ``summary.json`` (``counties`` holds one
    entry per county, in the order of ``counties``)."""
    _ = translator(scenario.outputs.language)
    minutes = _.minutes(scenario.tiers.village_clinic.max_travel_minutes)
    features, rows = [], []
    for county, entry in zip(counties, figures["counties"], strict=True):
        shape = gpd.read_file(county.scenario.region.boundary).to_crs("EPSG:4326")
        geometry = _geometry(shape)
        share = _share(entry)
        status = _(VALUE_LABELS[entry["status"]]) if entry["status"] in VALUE_LABELS else entry["status"]
        words = status if share is None else _("{share} within the standard", share=_.percent(share))
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"name": county.name, "colour": _colour(share), "map": entry.get("map"), "words": words},
            }
        )
        rows.append(_table_row(county.name, entry, share, status, _))
    data = dumps_json({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")  # no "</script>" inside
    title = html.escape(_("{region}: counties", region=scenario.region.name))
    total = figures["population_total"]
    within = figures["population_covered"][VILLAGE_CLINIC]
    headline = (
        _(
            "{within} of {total} people ({share}) within {minutes} of a village clinic, in the {count} counties "
            "that completed.",
            within=_.people(within),
            total=_.people(total),
            share=_.percent(within / total),
            minutes=minutes,
            count=len(figures["counties_included"]),
        )
        if total
        else _("No people in the completed counties.")
    )
    failed = _(", ").join(figures["counties_failed"])
    if failed:
        headline += " " + _("Failed: {counties}.", counties=failed)
    legend = _(
        "Colour: share of each county's people within {minutes} of a village clinic (grey: failed). Click a county "
        "for its own map.",
        minutes=minutes,
    )
    headers = [
        _("County"),
        _("Status"),
        _("People"),
        _("Within {minutes}", minutes=minutes),
        _(VALUE_LABELS["keep"]),
        _(VALUE_LABELS["close"]),
        _(VALUE_LABELS["build"]),
        _("Cost"),
        _("Message"),
    ]
    return f"""<!DOCTYPE html>
<html lang="{_.language}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{leaflet_head()}
<style>body{{font-family:sans-serif;margin:0}} #map{{height:60vh}} main{{padding:0 1em 1em}}
.table-wrap{{overflow-x:auto}} table{{border-collapse:collapse}}
td,th{{border-bottom:1px solid #ccc;padding:2px 8px;text-align:right}}
td:first-child,th:first-child,td:last-child{{text-align:left}}</style></head>
<body><div id="map"></div><main>
<h1>{title}</h1>
<p>{html.escape(headline)} {html.escape(legend)}</p>
<div class="table-wrap"><table><thead><tr>{"".join(f"<th>{html.escape(h)}</th>" for h in headers)}</tr></thead><tbody>
{"".join(rows)}
</tbody></table></div></main>
<script type="application/json" id="counties">{data}</script>
<script>{PAGE_JS}</script></body></html>
"""


def _geometry(shape: gpd.GeoDataFrame) -> dict[str, Any]:
    """The first geometry of ``shape`` as a GeoJSON geometry."""
    return shape.geometry.iloc[0].__geo_interface__


def _share(entry: dict[str, Any]) -> float | None:
    if entry["status"] == "failed" or not entry["population_total"]:
        return None
    return entry["population_covered"][VILLAGE_CLINIC] / entry["population_total"]


def _colour(share: float | None) -> str:
    if share is None:
        return FAILED_COLOUR
    return next((colour for bound, colour in SHARE_CLASSES if share >= bound), BELOW_COLOUR)


def _table_row(name: str, entry: dict[str, Any], share: float | None, status: str, _: Translator) -> str:
    link = f'<a href="{html.escape(entry["map"])}">{html.escape(name)}</a>' if entry.get("map") else html.escape(name)
    if entry["status"] == "failed":
        figures = [""] * 6
    else:
        clinics = entry["facilities"][VILLAGE_CLINIC]
        figures = [
            _.people(entry["population_total"]),
            fmt.MISSING if share is None else _.percent(share),
            *(_.people(clinics[decision]) for decision in ("keep", "close", "build")),
            _.decimal(entry["cost"], 2),
        ]
    cells = "".join(f"<td>{figure}</td>" for figure in [html.escape(status), *figures])
    return f"<tr><td>{link}</td>{cells}<td>{html.escape(entry.get('message') or '')}</td></tr>"
