"""The audit record of an erasure: who asked, when, and what was removed where; never the customer's key.

It names the customer only by their pseudonym (the keyed HMAC the curated zone uses), which is what lets an
erasure be applied again to data restored from a backup taken before it. Records are kept in the reports zone,
which no lifecycle rule expires.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from etl.erase.erasure import LakeErasure
from etl.lake import LakeStore

AUDIT_PREFIX = "reports/erasure"


@dataclass
class ErasureRecord:
    """One erasure, as written to ``reports/erasure/date=<day>/<request_id>.json``."""

    request_id: str
    requested_by: str
    subject_pseudonym: str
    started_at: str
    finished_at: str | None = None
    stores: list[LakeErasure] = field(default_factory=list)
    serving_rows_deleted: dict[str, int] = field(default_factory=dict)
    status: str = "started"

    @property
    def key(self) -> str:
        """Where the record is written in the lake."""
        return f"{AUDIT_PREFIX}/date={self.started_at[:10]}/{self.request_id}.json"

    @property
    def lake_records_removed(self) -> int:
        """Records removed from the lake, over every store."""
        return sum(store.records_removed for store in self.stores)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode("utf-8")


def write_record(store: LakeStore, record: ErasureRecord) -> str:
    """Write ``record``; returns its key."""
    store.put_bytes(record.key, record.to_json())
    return record.key


def utc_timestamp(moment: datetime) -> str:
    """``2026-12-01T10:15:00Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
