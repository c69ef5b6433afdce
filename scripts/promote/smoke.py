"""The smoke test after each apply: the service answers through the load balancer, a Glue job runs in dry-run
mode, and no alarm is in ALARM. A failure stops the promotion and prints how to roll back.

``http.client`` speaks to the load balancer's own DNS name while checking TLS against the service's public
name, so the test needs no DNS record of its own; boto3 is imported only here (the build installs it from the
lock's hashes).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass

HEALTH_PATHS = ("/health", "/health/database")
QUIET_ALARM_STATES = frozenset({"OK", "INSUFFICIENT_DATA"})
GLUE_DONE = {"SUCCEEDED": True, "FAILED": False, "ERROR": False, "TIMEOUT": False, "STOPPED": False, "EXPIRED": False}
DRY_RUN_ARGUMENTS = {"--dry_run": "true"}
# Attributes that carry release artifacts' locations or versions: what a rollback brings back.
ARTIFACT_ATTRIBUTES = ("key", "source_hash", "etag", "script_location", "default_arguments", "user_data", "version")


@dataclass(frozen=True)
class CheckResult:
    """One smoke check: what was checked, whether it passed, and what was seen."""

    name: str
    passed: bool
    detail: str


class _SniConnection(http.client.HTTPSConnection):
    """HTTPS to ``address`` with TLS checked against ``hostname`` (the certificate's name)."""

    def __init__(self, address: str, port: int, hostname: str, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout, context=context)
        self._hostname = hostname
        self._context = context

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._hostname)


def check_health(
    address: str,
    hostname: str,
    path: str,
    port: int = 443,
    context: ssl.SSLContext | None = None,
    attempts: int = 5,
    wait_seconds: float = 10.0,
    timeout: float = 10.0,
) -> CheckResult:
    """GET ``path`` through the load balancer at ``address``; passes on 200 with a JSON body. Retries a few
    times, as targets may still be registering right after an apply."""
    name = f"GET https://{hostname}{path}"
    context = context or ssl.create_default_context()
    detail = ""
    for attempt in range(1, attempts + 1):
        connection = _SniConnection(address, port, hostname, context, timeout)
        try:
            connection.request("GET", path, headers={"Host": hostname, "Accept": "application/json"})
            response = connection.getresponse()
            body = response.read(2048).decode("utf-8", "replace")
            if response.status == 200:
                json.loads(body)
                return CheckResult(name, True, f"200 {body.strip()[:120]}")
            detail = f"HTTP {response.status} {body.strip()[:120]}"
        except (OSError, http.client.HTTPException, json.JSONDecodeError) as error:
            detail = f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        if attempt < attempts:
            print(f"    {name}: {detail}; retrying ({attempt}/{attempts})", flush=True)
            time.sleep(wait_seconds)
    return CheckResult(name, False, detail)


def check_glue_dry_run(
    glue, job_name: str, timeout_seconds: float = 1200, poll_seconds: float = 15, sleep: Callable = time.sleep
) -> CheckResult:
    """Start ``job_name`` with ``--dry_run true`` and wait for it to finish; passes when it SUCCEEDED."""
    name = f"Glue job {job_name} (dry run)"
    try:
        run_id = glue.start_job_run(JobName=job_name, Arguments=DRY_RUN_ARGUMENTS)["JobRunId"]
    except Exception as error:  # an AWS error of any kind fails the check, it does not crash the step
        return CheckResult(name, False, f"could not start: {error}")
    waited = 0.0
    while True:
        run = glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
        state = run["JobRunState"]
        if state in GLUE_DONE:
            detail = f"run {run_id} {state}" + (f": {run['ErrorMessage']}" if run.get("ErrorMessage") else "")
            return CheckResult(name, GLUE_DONE[state], detail)
        if waited >= timeout_seconds:
            return CheckResult(name, False, f"run {run_id} still {state} after {waited:.0f} s")
        print(f"    {name}: {state} ({waited:.0f} s)", flush=True)
        sleep(poll_seconds)
        waited += poll_seconds


