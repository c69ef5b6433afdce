"""Make sure the PostgreSQL 15 server binaries that local runs and tests start are on this machine.

Quiet when they are present. On Debian as root, installs Debian's ``postgresql`` package once; anywhere else,
prints one line naming what to install and exits 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
REQUIRED_BINARIES = ("postgres", "initdb", "pg_ctl")


def missing_binaries(bin_dir: Path = POSTGRES_BIN) -> list[str]:
    """The required server binaries that are not executable files in ``bin_dir``."""
    return [name for name in REQUIRED_BINARIES if not os.access(bin_dir / name, os.X_OK)]


def can_install_with_apt() -> bool:
    """True when running as root on Debian, where Debian's package provides PostgreSQL 15."""
    return os.geteuid() == 0 and Path("/etc/debian_version").is_file()


def install_with_apt() -> None:
    """Install Debian's ``postgresql`` package (the server binaries), without recommended extras."""
    print("==> installing the PostgreSQL 15 server (Debian package postgresql)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def main() -> int:
    """Exit status 0 when the server binaries are (or have just been made) available, 1 otherwise."""
    missing = missing_binaries()
    if not missing:
        return 0
    if can_install_with_apt():
        try:
            install_with_apt()
        except subprocess.CalledProcessError as error:
            print(
                f"error: installing Debian's postgresql package failed ({error}); install it and retry", file=sys.stderr
            )
            return 1
        missing = missing_binaries()
        if not missing:
            return 0
    print(
        f"error: PostgreSQL 15 server binaries missing in {POSTGRES_BIN} ({', '.join(missing)}); "
        "install the PostgreSQL 15 server (Debian: apt-get install postgresql) and retry",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
