"""The audit trail: one record per lookup, as JSON lines in the lake and in the structured log.

A record holds the hashed plate, never the plate, and nothing of the API key.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import date

from etl.enrich.vehicle_valuation.settings import AUDIT_PREFIX
from etl.lake import LakeStore

logger = logging.getLogger("etl.enrich.vehicle_valuation.audit")


@dataclass(frozen=True)
class AuditRecord:
    """What happened to one lookup."""

    requested_at: str
    plate_sha256: str
    state_code: str
    outcome: str
    status_code: int | None
    latency_ms: int
    cache_hit: bool
    calls: int
    retries: int
    quota_remaining: int | None
    message: str | None = None


@dataclass
class AuditLog:
    """The run's audit file, ``raw/_audit/vehicle_valuations/date=<day>/run-<run_id>.jsonl``, rewritten per record.

    Rewriting the whole file keeps every record durable as soon as it happens on stores without append (S3); a
    run is bounded by its budget, so the file stays small.
    """

    store: LakeStore
    run_id: str
    day: date
    records: list[AuditRecord] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Lake key of this run's audit file."""
        return f"{AUDIT_PREFIX}/date={self.day.isoformat()}/run-{self.run_id}.jsonl"

    def append(self, record: AuditRecord) -> None:
        """Persist ``record`` and emit it on the structured log."""
        self.records.append(record)
        logger.info(_json_line(record))
        body = "\n".join(_json_line(item) for item in self.records) + "\n"
        self.store.put_bytes(self.key, body.encode("utf-8"))


def _json_line(record: AuditRecord) -> str:
    return json.dumps(asdict(record), sort_keys=True)
