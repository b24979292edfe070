"""The facilities: one marker layer per tier and decision, today's facilities, the merges and the referrals,
all drawn in the browser from one compact table of the facilities.

A prefecture has thousands of facilities: one GeoJSON feature each, its popup written out as HTML, made a
third of a 16 MB page. The table instead holds positions as integer steps of 1e-5° (about a metre) from the
previous facility, every text once in a list of distinct strings (already HTML-escaped) with indexes into
it, and the people per minutes class of each clinic as whole numbers, from which the page draws the bars.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import folium
import geopandas as gpd
import numpy as np
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

from facility_layout import formatting as fmt
from facility_layout.i18n import ENGLISH, Translator
from facility_layout.inputs import VILLAGE_CLINIC
from facility_layout.maps.classes import CELL_STROKE, TIER_NAMES, MinutesClass, classify_minutes
from facility_layout.maps.geojson import mode_words, steps
from facility_layout.maps.styles import (
    EXISTING_SYMBOLS,
    FACILITY_SYMBOLS,
    MERGE_LAYER,
    MERGE_STYLE,
    REFERRAL_STYLE,
    FacilitySymbol,
)

# Layers with more facilities than this are clustered until zoom 12 (about 20 km across a laptop's map).
CLUSTER_ABOVE = 150
CLUSTER_UNTIL_ZOOM = 12
CHART_ROW = -1  # a popup row whose value is the clinic's bar chart, drawn by the page
FACILITY_DATA_ID = "fl-facility-data"


class Strings:
    """Distinct strings and the index of each: a text repeated on many facilities is written once."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        if value not in self._index:
            self._index[value] = len(self.values)
            self.values.append(value)
        return self._index[value]


