"""Environment definitions: validation when loaded, with errors that name the environment and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from environments import (
    DEFINITIONS_DIR,
    EnvironmentDefinitionError,
    NatStrategy,
    Tier,
    load_delivery,
    load_environment,
    load_environments,
)


def _copy_definitions(tmp_path: Path) -> Path:
    for path in DEFINITIONS_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def _edit(directory: Path, name: str, change) -> None:
    path = directory / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def test_the_three_shipped_environments_load(environments):
    assert sorted(environments) == ["dev", "prod", "stage"]
    assert {env.region for env in environments.values()} == {"eu-west-2"}


def test_production_runs_three_azs_with_a_nat_gateway_each(environments):
    prod = environments["prod"]
    assert prod.tier is Tier.PRODUCTION
    assert prod.network.az_count == 3
    assert prod.network.nat_strategy is NatStrategy.PER_AZ
    assert prod.database.multi_az and prod.database.deletion_protection


def test_each_environment_has_its_own_state_bucket_and_lock_table(environments):
    buckets = {env.state.bucket for env in environments.values()}
    tables = {env.state.lock_table for env in environments.values()}
    assert len(buckets) == len(tables) == len(environments)


def test_overlapping_cidrs_between_environments_are_refused(tmp_path):
    directory = _copy_definitions(tmp_path)
    _edit(directory, "stage", lambda d: d["network"].update(vpc_cidr="10.10.128.0/18"))
    with pytest.raises(EnvironmentDefinitionError, match=r"stage\.yaml: network\.vpc_cidr: .*overlaps dev"):
        load_environments(directory)


def test_production_without_multi_az_or_deletion_protection_is_refused(tmp_path):
    directory = _copy_definitions(tmp_path)

    def weaken(definition):
        definition["database"].update(multi_az=False, deletion_protection=False)
        definition["compute"].update(load_balancer_deletion_protection=False)

    _edit(directory, "prod", weaken)
    with pytest.raises(EnvironmentDefinitionError) as caught:
        load_environments(directory)
    message = str(caught.value)
    assert message.startswith("prod.yaml:")
    assert "database.multi_az must be true" in message
    assert "database.deletion_protection must be true" in message
    assert "compute.load_balancer_deletion_protection must be true" in message


def test_unknown_keys_are_refused_with_the_field_named(tmp_path):
    directory = _copy_definitions(tmp_path)
    _edit(directory, "dev", lambda d: d["network"].update(vpc_cidrs="10.99.0.0/16"))
    with pytest.raises(EnvironmentDefinitionError, match=r"dev\.yaml: network\.vpc_cidrs: unknown key"):
        load_environments(directory)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("account_id", "12345", r"dev\.yaml: account_id: '12345' is not valid: String should match pattern"),
        ("region", "london", r"dev\.yaml: region: 'london' is not valid: String should match pattern"),
        ("log_retention_days", 42, r"log_retention_days=42 is not a CloudWatch retention"),
        (
            "tier",
            "experimental",
            r"dev\.yaml: tier: Input should be 'development', 'staging' or 'production'",
        ),
        (
            "ad_hoc_queries",
            {"bytes_scanned_cutoff_per_query_gib": 0},
            r"dev\.yaml: ad_hoc_queries\.bytes_scanned_cutoff_per_query_gib: .*greater than or equal to 1",
        ),
    ],
)
def test_malformed_values_are_refused_with_the_field_named(tmp_path, field, value, expected):
    directory = _copy_definitions(tmp_path)
    _edit(directory, "dev", lambda d: d.update({field: value}))
    with pytest.raises(EnvironmentDefinitionError, match=expected):
        load_environments(directory)


def test_a_public_vpc_range_is_refused(tmp_path):
    directory = _copy_definitions(tmp_path)
    _edit(directory, "dev", lambda d: d["network"].update(vpc_cidr="8.8.0.0/16"))
    with pytest.raises(EnvironmentDefinitionError, match="not a private"):
        load_environments(directory)


def test_the_name_inside_a_definition_must_match_its_file(tmp_path):
    directory = _copy_definitions(tmp_path)
    _edit(directory, "dev", lambda d: d.update(name="qa"))
    with pytest.raises(EnvironmentDefinitionError, match=r"dev\.yaml: name: must equal the file name 'dev'"):
        load_environments(directory)


def test_a_definition_that_is_not_yaml_is_reported_by_file(tmp_path):
    directory = _copy_definitions(tmp_path)
    (directory / "dev.yaml").write_text("name: dev\n  bad indentation: [")
    with pytest.raises(EnvironmentDefinitionError, match=r"dev\.yaml: not valid YAML"):
        load_environments(directory)


def test_an_unknown_environment_name_lists_the_known_ones():
    with pytest.raises(EnvironmentDefinitionError, match="unknown environment 'qa'; choose one of: dev, prod, stage"):
        load_environment("qa")


def test_an_empty_definitions_folder_is_reported(tmp_path):
    with pytest.raises(EnvironmentDefinitionError, match=r"no environment definitions \(\*\.yaml\)"):
        load_environments(tmp_path)


def test_the_environments_command_names_a_stack_or_refuses_in_one_line(capsys):
    from environments.__main__ import main

    assert main(["prod"]) == 0
    assert capsys.readouterr().out.strip() == "northwind-prod"
    assert main(["prd"]) == 2
    assert capsys.readouterr().err.strip() == "error: unknown environment 'prd'; choose one of: dev, prod, stage"


def test_a_service_keep_alive_not_longer_than_the_load_balancers_idle_timeout_is_refused(tmp_path):
    directory = _copy_definitions(tmp_path)
    _edit(directory, "stage", lambda d: d["analytics_api"].update(keep_alive_seconds=60))
    with pytest.raises(EnvironmentDefinitionError, match=r"stage\.yaml: .*keep_alive_seconds \(60\) must exceed"):
        load_environments(directory)


def test_an_identity_provider_reached_without_tls_is_refused(tmp_path):
    directory = _copy_definitions(tmp_path)
    _edit(directory, "dev", lambda d: d["analytics_api"]["identity_provider"].update(jwks_url="http://idp/keys"))
    with pytest.raises(EnvironmentDefinitionError, match=r"dev\.yaml: analytics_api\.identity_provider\.jwks_url"):
        load_environments(directory)


def _copy_with_delivery(tmp_path: Path) -> Path:
    directory = _copy_definitions(tmp_path)
    shutil.copytree(DEFINITIONS_DIR / "delivery", directory / "delivery")
    return directory


def _edit_delivery(directory: Path, change) -> None:
    path = directory / "delivery" / "delivery.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def test_the_delivery_account_promotes_every_environment_in_tier_order(environments):
    delivery = load_delivery(environments=environments)
    assert delivery.promotion == ("dev", "stage", "prod")
    assert delivery.account_id not in {env.account_id for env in environments.values()}
    assert delivery.stack_name == "northwind-delivery"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(promotion=["dev", "stage", "prod", "qa"]), r"promotion: qa not defined"),
        (lambda d: d.update(promotion=["dev", "prod"]), r"promotion: stage never promoted to"),
        (lambda d: d.update(promotion=["dev", "prod", "stage"]), r"stage \(staging\) comes after a production"),
        (lambda d: d.update(promotion=["dev", "dev", "stage", "prod"]), r"promotion: dev appear more than once"),
        (lambda d: d.update(account_id="333333333333"), r"also prod's account"),
        (lambda d: d.update(colour="blue"), r"delivery/delivery\.yaml: colour: unknown key"),
    ],
)
def test_a_wrong_delivery_definition_is_refused_naming_the_file_and_field(tmp_path, change, expected):
    directory = _copy_with_delivery(tmp_path)
    _edit_delivery(directory, change)
    with pytest.raises(EnvironmentDefinitionError, match=expected):
        load_delivery(directory)


def test_an_environment_name_too_long_for_the_pipelines_artifact_folders_cannot_be_promoted(tmp_path):
    directory = _copy_with_delivery(tmp_path)
    _edit_delivery(directory, lambda d: d.update(promotion=["dev", "staging", "prod"]))
    with pytest.raises(EnvironmentDefinitionError, match=r"staging longer than 5 characters"):
        load_delivery(directory)


def test_delivery_is_not_an_environment_name(tmp_path):
    directory = _copy_definitions(tmp_path)
    shutil.copy(directory / "dev.yaml", directory / "delivery.yaml")
    with pytest.raises(EnvironmentDefinitionError, match=r"delivery\.yaml: 'delivery' is the delivery account's name"):
        load_environments(directory)


def test_the_environments_command_prints_the_delivery_stack_and_the_promotion_order(capsys):
    from environments.__main__ import main

    assert main(["delivery"]) == 0
    assert capsys.readouterr().out.strip() == "northwind-delivery"
    assert main([]) == 0
    assert "delivery: account 444444444444, eu-west-2, promotes dev -> stage -> prod" in capsys.readouterr().out


def _first_partner(definition: dict) -> dict:
    return definition["transfer"]["partners"]["order-system"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: _first_partner(d).update(ssh_public_keys=["ssh-dss AAAAB3NzaC1kc3M= old"]),
            r"dev\.yaml: transfer\.partners\.order-system\.ssh_public_keys\.0: an SSH public key starts with",
        ),
        (
            lambda d: _first_partner(d).update(ssh_public_keys=["ssh-ed25519 not-base64!"]),
            "the key body is not a base64 OpenSSH public key",
        ),
        (
            # An RSA key body pasted behind an ed25519 label.
            lambda d: _first_partner(d).update(ssh_public_keys=["ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ== x"]),
            "the key body holds a 'ssh-rsa' key, not 'ssh-ed25519'",
        ),
        (
            lambda d: _first_partner(d).update(allowed_cidrs=["0.0.0.0/0"]),
            r"allowed_cidrs: .*0\.0\.0\.0/0 is wider than a /16",
        ),
        (
            lambda d: d["transfer"]["partners"].update(payroll=d["transfer"]["partners"]["order-system"]),
            "unknown partner.s. payroll; the arrival landing routes market-data-vendor, order-system",
        ),
        (
            lambda d: d["clickstream"].update(producer_role_arns=["arn:aws:iam::111111111111:user/someone"]),
            r"clickstream\.producer_role_arns\.0: .* is not valid",
        ),
        (
            lambda d: d.update(valuation={"monthly_call_budget": 10, "run_call_budget": 50}),
            r"valuation: run_call_budget \(50\) exceeds monthly_call_budget \(10\)",
        ),
    ],
)
def test_partner_keys_networks_producers_and_budgets_are_validated_with_the_field_named(tmp_path, change, message):
    directory = _copy_definitions(tmp_path)
    _edit(directory, "dev", change)
    with pytest.raises(EnvironmentDefinitionError, match=message):
        load_environments(directory)


def test_every_shipped_partner_has_keys_and_networks_and_every_environment_a_producer(environments):
    for env in environments.values():
        assert set(env.transfer.partners) == {"order-system", "market-data-vendor"}
        assert all(p.ssh_public_keys and p.allowed_cidrs for p in env.transfer.partners.values())
        assert env.clickstream.producer_role_arns
