"""The stacks: stable names, remote state per environment, and the provider's account guard and role."""

from __future__ import annotations

import shutil

import yaml

from environments import DEFINITIONS_DIR, load_environments
from tests.infra.conftest import synthesize


def test_stack_names_are_stable(synthesized):
    assert sorted(stack.name for stack in synthesized.values()) == [
        "northwind-dev",
        "northwind-prod",
        "northwind-stage",
    ]


def test_state_lives_in_the_environments_own_encrypted_bucket_with_dynamodb_locking(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    backend = stack.config["terraform"]["backend"]["s3"]
    assert backend == {
        "bucket": env.state.bucket,
        "key": f"{stack.name}/terraform.tfstate",
        "region": env.state.region,
        "encrypt": True,
        "kms_key_id": f"arn:aws:kms:{env.state.region}:{env.account_id}:alias/northwind-terraform-state",
        "dynamodb_table": env.state.lock_table,
    }


def test_the_provider_assumes_the_environments_deploy_role_and_refuses_other_accounts(stack, environments):
    env = environments[stack.name.removeprefix("northwind-")]
    (provider,) = stack.config["provider"]["aws"]
    assert provider["region"] == env.region
    assert provider["allowed_account_ids"] == [env.account_id]
    assert provider["assume_role"][0]["role_arn"] == f"arn:aws:iam::{env.account_id}:role/northwind-terraform-deploy"


def test_the_aws_provider_is_pinned(stack):
    assert stack.config["terraform"]["required_providers"]["aws"]["version"] == "6.25.0"


def test_a_fourth_environment_is_one_new_definition(tmp_path):
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    for path in DEFINITIONS_DIR.glob("*.yaml"):
        shutil.copy(path, definitions / path.name)
    qa = yaml.safe_load((DEFINITIONS_DIR / "stage.yaml").read_text())
    qa.update(name="qa", account_id="444444444444")
    qa["network"]["vpc_cidr"] = "10.40.0.0/16"
    qa["state"] = {"bucket": "northwind-terraform-state-qa", "lock_table": "northwind-terraform-locks-qa"}
    (definitions / "qa.yaml").write_text(yaml.safe_dump(qa))

    stacks = synthesize(load_environments(definitions), tmp_path / "out")

    assert sorted(stacks) == ["dev", "prod", "qa", "stage"]
    qa_stack = stacks["qa"]
    assert qa_stack.config["terraform"]["backend"]["s3"]["bucket"] == "northwind-terraform-state-qa"
    assert qa_stack.one("aws_vpc")["cidr_block"] == "10.40.0.0/16"
    assert qa_stack.config["provider"]["aws"][0]["default_tags"][0]["tags"]["environment"] == "qa"