class _FacilityData(MacroElement):
    """The facilities' table, in a JSON script element of the page, and the functions that make markers,
    lines, tooltips and popups from it (``flFacilities`` in the page)."""

    _template = Template(
        r"""
        {% macro header(this, kwargs) %}
        <script type="application/json" id="{{ this.element_id }}">{{ this.data_json }}</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (data, text) {
            const n = data.name.length, lat = new Float64Array(n), lng = new Float64Array(n);
            for (let i = 0, a = 0, b = 0; i < n; i++) {
                a += data.lat[i]; b += data.lng[i]; lat[i] = a / 1e5; lng[i] = b / 1e5;
            }
            const s = (k) => (k >= 0 ? data.strings[k] : "");
            const fill = (template, values) => template.replace(/\{(\w+)\}/g, (m, k) => values[k]);
            const people = (v) => v.toLocaleString("en-US");
            function chart(i) {
                const counts = data.chart[i];
                const total = counts ? counts.reduce((a, b) => a + b, 0) : 0;
                if (!total) { return ""; }
                const width = 120, bar = 9, gap = 3;
                let rows = "", k = 0;
                counts.forEach((count, c) => {
                    if (count <= 0) { return; }
                    const y = k++ * (bar + gap), cls = text.classes[c];
                    const title = fill(text.chart_title, {label: cls[0], people: people(count)});
                    rows += `<rect x="0" y="${y}" width="${Math.max(1, width * count / total).toFixed(1)}" `
                        + `height="${bar}" fill="${cls[1]}" stroke="${text.stroke}" stroke-width="0.4">`
                        + `<title>${title}</title></rect><text x="${width + 4}" y="${y + bar - 1}" `
                        + `font-size="10">${people(count)} · ${cls[0]}</text>`;
                });
                const height = k * (bar + gap);
                return `<svg class="fl-chart" width="300" height="${height}" viewBox="0 0 300 ${height}">${rows}</svg>`;
            }
            function popup(i) {
                const rows = [], flat = data.rows[i];
                for (let r = 0; r < flat.length; r += 2) {
                    rows.push([s(flat[r]), flat[r + 1] === {{ this.chart_row }} ? chart(i) : s(flat[r + 1])]);
                }
                return {title: s(data.name[i]), status: text.symbols[data.symbol[i]][0], reason: s(data.reason[i]),
                        rows: rows};
            }
            // Markers of the facilities ``pick`` chooses, each with its tooltip and (``withPopup``) popup; as
            // features, for whoever inspects the map's layers.
            function markers(pick, icon, tooltip, withPopup) {
                const made = [];
                for (let i = 0; i < n; i++) {
                    if (!pick(i)) { continue; }
                    const marker = L.marker([lat[i], lng[i]], {icon: icon});
                    marker.feature = {properties: {site_id: s(data.site[i]), name: s(data.name[i])}};
                    marker.bindTooltip(tooltip(i));
                    if (withPopup) { marker.bindPopup(() => flPopupHtml(popup(i)), {maxWidth: 380}); }
                    made.push(marker);
                }
                return made;
            }
            const icons = text.symbols.map(([label, html, size]) => L.divIcon({
                html: html, iconSize: [size, size], iconAnchor: [size / 2, size / 2], className: "fl-symbol"}));
            const layers = {
                decision: (k) => markers((i) => data.symbol[i] === k, icons[k],
                    (i) => `${s(data.name[i])} — ${text.symbols[k][0].toLowerCase()}`, true),
                existing: (t) => markers((i) => data.existing[i] === t, L.divIcon(text.existing[t].icon),
                    (i) => `${s(data.name[i])} — ${text.existing[t].words}`, false),
                merges: () => Array.from(data.merges, ([i, j]) => L.polyline(
                    [[lat[i], lng[i]], [lat[j], lng[j]]], text.merge_style).bindTooltip(
                    `${s(data.name[i])} → ${s(data.name[j])}: ${s(data.reason[i])}`)),
                referrals: () => Array.from(data.referrals, ([i, j, m]) => L.polyline(
                    [[lat[i], lng[i]], [lat[j], lng[j]]], text.referral_style).bindTooltip(
                    fill(text.referral, {clinic: s(data.name[i]), centre: s(data.name[j]), minutes: s(m)}))),
            };
            return {layers, lat, lng, data, popup};
        })(JSON.parse(document.getElementById({{ this.element_id|tojson }}).textContent), {{ this.text|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], text: dict[str, Any]) -> None:
        super().__init__()
        self._name = "FacilityData"
        # In a JSON script element: "</" written as "<\/" so that no text can end the element early.
        self.data_json = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/")
        self.element_id = FACILITY_DATA_ID
        self.text = text
        self.chart_row = CHART_ROW


class _FacilityLayer(Layer):
    """One layer of the facilities' table (``kind`` and ``arg`` name which: see ``layers`` in the page),
    made the first time it is shown; markers gathered into counted circles in ``colour`` at low zoom when
    ``colour`` is given."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new (L.Layer.extend({
            group: function () {
                if (!this._group) {
                    const made = {{ this.table.get_name() }}.layers[{{ this.kind|tojson }}]({{ this.arg|tojson }});
                    const colour = {{ this.colour|tojson }};
                    this._group = colour === null ? L.featureGroup(made) : L.markerClusterGroup({
                        maxClusterRadius: 48, disableClusteringAtZoom: {{ this.until_zoom }},
                        showCoverageOnHover: false, spiderfyOnMaxZoom: false, chunkedLoading: true,
                        iconCreateFunction: (cluster) => L.divIcon({
                            html: `<div style="background:${colour}"><span>${cluster.getChildCount()}</span></div>`,
                            className: "fl-cluster", iconSize: [34, 34],
                        }),
                    }).addLayers(made);
                }
                return this._group;
            },
            // Made the first time it is wanted; drawn from zoom {{ this.min_zoom }} on while on.
            onAdd: function (map) {
                this._sync = () => {
                    const wanted = map.getZoom() >= {{ this.min_zoom }};
                    if (wanted !== (this._group !== undefined && map.hasLayer(this._group))) {
                        wanted ? map.addLayer(this.group()) : map.removeLayer(this._group);
                    }
                };
                map.on("zoomend", this._sync);
                this._sync();
            },
            onRemove: function (map) {
                map.off("zoomend", this._sync);
                if (this._group) { map.removeLayer(this._group); }
            },
            getLayers: function () { return this._group && this._map ? this._group.getLayers() : []; },
        }))();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        table: _FacilityData,
        kind: str,
        arg: Any,
        name: str,
        *,
        show: bool = True,
        colour: str | None = None,
        min_zoom: int = 0,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "FacilityLayer"
        self.table = table
        self.kind = kind
        self.arg = arg
        self.colour = colour
        self.until_zoom = CLUSTER_UNTIL_ZOOM
        self.min_zoom = min_zoom


