"""Catalog tables from the contracts: one per dataset and zone, shaped as curation writes, projected, tagged."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import pytest

from etl.contracts import LogicalType, all_contracts, load_contract_file
from modules.catalog import CatalogProps, ContractTableError
from modules.catalog.tables import COLUMN_COMMENT_MAX, TABLE_DESCRIPTION_MAX, column_classification, curated_table
from modules.classification import SENSITIVITY_ORDER, Classification
from scripts.report_catalog import assigned_tags, effective_columns, readable_columns, tag_keys
from tests.infra.conftest import SynthesizedStack
from tests.unit.etl.curate.builders import field, widget_contract

CONTRACTS = all_contracts()
PII = Classification.CONFIDENTIAL_PII.value


def _tables(stack) -> dict[tuple[str, str], dict]:
    """(zone, table name) -> the synthesized ``aws_glue_catalog_table``."""
    zones = {
        f"${{aws_glue_catalog_database.{k}.name}}": b["tags"]["zone"]
        for k, b in stack.resources("aws_glue_catalog_database").items()
    }
    return {(zones[b["database_name"]], b["name"]): b for b in stack.resources("aws_glue_catalog_table").values()}


def _role_ref(stack, suffix: str) -> str:
    (key,) = [k for k, b in stack.resources("aws_iam_role").items() if b["name"] == f"{stack.name}-{suffix}"]
    return f"${{aws_iam_role.{key}.arn}}"


def test_every_contract_has_a_curated_and_a_quarantine_table_and_no_other_zone_has_tables(stack):
    assert sorted(_tables(stack)) == sorted((zone, d) for d in CONTRACTS for zone in ("curated", "quarantine"))


def test_curated_columns_are_the_contract_fields_in_order_with_partition_fields_as_partition_keys(stack):
    for (zone, name), table in _tables(stack).items():
        if zone != "curated":
            continue
        contract = CONTRACTS[name]
        data_fields = [f for f in contract.fields if f.name not in contract.partition_by]
        expected = [(f.name, "string" if f.is_pii else f.spark_type) for f in data_fields]
        assert [(c["name"], c["type"]) for c in table["storage_descriptor"]["columns"]] == expected
        keys = [(k["name"], k["type"]) for k in table.get("partition_keys", [])]
        assert keys == [(n, contract.field(n).spark_type) for n in contract.partition_by]


def test_tables_read_parquet_under_their_zone_and_dataset_prefix(stack):
    for (zone, name), table in _tables(stack).items():
        descriptor = table["storage_descriptor"]
        assert descriptor["location"].endswith(f".bucket}}/{zone}/{name}/")
        assert descriptor["location"].startswith("s3://${aws_s3_bucket.lake_bucket_")
        assert descriptor["ser_de_info"]["serialization_library"].endswith("ParquetHiveSerDe")
        assert descriptor["input_format"].endswith("MapredParquetInputFormat")
        assert table["table_type"] == "EXTERNAL_TABLE"
        assert table["parameters"]["classification"] == "parquet"
        assert table["parameters"]["contract_version"] == CONTRACTS[name].version


def test_partitions_are_projected_from_the_contract_so_nobody_registers_them(stack):
    monthly = {"orders"}  # order_month is the first day of the order's month
    for (zone, name), table in _tables(stack).items():
        parameters = table["parameters"]
        keys = [k["name"] for k in table.get("partition_keys", [])]
        assert (parameters.get("projection.enabled") == "true") == bool(keys)
        for key in keys:
            assert parameters[f"projection.{key}.type"] == "date"
            assert parameters[f"projection.{key}.format"] == "yyyy-MM-dd"
            unit = "MONTHS" if zone == "curated" and name in monthly else "DAYS"
            assert parameters[f"projection.{key}.interval.unit"] == unit
            start, end = parameters[f"projection.{key}.range"].split(",")
            assert end == "NOW"
            if zone == "curated":
                # The first partition is the earliest day the contract accepts (its month, for monthly ones).
                field = CONTRACTS[name].field(key)
                source = CONTRACTS[name].field(field.derived_from) if field.derived_from else field
                earliest = date.fromisoformat(str(field.minimum or source.minimum)[:10])
                assert start == (earliest.replace(day=1) if unit == "MONTHS" else earliest).isoformat()


def test_quarantine_run_dates_are_projected_over_what_the_zone_keeps(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    cap = env.data_lake.retention_caps.quarantine_days
    for (zone, name), table in _tables(stack).items():
        if zone == "quarantine":
            assert [k["name"] for k in table["partition_keys"]] == ["run_date"]
            declared = CONTRACTS[name].retention.quarantine_days
            expected = f"NOW-{min(declared, cap or declared)}DAYS,NOW"
            assert table["parameters"]["projection.run_date.range"] == expected


def test_names_comments_and_descriptions_fit_what_glue_accepts(stack):
    for (_, name), table in _tables(stack).items():
        assert name == name.lower() and len(name) <= 255
        assert len(table.get("description", "")) <= TABLE_DESCRIPTION_MAX
        for column in table["storage_descriptor"]["columns"] + table.get("partition_keys", []):
            assert column["name"] == column["name"].lower() and len(column["name"]) <= 255
            assert len(column.get("comment", "")) <= COLUMN_COMMENT_MAX


def test_every_pii_field_is_tagged_confidential_pii_and_every_column_carries_its_contracts_classification(stack):
    for column in effective_columns(stack.config):
        contract = CONTRACTS[column.table]
        if column.zone == "curated":
            assert column.tags["data-classification"] == column_classification(contract.field(column.name)).value
        assert column.tags["zone"] == column.zone
    pii = {
        (c.table, c.name)
        for c in effective_columns(stack.config)
        if c.zone == "curated" and c.tags["data-classification"] == PII
    }
    assert {(d, f) for d, c in CONTRACTS.items() for f in c.pii_fields} <= pii


def test_raw_records_in_quarantine_are_as_sensitive_as_the_most_sensitive_field_of_their_dataset(stack):
    for column in effective_columns(stack.config):
        if column.zone == "quarantine" and column.name in ("_raw_record", "_failures"):
            contract = CONTRACTS[column.table]
            classes = [Classification(contract.classification.value), *map(column_classification, contract.fields)]
            assert column.tags["data-classification"] == max(classes, key=SENSITIVITY_ORDER.index).value


def test_a_table_is_tagged_as_its_dataset_or_its_most_sensitive_column_so_untagged_columns_fail_closed(stack):
    keys = tag_keys(stack.config)
    table_tags = {
        a["table"]["name"]: assigned_tags(a, keys)["data-classification"]
        for a in stack.resources("aws_lakeformation_resource_lf_tags").values()
        if "table" in a
    }
    by_table: dict[str, list[Classification]] = {}
    for column in effective_columns(stack.config):
        dataset = Classification(CONTRACTS[column.table].classification.value)
        by_table.setdefault(column.table_ref, [dataset]).append(Classification(column.tags["data-classification"]))
    assert set(table_tags) == set(by_table)
    for ref, value in table_tags.items():
        assert value == max(by_table[ref], key=SENSITIVITY_ORDER.index).value


def _non_pii_curated_columns() -> set[tuple[str, str, str]]:
    return {
        ("curated", dataset, f.name)
        for dataset, contract in CONTRACTS.items()
        for f in contract.fields
        if column_classification(f) is not Classification.CONFIDENTIAL_PII
    }


@pytest.mark.parametrize("reader", ["analytics-engineer", "application-engineer", "analytics-instances"])
def test_analytics_readers_select_every_non_pii_curated_column_and_nothing_else(stack, reader):
    assert readable_columns(stack.config, _role_ref(stack, reader)) == _non_pii_curated_columns()


@pytest.mark.parametrize("writer", ["data-engineer", "glue-jobs"])
def test_the_pipeline_and_data_engineers_select_every_column_of_every_table(stack, writer):
    every = {(c.zone, c.table, c.name) for c in effective_columns(stack.config)}
    assert readable_columns(stack.config, _role_ref(stack, writer)) == every


def test_operations_and_governance_select_no_column(stack):
    for persona in ("devops-sre", "governance-security"):
        assert readable_columns(stack.config, _role_ref(stack, persona)) == set()


NEW_CONTRACT = """\
apiVersion: v3.2.0
kind: DataContract
id: northwind-supplier-deliveries
name: supplier_deliveries
version: 1.0.0
status: active
description:
  purpose: Deliveries received from suppliers, one row per delivery, sent daily.
