"""Land one delivered file in ``raw/<dataset>/date=YYYY-MM-DD/<name>`` (or a partition of its own), idempotently.

- Bytes whose SHA-256 the dataset's manifest already holds are not landed again (a no-op).
- A file whose key already holds different bytes is a correction: it becomes the current object at that key,
  and the earlier version stays available — as an object version in the versioned S3 lake bucket, or as an
  archived copy under ``raw/_versions/`` on a local lake. The manifest records which.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from etl.ingest.manifest import ManifestEntry, Versioning, append_entry, read_manifest
from etl.ingest.rows import FileCount
from etl.lake import LakeStore, S3LakeStore, partition_prefix


class LandingAction(StrEnum):
    """What landing did with one file."""

    LANDED = "landed"
    SKIPPED = "skipped"
    NEW_VERSION = "new_version"


@dataclass(frozen=True)
class LandedFile:
    """The outcome for one delivered file."""

    source_name: str
    key: str
    action: LandingAction
    rows: int


@dataclass
class LandingReport:
    """What one landing of a dataset did: per-file outcomes, files refused with the reason, one-line notes on
    how files were landed, and (orders only) the order-date watermark after landing."""

    dataset: str
    files: list[LandedFile] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    watermark: date | None = None

    def _count(self, action: LandingAction) -> int:
        return sum(1 for landed in self.files if landed.action is action)

    @property
    def files_landed(self) -> int:
        """Files landed for the first time under their key."""
        return self._count(LandingAction.LANDED)

    @property
    def files_skipped(self) -> int:
        """Files whose bytes had landed before."""
        return self._count(LandingAction.SKIPPED)

    @property
    def new_versions(self) -> int:
        """Corrected files that replaced an earlier version under the same key."""
        return self._count(LandingAction.NEW_VERSION)

    @property
    def rows_landed(self) -> int:
        """Rows in the files landed or versioned by this run (skipped files add nothing)."""
        return sum(landed.rows for landed in self.files if landed.action is not LandingAction.SKIPPED)


def archive_key(key: str, version: int) -> str:
    """Where a local lake keeps version ``version`` of ``key`` once a correction replaces it."""
    return f"raw/_versions/{key.removeprefix('raw/')}.v{version}"


def land_file(
    store: LakeStore, dataset: str, day: date, name: str, data: bytes, count: FileCount, *, partition: str = ""
) -> LandedFile:
    """Land ``data`` delivered as ``name`` for ``dataset`` on ``day``, with what landing counted in it.

    The file goes to the raw partition of ``day`` unless ``partition`` names the file's own one inside the
    dataset (``date=2026-10-24/hour=10/`` for an hourly clickstream file), where a redelivery lands on the same key.
    """
    prefix = f"raw/{dataset}/{partition}" if partition else partition_prefix("raw", dataset, day)
    key = prefix + name
    rows = count.rows
    digest = hashlib.sha256(data).hexdigest()
    entries = read_manifest(store, dataset)
    if any(entry.sha256 == digest for entry in entries):
        return LandedFile(name, key, LandingAction.SKIPPED, rows)
    earlier = [entry for entry in entries if entry.key == key]
    version = len(earlier) + 1
    versioning, superseded_key = Versioning.FIRST, None
    if earlier:
        if isinstance(store, S3LakeStore):
            versioning = Versioning.S3_OBJECT_VERSION
        else:
            versioning, superseded_key = Versioning.ARCHIVED_COPY, archive_key(key, version - 1)
            store.put_bytes(superseded_key, store.get_bytes(key))
    store.put_bytes(key, data)
    append_entry(
        store,
        ManifestEntry(
            dataset=dataset,
            source_name=name,
            key=key,
            sha256=digest,
            size_bytes=len(data),
            rows=rows,
            version=version,
            versioning=versioning,
            superseded_key=superseded_key,
            landed_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            landed_on=day,
            header=list(count.header) if count.header is not None else None,
            problem=count.problem,
        ),
    )
    return LandedFile(name, key, LandingAction.NEW_VERSION if earlier else LandingAction.LANDED, rows)
