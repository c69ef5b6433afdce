"""One erasure request, end to end: plan in the primary store, erase in every store, the serving database,
and the audit record."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from etl.contracts import load_contract
from etl.curate.pseudonymize import pseudonym
from etl.erase.audit import ErasureRecord, utc_timestamp, write_record
from etl.erase.erasure import SUBJECT_FIELD, Subject, erase_from_lake, plan_erasure
from etl.erase.objects import VersionedObjects
from etl.erase.serving import erase_from_serving
from etl.lake import LakeStore

REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
Progress = Callable[[str], None]


class ErasureRequestError(ValueError):
    """An erasure request cannot be carried out as given; the message names what to fix."""


@dataclass(frozen=True)
class ErasureRequest:
    """Who is to be erased, under which request, on whose behalf."""

    customer_id: str
    request_id: str
    requested_by: str

    def __post_init__(self) -> None:
        pattern = load_contract("customers").field(SUBJECT_FIELD).pattern
        if pattern and not re.fullmatch(pattern, self.customer_id):
            raise ErasureRequestError(f"customer id {self.customer_id!r} does not match the contract's {pattern}")
        if not REQUEST_ID.match(self.request_id):
            raise ErasureRequestError(
                f"request id {self.request_id!r}: use 1-64 letters, digits, dots, hyphens and underscores"
            )
        if not self.requested_by.strip():
            raise ErasureRequestError("requested_by: name who asked for the erasure (a ticket or a person's role)")


@dataclass(frozen=True)
class LakeTarget:
    """A store to erase from, and the store of its landing manifests (None for a replica)."""

    objects: VersionedObjects
    manifests: LakeStore | None


def erase_customer(
    request: ErasureRequest,
    targets: Sequence[LakeTarget],
    audit: LakeStore,
    pseudonym_key: bytes,
    serving: psycopg.Connection | None,
    progress: Progress,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ErasureRecord:
    """Erase the customer everywhere and return the audit record (written to ``audit`` before and after)."""
    subject = Subject(request.customer_id, pseudonym(request.customer_id, pseudonym_key))
    record = ErasureRecord(request.request_id, request.requested_by, subject.pseudonym, utc_timestamp(clock()))
    write_record(audit, record)
    plan = plan_erasure(targets[0].objects, subject)
    progress(f"linked keys: {', '.join(f'{k} {n}' for k, n in plan.linked.items())}")
    for target in targets:
        outcome = erase_from_lake(target.objects, plan, target.manifests)
        record.stores.append(outcome)
        progress(f"{outcome.store}: {outcome.records_removed} record(s) removed")
    if serving is not None:
        record.serving_rows_deleted = erase_from_serving(serving, subject.pseudonym)
        progress(f"serving: {sum(record.serving_rows_deleted.values())} row(s) deleted")
    record.finished_at, record.status = utc_timestamp(clock()), "completed"
    write_record(audit, record)
    return record
