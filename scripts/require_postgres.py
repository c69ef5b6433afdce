"""Make sure the PostgreSQL 15 server binaries that local runs and tests start are on this machine.

Quiet when they are present. On Debian as root, installs Debian's ``postgresql`` package once; anywhere else,
prints one line naming what to install and exits 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scripts.debian_tools import require

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
REQUIRED_BINARIES = ("postgres", "initdb", "pg_ctl", "pgbench")


def main() -> int:
    """Exit status 0 when the server binaries are (or have just been made) available, 1 otherwise."""
    return require(tuple(POSTGRES_BIN / name for name in REQUIRED_BINARIES), "postgresql", "the PostgreSQL 15 server")


if __name__ == "__main__":
    sys.exit(main())
