"""Errors a user can act on while landing data."""

from __future__ import annotations


class IngestError(RuntimeError):
    """A source could not be landed; the message names the source and what to fix."""
