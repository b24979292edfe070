"""Colours of the layout shared by every output: the interactive map (facility_layout/maps/), brief.pdf and
the GeoPackage's QGIS styles; a facility or a class of minutes has one colour everywhere.
"""

from __future__ import annotations

from facility_layout.inputs import TOWNSHIP_CENTRE, VILLAGE_CLINIC

# (tier, decision) → fill, outline, marker shape (matplotlib / QGIS names) and its legend message id.
FACILITY_STYLES = {
    (VILLAGE_CLINIC, "keep"): ("#2e7d32", "#ffffff", "circle", "Village clinic kept"),
    (VILLAGE_CLINIC, "close"): ("#bdbdbd", "#c62828", "cross", "Village clinic closed"),
    (VILLAGE_CLINIC, "build"): ("#1565c0", "#ffffff", "triangle", "Village clinic built"),
    (TOWNSHIP_CENTRE, "keep"): ("#7b1fa2", "#ffffff", "square", "Township health centre kept"),
    (TOWNSHIP_CENTRE, "upgrade"): ("#4a148c", "#ffd54f", "star", "Central township health centre (upgraded)"),
}
# Minutes to the village clinic: first, second and last third of the standard; beyond it; no possible site.
WITHIN_STANDARD_COLOURS = ("#1a9850", "#91cf60", "#fee08b")
BEYOND_STANDARD_COLOUR = "#d73027"
UNCOVERABLE_COLOUR = "#6e6e6e"
CATCHMENT_OUTLINE = "#4a148c"
CATCHMENT_FILL = "#ce93d8"
BOUNDARY_COLOUR = "#222222"
REFERRAL_COLOUR = "#7b1fa2"
