"""Erase one customer from the lake's raw, curated and quarantine zones, every stored version included.

Which rows are the customer's comes from the contracts: a dataset with a ``customer_id`` field holds the
customer's rows by that key (in clear in raw and quarantine, as its keyed HMAC in curated); the lines of the
customer's orders (``order_lines`` by ``order_id``) and every event of a session the customer signed in to
(``clickstream_events`` by ``session_id``) are theirs too. The linked keys are found first, in every version,
then each object holding any of the customer's rows is rewritten without them: the current version becomes a
new version without the rows, and every version that held them is deleted. A replica store only has its
versions deleted; replication brings it the rewritten objects (docs/adr/0069-erasure-of-one-customer.md).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl.contracts import DataContract, RawFormat, all_contracts
from etl.curate.columns import RAW_RECORD, SOURCE_FILE
from etl.erase.objects import ObjectVersion, VersionedObjects
from etl.erase.records import (
    Filtered,
    Predicate,
    Record,
    column_matches,
    filter_csv,
    filter_delivery_errors,
    filter_gzip_json_lines,
    filter_parquet,
)
from etl.ingest.manifest import record_rewrite
from etl.lake import LakeStore

SUBJECT_FIELD = "customer_id"
# Rows without the customer's key that are still theirs: (dataset, field, dataset whose rows of the customer
# give the field's values).
LINKS = (("order_lines", "order_id", "orders"), ("clickstream_events", "session_id", "clickstream_events"))
ERASED_ZONES = ("raw", "curated", "quarantine")
DELIVERY_ERRORS = "delivery_errors/"


@dataclass(frozen=True)
class Subject:
    """The customer to erase: the key in clear (raw, quarantine) and its pseudonym (curated, serving)."""

    customer_id: str
    pseudonym: str


@dataclass
class ZoneCount:
    """What erasure did in one zone of one dataset, in one store."""

    objects_scanned: int = 0
    objects_rewritten: int = 0
    versions_deleted: int = 0
    records_removed: int = 0


@dataclass
class LakeErasure:
    """The outcome in one store: counts per ``zone/dataset`` and the linked keys that were followed."""

    store: str
    counts: dict[str, ZoneCount] = field(default_factory=dict)
    linked: dict[str, int] = field(default_factory=dict)

    def count(self, zone: str, dataset: str) -> ZoneCount:
        return self.counts.setdefault(f"{zone}/{dataset}", ZoneCount())

    @property
    def records_removed(self) -> int:
        """Records removed in this store over every zone and dataset."""
        return sum(count.records_removed for count in self.counts.values())


@dataclass(frozen=True)
class Plan:
    """For each dataset holding the customer's rows: which fields select them and with which values."""

    contracts: dict[str, DataContract]
    values: dict[str, dict[str, set[str]]]  # dataset -> field -> values in raw and quarantine (clear)
    curated_values: dict[str, dict[str, set[str]]]  # dataset -> field -> values in curated (pseudonymized)

    def raw_predicate(self, dataset: str) -> Predicate:
        """Raw records, by the contract's source names."""
        contract = self.contracts[dataset]
        wanted = {contract.field(name).source_name: values for name, values in self.values[dataset].items()}
        return lambda record: any(str(record.get(source)) in values for source, values in wanted.items())

    def curated_rows(self, dataset: str) -> Callable[[pa.Table], pa.Array]:
        """Curated rows, by column."""

        def marks(table: pa.Table) -> pa.Array:
            masks = [column_matches(table, name, values) for name, values in self.curated_values[dataset].items()]
            result = masks[0]
            for mask in masks[1:]:
                result = pc.or_(result, mask)
            return result

        return marks

    @property
    def linked(self) -> dict[str, int]:
        """How many linked keys were found, per ``dataset.field``."""
        return {
            f"{dataset}.{name}": len(found)
            for dataset, fields in sorted(self.values.items())
            for name, found in fields.items()
            if name != SUBJECT_FIELD
        }

    def mentions(self, dataset: str) -> bytes:
        return json.dumps(next(iter(self.values[dataset].get(SUBJECT_FIELD, {""})))).encode("utf-8")


