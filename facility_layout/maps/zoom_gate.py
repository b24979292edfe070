"""Layers drawn only within a range of zoom levels, their features made the first time they are wanted.

A prefecture's map holds thousands of catchments, cells and markers; building them all at load made the page
slow to open. Such a layer's JavaScript defines ``group()`` (make the Leaflet group once, return it) and takes
the methods below, which add the group to the map while the zoom is in range and the layer is on, and remove it
otherwise. The township overview is shown below the detail zoom, the detail from it on.
"""

from __future__ import annotations

# The Leaflet methods, after a layer's own ``group`` method; __WANTED__ is a JavaScript test of ``map``.
_METHODS = """
            onAdd: function (map) {
                this._sync = () => {
                    const wanted = __WANTED__;
                    if (wanted !== (this._group !== undefined && map.hasLayer(this._group))) {
                        wanted ? map.addLayer(this.group()) : map.removeLayer(this._group);
                    }
                };
                map.on("zoomend", this._sync);
                this._sync();
            },
            onRemove: function (map) {
                map.off("zoomend", this._sync);
                if (this._group) { map.removeLayer(this._group); }
            },
            getLayers: function () { return this._group && this._map ? this._group.getLayers() : []; },
            bringToBack: function () { if (this._group) { this._group.bringToBack(); } return this; },
        }))();
        {% endmacro %}
"""


def from_zoom(zoom_expression: str) -> str:
    """The methods of a layer drawn from ``zoom_expression`` (a Jinja expression of the element) on."""
    return _METHODS.replace("__WANTED__", f"map.getZoom() >= {{{{ {zoom_expression} }}}}")


def below_zoom(zoom_expression: str) -> str:
    """The methods of a layer drawn below ``zoom_expression`` (a Jinja expression of the element)."""
    return _METHODS.replace("__WANTED__", f"map.getZoom() < {{{{ {zoom_expression} }}}}")
