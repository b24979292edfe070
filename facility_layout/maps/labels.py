"""Place names on the map: township centres from zoom :data:`LABEL_MIN_ZOOM` ``centre`` on, settlements from
``settlement`` on, drawn only within the view (a prefecture has thousands of settlements)."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.map import Layer
from folium.template import Template

from facility_layout import formatting as fmt
from facility_layout.i18n import ENGLISH, Translator
from facility_layout.inputs import TOWNSHIP_CENTRE
from facility_layout.maps.styles import COORDINATE_DECIMALS, LABEL_MIN_ZOOM

MAX_LABELS_IN_VIEW = 300  # beyond this the names would overlap into a grey smear anyway
LABELS_PANE, LABELS_PANE_Z = "fl-labels", 450  # above the layout's lines (400), below the facility symbols (600)


class _Labels(Layer):
    """Names as non-interactive text markers, redrawn for the view after each move or zoom."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        (function (group, map, labels, minZoom, most) {
            function update() {
                group.clearLayers();
                if (!map.hasLayer(group)) { return; }
                const zoom = map.getZoom(), view = map.getBounds().pad(0.1);
                let shown = 0;
                for (const [lat, lng, name, kind] of labels) {
                    if (zoom < minZoom[kind] || !view.contains([lat, lng])) { continue; }
                    group.addLayer(L.marker([lat, lng], {
                        icon: L.divIcon({className: `fl-label fl-label-${kind}`, html: name, iconSize: null,
                                         iconAnchor: [-13, 8]}),
                        interactive: false, keyboard: false, pane: {{ this.pane|tojson }},
                    }));
                    if (++shown >= most) { break; }
                }
            }
            group.on("add", update);
            map.on("moveend", update);
        })({{ this.get_name() }}, {{ this._parent.get_name() }}, {{ this.labels|tojson }},
           {{ this.min_zoom|tojson }}, {{ this.most }});
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[list], min_zoom: dict[str, int], most: int, name: str) -> None:
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "Labels"
        self.labels = labels
        self.min_zoom = min_zoom
        self.most = most
        self.pane = LABELS_PANE


def add_labels(
    fmap: folium.Map, facilities: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame | None, _: Translator = ENGLISH
) -> None:
    """Township centres' names, then settlements' (both already in map coordinates); names HTML-escaped by
    :func:`facility_layout.formatting.text`, as the label is markup."""
    folium.map.CustomPane(LABELS_PANE, z_index=LABELS_PANE_Z).add_to(fmap)
    centres = facilities[facilities["tier"] == TOWNSHIP_CENTRE]
    frames = [(centres, "centre")]
    if settlements is not None and len(settlements):
        frames.append((settlements, "settlement"))
    labels = []
    for frame, kind in frames:
        lon = np.round(frame.geometry.x.to_numpy(), COORDINATE_DECIMALS)
        lat = np.round(frame.geometry.y.to_numpy(), COORDINATE_DECIMALS)
        names = pd.Series(frame["name"]).map(fmt.text)
        labels += [[float(y), float(x), n, kind] for x, y, n in zip(lon, lat, names, strict=True) if n]
    name = _(
        "Labels: township centres (from zoom {centre}) and settlements (from zoom {settlement})",
        centre=LABEL_MIN_ZOOM["centre"],
        settlement=LABEL_MIN_ZOOM["settlement"],
    )
    fmap.add_child(_Labels(labels, LABEL_MIN_ZOOM, MAX_LABELS_IN_VIEW, name))
