"""Benchmark: ``alongside audit verify`` over one million stored audit events.

In one run:

1. migrate a scratch SQLite database (in a temporary directory) to head;
2. bulk-insert N synthetic chained events (default 1,000,000): hashes are precomputed with
   :func:`alongside.audit.chain.seal` over the same fields :func:`alongside.audit.service.record`
   seals, and rows go in through the driver's ``executemany`` in batches, in SQLite's storage
   form (event 1 is read back through the ORM to check they agree); for the load the two
   triggers that refuse an insert already sealed (and a head that moves more than one event at
   a time) are dropped, and the head row is set once at the end. Nothing else about the
   schema changes;
3. time :func:`alongside.audit.service.verify_stored_chain` in this process (events/s);
4. run the real command ``alongside audit verify --data-dir <dir>`` as a child process, and
   again on a 10,000-event database, reporting wall time and the child's peak resident memory
   (``os.wait4`` rusage); equal peaks for 10 thousand and 1 million events show the constant
   memory of the streaming verifier.

Every verification must report the chain intact, or the benchmark fails.
The last line is one JSON object.

Run: ``.venv/bin/python bench/audit_verify.py [--events N] [--batch N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from alongside.audit.chain import GENESIS_HASH, canonical_json, seal
from alongside.audit.service import event_fields, verify_stored_chain
from alongside.db import build_engine
from alongside.migrate import upgrade
from alongside.models import AuditEvent
from alongside.models.audit_event import HASHED_COLUMNS

SMALL = 10_000
ACTIONS = ("read", "read", "read", "list", "update", "create", "search", "export")
PURPOSES = ("treatment", "treatment", "treatment", "operations", "client_access", "emergency")
ROLES = ("clinician", "clinician", "coordinator", "clinical_lead", "client")
RESOURCES = ("client", "intake", "score", "note", "appointment", "questionnaire_response")
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _dashed(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def synthetic_event(i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Event ``i`` as sealed (canonical strings) and as SQLite stores it (hex UUIDs, UTC text).

    Deterministic in ``i``. The canonical JSON of a UUID or an aware datetime is the JSON
    string of its canonical text, so sealing the text gives the same hash as sealing the
    objects that :func:`alongside.audit.service.record` holds (checked in :func:`load`).
    """
    role = ROLES[i % len(ROLES)]
    event_id = f"{(i * 0x9E3779B97F4A7C15) % (1 << 128) | 1:032x}"
    actor = f"{0xA000 + i % 60:032x}"
    client = f"{0xC000 + (i * 7) % 5_000:032x}"
    organization = f"{0xA000:032x}"
    moment = START + timedelta(milliseconds=750 * i)
    plain = moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    common = {
        "actor_role": role,
        "actor_name": f"Staff member {i % 60}" if role != "client" else "The client",
        "action": ACTIONS[i % len(ACTIONS)],
        "resource_type": RESOURCES[i % len(RESOURCES)],
        "resource_id": _dashed(client),
        "purpose": PURPOSES[i % len(PURPOSES)],
        "outcome": "success" if i % 97 else "refused",
        "request_id": f"{i:032x}",
    }
    sealed = {
        **common,
        "id": _dashed(event_id),
        "occurred_at": plain.replace(" ", "T") + "Z",
        "actor_id": _dashed(actor),
        "client_id": _dashed(client),
        "organization_id": _dashed(organization),
    }
    stored = {
        **common,
        "id": event_id,
        "occurred_at": plain,
        "actor_id": actor,
        "client_id": client,
        "organization_id": organization,
    }
    return sealed, stored


COLUMNS = (*HASHED_COLUMNS, "insert_order", "sequence", "previous_hash", "hash")
INSERT = (
    f"INSERT INTO audit_events ({', '.join(COLUMNS)}) "  # noqa: S608 - fixed column names
    f"VALUES ({', '.join('?' for _ in COLUMNS)})"
)


