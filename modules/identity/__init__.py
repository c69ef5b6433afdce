"""IAM roles for the personas (data, analytics and application engineers, governance, DevOps) and services."""

from modules.identity.boundary import PermissionsBoundary, bound_every_role
from modules.identity.construct import Identity
from modules.identity.props import SERVICE_PRINCIPALS, IdentityProps, Persona, ServiceRole, service_source_arn
from modules.policy import MFA_SESSION_TAG, persona_trust_policy

__all__ = [
    "MFA_SESSION_TAG",
    "SERVICE_PRINCIPALS",
    "Identity",
    "IdentityProps",
    "PermissionsBoundary",
    "Persona",
    "ServiceRole",
    "bound_every_role",
    "persona_trust_policy",
    "service_source_arn",
]
