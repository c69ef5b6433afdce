"""A local stand-in for the RapidAPI Vehicle Market Value API: real HTTP on 127.0.0.1, served from a thread.

It answers ``GET /vmv`` like the RapidAPI proxy: 403 "You are not subscribed to this API." for a wrong key,
``x-ratelimit-requests-*`` quota headers on every answer and 429 once the monthly quota is used up. Replies can
be scripted per plate (consumed in order) or per call number (1-based, across all plates): 429 with
``Retry-After`` / ``x-ratelimit-*`` headers, 5xx, slow answers, malformed JSON. Unscripted calls get a
valuation derived from the plate. ``GET /_stub/calls`` reports the number of ``/vmv`` calls received.

Run it alone for a manual check:
``python -m tests.support.rapidapi_stub --port 8765 --key local-key --fail-calls 2:429,3:503``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

NOT_SUBSCRIBED = "You are not subscribed to this API."
QUOTA_EXCEEDED = "You have exceeded the MONTHLY quota for Requests on your current plan, BASIC."
RATE_LIMITED = "Too many requests"
QUOTA_RESET_S = 1_209_600  # two weeks to the monthly reset, as RapidAPI reports it in seconds


@dataclass(frozen=True)
class Reply:
    """One scripted answer: status, JSON body (None: the plate's valuation) or raw bytes, headers, delay."""

    status: int = 200
    body: object | None = None
    raw_body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    @classmethod
    def ok(cls, body: object | None = None) -> Reply:
        """200 with ``body``, or the plate's generated valuation."""
        return cls(body=body)

    @classmethod
    def rate_limited(cls, retry_after: str | None = "0", reset: str | None = "0") -> Reply:
        """429 for the per-second limit, with ``Retry-After`` and ``x-ratelimit-*`` headers when given."""
        headers = {"x-ratelimit-limit": "5", "x-ratelimit-remaining": "0"}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        if reset is not None:
            headers["x-ratelimit-reset"] = reset
        return cls(status=429, body={"message": RATE_LIMITED}, headers=headers)

    @classmethod
    def server_error(cls, status: int = 503) -> Reply:
        """A 5xx answer."""
        return cls(status=status, body={"message": "upstream unavailable"})

    @classmethod
    def slow(cls, delay_s: float) -> Reply:
        """The plate's valuation, after ``delay_s`` seconds."""
        return cls(delay_s=delay_s)

    @classmethod
    def malformed(cls) -> Reply:
        """200 whose body is not JSON."""
        return cls(raw_body=b'{"vehicle": "2019 Toyota Camry", "average_market_price": ')

    @classmethod
    def not_found(cls) -> Reply:
        """404, as for an unknown route or a request the API rejects."""
        return cls(status=404, body={"message": "Endpoint '/vmv' does not exist"})


@dataclass(frozen=True)
class StubCall:
    """A ``/vmv`` request as received (the key is only compared, never kept)."""

    plate: str | None
    state_code: str | None
    params: Mapping[str, str]
    host_header: str | None
    key_accepted: bool


def valuation_body(plate: str, state_code: str, mileage: str | None) -> dict[str, object]:
    """A plausible valuation, derived from the plate so tests can predict it."""
    seed = int(hashlib.sha256(f"{plate}|{state_code}".encode()).hexdigest()[:6], 16)
    price = 9_000 + seed % 30_000
    return {
        "vehicle": "2019 Toyota Camry SE",
        "mileage": int(mileage) if mileage else 40_000 + seed % 20_000,
        "average_market_price": price,
        "standard_deviation": 1_250.5,
        "count": 37,
        "statistical_confidence": "94%",
        "market_prices": {"below": price - 1_800, "average": price, "above": price + 1_800, "distribution": []},
        "sales_period": ["2026-05-01", "2026-10-31"],
        "status": "success",
        "message": None,
    }


class RapidApiStub:
    """The stub server; use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(self, api_key: str = "stub-key", quota_limit: int = 1_000, port: int = 0) -> None:
        self.api_key = api_key
        self.quota_limit = quota_limit
        self.quota_used = 0
        self.calls: list[StubCall] = []
        self._by_plate: dict[str, deque[Reply]] = defaultdict(deque)
        self._by_call: dict[int, Reply] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="rapidapi-stub", daemon=True
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script_plate(self, plate: str, *replies: Reply) -> None:
        """Answer the next calls for ``plate`` (as sent, normalized) with ``replies`` in order."""
        self._by_plate[plate].extend(replies)

    def script_calls(self, replies: Mapping[int, Reply]) -> None:
        """Answer the calls with these 1-based numbers (counted over all plates) with the given replies."""
        self._by_call.update(replies)

    def start(self) -> RapidApiStub:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RapidApiStub:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _next_reply(self, call: StubCall) -> Reply:
        with self._lock:
            self.calls.append(call)
            number = len(self.calls)
            if not call.key_accepted:
                return Reply(status=403, body={"message": NOT_SUBSCRIBED})
            if self.quota_used >= self.quota_limit:
                return Reply(status=429, body={"message": QUOTA_EXCEEDED})
            queue = self._by_plate.get(call.plate or "")
            reply = self._by_call.pop(number, None) or (queue.popleft() if queue else Reply.ok())
            if reply.status != 429:
                self.quota_used += 1
            return reply

    def _quota_headers(self) -> dict[str, str]:
        with self._lock:
            remaining = max(self.quota_limit - self.quota_used, 0)
        return {
            "x-ratelimit-requests-limit": str(self.quota_limit),
            "x-ratelimit-requests-remaining": str(remaining),
            "x-ratelimit-requests-reset": str(QUOTA_RESET_S),
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/_stub/calls":
                    self._send(200, json.dumps({"calls": len(stub.calls)}).encode(), {})
                    return
                if url.path != "/vmv":
                    self._send(404, json.dumps({"message": f"Endpoint '{url.path}' does not exist"}).encode(), {})
                    return
                params = {name: values[0] for name, values in parse_qs(url.query).items()}
                call = StubCall(
                    plate=params.get("license_plate"),
                    state_code=params.get("state_code"),
                    params=params,
                    host_header=self.headers.get("x-rapidapi-host"),
                    key_accepted=self.headers.get("x-rapidapi-key") == stub.api_key,
                )
                reply = stub._next_reply(call)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.raw_body is not None:
                    body = reply.raw_body
                else:
                    generated = valuation_body(call.plate or "", call.state_code or "", params.get("mileage"))
                    body = json.dumps(generated if reply.body is None else reply.body).encode()
                self._send(reply.status, body, {**stub._quota_headers(), **reply.headers})

            def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test); nothing to answer

            def log_message(self, format: str, *args: object) -> None:
                """Silent: the request line holds the plate."""

        return Handler


def _fail_calls(spec: str) -> dict[int, Reply]:
    """``"2:429,3:503"`` -> call 2 gets a 429 (Retry-After 1), call 3 a 503."""
    replies: dict[int, Reply] = {}
    for item in filter(None, spec.split(",")):
        number, status = (int(part) for part in item.split(":"))
        rate_limited = Reply.rate_limited(retry_after="1", reset="1")
        replies[number] = rate_limited if status == 429 else Reply.server_error(status)
    return replies


def main() -> None:
    """Serve until interrupted, printing the base URL."""
    parser = argparse.ArgumentParser(description="Local stub of the RapidAPI Vehicle Market Value API.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key", required=True, help="The only API key the stub accepts.")
    parser.add_argument("--quota", type=int, default=1_000, help="Monthly quota it reports and enforces.")
    parser.add_argument("--fail-calls", default="", help="Calls to fail, e.g. 2:429,3:503 (1-based call numbers).")
    args = parser.parse_args()
    stub = RapidApiStub(api_key=args.key, quota_limit=args.quota, port=args.port)
    stub.script_calls(_fail_calls(args.fail_calls))
    stub.start()
    print(f"stub serving on {stub.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        stub.stop()


if __name__ == "__main__":
    main()
