"""``facility-layout fetch``: a region's inputs from public sources (OpenStreetMap, WorldPop, SRTM).

Modules, one concern each: :mod:`~facility_layout.fetch.http` (downloads: cache, resume, retry),
:mod:`~facility_layout.fetch.sources` (the services' wire formats), :mod:`~facility_layout.fetch.osm` and
:mod:`~facility_layout.fetch.rasters` (clipping and writing), :mod:`~facility_layout.fetch.starter`
(scenario.yaml and SOURCES.md), :mod:`~facility_layout.fetch.region` (the whole fetch).
"""
