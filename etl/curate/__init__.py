"""Curation: raw zone -> typed, deduplicated, checked and pseudonymized curated Parquet, with quarantine."""

from __future__ import annotations

from etl.curate.drift import SchemaDrift
from etl.curate.pipeline import curate_dataset
from etl.curate.report import DatasetRunReport, RuleResult, RunStatus

__all__ = ["DatasetRunReport", "RuleResult", "RunStatus", "SchemaDrift", "curate_dataset"]
