"""The Glue Data Catalog: zone databases, their Lake Formation tags, catalog and job encryption."""

from __future__ import annotations

import pytest

from etl.lake import ZONES
from modules.catalog import ZONES_HOLDING_DATASETS, CatalogProps, database_name
from modules.classification import OPERATIONAL, Classification, contract_datasets, store_classification


def _key_ref(stack, purpose: str) -> str:
    (name,) = [k for k, body in stack.resources("aws_kms_key").items() if body["tags"]["purpose"] == purpose]
    return f"${{aws_kms_key.{name}.arn}}"


def _databases(stack) -> dict[str, dict]:
    return {body["tags"]["zone"]: body for body in stack.resources("aws_glue_catalog_database").values()}


def test_there_is_one_database_per_zone_located_at_its_zone_prefix(stack):
    env_name = stack.name.removeprefix("northwind-")
    databases = _databases(stack)
    assert set(databases) == set(ZONES)
    lake = next(b["bucket"] for b in stack.resources("aws_s3_bucket").values() if "data-lake" in b["bucket"])
    for zone, body in databases.items():
        assert body["name"] == f"northwind_{env_name}_{zone}"
        assert body["location_uri"] == f"s3://${{aws_s3_bucket.{_lake_id(stack, lake)}.bucket}}/{zone}/"


def _lake_id(stack, name: str) -> str:
    return next(k for k, b in stack.resources("aws_s3_bucket").items() if b["bucket"] == name)


def test_zone_databases_are_classified_from_the_contracts_and_reports_as_operational(stack):
    lake_class = store_classification(contract_datasets()).value
    for zone, body in _databases(stack).items():
        expected = lake_class if zone in ZONES_HOLDING_DATASETS else OPERATIONAL.value
        assert body["tags"]["data-classification"] == expected


def test_each_database_carries_its_zone_and_classification_as_lake_formation_tags(stack):
    databases = {
        f"${{aws_glue_catalog_database.{k}.name}}": b for k, b in stack.resources("aws_glue_catalog_database").items()
    }
    tag_keys = {
        f"${{aws_lakeformation_lf_tag.{k}.key}}": b["key"]
        for k, b in stack.resources("aws_lakeformation_lf_tag").items()
    }
    assignments = [b for b in stack.resources("aws_lakeformation_resource_lf_tags").values() if "database" in b]
    assert len(assignments) == len(ZONES)
    for body in assignments:
        database = databases[body["database"]["name"]]
        tags = {tag_keys[tag["key"]]: tag["value"] for tag in body["lf_tag"]}
        assert tags == {
            "zone": database["tags"]["zone"],
            "data-classification": database["tags"]["data-classification"],
        }


def test_databases_are_created_after_lake_formation_takes_over_default_permissions(stack):
    (settings,) = stack.resources("aws_lakeformation_data_lake_settings")
    for body in stack.resources("aws_glue_catalog_database").values():
        assert body["depends_on"] == [f"aws_lakeformation_data_lake_settings.{settings}"]


def test_the_catalog_and_connection_passwords_are_encrypted_with_the_lake_key(stack):
    settings = stack.one("aws_glue_data_catalog_encryption_settings")["data_catalog_encryption_settings"]
    lake_key = _key_ref(stack, "lake")
    assert settings["encryption_at_rest"] == {"catalog_encryption_mode": "SSE-KMS", "sse_aws_kms_key_id": lake_key}
    assert settings["connection_password_encryption"] == {
        "return_connection_password_encrypted": True,
        "aws_kms_key_id": lake_key,
    }


def test_the_jobs_security_configuration_encrypts_output_logs_and_bookmarks(stack):
    config = stack.one("aws_glue_security_configuration")
    assert config["name"] == f"{stack.name}-glue-jobs"
    encryption = config["encryption_configuration"]
    assert encryption["s3_encryption"] == {"s3_encryption_mode": "SSE-KMS", "kms_key_arn": _key_ref(stack, "lake")}
    assert encryption["cloudwatch_encryption"] == {
        "cloudwatch_encryption_mode": "SSE-KMS",
        "kms_key_arn": _key_ref(stack, "logs"),
    }
    assert encryption["job_bookmarks_encryption"] == {
        "job_bookmarks_encryption_mode": "CSE-KMS",
        "kms_key_arn": _key_ref(stack, "lake"),
    }


def test_catalog_props_require_a_classification_for_every_zone():
    with pytest.raises(ValueError, match="give a classification for each zone raw, curated, quarantine, reports"):
        CatalogProps(
            name_prefix="northwind-x",
            lake_bucket_name="bucket",
            lake_kms_key_arn="k",
            logs_kms_key_arn="l",
            zone_classifications={"raw": Classification.INTERNAL},
            zone_tag_key="zone",
            classification_tag_key="data-classification",
        )


def test_database_names_refuse_an_unknown_zone():
    with pytest.raises(ValueError, match="unknown lake zone 'gold'"):
        database_name("northwind-dev", "gold")
