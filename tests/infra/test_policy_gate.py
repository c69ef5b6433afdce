"""The policy gate: real checkov over the synthesized stacks, and the suppression rules on crafted reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.policy_gate import (
    PolicyGateError,
    Suppression,
    evaluate,
    load_suppressions,
    run_gate,
)

STACKS = {
    "northwind-dev": "dev",
    "northwind-stage": "stage",
    "northwind-prod": "prod",
    "northwind-delivery": "delivery",
}
REASON = "A deliberate exception with a compensating control described here."


@pytest.fixture(scope="module")
def gate_result(synthesized):
    stacks_dir = next(iter(synthesized.values())).path.parent.parent
    return run_gate(stacks_dir, STACKS)


def test_every_stack_passes_the_gate_with_no_unsuppressed_finding(gate_result):
    failures = [f for s in gate_result.stacks.values() for f in s.failed]
    assert failures == []
    assert gate_result.stale_suppressions == []
    assert gate_result.ok


def test_the_scan_really_ran_checks_on_every_stack(gate_result):
    assert set(gate_result.stacks) == {"dev", "stage", "prod", "delivery"}
    assert all(result.passed > 50 for result in gate_result.stacks.values())


def test_every_suppression_is_reasoned_and_names_an_exact_address():
    for suppression in load_suppressions(known_environments={"dev", "stage", "prod", "delivery"}):
        assert len(suppression.reason) >= 30
        assert "*" not in suppression.resource


def _report(*failed: tuple[str, str, str], passed: int = 1) -> list[dict]:
    return [
        {
            "results": {
                "passed_checks": [{"file_path": "/northwind-dev/cdk.tf.json"}] * passed,
                "failed_checks": [
                    {"check_id": check, "resource": f"resource.{name}", "file_path": f"/{stack}/cdk.tf.json"}
                    for check, name, stack in failed
                ],
                "parsing_errors": [],
            }
        }
    ]


TYPES = {"dev": {"bucket_1": "aws_s3_bucket"}, "stage": {"bucket_1": "aws_s3_bucket"}}
TWO_STACKS = {"northwind-dev": "dev", "northwind-stage": "stage"}


def test_an_unsuppressed_failed_check_fails_the_gate_with_its_typed_address():
    result = evaluate(_report(("CKV_AWS_18", "bucket_1", "northwind-dev")), TWO_STACKS, (), TYPES)
    assert not result.ok
    (finding,) = result.stacks["dev"].failed
    assert (finding.check, finding.resource) == ("CKV_AWS_18", "aws_s3_bucket.bucket_1")


def test_a_suppression_applies_only_to_its_check_address_and_environments():
    suppression = Suppression(
        check="CKV_AWS_18", resource="aws_s3_bucket.bucket_1", environments=("dev",), reason=REASON
    )
    report = _report(("CKV_AWS_18", "bucket_1", "northwind-dev"), ("CKV_AWS_18", "bucket_1", "northwind-stage"))
    result = evaluate(report, TWO_STACKS, (suppression,), TYPES)
    assert len(result.stacks["dev"].suppressed) == 1 and not result.stacks["dev"].failed
    assert len(result.stacks["stage"].failed) == 1
    assert not result.ok


def test_a_suppression_that_matches_nothing_fails_the_gate():
    suppression = Suppression(
        check="CKV_AWS_21", resource="aws_s3_bucket.bucket_1", environments=("dev",), reason=REASON
    )
    result = evaluate(_report(), TWO_STACKS, (suppression,), TYPES)
    assert result.stale_suppressions == [(suppression, "dev")]
    assert not result.ok


def test_a_parsing_error_fails_the_gate():
    report = _report()
    report[0]["results"]["parsing_errors"] = ["/tmp/out/stacks/northwind-stage/cdk.tf.json"]
    result = evaluate(report, TWO_STACKS, (), TYPES)
    assert result.stacks["stage"].parsing_errors and not result.ok


def test_a_suppression_without_a_reason_is_refused(tmp_path: Path):
    path = tmp_path / "suppressions.yaml"
    path.write_text(
        "suppressions:\n  - check: CKV_AWS_18\n    resource: aws_s3_bucket.x\n    environments: [dev]\n    reason: ok\n"
    )
    with pytest.raises(PolicyGateError, match="reason"):
        load_suppressions(path)


def test_a_suppression_for_an_unknown_environment_is_refused(tmp_path: Path):
    path = tmp_path / "suppressions.yaml"
    entry = {"check": "CKV_AWS_18", "resource": "aws_s3_bucket.x", "environments": ["qa"], "reason": REASON}
    path.write_text(json.dumps({"suppressions": [entry]}))
    with pytest.raises(PolicyGateError, match=r"unknown environment\(s\) \['qa'\]"):
        load_suppressions(path, known_environments={"dev"})


def test_a_missing_scanner_is_one_clear_error(tmp_path: Path):
    from scripts.policy_gate import Scanners

    with pytest.raises(PolicyGateError, match="run 'make bootstrap'"):
        Scanners(python=tmp_path / "no-python")


def test_scanners_started_ahead_share_the_stacks_and_report_each_one(synthesized):
    from scripts.policy_gate import Scanners

    stacks_dir = next(iter(synthesized.values())).path.parent.parent
    files = [stacks_dir / stack / "cdk.tf.json" for stack in STACKS]
    with Scanners(2) as scanners:
        reports = scanners.scan(files)

    assert len(reports) == 2
    scanned = {Path(c["file_path"]).parent.name for r in reports for c in r["results"]["passed_checks"]}
    assert scanned == set(STACKS)
