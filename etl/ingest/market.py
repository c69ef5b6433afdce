"""Market indicator CSVs from the vendor's SFTP-style drop folder.

Every ``*.csv`` at the top of the drop folder is landed, then moved to ``done/`` inside it, so the next pick-up
sees only new deliveries; a file dropped again with the same bytes is a no-op in the lake.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from etl.ingest.errors import IngestError
from etl.ingest.landing import LandingReport
from etl.ingest.rows import count_csv_rows
from etl.ingest.sources import land_paths
from etl.lake import LakeStore

DONE_FOLDER = "done"


def ingest_market_drop(store: LakeStore, drop_dir: Path, day: date) -> LandingReport:
    """Land the CSV files waiting in ``drop_dir`` and move each one to ``drop_dir/done/`` once landed."""
    if not drop_dir.is_dir():
        raise IngestError(f"market indicator drop folder {drop_dir} does not exist; check the drop folder path")
    report = LandingReport("market_indicators")
    done = drop_dir / DONE_FOLDER
    for path in sorted(p for p in drop_dir.iterdir() if p.is_file()):
        if path.suffix.lower() != ".csv":
            report.refused[path.name] = "not a .csv file; the vendor delivers CSV only"
            continue
        land_paths(store, "market_indicators", day, [path], count_csv_rows, report)
        done.mkdir(exist_ok=True)
        os.replace(path, done / path.name)
    return report