def check_alarms(cloudwatch, prefix: str) -> CheckResult:
    """Every alarm named ``prefix*`` is OK or INSUFFICIENT_DATA; at least one exists."""
    name = f"alarms {prefix}*"
    states: dict[str, str] = {}
    for page in cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    ):
        for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
            states[alarm["AlarmName"]] = alarm["StateValue"]
    if not states:
        return CheckResult(name, False, "no alarms found; the environment's monitoring is missing")
    loud = sorted(f"{n} ({s})" for n, s in states.items() if s not in QUIET_ALARM_STATES)
    if loud:
        return CheckResult(name, False, f"{len(loud)} of {len(states)} not quiet: {', '.join(loud)}")
    return CheckResult(name, True, f"{len(states)} alarms OK or INSUFFICIENT_DATA")


def artifact_changes(plan: Mapping) -> list[tuple[str, str, object, object]]:
    """(address, attribute, before, after) for every release artifact the applied plan moved to a new version:
    the previous values are what a rollback restores."""
    found = []
    for entry in plan.get("resource_changes", []):
        change = entry.get("change", {})
        before, after = change.get("before") or {}, change.get("after") or {}
        for attribute in ARTIFACT_ATTRIBUTES:
            old, new = before.get(attribute), after.get(attribute)
            if attribute not in before or old == new:
                continue
            if isinstance(old, dict) and isinstance(new, dict):
                # Only the entries that moved (a job's wheel, not its other arguments).
                found += [
                    (entry["address"], f"{attribute}[{key}]", old.get(key), new.get(key))
                    for key in sorted(old.keys() | new.keys())
                    if old.get(key) != new.get(key)
                ]
            else:
                found.append((entry["address"], attribute, old, new))
    return found


def previous_passed_execution(codepipeline, pipeline: str, stage: str, current: str | None) -> str | None:
    """The latest execution, other than ``current``, whose smoke test passed in ``stage``."""
    executions = codepipeline.list_pipeline_executions(pipelineName=pipeline, maxResults=25)
    for execution in executions.get("pipelineExecutionSummaries", []):
        execution_id = execution["pipelineExecutionId"]
        if execution_id == current:
            continue
        actions = codepipeline.list_action_executions(
            pipelineName=pipeline, filter={"pipelineExecutionId": execution_id}
        ).get("actionExecutionDetails", [])
        if any(
            a["stageName"] == stage and a["actionName"] == "SmokeTest" and a["status"] == "Succeeded" for a in actions
        ):
            return execution_id
    return None


def rollback_instructions(
    environment: str,
    pipeline: str,
    stage: str,
    previous_execution: str | None,
    changes: Iterable[tuple[str, str, object, object]],
) -> str:
    """What to do when the smoke test failed: which artifacts were live before, and the command that brings
    them back through the same plan, approval and apply."""
    lines = [f"Promotion of {environment} stopped: the smoke test failed. The commit goes no further.", ""]
    changes = list(changes)
    if changes:
        lines.append("The previous artifacts (what a rollback restores):")
        lines += [
            f"  {address} {attribute}: {before!r} (now {after!r})" for address, attribute, before, after in changes
        ]
    else:
        lines.append("This apply changed no release artifact; the failure is in the infrastructure change itself.")
    lines.append("")
    target = previous_execution or "<execution id: aws codepipeline list-pipeline-executions>"
    lines += [
        "To roll back to the previous execution's artifacts (it plans them again and asks for an approval):",
        f"  aws codepipeline rollback-stage --pipeline-name {pipeline} --stage-name {stage} "
        f"--target-pipeline-execution-id {target}",
        "Or fix forward: push a fix; it is queued behind this execution and promoted the same way.",
    ]
    return "\n".join(lines)


def run_checks(checks: Iterable[Callable[[], CheckResult]]) -> list[CheckResult]:
    results = []
    for check in checks:
        result = check()
        print(f"{'PASS' if result.passed else 'FAIL'} {result.name}: {result.detail}", flush=True)
        results.append(result)
    return results


def as_records(results: Iterable[CheckResult]) -> list[dict]:
    return [asdict(r) for r in results]
