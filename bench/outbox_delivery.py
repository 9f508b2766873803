"""Benchmark: outbox enqueue cost and webhook delivery rate through the real worker.

In one run:

1. migrate a scratch database (SQLite in a temporary directory, or a new database on the
   PostgreSQL server given with ``--postgres URL``) to head;
2. enqueue N webhook messages, each in its own committed transaction (as an intake's alert
   is), and time it (commits/s);
3. drain the outbox with K threads each calling :func:`alongside.notify.worker.deliver_due`
   (batch 20) against a real HTTP receiver on 127.0.0.1 that verifies every signature, and time
   it (messages/s). K > 1 only makes sense on PostgreSQL (SKIP LOCKED).

The run fails unless every message arrived exactly once with a valid signature and is stored
``delivered``. The last line is one JSON object.

Run: ``.venv/bin/python bench/outbox_delivery.py [--messages N] [--workers K]
[--postgres postgresql://postgres@127.0.0.1:5432/postgres]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.migrate import upgrade
from alongside.models import OutboxMessage, OutboxStatus
from alongside.notify.service import enqueue
from alongside.notify.webhook import WebhookEndpoint, WebhookSender, verify_webhook_signature
from alongside.notify.worker import deliver_due

SECRET = "benchmark-webhook-secret-0123456789"  # noqa: S105 - a throwaway local receiver


@contextmanager
def scratch_database(postgres: str | None) -> Iterator[str]:
    """A fresh database URL, dropped afterwards."""
    if not postgres:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    server = make_url(postgres).set(drivername="postgresql+psycopg")
    name = f"alongside_bench_outbox_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def receiver() -> Iterator[tuple[str, Counter[str], list[bool]]]:
    """A real HTTP receiver that verifies signatures and counts idempotency keys."""
    keys: Counter[str] = Counter()
    valid: list[bool] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ok = verify_webhook_signature(
                SECRET,
                self.headers.get("X-Alongside-Timestamp", ""),
                body,
                self.headers.get("X-Alongside-Signature", ""),
                now=datetime.now(UTC),
            )
            with lock:
                keys[self.headers.get("Idempotency-Key", "")] += 1
                valid.append(ok)
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", keys, valid
    finally:
        server.shutdown()
        server.server_close()


def enqueue_all(factory: sessionmaker[Session], count: int) -> float:
    """Enqueue ``count`` messages, one committed transaction each; returns seconds."""
    started = time.perf_counter()
    for n in range(count):
        with session_scope(factory) as session:
            enqueue(
                session,
                kind="crisis_alert",
                channel="webhook",
                recipient="oncall",
                subject="Urgent: an intake needs review",
                body=f"Open the case: https://clinic.example/review/{n}",
                payload={"intake": n},
                idempotency_key=f"bench:{n}",
                now=datetime.now(UTC),
            )
    return time.perf_counter() - started


def drain(factory: sessionmaker[Session], url: str, workers: int) -> float:
    """Deliver everything with ``workers`` threads; returns seconds."""
    errors: list[BaseException] = []

    def work() -> None:
        sender = WebhookSender({"oncall": WebhookEndpoint(url, SECRET)})
        try:
            while deliver_round(factory, sender):
                pass
        except BaseException as exc:
            errors.append(exc)
        finally:
            sender.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def deliver_round(factory: sessionmaker[Session], sender: WebhookSender) -> int:
    """One worker round at the current time."""
    return deliver_due(factory, now=datetime.now(UTC), senders={"webhook": sender}, batch=20)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    with scratch_database(args.postgres) as url, receiver() as (hook, keys, valid):
        upgrade(url)
        engine = build_engine(url)
        factory = make_sessionmaker(engine)
        enqueue_s = enqueue_all(factory, args.messages)
        drain_s = drain(factory, hook, args.workers)
        with session_scope(factory) as session:
            delivered = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.DELIVERED)
            )
        engine.dispose()
        assert delivered == args.messages, delivered
        assert len(keys) == args.messages, len(keys)
        assert set(keys.values()) == {1}, "a message arrived twice"
        assert all(valid), "a signature did not verify"
        result = {
            "database": engine.dialect.name,
            "messages": args.messages,
            "workers": args.workers,
            "enqueue_commits_per_s": round(args.messages / enqueue_s),
            "enqueue_ms_per_commit": round(1000 * enqueue_s / args.messages, 2),
            "delivered_per_s": round(args.messages / drain_s),
            "drain_s": round(drain_s, 2),
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
