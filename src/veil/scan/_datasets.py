"""Column-level profiles of datasets and a verdict against a policy.

``profile_dataset`` reads a bounded sample (``_dataset_readers``) and asks the detector,
cell by cell, what each column holds: ``email`` 98% EMAIL_ADDRESS (an identifier column),
``notes`` free text mentioning PERSON and PHONE_NUMBER. The column name is the cell's
context (``"dob\\n1980-02-01"``), so the detector's own context words and labelled-field
recognizers decide what the name implies. ``dataset_findings`` turns a profile into one
finding per offending column; names appear in messages, cell values never.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from veil.detect import Detector, Finding
from veil.detect.recognizers._columns import _kind as column_name_kind  # the detector's own header rule
from veil.scan._dataset_readers import RowSample, read_samples
from veil.scan._finding import Kind, ScanFinding, Severity, file_fingerprint

#: A column is an identifier column when one entity covers this share of its cells.
IDENTIFIER_SHARE = 0.8
#: A finding "covers" a cell when it spans more than this share of the cell's characters.
CELL_COVER = 0.5
#: A free-text cell: at least this many characters and words.
FREE_TEXT_CHARS, FREE_TEXT_WORDS = 40, 6
_MAX_CELL = 4000  # characters of one cell given to the detector

#: HIPAA Safe Harbor's direct identifiers that the detector knows, and national ids.
DIRECT_IDENTIFIERS: frozenset[str] = frozenset({
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "IP_ADDRESS", "DATE_OF_BIRTH",
    "CREDIT_CARD", "IBAN_CODE", "US_SSN", "US_ITIN", "PASSPORT", "DRIVER_LICENSE", "UK_NINO", "UK_NHS",
    "DE_TAX_ID", "FR_NIR", "ES_NIF", "ES_NIE", "IT_FISCAL_CODE", "NL_BSN", "IN_AADHAAR", "IN_PAN",
    "CA_SIN", "AU_TFN", "BR_CPF",
})
#: Personal data that makes free text a finding (dates, places and URLs alone do not).
FREE_TEXT_PII: frozenset[str] = DIRECT_IDENTIFIERS - {"IP_ADDRESS"}

# Column names the detector's context words miss, as the words they mean.
_ALIASES = {
    "surname": "last name", "lastname": "last name", "family name": "last name", "forename": "first name",
    "firstname": "first name", "given name": "first name", "fullname": "full name", "e mail": "email",
    "mail": "email", "phone number": "phone", "mobile number": "phone", "msisdn": "phone",
    "ip addr": "ip address", "ipaddress": "ip address", "client ip": "ip address",
    "remote addr": "ip address",
    "birth date": "date of birth", "birthdate": "date of birth", "social security number": "ssn",
    "street": "address", "street address": "address", "address line 1": "address", "addr": "address",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\W_]+")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """What one column holds, over the non-empty sampled cells.

    ``shares``: entity -> fraction of non-empty cells that one finding of it covers;
    ``mentions``: entity -> findings inside free-text cells; ``kind``: ``identifier``
    (one entity covers >= 80%), ``free_text`` (prose with mentions) or ``clean``.
    """

    name: str
    non_empty: int
    shares: dict[str, float]
    free_text: bool
    mentions: dict[str, int]
    kind: str

    @property
    def top(self) -> tuple[str, float] | None:
        """The entity with the largest share, if any."""
        return max(self.shares.items(), key=lambda item: (item[1], item[0])) if self.shares else None

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "non_empty": self.non_empty,
                "shares": {k: round(v, 4) for k, v in self.shares.items()}, "free_text": self.free_text,
                "mentions": dict(self.mentions)}


@dataclass(frozen=True, slots=True)
class DatasetProfile:
    """The profile of one dataset (one SQLite table): ``complete`` when every row was read."""

    path: Path
    table: str | None
    rows_sampled: int
    complete: bool
    columns: list[ColumnProfile]
    format: str = ""
    skipped_rows: int = 0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, without the local path (a report names the file as it displays it)."""
        return {"format": self.format, "table": self.table, "rows_sampled": self.rows_sampled,
                "complete": self.complete, "skipped_rows": self.skipped_rows,
                "columns": [column.to_dict() for column in self.columns]}


