"""The landing manifest: one JSON line per landed object in ``raw/_manifests/<dataset>.jsonl``.

It is what makes landing idempotent (a content hash seen before is a no-op) and what records how a corrected
file under the same name was versioned.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from etl.lake import LakeStore


class Versioning(StrEnum):
    """How an earlier version of an object is kept when a corrected file replaces it."""

    FIRST = "first"  # nothing was replaced
    ARCHIVED_COPY = "archived-copy"  # earlier bytes copied to raw/_versions/... before the overwrite
    S3_OBJECT_VERSION = "s3-object-version"  # the versioned lake bucket keeps the earlier object version


class ManifestEntry(BaseModel):
    """One landed object."""

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
