"""The promotion pipeline's artifacts and the inline buildspecs of its four kinds of build.

Every step after the build runs ``python3 -m scripts.promote`` from the built artifact with the build image's
own Python: those commands use the standard library only (boto3 for the smoke test, installed from the
lock's hashes), so no step after the build installs the application's environment or synthesizes again.
"""

from __future__ import annotations

import shlex

import yaml

from modules.delivery.props import PromotionTarget

SOURCE_ARTIFACT = "source"
BUILT_ARTIFACT = "built"
# Folders inside the step artifacts, as ``scripts/promote`` writes them.
PLAN_DIR = "plan"
LIVE_DIR = "live"
VERIFIED_DIR = "promotion"
# The plan build exports these; the approval shows them and the apply build checks the plan's hash.
PLAN_VARIABLES = ("PLAN_SHA256", "PLAN_HEADLINE", "PLAN_BUILD_ID")
# Kept out of the built artifact: installed environments and Terraform's provider downloads.
BUILT_EXCLUDES = (".git/**/*", ".venv/**/*", "policy/.venv/**/*", "node_modules/**/*", "**/.terraform/**/*")
DELIVERY_REQUIREMENTS = "dist/delivery-requirements.txt"
INSTALL_STEP_REQUIREMENTS = f"python3 -m pip install --quiet --no-deps --require-hashes -r {DELIVERY_REQUIREMENTS}"

# The Terraform CLI the steps drive; the standard image has none, so each build installs this release,
# verified against HashiCorp's published checksums.
TERRAFORM_VERSION = "1.11.4"
_TERRAFORM_RELEASE = f"https://releases.hashicorp.com/terraform/{TERRAFORM_VERSION}/terraform_{TERRAFORM_VERSION}"
INSTALL_TERRAFORM = (
    f"cd /tmp && curl -fsSLO {_TERRAFORM_RELEASE}_linux_amd64.zip && curl -fsSLO {_TERRAFORM_RELEASE}_SHA256SUMS"
    f" && grep linux_amd64.zip terraform_{TERRAFORM_VERSION}_SHA256SUMS | sha256sum -c -"
    f" && unzip -o -q terraform_{TERRAFORM_VERSION}_linux_amd64.zip -d /usr/local/bin && cd -"
)


def plan_artifact(environment: str) -> str:
    """The saved plan, its JSON, summary and the state fingerprint it was made against."""
    return f"plan_{environment}"


def live_artifact(environment: str) -> str:
    """What the apply left: Terraform's outputs of the environment."""
    return f"live_{environment}"


def verified_artifact(environment: str) -> str:
    """The smoke test's record that this commit was applied and passed in the environment."""
    return f"ok_{environment}"


def _spec(commands: list[str], artifact_files: list[str], *, terraform: bool, **extra: object) -> str:
    spec: dict[str, object] = {
        "version": 0.2,
        "env": {
            "shell": "bash",
            "variables": {"CHECKPOINT_DISABLE": "1", "BC_SKIP_MAPPING": "TRUE", "TF_IN_AUTOMATION": "1"},
            **extra.pop("env", {}),
        },
        "phases": {
            # scripts/require-tools asks for Python 3.11 (as Glue 5.0); npm comes with the image.
            "install": {
                "runtime-versions": {"python": "3.11"},
                **({"commands": [INSTALL_TERRAFORM]} if terraform else {}),
            },
            "build": {"commands": commands},
        },
        "artifacts": {"files": artifact_files, **extra.pop("artifacts", {})},
    }
    return yaml.safe_dump(spec, sort_keys=False, width=200)


def build_buildspec() -> str:
    """Synthesize every stack through the policy gate, lock the providers, build the release artifacts: the
    only build of the commit, whose output every later step uses as it is."""
    return _spec(
        [
            "make synth",
            "python3 -m scripts.promote lock-providers cdktf.out/stacks",
            "make wheelhouse",
            # Run in the application's environment: the dependency closure is read from installed metadata.
            f".venv/bin/python -m scripts.promote requirements --lock Pipfile.lock --out {DELIVERY_REQUIREMENTS}",
        ],
        ["**/*"],
        terraform=True,
        artifacts={"exclude-paths": list(BUILT_EXCLUDES)},
    )


