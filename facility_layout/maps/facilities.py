"""The facilities: one marker layer per tier and decision, today's facilities, and their popups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np

from facility_layout import formatting as fmt
from facility_layout.inputs import VILLAGE_CLINIC
from facility_layout.maps.classes import CELL_STROKE, TIER_NAMES, MinutesClass, classify_minutes
from facility_layout.maps.geojson import BIND_FEATURE, feature_collection, mode_words, popup
from facility_layout.maps.styles import EXISTING_SYMBOLS, FACILITY_SYMBOLS, FacilitySymbol


def add_existing(fmap: folium.Map, facilities: gpd.GeoDataFrame) -> None:
    """Today's facilities by tier, before any decision (off at start: the decisions layers show them too)."""
    for tier, symbol in EXISTING_SYMBOLS.items():
        chosen = facilities[(facilities["origin"] == "existing") & (facilities["tier"] == tier)]
        properties = [{"tooltip": f"{fmt.text(name)} — existing {TIER_NAMES[tier]} (today)"} for name in chosen["name"]]
        folium.GeoJson(
            feature_collection(chosen, properties),
            name=f"{symbol.label} ({len(chosen)})",
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
                "tooltip": f"{fmt.text(f['name'])} — {symbol.label.lower()}",
                "popup": _facility_popup(f, symbol, modes, _minutes_chart(by_site.get(f["site_id"]), classes)),
            }
            for f in chosen.drop(columns="geometry").to_dict("records")
        ]
        folium.GeoJson(
            feature_collection(chosen, properties),
            name=f"{symbol.label} ({len(chosen)})",
            marker=folium.Marker(icon=_div_icon(symbol)),
            on_each_feature=BIND_FEATURE,
        ).add_to(fmap)
    return counts


def _facility_popup(
    facility: Mapping[str, Any], symbol: FacilitySymbol, modes: Mapping[str, str], chart: str
) -> dict[str, Any]:
    columns = {"mean": "mean_minutes", "p95": "p95_minutes", "max": "max_minutes"}
    if any(fmt.finite(facility[column]) is not None for column in columns.values()):
        figures = " · ".join(f"{label} {fmt.minutes(facility[c])}" for label, c in columns.items())
    else:
        figures = fmt.MISSING
    rows = [
        ("Tier", TIER_NAMES.get(facility["tier"], fmt.text(facility["tier"]))),
        ("People served", fmt.people(facility["population_served"])),
        (f"Minutes for them {mode_words(modes, VILLAGE_CLINIC)}".strip(), figures),
    ]
    if chart:
        rows.append(("How far they live", chart))
    if fmt.text(facility["referral_centre"]):
        referral = (
            f"{fmt.text(facility['referral_centre'])} · {fmt.minutes(facility['referral_minutes'])} "
            f"{mode_words(modes, 'referral')}"
        ).strip()
        rows.append(("Refers to", referral))
    if fmt.text(facility["merged_into"]):
        rows.append(("Merged into", fmt.text(facility["merged_into"])))
    origin = "new site" if facility["origin"] == "new" else "existing"
    rows += [
        ("Elevation", fmt.metres(facility["elevation_m"])),
        ("Cost", fmt.number(facility["cost"])),
        ("Site", f"{fmt.text(facility['site_id'])} ({origin})"),
    ]
    return popup(fmt.text(facility["name"]), rows, status=symbol.label, reason=fmt.text(facility["reason"]))


def _minutes_chart(people: np.ndarray | None, classes: tuple[MinutesClass, ...]) -> str:
    """People per minutes class as small horizontal bars, in the legend's colours ('' for nobody)."""
    if people is None or people.sum() <= 0:
        return ""
    width, bar, gap = 120, 9, 3
    rows = []
    for k, (n, cls) in enumerate((n, c) for n, c in zip(people, classes, strict=True) if n > 0):
        y = k * (bar + gap)
        length = max(1.0, width * n / people.sum())
        rows.append(
            f'<rect x="0" y="{y}" width="{length:.1f}" height="{bar}" fill="{cls.colour}" stroke="{CELL_STROKE}" '
            f'stroke-width="0.4"><title>{cls.label}: {fmt.people(n)} people</title></rect>'
            f'<text x="{width + 4}" y="{y + bar - 1}" font-size="10">{fmt.people(n)} · {cls.label}</text>'
        )
    height = len(rows) * (bar + gap)
    return f'<svg class="fl-chart" width="300" height="{height}" viewBox="0 0 300 {height}">{"".join(rows)}</svg>'
