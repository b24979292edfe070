"""Readers for inputs as offices hold them: vector files with options, rosters and census tables, road files.

One concern per module: :mod:`.vector` (Shapefile/GeoPackage/GeoJSON with encoding, layer, filter),
:mod:`.tables` (CSV/XLSX rows with row numbers and checked number columns), :mod:`.points` (coordinate
columns → WGS 84 points), :mod:`.census` (village census → villages), :mod:`.roads_vector` (road lines with
Chinese grades → road graph), :mod:`.pbf` (OSM ``.osm.pbf`` → road graph).
"""
