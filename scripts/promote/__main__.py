"""The promotion pipeline's steps, one sub-command each (docs/runbooks/deploy-and-promote.md).

    python3 -m scripts.promote plan --stack-dir cdktf.out/stacks/northwind-dev --out plan
    python3 -m scripts.promote apply --stack-dir ... --plan-dir plan --approved-sha256 <sha256> --out live
    python3 -m scripts.promote summary plan/plan.json
    python3 -m scripts.promote smoke --environment dev ...

Standard library only (boto3 for ``smoke``): the pipeline's builds run it with the build image's Python.
Exit 0 on success, 1 when a step refuses or fails (one line saying why), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from scripts.promote import packaging, promotion, smoke
from scripts.promote.profile import write_profile
from scripts.promote.saved_plan import apply_plan, make_plan
from scripts.promote.summary import summarise
from scripts.promote.synth_plan import plan_between
from scripts.promote.terraform import PromotionError, Terraform, echo, fail


def _plan(args: argparse.Namespace) -> None:
    make_plan(Terraform(args.stack_dir), args.out)


def _apply(args: argparse.Namespace) -> None:
    apply_plan(Terraform(args.stack_dir), args.plan_dir, args.approved_sha256, args.out)


def _summary(args: argparse.Namespace) -> None:
    plan = json.loads(args.plan_json.read_text(encoding="utf-8"))
    summary = summarise(plan, args.stack or args.plan_json.stem)
    echo(summary.render())


def _plan_from_synth(args: argparse.Namespace) -> None:
    before, after = (json.loads(path.read_text(encoding="utf-8")) for path in (args.before, args.after))
    plan = plan_between(before, after)
    args.out.write_text(json.dumps(plan, indent=1), encoding="utf-8")
    echo(f"{len(plan['resource_changes'])} resource changes from {args.before} to {args.after} in {args.out}")


def _verify(args: argparse.Namespace) -> None:
    promotion.verify_promotion(args.record, args.environment, args.commit)
    echo(f"{args.environment} applied and smoke-tested commit {args.commit}: it may be promoted")


def _assume(args: argparse.Namespace) -> None:
    config = Path.home() / ".aws" / "northwind-target-config"
    sys.stdout.write(write_profile(config, args.role_arn, args.session, args.region))


def _requirements(args: argparse.Namespace) -> None:
    packages = packaging.write_requirements(args.lock, args.out)
    echo(f"{len(packages)} hash-pinned requirements for the later steps in {args.out}: {', '.join(packages)}")


def _lock_providers(args: argparse.Namespace) -> None:
    locked = packaging.lock_providers(args.stacks_dir)
    echo(f"providers locked for {len(locked)} stack(s): {', '.join(locked)}")


def _smoke(args: argparse.Namespace) -> None:
    import boto3

    outputs = json.loads(args.outputs.read_text(encoding="utf-8"))
    if "load_balancer_dns_name" not in outputs:
        raise PromotionError(f"{args.outputs} has no load_balancer_dns_name output; was the apply complete?")
    address = outputs["load_balancer_dns_name"]["value"]
    delivery = boto3.Session(region_name=args.region)
    credentials = delivery.client("sts").assume_role(
        RoleArn=args.role_arn, RoleSessionName=f"northwind-{args.environment}-smoke"
    )["Credentials"]
    target = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=args.region,
    )
    checks = [lambda path=path: smoke.check_health(address, args.hostname, path) for path in smoke.HEALTH_PATHS]
    if args.glue_job:
        checks.append(lambda: smoke.check_glue_dry_run(target.client("glue"), args.glue_job))
    checks.append(lambda: smoke.check_alarms(target.client("cloudwatch"), args.alarm_prefix))
    results = smoke.run_checks(checks)
    failed = [r for r in results if not r.passed]
    if not failed:
        promotion.write_record(args.out, args.environment, args.commit, smoke.as_records(results))
        echo(f"smoke test of {args.environment} passed: {len(results)} checks; commit {args.commit} may be promoted")
        return
    plan = json.loads(args.plan.read_text(encoding="utf-8"))
    previous = smoke.previous_passed_execution(
        delivery.client("codepipeline"), args.pipeline, args.stage, os.environ.get("PIPELINE_EXECUTION_ID")
    )
    echo(
        smoke.rollback_instructions(args.environment, args.pipeline, args.stage, previous, smoke.artifact_changes(plan))
    )
    raise PromotionError(f"smoke test of {args.environment} failed: {len(failed)} of {len(results)} checks")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python3 -m scripts.promote", description=__doc__.split("\n\n")[0])
    commands = root.add_subparsers(dest="command", required=True)

    plan = commands.add_parser("plan", help="terraform plan -out, with the summary and the state fingerprint")
    plan.add_argument("--stack-dir", type=Path, required=True)
    plan.add_argument("--out", type=Path, required=True)
    plan.set_defaults(run=_plan)

    apply = commands.add_parser("apply", help="apply the approved saved plan, refusing when state moved")
    apply.add_argument("--stack-dir", type=Path, required=True)
    apply.add_argument("--plan-dir", type=Path, required=True)
    apply.add_argument("--approved-sha256", default="")
    apply.add_argument("--out", type=Path, required=True)
    apply.set_defaults(run=_apply)

    summary = commands.add_parser("summary", help="summarise a plan in Terraform's JSON format")
    summary.add_argument("plan_json", type=Path)
    summary.add_argument("--stack", default=None)
    summary.set_defaults(run=_summary)

    synthesized = commands.add_parser(
        "plan-from-synth", help="a JSON plan between two synthesized stacks, where no real plan can run"
    )
    synthesized.add_argument("before", type=Path)
    synthesized.add_argument("after", type=Path)
    synthesized.add_argument("--out", type=Path, required=True)
    synthesized.set_defaults(run=_plan_from_synth)

    verify = commands.add_parser("verify-promotion", help="refuse a commit the previous environment did not pass")
    verify.add_argument("--record", type=Path, required=True)
    verify.add_argument("--environment", required=True)
    verify.add_argument("--commit", required=True)
    verify.set_defaults(run=_verify)

    assume = commands.add_parser("assume", help="print the shell lines selecting a profile for a target role")
    assume.add_argument("--role-arn", required=True)
    assume.add_argument("--session", required=True)
    assume.add_argument("--region", required=True)
    assume.set_defaults(run=_assume)

    requirements = commands.add_parser("requirements", help="hash-pinned requirements of the later steps")
    requirements.add_argument("--lock", type=Path, default=Path("Pipfile.lock"))
    requirements.add_argument("--out", type=Path, required=True)
    requirements.set_defaults(run=_requirements)

    lock = commands.add_parser("lock-providers", help="write every stack's .terraform.lock.hcl")
    lock.add_argument("stacks_dir", type=Path)
    lock.set_defaults(run=_lock_providers)

    smoke_test = commands.add_parser("smoke", help="health, dry-run job and alarms after an apply")
    for option in ("--environment", "--commit", "--role-arn", "--region", "--hostname", "--alarm-prefix"):
        smoke_test.add_argument(option, required=True)
    for option in ("--outputs", "--plan", "--out"):
        smoke_test.add_argument(option, type=Path, required=True)
    smoke_test.add_argument("--pipeline", required=True)
    smoke_test.add_argument("--stage", required=True)
    smoke_test.add_argument("--glue-job", default=None)
    smoke_test.set_defaults(run=_smoke)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except (PromotionError, OSError, ValueError) as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
