"""The weekly product catalog, fetched page by page from the catalog API and landed one JSON file per page.

Transient failures (connection errors, timeouts, 429 and 5xx) are retried with exponential back-off; a refused
token or a malformed page stops the landing with a clear error. The bearer token comes from Secrets Manager
(``etl.secrets.read_secret``); it is sent only in the request header.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from etl.ingest.errors import IngestError
from etl.ingest.landing import LandingReport, land_file
from etl.ingest.rows import FileCount
from etl.lake import LakeStore

TOKEN_ENV_VAR = "NORTHWIND_CATALOG_API_TOKEN"  # noqa: S105 - a variable name, not a token
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_PAGES = 10_000


class CatalogApiError(IngestError):
    """The catalog API refused the request or answered with something that is not a catalog page."""


class TransientCatalogError(CatalogApiError):
    """A failure worth retrying (the last one is raised once the retries are spent)."""


@dataclass(frozen=True)
class CatalogApiSettings:
    """How to reach the catalog API.

    ``page_size`` defaults to 50 items; ``connect_timeout`` / ``read_timeout`` to 5 s / 30 s; ``attempts`` to
    5 tries per page; ``backoff_seconds`` (0.5) is the first wait, doubled per retry up to 8 s.
    """

    base_url: str
    token: str
    page_size: int = 50
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    attempts: int = 5
    backoff_seconds: float = 0.5


def page_file_name(page: int) -> str:
    """The landed name of catalog page ``page``."""
    return f"products-page-{page:04d}.json"


class CatalogApiClient:
    """Fetches catalog pages as the raw bytes the API sent."""

    def __init__(self, settings: CatalogApiSettings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        self._fetch_with_retries = retry(
            retry=retry_if_exception_type(TransientCatalogError),
            stop=stop_after_attempt(settings.attempts),
            wait=wait_exponential(multiplier=settings.backoff_seconds, max=8),
            reraise=True,
        )(self._fetch_once)

    def _fetch_once(self, page: int) -> bytes:
        url = f"{self.settings.base_url.rstrip('/')}/v1/products"
        try:
            response = self.session.get(
                url,
                params={"page": page, "page_size": self.settings.page_size},
                headers={"Authorization": f"Bearer {self.settings.token}", "Accept": "application/json"},
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise TransientCatalogError(f"catalog API at {url} unreachable: {type(error).__name__}") from None
        if response.status_code in RETRYABLE_STATUS:
            raise TransientCatalogError(f"catalog API answered HTTP {response.status_code} for page {page}")
        if response.status_code in (401, 403):
            raise CatalogApiError(
                f"catalog API refused the token (HTTP {response.status_code}); check the catalog API token "
                f"secret (locally ${TOKEN_ENV_VAR})"
            )
        if response.status_code != 200:
            raise CatalogApiError(f"catalog API answered HTTP {response.status_code} for page {page} of {url}")
        return response.content

    def pages(self) -> Iterator[tuple[int, bytes, int]]:
        """``(page number, page bytes, item count)`` for every page, following ``next_page``."""
        page: int | None = 1
        while page is not None:
            if page > MAX_PAGES:
                raise CatalogApiError(f"catalog API kept paginating past {MAX_PAGES} pages; stopping")
            body = self._fetch_with_retries(page)
            items, next_page = parse_page(body, page)
            yield page, body, items
            if next_page is not None and next_page <= page:
                raise CatalogApiError(f"catalog API page {page} points back to page {next_page}")
            page = next_page


def parse_page(body: bytes, page: int) -> tuple[int, int | None]:
    """The item count and ``next_page`` of one page, or a clear error when it is not a catalog page."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CatalogApiError(f"catalog API page {page} is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise CatalogApiError(f"catalog API page {page} has no 'items' list")
    next_page = document.get("next_page")
    if next_page is not None and not isinstance(next_page, int):
        raise CatalogApiError(f"catalog API page {page} has a non-integer next_page {next_page!r}")
    return len(document["items"]), next_page


def ingest_catalog(store: LakeStore, client: CatalogApiClient, day: date) -> LandingReport:
    """Fetch every catalog page and land each as ``raw/products/date=<day>/products-page-NNNN.json``."""
    report = LandingReport("products")
    for page, body, items in client.pages():
        report.files.append(land_file(store, "products", day, page_file_name(page), body, FileCount(items)))
    return report
