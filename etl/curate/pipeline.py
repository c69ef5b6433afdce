"""``curate_dataset``: raw files of a lookback window -> typed, checked, pseudonymized curated Parquet.

One run reads the current version of every file its landing manifest records as landed from
``run_date - lookback_days`` to ``run_date``, evaluates every contract rule per row and every reference to a
parent dataset, caches the checked batch once, judges repeated keys in landing order (only rows whose key repeats
are ordered), summarizes it per file with one aggregation (the balance against the manifest and the schema drift
of each file), and writes the curated rows (counting inserts, updates and unchanged rows as it writes), the
quarantined rows and the JSON report: four actions for a first write, five for an upsert.
"""

from __future__ import annotations

import itertools
import logging
import operator
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import reduce

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.contracts import DataContract, LogicalType, RawFormat, load_contract, parent_key
from etl.curate.columns import (
    DELIVERY,
    DIGEST,
    EXTRA_COLUMNS,
    FAILURES,
    OUTCOME,
    POSITION,
    PRESENT_MASK,
    RAW_RECORD,
    READ_ERROR,
    ROW_FAILURES,
    ROWS,
    SOURCE_FILE,
    raw_column,
)
from etl.curate.conform import TIMESTAMP_POLICY, conform, require_utc_session
from etl.curate.deliveries import DeliveredFile, RunWindow, run_window, window_days
from etl.curate.drift import FieldConversion, SchemaDrift, combined_drift, detect_drift, drift_message
from etl.curate.pseudonymize import hmac_sha256_hex, resolve_pseudonym_key
from etl.curate.readers import Extractor, read_raw
from etl.curate.readers.common import UNREADABLE_FILE
from etl.curate.report import DatasetRunReport, FileResult, RuleResult, RunStatus, write_report
from etl.curate.write import FirstWriteLayout, UpsertCounts, read_curated_or_none, write_curated, write_quarantine
from etl.lake import LakeStore
from etl.quality.engine import (
    LATEST,
    REDELIVERED,
    SUPERSEDED,
    check_references,
    evaluate,
    failure,
    judge_duplicates,
    passes,
    repeated_key_hashes,
    repeated_keys,
    row_digest,
)
from etl.quality.rules import SCHEMA_DRIFT, Rule, all_rules, unique_constraints

log = logging.getLogger(__name__)
OUTCOMES = (LATEST, REDELIVERED, SUPERSEDED)
# The checked batch is cached for the few actions of one run and then dropped: encoding its columns costs far
# more CPU than the memory it would save (measured in the ETL benchmark's runbook section).
CACHE_COMPRESSION = "spark.sql.inMemoryColumnarStorage.compressed"
TASK = "_task"


