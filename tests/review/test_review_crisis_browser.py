"""End to end in Chromium: a client submits crisis answers and sees crisis resources in that
response; a real SMTP server receives the on-call alert; with no acknowledgement the second
person on call receives the escalation; their acknowledgement is recorded.

The outbox worker is driven by the test with its clock moved forward (no waiting).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from alongside.app import create_app
from alongside.config import Mode, Settings
from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
from alongside.demo.seed import seed_demo_clinic
from alongside.intake import service as intake_service
from alongside.kit.time import utcnow
from alongside.migrate import upgrade
from alongside.models import CrisisAlert, User
from alongside.notify.email import SmtpEmailSender
from alongside.notify.worker import Worker
from alongside.triage.service import on_call_sequence
from tests.fixtures.db import fresh_database_url
from tests.fixtures.live import LiveServer, _free_port
from tests.intake.conftest import CRISIS
from tests.notify.notify_support import SmtpSink, smtp_server

pytestmark = pytest.mark.browser


def _consent(page: Any) -> None:
    page.get_by_label("I agree that the clinic stores my answers").check()
    page.get_by_label("No, I would rather a person").check()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/questions/**")


def _answer_pages(page: Any) -> None:
    while "/questions/" in page.url:
        instrument = page.url.split("/questions/")[1].split("?")[0].split("#")[0]
        names = page.evaluate(
            "[...new Set([...document.querySelectorAll('input[type=radio]')].map(e => e.name))]"
        )
        for name in names:
            value = CRISIS[instrument][name]
            page.locator(f'input[name="{name}"][value="{value}"]').check()
        page.get_by_role("button", name="Save and continue").click()
        page.wait_for_load_state()


@pytest.fixture
def crisis_server(
    tmp_path_factory: pytest.TempPathFactory, browser: Any
) -> Iterator[tuple[LiveServer, SmtpSink, Any]]:
    """The demo clinic served with a real SMTP server and the worker left to the test."""
    tmp = tmp_path_factory.mktemp("crisis")
    with smtp_server() as sink:
        for url in fresh_database_url(tmp, "crisis"):
            upgrade(url)
            port = _free_port()
            settings = Settings(
                mode=Mode.DEMO,
                data_dir=tmp,
                database_url=url,
                port=port,
                smtp_port=sink.port,
                run_worker_in_server=False,
            )
            engine = build_engine(url)
            factory = make_sessionmaker(engine, key_provider_for(settings))
            with session_scope(factory) as session:
                seed_demo_clinic(session)
            app = create_app(settings)
            server = uvicorn.Server(
                uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None)
            )
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            started = threading.Event()
            for _ in range(500):
                if server.started:
                    break
                started.wait(0.02)
            assert server.started
            live = LiveServer(url=f"http://127.0.0.1:{port}", settings=settings, browser=browser)
            try:
                yield live, sink, factory
            finally:
                for context in live.contexts:
                    context.close()
                server.should_exit = True
                thread.join(timeout=10)
                app.state.engine.dispose()
                engine.dispose()


def test_crisis_intake_alert_escalation_and_acknowledgement(
    crisis_server: tuple[LiveServer, SmtpSink, Any],
) -> None:
    live, sink, factory = crisis_server
    with session_scope(factory) as session:
        clinician = session.scalar(select(User).where(User.email == "clinician1@demo.test"))
        assert clinician is not None
        created = intake_service.create_intake(
            session,
            actor=clinician,
            new_client=intake_service.NewClientDetails("Crisis", "Client"),
            now=utcnow(),
        )
        link, intake_id = created.path, str(created.intake.id)
        rota = on_call_sequence(session, clinician.organization_id)
        first, second = rota[0].email, rota[1].email
    before = len(sink.messages)

    page = live.new_page(width=390, height=844)
    page.goto(live.url + link)
    _consent(page)
    _answer_pages(page)
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/review")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Please get help now").is_visible()
    assert page.get_by_text("988 Suicide & Crisis Lifeline (988)").first.is_visible()
    submitted_at = utcnow()

    sender = SmtpEmailSender(host="127.0.0.1", port=sink.port, sender="alongside@demo.test")
    clock = [submitted_at]
    worker = Worker(factory, {"email": sender}, clock=lambda: clock[0])
    worker.run_once()
    new = sink.envelopes[before:]
    assert any(first in rcpts for _s, rcpts in new)
    # The demo clinic's own seeded alert goes out in the same round: pick this intake's.
    alert_mail = next(
        m
        for m in sink.messages[before:]
        if "Crisis alert" in str(m["Subject"]) and intake_id in m.get_content()
    )
    case_link = next(
        word for word in alert_mail.get_content().split() if "/review/intakes/" in word
    )

    clock[0] = submitted_at + timedelta(minutes=16)
    worker.run_once()
    escalations = [rcpts for _s, rcpts in sink.envelopes[before:] if second in rcpts]
    assert escalations, "the second person on call was not alerted"

    # The second on call follows the link in the email and acknowledges.
    staff = live.new_page()
    staff.goto(live.url + "/login")
    staff.get_by_label("Email").fill(second)
    staff.get_by_label("Password").fill("alongside-demo")
    staff.get_by_role("button", name="Sign in").click()
    staff.wait_for_load_state()
    staff.goto(case_link)
    assert staff.get_by_role("heading", name="Crisis alert").first.is_visible()
    staff.get_by_label("Client called").check()
    staff.get_by_label('Note (needed for "other")').fill("Reached the client; safety plan agreed.")
    staff.get_by_role("button", name="Acknowledge the alert").click()
    staff.wait_for_load_state()
    assert staff.get_by_text("Action taken:").first.is_visible()

    with session_scope(factory) as session:
        ack_user = session.scalar(select(User).where(User.email == second))
        alerts = session.scalars(
            select(CrisisAlert).where(CrisisAlert.acknowledged_by_id == ack_user.id)  # type: ignore[union-attr]
        ).all()
        assert len(alerts) == 1
        assert alerts[0].action_taken == "client_called"
        assert alerts[0].action_note == "Reached the client; safety plan agreed."
    clock[0] = submitted_at + timedelta(hours=3)
    sent = len(sink.envelopes)
    worker.run_once()
    lead_mail = [r for _s, r in sink.envelopes[sent:] if "lead@demo.test" in r]
    assert lead_mail == [], "escalated after the acknowledgement"
