"""Strictly valid JSON for every JSON file the tool writes.

Python's ``json`` writes ``Infinity`` and ``NaN`` by default, which no strict JSON reader (browsers'
``JSON.parse``, jq, most GIS tools) accepts. Here a figure that is not a finite number is written as
``null`` ("no value"), and anything else that JSON cannot hold is an error, not a silent ``NaN``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np


def finite_json(value: Any) -> Any:
    """``value`` with every non-finite float (inf, -inf, nan) replaced by None, numpy scalars as Python ones."""
    if isinstance(value, dict):
        return {key: finite_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps_json(value: Any, **options: Any) -> str:
    """``value`` as strictly valid JSON text (non-finite numbers as null); ``options`` go to :func:`json.dumps`."""
    return json.dumps(finite_json(value), allow_nan=False, **options)


def dump_json(value: Any, path: Path) -> None:
    """Write ``value`` to ``path`` as strictly valid, indented UTF-8 JSON (non-finite numbers as null)."""
    Path(path).write_text(dumps_json(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