def add_facilities(
    fmap: folium.Map,
    facilities: gpd.GeoDataFrame,
    assignments: gpd.GeoDataFrame,
    referrals: gpd.GeoDataFrame,
    classes: tuple[MinutesClass, ...],
    clinic_standard: float,
    modes: Mapping[str, str],
    _: Translator = ENGLISH,
    detail_zoom: int = 0,
) -> dict[tuple[str, str], int]:
    """Referrals and merges (from ``detail_zoom`` on), today's facilities (off at start) and one layer per
    tier and decision (in map coordinates), in this order; returns how many facilities each decision layer
    holds."""
    known = {(s.tier, s.decision) for s in FACILITY_SYMBOLS}
    pairs = set(zip(facilities["tier"], facilities["decision"], strict=True))
    if pairs - known:
        raise ValueError(f"facilities with a tier and decision the map cannot draw: {sorted(pairs - known)}")
    table = _FacilityData(*facility_table(facilities, assignments, referrals, classes, clinic_standard, modes, _))
    fmap.add_child(table)
    referrals_name = _("Referrals: village clinic → township centre")
    fmap.add_child(_FacilityLayer(table, "referrals", None, referrals_name, min_zoom=detail_zoom))
    fmap.add_child(_FacilityLayer(table, "merges", None, _(MERGE_LAYER), min_zoom=detail_zoom))
    for t, (tier, symbol) in enumerate(EXISTING_SYMBOLS.items()):
        count = int(((facilities["origin"] == "existing") & (facilities["tier"] == tier)).sum())
        fmap.add_child(_FacilityLayer(table, "existing", t, f"{_(symbol.label)} ({count})", show=False))
    counts = {}
    for k, symbol in enumerate(FACILITY_SYMBOLS):
        count = int(((facilities["tier"] == symbol.tier) & (facilities["decision"] == symbol.decision)).sum())
        counts[symbol.tier, symbol.decision] = count
        colour = _fill_colour(symbol) if count > CLUSTER_ABOVE else None
        fmap.add_child(_FacilityLayer(table, "decision", k, f"{_(symbol.label)} ({count})", colour=colour))
    if any(count > CLUSTER_ABOVE for count in counts.values()):
        fmap.get_root().header.add_child(Element(markercluster_head()), name="markercluster")
    return counts


