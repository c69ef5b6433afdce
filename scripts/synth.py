"""The main job: synthesize every environment's stack, run the policy gate, print a per-stack summary.

python -m scripts.synth [--env NAME] [--outdir cdktf.out]
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from environments import DEFINITIONS_DIR, EnvironmentDefinitionError, load_delivery, load_environments
from scripts.policy_gate import SUPPRESSIONS_FILE, GateResult, PolicyGateError, Scanners, run_gate

REPO_ROOT = Path(__file__).resolve().parent.parent
console = Console(highlight=False, width=int(os.environ.get("COLUMNS", "140")))
app = typer.Typer(add_completion=False, help=__doc__)


def _fail(message: str) -> None:
    # Messages quote patterns such as [a-z]; escaping keeps rich from reading them as markup.
    console.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(2)


def _count_resources(stack_file: Path) -> int:
    config = json.loads(stack_file.read_text(encoding="utf-8"))
    return sum(len(by_name) for by_name in config.get("resource", {}).values())


def _summary(result: GateResult, stack_files: dict[str, Path]) -> Table:
    table = Table(title="Synthesized stacks and the policy gate")
    for column in ("stack", "resources", "checks passed", "failed", "suppressed", "output"):
        table.add_column(
            column,
            justify="right" if column in {"resources", "checks passed", "failed", "suppressed"} else "left",
        )
    for env, stack_file in stack_files.items():
        verdict = result.stacks[env]
        failed = len(verdict.failed) + len(verdict.parsing_errors)
        table.add_row(
            stack_file.parent.name,
            str(_count_resources(stack_file)),
            str(verdict.passed),
            f"[red]{failed}[/]" if failed else "0",
            str(len(verdict.suppressed)),
            str(stack_file.relative_to(REPO_ROOT) if stack_file.is_relative_to(REPO_ROOT) else stack_file),
        )
    return table


def _synthesize(environments, delivery, stacks: dict[str, str], outdir: Path, started: float) -> dict[str, Path]:
    console.print(f"==> loading the AWS provider bindings and synthesizing {len(stacks)} stack(s) ...")
    from etl.contracts import ContractError
    from main import build_app  # the provider import is the slow part: only after validation

    shutil.rmtree(outdir / "stacks", ignore_errors=True)
    # Loading the bindings and building the stacks allocate hundreds of thousands of objects that live until the
    # process ends: the cyclic garbage collector's passes over them are pure cost, so it is off while they run.
    gc.disable()
    try:
        stacks_app = build_app(environments, outdir, delivery=delivery, only=set(stacks))
        gc.enable()
        stacks_app.synth()
    except ContractError as error:
        _fail(f"a data contract cannot be deployed: {error}")
    finally:
        gc.enable()
    console.print(f"    synthesized in {time.monotonic() - started:.1f} s")
    return {name: outdir / "stacks" / stack / "cdk.tf.json" for name, stack in stacks.items()}


@app.command()
def main(
    env: Annotated[
        str | None, typer.Option(help="Synthesize one environment, or 'delivery', only (default: all).")
    ] = None,
    outdir: Annotated[Path, typer.Option(help="Where the Terraform JSON goes.")] = REPO_ROOT / "cdktf.out",
    definitions: Annotated[Path, typer.Option(help="Folder of environment definitions.")] = DEFINITIONS_DIR,
    suppressions: Annotated[Path, typer.Option(help="The reviewed suppressions file.")] = SUPPRESSIONS_FILE,
) -> None:
    """Synthesize, scan and summarize; exit 1 when the gate fails, 2 on a usage or definition error."""
    started = time.monotonic()
    try:
        environments = load_environments(definitions)
        delivery = load_delivery(definitions, environments)
    except EnvironmentDefinitionError as error:
        _fail(f"environment definitions are invalid:\n{error}")
    stacks = {name: cfg.stack_name for name, cfg in environments.items()} | {delivery.name: delivery.stack_name}
    all_names = set(stacks)
    if env is not None:
        if env not in stacks:
            _fail(f"unknown environment {env!r}; choose one of: {', '.join(sorted(stacks))}")
        stacks = {env: stacks[env]}

    try:
        # checkov loads while the stacks synthesize: one process per core, each given its share of the stacks.
        with Scanners(min(len(stacks), os.cpu_count() or 1)) as scanners:
            stack_files = _synthesize(environments, delivery, stacks, outdir, started)
            console.print("==> policy gate: checkov (terraform_json, offline) with policy/suppressions.yaml ...")
            gate_started = time.monotonic()
            result = run_gate(
                outdir / "stacks",
                {stack: name for name, stack in stacks.items()},
                suppressions_file=suppressions,
                known_environments=all_names,
                scanners=scanners,
            )
            console.print(f"    scanned in {time.monotonic() - gate_started:.1f} s")
    except PolicyGateError as error:
        _fail(str(error))
    console.print(_summary(result, stack_files))

    for verdict in result.stacks.values():
        for finding in verdict.failed:
            console.print(
                f"[red]FAILED[/] {finding.environment}: {finding.check} on {finding.resource} — {finding.name}"
            )
        for path in verdict.parsing_errors:
            console.print(f"[red]PARSING ERROR[/] {verdict.environment}: {path}")
    for suppression, env_name in result.stale_suppressions:
        console.print(
            f"[red]STALE SUPPRESSION[/] {suppression.check} on {suppression.resource} in {env_name} matches no "
            "finding; remove it from policy/suppressions.yaml"
        )
    elapsed = time.monotonic() - started
    if not result.ok:
        console.print(f"[bold red]policy gate FAILED[/] after {elapsed:.1f} s")
        raise typer.Exit(1)
    console.print(
        f"[bold green]policy gate passed[/]: {len(stack_files)} stack(s) in {elapsed:.1f} s; output in {outdir}"
    )


if __name__ == "__main__":
    sys.exit(app())
