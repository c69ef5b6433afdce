"""A loopback HTTPS server standing in for AWS's RDS truststore (truststore.pki.rds.amazonaws.com), which cannot
be reached from tests: it serves a given PEM bundle at ``/<region>/<region>-bundle.pem`` with a certificate of
its own, issued by a throwaway authority that clients trust through ``SSL_CERT_FILE`` (as the job trusts AWS's
certificate through the system's trust store)."""

from __future__ import annotations

import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from etl.localdev.certificates import create_authority, issue_server_certificate


class LocalTruststore:
    """Serves ``bundles`` (URL path -> PEM text) over HTTPS on 127.0.0.1; ``ca_certificate`` is the authority
    its own certificate chains to, ``url(path)`` a served address. Use it as a context manager."""

    def __init__(self, bundles: dict[str, str]) -> None:
        self.bundles = dict(bundles)
        self._dir = tempfile.TemporaryDirectory(prefix="northwind-truststore-")
        directory = Path(self._dir.name)
        authority = create_authority(directory, "truststore-ca")
        self.ca_certificate = authority.certificate
        self._server_pair = issue_server_certificate(authority, directory, "truststore", ("127.0.0.1",))
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        assert self._server, "the truststore is not running"
        return f"https://127.0.0.1:{self._server.server_port}{path}"

    def region_url(self, region: str) -> str:
        """The served address of ``region``'s bundle, laid out as AWS's."""
        return self.url(f"/{region}/{region}-bundle.pem")

    def __enter__(self) -> LocalTruststore:
        bundles = self.bundles

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = bundles.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/x-pem-file")
                self.end_headers()
                self.wfile.write((body or "not found").encode("ascii"))

            def log_message(self, *args) -> None:
                """Quiet: the tests assert on what clients see."""

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self._server_pair.certificate, self._server_pair.key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        self._dir.cleanup()
