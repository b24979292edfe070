"""What both briefs share: paper sizes, figures as the page shows them, the proof status, the PDF with its font."""

from __future__ import annotations

import tempfile
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from facility_layout.brief.fonts import subset_truetype
from facility_layout.i18n import Translator

PAPER_INCHES = {"a4": (11.69, 8.27), "a3": (16.54, 11.69)}


# Decimals a headline figure is shown with, by kind (a share as a percentage with one decimal).
SHOWN_DIGITS = {"share": 3, "minutes": 1, "people": 0, "count": 0}


def displayed(value: float, kind: str) -> float:
    """A headline figure rounded as the page shows it: half to even on its decimal text, as Babel rounds
    (7.65 shows as 7.6, where ``round`` would give 7.7)."""
    step = Decimal(1).scaleb(-SHOWN_DIGITS.get(kind, 2))
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_EVEN))


def page_number(value: Any, kind: str, _: Translator, signed: bool = False) -> str:
    """A headline figure as the page shows it (kind as in :func:`facility_layout.workbook.headline_rows`)."""
    if value is None:
        return "–"
    sign = "+" if signed and value > 0 else ""
    if kind == "share":
        return sign + _.percent(value)
    return sign + _.decimal(value, SHOWN_DIGITS.get(kind, 2))


def proof_status(summary: dict[str, Any], _: Translator) -> str:
    """What the solver proved about a layout, in words."""
    solver = summary.get("solver") or {}
    if solver.get("status") == "given":
        return _("Layout given by hand: evaluated, not optimised")
    if solver.get("proven_optimal"):
        return _("Solver: {solver}, proven optimal", solver=solver.get("name", ""))
    gap = solver.get("gap")
    return _(
        "Solver: {solver}, {status}, NOT proven optimal (gap {gap})",
        solver=solver.get("name", ""),
        status=solver.get("status", ""),
        gap="–" if gap is None else _.percent(gap),
    )


def save_pdf(fig: Figure, path: Path, fit: dict[Text, float] | None = None) -> None:
    """Embed the glyphs the page uses (every text of the figure) and write the PDF; each text of ``fit`` is
    made smaller (down to 5.5 pt) until it is no wider than its figure fraction, measured in the page's font."""
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    characters = "".join(sorted({c for t in texts for c in t.get_text()}))
    with tempfile.TemporaryDirectory(prefix="facility-layout-font-") as folder:
        font_file = subset_truetype(characters, Path(folder) / "brief.ttf")
        font_manager.fontManager.addfont(str(font_file))
        for text in texts:
            # One regular face: headings stand out by size, not weight.
            text.set_fontproperties(font_manager.FontProperties(fname=str(font_file), size=text.get_fontsize()))
        renderer = fig.canvas.get_renderer()
        for text, room in (fit or {}).items():
            while text.get_window_extent(renderer).width > room * fig.bbox.width and text.get_fontsize() > 5.5:
                text.set_fontsize(text.get_fontsize() - 0.25)
        with matplotlib.rc_context({"pdf.fonttype": 42}):
            fig.savefig(path, format="pdf")
