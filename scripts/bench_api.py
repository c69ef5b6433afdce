"""``python -m scripts.bench_api`` (``make bench-api``): the analytics API under load, as the instances run it.

Starts a PostgreSQL server holding the serving tables (loaded by the pipeline's own code from the sample
data), the local identity provider, and the API under uvicorn with TLS on loopback with the flags the
instances use; then drives each route with ``wrk`` at several connection counts for a bounded time, with a
token from the local issuer, beside ``pgbench`` running the route's SQL and beside the same server's
``/health``. Prints requests per second, p50, p99 and errors per route with the load average, checks the
targets, and writes the figures as JSON under ``bench-results/``. Heavy by design: never part of the tests.

Each route is measured twice: with the response cache as the environments configure it (a dashboard repeating
its queries: the first request of each reads the database, the rest are kept responses), and with the cache off
(every request reads the database). Before its measurements each route is called for ``WARM_SECONDS``, not
measured, so connections and pools are open as on a serving instance. The cache's hit ratio as the workers
counted it (``/health/database``) is printed with each pass.

The machine's speed drifts over minutes, so each pass measures in rounds: every round measures every route at
every connection count, each round starting at another count, and a row gives the median of its rounds. Each
row also gives the CPU time per request of the API's processes and of wrk, which share the machine's cores:
a row slower at 64 connections than at 8 with the API's figure unchanged is the load generator's share.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import psycopg
import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from rich.console import Console
from rich.table import Table

from environments import load_environment
from etl.localdev.identity_provider import LocalIdentityProvider
from etl.localdev.postgres import POSTGRES_BIN, LocalPostgres, free_loopback_port
from etl.pipeline import DEFAULT_LOCAL_DIR, DEFAULT_SOURCE, REPO_ROOT, PipelineConfig, quiet_local_spark, run_pipeline
from etl.serve.migrate import apply_migrations

sys.path.insert(0, str(REPO_ROOT / "api"))
from northwind_analytics import queries
from northwind_analytics.auth import Permission

APP = "northwind_analytics.api:app"
SERVICE_USER = "analytics_service"
WRK = "/usr/bin/wrk"
# wrk's own summary as one JSON line (latency in microseconds), instead of its human-readable report.
WRK_SUMMARY = """done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,'
    .. '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""
SALES_RANGE = ("1996-07-01", "1998-06-30")
FUNNEL_RANGE = ("2026-10-01", "2026-10-31")
# Targets at 8 connections on a 2-core machine with the load generator on it (see docs/runbooks/analytics-api.md).
TARGET_RPS_AT_8 = {"customers": 500, "customer": 500, "funnel": 500, "sales": 350}
TARGET_P99_MS_AT_8 = {"customers": 30, "customer": 30, "funnel": 30}
TARGET_SHARE_OF_HEALTH = 0.60
# Throughput at more connections counts as "no less" within this measurement noise.
NOISE = 0.05
# Each route is called this long before it is measured (not counted): pools open, caches filled.
WARM_SECONDS = 2
# The passes: the response cache as configured ("kept"), and off ("database": every request reads the database).
PASSES = ("kept", "database")

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, help=__doc__)


@dataclass(frozen=True)
class BenchRoute:
    """A route as the load generator calls it, and the SQL it runs (None for /health)."""

    name: str
    path: str
    query: queries.Query | None


@dataclass
class Figures:
    """One measurement: requests (or transactions) per second, latency percentiles, errors, and the CPU time
    per request of the API's processes and of the load generator (``None`` where not measured)."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    api_cpu_us: float | None = None
    wrk_cpu_us: float | None = None


def median_figures(samples: list[Figures]) -> Figures:
    """Each figure's median over the rounds; errors are summed, so an error in any round counts."""
    return Figures(
        rps=statistics.median(s.rps for s in samples),
        p50_ms=statistics.median(s.p50_ms for s in samples),
        p99_ms=statistics.median(s.p99_ms for s in samples),
        errors=sum(s.errors for s in samples),
        api_cpu_us=_median_of_measured([s.api_cpu_us for s in samples]),
        wrk_cpu_us=_median_of_measured([s.wrk_cpu_us for s in samples]),
    )


def _median_of_measured(values: list[float | None]) -> float | None:
    measured = [value for value in values if value is not None]
    return statistics.median(measured) if measured else None


