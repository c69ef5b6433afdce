"""The clickstream curation in DuckDB: the benchmark's peer for Spark's, doing the same work on the same files.

It reads the gzip JSON lines the landing manifest records for the run's window, applies the contract's rules
(read errors, required, type, range, enum, pattern, the reference to the curated products), judges repeated
keys in landing order (within a delivery the later record wins and the earlier is quarantined; across
deliveries the latest delivery is curated), pseudonymizes the PII fields with the same keyed HMAC-SHA256, and
writes date-partitioned Parquet plus the quarantine, to a folder of its own. The SQL is built from the contract,
so a rule added there is a rule here. Its row counts are compared with Spark's report.
"""

from __future__ import annotations

import resource
import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from etl.contracts import ContractField, DataContract, LogicalType, load_contract
from etl.curate.conform import ZONE_SUFFIX
from etl.curate.deliveries import run_window
from etl.curate.pseudonymize import hmac_pads
from etl.curate.write import curated_key
from etl.lake import LocalLakeStore

DATASET = "clickstream_events"
# Spark's curated types as DuckDB names them.
_DUCKDB_TYPES = {"int": "INTEGER", "bigint": "BIGINT", "timestamp": "TIMESTAMPTZ", "date": "DATE"}


@dataclass(frozen=True)
class DuckDbCuration:
    """Wall time, the counts compared with Spark's report, and the process's peak memory."""

    seconds: float
    rows_read: int
    rows_curated: int
    rows_quarantined: int
    rows_latest: int
    peak_rss_bytes: int


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _hmac_hex(value: str, key: bytes) -> str:
    inner, outer = (pad.hex() for pad in hmac_pads(key))
    return f"sha256(from_hex('{outer}') || from_hex(sha256(from_hex('{inner}') || encode({value}))))"


def _duck_type(field: ContractField) -> str:
    return _DUCKDB_TYPES.get(field.spark_type, field.spark_type.upper())


def _typed(field: ContractField, raw: str) -> str:
    if field.logical_type is LogicalType.STRING:
        return raw
    converted = f"try_cast({raw} AS {_duck_type(field)})"
    if field.requires_zone:
        converted = f"CASE WHEN regexp_matches({raw}, {_literal(ZONE_SUFFIX)}) THEN {converted} END"
    return converted


def _checks(field: ContractField, raw: str, typed: str, kind: str, run_date: date) -> list[tuple[str, str]]:
    """(rule, failing condition) per rule on ``field``, as etl.quality.rules defines them."""
    checks = [("required", f"{raw} IS NULL")] if field.required else []
    if field.logical_type is LogicalType.STRING:
        checks.append(("type", f"{kind} IN ('OBJECT', 'ARRAY')"))
    else:
        checks.append(("type", f"{raw} IS NOT NULL AND {typed} IS NULL"))
    bounds = [
        f"{typed} < CAST({_literal(str(field.minimum))} AS {_duck_type(field)})" if field.minimum is not None else "",
        f"{typed} > CAST({_literal(str(field.maximum))} AS {_duck_type(field)})" if field.maximum is not None else "",
        f"CAST({typed} AS DATE) > DATE '{run_date.isoformat()}'" if field.not_after_run_date else "",
    ]
    if any(bounds):
        checks.append(("range", " OR ".join(f"({bound})" for bound in bounds if bound)))
    if field.allowed_values:
        checks.append(("enum", f"{typed} NOT IN ({', '.join(_literal(v) for v in field.allowed_values)})"))
    if field.pattern:
        checks.append(("pattern", f"NOT regexp_matches({raw}, {_literal(field.pattern)})"))
    return checks


def curation_sql(contract: DataContract, run_date: date, parent_sources: dict[str, str], key: bytes) -> str:
    """The query from the ``lines`` table (file, delivery, position, line) to every record judged: its typed
    and pseudonymized values, ``failures`` (empty when it passes) and ``latest`` (the row to curate).
    ``parent_sources`` maps each referenced dataset to a relation of its curated rows."""
    sources = contract.source_fields
    paths = "[" + ", ".join(_literal(f"$.{f.source_name}") for f in sources) + "]"
    values, failures = [], []
    for index, field in enumerate(sources, start=1):
        typed = _typed(field, f"v[{index}]")
        values.append(f"{typed} AS {field.name}")
        failures += [
            f"CASE WHEN {condition} THEN '{rule}:{field.name}' END"
            for rule, condition in _checks(field, f"v[{index}]", typed, f"k[{index}]", run_date)
        ]
    derived = [f"CAST({f.derived_from} AS DATE) AS {f.name}" for f in contract.fields if f.derived_from is not None]
    query = f"""
        WITH parsed AS (SELECT *, TRY_CAST(line AS JSON) AS document FROM lines),
        extracted AS (
            SELECT * EXCLUDE (document), coalesce(json_type(document) = 'OBJECT', false) AS readable,
                   json_extract_string(document, {paths}) AS v, json_type(document, {paths}) AS k
            FROM parsed),
        typed AS (SELECT file, delivery, position, line, readable, {", ".join(values)}, v, k FROM extracted),
        checked AS (
            SELECT * EXCLUDE (v, k), {", ".join(derived) + "," if derived else ""}
                   CASE WHEN NOT readable THEN ['malformed_json']
                        ELSE list_filter([{", ".join(failures)}], lambda failure: failure IS NOT NULL) END AS failures
            FROM typed)"""
    previous = "checked"
    for index, reference in enumerate(contract.foreign_keys):
        parent = parent_sources[reference.parent]
        query += f""",
        referenced_{index} AS (
            SELECT c.* REPLACE (CASE WHEN c.readable AND c.{reference.field} IS NOT NULL AND p.known IS NULL
                                     THEN list_append(c.failures, 'foreign_key:{reference.field}')
                                     ELSE c.failures END AS failures)
            FROM {previous} AS c
            LEFT JOIN (SELECT DISTINCT {reference.parent_field} AS parent_key, true AS known FROM {parent}) AS p
                   ON c.{reference.field} = p.parent_key)"""
        previous = f"referenced_{index}"
    key_columns = ", ".join(contract.primary_key)
    pii = {f.name for f in contract.fields if f.is_pii}
    pseudonymized = ", ".join(f"{_hmac_hex(name, key)} AS {name}" for name in sorted(pii))
    return (
        query
        + f""",
        ordered AS (
            SELECT *, lead(delivery) OVER (PARTITION BY {key_columns}, len(failures) = 0
                                           ORDER BY delivery, position) AS next_delivery
            FROM {previous})
        SELECT * EXCLUDE (failures, next_delivery) REPLACE ({pseudonymized}),
               CASE WHEN len(failures) = 0 AND next_delivery = delivery THEN ['duplicate:{key_columns}']
                    ELSE failures END AS failures,
               len(failures) = 0 AND next_delivery IS NULL AS latest
        FROM ordered"""
    )


