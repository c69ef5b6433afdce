"""Runbook links in alarm and alert-rule descriptions, checked against the runbooks' headings as GitHub anchors
them. One helper for every capability's alarms, rules and the code's own links."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from modules.runbooks import LINK_LABEL, RUNBOOKS_DIR
from tests.conftest import REPO_ROOT
from tests.infra.stack_json import referenced

# CloudWatch's limit on alarm_description and EventBridge's on a rule's description.
ALARM_DESCRIPTION_LIMIT = 1024
RULE_DESCRIPTION_LIMIT = 512
LINK = re.compile(rf"{re.escape(RUNBOOKS_DIR)}/([A-Za-z0-9_.-]+\.md)#([\w-]+)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: its text without markup, lower-cased, every character that is not a
    letter, digit, space, hyphen or underscore dropped, spaces turned into hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images keep their text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def github_anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file, repeated headings numbered as GitHub does (``-1``, ``-2``)."""
    anchors, seen, fenced = set(), Counter(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        heading = None if fenced else _HEADING.match(line)
        if heading:
            anchor = github_anchor(heading.group(1))
            anchors.add(f"{anchor}-{seen[anchor]}" if seen[anchor] else anchor)
            seen[anchor] += 1
    return anchors


def link_problem(text: str, where: str) -> str | None:
    """Why ``text`` does not link to a runbook section that exists, or None when it does."""
    found = LINK.findall(text)
    if not found:
        return f"{where}: no '{LINK_LABEL}{RUNBOOKS_DIR}/<file>.md#<anchor>' link in {text!r}"
    problems = []
    for file, anchor in found:
        path = REPO_ROOT / RUNBOOKS_DIR / file
        if not path.is_file():
            problems.append(f"{where}: {RUNBOOKS_DIR}/{file} does not exist")
        elif anchor not in github_anchors(path):
            problems.append(f"{where}: {RUNBOOKS_DIR}/{file} has no heading whose anchor is #{anchor}")
    return "; ".join(problems) or None


def alerting_rules(stack) -> list[tuple[dict, dict]]:
    """(rule, target) of every EventBridge rule with a target on a topic of the stack (the alert topic; any
    topic a rule publishes to reaches people)."""
    topics = {f"${{aws_sns_topic.{topic_id}.arn}}" for topic_id in stack.resources("aws_sns_topic")}
    rules = stack.resources("aws_cloudwatch_event_rule")
    return [
        (rules[referenced(target["rule"])[1]], target)
        for target in stack.resources("aws_cloudwatch_event_target").values()
        if target["arn"] in topics
    ]


def runbook_link_problems(stack) -> list[str]:
    """Every metric and composite alarm, and every rule alerting the topic, whose description (or the message
    the rule sends) lacks a link to an existing runbook section or exceeds the service's length limit."""
    problems = []
    for resource_type in ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm"):
        for alarm in stack.resources(resource_type).values():
            description, where = alarm.get("alarm_description", ""), f"alarm {alarm['alarm_name']}"
            if len(description) > ALARM_DESCRIPTION_LIMIT:
                problems.append(f"{where}: description is {len(description)} characters (CloudWatch allows 1024)")
            problems.append(link_problem(description, where))
    for rule, target in alerting_rules(stack):
        description, where = rule.get("description", ""), f"rule {rule['name']}"
        if len(description) > RULE_DESCRIPTION_LIMIT:
            problems.append(f"{where}: description is {len(description)} characters (EventBridge allows 512)")
        problems.append(link_problem(description, where))
        # The alert's message is what the responder reads: it carries the same link.
        template = (target.get("input_transformer") or {}).get("input_template", "")
        if template and LINK.findall(template) != LINK.findall(description):
            problems.append(f"{where}: the message sent to the topic does not carry the description's runbook link")
    return [problem for problem in problems if problem]
