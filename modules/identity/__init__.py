"""IAM roles for the personas (data, analytics and application engineers, governance, DevOps) and services."""

from modules.identity.construct import Identity, persona_trust_policy
from modules.identity.props import SERVICE_PRINCIPALS, IdentityProps, Persona, ServiceRole

__all__ = ["SERVICE_PRINCIPALS", "Identity", "IdentityProps", "Persona", "ServiceRole", "persona_trust_policy"]
