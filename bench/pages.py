"""Benchmark: the first page of each busy list over HTTP, against a real server, at N clients.

In one run:

1. make a fresh database (a new one on the PostgreSQL server of ``--database-url``, or SQLite
   in a temporary directory) and migrate it to head;
2. seed N clients, each with a submitted intake and a triage proposal, through the ORM and
   its encryption hooks, as the intake service stores them (per-client data keys, encrypted
   fields, blind indexes and name-prefix search terms), in batches of ``--batch`` clients per
   transaction. The clinic grows as clinics do: ``--per-day`` new clients a day (so 10,000
   clients span 125 days and 100,000 span 3.4 years) and one clinician per ``--caseload``
   clients (at least 20), so a clinician's care team is the same size at any N. Urgencies are
   1 % crisis, 7 % urgent, 22 % soon, 70 % routine. Proposals older than two weeks are decided,
   newer ones half of them (80 % accepted, 12 % amended, 8 % rejected); every accepted and
   amended client stays on the waitlist (so the waitlist grows with N: its first page must not);
   one more clinician has a single client with one proposal;
3. start ``alongside serve`` on a free port of 127.0.0.1 on that database, sign staff in
   (server-side sessions), and time ``--requests`` sequential GETs of each page after three
   warm-up requests: p50, p95 and max, plus the server's resident memory (VmRSS, and VmHWM, its
   peak) after the run and the machine's load average before and after.

The last line is one JSON object.

    .venv/bin/python bench/pages.py --clients 10000
    .venv/bin/python bench/pages.py --clients 100000 \\
        --database-url postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from alongside.accounts.service import create_user, start_session
from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.migrate import upgrade
from alongside.models import (
    CareTeam,
    Client,
    Decision,
    DecisionOutcome,
    Intake,
    IntakeStatus,
    Organization,
    Role,
    Suggestion,
    SuggestionStatus,
    WaitlistEntry,
    WaitlistStatus,
)

GIVEN = (
    "Ada Alex Amara Ana Ben Bea Carl Chen Dana Dev Eli Emma Fatima Finn Grace Hana Ivan Iris "
    "Jon Jo Kai Kim Lea Leo Maria Mateo Nia Noah Omar Olga Paul Priya Quinn Rosa Ravi Sara "
    "Sam Tariq Tess Uma Victor Wen Xavier Yara Yusuf Zoe"
).split()
FAMILY = (
    "Abbott Adeyemi Baker Bianchi Chen Costa Dubois Evans Fischer Garcia Haddad Hughes Ito "
    "Jansen Kaur Kowalski Larsen Lopez Martin Moreau Nakamura Novak Okafor Olsen Patel Petrov "
    "Quinn Rossi Santos Schmidt Silva Tanaka Taylor Ueda Vasquez Walsh Weber Xu Yilmaz Zhang"
).split()
URGENCY_SHARES = (("crisis", 0.01), ("urgent", 0.07), ("soon", 0.22), ("routine", 0.70))
VERSIONS = [
    {"ruleset": "default", "ruleset_version": "2025.3", "risk": {"model": "rules-2025.3"}},
    {"ruleset": "default", "ruleset_version": "2025.4", "risk": {"model": "rules-2025.4"}},
    {"ruleset": "default", "ruleset_version": "2025.4", "risk": None},
]
RULES = [["phq9-moderate"], ["phq9-severe"], ["phq9-severe", "cssrs-recent"], ["gad7-moderate"]]
PASSWORD = "a long benchmark passphrase 2026"  # noqa: S105 - a throwaway scratch database
NOW = datetime.now(UTC)


@contextmanager
def scratch_database(url: str | None, keep: bool) -> Iterator[str]:
    """A fresh database URL, dropped afterwards unless ``keep``."""
    if not url or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    server = make_url(url).set(drivername="postgresql+psycopg")
    name = f"alongside_bench_pages_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _urgency(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for urgency, share in URGENCY_SHARES:
        total += share
        if roll < total:
            return urgency
    return "routine"


def seed(
    url: str,
    key_file: Path,
    clients: int,
    batch: int,
    seed_value: int,
    per_day: int = 80,
    caseload: int = 500,
) -> dict[str, str]:
    """Seed the clinic; return the staff emails by role name."""
    rng = random.Random(seed_value)
    engine = build_engine(url)
    factory = make_sessionmaker(engine, FileKeyProvider(key_file))
    with session_scope(factory) as session:
        org = Organization(
            name="Benchmark clinic", slug="bench", timezone="Europe/London", country="GB"
        )
        session.add(org)
        session.flush()
        staff = {}
        for role, name in (
            (Role.CLINICAL_LEAD, "lead"),
            (Role.COORDINATOR, "coordinator"),
            (Role.CLINICIAN, "solo"),
        ):
            staff[name] = create_user(
                session,
                organization=org,
                email=f"{name}@bench.example",
                display_name=name.title(),
                role=role,
                password=PASSWORD,
                enforce_policy=False,
            )
        clinicians = [
            create_user(
                session,
                organization=org,
                email=f"clinician{n}@bench.example",
                display_name=f"Clinician {n}",
                role=Role.CLINICIAN,
                password=PASSWORD,
                enforce_policy=False,
            )
            for n in range(max(20, clients // caseload))
        ]
        org_id = org.id
        clinician_ids = [c.id for c in clinicians]
        solo_id = staff["solo"].id
    emails = {"lead": "lead@bench.example", "coordinator": "coordinator@bench.example"}
    emails |= {"clinician": "clinician0@bench.example", "solo": "solo@bench.example"}

    def one(
        n: int, clinician_id: uuid.UUID, decide: bool
    ) -> tuple[list[object], list[object], list[object], list[object]]:
        """One client's rows, in the order their foreign keys need them inserted."""
        span_minutes = max(60 * 24 * 14, clients * 24 * 60 // per_day)
        proposed_at = NOW - timedelta(minutes=rng.randint(5, span_minutes))
        born = (date(1950, 1, 1) + timedelta(days=rng.randint(0, 20000))).isoformat()
        client = Client(
            id=uuid.uuid4(),
            organization_id=org_id,
            # Client 77 is the one the searches look for (every other is random).
            given_name="Maria" if n == 77 else rng.choice(GIVEN),
            family_name="Lopez" if n == 77 else rng.choice(FAMILY),
            email=f"client{n}@bench.example",
            date_of_birth="1980-06-15" if n == 77 else born,
            created_at=proposed_at - timedelta(days=1),
        )
        intake = Intake(
            id=uuid.uuid4(),
            organization_id=org_id,
            client_id=client.id,
            created_by_id=clinician_id,
            reviewer_id=clinician_id,
            token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
            instruments=["phq9", "gad7", "cssrs-screen"],
            status=IntakeStatus.SUBMITTED,
            expires_at=proposed_at + timedelta(days=14),
            submitted_at=proposed_at,
            own_words="I have been finding things hard for a while.",
        )
        team = CareTeam(organization_id=org_id, client_id=client.id, clinician_id=clinician_id)
        urgency = _urgency(rng)
        suggestion = Suggestion(
            id=uuid.uuid4(),
            organization_id=org_id,
            client_id=client.id,
            intake_id=intake.id,
            kind="triage",
            status=SuggestionStatus.PROPOSED,
            urgency=urgency,
            pathway="step2",
            inputs_digest="0" * 64,
            versions=rng.choice(VERSIONS),
            fired_rules=rng.choice(RULES),
            reasons="[]",
            inputs="{}",
            proposed_at=proposed_at,
        )
        last: list[object] = []
        if decide or NOW - proposed_at > timedelta(days=14):
            roll = rng.random()
            outcome = (
                DecisionOutcome.ACCEPTED
                if roll < 0.8
                else DecisionOutcome.AMENDED
                if roll < 0.92
                else DecisionOutcome.REJECTED
            )
            decided_at = proposed_at + timedelta(minutes=rng.randint(10, 60 * 24 * 10))
            suggestion.status = SuggestionStatus(outcome.value)
            last.append(
                Decision(
                    organization_id=org_id,
                    client_id=client.id,
                    suggestion_id=suggestion.id,
                    outcome=outcome,
                    decided_by_id=clinician_id,
                    decided_at=decided_at,
                    urgency=urgency,
                    pathway="step2",
                    proposed_urgency=urgency,
                    proposed_pathway="step2",
                    proposed_at=proposed_at,
                    proposed_rules=list(suggestion.fired_rules),
                    proposed_versions=dict(suggestion.versions),
                    reason=None if outcome is DecisionOutcome.ACCEPTED else "Seen differently.",
                )
            )
            if outcome is not DecisionOutcome.REJECTED:
                last.append(
                    WaitlistEntry(
                        organization_id=org_id,
                        client_id=client.id,
                        urgency=urgency,
                        pathway="step2",
                        status=WaitlistStatus.WAITING,
                        decided_by_id=clinician_id,
                        added_at=decided_at,
                    )
                )
        return [client], [intake, team], [suggestion], last

    def store(session: Session, made: list[tuple[list[object], ...]]) -> None:
        # One flush per stage, so each insert finds the rows it refers to.
        for stage in range(4):
            session.add_all([row for rows in made for row in rows[stage]])
            session.flush()

    done = 0
    while done < clients:
        size = min(batch, clients - done)
        with session_scope(factory) as session:
            store(
                session,
                [
                    one(n, clinician_ids[n % len(clinician_ids)], rng.random() < 0.5)
                    for n in range(done, done + size)
                ],
            )
        done += size
        if done % (batch * 10) == 0 or done == clients:
            print(f"seeded {done} clients", file=sys.stderr, flush=True)
    with session_scope(factory) as session:
        store(session, [one(clients, solo_id, False)])
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    engine.dispose()
    return emails


def sessions(url: str, key_file: Path, emails: dict[str, str]) -> dict[str, str]:
    """A signed-in session cookie per role name (as the sign-in page would create)."""
    from sqlalchemy import select

    from alongside.models import User

    engine = build_engine(url)
    factory = make_sessionmaker(engine, FileKeyProvider(key_file))
    cookies = {}
    with session_scope(factory) as session:
        for name, email in emails.items():
            user = session.scalar(select(User).where(User.email == email))
            assert user is not None
            cookies[name] = start_session(session, user, datetime.now(UTC)).session_token
    engine.dispose()
    return cookies


def free_port() -> int:
    """A port the kernel says is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def memory(pid: int) -> dict[str, int]:
    """The process's resident and peak resident memory in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":")
            out[key] = int(value.split()[0]) // 1024
    return out


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def time_page(http: httpx.Client, path: str, cookie: str, requests: int) -> dict[str, float]:
    """Warm up, then time ``requests`` sequential GETs; milliseconds."""
    http.cookies.set("alongside_session", cookie)
    timings = []
    for n in range(requests + 3):
        start = time.perf_counter()
        answer = http.get(path, headers={"Accept": "text/html" if path[:5] != "/api/" else "*/*"})
        elapsed = (time.perf_counter() - start) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"{path}: HTTP {answer.status_code}: {answer.text[:300]}")
        if n >= 3:
            timings.append(elapsed)
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
        "max_ms": round(timings[-1], 1),
        "bytes": len(answer.content),
    }


