"""Keyed pseudonymization (HMAC-SHA256) of PII fields, as Spark column expressions.

HMAC(K, m) = SHA256((K ^ opad) || SHA256((K ^ ipad) || m)) (RFC 2104). With a fixed key both padded key
blocks are constants, so the whole HMAC is two built-in ``sha2`` calls per value: no Python UDF. The same
input and key always give the same 64-character hex pseudonym, so pseudonymized keys (``customer_id``) still
join across datasets; without the key a pseudonym cannot be reversed or recomputed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from pyspark.sql import Column
from pyspark.sql import functions as F

from etl.secrets import SecretUnavailableError, read_secret

KEY_ENV_VAR = "NORTHWIND_PSEUDONYM_KEY"
# Used only when no secret id is configured and the variable is unset, i.e. on a developer machine; AWS jobs
# always pass a Secrets Manager id, and a missing secret there is an error.
LOCAL_DEVELOPMENT_KEY = b"northwind-local-development-pseudonym-key"
_BLOCK_SIZE = 64  # SHA-256 block size in bytes

log = logging.getLogger(__name__)


def resolve_pseudonym_key(secret_id: str | None = None, client: object | None = None) -> bytes:
    """The pseudonymization key: Secrets Manager when ``secret_id`` is given, else $NORTHWIND_PSEUDONYM_KEY,
    else (local runs only) the documented local development key."""
    try:
        return read_secret(secret_id, KEY_ENV_VAR, client).encode("utf-8")
    except SecretUnavailableError:
        if secret_id:
            raise
        log.warning("no pseudonymization key configured; using the local development key (%s unset)", KEY_ENV_VAR)
        return LOCAL_DEVELOPMENT_KEY


def hmac_pads(key: bytes) -> tuple[bytearray, bytearray]:
    """The inner and outer padded key blocks of HMAC-SHA256 under ``key`` (constants for a fixed key)."""
    if not key:
        raise ValueError("the pseudonymization key is empty; configure a non-empty key")
    block = hashlib.sha256(key).digest() if len(key) > _BLOCK_SIZE else key
    block = block.ljust(_BLOCK_SIZE, b"\0")
    return bytearray(byte ^ 0x36 for byte in block), bytearray(byte ^ 0x5C for byte in block)


def hmac_sha256_hex(value: Column, key: bytes) -> Column:
    """HMAC-SHA256 of the UTF-8 bytes of ``value`` under ``key``, as lowercase hex; null stays null."""
    inner_pad, outer_pad = hmac_pads(key)
    inner = F.unhex(F.sha2(F.concat(F.lit(inner_pad), value.cast("binary")), 256))
    return F.when(value.isNull(), F.lit(None)).otherwise(F.sha2(F.concat(F.lit(outer_pad), inner), 256))


def pseudonym(value: str, key: bytes) -> str:
    """The pseudonym ``hmac_sha256_hex`` gives ``value`` in the curated zone, computed in Python (to find one
    data subject's rows without Spark)."""
    if not key:
        raise ValueError("the pseudonymization key is empty; configure a non-empty key")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
