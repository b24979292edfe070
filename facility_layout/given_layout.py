"""A layout given by hand: the ``facilities.csv`` of a run, edited in a spreadsheet, read back as decisions.

``facility-layout evaluate SCENARIO --layout FILE`` evaluates such a layout instead of optimising one. The
file needs the columns ``site_id`` and ``decision``; other columns (the run's figures, now stale) are
ignored. Spreadsheets save CSV in many ways, all read here: UTF-8 with or without a byte-order mark,
UTF-16, GBK/GB18030, comma, semicolon or tab separators, CRLF line ends. Every problem is reported with its
row number (the header is row 1), all at once.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from facility_layout.access import reached
from facility_layout.candidates import CENTRE_SITE, EXISTING_CLINIC, NEW_SITE, Sites
from facility_layout.errors import N_, InputError, Joined, Message
from facility_layout.i18n import VALUE_LABELS, code_of, field_of
from facility_layout.models.two_tier import TOWNSHIP_CENTRE, TwoTier, TwoTierResult
from facility_layout.outputs import spreadsheet_text

FIELD = "--layout"
NOT_BUILT = "not built"
# The decisions each kind of site may take; "close" of a new site means it is not built.
DECISIONS = {
    CENTRE_SITE: ("keep", "upgrade"),
    EXISTING_CLINIC: ("keep", "close"),
    NEW_SITE: ("build", NOT_BUILT, "close"),
}
KIND_WORDS = {
    CENTRE_SITE: N_("township centre"),
    EXISTING_CLINIC: N_("existing village clinic"),
    NEW_SITE: N_("new site"),
}
SHOWN_PROBLEMS = 12


@dataclass(frozen=True)
class GivenLayout:
    """The decisions of a layout file, per site of the run.

    Attributes
    ----------
    open_sites : numpy.ndarray of bool
        Per site: kept, built or upgraded.
    central : numpy.ndarray of bool
        Per township centre (in centre order): upgraded to central.
    path : Path
        The file.
    """

    open_sites: np.ndarray
    central: np.ndarray
    path: Path


def decode(data: bytes) -> str:
    """The text of a spreadsheet's CSV: UTF-16 or UTF-8 by their byte-order marks, else UTF-8, else GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header (as written) and (row number, cells) of a CSV file as spreadsheets write it; blank rows are skipped.

    Raises
    ------
    InputError
        The file cannot be read or decoded.
    """
    try:
        text = decode(path.read_bytes())
    except OSError as exc:
        raise InputError(
            FIELD, path, "cannot read the layout file ({strerror})", "give an existing CSV file", strerror=exc.strerror
        ) from None
    except UnicodeDecodeError:
        raise InputError(
            FIELD, path, "is neither UTF-8, UTF-16 nor GBK text", "save it from the spreadsheet as CSV (UTF-8)"
        ) from None
    first = text.lstrip().partition("\n")[0]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = [(number, [cell.strip() for cell in row]) for number, row in enumerate(reader, start=1)]
    rows = [(number, row) for number, row in rows if any(row)]
    if not rows:
        raise InputError(FIELD, path, "is empty", "give the facilities.csv of a run, with columns site_id and decision")
    return rows[0][1], rows[1:]


def read_given_layout(path: Path, sites: Sites) -> GivenLayout:
    """The decisions of ``path`` on the run's ``sites`` (matched by ``site_id``).

    Every existing clinic and township centre needs a row; new sites without a row are not built.

    Raises
    ------
    InputError
        Naming the file, every row with an unknown site id, a decision the site cannot take or a repeated
        site, and the facilities without a row.
    """
    path = Path(path)
    written, rows = read_rows(path)
    # Headers and decisions as a run wrote them in any language (Decision/决策, keep/保留).
    header = [field_of(name).lower() for name in written]
    missing = [name for name in ("site_id", "decision") if name not in header]
    if missing:
        raise InputError(
            FIELD,
            path,
            "has no column {missing} (its columns: {value})",
            "keep the site_id and decision columns of the facilities.csv a run wrote",
            missing=", ".join(missing),
            value=", ".join(header) or Message("none"),
        )
    id_col, decision_col = header.index("site_id"), header.index("decision")
    index = {str(site_id): j for j, site_id in enumerate(sites.site_id)}
    decision: dict[int, str] = {}
    row_of: dict[int, int] = {}
    problems = []
    for number, row in rows:
        site_id = row[id_col] if id_col < len(row) else ""
        value = code_of(row[decision_col] if decision_col < len(row) else "").lower()
        # A spreadsheet may show the id 12 as 12.0 once it took it for a number; an id that would start a
        # formula was written with an apostrophe before it (outputs.spreadsheet_safe).
        site_id = spreadsheet_text(site_id)
        j = index.get(site_id, index.get(site_id.removesuffix(".0")))
        if j is None:
            problems.append(
                Message(
                    "row {number}: site_id {site_id!r} is not a site of this scenario", number=number, site_id=site_id
                )
            )
            continue
        allowed = DECISIONS[sites.kind[j]]
        if value not in allowed:
            problems.append(
                Message(
                    "row {number}: site {site_id} is a {kind}; decision {value!r} must be one of {allowed}",
                    number=number,
                    site_id=site_id,
                    kind=Message(KIND_WORDS[sites.kind[j]]),
                    value=value,
                    allowed=Joined([Message(VALUE_LABELS[word]) for word in allowed]),
                )
            )
        elif j in decision:
            problems.append(
                Message(
                    "row {number}: site {site_id} repeats row {row_of}",
                    number=number,
                    site_id=site_id,
                    row_of=row_of[j],
                )
            )
        else:
            decision[j], row_of[j] = value, number
    unlisted = [str(sites.site_id[j]) for j in np.flatnonzero(sites.kind != NEW_SITE) if j not in decision]
    if unlisted and not problems:
        shown = ", ".join(unlisted[:SHOWN_PROBLEMS]) + (" …" if len(unlisted) > SHOWN_PROBLEMS else "")
        problems.append(
            Message("no row for {n_unlisted} existing facilities ({shown})", n_unlisted=len(unlisted), shown=shown)
        )
    if problems:
        more = len(problems) - SHOWN_PROBLEMS
        shown = problems[:SHOWN_PROBLEMS] + ([Message("and {more} more", more=more)] if more > 0 else [])
        raise InputError(
            FIELD,
            path,
            "{problems}",
            "give each existing facility one row with its decision (keep, close; township centres keep or "
            "upgrade) and new sites build",
            problems=Joined(shown, "; "),
        )
    open_sites = np.zeros(len(sites), dtype=bool)
    for j, value in decision.items():
        open_sites[j] = value in ("keep", "build", "upgrade")
    centres = sites.centres
    central = np.array([decision.get(int(j)) == "upgrade" for j in centres], dtype=bool)
    return GivenLayout(open_sites=open_sites, central=central, path=path)


def broken_rules(model: TwoTier, result: TwoTierResult, site_id: np.ndarray) -> list[dict[str, Any]]:
    """Every planning rule ``result``'s layout breaks, as summary.json lists them for a given layout.

    Each entry has ``rule`` (``clinic_standard``, ``referral``, ``remote_keep``, ``village_merge``,
    ``central_count``, ``required_sites``, ``forbidden_sites``), ``people`` or ``sites`` and ``words``.
    """
    pop = model.population
    open_sites = result.open_sites
    broken: list[dict[str, Any]] = []
    beyond = (result.assignment < 0) & ~result.uncoverable & (pop > 0)
    if beyond.any():
        people = float(pop[beyond].sum())
        broken.append(
            {
                "rule": "clinic_standard",
                "people": round(people, 2),
                "words": f"{people:,.0f} people are beyond the clinic standard ({model.max_travel_minutes:g} min) "
                "though some site could serve them within it",
            }
        )
    clinics = model.site_kind != TOWNSHIP_CENTRE
    no_referral = [str(site_id[j]) for j in result.referral_violations if clinics[j]]
    if no_referral:
        broken.append(
            {
                "rule": "referral",
                "sites": no_referral,
                "words": f"{len(no_referral)} open clinics have no township centre within "
                f"{model.referral_max_minutes:g} min for referral",
            }
        )
    if model.remote_keep_minutes is not None:
        stranded = model.remote_protected() & ~reached(model.demand_to_site, open_sites, model.remote_keep_minutes)
        if stranded.any():
            catchment, _ = model.existing_catchment()
            closed = sorted({str(site_id[j]) for j in catchment[stranded]})
            people = float(pop[stranded].sum())
            broken.append(
                {
                    "rule": "remote_keep",
                    "people": round(people, 2),
                    "sites": closed,
                    "words": f"closing {', '.join(closed)} leaves {people:,.0f} people with no clinic within "
                    f"{model.remote_keep_minutes:g} min",
                }
            )
    unmerged = [m for m in result.merges if m.into < 0]
    if unmerged:
        broken.append(
            {
                "rule": "village_merge",
                "sites": [m.village_name for m in unmerged],
                "words": f"{len(unmerged)} villages have no clinic of their own and no adjacent village's clinic "
                "within the merge allowance",
            }
        )
    upgraded = int(result.central.sum())
    if upgraded != model.central_count:
        broken.append(
            {
                "rule": "central_count",
                "sites": [str(site_id[model.centres[k]]) for k in np.flatnonzero(result.central)],
                "words": f"{upgraded} township centres upgraded to central; the scenario asks for "
                f"{model.central_count}",
            }
        )
    for rule, mask, words in (
        ("required_sites", model.required & ~open_sites, "required by sites.required but closed"),
        ("forbidden_sites", model.forbidden & open_sites, "forbidden by sites.forbidden but open"),
    ):
        if mask.any():
            ids = [str(s) for s in site_id[mask]]
            broken.append({"rule": rule, "sites": ids, "words": f"{', '.join(ids)}: {words}"})
    return broken


def forced_sites(value: list[int | str] | Path, key: str, sites: Sites, source: Path | None) -> np.ndarray:
    """Site indices of ``sites.required`` or ``sites.forbidden``: a list of site ids, or a file of them (one per
    line, or a CSV with a ``site_id`` column).

    Raises
    ------
    InputError
        A missing file, or ids that are no site of the run (naming each id, and the file or the scenario).
    """
    if isinstance(value, Path):
        if not value.is_file():
            raise InputError(key, value, "file not found", "give a file of site ids, one per line, under the data root")
        header, rows = read_rows(value)
        names = [name.lower() for name in header]
        if "site_id" in names:
            column = names.index("site_id")
            ids = [(number, row[column] if column < len(row) else "") for number, row in rows]
        else:  # one id per line, no header
            ids = [(1, header[0]), *((number, row[0]) for number, row in rows)] if header else []
        where: Path | str = value
    else:
        ids = [(None, str(v)) for v in value]
        where = source or "scenario"
    index = {str(site_id): j for j, site_id in enumerate(sites.site_id)}
    unknown = [(number, site_id) for number, site_id in ids if site_id not in index]
    if unknown:
        named = ", ".join(
            f"{site_id!r}" + (f" (row {number})" if number else "") for number, site_id in unknown[:SHOWN_PROBLEMS]
        )
        raise InputError(
            key,
            where,
            "{n_unknown} site ids are no site of this run: {named}",
            "use the site_id values of a run's facilities.csv (new sites have ids like those listed there)",
            n_unknown=len(unknown),
            named=named,
        )
    return np.array(sorted({index[site_id] for _, site_id in ids}), dtype=np.int64)
