"""Leaflet, inlined: the maps and the comparison report open with no network.

The files under ``static/leaflet`` are Leaflet 1.9.4 as published on npm (``dist/``), BSD-2-Clause (its
``LICENSE`` beside them). The stylesheet's images become data URIs so one HTML file carries everything.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources

LEAFLET_VERSION = "1.9.4"
_IMAGE_URL = re.compile(r"url\(images/([\w.-]+\.png)\)")


def _static(name: str) -> bytes:
    return resources.files("facility_layout").joinpath("static", "leaflet", name).read_bytes()


@cache
def leaflet_head() -> str:
    """``<style>`` and ``<script>`` elements holding Leaflet's CSS and JavaScript, for a page's ``<head>``."""

    def data_uri(match: re.Match[str]) -> str:
        encoded = base64.b64encode(_static(match.group(1))).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = _IMAGE_URL.sub(data_uri, _static("leaflet.css").decode("utf-8"))
    js = _static("leaflet.js").decode("utf-8")
    # Leaflet's source holds no "</script" or "</style", so the inline elements cannot close early.
    if "</script" in js.lower() or "</style" in css.lower():
        raise ValueError("the bundled Leaflet files cannot be inlined as they are")
    return f"<style>\n{css}\n</style>\n<script>\n{js}\n</script>\n"
