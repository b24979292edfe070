"""Words the tool writes, in the planner's language: one gettext catalogue per language.

Each language has a ``.po`` file in ``facility_layout/locales/`` (the standard gettext format, edited with any
PO editor). Message ids are the English text, with named placeholders (``{people}``); the catalogues are
read with Babel at run time and compiled in memory, so ``pip install -e .`` needs no compile step. Numbers
are formatted by Babel for the language's locale.

Usage::

    _ = translator("zh-CN")
    _("{people} people", people=_.people(1200))      # "1,200 人"
    _.ngettext("{n} clinic", "{n} clinics", 3, n=3)  # "3 个村卫生室"
"""

from __future__ import annotations

import gettext
import io
import math
from functools import cache
from importlib.resources import files

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LANGUAGES = ("en", "zh-CN")
DEFAULT_LANGUAGE = "en"
# Catalogue file and Babel locale of each language.
CATALOGUES = {"en": "en.po", "zh-CN": "zh_CN.po"}
LOCALES = {"en": "en", "zh-CN": "zh_Hans_CN"}


def catalogue_path(language: str):
    """The ``.po`` file of a language (a Traversable inside the installed package)."""
    return files("facility_layout").joinpath("locales", CATALOGUES[language])


@cache
def _translations(language: str) -> gettext.GNUTranslations:
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=LOCALES[language].split("_")[0])
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """A language's messages and number formats; call it like gettext's ``_``."""

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
        self.language = language
        self.locale = Locale.parse(LOCALES[language])
        self._catalogue = _translations(language)

    def __call__(self, message: str, /, **values: object) -> str:
        """The message in this language, its ``{placeholders}`` filled from ``values``."""
        text = self._catalogue.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        """The singular or plural form for ``n`` (Chinese has one form)."""
        return self._catalogue.ngettext(singular, plural, n).format(**values)

    def decimal(self, value: float, digits: int = 1) -> str:
        """A number with the locale's separators and at most ``digits`` decimals; '–' if not finite."""
        if value is None or not math.isfinite(value):
            return "–"
        return format_decimal(value, format=f"#,##0.{'#' * digits}" if digits else "#,##0", locale=self.locale)

    def people(self, value: float) -> str:
        """A count of people, whole."""
        return self.decimal(value, 0)

    def percent(self, share: float, digits: int = 1) -> str:
        """A share (0.25) as a percentage ('25.0%')."""
        if share is None or not math.isfinite(share):
            return "–"
        return format_percent(share, format=f"#,##0.{'0' * digits}%", locale=self.locale)

    def minutes(self, value: float) -> str:
        """Minutes with their unit ('12.5 min', '12.5 分钟'); '–' if not finite."""
        if value is None or not math.isfinite(value):
            return "–"
        return self("{minutes} min", minutes=self.decimal(value, 1))


@cache
def translator(language: str = DEFAULT_LANGUAGE) -> Translator:
    """The :class:`Translator` of ``language`` (one of :data:`LANGUAGES`)."""
    return Translator(language)


