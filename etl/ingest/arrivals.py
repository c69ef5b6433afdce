"""Pushed deliveries: partner files arriving over SFTP and clickstream objects the delivery stream staged.

An SFTP arrival is routed by partner and file name to its dataset and landed, or rejected with the reason and
kept.

Partners upload into their own folder of the transfer bucket, ``incoming/<partner>/<file>``; nothing else of the
bucket is visible to them. An arrival is landed by ``etl.ingest.landing.land_file`` (idempotent by the content
manifest, corrections become new versions) into ``raw/<dataset>/date=<arrival day>/<file>`` and then removed
from ``incoming/``. A file that cannot be landed moves to ``rejected/<partner>/date=<day>/<file>`` with a
``<file>.reason.json`` beside it, so it is reported and never lost.

A staged clickstream object, ``raw/clickstream_events/_staging/date=<day>/hour=<HH>/<object>.jsonl.gz`` (the
hour it arrived, UTC), lands into ``raw/clickstream_events/date=<day>/hour=<HH>/<object>.jsonl.gz`` with its
manifest entry, the same layout local runs land hourly files in, and the staged copy is removed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum

from etl.contracts import load_contract
from etl.ingest.clickstream import DATASET as CLICKSTREAM
from etl.ingest.clickstream import STAGING_PREFIX
from etl.ingest.landing import land_file
from etl.ingest.orders import CUSTOMERS_FILE, ORDER_LINES_FILE, ORDERS_FILE
from etl.ingest.rows import count_csv_rows, count_gzip_json_lines
from etl.lake import LakeStore

INCOMING_PREFIX = "incoming/"
REJECTED_PREFIX = "rejected/"
# Names SFTP clients give a file while they upload it, before renaming it to its real name.
TEMPORARY_SUFFIXES = (".filepart", ".part", ".partial", ".tmp")
# What the delivery stream writes under the staging prefix: its arrival hour, then one GZIP JSON-lines object.
STAGED_OBJECT = re.compile(r"^(date=(\d{4}-\d{2}-\d{2})/hour=(\d{2})/)([^/]+\.jsonl\.gz)$")


@dataclass(frozen=True)
class PartnerRoute:
    """Which dataset each of a partner's files belongs to: by exact name, else every ``*.csv`` to
    ``csv_dataset``."""

    names: Mapping[str, str] = field(default_factory=dict)
    csv_dataset: str | None = None

    def dataset_for(self, name: str) -> str | None:
        """The dataset of a file called ``name``, or None when the partner does not deliver it."""
        if name in self.names:
            return self.names[name]
        if self.csv_dataset and name.lower().endswith(".csv"):
            return self.csv_dataset
        return None

    @property
    def datasets(self) -> tuple[str, ...]:
        """Every dataset the partner's files land in."""
        return tuple(sorted({*self.names.values(), *([self.csv_dataset] if self.csv_dataset else [])}))

    def describe(self) -> str:
        """What the partner delivers, for a rejection message."""
        expected = sorted(self.names) + (["*.csv"] if self.csv_dataset else [])
        return ", ".join(expected)


# The order system's nightly export and the market-data vendor's CSV files. A partner's SFTP user, its home
# folder and its allowed networks are named after these keys in environments/*.yaml.
PARTNER_ROUTES: Mapping[str, PartnerRoute] = {
    "order-system": PartnerRoute(
        names={ORDERS_FILE: "orders", ORDER_LINES_FILE: "order_lines", CUSTOMERS_FILE: "customers"}
    ),
    "market-data-vendor": PartnerRoute(csv_dataset="market_indicators"),
}


class ArrivalOutcome(StrEnum):
    """What became of one arrival."""

    LANDED = "landed"
    SKIPPED = "skipped"  # the same bytes had landed before
    NEW_VERSION = "new_version"  # a correction of a file landed before under the same name
    REJECTED = "rejected"
    IGNORED = "ignored"  # an upload still in progress under a temporary name, or an object outside incoming/
    GONE = "gone"  # already handled: the event was delivered again after the file moved on


@dataclass(frozen=True)
class ArrivalResult:
    """One arrival's outcome, as logged and reported."""

    key: str
    outcome: ArrivalOutcome
    partner: str | None = None
    dataset: str | None = None
    lake_key: str | None = None
    rows: int = 0
    reason: str | None = None
    rejected_key: str | None = None

    def as_log(self) -> dict[str, object]:
        """A JSON-ready record of the result."""
        return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in asdict(self).items() if v is not None}


def rejected_key(partner: str, day: date, name: str) -> str:
    """Where a rejected file of ``partner`` is kept."""
    return f"{REJECTED_PREFIX}{partner}/date={day.isoformat()}/{name}"


