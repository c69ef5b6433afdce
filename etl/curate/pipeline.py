"""``curate_dataset``: raw files of a lookback window -> typed, checked, pseudonymized curated Parquet.

One run reads the raw partitions ``run_date - lookback_days .. run_date``, evaluates every contract rule per
row in one projection, caches the result once, summarizes it with one aggregation, and writes the curated
rows, the quarantined rows and the JSON report.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from etl.contracts import DataContract, LogicalType, load_contract
from etl.curate.columns import EXTRA_COLUMNS, FAILURES, PRESENT_MASK, RAW_RECORD, READ_ERROR, SOURCE_FILE
from etl.curate.conform import TIMESTAMP_POLICY, conform, require_utc_session
from etl.curate.drift import FieldConversion, SchemaDrift, detect_drift, drift_message
from etl.curate.pseudonymize import hmac_sha256_hex, resolve_pseudonym_key
from etl.curate.readers import Extractor, read_raw
from etl.curate.report import DatasetRunReport, RuleResult, RunStatus, write_report
from etl.curate.write import write_curated, write_quarantine
from etl.lake import LakeStore
from etl.quality.engine import evaluate, passes
from etl.quality.rules import Rule, all_rules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchSummary:
    """What one aggregation over the evaluated batch tells."""

    rows_landed: int
    rows_curated: int
    rule_failures: dict[Rule, int]
    drift: SchemaDrift


def raw_keys(store: LakeStore, dataset: str, run_date: date, lookback_days: int) -> list[str]:
    """Lake keys of the raw files landed for ``dataset`` from ``run_date - lookback_days`` to ``run_date``."""
    if lookback_days < 0:
        raise ValueError(f"lookback_days must be 0 or more, not {lookback_days}")
    days = [run_date - timedelta(days=offset) for offset in range(lookback_days, -1, -1)]
    return [key for day in days for key in store.list_keys(f"raw/{dataset}/date={day.isoformat()}/")]


def curate_dataset(
    spark: SparkSession,
    store: LakeStore,
    dataset: str,
    run_date: date,
    lookback_days: int = 3,
    *,
    pseudonym_key: bytes | None = None,
    extract: Extractor | None = None,
) -> DatasetRunReport:
    """Curate ``dataset`` for ``run_date`` and return (and write) its run report.

    ``pseudonym_key`` defaults to ``resolve_pseudonym_key()`` (environment locally); ``extract`` replaces the
    vehicle valuation field extractor. Breaking schema drift returns status ``stopped_schema_drift`` and
    writes nothing curated.
    """
    started = time.monotonic()
    require_utc_session(spark)
    contract = load_contract(dataset)
    keys = raw_keys(store, dataset, run_date, lookback_days)
    rules = all_rules(contract)
    if not keys:
        summary = BatchSummary(0, 0, dict.fromkeys(rules, 0), SchemaDrift())
        return _finish(store, contract, run_date, lookback_days, keys, summary, started, stopped=False)
    staged, summary = _stage(spark, store, contract, keys, pseudonym_key or resolve_pseudonym_key(), extract)
    try:
        stopped = summary.drift.breaking
        if stopped:
            log.error(drift_message(contract, summary.drift))
        else:
            curated_columns = [f.name for f in contract.fields]
            write_curated(spark, store, contract, staged.where(passes()).select(*curated_columns))
            write_quarantine(store, contract, run_date, staged.where(~passes()))
    finally:
        staged.unpersist()
    return _finish(store, contract, run_date, lookback_days, keys, summary, started, stopped=stopped)


def _stage(
    spark: SparkSession,
    store: LakeStore,
    contract: DataContract,
    keys: list[str],
    key: bytes,
    extract: Extractor | None,
) -> tuple[DataFrame, BatchSummary]:
    """The evaluated, cached batch and its summary; files Spark cannot read become one quarantined record each."""
    unreadable: dict[str, str] = {}
    while True:
        evaluated = evaluate(conform(read_raw(spark, store, contract, keys, unreadable, extract), contract), contract)
        staged = _output_columns(evaluated, contract, key).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            return staged, _summarize(staged, contract)
        except Exception:
            staged.unpersist()
            newly_unreadable = _unreadable_files(spark, store, [k for k in keys if k not in unreadable])
            if not newly_unreadable:
                raise
            log.error("unreadable raw files, quarantined whole: %s", ", ".join(sorted(newly_unreadable)))
            unreadable.update(newly_unreadable)


def _unreadable_files(spark: SparkSession, store: LakeStore, keys: list[str]) -> dict[str, str]:
    """Each file Spark fails to read on its own (a truncated gzip stream, say), with Spark's reason."""
    reasons = {}
    for key in keys:
        try:
            spark.read.text(store.uri(key)).count()
        except Exception as error:  # Spark surfaces codec failures as Java errors of many kinds
            reasons[key] = _first_cause(error)
    return reasons


