"""Links from alarms and alert rules to the runbook section a responder follows.

An alarm's or alert rule's description ends with ``Runbook: docs/runbooks/<file>.md#<anchor>``, the section a
responder follows (the delivery stack's alert tests check that its link names a heading that exists).
"""

from __future__ import annotations

RUNBOOKS_DIR = "docs/runbooks"
LINK_LABEL = "Runbook: "


def runbook_section(file: str, anchor: str) -> str:
    """``docs/runbooks/<file>#<anchor>`` (``anchor`` is the heading's GitHub anchor)."""
    return f"{RUNBOOKS_DIR}/{file}#{anchor}"


def with_runbook(description: str, section: str) -> str:
    """An alarm's or rule's description ending with the link to its runbook section."""
    return f"{description}. {LINK_LABEL}{section}"
