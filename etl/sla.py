"""Freshness of each curated dataset against its contract's latency SLA.

Freshness is now minus the landing time of the newest raw data that curation has processed: the newest
``landed_at`` of the landing manifest among the files whose rows curation runs curated. Every run records it in
``reports/freshness/<dataset>.json``, so freshness can be measured at any time, for every dataset, without reading
data (docs/adr/0053-sla-metrics-and-alarms.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from etl.contracts import load_contract
from etl.curate.report import DatasetRunReport
from etl.ingest.manifest import read_manifest
from etl.lake import LakeStore


@dataclass(frozen=True)
class Freshness:
    """How old the newest curated data of one dataset is, and whether that is within its SLA."""

    dataset: str
    sla_hours: float
    newest_landed_at: datetime | None
    measured_at: datetime

    @property
    def hours(self) -> float | None:
        """Hours since the newest curated data landed; None before anything was curated."""
        if self.newest_landed_at is None:
            return None
        return max(0.0, (self.measured_at - self.newest_landed_at).total_seconds() / 3600)

    @property
    def within_sla(self) -> bool:
        """Curated data exists and is no older than the contract's latency SLA."""
        return self.hours is not None and self.hours <= self.sla_hours


def freshness_key(dataset: str) -> str:
    """Where the newest curated landing time of ``dataset`` is kept in the lake."""
    return f"reports/freshness/{dataset}.json"


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _recorded(store: LakeStore, dataset: str) -> datetime | None:
    key = freshness_key(dataset)
    if not store.exists(key):
        return None
    return _parse_time(json.loads(store.get_bytes(key))["newest_landed_at"])


def record_curation(store: LakeStore, report: DatasetRunReport, keys: list[str]) -> datetime | None:
    """After a curation run that curated rows of the raw files ``keys`` (its report's ``curated_files``): keep the
    newest landing time among them. A file quarantined whole (schema drift, encoding) is not among them, so it
    changes nothing. Returns the recorded time.
    """
    previous = _recorded(store, report.dataset)
    if not keys:
        return previous
    read = set(keys)
    landed = [_parse_time(entry.landed_at) for entry in read_manifest(store, report.dataset) if entry.key in read]
    newest = max([*landed, *([previous] if previous else [])], default=None)
    if newest is not None and newest != previous:
        document = {"dataset": report.dataset, "newest_landed_at": newest.isoformat().replace("+00:00", "Z")}
        store.put_bytes(freshness_key(report.dataset), json.dumps(document).encode("utf-8"))
    return newest


def measure(store: LakeStore, datasets: list[str], now: datetime | None = None) -> list[Freshness]:
    """Freshness of each of ``datasets`` at ``now`` (default: the current UTC time)."""
    now = now or datetime.now(UTC)
    return [Freshness(d, load_contract(d).freshness_sla_hours, _recorded(store, d), now) for d in datasets]


def share_within_sla(measured: list[Freshness]) -> float:
    """Percentage of ``measured`` datasets within their SLA (the brief's "95% within SLA" target)."""
    if not measured:
        return 0.0
    return 100.0 * sum(f.within_sla for f in measured) / len(measured)
