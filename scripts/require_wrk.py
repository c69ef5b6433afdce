"""Make sure ``wrk``, the HTTP load generator ``make bench-api`` drives the API with, is on this machine.

Quiet when it is present; on Debian as root installs Debian's ``wrk`` package once; anywhere else prints one
line naming what to install and exits 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scripts.debian_tools import require

WRK = Path("/usr/bin/wrk")


def main() -> int:
    """Exit status 0 when wrk is (or has just been made) available, 1 otherwise."""
    return require((WRK,), "wrk", "the wrk HTTP load generator")


if __name__ == "__main__":
    sys.exit(main())