@dataclass(frozen=True)
class FileSummary:
    """What the one aggregation over the evaluated batch tells about one file."""

    records: int
    rows: int
    rows_passing: int
    outcomes: dict[str, int]
    rule_failures: dict[Rule, int]
    present_mask: int | None
    extra_columns: tuple[str, ...]
    conversions: dict[str, FieldConversion]
    # Per task of the batch holding the file's latest rows: the task and the lowest and highest partition values
    # (tuples in partition order) of those rows; empty when unpartitioned.
    partition_ranges: frozenset[tuple[int, tuple, tuple]] = frozenset()


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
    vehicle valuation field extractor. Files with breaking schema drift are quarantined whole and the status is
    ``schema_drift``; the other files are curated.
    """
    started = time.monotonic()
    require_utc_session(spark)
    contract = load_contract(dataset)
    window = run_window(store, dataset, run_date, lookback_days)
    if not window.files:
        return _finish(store, contract, run_date, lookback_days, window, {}, {}, UpsertCounts(), [], started)
    key = pseudonym_key or resolve_pseudonym_key()
    parents = {
        r.parent: read_curated_or_none(spark, store, parent_key(r, contract.dataset)) for r in contract.foreign_keys
    }
    with _uncompressed_cache(spark):
        staged, kept, summaries, drifts = _stage(spark, store, contract, run_date, window, key, extract, parents)
    try:
        curated_columns = [f.name for f in contract.fields]
        latest = staged.where(passes() & (F.col(OUTCOME) == LATEST)).select(*curated_columns, DIGEST)
        latest_rows = sum(summary.outcomes[LATEST] for summary in summaries.values())
        # Judging keeps the batch's tasks unless it ordered repeated keys or ranked a unique field (both shuffle).
        as_read = len(kept) == 1 and not unique_constraints(contract)
        layout = _first_write_layout(summaries.values(), judged_as_read=as_read)
        # With no row to upsert the curated zone stays as it is (not even an empty write touches it).
        counts = (
            write_curated(spark, store, contract, latest, latest_rows, layout=layout) if latest_rows else UpsertCounts()
        )
        write_quarantine(store, contract, run_date, staged.where(~passes()))
    finally:
        _unpersist(kept)
    notes = [
        f"{contract.dataset}.{r.field} references {r.parent}, which has no curated rows yet: curate {r.parent} first, "
        "then re-run"
        for r in contract.foreign_keys
        if parents[r.parent] is None
    ]
    return _finish(store, contract, run_date, lookback_days, window, summaries, drifts, counts, notes, started)


def _stage(
    spark: SparkSession,
    store: LakeStore,
    contract: DataContract,
    run_date: date,
    window: RunWindow,
    key: bytes,
    extract: Extractor | None,
    parents: Mapping[str, DataFrame | None],
) -> tuple[DataFrame, tuple[DataFrame, ...], dict[str, FileSummary], dict[str, SchemaDrift]]:
    """The evaluated and judged batch, what is cached for it (to unpersist after the writes), its per-file
    summary and each file's drift; files that cannot be read become one quarantined record each, files with
    breaking drift are quarantined whole."""
    unreadable = _known_unreadable(store, window.files)
    drifted: dict[str, SchemaDrift] = {}
    while True:
        checked = evaluate(
            conform(read_raw(spark, store, contract, window.files, unreadable, extract), contract), contract, run_date
        )
        staged, kept = _judge(spark, contract, _output_columns(checked, contract, key), drifted, parents)
        try:
            summaries = _summarize(staged, contract)
        except Exception:
            _unpersist(kept)
            newly_unreadable = _unreadable_files(spark, store, [f.key for f in window.files if f.key not in unreadable])
            if not newly_unreadable:
                raise
            log.error("unreadable raw files, quarantined whole: %s", ", ".join(sorted(newly_unreadable)))
            unreadable.update(newly_unreadable)
            continue
        # A file found drifted keeps that verdict once its rows are quarantined for it.
        drifts = {**_file_drifts(contract, window.files, summaries), **drifted}
        newly_drifted = {f: d for f, d in drifts.items() if d.breaking and f not in drifted}
        if not newly_drifted:
            return staged, kept, summaries, drifts
        # Rare: the drifted files' rows must not win keys, so the batch is judged again without them.
        _unpersist(kept)
        for file, drift in newly_drifted.items():
            log.error(drift_message(contract, drift, file))
        drifted.update(newly_drifted)


class _UncompressedCache:
    """Caches built while any run is inside (at their first action) are not compressed; the session's setting
    is restored when the last concurrent run leaves (datasets may be curated in threads of one session)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._before: str | None = None

    @contextmanager
    def __call__(self, spark: SparkSession) -> Iterator[None]:
        with self._lock:
            if not self._inside:
                self._before = spark.conf.get(CACHE_COMPRESSION, None)
                spark.conf.set(CACHE_COMPRESSION, "false")
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
                if not self._inside:
                    if self._before is None:
                        spark.conf.unset(CACHE_COMPRESSION)
                    else:
                        spark.conf.set(CACHE_COMPRESSION, self._before)


_uncompressed_cache = _UncompressedCache()


def _known_unreadable(store: LakeStore, files: tuple[DeliveredFile, ...]) -> dict[str, str]:
    """Files landing found unreadable, and files no longer in the lake, with the reason."""
    reasons = {}
    for delivered in files:
        if delivered.problem is not None and delivered.problem.rule == UNREADABLE_FILE:
            reasons[delivered.key] = delivered.problem.detail
        elif not store.exists(delivered.key):
            reasons[delivered.key] = "the landing manifest records this file but it is no longer in the lake"
    return reasons


def _unreadable_files(spark: SparkSession, store: LakeStore, keys: list[str]) -> dict[str, str]:
    """Each file Spark fails to read on its own, with Spark's reason."""
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


