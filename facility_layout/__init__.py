"""facility_layout: where to build, keep, merge or upgrade rural health facilities."""

__version__ = "0.1.0"
