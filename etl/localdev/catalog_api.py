"""A local product catalog API serving ``products.csv`` + ``categories.csv`` from a Northwind-shaped folder.

It answers ``GET /v1/products?page=N&page_size=M`` with the interface's JSON pages and demands
``Authorization: Bearer <token>``, so the catalog ingestion runs over real HTTP on loopback in ``make
pipeline`` and in tests.
"""

from __future__ import annotations

import csv
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

PRODUCTS_PATH = "/v1/products"
MAX_PAGE_SIZE = 500
_INTEGER_FIELDS = ("productID", "supplierID", "categoryID", "unitsInStock", "unitsOnOrder", "reorderLevel")


def _nullable(value: str, convert: Callable[[str], object]) -> object:
    return None if value == "NULL" else convert(value)


def catalog_items(source_dir: Path) -> list[dict[str, object]]:
    """The catalog's items, typed as the API serves them, in ``productID`` order of the source file."""
    with (source_dir / "categories.csv").open(encoding="utf-8", newline="") as handle:
        category_names = {row["categoryID"]: row["categoryName"] for row in csv.DictReader(handle)}
    with (source_dir / "products.csv").open(encoding="utf-8", newline="") as handle:
        products = list(csv.DictReader(handle))
    items = []
    for product in products:
        item: dict[str, object] = dict(product)
        for name in _INTEGER_FIELDS:
            item[name] = _nullable(product[name], int)
        item["unitPrice"] = _nullable(product["unitPrice"], float)
        item["discontinued"] = product["discontinued"] == "1"
        item["categoryName"] = category_names.get(product["categoryID"])
        items.append(item)
    return items


class CatalogRequestHandler(BaseHTTPRequestHandler):
    """Serves pages of ``server.items``; the server carries the items and the expected token."""

    server: CatalogApiHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: the request line is not interesting and headers carry the token."""

    def _send_json(self, status: HTTPStatus, body: dict[str, object]) -> None:
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        """One page of the catalog, or 401/400/404 with a JSON error."""
        url = urlsplit(self.path)
        if url.path != PRODUCTS_PATH:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": f"no resource {url.path}"})
            return
        supplied = self.headers.get("Authorization", "")
        if not hmac.compare_digest(supplied.encode(), f"Bearer {self.server.token}".encode()):
            self._send_json(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong bearer token"})
            return
        query = parse_qs(url.query)
        try:
            page = int(query.get("page", ["1"])[0])
            page_size = int(query.get("page_size", ["50"])[0])
        except ValueError:
            page = page_size = 0
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": f"page must be >= 1 and page_size 1..{MAX_PAGE_SIZE}"})
            return
        items = self.server.items
        start = (page - 1) * page_size
        has_more = start + page_size < len(items)
        self._send_json(
            HTTPStatus.OK,
            {
                "items": items[start : start + page_size],
                "page": page,
                "page_size": page_size,
                "next_page": page + 1 if has_more else None,
            },
        )


class CatalogApiHTTPServer(ThreadingHTTPServer):
    """The HTTP server with the catalog items and the bearer token it accepts."""

    daemon_threads = True

    def __init__(
        self, items: list[dict[str, object]], token: str, handler: type[CatalogRequestHandler] = CatalogRequestHandler
    ) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.items = items
        self.token = token


@dataclass
class LocalCatalogApi:
    """The catalog API running on a free loopback port in a background thread, as a context manager."""

    source_dir: Path
    token: str
    handler: type[CatalogRequestHandler] = CatalogRequestHandler

    def __post_init__(self) -> None:
        self._server = CatalogApiHTTPServer(catalog_items(self.source_dir), self.token, self.handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="catalog-api", daemon=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LocalCatalogApi:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