def land_arrival(
    incoming: LakeStore,
    lake: LakeStore,
    key: str,
    day: date,
    routes: Mapping[str, PartnerRoute] = PARTNER_ROUTES,
) -> ArrivalResult:
    """Land the arrival at ``key`` of the ``incoming`` store into ``lake`` for ``day``, or reject it."""
    if not key.startswith(INCOMING_PREFIX):
        return ArrivalResult(key, ArrivalOutcome.IGNORED, reason="not under incoming/")
    partner, _, name = key.removeprefix(INCOMING_PREFIX).partition("/")
    if not name or name.endswith("/"):
        return ArrivalResult(key, ArrivalOutcome.IGNORED, partner=partner, reason="a folder, not a file")
    if name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES):
        return ArrivalResult(key, ArrivalOutcome.IGNORED, partner=partner, reason="a temporary upload name")
    if not incoming.exists(key):
        return ArrivalResult(key, ArrivalOutcome.GONE, partner=partner)
    data = incoming.get_bytes(key)
    reason, dataset = _check(routes, partner, name, data)
    if reason:
        kept = _reject(incoming, key, partner, name, day, data, reason)
        return ArrivalResult(key, ArrivalOutcome.REJECTED, partner=partner, reason=reason, rejected_key=kept)
    landed = land_file(lake, dataset, day, name, data, count_csv_rows(data, load_contract(dataset).source_encoding))
    incoming.delete(key)
    return ArrivalResult(
        key,
        ArrivalOutcome(landed.action.value),
        partner=partner,
        dataset=dataset,
        lake_key=landed.key,
        rows=landed.rows,
    )


def _check(routes: Mapping[str, PartnerRoute], partner: str, name: str, data: bytes) -> tuple[str | None, str]:
    """(reason to reject, dataset): a reason names what is wrong and what the partner should deliver."""
    route = routes.get(partner)
    if route is None:
        return f"no partner folder {partner!r}; partners are {', '.join(sorted(routes))}", ""
    if "/" in name:
        return "files must be uploaded at the top of the partner folder, not in a subfolder", ""
    dataset = route.dataset_for(name)
    if dataset is None:
        return f"{partner} delivers {route.describe()}; {name!r} is not one of them", ""
    if not data:
        return "the file is empty (0 bytes); upload it again", ""
    return None, dataset


def _reject(incoming: LakeStore, key: str, partner: str, name: str, day: date, data: bytes, reason: str) -> str:
    kept = rejected_key(partner, day, name.replace("/", "_"))
    record = {
        "incoming_key": key,
        "partner": partner,
        "reason": reason,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "rejected_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    incoming.put_bytes(kept, data)
    incoming.put_bytes(f"{kept}.reason.json", json.dumps(record, indent=2).encode("utf-8"))
    incoming.delete(key)
    return kept


def staged_partition(relative: str) -> tuple[str, str] | None:
    """(``date=…/hour=…/``, object name) of a key below the staging prefix, or None when it is not a staged
    hourly object of a real hour."""
    match = STAGED_OBJECT.match(relative)
    if not match:
        return None
    try:
        datetime.strptime(f"{match.group(2)} {match.group(3)}", "%Y-%m-%d %H")
    except ValueError:
        return None
    return match.group(1), match.group(4)


def land_staged(lake: LakeStore, key: str, day: date, staging_prefix: str = STAGING_PREFIX) -> ArrivalResult:
    """Land the clickstream object the delivery stream staged at ``key`` of ``lake`` for ``day`` into its hour's
    raw partition, then remove the staged copy. A damaged object still lands: landing records the damage in the
    manifest and curation quarantines its rows with that reason."""
    parsed = staged_partition(key.removeprefix(staging_prefix)) if key.startswith(staging_prefix) else None
    if parsed is None:
        return ArrivalResult(
            key, ArrivalOutcome.IGNORED, reason=f"not a staged object {staging_prefix}date=…/hour=…/<name>.jsonl.gz"
        )
    if not lake.exists(key):
        return ArrivalResult(key, ArrivalOutcome.GONE, dataset=CLICKSTREAM)
    partition, name = parsed
    data = lake.get_bytes(key)
    count = count_gzip_json_lines(data, load_contract(CLICKSTREAM).source_encoding)
    landed = land_file(lake, CLICKSTREAM, day, name, data, count, partition=partition)
    lake.delete(key)
    return ArrivalResult(
        key,
        ArrivalOutcome(landed.action.value),
        dataset=CLICKSTREAM,
        lake_key=landed.key,
        rows=landed.rows,
        reason=count.problem.detail if count.problem else None,
    )
