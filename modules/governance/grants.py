"""Who may read what in the lake: the tag-based grants of each persona and service."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from etl.lake import ZONES
from modules.classification import SENSITIVITY_ORDER, Classification
from modules.governance.props import TagGrant
from modules.identity.props import Persona, ServiceRole

READ = ("DESCRIBE", "SELECT")
READ_WRITE = ("ALTER", "DELETE", "DESCRIBE", "INSERT", "SELECT")
NOT_PII = tuple(c for c in SENSITIVITY_ORDER if c is not Classification.CONFIDENTIAL_PII)


def default_grants(role_arn: Callable[[Persona | ServiceRole], str]) -> Mapping[str, TagGrant]:
    """The platform's grants (docs/adr/0012-lake-formation-tag-based-access.md).

    Raw data is for the pipeline and data engineers; curated PII only for those who build on it; analytics
    engineers, the analytics service and application engineers read every column not classified
    confidential PII (column-level tags, docs/adr/0061-column-level-classification-tags.md); operations see
    metadata only. The governance persona administers Lake Formation and needs no grant.
    """
    return {
        Persona.DATA_ENGINEER.value: TagGrant(
            role_arn(Persona.DATA_ENGINEER), ZONES, SENSITIVITY_ORDER, READ_WRITE, ("CREATE_TABLE", "DESCRIBE")
        ),
        Persona.ANALYTICS_ENGINEER.value: TagGrant(
            role_arn(Persona.ANALYTICS_ENGINEER), ("curated", "reports"), NOT_PII, READ
        ),
        Persona.APPLICATION_ENGINEER.value: TagGrant(
            role_arn(Persona.APPLICATION_ENGINEER), ("curated",), NOT_PII, READ
        ),
        Persona.DEVOPS_SRE.value: TagGrant(role_arn(Persona.DEVOPS_SRE), ZONES, SENSITIVITY_ORDER, ("DESCRIBE",)),
        ServiceRole.GLUE_JOBS.value: TagGrant(
            role_arn(ServiceRole.GLUE_JOBS), ZONES, SENSITIVITY_ORDER, READ_WRITE, ("CREATE_TABLE", "DESCRIBE")
        ),
        ServiceRole.ANALYTICS_INSTANCES.value: TagGrant(
            role_arn(ServiceRole.ANALYTICS_INSTANCES), ("curated",), NOT_PII, READ
        ),
    }