def subject_datasets(contracts: dict[str, DataContract]) -> tuple[str, ...]:
    """Datasets whose rows name the customer, directly or through a link."""
    direct = [name for name, c in contracts.items() if any(f.name == SUBJECT_FIELD for f in c.fields)]
    return tuple(sorted({*direct, *(dataset for dataset, _, _ in LINKS)}))


def _csv_values(data: bytes, key: str, value: str, wanted: str) -> set[str]:
    found = set()
    records = csv.reader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline=""))
    header = [name.removeprefix("\ufeff") for name in next(records, [])]
    if key in header and wanted in header:
        at_key, at_wanted = header.index(key), header.index(wanted)
        for record in records:
            if len(record) > max(at_key, at_wanted) and record[at_key] == value:
                found.add(record[at_wanted])
    return found


def _json_values(data: bytes, key: str, value: str, wanted: str) -> set[str]:
    found: set[str] = set()

    def collect(record: Record) -> bool:
        if str(record.get(key)) == value and record.get(wanted) is not None:
            found.add(str(record[wanted]))
        return False

    filter_gzip_json_lines(data, collect, b"")
    return found


def _parquet_values(data: bytes, key: str, value: str, wanted: str) -> set[str]:
    table = pq.read_table(io.BytesIO(data))
    if key not in table.column_names or wanted not in table.column_names:
        return set()
    rows = table.filter(column_matches(table, key, {value}))
    return {str(cell) for cell in rows[wanted].to_pylist() if cell is not None}


def plan_erasure(objects: VersionedObjects, subject: Subject, contracts: dict[str, DataContract] | None = None) -> Plan:
    """Find the keys linked to the customer (their orders, their sessions) in every version of raw and curated."""
    contracts = contracts or all_contracts()
    values: dict[str, dict[str, set[str]]] = {}
    curated: dict[str, dict[str, set[str]]] = {}
    for dataset in subject_datasets(contracts):
        if any(f.name == SUBJECT_FIELD for f in contracts[dataset].fields):
            values.setdefault(dataset, {})[SUBJECT_FIELD] = {subject.customer_id}
            curated.setdefault(dataset, {})[SUBJECT_FIELD] = {subject.pseudonym}
    for dataset, link, source in LINKS:
        contract = contracts[source]
        key, wanted = contract.field(SUBJECT_FIELD).source_name, contract.field(link).source_name
        found: set[str] = set()
        for version in objects.versions(f"raw/{source}/"):
            data = objects.read(version)
            if contract.raw_format is RawFormat.CSV:
                found |= _csv_values(data, key, subject.customer_id, wanted)
            else:
                found |= _json_values(data, key, subject.customer_id, wanted)
        for version in _parquet_versions(objects, f"curated/{source}/"):
            found |= _parquet_values(objects.read(version), SUBJECT_FIELD, subject.pseudonym, link)
        values.setdefault(dataset, {})[link] = found
        curated.setdefault(dataset, {})[link] = found
    return Plan(contracts, values, curated)


def _parquet_versions(objects: VersionedObjects, prefix: str) -> Iterable[ObjectVersion]:
    return (version for version in objects.versions(prefix) if version.key.endswith(".parquet"))


def erase_from_lake(objects: VersionedObjects, plan: Plan, manifests: LakeStore | None = None) -> LakeErasure:
    """Remove the customer's records from every zone of every dataset that holds them, in ``objects``.

    ``manifests`` is the store whose landing manifests record each rewritten raw file (its new digest and
    rows), so curation's balance still holds; None for a replica, which has no manifests of its own to keep.
    """
    outcome = LakeErasure(objects.name, linked=plan.linked)
    for dataset in sorted(plan.values):
        raw = _raw_filter(plan, dataset)
        on_rewrite = (lambda key, data, removed: record_rewrite(manifests, key, data, removed)) if manifests else None
        for prefix in (f"raw/{dataset}/", f"raw/_versions/{dataset}/"):
            _erase_objects(objects, objects.versions(prefix), raw, outcome.count("raw", dataset), on_rewrite)
        rows = plan.curated_rows(dataset)
        _erase_objects(
            objects,
            _parquet_versions(objects, f"curated/{dataset}/"),
            lambda _key, data, r=rows: filter_parquet(data, r),
            outcome.count("curated", dataset),
        )
        _erase_objects(
            objects,
            objects.versions(f"quarantine/{dataset}/"),
            _quarantine_filter(objects, plan, dataset),
            outcome.count("quarantine", dataset),
        )
    return outcome


