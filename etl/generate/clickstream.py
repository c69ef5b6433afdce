"""Clickstream sessions walking the shop's funnel, written as hourly gzip JSON-lines files.

Every session opens with page views; some go on to view products, fewer add to the cart, fewer check out and
fewer still purchase (the drop-off below). Events are spread over ``days`` days from ``start``; a file holds
the events of one hour (``events-YYYYMMDDHH.jsonl.gz``).
"""

from __future__ import annotations

import gzip
import io
import itertools
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

STAGES = ("page_view", "product_view", "add_to_cart", "checkout", "purchase")
# Probability of reaching each stage from the one before it.
STAGE_CONTINUE = np.array([1.0, 0.62, 0.38, 0.6, 0.72])
# Events per reached stage: page and product views repeat, the rest happen once.
STAGE_MAX_EVENTS = np.array([3, 4, 1, 1, 1])
KNOWN_CUSTOMER_SHARE = 0.6
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
)
# Documentation address blocks (RFC 5737): realistic-looking, never a real visitor's address.
IP_PREFIXES = ("192.0.2.", "198.51.100.", "203.0.113.")
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class ClickstreamShape:
    """What the sessions refer to: the shop's customers, products and orders, and the time span."""

    customer_ids: np.ndarray
    product_ids: np.ndarray
    order_ids: np.ndarray
    start: date
    days: int


def _session_stage_counts(rng: np.random.Generator, sessions: int) -> np.ndarray:
    """Events per stage for each session, shape (sessions, 5), honouring the funnel's drop-off."""
    reached = np.cumprod(rng.random((sessions, len(STAGES))) < STAGE_CONTINUE, axis=1)
    per_stage = rng.integers(1, STAGE_MAX_EVENTS + 1, size=(sessions, len(STAGES)))
    return reached * per_stage


def _uuids(rng: np.random.Generator, count: int) -> list[str]:
    raw = bytearray(rng.bytes(16 * count))
    # Version 4 and RFC 4122 variant bits, so each id is a well-formed random UUID.
    view = np.frombuffer(raw, dtype=np.uint8).reshape(count, 16)
    view[:, 6] = (view[:, 6] & 0x0F) | 0x40
    view[:, 8] = (view[:, 8] & 0x3F) | 0x80
    text = raw.hex()
    return [
        "-".join(
            (text[i : i + 8], text[i + 8 : i + 12], text[i + 12 : i + 16], text[i + 16 : i + 20], text[i + 20 : i + 32])
        )
        for i in range(0, 32 * count, 32)
    ]


def _json_or_null(values: np.ndarray, known: np.ndarray, quoted: bool) -> np.ndarray:
    text = np.char.add(np.char.add('"', values.astype(str)), '"') if quoted else values.astype(str)
    return np.where(known, text, "null")


