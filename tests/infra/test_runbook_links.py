"""Every alarm and every alert a responder receives links to a runbook section that exists: the rule holds for
every capability's alarms and rules in every environment, so a new alarm without a runbook fails here."""

from __future__ import annotations

import re

import pytest

from modules.platform_secrets import PLATFORM_SECRETS
from tests.conftest import REPO_ROOT
from tests.infra.runbook_links import (
    LINK,
    alerting_rules,
    github_anchor,
    github_anchors,
    link_problem,
    runbook_link_problems,
)

SOURCE_DIRS = ("modules", "etl", "scripts", "api")


def test_every_alarm_and_alerting_rule_links_to_a_runbook_section_that_exists_within_the_length_limits(any_stack):
    assert runbook_link_problems(any_stack) == []


def test_the_check_covers_alarms_and_rules_of_every_capability(stack):
    """Observability, processing and the detective controls all alarm or alert; none is outside the check."""
    alarm_paths = {
        a["//"]["metadata"]["path"].split("/")[1] for a in stack.resources("aws_cloudwatch_metric_alarm").values()
    }
    rule_paths = {rule["//"]["metadata"]["path"].split("/")[1] for rule, _ in alerting_rules(stack)}
    assert {"observability", "processing"} <= alarm_paths
    assert {"observability", "processing", "detection"} <= rule_paths


def test_a_description_without_a_link_or_with_a_missing_section_is_named():
    assert "no 'Runbook: " in link_problem("Serving database CPU above 80%", "alarm x")
    assert "does not exist" in link_problem("x. Runbook: docs/runbooks/nowhere.md#a", "alarm x")
    assert "no heading whose anchor is #not-a-heading" in link_problem(
        "x. Runbook: docs/runbooks/pipeline-failure.md#not-a-heading", "alarm x"
    )
    assert link_problem("x. Runbook: docs/runbooks/pipeline-failure.md#reprocessing-a-day", "alarm x") is None


def test_the_check_fails_on_an_overlong_description_or_a_message_without_the_link(synthesized):
    stack = synthesized["dev"]
    alarms = dict(stack.resources("aws_cloudwatch_metric_alarm"))
    name, alarm = next(iter(alarms.items()))
    alarms[name] = {**alarm, "alarm_description": alarm["alarm_description"] + " " + "x" * 1024}
    rules = alerting_rules(stack)
    rule, target = rules[0]
    targets = {
        k: ({**t, "input_transformer": {**t["input_transformer"], "input_template": '"no link"'}} if t is target else t)
        for k, t in stack.resources("aws_cloudwatch_event_target").items()
    }
    resources = {
        **stack.config["resource"],
        "aws_cloudwatch_metric_alarm": alarms,
        "aws_cloudwatch_event_target": targets,
    }
    problems = runbook_link_problems(type(stack)(stack.name, stack.path, {**stack.config, "resource": resources}))
    assert any("CloudWatch allows 1024" in p for p in problems)
    assert any(p.startswith(f"rule {rule['name']}: the message") for p in problems)


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Glue job failed or timed out", "glue-job-failed-or-timed-out"),
        ("First deploy: the `default` database does not exist", "first-deploy-the-default-database-does-not-exist"),
        ("1. Before merge (every pull request)", "1-before-merge-every-pull-request"),
        ("Load balancer 5xx (`alb-5xx`)", "load-balancer-5xx-alb-5xx"),
        ("The [RapidAPI](x.md) key_name", "the-rapidapi-key_name"),
        ("401 or 403", "401-or-403"),
    ],
)
def test_anchors_follow_githubs_slug_rules(heading, anchor):
    assert github_anchor(heading) == anchor


def test_repeated_headings_are_numbered_and_headings_in_code_blocks_are_not_anchors(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Top\n## Steps\n```sh\n# a comment\n```\n## Steps\n", encoding="utf-8")
    assert github_anchors(page) == {"top", "steps", "steps-1"}


def test_every_runbook_link_in_the_code_names_a_section_that_exists():
    """Error messages and help texts point at runbook sections too; a renamed heading breaks none unnoticed."""
    problems, links = [], 0
    for folder in SOURCE_DIRS:
        for path in (REPO_ROOT / folder).rglob("*.py"):
            for match in LINK.finditer(path.read_text(encoding="utf-8")):
                links += 1
                problems.append(link_problem(match.group(0), str(path.relative_to(REPO_ROOT))))
    assert links > 0 and [p for p in problems if p] == []


def test_each_platform_secret_names_its_rotation_section_in_the_key_rotation_runbook():
    anchors = github_anchors(REPO_ROOT / "docs" / "runbooks" / "key-rotation.md")
    assert {secret.runbook_anchor for secret in PLATFORM_SECRETS} <= anchors


def test_link_pattern_reads_file_and_anchor():
    assert LINK.findall("a. Runbook: docs/runbooks/serving-database.md#database-cpu-high") == [
        ("serving-database.md", "database-cpu-high")
    ]
    assert not re.search(LINK, "Runbook: docs/other/x.md#y")
