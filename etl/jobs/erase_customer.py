"""Glue 5.0 entry script for the erasure of one customer (docs/adr/0069-erasure-of-one-customer.md).

The customer's key never appears in the job's arguments (they are kept in the job run's history): the job takes
``--request_id`` and reads the request the requester wrote to ``reports/erasure/requests/<request_id>.json``
(``{"customer_id": ..., "requested_by": ...}``), erases the customer from every version of the lake bucket, the
replica's versions (``--replica_bucket``, prod only) and the serving database (logged in as the load's own
role, to a server the RDS CA bundle ``--serving_db_ca_bundle_url`` vouches for), writes the audit record, and
deletes the request, every version of it. It runs in the VPC through the stack's Glue connection; it is started
by hand (``make erase-customer ENV=...``), never on a schedule. Only the ``__main__`` block knows about Glue.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import psycopg

from etl.curate.pseudonymize import resolve_pseudonym_key
from etl.erase.audit import ErasureRecord
from etl.erase.objects import S3Objects
from etl.erase.run import ErasureRequest, ErasureRequestError, LakeTarget, erase_customer
from etl.jobs import JobArgument, present, require, run_entry
from etl.lake import LakeStore, S3LakeStore
from etl.secrets import SecretUnavailableError
from etl.serve.ca_bundle import CaBundleError
from etl.serve.connection import ServingDatabaseConfigError, ServingDatabaseEndpoint, endpoint_from_arguments
from etl.serve.login import ServingLoginError, connect_as_load_role

log = logging.getLogger(__name__)
REQUESTS_PREFIX = "reports/erasure/requests/"
ARGUMENTS = (
    JobArgument("request_id", "the erasure request's id; the request is reports/erasure/requests/<id>.json"),
    JobArgument("lake_bucket", "the lake bucket"),
    JobArgument("lake_kms_key_id", "the lake KMS key every write is encrypted with"),
    JobArgument("replica_bucket", "the lake's replica in another region, where versions are deleted too", False),
    JobArgument("pseudonym_secret_id", "the Secrets Manager id of the pseudonymization key"),
    JobArgument("serving_db_host", "the serving database's address"),
    JobArgument("serving_db_port", "the serving database's port"),
    JobArgument("serving_db_name", "the serving database's name"),
    JobArgument("serving_db_user", "the load's database role, which logs in with an IAM token"),
    JobArgument("serving_db_ca_bundle_url", "the HTTPS URL of the RDS CA bundle the database is verified against"),
)


def request_key(request_id: str) -> str:
    """Where the requester writes the request of ``request_id``."""
    return f"{REQUESTS_PREFIX}{request_id}.json"


@dataclass(frozen=True)
class EraseJobArgs:
    """The erasure job's arguments, parsed once."""

    request_id: str
    lake_bucket: str
    lake_kms_key_id: str
    replica_bucket: str | None
    pseudonym_secret_id: str
    serving_db_endpoint: ServingDatabaseEndpoint
    serving_db_user: str
    serving_db_ca_bundle_url: str

    @classmethod
    def parse(cls, raw: dict[str, str]) -> EraseJobArgs:
        """Job arguments as Glue resolves them (all strings); no replica outside prod."""
        given = require(raw, ARGUMENTS)
        return cls(
            request_id=given["request_id"],
            lake_bucket=given["lake_bucket"],
            lake_kms_key_id=given["lake_kms_key_id"],
            replica_bucket=given.get("replica_bucket"),
            pseudonym_secret_id=given["pseudonym_secret_id"],
            serving_db_endpoint=endpoint_from_arguments(
                given["serving_db_host"], given["serving_db_port"], given["serving_db_name"]
            ),
            serving_db_user=given["serving_db_user"],
            serving_db_ca_bundle_url=given["serving_db_ca_bundle_url"],
        )


def read_request(store: LakeStore, request_id: str) -> ErasureRequest:
    """The request the requester wrote; a missing or malformed one is one ``ErasureRequestError``."""
    key = request_key(request_id)
    if not store.exists(key):
        raise ErasureRequestError(f"no erasure request at {key}; write it first (make erase-customer ENV=...)")
    try:
        document = json.loads(store.get_bytes(key))
        return ErasureRequest(document["customer_id"], request_id, document["requested_by"])
    except (ValueError, KeyError, TypeError):
        raise ErasureRequestError(f"{key} is not a request: expected customer_id and requested_by") from None


def main(args: EraseJobArgs, s3: object | None = None, rds: object | None = None) -> ErasureRecord:
    """Erase the requested customer everywhere, then delete the request itself."""
    import boto3

    s3 = s3 or boto3.client("s3")
    lake = S3LakeStore(args.lake_bucket, args.lake_kms_key_id, s3)
    request = read_request(lake, args.request_id)
    targets = [LakeTarget(S3Objects(args.lake_bucket, args.lake_kms_key_id, s3), lake)]
    if args.replica_bucket:
        targets.append(LakeTarget(S3Objects(args.replica_bucket, args.lake_kms_key_id, s3, writes=False), None))
    rds = rds or boto3.client("rds")
    with connect_as_load_role(
        args.serving_db_endpoint, args.serving_db_user, rds, args.serving_db_ca_bundle_url
    ) as connection:
        record = erase_customer(
            request, targets, lake, resolve_pseudonym_key(args.pseudonym_secret_id), connection, log.info
        )
    # The request holds the customer's key in clear: none of its versions may outlive the erasure.
    request_versions = S3Objects(args.lake_bucket, args.lake_kms_key_id, s3)
    for version in list(request_versions.versions(request_key(args.request_id))):
        request_versions.delete(version)
    log.info(
        "erasure %s: %d lake record(s) removed, %d serving row(s) deleted; audit record %s",
        record.request_id,
        record.lake_records_removed,
        sum(record.serving_rows_deleted.values()),
        record.key,
    )
    return record


if __name__ == "__main__":
    import sys

    from awsglue.utils import getResolvedOptions

    run_entry(
        "erase_customer",
        lambda: main(EraseJobArgs.parse(getResolvedOptions(sys.argv, present(ARGUMENTS, sys.argv)))),
        (
            ErasureRequestError,
            SecretUnavailableError,
            ServingDatabaseConfigError,
            CaBundleError,
            ServingLoginError,
            psycopg.OperationalError,
        ),
    )
