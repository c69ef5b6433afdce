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
    STOPPED_SCHEMA_DRIFT = "stopped_schema_drift"


@dataclass(frozen=True)
class RuleResult:
    """How many rows failed one rule on one field (None for rules on whole records)."""

    rule: str
    field: str | None
    failed_rows: int


@dataclass(frozen=True)
class DatasetRunReport:
    """Counts, rule results, drift and timing of one dataset's curation run.

    ``rows_landed`` counts every raw record read in the window (a file that cannot be read at all counts as
    one record); when the run is stopped by breaking drift nothing is curated or quarantined, so the report is
    not balanced and the rows wait in the raw zone for the fix.
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

    @property
    def balanced(self) -> bool:
        """Every landed row is either curated or quarantined."""
        return self.rows_landed == self.rows_curated + self.rows_quarantined

    def to_json(self) -> str:
        """The report as indented JSON (dates ISO-8601, ``balanced`` included)."""
        document = asdict(self)
        document["run_date"] = self.run_date.isoformat()
        document["window_start"] = self.window_start.isoformat() if self.window_start else None
        document["status"] = self.status.value
        document["balanced"] = self.balanced
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def report_key(dataset: str, run_date: date) -> str:
    """Lake key of a dataset's report for ``run_date``."""
    return f"reports/run_date={run_date.isoformat()}/{dataset}.json"


def write_report(store: LakeStore, report: DatasetRunReport) -> str:
    """Write ``report`` to the lake and return its key."""
    key = report_key(report.dataset, report.run_date)
    store.put_bytes(key, report.to_json().encode("utf-8"))
    return key
