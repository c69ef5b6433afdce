"""A throwaway PostgreSQL 15 server for ``make pipeline`` and the tests.

The server runs as the ``postgres`` system user when started by root (PostgreSQL refuses root), listens only
on 127.0.0.1 on a free port, has no Unix socket and trusts loopback connections: it holds only data the
pipeline derives from local sample files and lives no longer than the command that started it. Passwords
belong to the AWS database (``etl.serve.connection``); ``tls=True`` also serves TLS with a certificate for
127.0.0.1 issued by a throwaway certificate authority (``ca_certificate``), and its settings verify it as
clients in AWS verify the database (``sslmode=verify-full`` against that authority, as against the RDS bundle).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import psycopg

from etl.localdev.certificates import create_authority, issue_server_certificate
from etl.serve.connection import ServingDatabaseSettings

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
SERVER_USER = "postgres"
DATABASE = "northwind"
# A port found free can be taken before the server binds it (by another process's server, or as an outgoing
# connection's local port): the server is then started again on another port, at most this many times in all.
PORT_ATTEMPTS = 3


class LocalPostgresError(RuntimeError):
    """The local server could not be initialised, started or stopped; the message says why and what to do."""


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root, so root hands the command to the server user.
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_USER, "--", *command]
    return command


@dataclass
class LocalPostgres:
    """One PostgreSQL server in ``data_dir``: initialised on first start, kept between runs, stopped on exit.

    Use it as a context manager; ``settings`` gives the connection settings while it runs.
    """

    data_dir: Path
    bin_dir: Path = POSTGRES_BIN
    tls: bool = False
    port: int = field(default=0, init=False)

    @property
    def log_file(self) -> Path:
        """The server log, inside the data directory (the server user can always write there)."""
        return self.data_dir / "server.log"

    @property
    def ca_certificate(self) -> Path:
        """The authority that issued the server's certificate (with ``tls=True``): the local RDS CA bundle."""
        return self.data_dir / "local-ca.crt"

    @property
    def settings(self) -> ServingDatabaseSettings:
        """Connection settings for the running server (loopback, no password; with ``tls=True`` TLS verified
        against ``ca_certificate`` and the host name, otherwise no TLS)."""
        if not self.port:
            raise LocalPostgresError("the local PostgreSQL server is not running; start it first")
        return ServingDatabaseSettings(
            host="127.0.0.1",
            port=self.port,
            dbname=DATABASE,
            user=SERVER_USER,
            password=None,
            sslmode="verify-full" if self.tls else "disable",
            sslrootcert=str(self.ca_certificate) if self.tls else None,
        )

    def _run(self, command: list[str], what: str) -> None:
        result = subprocess.run(_as_server_user(command), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            last = detail[-1] if detail else f"exit status {result.returncode}"
            raise LocalPostgresError(f"{what} failed: {last} (server log: {self.log_file})")

    def _prepare_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            blocked = [parent for parent in self.data_dir.resolve().parents if not parent.stat().st_mode & stat.S_IXOTH]
            if blocked:
                raise LocalPostgresError(
                    f"the {SERVER_USER} user cannot reach {self.data_dir}: {blocked[0]} is not searchable by "
                    "others; choose a data directory under a world-searchable path such as /tmp"
                )
            server_user = pwd.getpwnam(SERVER_USER)
            shutil.chown(self.data_dir, server_user.pw_uid, server_user.pw_gid)
        self.data_dir.chmod(0o700)

    def initialise(self) -> bool:
        """Create the cluster and the ``northwind`` database unless the data directory already holds one.

        Returns True when a new cluster was created.
        """
        if (self.data_dir / "PG_VERSION").is_file():
            return False
        if not (self.bin_dir / "initdb").is_file():
            raise LocalPostgresError(
                f"PostgreSQL 15 server binaries not found in {self.bin_dir}; run `python -m scripts.require_postgres`"
            )
        self._prepare_data_dir()
        self._run(
            [
                str(self.bin_dir / "initdb"),
                "--pgdata",
                str(self.data_dir),
                "--username",
                SERVER_USER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
            ],
            "initdb",
        )
        # Loopback TCP only: no Unix socket, so nothing depends on a socket directory being writable.
        with (self.data_dir / "postgresql.auto.conf").open("a", encoding="utf-8") as conf:
            conf.write("listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nsynchronous_commit = off\n")
            if self.tls:
                self._write_certificate()
                conf.write("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
        self.start()
        try:
            admin = self.settings.model_copy(update={"dbname": "postgres"})
            with psycopg.connect(admin.conninfo(), autocommit=True) as connection:
                connection.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            self.stop()
        return True

    def _write_certificate(self) -> None:
        """A certificate for 127.0.0.1 from a throwaway authority, the key readable by the server user only
        (PostgreSQL insists)."""
        authority = create_authority(self.data_dir, "local-ca", run=self._run)
        server = issue_server_certificate(authority, self.data_dir, "server", ("127.0.0.1",), run=self._run)
        server.key.chmod(0o600)
        authority.key.unlink()

    def start(self) -> ServingDatabaseSettings:
        """Start the server on a free loopback port and wait until it accepts connections; when the port is taken
        before the server binds it, start again on another (``PORT_ATTEMPTS`` in all)."""
        for _ in range(PORT_ATTEMPTS - 1):
            logged = self.log_file.stat().st_size if self.log_file.exists() else 0
            try:
                return self._start_on(free_loopback_port())
            except LocalPostgresError:
                if not self._logged_since(logged, "Address already in use"):
                    raise
        return self._start_on(free_loopback_port())

    def _start_on(self, port: int) -> ServingDatabaseSettings:
        self.port = port
        try:
            self._run(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "--pgdata",
                    str(self.data_dir),
                    "--log",
                    str(self.log_file),
                    "--options",
                    f"-p {port}",
                    "--wait",
                    "--silent",
                    "start",
                ],
                f"starting PostgreSQL in {self.data_dir}",
            )
        except LocalPostgresError:
            self.port = 0
            raise
        return self.settings

    def _logged_since(self, offset: int, text: str) -> bool:
        if not self.log_file.exists():
            return False
        with self.log_file.open("rb") as log:
            log.seek(offset)
            return text.encode() in log.read()

    def stop(self) -> None:
        """Stop the server (fast shutdown); a server that is not running is left alone."""
        if not self.port:
            return
        self._run(
            [
                str(self.bin_dir / "pg_ctl"),
                "--pgdata",
                str(self.data_dir),
                "--mode",
                "fast",
                "--wait",
                "--silent",
                "stop",
            ],
            f"stopping PostgreSQL in {self.data_dir}",
        )
        self.port = 0

    def __enter__(self) -> ServingDatabaseSettings:
        self.initialise()
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
