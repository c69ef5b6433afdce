"""The certificate authorities a serving-database client verifies the database against (``verify-full``).

AWS publishes each region's RDS bundle at ``https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem``;
the stack passes that URL to the jobs (``--serving_db_ca_bundle_url``, from the database construct). A job
fetches it when it starts, over HTTPS verified against the system's trust store, checks that it holds
certificates, and hands libpq a temporary copy (``sslrootcert``). Fetching, rather than shipping a copy with
the job, keeps the bundle AWS's current one through CA rotations, as the analytics instances do at boot
(docs/adr/0021-serving-database-security.md).
"""

from __future__ import annotations

import re
import ssl
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# A regional bundle is a few dozen certificates (tens of KiB); anything far larger is not one.
MAX_BUNDLE_BYTES = 1024 * 1024
DEFAULT_TIMEOUT_SECONDS = 15.0
_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


class CaBundleError(RuntimeError):
    """The CA bundle could not be fetched or is not a bundle; the message says which and what to check."""


def fetch_ca_bundle(url: str, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> str:
    """The PEM certificates at ``url`` (HTTPS only, redirects included), each checked to parse."""
    if not url.startswith("https://"):
        raise CaBundleError(f"the CA bundle URL {url!r} is not https://; pass the stack's --serving_db_ca_bundle_url")
    try:
        # Only https:// reaches here (checked above), verified against the system's trust store.
        opened = urllib.request.urlopen(url, timeout=timeout_seconds, context=ssl.create_default_context())  # noqa: S310
        with opened as response:
            if not response.geturl().startswith("https://"):
                raise CaBundleError(f"the CA bundle at {url} redirected to {response.geturl()}, which is not https://")
            body = response.read(MAX_BUNDLE_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise CaBundleError(f"cannot fetch the CA bundle {url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise CaBundleError(
                f"refusing the CA bundle {url}: the server's certificate is not trusted ({reason.verify_message})"
            ) from None
        raise CaBundleError(
            f"cannot fetch the CA bundle {url} ({reason}); the job needs HTTPS egress (NAT) from its subnet"
        ) from None
    certificates = _PEM_CERTIFICATE.findall(body[:MAX_BUNDLE_BYTES].decode("ascii", errors="replace"))
    if len(body) > MAX_BUNDLE_BYTES or not certificates:
        raise CaBundleError(f"the CA bundle {url} holds no PEM certificate (or is over {MAX_BUNDLE_BYTES} bytes)")
    bundle = "\n".join(certificates) + "\n"
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=bundle)
    except ssl.SSLError as error:
        raise CaBundleError(f"the CA bundle {url} holds a certificate that does not parse ({error.reason})") from None
    return bundle


@contextmanager
def ca_bundle_file(url: str, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> Iterator[str]:
    """The bundle at ``url`` in a temporary file (its path, for libpq's ``sslrootcert``), removed afterwards."""
    bundle = fetch_ca_bundle(url, timeout_seconds)
    with tempfile.NamedTemporaryFile("w", suffix="-ca-bundle.pem", encoding="ascii", delete=False) as file:
        file.write(bundle)
    try:
        yield file.name
    finally:
        Path(file.name).unlink(missing_ok=True)
