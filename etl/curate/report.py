"""The JSON run report of one dataset and run, written to ``reports/run_date=YYYY-MM-DD/<dataset>.json``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum

from etl.curate.drift import SchemaDrift
from etl.lake import LakeStore


class RunStatus(StrEnum):
    """How a dataset's run ended."""

    OK = "ok"
    QUARANTINED_ROWS = "quarantined_rows"
    # Files whose schema breaks the contract were quarantined whole; the other files were curated.
    SCHEMA_DRIFT = "schema_drift"


@dataclass(frozen=True)
class RuleResult:
    """How many rows failed one rule on one field (None for rules on whole records)."""

    rule: str
    field: str | None
    failed_rows: int


@dataclass(frozen=True)
class FileResult:
    """One raw file's side of the balance: the rows landing counted in it, the records curation read, and the
    rows curated and quarantined; ``note`` says in one line what happened to a file that needs explaining."""

    file: str
    rows_landed: int
    rows_read: int
    rows_curated: int
    rows_quarantined: int
    note: str = ""

    @property
    def balanced(self) -> bool:
        """Every row landing counted in the file is curated or quarantined."""
        return self.rows_landed == self.rows_curated + self.rows_quarantined


@dataclass(frozen=True)
class DatasetRunReport:
    """Counts, rule results, drift and timing of one dataset's curation run.

    ``rows_landed`` is what the landing manifest records for the files read, the other side of the balance is
    what curation made of them: ``rows_curated`` (rows passing every rule) plus ``rows_quarantined`` (a file that
    cannot be read at all counts with every row landing counted in it). Of the curated rows, the latest delivery
    of each key was ``rows_inserted`` (a new key), ``rows_updated`` (a correction) or ``rows_unchanged``, and an
    older delivery of a key in the same run is ``rows_redelivered`` (same values) or ``rows_superseded`` (values
    a later delivery corrects). ``rows_read`` is curation's own count of records (a file that cannot be read is
    one record); ``unregistered_files`` are objects in the window's partitions no manifest entry describes.
    """

    dataset: str
    run_date: date
    rows_landed: int
    rows_curated: int
    rows_quarantined: int
    rules: tuple[RuleResult, ...]
    drift: SchemaDrift
    status: RunStatus
    duration_seconds: float
    contract_version: str = ""
    window_start: date | None = None
    source_files: int = 0
    message: str = ""
    timestamp_policy: str = ""
    partition_by: tuple[str, ...] = field(default_factory=tuple)
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_redelivered: int = 0
    rows_superseded: int = 0
    files: tuple[FileResult, ...] = ()
    unregistered_files: tuple[str, ...] = ()

    @property
    def balanced(self) -> bool:
        """The manifest's rows for the files read equal the rows curated plus quarantined, file by file, and no
        object in the window escaped the manifest."""
        return (
            self.rows_landed == self.rows_curated + self.rows_quarantined
            and all(result.balanced for result in self.files)
            and not self.unregistered_files
        )

    @property
    def curated_files(self) -> list[str]:
        """Lake keys of the files read whose rows were curated (not quarantined whole)."""
        return [result.file for result in self.files if result.rows_curated]

    def failed(self, rule: str, field_name: str | None = None) -> int:
        """Rows that failed ``rule`` (on ``field_name``, or on any field when it is None)."""
        return sum(r.failed_rows for r in self.rules if r.rule == rule and field_name in (None, r.field))

    def to_json(self) -> str:
        """The report as indented JSON (dates ISO-8601, ``balanced`` included, per file too)."""
        document = asdict(self)
        document["run_date"] = self.run_date.isoformat()
        document["window_start"] = self.window_start.isoformat() if self.window_start else None
        document["status"] = self.status.value
        document["balanced"] = self.balanced
        for entry, result in zip(document["files"], self.files, strict=True):
            entry["balanced"] = result.balanced
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def report_key(dataset: str, run_date: date) -> str:
    """Lake key of a dataset's report for ``run_date``."""
    return f"reports/run_date={run_date.isoformat()}/{dataset}.json"


def write_report(store: LakeStore, report: DatasetRunReport) -> str:
    """Write ``report`` to the lake and return its key."""
    key = report_key(report.dataset, report.run_date)
    store.put_bytes(key, report.to_json().encode("utf-8"))
    return key
