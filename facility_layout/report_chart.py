"""The comparison report's chart: people within x minutes of their facility, one curve per layout, as inline
SVG (:mod:`facility_layout.report` places one per tier)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from facility_layout import formatting as fmt
from facility_layout.comparison import Comparison, curve_column, curve_minutes
from facility_layout.i18n import Translator
from facility_layout.inputs import VILLAGE_CLINIC
from facility_layout.maps import TIER_NAMES

# One colour and dash per layout (Okabe–Ito colours, told apart with colour blindness too; dashes in print).
CURVE_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
CURVE_DASHES = ("", "7 4", "2 3", "10 3 2 3")
CHART_WIDTH, CHART_HEIGHT = 760, 360
CHART_MARGIN = {"left": 78, "right": 24, "top": 18, "bottom": 50}


def cumulative_chart(comparison: Comparison, tier: str, _: Translator) -> str:
    """People within x minutes of the tier, one curve per layout, as an SVG line chart."""
    layouts = comparison.layouts
    grid = curve_minutes(layouts, tier)
    table = comparison.cumulative.set_index("minutes")
    totals = sorted({float(layout.summary["population_total"]) for layout in layouts})
    standards = sorted({layout.standard(tier) for layout in layouts})
    x_max, y_max = float(grid[-1]), _nice_ceiling(max(totals))
    left, top = CHART_MARGIN["left"], CHART_MARGIN["top"]
    width = CHART_WIDTH - left - CHART_MARGIN["right"]
    height = CHART_HEIGHT - top - CHART_MARGIN["bottom"]

    def x(minutes: float) -> float:
        return round(left + width * minutes / x_max, 1)

    def y(people: float) -> float:
        return round(top + height * (1 - people / y_max), 1)

    parts = []
    for tick in _ticks(y_max):
        parts.append(f'<line class="grid" x1="{left}" x2="{left + width}" y1="{y(tick)}" y2="{y(tick)}"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4}" text-anchor="end">{_.people(tick)}</text>')
    for tick in _ticks(x_max, 8):
        parts.append(f'<text x="{x(tick)}" y="{top + height + 18}" text-anchor="middle">{tick:g}</text>')
        parts.append(f'<line x1="{x(tick)}" x2="{x(tick)}" y1="{top + height}" y2="{top + height + 5}" stroke="#555"/>')
    parts.append(
        f'<g class="axis"><line x1="{left}" x2="{left}" y1="{top}" y2="{top + height}"/>'
        f'<line x1="{left}" x2="{left + width}" y1="{top + height}" y2="{top + height}"/></g>'
    )
    label = _(TIER_NAMES[tier])
    parts.append(
        f'<text x="{left + width / 2}" y="{CHART_HEIGHT - 8}" text-anchor="middle">'
        f"{_('minutes to the {tier}', tier=label)}</text>"
        f'<text transform="translate(16 {top + height / 2}) rotate(-90)" text-anchor="middle">'
        f"{_('people within')}</text>"
    )
    for total in totals:
        parts.append(
            f'<line data-total="{total:.0f}" x1="{left}" x2="{left + width}" y1="{y(total)}" y2="{y(total)}" '
            'stroke="#777" stroke-dasharray="3 3"/>'
            f'<text x="{left + 6}" y="{y(total) - 5}">{_("everyone: {people}", people=_.people(total))}</text>'
        )
    for standard in standards:
        parts.append(
            f'<line data-standard="{standard:g}" x1="{x(standard)}" x2="{x(standard)}" y1="{top}" '
            f'y2="{top + height}" stroke="#a4161a" stroke-dasharray="6 4"/>'
            f'<text x="{x(standard) - 6}" y="{top + height - 8}" text-anchor="end" fill="#a4161a">'
            f"{_('standard {minutes}', minutes=_.minutes(standard))}</text>"
        )
    legend = []
    for i, layout in enumerate(layouts):
        colour, dash = CURVE_COLOURS[i % len(CURVE_COLOURS)], CURVE_DASHES[i % len(CURVE_DASHES)]
        curve = table[curve_column(layout.name, tier)].reindex(grid).to_numpy(dtype=float)
        shown = np.isfinite(curve)
        points = " L".join(f"{x(m)} {y(p)}" for m, p in zip(grid[shown], curve[shown], strict=True))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        name = fmt.text(layout.name)
        parts.append(
            f'<path class="curve" data-layout="{name}" data-tier="{tier}" d="M{points}" fill="none" '
            f'stroke="{colour}" stroke-width="2.4"{dash_attr}><title>{name}</title></path>'
        )
        legend.append(
            f'<span class="legend-row" data-layout="{name}"><svg width="30" height="10"><line x1="1" y1="5" x2="29" '
            f'y2="5" stroke="{colour}" stroke-width="2.4"{dash_attr}/></svg>{name}</span>'
        )
    caption = (
        _("People within x minutes of their {tier} (assigned)", tier=label)
        if tier == VILLAGE_CLINIC
        else _("People within x minutes of their {tier} (nearest)", tier=label)
    )
    return (
        f'<figure data-chart="{tier}"><figcaption><strong>{caption}</strong></figcaption>'
        f'<svg id="chart-{tier}" class="chart" role="img" width="{CHART_WIDTH}" height="{CHART_HEIGHT}" '
        f'viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{caption}</title>{''.join(parts)}</svg>"
        f'<div class="chart-legend">{"".join(legend)}</div></figure>'
    )


def _nice_ceiling(value: float, steps: Sequence[float] = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)) -> float:
    """The smallest ``step`` × 10^k at least ``value``, so an axis ends on a round number."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in steps if m * power >= value)


def _ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 × 10^k apart) from 0 up to ``top``, about ``count`` of them."""
    step = _nice_ceiling(top / count, (1, 2, 5, 10))
    return [float(v) for v in np.arange(0.0, top + step / 2, step)]
