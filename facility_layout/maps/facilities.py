"""The facilities: one marker layer per tier and decision, today's facilities, and their popups."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import folium
import geopandas as gpd
import numpy as np
from branca.element import Element
from folium.map import Layer
from folium.template import Template

from facility_layout import formatting as fmt
from facility_layout.i18n import ENGLISH, Translator
from facility_layout.inputs import VILLAGE_CLINIC
from facility_layout.maps.classes import CELL_STROKE, TIER_NAMES, MinutesClass, classify_minutes
from facility_layout.maps.geojson import BIND_FEATURE, feature_collection, mode_words, popup
from facility_layout.maps.styles import EXISTING_SYMBOLS, FACILITY_SYMBOLS, FacilitySymbol

# Layers with more facilities than this are clustered until zoom 12 (about 20 km across a laptop's map).
CLUSTER_ABOVE = 150
CLUSTER_UNTIL_ZOOM = 12


def add_existing(fmap: folium.Map, facilities: gpd.GeoDataFrame, _: Translator = ENGLISH) -> None:
    """Today's facilities by tier, before any decision (off at start: the decisions layers show them too)."""
    for tier, symbol in EXISTING_SYMBOLS.items():
        chosen = facilities[(facilities["origin"] == "existing") & (facilities["tier"] == tier)]
        words = _("existing {tier} (today)", tier=_(TIER_NAMES[tier]))
        properties = [{"tooltip": f"{fmt.text(name)} — {words}"} for name in chosen["name"]]
        folium.GeoJson(
            feature_collection(chosen, properties),
            name=f"{_(symbol.label)} ({len(chosen)})",
            show=False,
            marker=folium.Marker(icon=_div_icon(symbol)),
            on_each_feature=BIND_FEATURE,
        ).add_to(fmap)


