"""Benchmark: whole client intakes over HTTP, C at a time, against a bare FastAPI baseline.

In one run:

1. create an empty database (PostgreSQL: a new database on the server of ``--database-url``,
   dropped afterwards; SQLite: a new file in a temporary directory), migrate it, and seed one
   organisation, a coordinator, a clinician, and single-use intake links made through the
   intake service (outside the timed part);
2. start ``alongside serve`` on it in a child process (the outbox worker and the audit sealer
   running in it, as deployed) and, from ``--concurrency`` threads, fill in whole intakes for
   ``--seconds``: consent, PHQ-9, GAD-7, C-SSRS, own words, review, submit, following the
   server's redirects (``bench/intake_flow.py``);
3. start the baseline in a child process: a bare FastAPI + SQLAlchemy app with the same
   engine settings (``alongside.db.build_engine``: the same pool, pragmas and timeouts), whose
   every GET is one indexed select and every POST one insert and commit, all in plain ``def``
   routes as Alongside's are; replay the same requests (method, path shape, form) for the same
   time at the same concurrency;
4. print both, and as the last line one JSON object: ``{"database", "concurrency",
   "flows_per_s", "baseline_flows_per_s", "ratio", "errors", "p50_ms", "p95_ms", "p99_ms"}``
   (latencies of Alongside's requests; ``errors`` counts flows that did not finish and 5xx
   answers).

Run: ``.venv/bin/python bench/intake_load.py --database-url URL --concurrency 8 --seconds 30``
(``URL`` ``sqlite://`` for the embedded database).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.datastructures import FormData

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.intake_flow import FlowResult, run_intake

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def scratch_database(url: str, tmp: Path) -> Iterator[str]:
    """A fresh empty database like ``url``: a new PostgreSQL database, or a SQLite file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    server = parsed.set(drivername="postgresql+psycopg")
    name = f"alongside_bench_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, data_dir: Path, links: int) -> list[str]:
    """Migrate, then create a clinic and ``links`` intake links; returns their paths."""
    from alongside.accounts.service import create_user
    from alongside.config import Mode, Settings
    from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
    from alongside.intake import service
    from alongside.kit.time import utcnow
    from alongside.migrate import upgrade
    from alongside.models import Organization, Role

    upgrade(url)
    settings = Settings(mode=Mode.DEVELOPMENT, data_dir=data_dir, database_url=url)
    engine = build_engine(url)
    factory = make_sessionmaker(engine, key_provider_for(settings))
    paths: list[str] = []
    with session_scope(factory) as session:
        org = Organization(name="Load Clinic", slug="load-clinic", country="US")
        session.add(org)
        session.flush()
        coordinator = create_user(
            session,
            organization=org,
            email="coordinator@load.test",
            display_name="Coordinator",
            role=Role.COORDINATOR,
            password="a long benchmark password 123",  # noqa: S106 - throwaway database
            enforce_policy=False,
        )
        clinician = create_user(
            session,
            organization=org,
            email="clinician@load.test",
            display_name="Clinician",
            role=Role.CLINICIAN,
            password="a long benchmark password 123",  # noqa: S106 - throwaway database
            enforce_policy=False,
        )
        session.flush()
    for start in range(0, links, 200):
        with session_scope(factory) as session:
            for n in range(start, min(links, start + 200)):
                created = service.create_intake(
                    session,
                    actor=session.merge(coordinator),
                    new_client=service.NewClientDetails(
                        given_name="Load", family_name=f"Client{n}", email=None
                    ),
                    reviewer_id=clinician.id,
                    expires_in=timedelta(days=1),
                    now=utcnow(),
                )
                paths.append(created.path)
    engine.dispose()
    return paths


_CHILDREN: list[int] = []


def last_child_pid() -> int:
    """The process id of the server :func:`child_server` started last."""
    return _CHILDREN[-1]