def run_duckdb_clickstream(
    lake_root: Path, run_date: date, key: bytes, out_dir: Path, threads: int = 2, memory_limit: str = "6GB"
):
    """Curate the clickstream files landed on ``run_date`` in ``lake_root`` into ``out_dir`` with DuckDB, timed
    from the first read to the last file written; past ``memory_limit`` (the Spark driver's default memory in
    the benchmark) DuckDB spills to ``out_dir``."""
    contract = load_contract(DATASET)
    store = LocalLakeStore(lake_root)
    window = run_window(store, DATASET, run_date, 0)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    connection = duckdb.connect()
    settings = (
        f"threads = {int(threads)}",
        f"memory_limit = {_literal(memory_limit)}",
        f"temp_directory = {_literal(str(out_dir / 'spill'))}",
        "TimeZone = 'UTC'",
        "enable_progress_bar = false",
    )
    for setting in settings:
        connection.execute(f"SET {setting}")
    started = time.perf_counter()
    # A file landing found damaged is quarantined whole, standing for the rows landing counted in it.
    damaged_rows = sum(delivered.rows for delivered in window.files if delivered.problem is not None)
    paths = {str(lake_root / f.key): f.sequence for f in window.files if f.problem is None}
    connection.execute("CREATE TEMP TABLE deliveries (file VARCHAR, delivery INTEGER)")
    connection.executemany("INSERT INTO deliveries VALUES (?, ?)", list(paths.items()))
    connection.execute("CREATE TEMP TABLE lines (file VARCHAR, delivery INTEGER, position BIGINT, line VARCHAR)")
    if paths:
        # One column per line: the delimiter is a control character JSON never leaves unescaped.
        connection.execute(
            f"""
            INSERT INTO lines
            SELECT d.file, d.delivery, row_number() OVER () AS position, r.line
            FROM read_csv({sorted(paths)!r}, columns = {{'line': 'VARCHAR'}}, header = false, delim = chr(1),
                          quote = '', escape = '', auto_detect = false, filename = true) AS r
            JOIN deliveries AS d ON d.file = r.filename
            WHERE trim(r.line) <> ''
            """
        )
    sources = {}
    for reference in contract.foreign_keys:
        folder = lake_root / curated_key(reference.parent)
        # A parent not curated yet has no keys: every reference to it is unknown.
        sources[reference.parent] = (
            f"read_parquet({_literal(str(folder / '**' / '*.parquet'))}, hive_partitioning = true)"
            if folder.is_dir()
            else f"(SELECT NULL AS {reference.parent_field} WHERE false)"
        )
    connection.execute(f"CREATE TEMP TABLE judged AS {curation_sql(contract, run_date, sources, key)}")
    curated = ", ".join(f.name for f in contract.fields)
    partitions = ", ".join(contract.partition_by)
    connection.execute(
        f"COPY (SELECT {curated} FROM judged WHERE latest) TO {_literal(str(out_dir / 'curated'))} "
        f"(FORMAT parquet, PARTITION_BY ({partitions}))"
    )
    connection.execute(
        f"COPY (SELECT file, line, failures FROM judged WHERE len(failures) > 0) "
        f"TO {_literal(str(out_dir / 'quarantine.parquet'))} (FORMAT parquet)"
    )
    seconds = time.perf_counter() - started
    read, quarantined, latest = connection.execute(
        "SELECT count(*), count(*) FILTER (WHERE len(failures) > 0), count(*) FILTER (WHERE latest) FROM judged"
    ).fetchone()
    connection.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return DuckDbCuration(round(seconds, 2), read, read - quarantined, quarantined + damaged_rows, latest, peak)
