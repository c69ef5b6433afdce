"""The local catalog API with injectable transient failures, for the retry tests."""

from __future__ import annotations

from http import HTTPStatus

from etl.localdev.catalog_api import CatalogRequestHandler


def failing_first(failures: int, status: HTTPStatus = HTTPStatus.SERVICE_UNAVAILABLE) -> type[CatalogRequestHandler]:
    """A handler class whose first ``failures`` requests get ``status``; later requests are served normally."""
    state = {"remaining": failures}

    class FailingFirstHandler(CatalogRequestHandler):
        def do_GET(self) -> None:
            if state["remaining"] > 0:
                state["remaining"] -= 1
                self._send_json(status, {"error": "temporarily unavailable"})
                return
            super().do_GET()

    return FailingFirstHandler