def profile_dataset(path: Path, detector: Detector, *, max_rows: int = 2000, max_bytes: int = 16 << 20,
                    table: str | None = None) -> list[DatasetProfile]:
    """Profiles of ``path``: one per SQLite table (or just ``table``), one for other formats.

    Reads at most ``max_rows`` rows and about ``max_bytes`` of input per dataset. Raises
    ``InvalidInput`` (or ``DependencyMissing`` for Parquet without pyarrow) when the file
    cannot be read at all.
    """
    return [_profile(path, sample, detector)
            for sample in read_samples(path, max_rows=max_rows, max_bytes=max_bytes, table=table)]


def _profile(path: Path, sample: RowSample, detector: Detector) -> DatasetProfile:
    cells = {name: _cells(sample.rows, name) for name in sample.columns}
    # On its own line: its words are context; "name: Ana" would make a labelled field of any *_name column.
    prefixes = {name: f"{label_of(name)}\n" for name in sample.columns}
    jobs = [(name, cell) for name, column in cells.items() for cell in dict.fromkeys(column)]
    texts = (prefixes[name] + cell[:_MAX_CELL] for name, cell in jobs)
    found: dict[tuple[str, str], list[Finding]] = {}
    for job, findings in zip(jobs, detector.detect_many(texts), strict=True):
        shift = len(prefixes[job[0]])
        found[job] = [_shifted(f, shift) for f in findings if f.start >= shift]
    columns = [_column(name, cells[name], found, _name_entity(detector, name)) for name in sample.columns]
    return DatasetProfile(path, sample.table, len(sample.rows), sample.complete, columns, sample.kind,
                          sample.skipped)


def _cells(rows: list[dict[str, str]], name: str) -> list[str]:
    return [cell for row in rows if (cell := row.get(name, "").strip())]


def _shifted(finding: Finding, shift: int) -> Finding:
    return replace(finding, start=finding.start - shift, end=finding.end - shift)


def label_of(name: str) -> str:
    """A column name as the words it means: ``dateOfBirth`` -> ``date of birth``, ``surname`` ->
    ``last name``."""
    last = name.rsplit(".", 1)[-1]  # a flattened JSON key: its own name
    words = _SEPARATORS.sub(" ", _CAMEL.sub(" ", last)).strip().lower()
    return _ALIASES.get(words, words)


def _name_entity(detector: Detector, name: str) -> str:
    """PERSON or LOCATION when the header names one, as the detector's column rule reads it."""
    entity = column_name_kind(label_of(name).replace(" ", "_"))
    wanted = {"PERSON": "person_column", "LOCATION": "place_column"}.get(entity)
    if wanted is None or not any(r.name == wanted for r in detector.recognizers):
        return ""  # a detector built without the column rule does not want it
    return entity


def _column(name: str, cells: list[str], found: dict[tuple[str, str], list[Finding]],
            name_entity: str) -> ColumnProfile:
    covered: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    prose = 0
    for cell in cells:
        findings = found[(name, cell)]
        free = _is_free_text(cell)
        prose += free
        if free:
            mentions.update(str(f.entity) for f in findings)
        entity = _covering(cell, findings) or (name_entity if not free and _LETTER.search(cell) else "")
        if entity:
            covered[entity] += 1
    total = len(cells)
    shares = {entity: count / total for entity, count in covered.most_common()}
    free_text = total > 0 and prose / total >= 0.5
    return ColumnProfile(name, total, shares, free_text, dict(mentions.most_common()),
                         _kind(shares, free_text, mentions))


def _is_free_text(cell: str) -> bool:
    return len(cell) >= FREE_TEXT_CHARS and len(cell.split()) >= FREE_TEXT_WORDS


def _covering(cell: str, findings: list[Finding]) -> str:
    """The entity whose findings span most of the cell, if one spans more than half of it."""
    spans: Counter[str] = Counter()
    for finding in findings:
        spans[str(finding.entity)] += finding.end - finding.start
    if not spans:
        return ""
    entity, size = spans.most_common(1)[0]
    return entity if size > CELL_COVER * min(len(cell), _MAX_CELL) else ""


def _kind(shares: dict[str, float], free_text: bool, mentions: Counter[str]) -> str:
    if shares and max(shares.values()) >= IDENTIFIER_SHARE:
        return "identifier"
    return "free_text" if free_text and mentions else "clean"


