"""Stand-in for ``awsglue.utils`` (test double): ``getResolvedOptions`` as Glue 5.0 implements it."""

from __future__ import annotations

import argparse


def getResolvedOptions(args: list[str], options: list[str]) -> dict[str, str]:
    """Each of ``options`` as a required ``--name value`` argument of ``args[1:]``; unknown arguments (Glue's own,
    such as ``--JOB_RUN_ID`` or ``--enable-metrics``) are ignored. A missing option ends the process with
    argparse's usage error, as in Glue."""
    parser = argparse.ArgumentParser(prog=args[0] if args else "glue-job")
    for option in options:
        parser.add_argument(f"--{option}", required=True)
    parsed, _ = parser.parse_known_args(args[1:])
    return vars(parsed)
