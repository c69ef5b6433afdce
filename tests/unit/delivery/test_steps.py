"""The small steps around plan and apply: the promotion record, the target profile, what the build hands on."""

from __future__ import annotations

import json
from importlib import metadata

import pytest

from scripts.promote.__main__ import main
from scripts.promote.packaging import STEP_PACKAGES, dependency_closure, hashed_requirements
from scripts.promote.profile import PROFILE, profile_config, write_profile
from scripts.promote.promotion import verify_promotion, write_record
from scripts.promote.terraform import PromotionError, StateFingerprint

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_a_passed_smoke_test_record_lets_exactly_that_commit_on(tmp_path):
    path = write_record(tmp_path, "stage", COMMIT, [{"name": "alarms", "passed": True, "detail": "ok"}])
    assert verify_promotion(path, "stage", COMMIT)["result"] == "passed"
    with pytest.raises(
        PromotionError, match=r"records 'stage' at commit '0123.*', not a passed smoke test of stage at ffff"
    ):
        verify_promotion(path, "stage", "f" * 40)
    with pytest.raises(PromotionError, match="not a passed smoke test of dev"):
        verify_promotion(path, "dev", COMMIT)


def test_a_missing_or_unreadable_record_refuses_the_promotion(tmp_path):
    with pytest.raises(PromotionError, match=r"no smoke-test record of stage .*only after stage applied it"):
        verify_promotion(tmp_path / "verified.json", "stage", COMMIT)
    (tmp_path / "verified.json").write_text("{not json")
    with pytest.raises(PromotionError, match="not a smoke-test record"):
        verify_promotion(tmp_path / "verified.json", "stage", COMMIT)
    with pytest.raises(PromotionError, match="no commit id given"):
        verify_promotion(tmp_path / "verified.json", "stage", "")


def test_the_verify_command_ends_in_one_line_either_way(tmp_path, capsys):
    path = write_record(tmp_path, "dev", COMMIT, [])
    assert main(["verify-promotion", "--record", str(path), "--environment", "dev", "--commit", COMMIT]) == 0
    assert capsys.readouterr().out.strip() == f"dev applied and smoke-tested commit {COMMIT}: it may be promoted"
    assert main(["verify-promotion", "--record", str(path), "--environment", "stage", "--commit", COMMIT]) == 1
    assert capsys.readouterr().err.startswith("error: ")


def test_the_target_profile_assumes_the_role_from_the_builds_own_credentials(tmp_path):
    config = profile_config(
        "arn:aws:iam::111111111111:role/northwind-terraform-plan", "northwind-dev-plan", "eu-west-2"
    )
    assert config.splitlines() == [
        f"[profile {PROFILE}]",
        "role_arn = arn:aws:iam::111111111111:role/northwind-terraform-plan",
        "credential_source = EcsContainer",
        "role_session_name = northwind-dev-plan",
        "region = eu-west-2",
        "duration_seconds = 3600",
    ]
    exports = write_profile(tmp_path / ".aws" / "config", "arn:aws:iam::111111111111:role/r", "s-1", "eu-west-2")
    assert exports == f"export AWS_CONFIG_FILE={tmp_path / '.aws' / 'config'}\nexport AWS_PROFILE={PROFILE}\n"


@pytest.mark.parametrize(
    ("role", "session", "region", "expected"),
    [
        ("arn:aws:iam::1:role/x", "s1", "eu-west-2", "role ARN"),
        ("arn:aws:iam::111111111111:role/x", "a b", "eu-west-2", "session name"),
        ("arn:aws:iam::111111111111:role/x", "s1", "london", "region"),
    ],
)
def test_a_malformed_target_is_refused_before_anything_is_written(role, session, region, expected):
    with pytest.raises(PromotionError, match=expected):
        profile_config(role, session, region)


def test_the_later_steps_requirements_are_their_packages_whole_closure_on_this_platform_pinned_from_the_lock():
    closure = dependency_closure(*STEP_PACKAGES)
    assert {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six"} <= set(closure)
    assert {"pydantic", "pydantic-core", "pyyaml", "typer", "rich"} <= set(closure)
    assert "colorama" not in closure  # needed on Windows only
    for name in closure:
        metadata.distribution(name)  # each one is installed, so the closure came from real metadata
    lock = {"default": {"boto3": {"version": "==1.0", "hashes": ["sha256:aa", "sha256:bb"]}}}
    assert hashed_requirements(lock, ["boto3"]) == "boto3==1.0 --hash=sha256:aa --hash=sha256:bb\n"
    with pytest.raises(PromotionError, match=r"six is not pinned with hashes in Pipfile\.lock"):
        hashed_requirements(lock, ["boto3", "six"])


def test_a_state_fingerprint_reads_serial_and_lineage_and_no_state_is_none():
    assert StateFingerprint.of(json.dumps({"serial": 7, "lineage": "abc"})) == StateFingerprint(7, "abc")
    assert StateFingerprint.of("") == StateFingerprint(None, None)
    assert StateFingerprint(None, None).describe() == "no state yet"


def test_the_summary_command_renders_a_json_plan_file(tmp_path, capsys):
    plan = {"format_version": "1.2", "resource_changes": []}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    assert main(["summary", str(tmp_path / "plan.json"), "--stack", "northwind-dev"]) == 0
    assert capsys.readouterr().out.startswith("# northwind-dev: No changes")
    (tmp_path / "bad.json").write_text(json.dumps({"resource": {}}))
    assert main(["summary", str(tmp_path / "bad.json")]) == 1
    assert "not a Terraform JSON plan" in capsys.readouterr().err