@contextmanager
def child_server(args: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """Run a server process until the block ends; yields its base URL once it answers."""
    # The server's log goes to a file: a pipe nobody reads would fill and stop the server.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [PYTHON, *args],
        env={**os.environ, **env},
        stdout=log,
        stderr=log,
        cwd=ROOT,
    )
    _CHILDREN.append(process.pid)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited: {log.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)  # waiting for a child process to listen
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def drive(
    url: str, paths: list[str], concurrency: int, seconds: float
) -> tuple[list[FlowResult], float]:
    """Run whole intakes from ``concurrency`` threads for ``seconds``; returns the results."""
    results: list[FlowResult] = []
    lock = threading.Lock()
    queue = list(reversed(paths))
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=30.0) as http:
            while time.monotonic() < stop_at:
                with lock:
                    if not queue:
                        return
                    path = queue.pop()
                result = run_intake(http, path)
                with lock:
                    results.append(result)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - started


# ------------------------------------------------------------------------ the baseline app


async def _read_form(request: Request) -> FormData:
    # As Alongside does: the body is read on the event loop, the database work in the threadpool.
    return await request.form()


PostedForm = Annotated[FormData, Depends(_read_form)]


BASELINE_URL = "BENCH_BASELINE_URL"


def baseline_from_environment() -> Any:
    """The baseline app for uvicorn's worker processes (``--workers`` above 1)."""
    return baseline_app(os.environ[BASELINE_URL])


def baseline_app(url: str) -> Any:
    """A bare FastAPI + SQLAlchemy app: one indexed select per GET, one insert per POST."""
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse, RedirectResponse, Response
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

    from alongside.db import build_engine

    metadata = MetaData()
    rows = Table(
        "bench_baseline_rows",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("token", String(64), index=True, nullable=False),
        Column("step", String(64), nullable=False),
        Column("payload", String(2000), nullable=False),
    )
    engine = build_engine(url)
    metadata.create_all(engine)
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/intake/{token}/{rest:path}")
    @app.get("/intake/{token}")
    def page(token: str, rest: str = "") -> Response:
        with engine.connect() as conn:
            found = conn.execute(select(rows.c.id).where(rows.c.token == token).limit(1)).first()
        return HTMLResponse(f"<p>{token} {rest} {found is not None}</p>")

    @app.post("/intake/{token}/{rest:path}")
    def save(token: str, rest: str, data: PostedForm) -> Response:
        payload = json.dumps({k: v for k, v in data.items() if isinstance(v, str)})
        with engine.begin() as conn:
            conn.execute(insert(rows).values(token=token, step=rest, payload=payload))
        if rest == "submit":
            return HTMLResponse("<p>Thank you</p>")
        return RedirectResponse(f"/intake/{token}/next", status_code=303)

    return app


def replay(
    url: str, shape: list[tuple[str, str, dict[str, str]]], concurrency: int, seconds: float
) -> tuple[int, int, float]:
    """The same requests as one real flow, flow after flow; returns (flows, errors, time)."""
    done = 0
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        nonlocal done, errors
        with httpx.Client(base_url=url, timeout=30.0) as http:
            while time.monotonic() < stop_at:
                token = uuid.uuid4().hex
                failed = False
                for method, path, data in shape:
                    target = path.replace("{token}", token)
                    response = http.request(method, target, data=data or None)
                    failed = failed or response.status_code >= 400
                with lock:
                    done += 1
                    errors += failed

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done, errors, time.monotonic() - started


class _RecordingTransport(httpx.HTTPTransport):
    def __init__(self, record: list[tuple[str, str, dict[str, str]]]) -> None:
        super().__init__()
        self.record = record

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read().decode()
        data = dict(part.split("=", 1) for part in body.split("&") if "=" in part)
        path = request.url.path
        token = path.split("/")[2]
        self.record.append((request.method, path.replace(token, "{token}"), data))
        return super().handle_request(request)


