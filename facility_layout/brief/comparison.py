"""The comparison's ``brief.pdf``: the headline of today and of each layout side by side, the sites whose
decision differs between layouts, and what the solver proved about each, on one landscape page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib import pyplot as plt

from facility_layout.brief.fonts import FONT_LICENCE
from facility_layout.brief.page import PAPER_INCHES, page_number, proof_status, save_pdf
from facility_layout.i18n import VALUE_LABELS, translator
from facility_layout.inputs import credits
from facility_layout.workbook import headline_rows

if TYPE_CHECKING:
    from facility_layout.comparison import Comparison

# Sites with a differing decision listed by name before "and K more".
LISTED_CHANGES = {"a4": 36, "a3": 40}


def write_comparison_brief(path: Path, comparison: Comparison) -> Path:
    """Write the comparison's one-page brief to ``path``, in the first scenario's ``outputs.language`` and
    on its ``outputs.brief.paper``."""
    first = comparison.layouts[0]
    _ = translator(first.scenario.outputs.language)
    paper = first.scenario.outputs.brief.paper
    fig = plt.figure(figsize=PAPER_INCHES[paper])
    try:
        fig.text(
            0.02,
            0.965,
            _("{region}: comparison of layouts", region=first.scenario.region.name),
            fontsize=16,
            va="top",
        )
        names = [layout.name for layout in comparison.layouts]
        columns = [_("today"), *names]
        # The headline on the left, the changed sites on the right.
        x = [0.02] + [0.3 + 0.3 * (k + 1) / len(columns) for k in range(len(columns))]
        y = 0.9
        for column, at in zip(columns, x[1:], strict=True):
            fig.text(at, y, column, fontsize=8.5, ha="right")
        rows = [headline_rows(layout.summary, _) for layout in comparison.layouts]
        for position, (label, today, _proposed, kind) in enumerate(rows[0]):
            y -= 0.024
            fig.text(x[0], y, label, fontsize=8)
            values = [today, *(layout_rows[position][2] for layout_rows in rows)]
            for value, at in zip(values, x[1:], strict=True):
                fig.text(at, y, page_number(value, kind, _), fontsize=8, ha="right")
        y -= 0.04
        for layout in comparison.layouts:
            fig.text(x[0], y, f"{layout.name}: {proof_status(layout.summary, _)}", fontsize=8.5)
            y -= 0.024
        y, left = 0.93, 0.66
        changes = comparison.changes
        fig.text(
            left,
            y,
            f"{_('Changes')} ({_.ngettext('{count} change', '{count} changes', len(changes), count=len(changes))})",
            fontsize=12,
            va="top",
        )
        y -= 0.045
        listed = LISTED_CHANGES[paper]
        for _index, row in changes.head(listed).iterrows():
            decisions = " / ".join(
                f"{name}: {_(VALUE_LABELS.get(row[f'decision: {name}'], row[f'decision: {name}']))}" for name in names
            )
            fig.text(
                left + 0.01,
                y,
                f"{row['name']} ({_(VALUE_LABELS.get(row['tier'], row['tier']))}) — {decisions}",
                fontsize=7.5,
            )
            y -= 0.02
        if len(changes) > listed:
            more = len(changes) - listed
            fig.text(left + 0.01, y, _.ngettext("and {count} more", "and {count} more", more, count=more), fontsize=7.5)
        sources = "; ".join([*credits(first.scenario, _), FONT_LICENCE])
        fig.text(0.02, 0.02, _("Sources: {sources}", sources=sources), fontsize=7, va="bottom")
        save_pdf(fig, path)
    finally:
        plt.close(fig)
    return path
