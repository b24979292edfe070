"""Numbers and input text as the map, the report and their panels show them: a dash for a missing value."""

from __future__ import annotations

import html
import math
from typing import Any

MISSING = "–"


def finite(value: Any) -> float | None:
    """The value as a float, or None if it is missing, not a number or not finite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def text(value: Any) -> str:
    """Input text, HTML-escaped (quotes too, for attributes); '' for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value))


def num(value: float) -> str:
    """A figure to one decimal, without a trailing '.0'."""
    return f"{round(value, 1):g}"


def _formatted(value: Any, template: str) -> str:
    number = finite(value)
    return MISSING if number is None else template.format(number)


def people(value: Any) -> str:
    return _formatted(value, "{:,.0f}")


def count(value: Any) -> str:
    return _formatted(value, "{:.0f}")


def number(value: Any) -> str:
    """Whole numbers without decimals, others with two."""
    figure = finite(value)
    return _formatted(figure, "{:,.0f}" if figure is not None and figure.is_integer() else "{:,.2f}")


def minutes(value: Any, _: Any = None) -> str:
    """'12.5 min', or in the language of the translator ``_`` ('12.5 分钟')."""
    figure = finite(value)
    if figure is None:
        return MISSING
    return f"{num(figure)} min" if _ is None else _("{minutes} min", minutes=num(figure))


def metres(value: Any) -> str:
    return _formatted(value, "{:,.0f} m")


def share(part: Any, whole: Any) -> str:
    """'12,345 (67.8%)' people, or only the count when the total is unknown."""
    figure, total = finite(part), finite(whole)
    if figure is None:
        return MISSING
    return f"{people(figure)} ({figure / total:.1%})" if total else people(figure)