def record_shape(url: str, path: str) -> list[tuple[str, str, dict[str, str]]]:
    """The requests of one whole flow against Alongside (method, path shape, form)."""
    shape: list[tuple[str, str, dict[str, str]]] = []
    with httpx.Client(base_url=url, timeout=30.0, transport=_RecordingTransport(shape)) as http:
        result = run_intake(http, path)
    if not result.finished:
        raise RuntimeError(f"the recorded flow failed: {result.error}")
    return [(m, p, {k: v.replace("+", " ") for k, v in d.items()}) for m, p, d in shape]


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite://")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes, for Alongside (`serve --workers N`, PostgreSQL only) and the "
        "baseline alike",
    )
    parser.add_argument("--serve-baseline", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        import uvicorn

        if args.workers > 1:
            baseline_app(args.serve_baseline)  # its table, made once before the workers start
            os.environ[BASELINE_URL] = args.serve_baseline
            uvicorn.run(
                "bench.intake_load:baseline_from_environment",
                factory=True,
                host="127.0.0.1",
                port=args.port,
                workers=args.workers,
            )
        else:
            uvicorn.run(baseline_app(args.serve_baseline), host="127.0.0.1", port=args.port)
        return
    if args.workers > 1 and make_url(args.database_url).get_backend_name() != "postgresql":
        parser.error("--workers above 1 needs PostgreSQL (SQLite has one writer at a time)")

    backend = make_url(args.database_url).get_backend_name()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with scratch_database(args.database_url, tmp) as url:
            links = int(max(100, args.concurrency * args.seconds * 3)) + 1
            paths = seed(url, tmp, links)
            port = _free_port()
            env = {
                "ALONGSIDE_DATABASE_URL": url,
                "ALONGSIDE_DATA_DIR": str(tmp),
                "ALONGSIDE_MODE": "development",
                "ALONGSIDE_PORT": str(port),
                "ALONGSIDE_SMTP_PORT": str(_free_port()),
            }
            serve = ["-m", "alongside.cli", "serve", "--workers", str(args.workers)]
            with child_server(serve, env, port) as server:
                shape = record_shape(server, paths.pop())
                results, spent = drive(server, paths, args.concurrency, args.seconds)
            finished = [r for r in results if r.finished]
            errors = sum(1 for r in results if not r.finished) + sum(
                r.server_errors for r in results
            )
            latencies = [s * 1000 for r in finished for *_, s in r.requests]
            flows_per_s = len(finished) / spent

            base_port = _free_port()
            with child_server(
                [
                    __file__,
                    "--serve-baseline",
                    url,
                    "--port",
                    str(base_port),
                    "--workers",
                    str(args.workers),
                ],
                {"PYTHONPATH": str(ROOT)},
                base_port,
            ) as baseline:
                base_done, base_errors, base_spent = replay(
                    baseline, shape, args.concurrency, args.seconds
                )
            baseline_per_s = base_done / base_spent

    print(
        f"alongside: {len(finished)} whole intakes in {spent:.1f} s ({flows_per_s:.2f}/s), "
        f"{len(shape)} requests each, {errors} errors"
    )
    print(
        f"baseline:  {base_done} flows in {base_spent:.1f} s ({baseline_per_s:.2f}/s), "
        f"{base_errors} errors"
    )
    if latencies:
        print(f"request latency: median {statistics.median(latencies):.1f} ms")
    print(
        json.dumps(
            {
                "database": "postgresql" if backend == "postgresql" else "sqlite",
                "concurrency": args.concurrency,
                "workers": args.workers,
                "flows_per_s": round(flows_per_s, 3),
                "baseline_flows_per_s": round(baseline_per_s, 3),
                "ratio": round(flows_per_s / baseline_per_s, 3) if baseline_per_s else None,
                "errors": errors,
                "p50_ms": round(percentile(latencies, 0.50), 1),
                "p95_ms": round(percentile(latencies, 0.95), 1),
                "p99_ms": round(percentile(latencies, 0.99), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
