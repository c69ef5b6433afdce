"""The vehicle_valuations data contract, owned with the valuation client."""

from __future__ import annotations

from etl.contracts import Classification, LogicalType, RawFormat, dataset_classification, load_contract
from etl.enrich.vehicle_valuation.validation import US_STATE_CODES


def test_the_contract_loads_as_licensed_data_owned_by_data_engineering():
    contract = load_contract("vehicle_valuations")

    assert contract.classification is Classification.LICENSED
    assert dataset_classification("vehicle_valuations") == "licensed"
    assert contract.owner == "data-engineering"
    assert contract.raw_format is RawFormat.VALUATION_DOCUMENTS
    assert contract.freshness_sla_hours == 24
    assert contract.delivery_schedule


def test_plate_hash_and_state_are_confidential_and_the_plate_hash_is_pseudonymized():
    contract = load_contract("vehicle_valuations")

    assert contract.field("plate_sha256").classification is Classification.CONFIDENTIAL_PII
    assert contract.field("state_code").classification is Classification.CONFIDENTIAL_PII
    assert contract.pii_fields == ("plate_sha256",)


def test_valuation_fields_are_licensed():
    contract = load_contract("vehicle_valuations")
    valuation_fields = [f for f in contract.fields if f.name.startswith(("market_price", "average", "statistical"))]

    assert valuation_fields
    assert {f.classification for f in valuation_fields} == {Classification.LICENSED}


def test_state_rule_is_the_clients_state_list():
    contract = load_contract("vehicle_valuations")

    assert set(contract.field("state_code").allowed_values) == US_STATE_CODES


def test_lookups_are_keyed_by_plate_state_and_time_and_partitioned_by_request_day():
    contract = load_contract("vehicle_valuations")

    assert contract.primary_key == ("plate_sha256", "state_code", "requested_at")
    assert contract.partition_by == ("requested_date",)
    assert contract.field("requested_date").derived_from == "requested_at"
    assert contract.field("requested_at").logical_type is LogicalType.TIMESTAMP
