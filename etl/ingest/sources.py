"""Landing of file-based deliveries: a folder of files, each landed byte for byte under its own name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from etl.contracts import SourceEncoding, load_contract
from etl.ingest.errors import IngestError
from etl.ingest.landing import LandingReport, land_file
from etl.ingest.rows import FileCount
from etl.lake import LakeStore

RowCounter = Callable[[bytes, SourceEncoding], FileCount]


def land_paths(
    store: LakeStore, dataset: str, day: date, paths: Iterable[Path], count_rows: RowCounter, report: LandingReport
) -> LandingReport:
    """Land every file in ``paths`` for ``dataset`` on ``day`` and record the outcomes in ``report``; rows are
    counted in the encoding the dataset's contract declares."""
    encoding = load_contract(dataset).source_encoding
    for path in paths:
        data = path.read_bytes()
        report.files.append(land_file(store, dataset, day, path.name, data, count_rows(data, encoding)))
    return report


def require_file(path: Path, what: str) -> Path:
    """``path`` itself, or a clear error naming the missing delivery."""
    if not path.is_file():
        raise IngestError(f"{what} not found at {path}; check the source folder")
    return path
