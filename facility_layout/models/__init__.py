"""Location models over plain arrays: no GIS types, so they are tested and benchmarked on bare matrices."""
