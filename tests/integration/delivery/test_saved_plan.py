"""Saved plans with the real Terraform CLI: what is approved is what is applied, and a moved state or a
changed plan file is refused. ``terraform_data`` needs no provider, so these plans and applies are real."""

from __future__ import annotations

import json

import pytest

from scripts.promote.__main__ import main
from scripts.promote.saved_plan import PLAN_FILE, apply_plan, make_plan
from scripts.promote.summary import summarise
from scripts.promote.terraform import PromotionError, StateFingerprint, Terraform
from tests.support.terraform import applied, data_config, plan_json, terraform, write_stack

BEFORE = data_config(
    keep={"input": "same"}, rotate={"input": "v1", "triggers_replace": ["v1"]}, retire={"input": "old"}
)
AFTER = data_config(
    keep={"input": "changed"}, rotate={"input": "v2", "triggers_replace": ["v2"]}, fresh={"input": "new"}
)


def _state(stack_dir) -> dict:
    return json.loads(terraform(stack_dir, "state", "pull"))


def test_the_summary_counts_a_real_plan_exactly_as_terraform_prints_it(terraform_cli, tmp_path):
    stack = tmp_path / "northwind-unit"
    applied(stack, BEFORE)
    plan, printed = plan_json(stack, AFTER)
    summary = summarise(plan, stack.name)
    assert printed == "Plan: 2 to add, 1 to change, 2 to destroy."
    assert summary.headline().startswith("Plan: 2 to add, 1 to change, 2 to destroy (1 replaced)")
    (replaced,) = summary.of_kind("replace")
    assert (replaced.address, replaced.replace_paths) == ("terraform_data.rotate", (("triggers_replace",),))
    (deleted,) = summary.of_kind("delete")
    assert (deleted.address, deleted.reason) == ("terraform_data.retire", "delete_because_no_resource_config")
    assert "`terraform_data.retire` (no longer in the configuration)" in summary.render()


def test_an_approved_saved_plan_is_applied_as_it_is_and_leaves_the_outputs(terraform_cli, tmp_path):
    stack = tmp_path / "northwind-unit"
    applied(stack, BEFORE)
    write_stack(stack, {**AFTER, "output": {"load_balancer_dns_name": {"value": "alb.example"}}})
    saved = make_plan(Terraform(stack), tmp_path / "plan")
    assert saved.fingerprint == StateFingerprint(_state(stack)["serial"], _state(stack)["lineage"])
    exported = (tmp_path / "plan" / "exported.env").read_text()
    assert f"PLAN_SHA256={saved.sha256}\n" in exported and "PLAN_HEADLINE='Plan: 2 to add" in exported

    after = apply_plan(Terraform(stack), tmp_path / "plan", saved.sha256, tmp_path / "live")

    resources = {r["name"] for r in _state(stack)["resources"]}
    assert resources == {"keep", "rotate", "fresh"}
    assert after.serial > saved.fingerprint.serial
    assert (
        json.loads((tmp_path / "live" / "outputs.json").read_text())["load_balancer_dns_name"]["value"] == "alb.example"
    )


def test_the_apply_refuses_when_the_state_moved_after_the_plan_and_changes_nothing(terraform_cli, tmp_path):
    stack = tmp_path / "northwind-unit"
    applied(stack, BEFORE)
    write_stack(stack, AFTER)
    saved = make_plan(Terraform(stack), tmp_path / "plan")
    # Someone applies something else in between.
    applied(stack, data_config(**BEFORE["resource"]["terraform_data"], intruder={"input": "x"}))
    moved = _state(stack)
    write_stack(stack, AFTER)

    with pytest.raises(
        PromotionError, match=r"moved since the plan was made \(planned against serial \d+, .*now serial"
    ):
        apply_plan(Terraform(stack), tmp_path / "plan", saved.sha256, tmp_path / "live")
    assert _state(stack) == moved


def test_the_apply_refuses_a_plan_file_that_is_not_the_approved_one(terraform_cli, tmp_path):
    stack = tmp_path / "northwind-unit"
    applied(stack, BEFORE)
    write_stack(stack, AFTER)
    saved = make_plan(Terraform(stack), tmp_path / "plan")
    before = _state(stack)
    with pytest.raises(PromotionError, match=f"but {'0' * 64} was approved; nothing applied"):
        apply_plan(Terraform(stack), tmp_path / "plan", "0" * 64, tmp_path / "live")
    with pytest.raises(PromotionError, match="no approved plan hash given"):
        apply_plan(Terraform(stack), tmp_path / "plan", "", tmp_path / "live")
    (tmp_path / "plan" / PLAN_FILE).write_bytes(b"tampered")
    with pytest.raises(PromotionError, match=f"but {saved.sha256} was approved"):
        apply_plan(Terraform(stack), tmp_path / "plan", saved.sha256, tmp_path / "live")
    assert _state(stack) == before


def test_the_first_plan_of_a_new_environment_is_made_against_no_state_and_applies(terraform_cli, tmp_path):
    stack = write_stack(tmp_path / "northwind-qa", AFTER)
    saved = make_plan(Terraform(stack), tmp_path / "plan")
    assert saved.fingerprint == StateFingerprint(None, None)
    assert saved.summary.counts["add"] == 3
    apply_plan(Terraform(stack), tmp_path / "plan", saved.sha256, tmp_path / "live")
    assert len(_state(stack)["resources"]) == 3


def test_the_plan_and_apply_commands_end_in_one_line_and_an_exit_code(terraform_cli, tmp_path, capsys):
    stack = write_stack(tmp_path / "northwind-unit", BEFORE)
    assert main(["plan", "--stack-dir", str(stack), "--out", str(tmp_path / "plan")]) == 0
    out = capsys.readouterr().out
    assert "# northwind-unit: Plan: 3 to add, 0 to change, 0 to destroy." in out
    assert "plan of northwind-unit saved: sha256 " in out
    code = main(
        [
            "apply",
            "--stack-dir",
            str(stack),
            "--plan-dir",
            str(tmp_path / "plan"),
            "--approved-sha256",
            "1" * 64,
            "--out",
            str(tmp_path / "live"),
        ]
    )
    assert code == 1
    assert capsys.readouterr().err.startswith("error: the saved plan's sha256 is ")
    assert main(["plan", "--stack-dir", str(tmp_path / "missing"), "--out", str(tmp_path / "p")]) == 1
    assert "holds no synthesized stack (cdk.tf.json); run `make synth` first" in capsys.readouterr().err