def _first_cause(error: Exception) -> str:
    text = str(error)
    for line in text.splitlines():
        if "Exception:" in line and "SparkException" not in line:
            return line.strip()[:500]
    return text.splitlines()[0][:500] if text else type(error).__name__


def _output_columns(evaluated: DataFrame, contract: DataContract, key: bytes) -> DataFrame:
    failing = ~passes()
    typed = [
        (hmac_sha256_hex(F.col(f.name), key) if f.is_pii else F.col(f.name)).alias(f.name) for f in contract.fields
    ]
    return evaluated.select(
        *typed,
        FAILURES,
        SOURCE_FILE,
        F.when(failing, F.col(RAW_RECORD)).alias(RAW_RECORD),
        READ_ERROR,
        PRESENT_MASK,
        EXTRA_COLUMNS,
    )


def _summarize(staged: DataFrame, contract: DataContract) -> BatchSummary:
    rules = all_rules(contract)
    readable = F.col(READ_ERROR).isNull()
    checked = [f for f in contract.source_fields if f.logical_type is not LogicalType.STRING]
    aggregates: list[Column] = [
        F.count(F.lit(1)).alias("landed"),
        F.sum(passes().cast("long")).alias("curated"),
        F.count(F.when(readable, 1)).alias("readable"),
        F.bit_or(F.when(readable, F.col(PRESENT_MASK))).alias("present"),
        F.array_distinct(F.flatten(F.collect_set(EXTRA_COLUMNS))).alias("extra"),
        *(F.sum(_fails(rule).cast("long")).alias(f"rule_{i}") for i, rule in enumerate(rules)),
        *(F.count(F.when(readable, F.col(f.name))).alias(f"converted_{f.name}") for f in checked),
    ]
    row = staged.agg(*aggregates).first()
    failures = {rule: int(row[f"rule_{i}"] or 0) for i, rule in enumerate(rules)}
    conversions = {
        f.name: FieldConversion(int(row[f"converted_{f.name}"]), failures.get(Rule("type", f.name), 0)) for f in checked
    }
    drift = detect_drift(contract, int(row["present"] or 0), row["extra"] or [], conversions, int(row["readable"]))
    return BatchSummary(int(row["landed"]), int(row["curated"] or 0), failures, drift)


def _fails(rule: Rule) -> Column:
    return F.exists(
        F.col(FAILURES),
        lambda item: (item["rule"] == F.lit(rule.rule)) & item["field"].eqNullSafe(F.lit(rule.field)),
    )


def _finish(
    store: LakeStore,
    contract: DataContract,
    run_date: date,
    lookback_days: int,
    keys: list[str],
    summary: BatchSummary,
    started: float,
    *,
    stopped: bool,
) -> DatasetRunReport:
    curated = 0 if stopped else summary.rows_curated
    quarantined = 0 if stopped else summary.rows_landed - summary.rows_curated
    if stopped:
        status = RunStatus.STOPPED_SCHEMA_DRIFT
    elif quarantined:
        status = RunStatus.QUARANTINED_ROWS
    else:
        status = RunStatus.OK
    report = DatasetRunReport(
        dataset=contract.dataset,
        run_date=run_date,
        rows_landed=summary.rows_landed,
        rows_curated=curated,
        rows_quarantined=quarantined,
        rules=tuple(RuleResult(rule.rule, rule.field, count) for rule, count in summary.rule_failures.items()),
        drift=summary.drift,
        status=status,
        duration_seconds=round(time.monotonic() - started, 3),
        contract_version=contract.version,
        window_start=run_date - timedelta(days=lookback_days),
        source_files=len(keys),
        message=drift_message(contract, summary.drift),
        timestamp_policy=TIMESTAMP_POLICY,
        partition_by=contract.partition_by,
    )
    write_report(store, report)
    return report
