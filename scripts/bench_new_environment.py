"""A fourth environment from nothing to its first plan, every step that runs here timed, the rest estimated.

    python -m scripts.bench_new_environment [--name qa] [--out bench-results]   (make bench-new-environment)

Runs in a scratch copy of ``environments/``: writes the new definition (``scripts.new_environment``),
validates every definition, bootstraps the new account on moto (AWS itself is not reachable here: the account
baseline, the state backend and the service certificate, as ``docs/runbooks/new-environment.md`` runs them), synthesizes
every stack through the policy gate, and summarises the first plan (built from the synthesized stack: no
provider can run here). The pipeline's own steps are estimated, the apply by its critical path
(``scripts.apply_estimate``). Prints the table and writes ``<out>/new-environment.{json,md}``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from environments import DEFINITIONS_DIR, load_delivery, load_environments
from scripts.apply_estimate import creation_time, estimate_apply
from scripts.new_environment import scaffold
from scripts.policy_gate import SUPPRESSIONS_FILE
from scripts.promote.summary import summarise
from scripts.promote.synth_plan import plan_between

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_MINUTES = 30
console = Console(highlight=False, width=int(os.environ.get("COLUMNS", "160")))
app = typer.Typer(add_completion=False, help=__doc__)


@dataclass(frozen=True)
class Step:
    """One step of the sequence: measured here, or estimated (with where the figure comes from)."""

    name: str
    seconds: float
    how: str
    counted: bool = True


def timed(name: str, run: Callable[[], object], how: str) -> tuple[Step, object]:
    console.print(f"==> {name} ...")
    started = time.monotonic()
    result = run()
    seconds = time.monotonic() - started
    console.print(f"    {seconds:.1f} s")
    return Step(name, seconds, how), result


# A sample workforce identity provider's metadata: the real one comes from the organisation's identity provider.
SAMPLE_SAML_METADATA = REPO_ROOT / "tests" / "support" / "workforce-idp-metadata.xml"


def _bootstrap_on_moto(definitions: Path, name: str) -> dict[str, str]:
    """The new account's bootstrap against moto's in-process AWS, under the new environment's account id: the
    account baseline (identity provider, boundaries, break-glass, plan and deploy roles, Config's role, Glue's
    default database), the state backend and the service certificate, in the runbook's order."""
    from moto import mock_aws
    from moto.core import DEFAULT_ACCOUNT_ID

    from scripts.bootstrap_account import bootstrap_account
    from scripts.bootstrap_state import bootstrap
    from scripts.service_certificate import ensure_certificate

    environments = load_environments(definitions)
    env = environments[name].model_copy(update={"account_id": DEFAULT_ACCOUNT_ID})
    delivery = load_delivery(definitions, environments)
    # The break-glass role attaches AWS's AdministratorAccess, which moto loads only on request.
    defaults = {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
    }
    for variable, value in defaults.items():
        os.environ.setdefault(variable, value)
    import boto3

    with mock_aws():
        session = boto3.Session(region_name=env.region)
        account = bootstrap_account(env, delivery, session, SAMPLE_SAML_METADATA.read_text(encoding="utf-8"))
        steps = dict(account.report.steps)
        steps.update(bootstrap(env, session).steps)
        certificate = ensure_certificate(session.client("acm"), env.compute.certificate_domain, wait_seconds=0)
        steps["service certificate"] = certificate.outcome
        return steps


def _synth(definitions: Path, suppressions: Path, outdir: Path) -> None:
    command = [sys.executable, "-m", "scripts.synth", "--definitions", str(definitions), "--outdir", str(outdir)]
    completed = subprocess.run(
        [*command, "--suppressions", str(suppressions)], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"make synth failed for the new environment:\n{completed.stdout[-3000:]}")