def _div_icon(symbol: FacilitySymbol) -> folium.DivIcon:
    return folium.DivIcon(
        html=symbol.svg,
        icon_size=(symbol.size, symbol.size),
        icon_anchor=(symbol.size // 2, symbol.size // 2),
        class_name="fl-symbol",
    )


def add_facilities(
    fmap: folium.Map,
    facilities: gpd.GeoDataFrame,
    assignments: gpd.GeoDataFrame,
    classes: tuple[MinutesClass, ...],
    clinic_standard: float,
    modes: Mapping[str, str],
    _: Translator = ENGLISH,
) -> dict[tuple[str, str], int]:
    """One layer per tier and decision; returns how many facilities each holds."""
    known = {(s.tier, s.decision) for s in FACILITY_SYMBOLS}
    pairs = set(zip(facilities["tier"], facilities["decision"], strict=True))
    if pairs - known:
        raise ValueError(f"facilities with a tier and decision the map cannot draw: {sorted(pairs - known)}")
    # People per minutes class among each facility's assigned cells, for the popup's bar chart.
    minutes = assignments["minutes"].to_numpy(dtype=float)
    assigned_class = classify_minutes(minutes, clinic_standard)
    by_site: dict[str, np.ndarray] = {}
    for site, k, n in zip(assignments["site_id"], assigned_class, assignments["population"], strict=True):
        by_site.setdefault(site, np.zeros(len(classes)))[k] += float(n)
    counts = {}
    for symbol in FACILITY_SYMBOLS:
        chosen = facilities[(facilities["tier"] == symbol.tier) & (facilities["decision"] == symbol.decision)]
        counts[symbol.tier, symbol.decision] = len(chosen)
        properties = [
            {
                "tooltip": f"{fmt.text(f['name'])} — {_(symbol.label).lower()}",
                "popup": _facility_popup(f, symbol, modes, _minutes_chart(by_site.get(f["site_id"]), classes, _), _),
            }
            for f in chosen.drop(columns="geometry").to_dict("records")
        ]
        name = f"{_(symbol.label)} ({len(chosen)})"
        if len(chosen) > CLUSTER_ABOVE:
            fmap.add_child(_ClusteredFacilities(feature_collection(chosen, properties), name, symbol))
            continue
        folium.GeoJson(
            feature_collection(chosen, properties),
            name=name,
            marker=folium.Marker(icon=_div_icon(symbol)),
            on_each_feature=BIND_FEATURE,
        ).add_to(fmap)
    if any(count > CLUSTER_ABOVE for count in counts.values()):
        fmap.get_root().header.add_child(Element(markercluster_head()), name="markercluster")
    return counts


class _ClusteredFacilities(Layer):
    """A layer of many facilities (a prefecture's 1,500 clinics), gathered into counted circles in the
    symbol's colour at low zoom and shown one by one from :data:`CLUSTER_UNTIL_ZOOM` on."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (data, colour) {
            const group = L.markerClusterGroup({
                maxClusterRadius: 48, disableClusteringAtZoom: {{ this.until_zoom }}, showCoverageOnHover: false,
                spiderfyOnMaxZoom: false, chunkedLoading: true,
                iconCreateFunction: (cluster) => L.divIcon({
                    html: `<div style="background:${colour}"><span>${cluster.getChildCount()}</span></div>`,
                    className: "fl-cluster", iconSize: [34, 34],
                }),
            });
            const icon = L.divIcon({{ this.icon|tojson }});
            group.addLayer(L.geoJson(data, {
                pointToLayer: (feature, latlng) => L.marker(latlng, {icon: icon}),
                onEachFeature: {{ this.bind }},
            }));
            return group;
        })({{ this.data|tojson }}, {{ this.colour|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], name: str, symbol: FacilitySymbol) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "ClusteredFacilities"
        self.data = data
        self.until_zoom = CLUSTER_UNTIL_ZOOM
        self.colour = re.search(r'fill="(#[0-9a-fA-F]{6})"', symbol.svg)[1]
        self.icon = {
            "html": symbol.svg,
            "iconSize": [symbol.size, symbol.size],
            "iconAnchor": [symbol.size // 2, symbol.size // 2],
            "className": "fl-symbol",
        }
        self.bind = BIND_FEATURE.js_code


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


def _facility_popup(
    facility: Mapping[str, Any], symbol: FacilitySymbol, modes: Mapping[str, str], chart: str, _: Translator
) -> dict[str, Any]:
    columns = {"mean": "mean_minutes", "p95": "p95_minutes", "max": "max_minutes"}
    if any(fmt.finite(facility[column]) is not None for column in columns.values()):
        figures = " · ".join(f"{_(label)} {fmt.minutes(facility[c], _)}" for label, c in columns.items())
    else:
        figures = fmt.MISSING
    rows = [
        (_("Tier"), _(TIER_NAMES[facility["tier"]]) if facility["tier"] in TIER_NAMES else fmt.text(facility["tier"])),
        (_("People served"), fmt.people(facility["population_served"])),
        (_("Minutes for them {mode}", mode=mode_words(modes, VILLAGE_CLINIC, _)).strip(), figures),
    ]
    if chart:
        rows.append((_("How far they live"), chart))
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
    return popup(fmt.text(facility["name"]), rows, status=_(symbol.label), reason=fmt.text(facility["reason"]))


def _minutes_chart(people: np.ndarray | None, classes: tuple[MinutesClass, ...], _: Translator) -> str:
    """People per minutes class as small horizontal bars, in the legend's colours ('' for nobody)."""
    if people is None or people.sum() <= 0:
        return ""
    width, bar, gap = 120, 9, 3
    rows = []
    for k, (n, cls) in enumerate((n, c) for n, c in zip(people, classes, strict=True) if n > 0):
        y = k * (bar + gap)
        length = max(1.0, width * n / people.sum())
        title = _("{label}: {people} people", label=cls.label, people=fmt.people(n))
        rows.append(
            f'<rect x="0" y="{y}" width="{length:.1f}" height="{bar}" fill="{cls.colour}" stroke="{CELL_STROKE}" '
            f'stroke-width="0.4"><title>{title}</title></rect>'
            f'<text x="{width + 4}" y="{y + bar - 1}" font-size="10">{fmt.people(n)} · {cls.label}</text>'
        )
    height = len(rows) * (bar + gap)
    return f'<svg class="fl-chart" width="300" height="{height}" viewBox="0 0 300 {height}">{"".join(rows)}</svg>'
