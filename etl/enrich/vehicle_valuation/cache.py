"""The raw-zone cache: each successful lookup is one JSON document, reused while younger than the TTL.

Key: ``raw/vehicle_valuations/date=<day of the request>/<plate_sha256>-<state>-<params digest>.json``; the
document is the pipeline's ``vehicle_valuations`` raw format. Only 200 answers are cached. Documents land
through ``etl.ingest.landing`` (one row each), so the landing manifest curation balances against knows them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from etl.enrich.vehicle_valuation.limits import utc_iso
from etl.enrich.vehicle_valuation.settings import DATASET
from etl.enrich.vehicle_valuation.validation import LookupRequest
from etl.ingest.landing import land_file
from etl.ingest.rows import FileCount
from etl.lake import LakeStore, partition_prefix


def params_digest(request: LookupRequest) -> str:
    """Short SHA-256 of the optional parameters, so each (mileage, period) has its own cache entry."""
    params = json.dumps({"mileage": request.mileage, "period": request.period}, sort_keys=True)
    return hashlib.sha256(params.encode("utf-8")).hexdigest()[:16]


def document_name(request: LookupRequest) -> str:
    """File name of the document for ``request`` inside its day's partition."""
    return f"{request.plate_sha256}-{request.state_code}-{params_digest(request)}.json"


def document_key(request: LookupRequest, requested_at: datetime) -> str:
    """Lake key of the document for ``request`` made at ``requested_at``."""
    return partition_prefix("raw", DATASET, requested_at.date()) + document_name(request)


def build_document(
    request: LookupRequest, requested_at: datetime, status_code: int, response: object
) -> dict[str, object]:
    """The raw document: request metadata (hashed plate, never the plate), status and the body as received."""
    return {
        "request": {
            "plate_sha256": request.plate_sha256,
            "state_code": request.state_code,
            "mileage": request.mileage,
            "period": request.period,
            "requested_at": utc_iso(requested_at),
        },
        "status_code": status_code,
        "response": response,
    }


@dataclass(frozen=True)
class ValuationCache:
    """Valuation documents in the lake's raw zone, looked up by request within ``ttl``."""

    store: LakeStore
    ttl: timedelta

    def find(self, request: LookupRequest, now: datetime) -> dict[str, object] | None:
        """The newest cached document for ``request`` requested within the TTL, or None."""
        oldest_allowed = now - self.ttl
        day = now.date()
        while day >= oldest_allowed.date():
            key = document_key(request, datetime.combine(day, now.timetz()))
            if self.store.exists(key):
                document = json.loads(self.store.get_bytes(key))
                requested_at = datetime.fromisoformat(document["request"]["requested_at"])
                if oldest_allowed <= requested_at <= now:
                    return document
            day -= timedelta(days=1)
        return None

    def save(self, request: LookupRequest, requested_at: datetime, response: object) -> dict[str, object]:
        """Store a 200 answer's body for ``request``; returns the document as written."""
        document = build_document(request, requested_at, 200, response)
        data = json.dumps(document, indent=2).encode("utf-8")
        land_file(self.store, DATASET, requested_at.date(), document_name(request), data, FileCount(1))
        return document