def cpu_seconds(pids: Sequence[int]) -> float:
    """User and system CPU seconds the processes ``pids`` have used so far (``/proc/<pid>/stat``)."""
    ticks = 0
    for pid in pids:
        # The command name, in parentheses, may hold spaces: the fields counted after it are fixed.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children: uvicorn's supervisor and its workers."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue  # a process that ended while it was read
    return [pid, *sorted(children)]


def round_order(counts: list[int], round_index: int) -> list[int]:
    """The connection counts in the order one round measures them: each round starts at the next count, so
    a machine that slows down (or speeds up) over minutes does not always favour the same count."""
    shift = round_index % len(counts)
    return counts[shift:] + counts[:shift]


@dataclass
class Row:
    """One route at one connection count in one pass: the median of its rounds (each kept in ``rounds``)."""

    route: str
    cache: str
    connections: int
    http: Figures
    pgbench: Figures | None
    load_average: tuple[float, float, float]
    rounds: list[Figures] = field(default_factory=list)
    share_of_health: float | None = None
    share_of_pgbench: float | None = None
    problems: list[str] = field(default_factory=list)


DATA_ROUTES = ("customers", "customer", "funnel", "sales")


def option_problems(
    counts: list[int], seconds: int, rounds: int, passes: list[str], routes: list[str], api_dir: Path
) -> list[str]:
    """What is wrong with the command's options, each as a sentence saying what to give instead."""
    problems = []
    if not counts or min(counts) < 1:
        problems.append("--connections needs positive counts, comma-separated (like 8,32,64)")
    if seconds < 1 or rounds < 1:
        problems.append("--seconds and --rounds need at least 1")
    if not passes or set(passes) - set(PASSES):
        problems.append(f"--passes needs some of {', '.join(PASSES)}")
    if unknown := sorted(set(routes) - set(DATA_ROUTES)):
        problems.append(f"--routes knows {', '.join(DATA_ROUTES)}, not {', '.join(unknown)} (empty: /health only)")
    if not (api_dir / "northwind_analytics" / "api.py").is_file():
        problems.append(f"--api-dir {api_dir} holds no northwind_analytics package: give the folder that holds it")
    return problems


def bench_routes(customer_id: str) -> list[BenchRoute]:
    """/health and the measured data routes, each with the first page query the API sends for it."""
    sales = {"start": SALES_RANGE[0], "end": SALES_RANGE[1], "country": None, "product_id": None}
    funnel = {"start": FUNNEL_RANGE[0], "end": FUNNEL_RANGE[1]}
    return [
        BenchRoute("health", "/health", None),
        BenchRoute(
            "customers", "/v1/customers/lifetime-value?limit=20", queries.CUSTOMERS.page({"country": None}, None, 20)
        ),
        BenchRoute(
            "customer",
            f"/v1/customers/{customer_id}/lifetime-value",
            queries.Query(queries.CUSTOMER, {"customer_id": customer_id}),
        ),
        BenchRoute(
            "funnel",
            f"/v1/funnel/daily?start={funnel['start']}&end={funnel['end']}",
            queries.FUNNEL.page(funnel, None, 100),
        ),
        BenchRoute(
            "sales",
            f"/v1/sales/daily?start={sales['start']}&end={sales['end']}&limit=100",
            queries.DAILY_SALES.page(sales, None, 100),
        ),
    ]


