"""Lake Formation governance: administrators, classification and zone LF-tags, tag-based grants."""

from modules.governance.construct import Governance
from modules.governance.grants import default_grants
from modules.governance.props import CLASSIFICATION_TAG, ZONE_TAG, GovernanceProps, TagGrant

__all__ = ["CLASSIFICATION_TAG", "ZONE_TAG", "Governance", "GovernanceProps", "TagGrant", "default_grants"]
