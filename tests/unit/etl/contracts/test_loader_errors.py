"""A malformed contract fails to load with an error naming the file and the field to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from etl.contracts import ContractError, load_contract
from etl.contracts.loader import CONTRACTS_DIR, load_contract_file


def _write_variant(tmp_path: Path, change, dataset: str = "order_lines") -> Path:
    document = yaml.safe_load((CONTRACTS_DIR / f"{dataset}.yaml").read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / f"{dataset}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _prop(document: dict, index: int) -> dict:
    return document["schema"][0]["properties"][index]


def _set(path: list, value):
    def change(document):
        target = document
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _prop(d, 0).update(logicalType="datetime"), r"properties\[0\] \(order_id\)\.logicalType"),
        (lambda d: _prop(d, 0).update(name="OrderID"), r"properties\[0\]\.name: 'OrderID' must be snake_case"),
        (lambda d: _prop(d, 0).update(required=False), "primary key fields must be required"),
        (lambda d: _prop(d, 0).update(classification="secret"), r"\(order_id\)\.classification"),
        (lambda d: _prop(d, 2).update(physicalType="float"), r"\(unit_price\)\.physicalType"),
        (lambda d: _prop(d, 0)["logicalTypeOptions"].update(format="u3"), r"\(order_id\)\.logicalTypeOptions.format"),
        (lambda d: _prop(d, 3)["logicalTypeOptions"].update(minimum="ten"), r"\(quantity\)\.logicalTypeOptions.min"),
        (
            lambda d: [p.pop("primaryKey", None) for p in d["schema"][0]["properties"]],
            "at least one field must have primaryKey",
        ),
        (lambda d: _prop(d, 1).update(name="order_id"), "field names must be unique"),
        (
            lambda d: _prop(d, 0).update(customProperties=[{"property": "pii", "value": "yes"}]),
            r"customProperties\.pii",
        ),
        (lambda d: _prop(d, 0).update(transformSourceObjects=["a", "b"]), "exactly one source"),
        (lambda d: _prop(d, 0).update(transformSourceObjects=["nowhere"]), "'nowhere' is not a field"),
        (lambda d: _prop(d, 0).update(transformSourceObjects=["quantity"]), "a date computed from a date or timestamp"),
        (
            lambda d: d["schema"][0]["properties"][0].setdefault("logicalTypeOptions", {}).update(pattern="(["),
            "not a valid regular expression",
        ),
        (
            lambda d: _prop(d, 0).update(customProperties=[{"property": "derivation", "value": "weekly"}]),
            r"customProperties\.derivation: 'weekly' is not one of",
        ),
        (_set(["team", "name"], "Jane Doe"), "team.name: the owner must be a team name"),
        (_set(["kind"], "Contract"), "kind: must be 'DataContract'"),
        (_set(["apiVersion"], "v2.2.2"), "apiVersion: must be v3.x"),
        (_set(["name"], "lines"), "name: must equal the file name 'order_lines'"),
        (_set(["version"], ""), "version: is required"),
        (_set(["schema"], []), "schema: must hold exactly one object"),
        (_set(["customProperties"], []), "'dataClassification' is required"),
        (
            _set(["customProperties"], [{"property": "dataClassification", "value": "public"}]),
            "customProperties.dataClassification: 'public' is not one of",
        ),
        (_set(["slaProperties"], []), "a 'latency' entry"),
        (_set(["slaProperties"], [{"property": "latency", "value": 2, "unit": "weeks"}]), "must be hours or days"),
        (_set(["slaProperties"], [{"property": "latency", "value": 2, "unit": "d"}]), "a 'frequency' entry"),
        (_set(["surprise"], 1), "field 'surprise': Extra inputs are not permitted"),
        (
            lambda d: [p.update(value="utf-16") for p in d["customProperties"] if p["property"] == "sourceEncoding"],
            "customProperties.sourceEncoding: 'utf-16' is not one of utf-8, iso-8859-1, windows-1252",
        ),
        (
            lambda d: _prop(d, 0).update(relationships=[{"type": "oneToMany", "to": "orders.order_id"}]),
            r"\(order_id\)\.relationships\[0\]\.type: only 'foreignKey'",
        ),
        (
            lambda d: _prop(d, 0).update(relationships=[{"type": "foreignKey", "to": "orders"}]),
            r"relationships\[0\]\.to: 'orders' must name one parent field as dataset.field",
        ),
        (
            lambda d: _prop(d, 0).update(relationships=[{"type": "foreignKey", "to": "order_lines.order_id"}]),
            "a dataset cannot reference itself",
        ),
        (
            lambda d: _prop(d, 3).update(customProperties=[{"property": "notAfterRunDate", "value": True}]),
            r"\(quantity\)\.customProperties\.notAfterRunDate: applies to date and timestamp fields only",
        ),
        (_set(["schema"], "not a list"), "field 'schema'"),
    ],
)
def test_a_malformed_contract_names_the_file_and_the_field(tmp_path, change, message):
    path = _write_variant(tmp_path, change)
    with pytest.raises(ContractError, match=message) as raised:
        load_contract_file(path)
    assert str(path) in str(raised.value)


def test_a_derived_partition_date_loads_from_a_timestamp(tmp_path):
    def add_derived(document):
        document["schema"][0]["properties"] += [
            {"name": "loaded_at", "logicalType": "timestamp", "required": True},
            {
                "name": "loaded_date",
                "logicalType": "date",
                "transformSourceObjects": ["loaded_at"],
                "partitioned": True,
            },
        ]

    contract = load_contract_file(_write_variant(tmp_path, add_derived))
    assert contract.partition_by == ("loaded_date",)
    assert [f.name for f in contract.source_fields][-1] == "loaded_at"


def test_an_unquoted_delimiter_field_must_be_a_contract_field(tmp_path):
    path = _write_variant(
        tmp_path, lambda d: d["customProperties"].append({"property": "unquotedDelimiterField", "value": "nope"})
    )
    with pytest.raises(ContractError, match="unquotedDelimiterField"):
        load_contract_file(path)


def test_a_contract_that_is_not_yaml_is_reported_with_its_path(tmp_path):
    path = tmp_path / "orders.yaml"
    path.write_text("kind: [unclosed", encoding="utf-8")
    with pytest.raises(ContractError, match="not valid YAML"):
        load_contract_file(path)


def test_a_contract_that_is_not_a_mapping_is_rejected(tmp_path):
    path = tmp_path / "orders.yaml"
    path.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ContractError, match="must be a YAML mapping"):
        load_contract_file(path)


def test_an_unknown_dataset_lists_the_known_contracts():
    with pytest.raises(ContractError, match=r"known contracts: .*orders"):
        load_contract("no_such_dataset")


def test_a_foreign_key_to_a_field_that_is_not_the_parents_primary_key_is_refused(tmp_path, monkeypatch):
    from etl import contracts

    document = yaml.safe_load((CONTRACTS_DIR / "order_lines.yaml").read_text(encoding="utf-8"))
    _prop(document, 0)["relationships"] = [{"type": "foreignKey", "to": "orders.customer_id"}]
    (tmp_path / "order_lines.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    child = load_contract_file(tmp_path / "order_lines.yaml")
    with pytest.raises(ContractError, match=r"references orders\.customer_id, which is not the primary key"):
        contracts.parent_key(child.foreign_keys[0], "order_lines")
    unknown = child.foreign_keys[0].__class__("order_id", "invoices", "invoice_id")
    with pytest.raises(ContractError, match="there is no contract 'invoices'"):
        contracts.parent_key(unknown, "order_lines")


def test_a_contract_that_declares_no_source_encoding_is_read_as_utf_8(tmp_path):
    def drop_encoding(document):
        document["customProperties"] = [p for p in document["customProperties"] if p["property"] != "sourceEncoding"]

    assert load_contract_file(_write_variant(tmp_path, drop_encoding)).source_encoding.value == "utf-8"


def _retention_entries(document: dict) -> list[dict]:
    return [sla for sla in document["slaProperties"] if sla["property"] == "retention"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["slaProperties"].remove(_retention_entries(d)[2]),
            r"slaProperties: a 'retention' entry .* required for zone\(s\) quarantine",
        ),
        (lambda d: _retention_entries(d)[0].update(unit="weeks"), r"\(retention\)\.unit: 'weeks' must be days"),
        (lambda d: _retention_entries(d)[0].update(value=0), r"\(retention\)\.value: 0 must be a whole number above 0"),
        (
            lambda d: _retention_entries(d)[0].update(customProperties=[{"property": "zone", "value": "reports"}]),
            r"\(retention\)\.customProperties\.zone: 'reports' is not one of",
        ),
        (
            lambda d: _retention_entries(d)[1].update(customProperties=[{"property": "zone", "value": "raw"}]),
            "zone 'raw' has more than one retention",
        ),
    ],
)
def test_a_contract_must_say_how_long_each_zone_keeps_its_data(tmp_path, change, message):
    with pytest.raises(ContractError, match=message):
        load_contract_file(_write_variant(tmp_path, change))


def test_retention_in_years_is_counted_in_days_per_zone():
    orders = load_contract("orders").retention
    assert (orders.raw_days, orders.curated_days, orders.quarantine_days) == (730, 2555, 90)
    assert orders.days("curated") == 2555
    with pytest.raises(KeyError, match="reports"):
        orders.days("reports")
