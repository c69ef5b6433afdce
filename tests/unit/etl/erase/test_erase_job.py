"""The erasure job's inputs: the request it reads from the lake, and its arguments."""

from __future__ import annotations

import pytest

from etl.erase.run import ErasureRequestError
from etl.jobs import JobArgumentError
from etl.jobs.erase_customer import EraseJobArgs, read_request, request_key
from etl.lake import LocalLakeStore

ARGS = {
    "request_id": "REQ-9",
    "lake_bucket": "lake",
    "lake_kms_key_id": "alias/lake",
    "pseudonym_secret_id": "arn:aws:secretsmanager:eu-west-2:1:secret:northwind-unit/pseudonym-key",
    "serving_db_host": "db.internal",
    "serving_db_port": "5432",
    "serving_db_name": "northwind",
    "serving_db_user": "serving_load",
    "serving_db_ca_bundle_url": "https://truststore.pki.rds.amazonaws.com/eu-west-2/eu-west-2-bundle.pem",
}


def test_the_request_names_the_customer_and_who_asked(tmp_path):
    store = LocalLakeStore(tmp_path)
    store.put_bytes(request_key("REQ-9"), b'{"customer_id": "ALFKI", "requested_by": "ticket REQ-9"}')
    request = read_request(store, "REQ-9")
    assert (request.customer_id, request.request_id, request.requested_by) == ("ALFKI", "REQ-9", "ticket REQ-9")


def test_a_missing_or_malformed_request_is_one_line(tmp_path):
    store = LocalLakeStore(tmp_path)
    with pytest.raises(ErasureRequestError, match=r"no erasure request at reports/erasure/requests/REQ-9\.json"):
        read_request(store, "REQ-9")
    store.put_bytes(request_key("REQ-9"), b'{"customer": "ALFKI"}')
    with pytest.raises(ErasureRequestError, match="expected customer_id and requested_by"):
        read_request(store, "REQ-9")


def test_the_replica_is_optional_outside_prod_and_the_request_id_is_required():
    assert EraseJobArgs.parse(ARGS).replica_bucket is None
    assert EraseJobArgs.parse({**ARGS, "replica_bucket": "lake-eu-west-1"}).replica_bucket == "lake-eu-west-1"
    with pytest.raises(JobArgumentError, match="--request_id"):
        EraseJobArgs.parse({**ARGS, "request_id": ""})