# -- the verdict ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatasetPolicy:
    """What a dataset outside the vault may hold.

    A column offends when a ``denied`` entity covers at least ``min_share`` of its cells
    (``identifier_only`` entities, such as names, only when the column is an identifier
    column), or when it is free text with at least ``min_mentions`` findings of
    ``free_text_mentions``.
    """

    denied: frozenset[str] = DIRECT_IDENTIFIERS
    min_share: float = 0.2
    free_text_mentions: frozenset[str] = FREE_TEXT_PII
    min_mentions: int = 3
    identifier_only: frozenset[str] = frozenset({"PERSON"})


_IDENTIFIER_FIX = (
    "Keep this column in the Veil vault (a collection field sealed per subject) and leave only a "
    "pseudonymous id here, or drop or pseudonymize the column (veil redact --fields COLUMN --operator hash "
    "--key-env VAR) before the file is committed. If the data is synthetic, add the file to .veilignore.")
_FREE_TEXT_FIX = (
    "Redact the personal data in this column (veil redact --fields COLUMN) or keep the records in the Veil "
    "vault. If the data is synthetic, add the file to .veilignore.")


def dataset_findings(profile: DatasetProfile, policy: DatasetPolicy, relative_path: str) -> list[ScanFinding]:
    """One finding per column that breaks ``policy`` (a column name in the message, no value)."""
    findings: list[ScanFinding] = []
    for column in profile.columns:
        denied = _denied_shares(column, policy)
        if denied:
            findings.append(_identifier_finding(profile, column, denied, relative_path))
            continue
        mentioned = {e: n for e, n in column.mentions.items() if e in policy.free_text_mentions}
        if column.free_text and sum(mentioned.values()) >= policy.min_mentions:
            findings.append(_free_text_finding(profile, column, mentioned, relative_path))
    return findings


def _denied_shares(column: ColumnProfile, policy: DatasetPolicy) -> dict[str, float]:
    identifier = column.kind == "identifier"
    return {entity: share for entity, share in column.shares.items()
            if entity in policy.denied and share >= policy.min_share
            and (identifier or entity not in policy.identifier_only)}


def _where(profile: DatasetProfile, column: ColumnProfile) -> str:
    table = f'table "{profile.table}", ' if profile.table is not None else ""
    return f'{table}column "{column.name}"'


def _rows(profile: DatasetProfile) -> str:
    count = f"{profile.rows_sampled:,}"
    return f"all {count} rows" if profile.complete else f"{count} sampled rows"


def _identifier_finding(profile: DatasetProfile, column: ColumnProfile, denied: dict[str, float],
                        relative_path: str) -> ScanFinding:
    ranked = sorted(denied.items(), key=lambda item: (-item[1], item[0]))
    what = ", ".join(f"{share:.0%} {entity}" for entity, share in ranked)
    rule = "dataset_direct_identifier"
    message = f"{_where(profile, column)}: {what} over {_rows(profile)} (direct identifier outside the vault)"
    return _finding(profile, column, rule, ranked[0][0], relative_path, message, _IDENTIFIER_FIX)


def _free_text_finding(profile: DatasetProfile, column: ColumnProfile, mentioned: dict[str, int],
                       relative_path: str) -> ScanFinding:
    ranked = sorted(mentioned.items(), key=lambda item: (-item[1], item[0]))
    what = ", ".join(f"{entity} ({count:,})" for entity, count in ranked)
    rule = "dataset_free_text_pii"
    return _finding(profile, column, rule, ranked[0][0], relative_path,
                    f"{_where(profile, column)}: free text with {what} in {_rows(profile)} "
                    "(personal data outside the vault)", _FREE_TEXT_FIX)


def _finding(profile: DatasetProfile, column: ColumnProfile, rule: str, entity: str, relative_path: str,
             message: str, remediation: str) -> ScanFinding:
    detail = column.name if profile.table is None else f"{profile.table}.{column.name}"
    extra: dict[str, object] = {
        "column": column.name, "table": profile.table, "column_kind": column.kind,
        "shares": {k: round(v, 4) for k, v in column.shares.items()}, "mentions": dict(column.mentions),
        "rows_sampled": profile.rows_sampled, "complete": profile.complete,
    }
    return ScanFinding(rule=rule, kind=Kind.DATASET, severity=Severity.HIGH, path=relative_path, line=0,
                       column=0, message=message, remediation=remediation.replace("COLUMN", column.name),
                       fingerprint=file_fingerprint(rule, relative_path, detail), entity=entity, extra=extra)
