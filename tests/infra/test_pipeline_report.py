"""The pipeline report is read from the synthesized JSON: stages in order, who runs each action, who it
becomes in the environment, and what each role may do."""

from __future__ import annotations

from typer.testing import CliRunner

from scripts.pipeline_report import action_rows, app, render, role_grants


def test_the_report_lists_every_action_in_order_with_the_role_it_runs_as_and_assumes(delivery_stack, environments):
    rows = action_rows(delivery_stack.config)
    assert [(r.stage, r.order, r.action) for r in rows[:6]] == [
        ("Source", 1, "GitHub"),
        ("Build", 1, "Build"),
        ("Dev", 1, "Plan"),
        ("Dev", 2, "Approve"),
        ("Dev", 3, "Apply"),
        ("Dev", 4, "SmokeTest"),
    ]
    apply_prod = next(r for r in rows if (r.stage, r.action) == ("Prod", "Apply"))
    assert (apply_prod.runs_as, apply_prod.assumes) == (
        "northwind-delivery-apply-prod",
        environments["prod"].deploy_role_arn,
    )
    assert {r.runs_as for r in rows if r.action in ("GitHub", "Approve")} == {"northwind-delivery-pipeline"}


def test_role_grants_resolve_references_to_the_names_they_stand_for(delivery_stack):
    build = role_grants(delivery_stack.config)["northwind-delivery-build"]
    assert any(
        line.startswith("WriteOutputArtifact: s3:PutObject on <s3_bucket northwind-delivery-artifacts-")
        for line in build
    )
    assert not any("${" in line for lines in role_grants(delivery_stack.config).values() for line in lines)


def test_the_rendered_report_covers_the_smoke_test_roles_of_every_environment(synthesized):
    report = render({stack.name: stack.config for stack in synthesized.values()})
    for env in ("dev", "stage", "prod"):
        assert f"### northwind-{env}-smoke-test (northwind-{env}'s account)" in report
    assert report.index("### northwind-delivery-pipeline") < report.index("### northwind-delivery-build")


def test_without_a_synthesized_delivery_stack_the_report_says_what_to_run(tmp_path):
    result = CliRunner().invoke(app, ["--outdir", str(tmp_path)])
    assert result.exit_code == 2
    assert "run `make synth` first" in result.output
