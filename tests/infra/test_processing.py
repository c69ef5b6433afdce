"""The Glue jobs, their artifacts, the scheduled pipelines from the contracts and the SLA alarms, read from the
synthesized stacks (each test is named after the rule it holds)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from etl.contracts import all_contracts, load_contract
from etl.contracts.loader import CONTRACTS_DIR
from modules.artifacts import file_hash
from modules.processing.jobs import entry_scripts
from modules.processing.runtime import GLUE_PROVIDED, JOB_DISTRIBUTIONS, additional_python_modules, locked_versions
from modules.processing.schedule import CronSchedule, ScheduleError
from tests.conftest import REPO_ROOT
from tests.infra.stack_json import role_statements


def _jobs(stack) -> dict[str, dict]:
    """Jobs by entry-script name (``northwind-dev-ingest-catalog`` -> ``ingest_catalog``)."""
    return {
        job["name"].removeprefix(f"{stack.name}-").replace("-", "_"): job
        for job in stack.resources("aws_glue_job").values()
    }


def _address(value: str) -> str:
    return value.removeprefix("${").split(".")[1]


def _machines(stack) -> dict[str, dict]:
    return {m["name"]: json.loads(m["definition"]) for m in stack.resources("aws_sfn_state_machine").values()}


def _alarms(stack, prefix: str) -> dict[str, dict]:
    return {
        a["alarm_name"].removeprefix(f"{stack.name}-{prefix}"): a
        for a in stack.resources("aws_cloudwatch_metric_alarm").values()
        if a["alarm_name"].startswith(f"{stack.name}-{prefix}")
    }


def _env(stack, environments):
    return environments[stack.name.removeprefix("northwind-")]


def test_each_entry_script_is_one_glue_5_spark_job_sized_from_the_environment(stack, environments):
    env, jobs = _env(stack, environments), _jobs(stack)
    assert set(jobs) == {script.name for script in entry_scripts()}
    for name, job in jobs.items():
        size = env.processing.jobs.get(name, env.processing.default_job)
        assert job["glue_version"] == "5.0" and job["command"]["name"] == "glueetl"
        assert job["command"]["python_version"] == "3"
        assert (job["worker_type"], job["number_of_workers"]) == (size.worker_type, size.workers)
        assert (job["timeout"], job["max_retries"]) == (size.timeout_minutes, size.max_retries)


def test_jobs_run_under_the_catalogs_security_configuration_and_the_glue_roles(stack):
    (configuration,) = stack.resources("aws_glue_security_configuration")
    roles = stack.resources("aws_iam_role")
    for name, job in _jobs(stack).items():
        assert job["security_configuration"] == f"${{aws_glue_security_configuration.{configuration}.name}}"
        role = roles[_address(job["role_arn"])]["name"]
        expected = {"bootstrap_serving": "glue-serving-bootstrap", "erase_customer": "glue-erasure"}.get(
            name, "glue-jobs"
        )
        assert role == f"{stack.name}-{expected}"


def test_jobs_log_to_kms_encrypted_log_groups_with_job_and_observability_metrics_on(stack):
    groups = {g["name"]: g for g in stack.resources("aws_cloudwatch_log_group").values()}
    for job in _jobs(stack).values():
        arguments = job["default_arguments"]
        assert arguments["--enable-metrics"] == arguments["--enable-observability-metrics"] == "true"
        assert arguments["--enable-continuous-cloudwatch-log"] == "true"
        prefix = arguments["--custom-logGroup-prefix"]
        for stream in ("output", "error"):
            assert groups[f"{prefix}/{stream}"]["kms_key_id"].startswith("${aws_kms_key.")


def test_only_the_jobs_that_reach_the_database_run_through_the_glue_connection(stack):
    (connection,) = stack.resources("aws_glue_connection")
    for name, job in _jobs(stack).items():
        expected = (
            [f"${{aws_glue_connection.{connection}.name}}"] if "--serving_db_host" in job["default_arguments"] else None
        )
        assert job.get("connections") == expected, name
    assert _jobs(stack)["serve"].get("connections")


def test_every_argument_that_names_a_resource_is_a_reference_to_it_never_a_typed_arn(stack):
    references = {
        "--lake_bucket": "${aws_s3_bucket.",
        "--lake_kms_key_id": "${aws_kms_key.",
        "--pseudonym_secret_id": "${aws_secretsmanager_secret.",
        "--catalog_token_secret_id": "${aws_secretsmanager_secret.",
        "--serving_db_host": "${aws_db_instance.",
        "--serving_db_port": "${aws_db_instance.",
        "--serving_db_name": "${aws_db_instance.",
        "--serving_db_secret_id": "${aws_db_instance.",
    }
    seen = set()
    for job in _jobs(stack).values():
        for key, value in job["default_arguments"].items():
            assert "arn:aws:" not in value, f"{job['name']} {key} holds a typed ARN"
            if key in references:
                assert value.startswith(references[key]), f"{job['name']} {key}={value}"
                seen.add(key)
    assert seen == set(references)


def test_scripts_and_the_wheel_are_uploaded_kms_encrypted_under_content_hashed_keys(stack):
    objects = {o["key"]: o for o in stack.resources("aws_s3_object").values()}
    scripts = {script.name: script for script in entry_scripts()}
    for name, job in _jobs(stack).items():
        key = job["command"]["script_location"].split("}/", 1)[1]
        assert key == f"glue/scripts/{file_hash(scripts[name].path)}/{name}.py"
        assert (stack.path.parent / objects[key]["source"]).read_bytes() == scripts[name].path.read_bytes()
    for upload in objects.values():
        assert upload["server_side_encryption"] == "aws:kms" and upload["kms_key_id"].startswith("${aws_kms_key.")
        assert upload["lifecycle"] == {"create_before_destroy": True}
    (wheel,) = [key for key in objects if key.startswith("glue/wheels/")]
    assert re.fullmatch(r"glue/wheels/[0-9a-f]{16}/northwind_etl-0\.1\.0-py3-none-any\.whl", wheel)


def test_the_jobs_install_the_wheel_and_every_module_glue_lacks_pinned_to_the_lock(stack):
    versions = locked_versions()
    for job in _jobs(stack).values():
        wheel, *pins = job["default_arguments"]["--additional-python-modules"].split(",")
        assert wheel.startswith("s3://${aws_s3_bucket.") and wheel.endswith(".whl")
        assert pins == [f"{name}=={versions[name]}" for name in JOB_DISTRIBUTIONS] == list(additional_python_modules())


@pytest.mark.parametrize("script", entry_scripts(), ids=lambda script: script.name)
def test_an_entry_script_imports_only_what_glue_provides_or_the_jobs_install(script):
    """Imported in a fresh interpreter; each third-party module's distribution must be provided or pinned."""
    code = (
        "import importlib, importlib.metadata as md, json, sys\n"
        "before = set(sys.modules)\n"
        f"importlib.import_module('etl.jobs.{script.name}')\n"
        "owners = md.packages_distributions()\n"
        "names = {d for m in set(sys.modules) - before for d in owners.get(m.split('.')[0], [])}\n"
        "print(json.dumps(sorted(names)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    normalized = {name.lower().replace("_", "-") for name in json.loads(result.stdout.splitlines()[-1])}
    assert normalized - GLUE_PROVIDED - set(JOB_DISTRIBUTIONS) == set()


def test_the_pinned_modules_bring_everything_they_require():
    from importlib import metadata

    from packaging.requirements import Requirement

    pinned = set(JOB_DISTRIBUTIONS)
    for name in pinned:
        extras = {"binary"} if name == "psycopg" else set()
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            wanted = any(
                requirement.marker is None or requirement.marker.evaluate({"extra": e}) for e in extras or {""}
            )
            needed = requirement.name.lower().replace("_", "-")
            if wanted:
                assert needed in pinned | GLUE_PROVIDED, (
                    f"{name} requires {needed}, which is neither pinned nor in Glue"
                )


def test_one_pipeline_per_contract_schedule_runs_ingest_then_curate_then_serve(stack):
    machines = _machines(stack)
    job_names = {
        f"${{aws_glue_job.{address}.name}}": job["name"] for address, job in stack.resources("aws_glue_job").items()
    }
    schedules = {contract.delivery_schedule for contract in all_contracts().values()}
    assert len(machines) == len(schedules)
    by_datasets = {}
    for definition in machines.values():
        steps = [s for s in definition["States"].values() if s["Type"] == "Task"]
        curate = next(s for s in steps if job_names[s["Parameters"]["JobName"]].endswith("-curate"))
        datasets = curate["Parameters"]["Arguments"]["--datasets"].split(",")
        by_datasets[",".join(datasets)] = [job_names[s["Parameters"]["JobName"]].split("-", 2)[2] for s in steps]
        assert curate["Parameters"]["Arguments"]["--run_date.$"] == "$.run_date"
        assert len({load_contract(dataset).delivery_schedule for dataset in datasets}) == 1
    assert by_datasets["products"] == ["ingest-catalog", "curate", "serve"]
    assert by_datasets["customers,order_lines,orders"] == ["curate", "serve"]


def test_each_schedule_is_its_contracts_cron_in_utc_and_starts_its_pipeline(stack):
    machines = {m["name"]: address for address, m in stack.resources("aws_sfn_state_machine").items()}
    for schedule in stack.resources("aws_scheduler_schedule").values():
        cron = schedule["description"].rsplit("(", 1)[1].removesuffix(" UTC)")
        assert schedule["schedule_expression"] == CronSchedule(cron).aws_expression()
        assert schedule["schedule_expression_timezone"] == "UTC"
        assert schedule["target"]["arn"] == f"${{aws_sfn_state_machine.{machines[_name_started(schedule)]}.arn}}"
        assert json.loads(schedule["target"]["input"]) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}


