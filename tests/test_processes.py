"""Several processes on one database: real `alongside serve` and `alongside worker` processes.

- Two server processes and two workers on one PostgreSQL database under concurrent intakes:
  no stall, no 5xx, every crisis alert delivered exactly once (a real SMTP server, aiosmtpd).
- A bounded kill -9 loop (marked slow; CI runs it): servers and the worker are killed at
  random moments of concurrent intakes and restarted, 50 times or more. Afterwards no
  acknowledged submission is lost, every crisis alert is delivered, and `alongside audit verify`
  exits 0. Runs on PostgreSQL and on SQLite (several processes on one SQLite file).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from bench.intake_flow import FlowResult, run_intake
from bench.intake_load import seed
from sqlalchemy import select
from typer.testing import CliRunner

from alongside.cli import app as cli_app
from alongside.config import Mode, Settings
from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.intake import service as intake_service
from alongside.kit.time import utcnow
from alongside.models import OutboxMessage, OutboxStatus
from alongside.notify.email import IDEMPOTENCY_HEADER
from tests.fixtures.db import fresh_database_url, is_postgres
from tests.notify.notify_support import SmtpSink, free_port, smtp_server

ROOT = Path(__file__).resolve().parent.parent
STARTUP_S = 60.0  # an upper bound for a process to answer, never a pause


@dataclass
class Deployment:
    """Server and worker processes of one installation (same environment, same database)."""

    env: dict[str, str]
    server_ports: list[int]
    logs: Path
    servers: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    workers: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    started_at: dict[str, float] = field(default_factory=dict)

    def _spawn(self, name: str, args: list[str], extra: dict[str, str]) -> subprocess.Popen[bytes]:
        self.started_at[name] = time.monotonic()
        # The child keeps its own copy of the file descriptor.
        with (self.logs / f"{name}.log").open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "alongside.cli", *args],
                env={**os.environ, **self.env, **extra},
                stdout=log,
                stderr=log,
                cwd=ROOT,
            )

    def start_server(self, port: int) -> None:
        """Start (or restart) the server on ``port``."""
        self.servers[port] = self._spawn(f"server-{port}", ["serve"], {"ALONGSIDE_PORT": str(port)})

    def start_worker(self, number: int) -> None:
        """Start (or restart) worker ``number``."""
        self.workers[number] = self._spawn(f"worker-{number}", ["worker"], {})

    def url(self, port: int) -> str:
        """A server's base URL."""
        return f"http://127.0.0.1:{port}"

    def wait_until_serving(self, port: int) -> None:
        """Return once the server on ``port`` answers /healthz (bounded)."""
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            process = self.servers[port]
            assert process.poll() is None, (self.logs / f"server-{port}.log").read_text()[-3000:]
            try:
                if httpx.get(f"{self.url(port)}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                threading.Event().wait(0.05)  # polling a child process, bounded
        raise AssertionError(f"server {port} did not start")

    def is_serving(self, port: int) -> bool:
        """Whether the server on ``port`` answers /healthz right now."""
        try:
            return httpx.get(f"{self.url(port)}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop_all(self) -> None:
        """SIGTERM everything, then wait (SIGKILL what does not end within 15 s)."""
        processes = list(self.servers.values()) + list(self.workers.values())
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _deployment(url: str, data: Path, smtp: SmtpSink, servers: int, **env: str) -> Deployment:
    values = {
        "ALONGSIDE_DATABASE_URL": url,
        "ALONGSIDE_DATA_DIR": str(data),
        "ALONGSIDE_MODE": "development",
        "ALONGSIDE_RUN_WORKER_IN_SERVER": "false",
        "ALONGSIDE_SMTP_HOST": "127.0.0.1",
        "ALONGSIDE_SMTP_PORT": str(smtp.port),
        "ALONGSIDE_OUTBOX_POLL_SECONDS": "0.2",
        "ALONGSIDE_AUDIT_SEAL_SECONDS": "0.5",
        **env,
    }
    logs = data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return Deployment(values, [free_port() for _ in range(servers)], logs)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    """A new database for the processes."""
    yield from fresh_database_url(tmp_path, "processes")


def _crisis_keys(url: str, data: Path) -> list[str]:
    settings = Settings(mode=Mode.DEVELOPMENT, data_dir=data, database_url=url)
    engine = build_engine(url)
    try:
        with session_scope(make_sessionmaker(engine, key_provider_for(settings))) as session:
            rows = session.execute(
                select(OutboxMessage.idempotency_key, OutboxMessage.status).where(
                    OutboxMessage.kind == "crisis_alert"
                )
            ).all()
    finally:
        engine.dispose()
    assert all(status is OutboxStatus.DELIVERED for _, status in rows), rows
    return [key for key, _ in rows]


def _wait_until_delivered(url: str) -> None:
    """Return once every crisis alert in the outbox is recorded delivered (bounded)."""
    engine = build_engine(url)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                waiting = conn.execute(
                    select(OutboxMessage.id).where(
                        OutboxMessage.kind == "crisis_alert",
                        OutboxMessage.status != OutboxStatus.DELIVERED,
                    )
                ).first()
            if waiting is None:
                return
            threading.Event().wait(0.2)  # polling the database, bounded
        raise AssertionError("crisis alerts were left undelivered")
    finally:
        engine.dispose()


def _wait_for_alerts(smtp: SmtpSink, expected: set[str]) -> Counter[str]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        received = Counter(m[IDEMPOTENCY_HEADER] for m in list(smtp.messages))
        if expected <= set(received):
            return received
        smtp.arrived.clear()
        smtp.arrived.wait(0.5)
    raise AssertionError(f"crisis alerts not delivered: {expected - set(received)}")


def _acknowledged_are_stored(url: str, data: Path, tokens: list[str]) -> None:
    settings = Settings(mode=Mode.DEVELOPMENT, data_dir=data, database_url=url)
    engine = build_engine(url)
    try:
        with session_scope(make_sessionmaker(engine, key_provider_for(settings))) as session:
            for token in tokens:
                with pytest.raises(intake_service.IntakeAlreadySubmitted):
                    intake_service.open_intake(session, token, utcnow())
    finally:
        engine.dispose()


def _audit_verify(url: str, data: Path) -> None:
    result = CliRunner().invoke(
        cli_app,
        ["audit", "verify", "--data-dir", str(data)],
        env={"ALONGSIDE_DATABASE_URL": url},
    )
    assert result.exit_code == 0, result.output
    assert "Audit chain intact" in result.stdout


def _expected_alert_keys(url: str, data: Path) -> set[str]:
    return set(_crisis_keys_any_status(url, data))


def _crisis_keys_any_status(url: str, data: Path) -> list[str]:
    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    select(OutboxMessage.idempotency_key).where(
                        OutboxMessage.kind == "crisis_alert"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


def test_two_servers_and_two_workers_deliver_every_crisis_alert_exactly_once(
    database: str, tmp_path: Path
) -> None:
    if not is_postgres():
        pytest.skip("several server processes are the PostgreSQL deployment")
    data = tmp_path / "data"
    paths = seed(database, data, 24)
    with smtp_server() as smtp:
        deployment = _deployment(database, data, smtp, servers=2)
        try:
            for port in deployment.server_ports:
                deployment.start_server(port)
            for number in range(2):
                deployment.start_worker(number)
            for port in deployment.server_ports:
                deployment.wait_until_serving(port)
            ports = deployment.server_ports

            def flow(i: int) -> FlowResult:
                with httpx.Client(base_url=deployment.url(ports[i % 2]), timeout=10.0) as http:
                    return run_intake(http, paths[i], crisis=i % 3 == 0)

            with ThreadPoolExecutor(max_workers=12) as pool:
                results = list(pool.map(flow, range(24)))
            assert [r.error for r in results] == [None] * 24
            assert sum(r.server_errors for r in results) == 0
            crisis = sum(1 for i in range(24) if i % 3 == 0)
            expected = _expected_alert_keys(database, data)
            assert len(expected) == crisis
            received = _wait_for_alerts(smtp, expected)
            _wait_until_delivered(database)
            # Exactly once: two workers polling every 0.2 s never both send one alert.
            assert {key: received[key] for key in expected} == dict.fromkeys(expected, 1)
            for port in ports:
                assert deployment.is_serving(port)
        finally:
            deployment.stop_all()
    assert sorted(_crisis_keys(database, data)) == sorted(expected)
    _assert_graceful_exit(deployment)
    _audit_verify(database, data)


def _assert_graceful_exit(deployment: Deployment) -> None:
    # SIGTERM ended every process by itself (within stop_all's 15 s, well within 10 s each
    # in practice): none had to be killed.
    for process in list(deployment.servers.values()) + list(deployment.workers.values()):
        assert process.returncode in (0, -signal.SIGTERM), process.returncode


KILLS = 50
LOAD_THREADS = 6
LOOP_BUDGET_S = 170.0


@pytest.mark.slow
def test_kill_9_servers_and_worker_during_concurrent_intakes_loses_nothing(
    database: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    paths = seed(database, data, 400)
    rng = random.Random(10)
    acknowledged: list[str] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()
    with smtp_server() as smtp:
        deployment = _deployment(
            database,
            data,
            smtp,
            servers=2,
            # A short crisis lease, so alerts interrupted by the kills are resent quickly.
            ALONGSIDE_OUTBOX_CRISIS_SENDING_TIMEOUT_SECONDS="3",
        )
        ports = deployment.server_ports
        try:
            for port in ports:
                deployment.start_server(port)
            deployment.start_worker(0)
            for port in ports:
                deployment.wait_until_serving(port)

            # Servers seen answering since their last (re)start, and since when.
            up: dict[int, float] = dict.fromkeys(ports, time.monotonic())

            def load(_number: int) -> None:
                while not stop.is_set():
                    with lock:
                        serving = list(up)
                        if not paths:
                            return
                        path = paths.pop() if serving else ""
                    if not serving:
                        stop.wait(0.1)  # both servers restarting: wait for one
                        continue
                    port = rng.choice(serving)
                    with httpx.Client(base_url=deployment.url(port), timeout=10.0) as http:
                        result = run_intake(http, path, crisis=rng.random() < 0.3)
                    with lock:
                        outcomes[(result.error or "finished").split(":")[0]] += 1
                        if result.finished:
                            acknowledged.append(path.rsplit("/", 1)[-1])
                        elif not result.requests:
                            paths.append(path)  # never reached the server: use it again

            threads = [threading.Thread(target=load, args=(n,)) for n in range(LOAD_THREADS)]
            for thread in threads:
                thread.start()
            kills = Counter[str]()
            started = time.monotonic()
            while sum(kills.values()) < KILLS and time.monotonic() - started < LOOP_BUDGET_S:
                # Let requests be in flight, then kill something at random: a server that has
                # served a while, while the other one serves (so intakes keep coming), or the
                # worker once it has run a while.
                stop.wait(rng.uniform(0.3, 1.0))
                now = time.monotonic()
                for port in ports:
                    if port not in up and deployment.is_serving(port):
                        with lock:
                            up[port] = now
                candidates = [
                    f"server-{p}"
                    for p in ports
                    if p in up and now - up[p] > 1.5 and len(up) == len(ports)
                ]
                if now - deployment.started_at["worker-0"] > 2.0:
                    candidates.append("worker-0")
                if not candidates:
                    continue
                victim = rng.choice(candidates)
                if victim == "worker-0":
                    deployment.workers[0].kill()
                    deployment.workers[0].wait()
                    deployment.start_worker(0)
                else:
                    port = int(victim.split("-")[1])
                    with lock:
                        del up[port]
                    deployment.servers[port].kill()
                    deployment.servers[port].wait()
                    deployment.start_server(port)
                kills[victim.split("-")[0]] += 1
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            print(  # noqa: T201 - what the loop did, shown with -s
                f"\nkill -9: {dict(kills)} in {time.monotonic() - started:.0f} s; "
                f"{len(acknowledged)} intakes acknowledged; flows: {dict(outcomes)}"
            )
            assert sum(kills.values()) >= KILLS, f"only {dict(kills)} kills within the budget"
            assert kills["worker"] > 0
            assert kills["server"] > 0
            assert acknowledged
            # Recovery: everything up again; every crisis alert goes out.
            for port in ports:
                deployment.wait_until_serving(port)
            expected = _expected_alert_keys(database, data)
            _wait_for_alerts(smtp, expected)
            _wait_until_delivered(database)
        finally:
            stop.set()
            deployment.stop_all()
    _acknowledged_are_stored(database, data, acknowledged)
    assert set(_crisis_keys(database, data)) == expected
    _audit_verify(database, data)