PAGES: list[tuple[str, str, str]] = [
    ("review queue (page)", "clinician", "/review"),
    ("review queue (API)", "clinician", "/api/review/queue"),
    ("review queue, one-row clinician", "solo", "/review"),
    ("waitlist (page)", "coordinator", "/scheduling/waitlist"),
    ("waitlist (API)", "coordinator", "/api/scheduling/waitlist"),
    ("client list (API)", "lead", "/api/clients"),
    ("search: name prefix", "lead", "/api/clients?q=ma"),
    ("search: two prefixes", "lead", "/api/clients?q=maria%20lo"),
    ("search: email", "lead", "/api/clients?q=client77%40bench.example"),
    ("search: date of birth", "lead", "/api/clients?q=1980-06-15"),
    ("home (lead)", "lead", "/home"),
    ("home (coordinator)", "coordinator", "/home"),
    ("oversight (page)", "lead", "/oversight"),
    ("oversight (API)", "lead", "/api/oversight"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-day", type=int, default=80, help="new clients a day")
    parser.add_argument("--caseload", type=int, default=500, help="clients per clinician")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()
    with scratch_database(args.database_url, args.keep) as url, tempfile.TemporaryDirectory() as d:
        data_dir = Path(d)
        key_file = data_dir / "keys" / "kek.key"
        upgrade(url)
        started = time.perf_counter()
        emails = seed(
            url, key_file, args.clients, args.batch, args.seed, args.per_day, args.caseload
        )
        seed_seconds = time.perf_counter() - started
        cookies = sessions(url, key_file, emails)
        port = free_port()
        env = {**os.environ, "ALONGSIDE_DATABASE_URL": url, "ALONGSIDE_DATA_DIR": str(data_dir)}
        server = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            [str(Path(sys.executable).with_name("alongside")), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        results: dict[str, dict[str, float]] = {}
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=60) as http:
                for _ in range(300):
                    try:
                        if http.get("/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if server.poll() is not None:
                        raise SystemExit("the server exited; run `alongside serve` to see why")
                    time.sleep(0.1)
                load_before = load()
                for label, who, path in PAGES:
                    results[label] = time_page(http, path, cookies[who], args.requests)
                    print(f"{label:34} {results[label]}", file=sys.stderr, flush=True)
                load_after = load()
            mem = memory(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    summary = {
        "database": make_url(url).get_backend_name(),
        "clients": args.clients,
        "seed_seconds": round(seed_seconds, 1),
        "requests_per_page": args.requests,
        "clinicians": max(20, args.clients // args.caseload),
        "server_rss_mb": mem.get("VmRSS"),
        "server_peak_rss_mb": mem.get("VmHWM"),
        "load_before": load_before,
        "load_after": load_after,
        "pages": results,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
