"""Hourly clickstream files (``events-YYYYMMDDHH.jsonl.gz``) from the staging folder, landed as delivered."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from etl.ingest.errors import IngestError
from etl.ingest.landing import LandingReport
from etl.ingest.rows import count_gzip_json_lines
from etl.ingest.sources import land_paths
from etl.lake import LakeStore

HOURLY_FILE = re.compile(r"^events-\d{10}\.jsonl\.gz$")


def ingest_clickstream(store: LakeStore, source_dir: Path, day: date) -> LandingReport:
    """Land every hourly file in ``source_dir``; other files are refused and listed in the report."""
    if not source_dir.is_dir():
        raise IngestError(f"clickstream staging folder {source_dir} does not exist; check --source")
    report = LandingReport("clickstream_events")
    hourly = []
    for path in sorted(p for p in source_dir.iterdir() if p.is_file()):
        if HOURLY_FILE.match(path.name):
            hourly.append(path)
        else:
            report.refused[path.name] = "not an hourly file named events-YYYYMMDDHH.jsonl.gz"
    return land_paths(store, "clickstream_events", day, hourly, count_gzip_json_lines, report)