def uvicorn_command(
    port: int,
    workers: int,
    keep_alive_seconds: int,
    tls_dir: Path,
    trusted_proxies: str = "127.0.0.1",
    loop: str = "uvloop",
    http: str = "httptools",
) -> list[str]:
    """uvicorn with the instances' flags (``modules/compute/user_data.py``; a test keeps the two equal)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        APP,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ssl-keyfile",
        str(tls_dir / "key.pem"),
        "--ssl-certfile",
        str(tls_dir / "cert.pem"),
        "--workers",
        str(workers),
        "--timeout-keep-alive",
        str(keep_alive_seconds),
        "--timeout-graceful-shutdown",
        "25",
        "--proxy-headers",
        "--forwarded-allow-ips",
        trusted_proxies,
        "--no-server-header",
        "--no-access-log",
        "--loop",
        loop,
        "--http",
        http,
    ]


def self_signed_certificate(tls_dir: Path) -> None:
    """A key and certificate for 127.0.0.1, as each instance makes one at boot."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "northwind-analytics")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tls_dir / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tls_dir / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def wrk(url: str, connections: int, seconds: int, token: str, script: Path, api_pids: Sequence[int] = ()) -> Figures:
    """``wrk`` against ``url``: two threads, ``connections`` keep-alive connections, ``seconds`` long; with
    ``api_pids``, the CPU time the API's processes and wrk spent per request."""
    api_before, wrk_before = cpu_seconds(api_pids), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [WRK, "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
         "-s", str(script), "-H", f"Authorization: Bearer {token}", url],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    )  # fmt: skip
    api_used = cpu_seconds(api_pids) - api_before
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_used = (wrk_after.ru_utime - wrk_before.ru_utime) + (wrk_after.ru_stime - wrk_before.ru_stime)
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    errors = sum(summary[kind] for kind in ("connect", "read", "write", "status", "timeout"))
    requests = max(summary["requests"], 1)
    return Figures(
        rps=summary["requests"] / (summary["duration_us"] / 1e6),
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        errors=errors,
        api_cpu_us=api_used / requests * 1e6 if api_pids else None,
        wrk_cpu_us=wrk_used / requests * 1e6 if api_pids else None,
    )


def pgbench_script(query: queries.Query) -> tuple[str, list[str]]:
    """``query`` as a pgbench script (``:name`` variables; NULL written in) and its ``-D name=value`` options."""
    defines: list[str] = []

    def variable(match: re.Match) -> str:
        name = match.group(1)
        value = query.params[name]
        if value is None:
            return "NULL"
        defines.append(f"--define={name}={value}")
        return f":{name}"

    sql = re.sub(r"%\((\w+)\)s", variable, " ".join(query.sql.split()))
    return sql + ";\n", sorted(set(defines))