def _pipelines_key(stack) -> str:
    (address,) = [a for a, k in stack.resources("aws_kms_key").items() if k["tags"]["purpose"] == "pipelines"]
    return f"${{aws_kms_key.{address}.arn}}"


def test_state_machines_and_their_schedules_are_encrypted_with_the_pipelines_customer_managed_key(stack):
    key = _pipelines_key(stack)
    for machine in stack.resources("aws_sfn_state_machine").values():
        assert machine["encryption_configuration"] == {
            "type": "CUSTOMER_MANAGED_KMS_KEY",
            "kms_key_id": key,
            "kms_data_key_reuse_period_seconds": 300,
        }, machine["name"]
    assert {s["kms_key_arn"] for s in stack.resources("aws_scheduler_schedule").values()} == {key}


def test_the_roles_around_the_pipelines_use_their_key_only_for_this_environments_pipelines(stack, environments):
    """Step Functions' documented grants: the execution role as itself under the state machine's ARN and for its
    log delivery; the scheduler role decrypts its schedules' payloads and starts executions through Step
    Functions; the people following runs read them through Step Functions."""
    env = _env(stack, environments)
    regional = f"{env.region}:{env.account_id}"
    key = _pipelines_key(stack)
    pipelines = f"arn:aws:states:{regional}:stateMachine:{stack.name}-pipeline-*"
    machines = {"kms:EncryptionContext:aws:states:stateMachineArn": pipelines}
    through_states = {"StringEquals": {"kms:ViaService": f"states.{env.region}.amazonaws.com"}, "ArnLike": machines}
    orchestration = role_statements(stack, "pipeline-orchestration")
    assert orchestration["EncryptItsExecutionsWithThePipelinesKey"]["Condition"] == {"ArnLike": machines}
    assert orchestration["EncryptExecutionLogsForTheirDelivery"]["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:SourceArn": f"arn:aws:logs:{regional}:*"}
    }
    scheduler = role_statements(stack, "pipeline-scheduler")
    assert scheduler["DecryptSchedulePayloads"]["Action"] == ["kms:Decrypt"]
    schedules = f"arn:aws:scheduler:{regional}:schedule/*/{stack.name}-*"
    assert scheduler["DecryptSchedulePayloads"]["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:scheduler:schedule:arn": schedules}
    }
    assert scheduler["EncryptExecutionInputThroughStepFunctions"]["Condition"] == through_states
    for persona in ("data-engineer", "devops-sre"):
        assert role_statements(stack, persona)["ReadPipelineRunsThroughStepFunctions"]["Condition"] == through_states
    for statements in (orchestration, scheduler):
        assert all(
            s["Resource"] == [key] for s in statements.values() if any(a.startswith("kms:") for a in s["Action"])
        )


