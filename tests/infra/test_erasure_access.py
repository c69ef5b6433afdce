"""Who may erase: only the erasure job's role deletes object versions, and only the governance persona starts it."""

from __future__ import annotations

import json

from tests.infra.test_identity import policy_documents


def _role_name(stack, reference: str) -> str:
    return stack.resources("aws_iam_role")[reference.split(".")[1]]["name"]


def _erasure_job(stack) -> dict:
    (job,) = [j for j in stack.resources("aws_glue_job").values() if j["name"] == f"{stack.name}-erase-customer"]
    return job


def _allowed(stack, action: str) -> dict[str, set[str]]:
    """Role (policy address) -> resources it is allowed ``action`` on."""
    found: dict[str, set[str]] = {}
    for resource_type, address, document in policy_documents(stack):
        if resource_type != "aws_iam_role_policy":
            continue
        for statement in document.get("Statement", []):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement.get("Effect") == "Allow" and action in actions:
                role = stack.resources("aws_iam_role_policy")[address.split(".")[1]]["role"]
                found.setdefault(_role_name(stack, role), set()).update(statement["Resource"])
    return found


def test_the_erasure_job_runs_as_its_own_role_which_alone_deletes_object_versions(stack):
    job = _erasure_job(stack)
    assert _role_name(stack, job["role_arn"]) == f"{stack.name}-glue-erasure"
    deleters = _allowed(stack, "s3:DeleteObjectVersion")
    assert set(deleters) == {f"{stack.name}-glue-erasure"}
    (lake,) = [
        name
        for name, body in stack.resources("aws_s3_bucket").items()
        if body["bucket"].startswith("northwind-data-lake-") and body["bucket"].count("-") == 4
    ]
    lake_arn = f"${{aws_s3_bucket.{lake}.arn}}"
    lake_objects = {r for r in deleters[f"{stack.name}-glue-erasure"] if r.startswith(lake_arn)}
    assert lake_objects == {f"{lake_arn}/{p}*" for p in ("raw/", "curated/", "quarantine/", "reports/erasure/")}


def test_the_job_takes_only_the_request_id_per_run_never_the_customers_key(stack):
    arguments = _erasure_job(stack)["default_arguments"]
    assert "--request_id" not in arguments  # given per run
    assert not [name for name in arguments if "customer" in name]


def test_only_prod_erases_in_a_replica_and_may_delete_its_versions(environment_stacks):
    for name, stack in environment_stacks.items():
        arguments = _erasure_job(stack)["default_arguments"]
        assert ("--replica_bucket" in arguments) == (name == "prod")
    replica_deleters = {
        role: {r for r in resources if "replica" in r}
        for role, resources in _allowed(environment_stacks["prod"], "s3:DeleteObjectVersion").items()
    }
    assert replica_deleters["northwind-prod-glue-erasure"]


def test_the_erasure_role_reads_the_pseudonymization_key_through_its_resource_policy(stack):
    role = _erasure_job(stack)["role_arn"]
    secret = next(
        (k, s) for k, s in stack.resources("aws_secretsmanager_secret").items() if s["name"].endswith("/pseudonym-key")
    )
    (policy,) = [
        p
        for p in stack.resources("aws_secretsmanager_secret_policy").values()
        if p["secret_arn"] == f"${{aws_secretsmanager_secret.{secret[0]}.arn}}"
    ]
    readers = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}["ReadersReadTheValue"]
    assert role in readers["Principal"]["AWS"]


def test_the_governance_persona_requests_erasures_and_starts_only_the_erasure_job(stack):
    starters = _allowed(stack, "glue:StartJobRun")
    governance = starters[f"{stack.name}-governance-security"]
    (job,) = [k for k, j in stack.resources("aws_glue_job").items() if j["name"] == f"{stack.name}-erase-customer"]
    assert governance == {f"${{aws_glue_job.{job}.arn}}"}
    writers = _allowed(stack, "s3:PutObject")[f"{stack.name}-governance-security"]
    assert all(resource.endswith("/reports/erasure/requests/*") for resource in writers)
