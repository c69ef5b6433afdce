"""An AWS config profile that assumes the step's target role from the build's own credentials.

Terraform's provider and S3 backend pick it up through ``AWS_PROFILE``, and the SDK refreshes the assumed
credentials by itself, so an apply that outlives one session does not fail half way.
"""

from __future__ import annotations

import re
from pathlib import Path

from scripts.promote.terraform import PromotionError

PROFILE = "northwind-target"
ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]{1,64}$")
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


def profile_config(role_arn: str, session: str, region: str, credential_source: str = "EcsContainer") -> str:
    """The profile; CodeBuild serves its own credentials the way ECS containers get theirs."""
    for label, value, pattern in (("role ARN", role_arn, ROLE_ARN), ("session name", session, SESSION_NAME)):
        if not pattern.fullmatch(value):
            raise PromotionError(f"{label} {value!r} is not valid for sts:AssumeRole")
    if not REGION.fullmatch(region):
        raise PromotionError(f"region {region!r} is not an AWS region")
    return (
        f"[profile {PROFILE}]\n"
        f"role_arn = {role_arn}\n"
        f"credential_source = {credential_source}\n"
        f"role_session_name = {session}\n"
        f"region = {region}\n"
        "duration_seconds = 3600\n"
    )


def write_profile(config_file: Path, role_arn: str, session: str, region: str) -> str:
    """Write the profile and return the shell lines that select it."""
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(profile_config(role_arn, session, region), encoding="utf-8")
    return f"export AWS_CONFIG_FILE={config_file}\nexport AWS_PROFILE={PROFILE}\n"