def _output_columns(checked: DataFrame, contract: DataContract, key: bytes) -> DataFrame:
    """Curated (pseudonymized) values, the bookkeeping columns, and the raw values duplicate and reference
    failures report."""
    typed = [
        (hmac_sha256_hex(F.col(f.name), key) if f.is_pii else F.col(f.name)).alias(f.name) for f in contract.fields
    ]
    reported = {*contract.primary_key, *(r.field for r in contract.foreign_keys)}
    reported |= {f.name for f in contract.fields if f.unique}
    output = checked.select(
        *typed,
        *(F.col(raw_column(name)) for name in sorted(reported)),
        ROW_FAILURES,
        SOURCE_FILE,
        RAW_RECORD,
        READ_ERROR,
        PRESENT_MASK,
        EXTRA_COLUMNS,
        ROWS,
        DELIVERY,
        POSITION,
    )
    return output.withColumn(DIGEST, row_digest(contract))


def _judge(
    spark: SparkSession,
    contract: DataContract,
    output: DataFrame,
    drifted: Mapping[str, SchemaDrift],
    parents: Mapping[str, DataFrame | None],
) -> tuple[DataFrame, tuple[DataFrame, ...]]:
    """References checked against the parents' curated rows (``parents``: None for a parent not curated yet),
    drifted files failed whole, repeated keys judged; raw records kept for failures only. Also returns what it
    caches."""
    if drifted:
        drift_failure = F.array(failure(SCHEMA_DRIFT, None, F.col(RAW_RECORD)))
        output = output.withColumn(
            ROW_FAILURES, F.when(F.col(SOURCE_FILE).isin(*drifted), drift_failure).otherwise(F.col(ROW_FAILURES))
        )
    keys = {
        reference.parent: _parent_keys(spark, parent_key(reference, contract.dataset), parents[reference.parent])
        for reference in contract.foreign_keys
    }
    # The checked batch is kept once (rules and references evaluated once) for the summary and both writes, with
    # its repeated keys; judging it again per action costs at most a broadcast join and a window over the rows of
    # repeated keys.
    checked = check_references(output, contract, keys).persist(StorageLevel.MEMORY_AND_DISK)
    # The first action: it fills the cache, and in the common case of no repeated key (no repeated key hash)
    # spares every later plan the join and the window. Hashes move a long per row where keys move their text.
    repeated = repeated_keys(checked, contract).persist()
    if repeated_key_hashes(checked, contract).isEmpty() or repeated.isEmpty():
        repeated.unpersist()
        judged, kept = judge_duplicates(checked, contract, none_repeated=True), (checked,)
    else:
        judged, kept = judge_duplicates(checked, contract, repeated), (checked, repeated)
    return judged.withColumn(RAW_RECORD, F.when(~passes(), F.col(RAW_RECORD))), kept


def _unpersist(kept: tuple[DataFrame, ...]) -> None:
    for frame in kept:
        frame.unpersist()


def _parent_keys(spark: SparkSession, contract: DataContract, curated: DataFrame | None) -> DataFrame:
    """The parent's curated keys; none (every reference unknown) before the parent is first curated."""
    field = contract.field(contract.primary_key[0])
    if curated is not None:
        return curated.select(field.name)
    return spark.createDataFrame([], T.StructType([T.StructField(field.name, T.StringType())])).select(
        F.col(field.name).cast(field.spark_type)
    )