def _name_started(schedule: dict) -> str:
    return schedule["description"].split(" ")[1].removesuffix(":")


def test_each_step_retries_with_exponential_backoff_from_the_environment(stack, environments):
    env = _env(stack, environments).processing
    for definition in _machines(stack).values():
        for state in (s for s in definition["States"].values() if s["Type"] == "Task"):
            (retry,) = state["Retry"]
            assert (retry["MaxAttempts"], retry["IntervalSeconds"], retry["BackoffRate"]) == (
                env.retry_attempts,
                env.retry_interval_seconds,
                env.retry_backoff_rate,
            )
            assert state["Resource"] == "arn:aws:states:::glue:startJobRun.sync"


def test_a_failed_timed_out_or_aborted_pipeline_run_alerts_the_topic(stack):
    (rule,) = [r for r in stack.resources("aws_cloudwatch_event_rule").values() if "pipeline-run-failures" in r["name"]]
    pattern = json.loads(rule["event_pattern"])
    assert pattern["detail"]["status"] == ["FAILED", "TIMED_OUT", "ABORTED"]
    assert len(pattern["detail"]["stateMachineArn"]) == len(_machines(stack))
    (target,) = [t for t in stack.resources("aws_cloudwatch_event_target").values() if "pipeline" in t["rule"]]
    assert target["arn"].startswith("${aws_sns_topic.")
    assert "#a-pipeline-run-failed-or-timed-out" in target["input_transformer"]["input_template"]


