"""The case page flags safeguarding when the client's words describe someone else at risk."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.intake import service as intake_service
from alongside.models import Role
from alongside.triage import service as triage_service
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in
from tests.intake.conftest import CALM, NOW, complete
from tests.intake.test_intake_service import _reader_reading

NOTICE = "the client's words describe someone else at risk"


@pytest.mark.parametrize(("subject", "flagged"), [("other", True), ("self", False)])
def test_case_page_flags_safeguarding(
    client: TestClient,
    db: Session,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    subject: str,
    flagged: bool,
) -> None:
    words = "My son took an overdose last week."
    reader = _reader_reading(("attempt", "recent", subject, "took an overdose"))
    monkeypatch.setattr(triage_service, "_reader", lambda: reader)
    clinician = world.users[Role.CLINICIAN]
    created = intake_service.create_intake(
        db, actor=clinician, client_id=world.own_client.id, now=NOW
    )
    complete(db, created.intake, CALM, words=words)
    outcome = intake_service.submit_intake(
        db, created.intake, now=NOW, case_url_base="http://c.test", oncall_webhook=False
    )
    sign_in(client, clinician)
    page = client.get(f"/review/{outcome.suggestion_id}")
    assert page.status_code == 200
    assert (NOTICE in page.text) is flagged