def _summarize(staged: DataFrame, contract: DataContract) -> dict[str, FileSummary]:
    """One aggregation, grouped by file and failure: rows, outcomes, failures per rule, columns present and
    conversions per file. Each record counts once towards its file (with its first failure, if any)."""
    checked = [f for f in contract.source_fields if f.logical_type is not LogicalType.STRING]
    exploded = staged.select(
        SOURCE_FILE,
        ROWS,
        OUTCOME,
        READ_ERROR,
        PRESENT_MASK,
        EXTRA_COLUMNS,
        *dict.fromkeys([*(f.name for f in checked), *contract.partition_by]),
        F.spark_partition_id().alias(TASK),
        F.posexplode_outer(FAILURES).alias("_failure_at", "_failure"),
    )
    once = F.coalesce(F.col("_failure_at") == 0, F.lit(True))
    readable = once & F.col(READ_ERROR).isNull()
    weight = F.col(ROWS)
    grouped = exploded.groupBy(
        SOURCE_FILE, TASK, F.col("_failure.rule").alias("rule"), F.col("_failure.field").alias("field")
    )
    aggregates: list[Column] = [
        F.count(F.when(once, 1)).alias("records"),
        F.sum(F.when(once, weight)).alias("rows"),
        F.sum(weight).alias("failed"),
        F.count(F.when(readable, 1)).alias("readable"),
        F.bit_or(F.when(readable, F.col(PRESENT_MASK))).alias("present"),
        F.array_distinct(F.flatten(F.collect_set(F.when(once, F.col(EXTRA_COLUMNS))))).alias("extra"),
        *(F.sum(F.when(F.col(OUTCOME) == name, weight)).alias(f"outcome_{name}") for name in OUTCOMES),
        *(F.count(F.when(readable, F.col(f.name))).alias(f"converted_{f.name}") for f in checked),
    ]
    if contract.partition_by:
        values = F.when(F.col(OUTCOME) == LATEST, F.struct(*contract.partition_by))
        aggregates += [F.min(values).alias("lowest_partition"), F.max(values).alias("highest_partition")]
    by_file: dict[str, list] = {}
    for row in grouped.agg(*aggregates).collect():
        by_file.setdefault(row[SOURCE_FILE], []).append(row)
    return {file: _file_summary(rows, checked, bool(contract.partition_by)) for file, rows in by_file.items()}


def _first_write_layout(summaries: Iterable[FileSummary], *, judged_as_read: bool) -> FirstWriteLayout:
    """How a first write of the latest rows brings each partition's rows together, from the summary's partition
    ranges per task. ``judged_as_read``: judging kept the batch's tasks (nothing was shuffled after the cache), so
    the write's tasks are the summary's."""
    ranges = [entry for summary in summaries for entry in summary.partition_ranges]
    if len({bound for _, *bounds in ranges for bound in bounds}) <= 1:
        return FirstWriteLayout.GATHER
    by_task: dict[int, tuple[tuple, tuple]] = {}
    for task, lowest, highest in ranges:
        lowest, highest = _ordered(lowest), _ordered(highest)
        known = by_task.get(task, (lowest, highest))
        by_task[task] = (min(known[0], lowest), max(known[1], highest))
    spans = sorted(by_task.values())
    apart = all(later[0] > earlier[1] for earlier, later in itertools.pairwise(spans))
    return FirstWriteLayout.AS_READ if judged_as_read and apart else FirstWriteLayout.SHUFFLE


def _ordered(values: tuple) -> tuple:
    """Partition values as Spark orders them: a missing value before any other."""
    return tuple((value is not None, value) for value in values)


def _file_summary(groups: list, checked: list, partitioned: bool) -> FileSummary:
    failures: dict[Rule, int] = {}
    for group in groups:
        if group["rule"] is not None:
            rule = Rule(group["rule"], group["field"])
            failures[rule] = failures.get(rule, 0) + int(group["failed"])
    readable = sum(int(group["readable"]) for group in groups)
    masks = [int(group["present"]) for group in groups if group["present"] is not None]
    return FileSummary(
        records=sum(int(group["records"]) for group in groups),
        rows=sum(int(group["rows"] or 0) for group in groups),
        rows_passing=sum(int(group["rows"] or 0) for group in groups if group["rule"] is None),
        outcomes={name: sum(int(group[f"outcome_{name}"] or 0) for group in groups) for name in OUTCOMES},
        rule_failures=failures,
        present_mask=reduce(operator.or_, masks, 0) if readable else None,
        extra_columns=tuple(sorted({name for group in groups for name in group["extra"] or ()})),
        conversions={
            f.name: FieldConversion(
                sum(int(group[f"converted_{f.name}"]) for group in groups), failures.get(Rule("type", f.name), 0)
            )
            for f in checked
        },
        partition_ranges=frozenset(
            (group[TASK], tuple(group["lowest_partition"]), tuple(group["highest_partition"]))
            for group in groups
            if partitioned and group["lowest_partition"] is not None
        ),
    )