# The column header of each field the outputs write (message ids; CSV, workbook and GeoPackage aliases).
FIELD_LABELS = {
    "cell_id": "Cell",
    "population": "People",
    "clinic_minutes": "Minutes to village clinic",
    "clinic_site_id": "Village clinic id",
    "clinic_name": "Village clinic",
    "centre_minutes": "Minutes to township health centre",
    "centre_name": "Township health centre",
    "clinic_minutes_today": "Minutes to village clinic today",
    "centre_minutes_today": "Minutes to township health centre today",
    "uncoverable": "No possible site within the standard",
    "off_network": "Off the road network",
    "cut_off": "No facility within reach",
    "elevation_m": "Elevation (m)",
    "x": "x (m)",
    "y": "y (m)",
    "site_id": "Site id",
    "name": "Name",
    "tier": "Tier",
    "origin": "Origin",
    "decision": "Decision",
    "merged_into": "Merged into",
    "merged_into_id": "Merged into (id)",
    "reason": "Reason",
    "population_served": "People served",
    "mean_minutes": "Mean minutes",
    "p95_minutes": "95th percentile minutes",
    "max_minutes": "Longest minutes",
    "referral_centre": "Referral township health centre",
    "referral_minutes": "Referral minutes",
    "cost": "Cost",
    "centre_id": "Township health centre id",
    "minutes": "Minutes",
    "kind": "Kind",
    "area": "Township",
    "scenario": "Layout",
    "people": "People",
    "within_clinic_standard": "People within the village clinic standard",
    "within_clinic_standard_share": "Share within the village clinic standard",
    "clinic_minutes_mean": "Mean minutes to village clinic",
    # The villages of a census run (layer and villages.csv); shared labels read back as the fields above.
    "village": "Village",
    "township": "Township",
    "census_row": "Census row",
    "clinic": "Village clinic",
    "clinic_id": "Village clinic id",
    "within_standard": "Within the village clinic standard",
    "centre": "Township health centre",
    "within_standard_today": "Within the village clinic standard today",
    # counties.csv of a partitioned run.
    "county": "County",
    "status": "Status",
    "population_total": "People",
    "population_within_clinic_standard": "People within the village clinic standard",
    "share_within_clinic_standard": "Share within the village clinic standard",
    "population_within_centre_standard": "People within the township health centre standard",
    "clinics_keep": "Village clinics kept",
    "clinics_close": "Village clinics closed",
    "clinics_build": "Village clinics built",
    "centres_upgrade": "Township centres upgraded to central",
    "clinic_minutes_p95": "95th percentile minutes to village clinic",
    "solver_status": "Solver status",
    "seconds": "Seconds",
    "message": "Message",
    "population_served_by_neighbours": "People served by a neighbouring county's clinic",
}
# Words of the coded values in the tables (tier, decision, origin, kind of area).
VALUE_LABELS = {
    "village_clinic": "village clinic",
    "township_centre": "township health centre",
    "keep": "keep",
    "close": "close",
    "build": "build",
    "upgrade": "upgrade",
    "existing": "existing",
    "new": "new site",
    "neighbour": "neighbouring county's",  # a neighbour's clinic within a partition's halo
    "not built": "not built",  # a new site a compared layout does not build
    "catchment": "catchment",
    "beyond": "beyond the standard",
    "uncoverable": "no possible site within the standard",
    "done": "done",  # how a county of a partitioned run ended
    "reused": "reused",
    "failed": "failed",
}
CODED_FIELDS = ("tier", "decision", "origin", "kind", "status")


def column_label(field: str, _: Translator) -> str:
    """A field's header in ``_``'s language (the field name itself if it has no label)."""
    return _(FIELD_LABELS[field]) if field in FIELD_LABELS else field


def field_of(header: str) -> str:
    """The field a header names, in any language (a field name is returned as is): reads tables back."""
    return _HEADER_FIELDS.get(header.strip(), header.strip())


def code_of(word: str) -> str:
    """The code a value's word stands for, in any language ('保留' → 'keep'); other text as is."""
    return _VALUE_CODES.get(word.strip(), word.strip())


def localised_table(frame, _: Translator):
    """``frame`` with headers, coded values (tier, decision, origin, kind) and yes/no in ``_``'s language."""
    out = frame.copy()
    for field in CODED_FIELDS:
        if field in out.columns:
            out[field] = out[field].map(lambda v: _(VALUE_LABELS[v]) if v in VALUE_LABELS else v)
    for field in out.select_dtypes(include="bool").columns:
        out[field] = out[field].map({True: _("yes"), False: _("no")})
    return out.rename(columns={c: column_label(c, _) for c in out.columns})


def _reverse(labels: dict[str, str]) -> dict[str, str]:
    # A label shared by two fields ("People") reads back as the first, the layer's own field.
    words: dict[str, str] = {}
    for language in LANGUAGES:
        _ = translator(language)
        for code, label in labels.items():
            words.setdefault(_(label), code)
    return words


_HEADER_FIELDS = _reverse(FIELD_LABELS)
_VALUE_CODES = _reverse(VALUE_LABELS)


def csv_table(frame, _: Translator):
    """``frame`` as a CSV shows it: in English the field names and codes scripts read (``site_id``,
    ``keep``), in another language its words (:func:`localised_table`); reading back accepts both."""
    return frame if _.language == DEFAULT_LANGUAGE else localised_table(frame, _)


# The default language's translator, for functions whose callers need not choose one.
ENGLISH = translator(DEFAULT_LANGUAGE)
