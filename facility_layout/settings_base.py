"""The building blocks of every scenario setting: a strict frozen base, number types with a unit and sane
bounds, and file inputs given as a path or as a mapping of reading options.

Every number setting has one of the number types (finite, at most a physically sane bound, never a YAML yes/no
nor text; see docs/reliability.md); the fields add their own lower and tighter upper bounds.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag

from facility_layout.errors import N_, InvalidValueError, Message
from facility_layout.scenario_problems import MAPPING_FORM, PATH_FORM, NumberOf


class Settings(BaseModel):
    """Strict base: unknown keys are errors, numbers are finite, values are immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _plain_number(words: str, value: Any) -> Any:
    """Refuse what YAML typed as other than a number: yes/no (``yes`` would read as 1) and quoted text."""
    if isinstance(value, bool):
        raise InvalidValueError(
            "a YAML yes/no value (YAML reads yes, no, on, off, true, false as yes/no), not {words}",
            words=Message(words),
        )
    if isinstance(value, str):
        raise InvalidValueError("text, not {words} (write the number without quotes or units)", words=Message(words))
    return value


def _number(words: str, most: float, kind: type = float) -> Any:
    """The type of a setting holding ``words``: a finite number (``kind``) of at most ``most``, never a
    yes/no nor text. Fields add their own lower (and tighter upper) bounds."""
    return Annotated[kind, BeforeValidator(partial(_plain_number, words)), Field(le=most), NumberOf(words)]


# Every number setting has one of these types: finite, at most a physically sane bound (docs/reliability.md).
MAX_MINUTES = 7 * 24 * 60  # a week: no travel standard or added minutes is longer
Minutes = _number(N_("a number of minutes"), MAX_MINUTES)
Seconds = _number(N_("a number of seconds"), 7 * 24 * 3600)
Kmh = _number(N_("a speed in km/h"), 300)
Km = _number(N_("a length in km"), 40_000)
Metres = _number(N_("a length in metres"), 100_000)
Percent = _number(N_("a percentage"), 100)
Share = _number(N_("a share from 0 to 1"), 1)
Factor = _number(N_("a factor"), 100)
People = _number(N_("a number of people"), 1e10)
Cost = _number(N_("a cost"), 1e12)
Count = _number(N_("a whole number"), 1_000_000, int)
Seed = _number(N_("a whole number (a seed)"), 2**32 - 1, int)
OsmId = _number(N_("an OSM id"), 2**63 - 1, int)


def _not_yes_no(value: Any) -> Any:
    if isinstance(value, bool):
        raise InvalidValueError("a YAML yes/no value; to mean the text, quote it (e.g. 'yes')")
    return value


# A value of the facility file's tier field: a number or text, never a YAML yes/no.
TierValue = Annotated[int | str, BeforeValidator(_not_yes_no)]


class VectorOptions(Settings):
    """How to read a vector file as an office holds it (see :mod:`facility_layout.readers.vector`).

    ``encoding`` of a Shapefile's ``.dbf`` attribute table when it has no ``.cpg`` (e.g. ``gbk``); ``layer``
    of a GeoPackage (name or index); ``filter``: keep only features whose attributes equal these values,
    e.g. ``{name: 某某县}`` to pick one county from a file of many.
    """

    encoding: str | None = None
    layer: str | int | None = None
    filter: dict[str, str | int | float] | None = None


class VectorSource(VectorOptions):
    """A vector file given as a mapping ``{file, encoding, layer, filter}`` instead of a plain path."""

    file: Path


def source_file(source: Path | VectorOptions) -> Path:
    """The file of an input given as a path or as a mapping with ``file``."""
    return source if isinstance(source, Path) else source.file  # type: ignore[attr-defined]


def path_or(model: type[Settings]) -> Any:
    """A file input given as a path or as a mapping of ``model``: only the form given is validated, so an
    error in the mapping is reported alone, not beside "not a valid path"."""
    return Annotated[
        Annotated[Path, Tag(PATH_FORM)] | Annotated[model, Tag(MAPPING_FORM)],
        Discriminator(lambda v: MAPPING_FORM if isinstance(v, dict | BaseModel) else PATH_FORM),
    ]