def pipeline_estimates(stack_config: dict) -> list[Step]:
    """The promotion pipeline's steps for the new environment, which cannot run here."""
    apply = estimate_apply(stack_config)
    chain = " -> ".join(a.split(".")[0].removeprefix("aws_") for a in apply.critical_path)
    return [
        Step(
            "pipeline build (make synth in CodeBuild, cold)",
            240,
            "estimate: ~3 min cold synth measured on a fresh clone (shared field notes) + build provisioning",
        ),
        Step("plan step (provision, terraform init, plan of a new stack)", 150, "estimate: no resource to refresh"),
        Step("approval (platform lead reads the summary)", 300, "estimate: a person; not counted", counted=False),
        Step(
            "apply step (the saved plan)",
            apply.seconds + 90,
            f"critical path {apply.critical_path_seconds} s ({chain}) + 90 s provisioning and init; the "
            f"providers' ceilings on that path add up to {apply.ceiling_path_seconds} s",
        ),
        Step("smoke test (health, dry-run Glue job, alarms)", 150, "estimate: Glue job start-up dominates"),
    ]


def render(steps: list[Step]) -> tuple[Table, str, float]:
    table = Table(title="A new environment, from nothing to a deployed and smoke-tested stack")
    for column in ("#", "step", "seconds", "how"):
        table.add_column(column, justify="right" if column in ("#", "seconds") else "left")
    lines = ["| # | step | seconds | how |", "| --- | --- | --- | --- |"]
    for number, step in enumerate(steps, start=1):
        seconds = f"{step.seconds:.1f}" + ("" if step.counted else " (not counted)")
        table.add_row(str(number), step.name, seconds, step.how)
        lines.append(f"| {number} | {step.name} | {seconds} | {step.how} |")
    total = sum(s.seconds for s in steps if s.counted)
    verdict = f"total {total / 60:.1f} min against the brief's {TARGET_MINUTES} min"
    lines.append(f"| | **total (counted steps)** | **{total:.0f}** | {verdict} |")
    return table, "\n".join(lines) + "\n", total


@app.command()
def main(
    name: Annotated[str, typer.Option(help="The new environment's name.")] = "qa",
    out: Annotated[Path, typer.Option(help="Where the results are written.")] = REPO_ROOT / "bench-results",
) -> None:
    with tempfile.TemporaryDirectory(prefix="new-environment-") as scratch:
        definitions = Path(scratch) / "environments"
        shutil.copytree(DEFINITIONS_DIR, definitions, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        suppressions = Path(scratch) / "suppressions.yaml"
        shutil.copy(SUPPRESSIONS_FILE, suppressions)
        steps = []
        step, _ = timed(
            "write the definition (scripts.new_environment)",
            lambda: scaffold(
                definitions,
                name,
                "stage",
                "555555555555",
                "10.40.0.0/16",
                f"analytics.{name}.northwind.example",
                "dev",
                suppressions,
            ),
            "measured here",
        )
        steps.append(step)
        step, _ = timed(
            "validate every definition",
            lambda: load_delivery(definitions, load_environments(definitions)),
            "measured here",
        )
        steps.append(step)
        step, report = timed(
            "bootstrap the new account", lambda: _bootstrap_on_moto(definitions, name), "measured here on moto"
        )
        steps.append(
            Step(step.name, step.seconds, f"measured on moto: {', '.join(f'{k} {v}' for k, v in report.items())}")
        )
        outdir = Path(scratch) / "cdktf.out"
        step, _ = timed(
            "synthesize every stack and run the policy gate",
            lambda: _synth(definitions, suppressions, outdir),
            "measured here",
        )
        steps.append(step)
        stack_config = json.loads((outdir / "stacks" / f"northwind-{name}" / "cdk.tf.json").read_text())
        step, summary = timed(
            "the first plan's summary",
            lambda: summarise(plan_between({}, stack_config), f"northwind-{name}"),
            "measured here on a plan built from the synthesized stack",
        )
        steps.append(Step(step.name, step.seconds, f"{step.how}: {summary.headline()}"))
        steps += pipeline_estimates(stack_config)
    table, markdown, total = render(steps)
    console.print(table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "new-environment.md").write_text(markdown, encoding="utf-8")
    types = sorted({t for t in stack_config.get("resource", {})})
    (out / "new-environment.json").write_text(
        json.dumps(
            {
                "steps": [asdict(s) for s in steps],
                "total_seconds": total,
                "target_minutes": TARGET_MINUTES,
                "creation_seconds": {t: asdict(creation_time(t)) for t in types},
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    within = "within" if total <= TARGET_MINUTES * 60 else "over"
    console.print(f"new environment: {total / 60:.1f} min in total, {within} the {TARGET_MINUTES}-minute target; {out}")


if __name__ == "__main__":
    sys.exit(app())