def _day_lines(shape: ClickstreamShape, day: int, events: int, seed: int) -> list[tuple[int, bytes]]:
    """The events of day ``day`` as gzip JSON lines per hour: ``[(hour of day, gzip bytes), ...]``.

    Each day has its own random stream (seed, day), so days can be generated in any order or in parallel.
    """
    rng = np.random.default_rng([seed, day])
    mean_per_session = float(np.sum(np.cumprod(STAGE_CONTINUE) * (STAGE_MAX_EVENTS + 1) / 2))
    sessions = int(events / mean_per_session * 1.2) + 10
    counts = _session_stage_counts(rng, sessions)
    totals = counts.sum(axis=1)
    ends = np.cumsum(totals)
    sessions = int(np.searchsorted(ends, events) + 1)
    counts, totals = counts[:sessions], totals[:sessions].copy()
    totals[-1] -= ends[sessions - 1] - events  # the last session is cut short at the requested count

    session_of = np.repeat(np.arange(sessions), totals)
    session_first = np.cumsum(totals) - totals
    position = np.arange(events) - np.repeat(session_first, totals)
    stage = (position[:, None] >= np.cumsum(counts, axis=1)[session_of]).sum(axis=1)

    # Sessions start in the first 23 hours and last at most 10 events x 3 minutes, so a day stays a day.
    session_start = day * SECONDS_PER_DAY + rng.integers(0, SECONDS_PER_DAY - 3_600, size=sessions)
    gaps = rng.integers(5, 180, size=events)
    gaps[position == 0] = 0
    elapsed = np.cumsum(gaps)
    seconds = session_start[session_of] + elapsed - np.repeat(elapsed[session_first], totals)

    customer = _json_or_null(
        shape.customer_ids[rng.integers(0, len(shape.customer_ids), sessions)],
        rng.random(sessions) < KNOWN_CUSTOMER_SHARE,
        quoted=True,
    )
    focus_product = shape.product_ids[rng.integers(0, len(shape.product_ids), sessions)][session_of]
    product = np.where(stage == 1, shape.product_ids[rng.integers(0, len(shape.product_ids), events)], focus_product)
    product_text = _json_or_null(product, stage >= 1, quoted=False)
    order_text = _json_or_null(shape.order_ids[rng.integers(0, len(shape.order_ids), events)], stage == 4, quoted=False)
    page = np.array(["/", "/products/", "/cart", "/checkout", "/checkout/confirmation"])[stage]
    page = np.where(stage == 1, np.char.add(page, product.astype(str)), page)
    agent = np.array([f'"{agent}"' for agent in USER_AGENTS])[rng.integers(0, len(USER_AGENTS), sessions)]
    address = np.char.add(
        np.array(IP_PREFIXES)[rng.integers(0, len(IP_PREFIXES), sessions)], rng.integers(1, 255, sessions).astype(str)
    )
    stamps = np.datetime_as_string(np.datetime64(shape.start, "s") + seconds.astype("timedelta64[s]"))
    event_ids = _uuids(rng, events)
    stage_names = np.array(STAGES)[stage]

    order = np.argsort(seconds, kind="stable")
    hours = (seconds[order] // 3_600) % 24
    lines = [
        f'{{"event_id":"{event_ids[i]}","session_id":"S{day:04d}-{session_of[i]:07d}",'
        f'"customer_id":{customer[session_of[i]]},"event_type":"{stage_names[i]}","product_id":{product_text[i]},'
        f'"page_url":"{page[i]}","event_time":"{stamps[i]}Z","user_agent":{agent[session_of[i]]},'
        f'"ip_address":"{address[session_of[i]]}","order_id":{order_text[i]}}}\n'
        for i in order.tolist()
    ]
    boundaries = [0, *(np.flatnonzero(np.diff(hours)) + 1).tolist(), len(lines)]
    files = []
    for first, stop in itertools.pairwise(boundaries):
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=1, mtime=0, filename="") as stream:
            stream.write("".join(lines[first:stop]).encode("utf-8"))
        files.append((int(hours[first]), buffer.getvalue()))
    return files


def events_per_day(events: int, days: int) -> list[int]:
    """``events`` spread evenly over ``days`` days (the first days take the remainder)."""
    share, remainder = divmod(events, days)
    return [share + (day < remainder) for day in range(days)]


def hourly_files(shape: ClickstreamShape, events: int, seed: int, workers: int = 1) -> Iterator[tuple[str, bytes]]:
    """``(file name, gzip bytes)`` per hour with events, in time order; gzip headers carry no time, so the same
    seed gives the same bytes whatever ``workers`` is."""
    jobs = [(shape, day, count, seed) for day, count in enumerate(events_per_day(events, shape.days)) if count]
    with ProcessPoolExecutor(max_workers=workers) if workers > 1 else nullcontext() as pool:
        produced = pool.map(_day_lines_job, jobs) if pool else map(_day_lines_job, jobs)
        for (_, day, _, _), files in zip(jobs, produced, strict=True):
            for hour, data in files:
                stamp = (shape.start + timedelta(days=day)).strftime("%Y%m%d")
                yield f"events-{stamp}{hour:02d}.jsonl.gz", data


def _day_lines_job(job: tuple[ClickstreamShape, int, int, int]) -> list[tuple[int, bytes]]:
    return _day_lines(*job)
