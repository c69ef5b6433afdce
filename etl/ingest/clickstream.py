"""Hourly clickstream files (``events-YYYYMMDDHH.jsonl.gz``) from the staging folder, landed as delivered.

Each file lands in the raw partition of the hour it holds, ``raw/clickstream_events/date=YYYY-MM-DD/hour=HH/``,
whatever day it is delivered on: a file delivered again for the same hour is the same object, so the same bytes
are a no-op and other bytes a new version of that hour (never a second copy of its events).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from etl.contracts import load_contract
from etl.ingest.errors import IngestError
from etl.ingest.landing import LandingReport, land_file
from etl.ingest.rows import count_gzip_json_lines
from etl.lake import LakeStore

DATASET = "clickstream_events"
# Where the delivery stream stages its objects by arrival hour, inside the dataset's raw prefix but outside its
# partitions, until they are landed (etl.ingest.arrivals.land_staged).
STAGING_PREFIX = f"raw/{DATASET}/_staging/"
HOURLY_FILE = re.compile(r"^events-(\d{10})\.jsonl\.gz$")


def hour_partition(name: str) -> str | None:
    """``date=YYYY-MM-DD/hour=HH/`` of an hourly file's name, or None when the name is not a real hour."""
    match = HOURLY_FILE.match(name)
    if not match:
        return None
    try:
        hour = datetime.strptime(match.group(1), "%Y%m%d%H")
    except ValueError:
        return None
    return f"date={hour.date().isoformat()}/hour={hour.hour:02d}/"


def ingest_clickstream(store: LakeStore, source_dir: Path, day: date) -> LandingReport:
    """Land every hourly file in ``source_dir`` on ``day``; other files are refused and listed in the report."""
    if not source_dir.is_dir():
        raise IngestError(f"clickstream staging folder {source_dir} does not exist; check --source")
    encoding = load_contract(DATASET).source_encoding
    report = LandingReport(DATASET)
    for path in sorted(p for p in source_dir.iterdir() if p.is_file()):
        partition = hour_partition(path.name)
        if partition is None:
            report.refused[path.name] = "not an hourly file named events-YYYYMMDDHH.jsonl.gz for a real hour"
            continue
        data = path.read_bytes()
        count = count_gzip_json_lines(data, encoding)
        report.files.append(land_file(store, DATASET, day, path.name, data, count, partition=partition))
    return report
