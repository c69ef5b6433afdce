"""The weekly catalog over real HTTP on loopback from the local catalog API."""

from __future__ import annotations

import json
import socket
from datetime import date
from http import HTTPStatus

import pytest

from etl.ingest.catalog import CatalogApiClient, CatalogApiError, CatalogApiSettings, ingest_catalog, parse_page
from etl.lake import LocalLakeStore
from etl.localdev.catalog_api import LocalCatalogApi
from tests.support.catalog_stub import failing_first

DAY = date(2026, 11, 29)
TOKEN = "test-token"


def _settings(api: LocalCatalogApi, **overrides) -> CatalogApiSettings:
    return CatalogApiSettings(
        api.base_url, overrides.pop("token", TOKEN), page_size=20, backoff_seconds=0.01, **overrides
    )


def _sample_product_count(sample_dir) -> int:
    return len((sample_dir / "products.csv").read_text(encoding="utf-8").splitlines()) - 1


def test_catalog_lands_one_json_file_per_page_holding_every_product(tmp_path, northwind_sample_dir):
    store = LocalLakeStore(tmp_path)
    with LocalCatalogApi(northwind_sample_dir, TOKEN) as api:
        report = ingest_catalog(store, CatalogApiClient(_settings(api)), DAY)

    products = _sample_product_count(northwind_sample_dir)
    pages = [json.loads(store.get_bytes(f.key)) for f in report.files]
    assert len(report.files) == -(-products // 20)
    assert report.files[0].key == "raw/products/date=2026-11-29/products-page-0001.json"
    assert sum(len(page["items"]) for page in pages) == report.rows_landed == products
    assert pages[0]["items"][0]["categoryName"] == "Beverages"
    assert pages[0]["items"][0]["discontinued"] is False
    assert pages[-1]["next_page"] is None


def test_landing_the_unchanged_catalog_again_lands_nothing(tmp_path, northwind_sample_dir):
    store = LocalLakeStore(tmp_path)
    with LocalCatalogApi(northwind_sample_dir, TOKEN) as api:
        ingest_catalog(store, CatalogApiClient(_settings(api)), DAY)
        again = ingest_catalog(store, CatalogApiClient(_settings(api)), DAY)

    assert again.files_landed == 0
    assert again.files_skipped == len(again.files) > 0


def test_transient_server_errors_are_retried_until_the_page_comes(tmp_path, northwind_sample_dir):
    store = LocalLakeStore(tmp_path)
    with LocalCatalogApi(northwind_sample_dir, TOKEN, handler=failing_first(2)) as api:
        report = ingest_catalog(store, CatalogApiClient(_settings(api, attempts=3)), DAY)

    assert report.rows_landed == _sample_product_count(northwind_sample_dir)


def test_rate_limiting_beyond_the_attempts_stops_with_the_last_status(tmp_path, northwind_sample_dir):
    with (
        LocalCatalogApi(northwind_sample_dir, TOKEN, handler=failing_first(5, HTTPStatus.TOO_MANY_REQUESTS)) as api,
        pytest.raises(CatalogApiError, match="HTTP 429 for page 1"),
    ):
        ingest_catalog(LocalLakeStore(tmp_path), CatalogApiClient(_settings(api, attempts=2)), DAY)


def test_a_wrong_token_stops_at_once_with_a_clear_error(tmp_path, northwind_sample_dir):
    with (
        LocalCatalogApi(northwind_sample_dir, TOKEN) as api,
        pytest.raises(CatalogApiError, match=r"refused the token \(HTTP 401\)"),
    ):
        ingest_catalog(LocalLakeStore(tmp_path), CatalogApiClient(_settings(api, token="wrong")), DAY)
    assert not (tmp_path / "raw").exists()


def test_an_unreachable_api_fails_after_the_configured_attempts(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = CatalogApiSettings(
        f"http://127.0.0.1:{port}", TOKEN, attempts=2, backoff_seconds=0.01, connect_timeout=1
    )
    with pytest.raises(CatalogApiError, match="unreachable"):
        ingest_catalog(LocalLakeStore(tmp_path), CatalogApiClient(settings), DAY)


def test_a_page_size_the_api_refuses_is_a_clear_error(tmp_path, northwind_sample_dir):
    with LocalCatalogApi(northwind_sample_dir, TOKEN) as api:
        settings = CatalogApiSettings(api.base_url, TOKEN, page_size=10_000)
        with pytest.raises(CatalogApiError, match="HTTP 400 for page 1"):
            ingest_catalog(LocalLakeStore(tmp_path), CatalogApiClient(settings), DAY)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>", "is not JSON"),
        (b'{"data": []}', "has no 'items' list"),
        (b'{"items": [], "next_page": "2"}', "non-integer next_page"),
    ],
)
def test_a_body_that_is_not_a_catalog_page_is_refused(body, problem):
    with pytest.raises(CatalogApiError, match=problem):
        parse_page(body, page=3)