ObjectFilter = Callable[[str, bytes], "Filtered | None"]


def _raw_filter(plan: Plan, dataset: str) -> ObjectFilter:
    predicate, mentions = plan.raw_predicate(dataset), plan.mentions(dataset)
    if plan.contracts[dataset].raw_format is RawFormat.CSV:
        return lambda _key, data: filter_csv(data, predicate)
    return lambda _key, data: filter_gzip_json_lines(data, predicate, mentions)


def _quarantine_filter(objects: VersionedObjects, plan: Plan, dataset: str) -> ObjectFilter:
    """Quarantined records keep the record as delivered: a CSV record is read by its file's header."""
    predicate, mentions = plan.raw_predicate(dataset), plan.mentions(dataset)
    csv_source = plan.contracts[dataset].raw_format is RawFormat.CSV
    headers: dict[str, list[str]] = {}

    def header_of(key: str) -> list[str]:
        if key not in headers:
            current = [v for v in objects.versions(key) if v.key == key and v.is_latest]
            text = objects.read(current[0]).decode("utf-8", "surrogateescape") if current else ""
            headers[key] = [name.removeprefix("\ufeff") for name in next(csv.reader(io.StringIO(text)), [])]
        return headers[key]

    def record_goes(source_file: str | None, raw: str | None) -> bool:
        if raw is None:
            return False
        if not csv_source:
            try:
                record = json.loads(raw)
            except ValueError:
                record = None
            return predicate(record) if isinstance(record, dict) else mentions in raw.encode("utf-8", "surrogateescape")
        fields = next(csv.reader(io.StringIO(raw)), [])
        names = header_of(source_file) if source_file else []
        if fields and len(names) >= len(fields):
            return predicate(dict(zip(names, fields, strict=False)))
        # Without its file's header (the file expired), any field holding one of the keys selects the record.
        return any(value in values for value in fields for values in plan.values[dataset].values())

    def marks(table: pa.Table) -> pa.Array:
        def column(name: str) -> list:
            return table[name].to_pylist() if name in table.column_names else [None] * len(table)

        return pa.array([record_goes(s, r) for s, r in zip(column(SOURCE_FILE), column(RAW_RECORD), strict=True)])

    def apply(key: str, data: bytes) -> Filtered | None:
        if key.endswith(".parquet"):
            return filter_parquet(data, marks)
        if DELIVERY_ERRORS in key:
            return filter_delivery_errors(data, predicate, mentions)
        return None  # markers and checksums hold no records

    return apply


def _erase_objects(
    objects: VersionedObjects,
    versions: Iterable[ObjectVersion],
    filter_object: ObjectFilter,
    count: ZoneCount,
    on_rewrite: Callable[[str, bytes, int], None] | None = None,
) -> None:
    """The current version of each object holding the customer becomes a version without them; every version
    that held them is deleted (a store without versions is rewritten in place)."""
    for version in list(versions):
        count.objects_scanned += 1
        filtered = filter_object(version.key, objects.read(version))
        if filtered is None or not filtered.removed:
            continue
        count.records_removed += filtered.removed
        if version.is_latest and objects.writes:
            objects.write(version.key, filtered.data)
            count.objects_rewritten += 1
            if on_rewrite:
                on_rewrite(version.key, filtered.data, filtered.removed)
        if version.version_id is not None:
            objects.delete(version)
            count.versions_deleted += 1
