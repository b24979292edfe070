"""The brief's font: Noto Sans CJK SC from the ``noto-cjk-sans-otc`` package (SIL Open Font License 1.1),
installed with the project, so no internet is needed at run time.

The collection's Simplified Chinese face is CFF-flavoured OpenType, which PDF writers embed poorly; the
glyphs a page uses are cut out with fontTools and converted to TrueType outlines (quadratic curves, cu2qu),
which matplotlib embeds as a Type 42 subset with a Unicode map, so the PDF's text can be searched and copied.
"""

from __future__ import annotations

from pathlib import Path

import noto_cjk_sans_otc
from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

# Faces of NotoSansCJK-Regular.ttc: JP, KR, SC, TC, HK, then the monospaced ones.
SIMPLIFIED_CHINESE_FACE = 2
FONT_LICENCE = "Noto Sans CJK SC (SIL Open Font License 1.1)"
# Largest distance between a cubic curve and its quadratic approximation, in font units (of 1000 per em).
CURVE_TOLERANCE = 1.0


def subset_truetype(text: str, path: Path) -> Path:
    """Write a TrueType font with the glyphs of ``text`` (and .notdef) to ``path``."""
    font = TTFont(str(noto_cjk_sans_otc.FONT_PATH), fontNumber=SIMPLIFIED_CHINESE_FACE, lazy=True)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    cutter = subset.Subsetter(options)
    cutter.populate(text=text + " ")
    cutter.subset(font)
    _cff_to_truetype(font)
    font.save(str(path))
    return path


def _cff_to_truetype(font: TTFont) -> None:
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, CURVE_TOLERANCE, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"], font["glyf"] = newTable("loca"), glyf
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType, post.extraNames, post.mapping, post.glyphOrder = 2.0, [], {}, order
    font.sfntVersion = "\x00\x01\x00\x00"