team:
  name: supply-chain
customProperties:
  - {property: dataClassification, value: internal}
  - {property: rawFormat, value: csv}
slaProperties:
  - {property: latency, value: 1, unit: d}
  - {property: frequency, value: daily, scheduler: cron, schedule: "0 4 * * *"}
  - {property: retention, value: 1, unit: y, customProperties: [{property: zone, value: raw}]}
  - {property: retention, value: 3, unit: y, customProperties: [{property: zone, value: curated}]}
  - {property: retention, value: 60, unit: d, customProperties: [{property: zone, value: quarantine}]}
schema:
  - name: supplier_deliveries
    physicalType: table
    properties:
      - {name: delivery_id, logicalType: integer, required: true, primaryKey: true, classification: internal}
      - name: driver_name
        logicalType: string
        classification: confidential-pii
        customProperties: [{property: pii, value: true}]
      - {name: weight_kg, logicalType: number, physicalType: "decimal(8,1)", classification: internal}
      - name: delivered_on
        logicalType: date
        required: true
        partitioned: true
        classification: internal
        logicalTypeOptions: {minimum: "2024-01-01"}
"""


def test_a_new_dataset_is_one_contract_file_and_its_tables_grants_and_tags_follow(tmp_path, environments, delivery):
    from cdktf import App

    from modules.platform_stack import EnvironmentStack

    path = tmp_path / "supplier_deliveries.yaml"
    path.write_text(NEW_CONTRACT)
    contracts = {**CONTRACTS, "supplier_deliveries": load_contract_file(path)}
    env = environments["dev"]
    app = App(outdir=str(tmp_path / "out"))
    EnvironmentStack(app, env, delivery, contracts=contracts)
    app.synth()
    synthesized = tmp_path / "out" / "stacks" / env.stack_name / "cdk.tf.json"
    stack = SynthesizedStack(env.stack_name, synthesized, json.loads(synthesized.read_text()))

    curated = _tables(stack)[("curated", "supplier_deliveries")]
    assert [(c["name"], c["type"]) for c in curated["storage_descriptor"]["columns"]] == [
        ("delivery_id", "int"),
        ("driver_name", "string"),
        ("weight_kg", "decimal(8,1)"),
    ]
    assert curated["partition_keys"] == [{"name": "delivered_on", "type": "date"}]
    assert curated["parameters"]["projection.delivered_on.range"] == "2024-01-01,NOW"
    assert ("quarantine", "supplier_deliveries") in _tables(stack)
    # Its retention follows too: dev caps quarantine at 30 days, below the contract's 60.
    assert _tables(stack)[("quarantine", "supplier_deliveries")]["parameters"]["projection.run_date.range"] == (
        "NOW-30DAYS,NOW"
    )
    readable = readable_columns(stack.config, _role_ref(stack, "analytics-engineer"))
    new = {(z, c) for z, t, c in readable if t == "supplier_deliveries"}
    assert new == {("curated", "delivery_id"), ("curated", "weight_kg"), ("curated", "delivered_on")}


def test_integer_and_enum_partitions_are_projected_from_their_bounds_and_values():
    bucket = field("bucket", LogicalType.INTEGER, "int", minimum=Decimal(0), maximum=Decimal(23))
    by_hour = widget_contract(fields=(*widget_contract().fields, bucket), partition_by=("seen_date", "bucket"))
    table = curated_table(by_hour)
    assert [k.name for k in table.partition_keys] == ["seen_date", "bucket"]
    assert table.projection["projection.seen_date.range"] == "2000-01-01,NOW"
    assert table.projection["projection.bucket.type"] == "integer"
    assert table.projection["projection.bucket.range"] == "0,23"
    by_kind = curated_table(widget_contract(partition_by=("kind",)))
    assert by_kind.projection == {"projection.kind.type": "enum", "projection.kind.values": "a,b"}


def test_a_partition_field_that_cannot_be_projected_is_one_error_naming_the_field_and_the_fix():
    with pytest.raises(ContractTableError, match=r"widgets: partition field 'seen_at' \(timestamp\) cannot be"):
        curated_table(widget_contract(partition_by=("seen_at",)))
    with pytest.raises(ContractTableError, match=r"partition field 'made_on' needs a logicalTypeOptions minimum"):
        curated_table(widget_contract(partition_by=("made_on",)))


def test_pii_fields_are_declared_as_their_string_pseudonym_and_long_descriptions_are_shortened():
    long_text = "word " * 100
    owner = field("owner", LogicalType.INTEGER, "bigint", is_pii=True, description=long_text)
    contract = widget_contract(fields=(*widget_contract().fields[:-2], owner, widget_contract().fields[-1]))
    (column,) = [c for c in curated_table(contract).columns if c.name == "owner"]
    assert (column.type, column.classification) == ("string", Classification.CONFIDENTIAL_PII)
    assert len(column.comment) <= COLUMN_COMMENT_MAX and column.comment.endswith(" ...")


def test_catalog_props_refuse_a_table_twice_or_in_the_reports_zone():
    table = curated_table(widget_contract())
    base = {
        "name_prefix": "northwind-x",
        "lake_bucket_name": "bucket",
        "lake_kms_key_arn": "k",
        "logs_kms_key_arn": "l",
        "zone_classifications": dict.fromkeys(("raw", "curated", "quarantine", "reports"), Classification.INTERNAL),
        "zone_tag_key": "zone",
        "classification_tag_key": "data-classification",
    }
    with pytest.raises(ValueError, match=r"each table once per zone \(repeated: curated.widgets\)"):
        CatalogProps(**base, tables=(table, table))
    with pytest.raises(ValueError, match="tables belong in raw, curated, quarantine"):
        CatalogProps(**base, tables=(dataclasses.replace(table, zone="reports"),))


def test_the_catalog_report_prints_tables_access_and_workgroups_from_the_synthesized_json(synthesized, tmp_path):
    from typer.testing import CliRunner

    from scripts.report_catalog import app

    stacks = tmp_path / "stacks"
    for stack in synthesized.values():
        (stacks / stack.name).mkdir(parents=True)
        (stacks / stack.name / "cdk.tf.json").write_text(json.dumps(stack.config))
    result = CliRunner().invoke(app, ["--outdir", str(tmp_path), "--markdown"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    orders = next(line for line in lines if line.startswith("| prod | northwind_prod_curated.orders |"))
    assert orders == (
        "| prod | northwind_prod_curated.orders | order_month date (1990-01-01,NOW) | confidential-pii | "
        "customer_id, ship_name, ship_address |"
    )
    analysts = f"| dev | northwind-dev-analytics-engineer | curated {len(_non_pii_curated_columns())} | 0 |"
    assert analysts in lines
    workgroup = next(line for line in lines if line.startswith("| prod | northwind-prod-analytics |"))
    assert workgroup.startswith("| prod | northwind-prod-analytics | yes | Athena engine version 3 | 100 GiB | s3://")
    assert workgroup.endswith(
        "/reports/query-results/analytics/ | SSE_KMS kms:lake | northwind-prod-analytics-engineer |"
    )


def test_the_catalog_report_names_an_unreadable_stack_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from scripts.report_catalog import app

    broken = tmp_path / "stacks" / "northwind-dev"
    broken.mkdir(parents=True)
    (broken / "cdk.tf.json").write_text("{not json")
    result = CliRunner().invoke(app, ["--outdir", str(tmp_path)])
    assert result.exit_code == 2
    assert "cdk.tf.json is not valid JSON" in result.output and "Traceback" not in result.output
