"""How long each zone keeps each dataset: the data contracts decide, an environment may only shorten.

S3 lifecycle expiration counts from an object's last write, which is what a contract's retention means
(``etl.contracts.model.Retention``): a raw file from its landing, a curated partition from its last rewrite, a
quarantine run from its write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from etl.contracts import DataContract

# The zones whose objects belong to one dataset (``<zone>/<dataset>/...``) and expire per dataset.
DATASET_ZONES = ("raw", "curated", "quarantine")


@dataclass(frozen=True)
class DatasetExpiry:
    """Objects under ``<zone>/<dataset>/`` expire ``days`` days after they were written."""

    zone: str
    dataset: str
    days: int

    def __post_init__(self) -> None:
        if self.zone not in DATASET_ZONES:
            raise ValueError(f"DatasetExpiry.zone: {self.zone!r} is not one of {', '.join(DATASET_ZONES)}")
        if self.days < 1:
            raise ValueError(f"DatasetExpiry({self.zone}/{self.dataset}).days must be at least 1")

    @property
    def prefix(self) -> str:
        """The key prefix the expiry applies to; the trailing slash keeps ``orders`` from matching
        ``order_lines``."""
        return f"{self.zone}/{self.dataset}/"


def dataset_expiries(
    contract_days: Mapping[str, Mapping[str, int]], caps: Mapping[str, int | None]
) -> tuple[DatasetExpiry, ...]:
    """One expiry per dataset and zone: the contract's days, or the environment's cap when that is shorter.

    ``contract_days`` maps dataset -> zone -> days (every zone of ``DATASET_ZONES``); ``caps`` maps zone ->
    the environment's cap, None for none.
    """
    expiries = []
    for dataset, days_by_zone in sorted(contract_days.items()):
        missing = [zone for zone in DATASET_ZONES if zone not in days_by_zone]
        if missing:
            raise ValueError(f"dataset {dataset!r} declares no retention for zone(s) {', '.join(missing)}")
        for zone in DATASET_ZONES:
            cap = caps.get(zone)
            days = days_by_zone[zone] if cap is None else min(days_by_zone[zone], cap)
            expiries.append(DatasetExpiry(zone, dataset, days))
    return tuple(expiries)


def contract_retention_days(contracts: Mapping[str, DataContract]) -> dict[str, dict[str, int]]:
    """dataset -> zone -> days, from each data contract's ``retention`` (the contract loader requires one for
    every zone of every contract file)."""
    return {
        dataset: {zone: contract.retention.days(zone) for zone in DATASET_ZONES}
        for dataset, contract in contracts.items()
    }
