"""The stacks: stable names, remote state per environment, and the provider's account guard."""

from __future__ import annotations

import shutil

import yaml

from environments import DEFINITIONS_DIR, load_delivery, load_environments
from tests.infra.conftest import synthesize


def test_stack_names_are_stable(synthesized):
    assert sorted(stack.name for stack in synthesized.values()) == [
        "northwind-delivery",
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


def test_the_provider_refuses_other_accounts_and_leaves_the_role_to_the_step_running_terraform(stack, environments):
    # The plan step runs as the read-only plan role, the apply step as the deploy role (AWS_PROFILE): a role
    # named here would be recorded in the saved plan and used by both.
    env = environments[stack.name.removeprefix("northwind-")]
    (provider,) = stack.config["provider"]["aws"]
    assert provider["region"] == env.region
    assert provider["allowed_account_ids"] == [env.account_id]
    assert "assume_role" not in provider and "profile" not in provider


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
    qa["compute"]["certificate_domain"] = "analytics.qa.northwind.example"
    (definitions / "qa.yaml").write_text(yaml.safe_dump(qa))
    environments = load_environments(definitions)
    delivery = load_delivery(environments={k: v for k, v in environments.items() if k != "qa"})
    delivery = delivery.model_copy(update={"promotion": ("dev", "qa", "stage", "prod")})

    stacks = synthesize(environments, tmp_path / "out", delivery)

    assert sorted(stacks) == ["delivery", "dev", "prod", "qa", "stage"]
    qa_stack = stacks["qa"]
    assert qa_stack.config["terraform"]["backend"]["s3"]["bucket"] == "northwind-terraform-state-qa"
    assert qa_stack.one("aws_vpc")["cidr_block"] == "10.40.0.0/16"
    assert qa_stack.config["provider"]["aws"][0]["default_tags"][0]["tags"]["environment"] == "qa"
    (certificate,) = qa_stack.config["data"]["aws_acm_certificate"].values()
    assert certificate["domain"] == "analytics.qa.northwind.example"
    stages = [stage["name"] for stage in stacks["delivery"].one("aws_codepipeline")["stage"]]
    assert stages == ["Source", "Build", "Dev", "Qa", "Stage", "Prod"]
