"""Tools from Debian packages that local runs, tests and benchmarks start: present, installed once, or named.

Quiet when a tool is present. On Debian as root its package is installed once; anywhere else one line names
what to install and the command exits 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


def missing_files(paths: Iterable[Path]) -> list[str]:
    """The names of ``paths`` that are not executable files."""
    return [path.name for path in paths if not os.access(path, os.X_OK)]


def can_install_with_apt() -> bool:
    """True when running as root on Debian, where Debian's packages provide the tools."""
    return os.geteuid() == 0 and Path("/etc/debian_version").is_file()


def install_with_apt(package: str, what: str) -> None:
    """Install Debian's ``package`` (``what`` it is, for the progress line), without recommended extras."""
    print(f"==> installing {what} (Debian package {package})", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def require(paths: tuple[Path, ...], package: str, what: str) -> int:
    """Exit status 0 when every one of ``paths`` is (or has just been made) executable, 1 otherwise."""
    missing = missing_files(paths)
    if not missing:
        return 0
    if can_install_with_apt():
        try:
            install_with_apt(package, what)
        except subprocess.CalledProcessError as error:
            print(
                f"error: installing Debian's {package} package failed ({error}); install it and retry", file=sys.stderr
            )
            return 1
        missing = missing_files(paths)
        if not missing:
            return 0
    print(
        f"error: {what} missing ({', '.join(missing)} in {paths[0].parent}); install it "
        f"(Debian: apt-get install {package}) and retry",
        file=sys.stderr,
    )
    return 1
