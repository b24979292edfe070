"""``brief.pdf``: the layout on one landscape page for a meeting, in the planner's language.

A static map (relief, boundary, facilities by decision, township centre labels, scale bar, north arrow,
legend), the headline table today → proposed, the changes with their reasons, the solver's proof status
and the sources. Drawn with matplotlib (no browser, no internet); the font is :mod:`.fonts`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: the page is drawn straight to PDF

from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from matplotlib.text import Text

from facility_layout.brief.comparison import write_comparison_brief
from facility_layout.brief.fonts import FONT_LICENCE
from facility_layout.brief.map_figure import draw_map
from facility_layout.brief.page import PAPER_INCHES, displayed, page_number, proof_status, save_pdf
from facility_layout.evaluate import LayoutTables
from facility_layout.i18n import Translator
from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC
from facility_layout.scenario import Scenario
from facility_layout.workbook import headline_rows

__all__ = ["write_brief", "write_comparison_brief"]

# Changes listed by name before "and K more": what fits under the headline table on A4.
LISTED_CHANGES = {"a4": 9, "a3": 16}
CHANGE_GROUPS = (
    ("Closed or merged", ((VILLAGE_CLINIC, "close"),)),
    ("Built", ((VILLAGE_CLINIC, "build"),)),
    ("Upgraded", ((TOWNSHIP_CENTRE, "upgrade"),)),
)


def write_brief(
    path: Path,
    tables: LayoutTables,
    summary: dict[str, Any],
    scenario: Scenario,
    _: Translator,
    attribution: list[str] | None = None,
) -> Path:
    """Write the one-page brief of a layout to ``path``.

    Parameters
    ----------
    path : Path
        The PDF file.
    tables : LayoutTables
        The layout.
    summary : dict
        summary.json's figures (``today`` beside the proposal when present; ``solver`` for the status).
    scenario : Scenario
        ``outputs.brief.paper``, the region's name and its elevation model for the relief.
    _ : Translator
        The page's language.
    attribution : list of str, optional
        Sources of the input data.
    """
    paper = scenario.outputs.brief.paper
    width, height = PAPER_INCHES[paper]
    fig = plt.figure(figsize=(width, height))
    try:
        title = _("{region}: proposed health facility layout", region=scenario.region.name)
        if summary.get("synthetic"):
            title = f"{title} — {_('SYNTHETIC region, not a real place')}"
        fig.text(0.02, 0.965, title, fontsize=16, weight="bold", va="top")
        draw_map(fig.add_axes((0.02, 0.08, 0.55, 0.82)), tables, scenario, _)
        labels = _headline_table(fig, summary, _, top=0.9)
        _changes(fig, tables, _, top=0.47, listed=LISTED_CHANGES[paper])
        fig.text(0.6, 0.075, proof_status(summary, _), fontsize=9, va="bottom", weight="bold")
        sources = "; ".join([*(attribution or []), FONT_LICENCE])
        fig.text(0.02, 0.02, _("Sources: {sources}", sources=sources), fontsize=7, va="bottom", wrap=True)
        save_pdf(fig, path, fit=labels)
    finally:
        plt.close(fig)
    return path


def _headline_table(fig: Figure, summary: dict[str, Any], _: Translator, top: float) -> dict[Text, float]:
    """Draw the table today → proposed; returns its labels with the width each may take (figure fraction)."""
    fig.text(0.6, top, _("Today → proposed"), fontsize=12, weight="bold", va="top")
    columns = (0.6, 0.84, 0.915)
    y = top - 0.04
    fig.text(columns[1], y, _("Today"), fontsize=8.5, ha="right", weight="bold")
    fig.text(columns[2], y, _("Proposed"), fontsize=8.5, ha="right", weight="bold")
    fig.text(0.985, y, _("Change"), fontsize=8.5, ha="right", weight="bold")
    labels = []
    for label, today, proposed, kind in headline_rows(summary, _):
        if kind == "minutes" and "95" in label:
            continue  # mean and longest suffice on one page; the workbook has all three
        y -= 0.0215
        labels.append(fig.text(columns[0], y, label, fontsize=8))
        # The change of the figures as shown, so that the row reads as a sum (7.6 → 6.7: -0.9, not -1).
        change = None if today is None else displayed(proposed, kind) - displayed(today, kind)
        for x, value in ((columns[1], today), (columns[2], proposed), (0.985, change)):
            fig.text(x, y, page_number(value, kind, _, signed=x == 0.985), fontsize=8, ha="right")
    # A long label shrinks rather than run into the "Today" figures (widest: "120,000").
    return {label: columns[1] - columns[0] - 0.06 for label in labels}


def _changes(fig: Figure, tables: LayoutTables, _: Translator, top: float, listed: int) -> None:
    fig.text(0.6, top, _("Changes"), fontsize=12, weight="bold", va="top")
    facilities = tables.facilities
    y = top - 0.035
    for heading, kinds in CHANGE_GROUPS:
        rows = facilities[
            [
                any(t == tier and d == decision for tier, decision in kinds)
                for t, d in zip(facilities["tier"], facilities["decision"], strict=True)
            ]
        ].sort_values("population_served", ascending=False)
        fig.text(0.6, y, f"{_(heading)} ({_.people(len(rows))})", fontsize=9, weight="bold")
        y -= 0.022
        shown = rows.head(max(1, listed // len(CHANGE_GROUPS)))
        for name, reason in zip(shown["name"], shown["reason"].fillna(""), strict=True):
            text = _("{name}: {reason}", name=name, reason=reason)
            fig.text(0.61, y, text if len(text) <= 95 else text[:94] + "…", fontsize=7)
            y -= 0.018
        if len(rows) > len(shown):
            more = len(rows) - len(shown)
            fig.text(
                0.61, y, _.ngettext("and {count} more", "and {count} more", more, count=_.people(more)), fontsize=7
            )
            y -= 0.018
        y -= 0.006
