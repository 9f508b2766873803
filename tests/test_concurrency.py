"""Many people at once, on a real server (SQLite or PostgreSQL, whichever the suite runs on).

Each burst starts together (a barrier), every request has a 5 s timeout (a slower answer fails
the test as a timeout), /healthz is polled throughout and must always answer 200, no answer is
a 5xx, and the audit chain is intact afterwards. Durations are printed (``-s``), not asserted:
speed is measured in bench/intake_load.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.intake_flow import FlowResult, run_intake
from sqlalchemy import func, select

from alongside.audit.sealer import checkpoint_key, seal_pending
from alongside.audit.service import count_unsealed, verify_stored_chain
from alongside.models import AuditEvent, OutboxMessage, Suggestion
from tests.fixtures.busy import BusyClinic, Concurrently, HealthWatch, busy_clinic_for

FLOWS = 16
CRISIS_FLOWS = 4
READS_PER_USER = 10
LINKS = 8


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BusyClinic]:
    """One served clinic for the module (its server, database and mailbox)."""
    yield from busy_clinic_for(tmp_path_factory.mktemp("busy"))


def _assert_chain_intact(clinic: BusyClinic) -> None:
    # On demand, as `alongside audit verify` does: waits for the server's own sealer if busy.
    seal_pending(clinic.factory, checkpoint_key(clinic.settings.secret_key), wait=True)
    with clinic.factory() as session:
        assert count_unsealed(session) == 0
        result = verify_stored_chain(session)
        assert result.ok, result.describe()


def _report(
    name: str, seconds: list[float], health: HealthWatch, routes: dict[str, float] | None = None
) -> None:
    slowest = max(seconds) if seconds else 0.0
    by_route = ""
    if routes:
        by_route = " (" + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in routes.items()) + ")"
    print(  # noqa: T201 - the measurement, shown with -s
        f"\n{name}: {len(seconds)} requests, slowest {slowest * 1000:.0f} ms{by_route}; "
        f"/healthz answered {len(health.statuses)} times, slowest "
        f"{health.slowest_s * 1000:.0f} ms"
    )


def test_16_concurrent_intake_flows(clinic: BusyClinic) -> None:
    with clinic.client() as http:
        links = []
        for _ in range(FLOWS):
            created = clinic.new_intake(http, reviewer=clinic.clinicians[0])
            assert created.status_code == 201, created.text
            links.append(created.json()["url"].split("://", 1)[1].split("/", 1)[1])
    alerts_before = _crisis_alerts(clinic)

    def flow(i: int) -> FlowResult:
        with clinic.client() as http:
            return run_intake(http, "/" + links[i], crisis=i < CRISIS_FLOWS)

    with HealthWatch(clinic.url) as health:
        results = Concurrently(FLOWS).run(flow)
    seconds = [s for r in results for *_, s in r.requests]
    slowest: dict[str, float] = {}
    for result in results:
        for _method, route, _status, spent in result.requests:
            slowest[route] = max(slowest.get(route, 0.0), spent)
    _report("16 intake flows", seconds, health, slowest)
    assert [r.error for r in results] == [None] * FLOWS
    assert all(r.finished for r in results)
    assert sum(r.server_errors for r in results) == 0
    assert health.failures == []
    assert health.statuses
    assert set(health.statuses) == {200}
    with clinic.factory() as session:
        submitted = session.scalar(
            select(func.count()).select_from(Suggestion).where(Suggestion.kind == "triage")
        )
        assert submitted is not None
        assert submitted >= FLOWS
    # Every crisis alert reaches the on-call clinician's mailbox once: the worker in the server
    # delivers them within a few polls (waiting on the sink's event, bounded).
    _wait_for_mail(clinic, alerts_before + CRISIS_FLOWS)
    ids = [m["Message-ID"] for m in clinic.smtp.messages if m["Subject"].startswith("Crisis")]
    assert len(ids) == len(set(ids)) == alerts_before + CRISIS_FLOWS
    _assert_chain_intact(clinic)


def _crisis_alerts(clinic: BusyClinic) -> int:
    return sum(1 for m in clinic.smtp.messages if m["Subject"].startswith("Crisis"))


def _wait_for_mail(clinic: BusyClinic, count: int) -> None:
    for _ in range(300):
        if _crisis_alerts(clinic) >= count:
            return
        clinic.smtp.arrived.clear()
        clinic.smtp.arrived.wait(0.1)
    assert _crisis_alerts(clinic) >= count, "crisis alerts were not delivered"


def test_30_concurrent_audited_reads_by_3_users(clinic: BusyClinic) -> None:
    with clinic.factory() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    per_user = READS_PER_USER

    def read(i: int) -> tuple[int, float]:
        member = clinic.clinicians[i % 3]
        client_id = member.client_ids[i % 2]
        with clinic.client() as http:
            response = http.get(f"/api/clients/{client_id}", headers=member.headers)
            return response.status_code, response.elapsed.total_seconds()

    with HealthWatch(clinic.url) as health:
        results = Concurrently(3 * per_user).run(read)
    _report("30 audited reads", [s for _, s in results], health)
    assert [status for status, _ in results] == [200] * (3 * per_user)
    assert health.failures == []
    assert set(health.statuses) == {200}
    with clinic.factory() as session:
        after = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    assert after - before >= 3 * per_user  # each read audited
    _assert_chain_intact(clinic)


def test_8_concurrent_intake_link_creations(clinic: BusyClinic) -> None:
    def create(_i: int) -> tuple[int, float]:
        with clinic.client() as http:
            response = clinic.new_intake(http)
            return response.status_code, response.elapsed.total_seconds()

    with HealthWatch(clinic.url) as health:
        results = Concurrently(LINKS).run(create)
    _report("8 intake links", [s for _, s in results], health)
    assert [status for status, _ in results] == [201] * LINKS
    assert health.failures == []
    assert set(health.statuses) == {200}
    _assert_chain_intact(clinic)


def test_two_concurrent_decisions_on_one_proposal_one_201_one_409(clinic: BusyClinic) -> None:
    reviewer = clinic.clinicians[1]
    with clinic.client() as http:
        created = clinic.new_intake(http, reviewer=reviewer)
        assert created.status_code == 201
        path = "/" + created.json()["url"].split("://", 1)[1].split("/", 1)[1]
        assert run_intake(http, path).finished
        intake_id = uuid.UUID(created.json()["id"])
    with clinic.factory() as session:
        suggestion_id = session.scalar(
            select(Suggestion.id).where(Suggestion.intake_id == intake_id)
        )
    assert suggestion_id is not None

    def decide(_i: int) -> int:
        with clinic.client() as http:
            return http.post(
                f"/api/review/{suggestion_id}/decision",
                json={"outcome": "accepted"},
                headers=reviewer.headers,
            ).status_code

    assert sorted(Concurrently(2).run(decide)) == [201, 409]
    with clinic.factory() as session:
        # The outbox holds no duplicate crisis alert either (idempotency keys are unique).
        keys = list(session.scalars(select(OutboxMessage.idempotency_key)))
        assert len(keys) == len(set(keys))
    _assert_chain_intact(clinic)


def test_the_server_has_nothing_left_idle_in_a_transaction(
    clinic: BusyClinic, tmp_path: Path
) -> None:
    if not clinic.settings.effective_database_url.startswith("postgresql"):
        pytest.skip("pg_stat_activity is PostgreSQL's")
    from sqlalchemy import text

    with clinic.client() as http:
        assert http.get("/healthz").status_code == 200
        assert clinic.new_intake(http).status_code == 201
    with clinic.engine.connect() as conn:
        idle = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
        settings = dict(
            conn.execute(
                text(
                    "SELECT name, setting FROM pg_settings WHERE name IN ("
                    "'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout')"
                )
            ).all()
        )
    assert idle == 0
    # The guard rails are on every connection of the app's engines (this one included).
    assert settings == {
        "statement_timeout": "30000",
        "lock_timeout": "5000",
        "idle_in_transaction_session_timeout": "15000",
    }
