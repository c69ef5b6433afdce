"""The landing manifest: one JSON line per landed object in ``raw/_manifests/<dataset>.jsonl``.

It is what makes landing idempotent (a content hash seen before is a no-op), records how a corrected file under
the same name was versioned, and is the side of the balance curation is checked against: the rows landing
counted in each file, the day and order it landed in, its CSV header and any damage landing found in it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from etl.lake import LakeStore


class Versioning(StrEnum):
    """How an earlier version of an object is kept when a corrected file replaces it."""

    FIRST = "first"  # nothing was replaced
    ARCHIVED_COPY = "archived-copy"  # earlier bytes copied to raw/_versions/... before the overwrite
    S3_OBJECT_VERSION = "s3-object-version"  # the versioned lake bucket keeps the earlier object version
    ERASURE = "erasure"  # rewritten without an erased data subject's records; the earlier versions are deleted


class FileProblem(BaseModel):
    """Damage landing found in a whole file: the quarantine rule curation applies to every row of it, and why."""

    model_config = ConfigDict(frozen=True)

    rule: str  # "encoding" (not in the contract's declared encoding) or "unreadable_file" (e.g. a truncated gzip)
    detail: str


class ManifestEntry(BaseModel):
    """One landed object. ``landed_on`` is the day it was landed for (the run date, not the clock);
    ``header`` the column names of a CSV file as delivered (byte order mark removed), None for other formats
    and for an empty file."""

    model_config = ConfigDict(frozen=True)

    dataset: str
    source_name: str
    key: str
    sha256: str
    size_bytes: int
    rows: int
    version: int
    versioning: Versioning
    superseded_key: str | None = None
    landed_at: str
    landed_on: date
    header: list[str] | None = None
    problem: FileProblem | None = None


def manifest_key(dataset: str) -> str:
    """Where the manifest of ``dataset`` lives in the lake."""
    return f"raw/_manifests/{dataset}.jsonl"


def read_manifest(store: LakeStore, dataset: str) -> list[ManifestEntry]:
    """Every entry of the dataset's manifest, oldest first (empty when nothing has landed yet)."""
    key = manifest_key(dataset)
    if not store.exists(key):
        return []
    lines = store.get_bytes(key).decode("utf-8").splitlines()
    return [ManifestEntry.model_validate_json(line) for line in lines if line.strip()]


def append_entry(store: LakeStore, entry: ManifestEntry) -> None:
    """Add ``entry`` to its dataset's manifest (object stores have no append: read, extend, write)."""
    key = manifest_key(entry.dataset)
    existing = store.get_bytes(key) if store.exists(key) else b""
    store.put_bytes(key, existing + entry.model_dump_json().encode("utf-8") + b"\n")


def record_rewrite(store: LakeStore, key: str, data: bytes, rows_removed: int) -> ManifestEntry | None:
    """Record that the object at ``key`` now holds ``data``, ``rows_removed`` fewer rows than its latest entry
    says (an erasure); everything else about the landing stays. None when no manifest entry describes ``key``
    (a staged or archived copy). The digests of earlier entries stay, so the same delivery is not landed again.
    """
    dataset = key.removeprefix("raw/").split("/", 1)[0]
    earlier = [entry for entry in read_manifest(store, dataset) if entry.key == key]
    if not earlier:
        return None
    latest = earlier[-1]
    entry = latest.model_copy(
        update={
            "sha256": hashlib.sha256(data).hexdigest(),
            "size_bytes": len(data),
            "rows": max(latest.rows - rows_removed, 0),
            "version": latest.version + 1,
            "versioning": Versioning.ERASURE,
            "superseded_key": None,
            "landed_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
    )
    append_entry(store, entry)
    return entry