def test_a_schedule_that_does_not_start_its_pipeline_alarms(stack):
    missing = _alarms(stack, "runs-missing-")
    assert len(missing) == len(_machines(stack))
    for alarm in missing.values():
        assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/States", "ExecutionsStarted")
        assert alarm["treat_missing_data"] == "breaching" and alarm["comparison_operator"] == "LessThanThreshold"
        assert alarm["datapoints_to_alarm"] == alarm["evaluation_periods"]
        # CloudWatch evaluates at most seven days.
        assert alarm["period"] * alarm["evaluation_periods"] <= 7 * 86400
    assert missing["15-x-x-x-x"]["evaluation_periods"] == 2
    assert missing["0-3-x-x-1"]["evaluation_periods"] == 168


def test_each_dataset_alarms_when_its_freshness_exceeds_its_contracts_latency_sla(stack):
    freshness = _alarms(stack, "freshness-")
    for dataset, contract in all_contracts().items():
        alarm = freshness[dataset.replace("_", "-")]
        assert alarm["metric_name"] == "FreshnessHours" and alarm["dimensions"] == {"Dataset": dataset}
        assert alarm["threshold"] == contract.freshness_sla_hours
        assert alarm["comparison_operator"] == "GreaterThanThreshold"


def test_the_dashboard_shows_the_share_within_sla_and_the_run_success_rate(stack):
    (dashboard,) = [d for d in stack.resources("aws_cloudwatch_dashboard").values() if "sla" in d["dashboard_name"]]
    body = dashboard["dashboard_body"]
    assert "DatasetsWithinSlaPercent" in body and "ExecutionsSucceeded" in body and "ExecutionsFailed" in body


def test_no_aws_schedule_expression_uses_both_day_fields_or_unix_weekdays():
    assert CronSchedule("0 3 * * 1").aws_expression() == "cron(0 3 ? * MON *)"
    assert CronSchedule("0 3 * * 0").aws_expression() == "cron(0 3 ? * SUN *)"
    assert CronSchedule("*/15 * * * *").aws_expression() == "cron(0/15 * * * ? *)"
    with pytest.raises(ScheduleError, match="not both"):
        CronSchedule("0 3 1 * 1")
    with pytest.raises(ScheduleError, match="five fields"):
        CronSchedule("nightly")


def test_adding_a_dataset_is_one_contract_file_and_no_stack_code(environments, tmp_path):
    """A new contract with a schedule of its own gets its pipeline, schedule, alarms and place on the dashboard."""
    from main import build_app

    added = CONTRACTS_DIR / "returns.yaml"
    document = (CONTRACTS_DIR / "market_indicators.yaml").read_text()
    document = document.replace("name: market_indicators", "name: returns").replace('"0 6 * * *"', '"30 4 * * *"')
    assert not added.exists()
    added.write_text(document.replace("id: northwind-market-indicators", "id: northwind-returns"))
    try:
        load_contract.cache_clear()
        build_app(environments, tmp_path, only={"dev"}).synth()
    finally:
        added.unlink()
        load_contract.cache_clear()
    config = json.loads((tmp_path / "stacks" / "northwind-dev" / "cdk.tf.json").read_text())
    resources = config["resource"]
    names = {m["name"] for m in resources["aws_sfn_state_machine"].values()}
    assert "northwind-dev-pipeline-30-4-x-x-x" in names
    assert any(s["schedule_expression"] == "cron(30 4 * * ? *)" for s in resources["aws_scheduler_schedule"].values())
    alarms = {a["alarm_name"] for a in resources["aws_cloudwatch_metric_alarm"].values()}
    assert {"northwind-dev-freshness-returns", "northwind-dev-runs-missing-30-4-x-x-x"} <= alarms
    definition = next(
        json.loads(m["definition"]) for m in resources["aws_sfn_state_machine"].values() if "30-4" in m["name"]
    )
    # It feeds no serving table, so its pipeline is curation alone.
    assert [s for s in definition["States"] if s not in ("RunDate", "RunDateFromSchedule")] == ["curate"]
    assert Path(CONTRACTS_DIR / "returns.yaml").exists() is False


def test_the_processing_report_lists_jobs_pipelines_alarms_and_secrets(synthesized):
    from scripts.report_processing import job_rows, pipeline_rows, secret_rows, sla_alarm_rows

    config = synthesized["dev"].config
    assert len(job_rows(config)) == len(entry_scripts())
    assert any(row[3] == "ingest-catalog -> curate -> serve" for row in pipeline_rows(config))
    assert len(sla_alarm_rows(config)) == len(all_contracts()) + len(pipeline_rows(config))
    assert {row[0] for row in secret_rows(config)} == {
        "northwind-dev/pseudonym-key",
        "northwind-dev/catalog-token",
        "northwind-dev/rapidapi",
    }
