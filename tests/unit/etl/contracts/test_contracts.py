"""The committed contracts: valid ODCS v3, classified per the brief, owned by teams, and documented."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
import yaml

from etl.contracts import (
    Classification,
    Derivation,
    RawFormat,
    all_contracts,
    dataset_classification,
    load_contract,
    render_markdown,
)
from etl.contracts.docs import DOCS_PATH, write_markdown
from etl.contracts.loader import CONTRACTS_DIR

OWNED = ("orders", "order_lines", "customers", "products", "clickstream_events", "market_indicators")


@pytest.fixture(scope="module")
def odcs_schema() -> dict:
    return json.loads(resources.files("open_data_contract_standard").joinpath("schema.json").read_text())


@pytest.mark.parametrize("path", sorted(CONTRACTS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_contract_file_validates_against_the_odcs_json_schema(path, odcs_schema):
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), odcs_schema)


def test_all_contracts_finds_every_yaml_file_in_the_folder():
    assert set(all_contracts()) == {path.stem for path in CONTRACTS_DIR.glob("*.yaml")}
    assert set(OWNED) <= set(all_contracts())


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        ("orders", "confidential-pii"),
        ("order_lines", "confidential-pii"),
        ("customers", "confidential-pii"),
        ("products", "restricted"),
        ("clickstream_events", "internal"),
        ("market_indicators", "licensed"),
    ],
)
def test_dataset_classification_follows_the_brief(dataset, expected):
    assert dataset_classification(dataset) == expected


def test_customer_names_addresses_and_phones_are_pii():
    customers = load_contract("customers")
    assert {"contact_name", "address", "phone", "fax", "customer_id"} <= set(customers.pii_fields)
    assert "country" not in customers.pii_fields


def test_clickstream_ip_address_and_user_agent_are_pii_in_an_internal_dataset():
    events = load_contract("clickstream_events")
    assert events.classification is Classification.INTERNAL
    assert {"ip_address", "user_agent"} <= set(events.pii_fields)


@pytest.mark.parametrize("dataset", OWNED)
def test_every_contract_has_a_team_owner_a_freshness_sla_and_a_schedule(dataset):
    contract = load_contract(dataset)
    assert contract.owner == "data-engineering"
    assert contract.freshness_sla_hours > 0
    assert contract.delivery_schedule
    assert contract.primary_key


def test_keys_partitions_and_types_come_from_the_contract():
    orders, lines, events = load_contract("orders"), load_contract("order_lines"), load_contract("clickstream_events")
    assert orders.primary_key == ("order_id",)
    assert orders.partition_by == ("order_month",)
    assert orders.field("order_month").derivation is Derivation.MONTH_START
    assert lines.primary_key == ("order_id", "product_id")
    assert orders.field("freight").spark_type == "decimal(10,2)"
    assert orders.field("customer_id").source_name == "customerID"
    assert events.partition_by == ("event_date",)
    assert events.field("event_date").derived_from == "event_time"
    assert events.raw_format is RawFormat.JSON_LINES_GZIP
    assert events.field("event_type").allowed_values[0] == "page_view"


def test_asking_for_an_unknown_field_names_the_dataset():
    with pytest.raises(KeyError, match="orders"):
        load_contract("orders").field("no_such_field")


def test_the_committed_contracts_document_equals_the_rendered_one():
    assert DOCS_PATH.read_text(encoding="utf-8") == render_markdown(), (
        "docs/data-contracts.md is out of date; regenerate it with `python -m etl.contracts`"
    )


def test_rendered_documentation_lists_every_field_of_every_contract(tmp_path):
    written = write_markdown(tmp_path / "contracts.md").read_text(encoding="utf-8")
    for contract in all_contracts().values():
        assert f"## {contract.dataset} (v{contract.version})" in written
        for field in contract.fields:
            assert f"| {field.name} |" in written