def _file_drifts(
    contract: DataContract, files: tuple[DeliveredFile, ...], summaries: Mapping[str, FileSummary]
) -> dict[str, SchemaDrift]:
    """Each file's drift: a CSV file's columns from the header landing recorded, others from their records."""
    known = {f.source_name: i for i, f in enumerate(contract.source_fields)}
    drifts = {}
    for delivered in files:
        summary = summaries.get(delivered.key)
        mask, extra = (summary.present_mask, summary.extra_columns) if summary else (None, ())
        if delivered.header is not None:
            mask = sum(1 << known[name] for name in set(delivered.header) if name in known)
            extra = tuple(name for name in delivered.header if name not in known)
        drifts[delivered.key] = detect_drift(contract, mask, extra, summary.conversions if summary else {})
    return drifts


def _file_result(
    contract: DataContract, delivered: DeliveredFile, summary: FileSummary | None, drift: SchemaDrift
) -> FileResult:
    rows = summary.rows if summary else 0
    passing = summary.rows_passing if summary else 0
    notes = [delivered.problem.detail] if delivered.problem else []
    if delivered.header is None and contract.raw_format is RawFormat.CSV:
        notes.append("empty file: no header and no rows")
    elif delivered.rows == 0:
        notes.append("no data rows" + (" (header only)" if delivered.header is not None else ""))
    if drift.breaking or drift.added or drift.removed or drift.retyped:
        notes.append(drift_message(contract, drift, delivered.key))
    result = FileResult(delivered.key, delivered.rows, summary.records if summary else 0, passing, rows - passing)
    if not result.balanced:
        notes.append(
            f"landing counted {delivered.rows} row(s) but curation accounted for {rows}: the file changed after "
            "landing or was read differently; re-land it"
        )
    return replace(result, note=" ".join(notes))


def _finish(
    store: LakeStore,
    contract: DataContract,
    run_date: date,
    lookback_days: int,
    window: RunWindow,
    summaries: Mapping[str, FileSummary],
    drifts: Mapping[str, SchemaDrift],
    counts: UpsertCounts,
    notes: list[str],
    started: float,
) -> DatasetRunReport:
    files = tuple(
        _file_result(contract, f, summaries.get(f.key), drifts.get(f.key, SchemaDrift())) for f in window.files
    )
    rules = all_rules(contract)
    totals = {rule: sum(s.rule_failures.get(rule, 0) for s in summaries.values()) for rule in rules}
    outcomes = {name: sum(s.outcomes[name] for s in summaries.values()) for name in OUTCOMES}
    drift = combined_drift(drifts.values())
    quarantined = sum(f.rows_quarantined for f in files)
    if drift.breaking:
        status = RunStatus.SCHEMA_DRIFT
    elif quarantined:
        status = RunStatus.QUARANTINED_ROWS
    else:
        status = RunStatus.OK
    if window.unregistered:
        notes.append(
            f"{len(window.unregistered)} object(s) in the window's raw partitions are not in the landing manifest "
            f"(e.g. {window.unregistered[0]}): their rows cannot be accounted for; land them through etl.ingest"
        )
    messages = [drift_message(contract, d, key) for key, d in drifts.items() if d.breaking] + notes
    messages += [f"{f.file}: {f.note}" for f in files if not f.balanced]
    report = DatasetRunReport(
        dataset=contract.dataset,
        run_date=run_date,
        rows_landed=sum(f.rows for f in window.files),
        rows_curated=sum(f.rows_curated for f in files),
        rows_quarantined=quarantined,
        rules=tuple(RuleResult(rule.rule, rule.field, count) for rule, count in totals.items()),
        drift=drift,
        status=status,
        duration_seconds=round(time.monotonic() - started, 3),
        contract_version=contract.version,
        window_start=window_days(run_date, lookback_days)[0],
        source_files=len(window.files),
        message=" ".join(messages),
        timestamp_policy=TIMESTAMP_POLICY,
        partition_by=contract.partition_by,
        rows_read=sum(f.rows_read for f in files),
        rows_inserted=counts.inserted,
        rows_updated=counts.updated,
        rows_unchanged=counts.unchanged,
        rows_redelivered=outcomes[REDELIVERED],
        rows_superseded=outcomes[SUPERSEDED],
        files=files,
        unregistered_files=window.unregistered,
    )
    write_report(store, report)
    return report