def _assume(role_arn: str, session: str, region: str) -> str:
    """Point Terraform (AWS_PROFILE) at ``role_arn``, assumed from the build's own credentials."""
    return f'eval "$(python3 -m scripts.promote assume --role-arn {role_arn} --session {session} --region {region})"'


def plan_buildspec(target: PromotionTarget, previous: PromotionTarget | None) -> str:
    """Refuse a commit the previous environment did not pass, then plan with the read-only role and export the
    plan's hash and headline for the approval."""
    commands = []
    if previous is not None:
        record = f"$CODEBUILD_SRC_DIR_{verified_artifact(previous.environment)}/{VERIFIED_DIR}/verified.json"
        commands.append(
            f'python3 -m scripts.promote verify-promotion --record "{record}" '
            f'--environment {previous.environment} --commit "$COMMIT_ID"'
        )
    commands += [
        _assume(target.plan_role_arn, f"{target.stack_name}-plan", target.region),
        f"python3 -m scripts.promote plan --stack-dir cdktf.out/stacks/{target.stack_name} --out {PLAN_DIR}",
        f"set -a && . {PLAN_DIR}/exported.env && set +a",
    ]
    return _spec(
        commands,
        [f"{PLAN_DIR}/**/*"],
        terraform=True,
        env={"exported-variables": list(PLAN_VARIABLES)},
    )


def apply_buildspec(target: PromotionTarget) -> str:
    """Publish the built wheelhouse (content-hashed, inert until the apply points the instances at it), then
    apply the saved plan as approved: its hash must match the approval's and the state must not have moved."""
    plan_dir = f"$CODEBUILD_SRC_DIR_{plan_artifact(target.environment)}/{PLAN_DIR}"
    return _spec(
        [
            INSTALL_STEP_REQUIREMENTS,
            _assume(target.deploy_role_arn, f"{target.stack_name}-apply", target.region),
            f"python3 -m scripts.publish_wheelhouse {target.environment} --wheelhouse dist/wheelhouse",
            f"python3 -m scripts.promote apply --stack-dir cdktf.out/stacks/{target.stack_name} "
            f'--plan-dir "{plan_dir}" --approved-sha256 "$APPROVED_PLAN_SHA256" --out {LIVE_DIR}',
        ],
        [f"{LIVE_DIR}/**/*"],
        terraform=True,
    )


def smoke_buildspec(target: PromotionTarget, pipeline_name: str) -> str:
    """Health of the load balancer and database, a dry-run Glue job, quiet alarms; on failure, the rollback."""
    live = f"$CODEBUILD_SRC_DIR_{live_artifact(target.environment)}/{LIVE_DIR}"
    plan = f"$CODEBUILD_SRC_DIR_{plan_artifact(target.environment)}/{PLAN_DIR}"
    arguments = [
        f"--environment {target.environment}",
        '--commit "$COMMIT_ID"',
        f"--role-arn {target.smoke_test_role_arn}",
        f"--region {target.region}",
        f'--outputs "{live}/outputs.json"',
        f'--plan "{plan}/plan.json"',
        f"--hostname {shlex.quote(target.service_hostname)}",
        f"--alarm-prefix {target.alarm_prefix}",
        f"--pipeline {pipeline_name}",
        f"--stage {target.stage_name}",
        f"--out {VERIFIED_DIR}",
    ]
    if target.smoke_job_name:
        arguments.append(f"--glue-job {target.smoke_job_name}")
    return _spec(
        [
            INSTALL_STEP_REQUIREMENTS,
            "python3 -m scripts.promote smoke " + " ".join(arguments),
        ],
        [f"{VERIFIED_DIR}/**/*"],
        terraform=False,
    )
