"""Every IAM role a stack creates carries the account's permissions boundary, whoever creates it."""

from __future__ import annotations

import jsii
from cdktf import Aspects, IAspect, TerraformStack
from cdktf_cdktf_provider_aws.data_aws_iam_policy import DataAwsIamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from constructs import IConstruct


@jsii.implements(IAspect)
class PermissionsBoundary:
    """A stack aspect: sets ``permissions_boundary`` on every ``IamRole`` in the tree before synthesis.

    Applied once to the stack, so a role added by any construct, now or later, is bounded without that
    construct knowing; a role that names another boundary is an error, not silently overridden. The boundary
    policy itself belongs to the account bootstrap, out of the deploy role's reach
    (docs/adr/0076-permissions-boundary-and-trust-conditions-enforced-centrally.md).
    """

    def __init__(self, boundary_arn: str) -> None:
        self.boundary_arn = boundary_arn

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, IamRole):
            return
        current = node.permissions_boundary_input
        if current and current != self.boundary_arn:
            raise ValueError(f"role {node.node.path} names its own permissions boundary; the stack's applies to all")
        node.permissions_boundary = self.boundary_arn


def bound_every_role(stack: TerraformStack, boundary_arn: str) -> DataAwsIamPolicy:
    """Look up the account bootstrap's boundary (a plan in an account without it fails, naming it) and set it
    on every role of ``stack``; returns the lookup."""
    boundary = DataAwsIamPolicy(stack, "permissions-boundary", arn=boundary_arn)
    Aspects.of(stack).add(PermissionsBoundary(boundary.arn))
    return boundary