def load(engine: Engine, count: int, batch: int) -> tuple[int, str]:
    """Insert ``count`` chained events with the driver's executemany; return the head."""
    with engine.begin() as conn:
        # Bulk load only, of events sealed already (as the sealer would have): these two guards
        # refuse a sealed insert and a head that jumps.
        conn.execute(text("DROP TRIGGER audit_events_append_only"))
        conn.execute(text("DROP TRIGGER audit_heads_forward_only"))
    previous = GENESIS_HASH
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        rows: list[tuple[Any, ...]] = []
        for sequence in range(1, count + 1):
            sealed, stored = synthetic_event(sequence)
            event = seal(sequence, sealed, previous)
            previous = event.hash
            rows.append(
                (
                    *(stored[c] for c in HASHED_COLUMNS),
                    sequence,
                    sequence,
                    event.previous_hash,
                    previous,
                )
            )
            if len(rows) == batch or sequence == count:
                cursor.execute("BEGIN")
                cursor.executemany(INSERT, rows)
                cursor.execute("COMMIT")
                rows.clear()
        cursor.execute(
            "UPDATE audit_heads SET sequence = ?, hash = ? WHERE id = 1", (count, previous)
        )
        cursor.close()
    finally:
        raw.close()
    check_first_event(engine)
    return count, previous


def check_first_event(engine: Engine) -> None:
    """Event 1 read through the ORM has the fields that were sealed (same canonical JSON)."""
    with Session(engine) as session:
        stored = session.scalars(select(AuditEvent).where(AuditEvent.sequence == 1)).one()
        if canonical_json(event_fields(stored)) != canonical_json(synthetic_event(1)[0]):
            raise SystemExit("the bulk-loaded rows do not read back as the sealed fields")


def build(directory: Path, count: int, batch: int) -> tuple[float, tuple[int, str]]:
    """A migrated database in ``directory`` holding ``count`` events; load time and head."""
    url = f"sqlite:///{directory / 'alongside.sqlite3'}"
    upgrade(url)
    engine = build_engine(url)
    try:
        started = time.perf_counter()
        head = load(engine, count, batch)
        return time.perf_counter() - started, head
    finally:
        engine.dispose()


def verify_in_process(directory: Path) -> tuple[float, int]:
    """Seconds and event count of one verification through the service."""
    engine = build_engine(f"sqlite:///{directory / 'alongside.sqlite3'}")
    try:
        with Session(engine) as session:
            started = time.perf_counter()
            result = verify_stored_chain(session)
            seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    if not result.ok:
        raise SystemExit(f"verification failed: {result.describe()}")
    return seconds, result.count


def verify_command(directory: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and first output line of ``alongside audit verify``."""
    command = Path(sys.executable).parent / "alongside"
    env = {k: v for k, v in os.environ.items() if k != "ALONGSIDE_DATABASE_URL"}
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [str(command), "audit", "verify", "--data-dir", str(directory)],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None
    output = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"alongside audit verify exited {child.returncode}: {output}")
    # ru_maxrss is in KiB on Linux.
    return seconds, usage.ru_maxrss / 1024, output.splitlines()[0]


def main() -> None:
    """Build, verify, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="alongside-audit-bench-") as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        load_seconds, head = build(big, args.events, args.batch)
        print(
            f"loaded {args.events:,} chained events in {load_seconds:.1f} s "
            f"({args.events / load_seconds:,.0f} events/s, hashing included)"
        )
        size_mib = (big / "alongside.sqlite3").stat().st_size / 2**20
        verify_seconds, count = verify_in_process(big)
        rate = count / verify_seconds
        print(
            f"verify_stored_chain: {count:,} events in {verify_seconds:.1f} s "
            f"= {rate:,.0f} events/s"
        )
        cli_seconds, cli_peak, cli_line = verify_command(big)
        print(
            f"alongside audit verify ({count:,} events): {cli_seconds:.1f} s wall, "
            f"peak RSS {cli_peak:.0f} MiB: {cli_line}"
        )
        build(small, SMALL, args.batch)
        small_seconds, small_peak, small_line = verify_command(small)
        print(
            f"alongside audit verify ({SMALL:,} events): {small_seconds:.1f} s wall, "
            f"peak RSS {small_peak:.0f} MiB: {small_line}"
        )
        print(
            json.dumps(
                {
                    "events": count,
                    "database_mib": round(size_mib, 1),
                    "load_seconds": round(load_seconds, 1),
                    "verify_seconds": round(verify_seconds, 2),
                    "verify_events_per_second": round(rate),
                    "cli_seconds": round(cli_seconds, 2),
                    "cli_events_per_second": round(count / cli_seconds),
                    "cli_peak_rss_mib": round(cli_peak, 1),
                    "cli_peak_rss_mib_10k_events": round(small_peak, 1),
                    "head": f"{head[0]}:{head[1]}",
                }
            )
        )


if __name__ == "__main__":
    main()
