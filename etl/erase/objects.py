"""Every stored version of the lake's objects, for erasure: a local lake keeps one copy of each key, the S3
lake bucket (and its replica) every version until the lifecycle expires it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from etl.lake import LakeStore


@dataclass(frozen=True)
class ObjectVersion:
    """One stored version of a key; ``version_id`` is None on a store without versions."""

    key: str
    version_id: str | None
    is_latest: bool


class VersionedObjects(Protocol):
    """What erasure needs from a store: read any version, write a new current one, delete a version."""

    @property
    def name(self) -> str:
        """How the store is named in the audit record."""
        ...

    @property
    def writes(self) -> bool:
        """False for a replica: replication brings it the rewritten objects, erasure only deletes there."""
        ...

    def versions(self, prefix: str) -> Iterator[ObjectVersion]: ...

    def read(self, version: ObjectVersion) -> bytes: ...

    def write(self, key: str, data: bytes) -> None: ...

    def delete(self, version: ObjectVersion) -> None: ...


@dataclass(frozen=True)
class StoreObjects:
    """A lake without object versions (a local lake): each key is its only version."""

    store: LakeStore
    name: str = "local lake"
    writes: bool = True

    def versions(self, prefix: str) -> Iterator[ObjectVersion]:
        for key in self.store.list_keys(prefix):
            yield ObjectVersion(key, None, True)

    def read(self, version: ObjectVersion) -> bytes:
        return self.store.get_bytes(version.key)

    def write(self, key: str, data: bytes) -> None:
        self.store.put_bytes(key, data)
        # Spark's local file system checks a file against its ".<name>.crc" sidecar: a stale one fails reads.
        folder, _, name = key.rpartition("/")
        self.store.delete(f"{folder}/.{name}.crc" if folder else f".{name}.crc")

    def delete(self, version: ObjectVersion) -> None:
        self.store.delete(version.key)


@dataclass(frozen=True)
class S3Objects:
    """A versioned bucket: every version of every key, written SSE-KMS with the lake key."""

    bucket: str
    kms_key_id: str
    client: object  # a boto3 S3 client
    writes: bool = True

    @property
    def name(self) -> str:
        return f"s3://{self.bucket}"

    def versions(self, prefix: str) -> Iterator[ObjectVersion]:
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            # Delete markers hold no data.
            for item in page.get("Versions", []):
                yield ObjectVersion(item["Key"], item["VersionId"], item["IsLatest"])

    def read(self, version: ObjectVersion) -> bytes:
        response = self.client.get_object(Bucket=self.bucket, Key=version.key, VersionId=version.version_id)
        return response["Body"].read()

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=data, ServerSideEncryption="aws:kms", SSEKMSKeyId=self.kms_key_id
        )

    def delete(self, version: ObjectVersion) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=version.key, VersionId=version.version_id)
