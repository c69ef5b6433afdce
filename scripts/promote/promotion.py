"""The record a passed smoke test leaves, and the check the next environment's plan makes on it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from scripts.promote.terraform import PromotionError

VERIFIED_FILE = "verified.json"


def write_record(out_dir: Path, environment: str, commit: str, checks: list[dict]) -> Path:
    """``verified.json``: this commit was applied to ``environment`` and passed every smoke check."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / VERIFIED_FILE
    record = {
        "environment": environment,
        "commit": commit,
        "result": "passed",
        "checks": checks,
        "verified_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return path


def verify_promotion(record_path: Path, environment: str, commit: str) -> dict:
    """Refuse to plan a commit that ``environment`` (the previous one) did not apply and smoke-test."""
    if not commit:
        raise PromotionError("no commit id given (COMMIT_ID); the pipeline passes the source commit to every step")
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PromotionError(
            f"no smoke-test record of {environment} at {record_path}; a commit is promoted only after {environment} "
            "applied it and its smoke test passed"
        ) from None
    except json.JSONDecodeError as error:
        raise PromotionError(f"{record_path}: not a smoke-test record ({error})") from None
    found = (record.get("environment"), record.get("commit"), record.get("result"))
    if found != (environment, commit, "passed"):
        raise PromotionError(
            f"{record_path} records {found[0]!r} at commit {found[1]!r} with result {found[2]!r}, not a passed "
            f"smoke test of {environment} at {commit}; refusing to promote"
        )
    return record