def pgbench(query: queries.Query, database: psycopg.Connection, connections: int, seconds: int, work: Path) -> Figures:
    """pgbench running ``query`` as the service's role, prepared, over ``connections`` connections."""
    info = database.info
    sql, defines = pgbench_script(query)
    log_dir = work / "pgbench"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    script = log_dir / "route.sql"
    script.write_text(sql)
    command = [str(POSTGRES_BIN / "pgbench"), "-n", "-M", "prepared", "-c", str(connections),
               "-j", str(min(2, connections)), "-T", str(seconds), "-f", str(script), "-l",
               f"--log-prefix={log_dir / 'tx'}", "-h", info.host, "-p", str(info.port), "-U", SERVICE_USER,
               *defines, info.dbname]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 60, cwd=log_dir)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench failed: {(result.stderr or result.stdout).strip().splitlines()[-1]}")
    latencies = sorted(
        int(line.split()[2]) for path in log_dir.glob("tx*") for line in path.read_text().splitlines() if line
    )
    tps = float(re.search(r"tps = ([\d.]+)", result.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    # pgbench's per-transaction times come from a clock it reads once per loop, too coarse for a median of
    # sub-millisecond queries: its own average stands in for p50; the tail (p99) is read from the log.
    average = float(re.search(r"latency average = ([\d.]+) ms", result.stdout).group(1))
    return Figures(
        rps=tps,
        p50_ms=average,
        p99_ms=_percentile(latencies, 99) / 1000,
        errors=int(failed.group(1)) if failed else 0,
    )


def _percentile(values: list[int], percent: int) -> float:
    return float(values[min(len(values) - 1, int(len(values) * percent / 100))]) if values else 0.0


def load_average() -> tuple[float, float, float]:
    """The machine's 1, 5 and 15 minute load averages."""
    one, five, fifteen = os.getloadavg()
    return (round(one, 2), round(five, 2), round(fifteen, 2))


AUTOGROUP_SETTING = Path("/proc/sys/kernel/sched_autogroup_enabled")


def autogroup_warning(setting: Path = AUTOGROUP_SETTING) -> str | None:
    """Why the kept pass may stall on this machine: with the kernel's autogroups on, PostgreSQL (a session of
    its own, from ``pg_ctl``) is scheduled apart from the API and wrk, and its backends can wait seconds for a
    core (measured in docs/adr/0119-serving-versions-read-on-a-fixed-schedule-and-retried.md). None when off."""
    try:
        enabled = setting.read_text().strip() == "1"
    except OSError:
        return None
    if not enabled:
        return None
    return (
        "kernel.sched_autogroup_enabled is 1: PostgreSQL runs in a scheduling group of its own and its backends "
        "can wait seconds for a core while the API and wrk keep both busy (reads of the serving versions then time "
        "out in the kept pass); for figures of the service, not of the scheduler: "
        "sysctl kernel.sched_autogroup_enabled=0"
    )


def load_serving_tables(work: Path, database, console: Console, reload: bool) -> None:
    """Run the pipeline (sample data → lake → curation → serving load) unless the tables already hold its rows."""
    with psycopg.connect(database.conninfo()) as connection:
        loaded = connection.execute("SELECT to_regclass('serving.daily_sales') IS NOT NULL").fetchone()[0]
        if loaded and not reload:
            rows = connection.execute("SELECT count(*) FROM serving.daily_sales").fetchone()[0]
            if rows:
                console.print(f"serving tables already loaded ({rows:,} daily sales rows); --reload to load again")
                return
    from etl.spark import build_local_session

    quiet_local_spark()
    config = PipelineConfig(
        lake=work / "lake", source=DEFAULT_SOURCE, local_dir=work, run_date=datetime.now(UTC).date()
    )
    spark = build_local_session("northwind-bench-api")
    try:
        summary = run_pipeline(config, spark, database, console.print)
    finally:
        spark.stop()
    if not summary.ok or not summary.tables:
        raise typer.Exit(1)


def loopback_tls_context():
    """A TLS context for the benchmark's own API on loopback, whose certificate is self-signed for the run."""
    import ssl

    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Poll ``url`` until it answers 200 (the server started) or ``seconds`` pass; ``log`` is the server's."""
    import urllib.request

    context = loopback_tls_context()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the API exited with status {process.returncode}; its log: {log}")
        try:
            with urllib.request.urlopen(url, context=context, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the API did not answer {url} within {seconds:.0f} s; its log: {log}")


@dataclass
class CacheCounts:
    """The response cache's counters summed over the workers that answered ``/health/database``."""

    workers: int
    hits: int
    misses: int
    entries: int
    bytes: int
    invalidations: int

    @property
    def hit_ratio(self) -> float | None:
        served = self.hits + self.misses
        return self.hits / served if served else None


def cache_counts(base_url: str, token: str, workers: int, attempts: int = 50) -> CacheCounts:
    """Ask readiness until every worker answered once (each reports its own cache), and sum their counters."""
    import urllib.request

    context = loopback_tls_context()
    readiness = f"{base_url}/health/database"
    seen: dict[int, dict] = {}
    for _ in range(attempts):
        request = urllib.request.Request(readiness, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
        with urllib.request.urlopen(request, context=context, timeout=5) as response:  # noqa: S310 - loopback
            state = json.loads(response.read())["response_cache"]
        seen[state["worker"]] = state
        if len(seen) == workers:
            break
    states = list(seen.values())
    return CacheCounts(
        workers=len(states),
        hits=sum(s["hits"] for s in states),
        misses=sum(s["misses"] for s in states),
        entries=sum(s["entries"] for s in states),
        bytes=sum(s["bytes"] for s in states),
        invalidations=sum(s["invalidations"] for s in states),
    )


def check_targets(rows: list[Row]) -> None:
    """Annotate each row with the targets it misses."""
    by_key = {(row.cache, row.route, row.connections): row for row in rows}
    health_at = {row.connections: row for row in rows if row.route == "health"}
    # pgbench runs in the first pass only; every pass's rows are compared with it (what the SQL alone serves).
    pgbench_at = {(row.route, row.connections): row.pgbench for row in rows if row.pgbench is not None}
    for row in rows:
        if reference := pgbench_at.get((row.route, row.connections)):
            row.share_of_pgbench = row.http.rps / reference.rps
        health = health_at.get(row.connections)
        if row.route != "health" and health:
            row.share_of_health = row.http.rps / health.http.rps
            if row.share_of_health < TARGET_SHARE_OF_HEALTH:
                row.problems.append(f"< {TARGET_SHARE_OF_HEALTH:.0%} of /health")
        if row.http.errors:
            row.problems.append(f"{row.http.errors} errors")
        if row.connections == 8:
            if row.http.rps < TARGET_RPS_AT_8.get(row.route, 0):
                row.problems.append(f"< {TARGET_RPS_AT_8[row.route]} rps")
            if row.http.p99_ms > TARGET_P99_MS_AT_8.get(row.route, float("inf")):
                row.problems.append(f"p99 > {TARGET_P99_MS_AT_8[row.route]} ms")
        else:
            base = by_key.get((row.cache, row.route, 8))
            if base and row.http.rps < base.http.rps * (1 - NOISE):
                row.problems.append("less than at 8 connections")


def results_table(rows: list[Row], title: str) -> Table:
    table = Table(title=title)
    for column in ("route", "cache", "conns", "rps", "rounds' rps", "p50 ms", "p99 ms", "errors", "% of /health",
                   "API CPU µs", "wrk CPU µs", "pgbench tps", "pgbench avg", "pgbench p99", "% of pgbench", "load avg",
                   "targets"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("route", "cache", "targets") else "right")
    for row in rows:
        pg = row.pgbench
        table.add_row(
            row.route,
            row.cache,
            str(row.connections),
            f"{row.http.rps:,.0f}",
            _spread(row.rounds),
            f"{row.http.p50_ms:.1f}",
            f"{row.http.p99_ms:.1f}",
            str(row.http.errors),
            "-" if row.share_of_health is None else f"{row.share_of_health:.0%}",
            _microseconds(row.http.api_cpu_us),
            _microseconds(row.http.wrk_cpu_us),
            "-" if pg is None else f"{pg.rps:,.0f}",
            "-" if pg is None else f"{pg.p50_ms:.2f}",
            "-" if pg is None else f"{pg.p99_ms:.2f}",
            "-" if row.share_of_pgbench is None else f"{row.share_of_pgbench:.0%}",
            " ".join(f"{value:.2f}" for value in row.load_average),
            "ok" if not row.problems else "[red]" + "; ".join(row.problems) + "[/red]",
        )
    return table


def _microseconds(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _spread(rounds: list[Figures]) -> str:
    return f"{min(r.rps for r in rounds):,.0f}-{max(r.rps for r in rounds):,.0f}" if len(rounds) > 1 else "-"


@dataclass
class ApiUnderTest:
    """How the API is started for the benchmark: its code, workers, loop and parser, and its settings."""

    api_dir: Path
    workers: int
    loop: str
    http: str
    keep_alive_seconds: int
    tls_dir: Path
    environment: dict[str, str]


def measure_pass(
    api: ApiUnderTest,
    cache_bytes: int,
    label: str,
    selected: list[BenchRoute],
    counts: list[int],
    seconds: int,
    rounds: int,
    token: str,
    measure_pgbench: psycopg.Connection | None,
    work_dir: Path,
    console: Console,
) -> tuple[list[Row], CacheCounts]:
    """Start the API with ``cache_bytes`` of response cache, warm every route, measure them all in ``rounds``
    rounds (``round_order``), stop it; each row is the median of its rounds."""
    port = free_loopback_port()
    environment = {**api.environment, "NORTHWIND_RESPONSE_CACHE_BYTES": str(cache_bytes)}
    command = uvicorn_command(port, api.workers, api.keep_alive_seconds, api.tls_dir, loop=api.loop, http=api.http)
    base = f"https://127.0.0.1:{port}"
    served: dict[tuple[str, int], list[Figures]] = defaultdict(list)
    references: dict[tuple[str, int], list[Figures]] = defaultdict(list)
    loads: dict[tuple[str, int], list[tuple[float, float, float]]] = defaultdict(list)
    console.print(f"pass '{label}': response cache {cache_bytes:,} bytes per worker; load {load_average()}")
    log_path = work_dir / f"api-{label}.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=work_dir)
        try:
            wait_until_serving(f"{base}/health", server, log_path)
            for route in selected:
                console.print(f"  {route.name}: warming {WARM_SECONDS} s (not measured)")
                wrk(f"{base}{route.path}", max(counts), WARM_SECONDS, token, work_dir / "summary.lua")
            # After the warm-up every worker has started; the supervisor's own time counts too.
            api_pids = process_tree(server.pid)
            for round_index in range(rounds):
                for route in selected:
                    for count in round_order(counts, round_index):
                        key = (route.name, count)
                        console.print(f"  round {round_index + 1} of {rounds}: {route.name} at {count} connections …")
                        served[key].append(
                            wrk(f"{base}{route.path}", count, seconds, token, work_dir / "summary.lua", api_pids)
                        )
                        if measure_pgbench is not None and route.query is not None:
                            references[key].append(pgbench(route.query, measure_pgbench, count, seconds, work_dir))
                        loads[key].append(load_average())
            counted = cache_counts(base, token, api.workers)
        finally:
            server.terminate()
            server.wait(timeout=30)
    rows = [
        Row(
            route.name,
            label,
            count,
            median_figures(served[(route.name, count)]),
            median_figures(references[(route.name, count)]) if references[(route.name, count)] else None,
            # The busiest moment among the rounds: a row measured on a loaded machine says so.
            max(loads[(route.name, count)]),
            rounds=served[(route.name, count)],
        )
        for route in selected
        for count in counts
    ]
    ratio = "-" if counted.hit_ratio is None else f"{counted.hit_ratio:.2%}"
    console.print(
        f"pass '{label}': response cache hit ratio {ratio} ({counted.hits:,} hits, {counted.misses:,} misses, "
        f"{counted.entries} entries, {counted.bytes:,} bytes, {counted.invalidations} invalidation(s), "
        f"over {counted.workers} worker(s), warm-up included)"
    )
    return rows, counted


@app.command()
def main(
    seconds: Annotated[int, typer.Option(help="Seconds per measurement.")] = 6,
    rounds: Annotated[int, typer.Option(help="Rounds per pass; each row is the median of its rounds.")] = 3,
    connections: Annotated[str, typer.Option(help="Connection counts, comma-separated.")] = "8,32,64",
    routes: Annotated[str, typer.Option(help="Routes to measure, comma-separated (health is always measured).")] = (
        ",".join(DATA_ROUTES)
    ),
    passes: Annotated[
        str, typer.Option(help="Passes, comma-separated: kept (response cache as configured), database (cache off).")
    ] = ",".join(PASSES),
    workers: Annotated[int | None, typer.Option(help="uvicorn workers [default: vCPUs x workers_per_vcpu].")] = None,
    api_dir: Annotated[Path, typer.Option(help="Folder holding the northwind_analytics package to serve.")] = (
        REPO_ROOT / "api"
    ),
    loop: Annotated[str, typer.Option(help="uvicorn's event loop (the instances run uvloop).")] = "uvloop",
    http: Annotated[str, typer.Option(help="uvicorn's HTTP parser (the instances run httptools).")] = "httptools",
    with_pgbench: Annotated[bool, typer.Option(help="Run pgbench beside each route (in the first pass).")] = True,
    reload: Annotated[bool, typer.Option(help="Load the serving tables again even when present.")] = False,
    work_dir: Annotated[Path, typer.Option(help="PostgreSQL data, lake and logs.")] = DEFAULT_LOCAL_DIR / "bench-api",
    results_dir: Annotated[Path, typer.Option(help="Where the JSON results go.")] = REPO_ROOT / "bench-results",
) -> None:
    """Measure every route at each connection count beside pgbench and /health, with the cache and without."""
    console = Console(width=None if sys.stdout.isatty() else 240)
    try:
        counts = [int(part) for part in connections.split(",") if part.strip()]
    except ValueError:
        counts = []
    chosen = [part.strip() for part in passes.split(",") if part.strip()]
    route_names = [part.strip() for part in routes.split(",") if part.strip()]
    # The API runs from the work folder: a relative folder would name another place there.
    api_dir = api_dir.resolve()
    if problems := option_problems(counts, seconds, rounds, chosen, route_names, api_dir):
        for problem in problems:
            console.print(f"[red]error:[/red] {problem}")
        raise typer.Exit(2)
    runtime = load_environment("dev").analytics_api
    workers = workers or (os.cpu_count() or 1) * runtime.workers_per_vcpu
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "summary.lua").write_text(WRK_SUMMARY)
    self_signed_certificate(work_dir / "tls")
    started = datetime.now(UTC)
    rows: list[Row] = []
    caches: dict[str, CacheCounts] = {}
    with LocalPostgres(work_dir / "postgres") as database, LocalIdentityProvider() as issuer:
        load_serving_tables(work_dir, database, console, reload)
        with psycopg.connect(database.conninfo(), autocommit=True) as connection:
            # Tables loaded by an earlier run may predate the newest migrations (the serving versions).
            apply_migrations(connection)
            customer_id = connection.execute(
                "SELECT customer_id FROM serving.customer_lifetime_value ORDER BY lifetime_revenue DESC LIMIT 1"
            ).fetchone()[0]
            selected = [r for r in bench_routes(customer_id) if r.name == "health" or r.name in route_names]
            api = ApiUnderTest(
                api_dir=api_dir,
                workers=workers,
                loop=loop,
                http=http,
                keep_alive_seconds=runtime.keep_alive_seconds,
                tls_dir=work_dir / "tls",
                environment={
                    **os.environ,
                    "PYTHONPATH": str(api_dir),
                    "NORTHWIND_DB_HOST": database.host,
                    "NORTHWIND_DB_PORT": str(database.port),
                    "NORTHWIND_DB_NAME": database.dbname,
                    "NORTHWIND_DB_USER": SERVICE_USER,
                    "NORTHWIND_DB_SSLMODE": "disable",
                    "NORTHWIND_DB_POOL_MIN_SIZE": str(runtime.db_pool_min_size),
                    "NORTHWIND_DB_POOL_MAX_SIZE": str(runtime.db_pool_max_size),
                    "NORTHWIND_DB_POOL_WAIT_SECONDS": str(runtime.db_pool_wait_seconds),
                    "NORTHWIND_DB_STATEMENT_TIMEOUT_SECONDS": str(runtime.db_statement_timeout_seconds),
                    "NORTHWIND_RESPONSE_CACHE_REFRESH_SECONDS": str(runtime.response_cache_refresh_seconds),
                    "NORTHWIND_AUTH_ISSUER": issuer.issuer,
                    "NORTHWIND_AUTH_AUDIENCE": issuer.audience,
                    "NORTHWIND_AUTH_JWKS_URL": issuer.jwks_url,
                },
            )
            token = issuer.token([permission.value for permission in Permission], lifetime_seconds=3600)
            console.print(f"API: {api_dir}, {workers} worker(s), {loop}, {http}; load {load_average()}")
            if warning := autogroup_warning():
                console.print(f"[yellow]warning:[/yellow] {warning}")
            for number, label in enumerate(chosen):
                # /health and pgbench do not depend on the cache: measured in the first pass only.
                measured = selected if number == 0 else [r for r in selected if r.name != "health"]
                cache_bytes = runtime.response_cache_bytes if label == "kept" else 0
                pass_rows, caches[label] = measure_pass(
                    api, cache_bytes, label, measured, counts, seconds, rounds, token,
                    connection if with_pgbench and number == 0 else None, work_dir, console,
                )  # fmt: skip
                rows.extend(pass_rows)
    check_targets(rows)
    title = (
        f"Analytics API, {workers} worker(s), {loop}, {http}: median of {rounds} round(s) of {seconds} s per "
        f"measurement after {WARM_SECONDS} s warm-up per route, wrk -t2"
    )
    console.print(results_table(rows, title))
    for label, counted in caches.items():
        ratio = "-" if counted.hit_ratio is None else f"{counted.hit_ratio:.2%}"
        console.print(
            f"response cache, pass '{label}': hit ratio {ratio} ({counted.hits:,} of {counted.hits + counted.misses:,})"
        )
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"api-{started:%Y%m%dT%H%M%SZ}.json"
    document = {
        "started": started.isoformat(timespec="seconds"),
        "api_dir": str(api_dir),
        "workers": workers,
        "loop": loop,
        "http": http,
        "seconds": seconds,
        "rounds": rounds,
        "warm_seconds": WARM_SECONDS,
        "cores": os.cpu_count(),
        "sched_autogroup": autogroup_warning() is not None,
        "response_cache": {label: {**asdict(c), "hit_ratio": c.hit_ratio} for label, c in caches.items()},
        "rows": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    missed = [row for row in rows if row.problems]
    console.print(f"{len(rows) - len(missed)} of {len(rows)} measurements meet their targets; results in {path}")


def run() -> None:
    """The command; a tool it drives that fails (PostgreSQL, the API, pgbench) ends it with one line."""
    try:
        app()
    except RuntimeError as failure:
        Console(stderr=True).print(f"[red]error:[/red] {failure}")
        raise SystemExit(1) from None


if __name__ == "__main__":
    run()
