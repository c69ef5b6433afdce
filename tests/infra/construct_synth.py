"""Synthesize one construct in a throwaway stack (the provider bindings are loaded once per test run)."""

from __future__ import annotations

import json
from collections.abc import Callable

from constructs import Construct


def synth_construct(build: Callable[[Construct], object]) -> dict:
    """The Terraform JSON of a stack holding only what ``build(stack)`` creates."""
    from cdktf import TerraformStack, Testing
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    app = Testing.app()
    stack = TerraformStack(app, "construct-under-test")
    AwsProvider(stack, "aws", region="eu-west-2")
    build(stack)
    return json.loads(Testing.synth(stack))
