"""The data lake's object store, addressed by zone-relative keys.

Every writer (landing, the valuation cache, curation reports) goes through a ``LakeStore`` so the same code
writes the local filesystem on a developer machine and S3 (SSE-KMS with the lake key) in AWS.
Keys look like ``raw/orders/date=2026-11-29/orders.csv``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

ZONES = ("raw", "curated", "quarantine", "reports")


def partition_prefix(zone: str, dataset: str, day: date) -> str:
    """``<zone>/<dataset>/date=YYYY-MM-DD/``: the brief's layout for the landing and quarantine zones."""
    if zone not in ZONES:
        raise ValueError(f"unknown lake zone {zone!r}; expected one of {', '.join(ZONES)}")
    return f"{zone}/{dataset}/date={day.isoformat()}/"


class LakeStore(Protocol):
    """What the platform needs from an object store."""

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def get_bytes(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def list_keys(self, prefix: str) -> Iterator[str]: ...

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a key that does not exist is not an error."""
        ...

    def uri(self, key: str) -> str:
        """Where Spark or a person finds the object (a path locally, ``s3://`` in AWS)."""
        ...


@dataclass(frozen=True)
class LocalLakeStore:
    """The lake on the local filesystem, for ``make pipeline`` and tests."""

    root: Path

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"lake key {key!r} escapes the lake root {self.root}")
        return path

    def put_bytes(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename so a reader never sees half an object, as with S3.
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def get_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list_keys(self, prefix: str) -> Iterator[str]:
        base = self.root.resolve()
        start = self._path(prefix) if prefix else base
        search_root = start if start.is_dir() else start.parent
        if not search_root.is_dir():
            return
        for path in sorted(search_root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                key = path.relative_to(base).as_posix()
                if key.startswith(prefix):
                    yield key

    def uri(self, key: str) -> str:
        return str(self._path(key))


@dataclass(frozen=True)
class S3LakeStore:
    """The lake bucket in AWS; every write is SSE-KMS with the lake key, as the bucket policy demands."""

    bucket: str
    kms_key_id: str
    client: object  # a boto3 S3 client; injected so tests can pass moto's

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.kms_key_id,
        )

    def get_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def exists(self, key: str) -> bool:
        response = self.client.list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        return any(item["Key"] == key for item in response.get("Contents", []))

    def delete(self, key: str) -> None:
        # In the versioned bucket this adds a delete marker; the object's versions stay until they expire.
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def list_keys(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"
