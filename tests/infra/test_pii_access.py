"""PII in the curated zone is reached through Lake Formation, which filters it by tag; no role reads it by S3
prefix, where nothing filters columns."""

from __future__ import annotations

from etl.contracts import all_contracts, load_contract
from modules.classification import pii_free_datasets
from tests.infra.stack_json import as_list, role_statements


def _pii_datasets() -> set[str]:
    return {
        d
        for d in all_contracts()
        if load_contract(d).pii_fields or load_contract(d).classification.value == "confidential-pii"
    }


def test_the_analytics_instances_read_by_s3_prefix_only_curated_datasets_whose_contracts_hold_no_pii(stack):
    statements = role_statements(stack, "analytics-instances")
    lake = [
        r
        for s in statements.values()
        for r in as_list(s["Resource"])
        if "northwind-data-lake-" in r or r.startswith("${aws_s3_bucket.lake_bucket")
    ]
    objects = sorted(r.split("}/", 1)[1] for r in lake if "}/" in r)
    assert objects == [f"curated/{dataset}/*" for dataset in sorted(pii_free_datasets())]
    assert statements["ListPiiFreeCurated"]["Condition"] == {
        "StringLike": {"s3:prefix": [f"curated/{d}/*" for d in pii_free_datasets()]}
    }
    assert not {o.split("/")[1] for o in objects} & _pii_datasets()


def test_pii_free_datasets_exclude_every_dataset_with_a_pii_field_or_a_pii_classification():
    assert set(pii_free_datasets()).isdisjoint(_pii_datasets())
    assert {"orders", "customers", "clickstream_events", "order_lines"} <= _pii_datasets()
    assert set(pii_free_datasets()) == set(all_contracts()) - _pii_datasets()
