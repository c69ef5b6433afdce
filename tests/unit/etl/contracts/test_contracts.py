"""The committed contracts: valid ODCS v3, classified per the brief, owned by teams, and documented."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
import yaml

from etl.contracts import (
    Classification,
    ContractError,
    Derivation,
    ForeignKey,
    RawFormat,
    SourceEncoding,
    all_contracts,
    dataset_classification,
    load_contract,
    parent_key,
    reference_order,
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


def test_every_contract_declares_its_source_encoding():
    assert {contract.source_encoding for contract in all_contracts().values()} == {SourceEncoding.UTF_8}


def test_the_sales_and_web_contracts_declare_their_foreign_keys_to_the_parents_primary_keys():
    declared = {name: contract.foreign_keys for name, contract in all_contracts().items() if contract.foreign_keys}
    assert declared == {
        "order_lines": (ForeignKey("order_id", "orders", "order_id"),),
        "orders": (ForeignKey("customer_id", "customers", "customer_id"),),
        "clickstream_events": (ForeignKey("product_id", "products", "product_id"),),
    }
    for name, keys in declared.items():
        assert all(parent_key(key, name).primary_key == (key.parent_field,) for key in keys)


def test_datasets_are_curated_after_the_parents_their_foreign_keys_name():
    order = reference_order(["order_lines", "clickstream_events", "orders", "market_indicators", "customers"])
    assert order.index("customers") < order.index("orders") < order.index("order_lines")
    # Datasets whose parents are not in the list keep the order given.
    assert order[:2] == ("clickstream_events", "market_indicators")
    assert reference_order(["orders", "products"]) == ("orders", "products")


def test_a_cycle_of_foreign_keys_is_refused(monkeypatch):
    import etl.contracts as contracts

    real = contracts.load_contract

    def cyclic(name):
        contract = real(name)
        if name == "customers":
            return contract.__class__(**{**contract.__dict__, "foreign_keys": (ForeignKey("x", "orders", "order_id"),)})
        return contract

    monkeypatch.setattr(contracts, "load_contract", cyclic)
    with pytest.raises(ContractError, match="form a cycle"):
        reference_order(["orders", "customers"])


def test_order_dates_and_event_times_may_not_be_after_the_run_date_and_events_need_a_zone():
    orders, events = load_contract("orders"), load_contract("clickstream_events")
    assert orders.field("order_date").not_after_run_date and not orders.field("required_date").not_after_run_date
    assert events.field("event_time").not_after_run_date and events.field("event_time").requires_zone