def facility_table(
    facilities: gpd.GeoDataFrame,
    assignments: gpd.GeoDataFrame,
    referrals: gpd.GeoDataFrame,
    classes: tuple[MinutesClass, ...],
    clinic_standard: float,
    modes: Mapping[str, str],
    _: Translator = ENGLISH,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The facilities' table for the page (columns, one row per facility) and the words its script uses."""
    # People per minutes class among each facility's assigned cells, for the popup's bar chart.
    assigned_class = classify_minutes(assignments["minutes"].to_numpy(dtype=float), clinic_standard)
    by_site: dict[str, np.ndarray] = {}
    for site, k, n in zip(assignments["site_id"], assigned_class, assignments["population"], strict=True):
        by_site.setdefault(site, np.zeros(len(classes)))[k] += float(n)
    strings = Strings()
    symbol_of = {(s.tier, s.decision): k for k, s in enumerate(FACILITY_SYMBOLS)}
    tier_of = {tier: t for t, tier in enumerate(EXISTING_SYMBOLS)}
    row_of = {site: i for i, site in enumerate(facilities["site_id"].astype(str))}
    records = facilities.drop(columns="geometry").to_dict("records")
    rows, charts = [], []
    for f in records:
        flat = []
        for label, value in _popup_rows(f, modes, _):
            flat += [strings(label), CHART_ROW if value is None else strings(value)]
        people = by_site.get(f["site_id"])
        has_chart = people is not None and people.sum() > 0
        if not has_chart:  # no bars: the chart's row goes
            flat = [v for r in range(0, len(flat), 2) if flat[r + 1] != CHART_ROW for v in flat[r : r + 2]]
        rows.append(flat)
        charts.append([round(float(n)) for n in people] if has_chart else None)
    merges = [
        [i, row_of[str(f["merged_into_id"])]]
        for i, f in enumerate(records)
        if f["decision"] == "close" and str(f["merged_into_id"]) in row_of
    ]
    links = [
        [row_of[str(a)], row_of[str(b)], strings(fmt.minutes(m, _))]
        for a, b, m in zip(referrals["site_id"], referrals["centre_id"], referrals["minutes"], strict=True)
        if str(a) in row_of and str(b) in row_of
    ]
    data = {
        "lat": steps(facilities.geometry.y.to_numpy()),
        "lng": steps(facilities.geometry.x.to_numpy()),
        "symbol": [symbol_of[f["tier"], f["decision"]] for f in records],
        "existing": [tier_of.get(f["tier"], -1) if f["origin"] == "existing" else -1 for f in records],
        "site": [strings(fmt.text(f["site_id"])) for f in records],
        "name": [strings(fmt.text(f["name"])) for f in records],
        "reason": [strings(fmt.text(f["reason"])) for f in records],
        "rows": rows,
        "chart": charts,
        "merges": merges,
        "referrals": links,
        "strings": strings.values,
    }
    text = {
        "symbols": [[_(s.label), s.svg, s.size] for s in FACILITY_SYMBOLS],
        "existing": [
            {
                "icon": _icon(symbol),
                "words": _("existing {tier} (today)", tier=_(TIER_NAMES[tier])),
            }
            for tier, symbol in EXISTING_SYMBOLS.items()
        ],
        "classes": [[c.label, c.colour] for c in classes],
        "chart_title": _("{label}: {people} people"),
        "stroke": CELL_STROKE,
        "referral": _("{clinic} refers to {centre}: {minutes}"),
        "merge_style": MERGE_STYLE,
        "referral_style": REFERRAL_STYLE,
    }
    return data, text


def _icon(symbol: FacilitySymbol) -> dict[str, Any]:
    half = symbol.size // 2
    return {"html": symbol.svg, "iconSize": [symbol.size] * 2, "iconAnchor": [half, half], "className": "fl-symbol"}


def _fill_colour(symbol: FacilitySymbol) -> str:
    return re.search(r'fill="(#[0-9a-fA-F]{6})"', symbol.svg)[1]


@cache
def markercluster_head() -> str:
    """Leaflet.markercluster 1.5.3 (npm ``dist/``, MIT licence beside it in ``static/markercluster``), inlined
    as ``<style>`` and ``<script>`` elements; its source-map comment is dropped (nothing is fetched)."""
    folder = resources.files("facility_layout").joinpath("static", "markercluster")
    css = "\n".join(
        folder.joinpath(name).read_text("utf-8") for name in ("MarkerCluster.css", "MarkerCluster.Default.css")
    )
    js = re.sub(r"//# sourceMappingURL=\S+", "", folder.joinpath("leaflet.markercluster.js").read_text("utf-8"))
    if "</script" in js.lower() or "</style" in css.lower():
        raise ValueError("the bundled Leaflet.markercluster files cannot be inlined as they are")
    return f"<style>\n{css}\n{CLUSTER_CSS}\n</style>\n<script>\n{js}\n</script>\n"


# The cluster circles in the layer's own colour (the plug-in's default stylesheet colours them by size).
CLUSTER_CSS = """
.fl-cluster div { width: 30px; height: 30px; margin: 2px; border-radius: 50%; border: 2px solid #fff;
  box-shadow: 0 0 2px rgba(0, 0, 0, 0.7); display: flex; align-items: center; justify-content: center;
  box-sizing: border-box; }
.fl-cluster span { color: #fff; font: 700 11px/1 "Helvetica Neue", Arial, sans-serif;
  text-shadow: 0 0 2px #000; }
"""


def _popup_rows(facility: Mapping[str, Any], modes: Mapping[str, str], _: Translator) -> list[tuple[str, str | None]]:
    """The rows of a facility's popup, label and value (HTML); None: the bar chart of how far its people live."""
    columns = {"mean": "mean_minutes", "p95": "p95_minutes", "max": "max_minutes"}
    if any(fmt.finite(facility[column]) is not None for column in columns.values()):
        figures = " · ".join(f"{_(label)} {fmt.minutes(facility[c], _)}" for label, c in columns.items())
    else:
        figures = fmt.MISSING
    rows: list[tuple[str, str | None]] = [
        (_("Tier"), _(TIER_NAMES[facility["tier"]]) if facility["tier"] in TIER_NAMES else fmt.text(facility["tier"])),
        (_("People served"), fmt.people(facility["population_served"])),
        (_("Minutes for them {mode}", mode=mode_words(modes, VILLAGE_CLINIC, _)).strip(), figures),
        (_("How far they live"), None),
    ]
    if fmt.text(facility["referral_centre"]):
        referral = (
            f"{fmt.text(facility['referral_centre'])} · {fmt.minutes(facility['referral_minutes'], _)} "
            f"{mode_words(modes, 'referral', _)}"
        ).strip()
        rows.append((_("Refers to"), referral))
    if fmt.text(facility["merged_into"]):
        rows.append((_("Merged into"), fmt.text(facility["merged_into"])))
    origin = _("new site") if facility["origin"] == "new" else _("existing")
    rows += [
        (_("Elevation"), fmt.metres(facility["elevation_m"])),
        (_("Cost"), fmt.number(facility["cost"])),
        (_("Site"), f"{fmt.text(facility['site_id'])} ({origin})"),
    ]
    return rows
