"""The IAM report is computed from the synthesized stacks and the account bootstrap's documents."""

from __future__ import annotations

from typer.testing import CliRunner

from scripts.deploy_permissions import deploy_policy_documents
from scripts.report_iam import account_role_rows, app, render_markdown, role_rows


def test_the_report_lists_every_role_with_who_may_assume_it_its_boundary_and_its_grants(
    environment_stacks, environments
):
    for name, stack in environment_stacks.items():
        rows = role_rows(stack.config, name)
        assert {row.name for row in rows} == {b["name"] for b in stack.resources("aws_iam_role").values()}
        env = environments[name]
        assert {row.boundary for row in rows} == {f"iam policy {env.permissions_boundary_arn}"}
        assert all(row.assumed_by and row.grants for row in rows)
        sre = next(row for row in rows if row.name == f"{stack.name}-devops-sre")
        assert sre.assumed_by == (f"Federated iam saml provider {env.saml_provider_arn}",)
        assert any("ssm:resourceTag/aws:autoscaling:groupName" in g.conditions for g in sre.grants)


def test_the_account_bootstraps_roles_are_in_the_report_from_the_documents_it_applies(environments, delivery):
    rows = account_role_rows(environments["stage"], delivery)
    assert [row.name for row in rows] == [
        "northwind-break-glass",
        "northwind-terraform-plan",
        "northwind-terraform-deploy",
    ]
    assert [row.boundary for row in rows][1:] == [
        "northwind-terraform-plan-boundary",
        "northwind-terraform-deploy-boundary",
    ]
    assert rows[1].assumed_by == ("AWS arn:aws:iam::444444444444:root",)
    deploy = rows[2]
    documents = deploy_policy_documents(environments["stage"])
    assert {g.policy for g in deploy.grants} == {
        f"northwind-terraform-deploy-{i}" for i in range(1, len(documents) + 1)
    }
    markdown = render_markdown(rows)
    assert "#### northwind-terraform-deploy (stage, account bootstrap)" in markdown
    assert "| CreateRolesOnlyWithTheBoundary | Allow | iam:CreateRole, iam:PutRolePermissionsBoundary |" in markdown


def test_the_report_command_prints_one_environment_as_markdown(synthesized):
    outdir = synthesized["dev"].path.parents[2]
    result = CliRunner().invoke(app, ["--outdir", str(outdir), "--env", "dev", "--markdown"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "#### northwind-dev-glue-jobs (dev, stack)" in result.output
    assert "${aws:userid}" in result.output and "$${" not in result.output
    roles = len(synthesized["dev"].resources("aws_iam_role")) + 3
    assert result.output.rstrip().endswith(f"{roles} roles in 1 account(s)")


def test_the_report_covers_the_delivery_account_its_roles_and_the_platform_leads_terraform_roles(synthesized):
    outdir = synthesized["delivery"].path.parents[2]
    result = CliRunner().invoke(
        app, ["--outdir", str(outdir), "--env", "delivery", "--markdown"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "#### northwind-delivery-apply-prod (delivery, stack)" in result.output
    assert "#### northwind-terraform-deploy (delivery, account bootstrap)" in result.output
    assert (
        "- permissions boundary: iam policy arn:aws:iam::444444444444:policy/northwind-workload-boundary"
        in result.output
    )


def test_the_report_command_names_an_environment_it_has_no_stack_for(synthesized):
    outdir = synthesized["dev"].path.parents[2]
    result = CliRunner().invoke(app, ["--outdir", str(outdir), "--env", "qa"])
    assert result.exit_code == 2 and "no synthesized stack for 'qa'" in result.output
