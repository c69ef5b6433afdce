"""IAM roles for the personas (data, analytics and application engineers, governance, DevOps) and services."""

from modules.identity.boundary import PermissionsBoundary
from modules.identity.construct import MFA_SESSION_TAG, Identity, persona_trust_policy
from modules.identity.props import SERVICE_PRINCIPALS, IdentityProps, Persona, ServiceRole, service_source_arn

__all__ = [
    "MFA_SESSION_TAG",
    "SERVICE_PRINCIPALS",
    "Identity",
    "IdentityProps",
    "PermissionsBoundary",
    "Persona",
    "ServiceRole",
    "persona_trust_policy",
    "service_source_arn",
]
