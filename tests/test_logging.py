"""Logs carry ids and outcomes, never a client's personal data."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.kit.logging import JsonFormatter
from alongside.models import Role
from tests.fixtures.factories import PASSWORD, World, create_client
from tests.fixtures.web import sign_in

CANARY = "Zyxwvutsrqcanary"


def test_a_canary_client_name_appears_in_no_log_line(
    client: TestClient, world: World, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    clinician = world.users[Role.CLINICIAN]
    canary = create_client(
        db,
        world.org,
        clinicians=(clinician,),
        given_name=CANARY,
        family_name=CANARY,
        email=f"{CANARY.lower()}@example.org",
    )
    caplog.set_level(logging.DEBUG)
    sign_in(client, clinician)
    assert CANARY in client.get("/home").text
    assert client.get(f"/api/clients/{canary.id}").json()["given_name"] == CANARY
    client.post("/api/session", json={"email": f"{CANARY}@example.org", "password": CANARY})
    client.post("/login", data={"email": CANARY, "password": PASSWORD})
    client.get(f"/no-such-page/{CANARY}")
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any('"request"' in line for line in lines)
    for line in lines:
        assert CANARY not in line
        assert CANARY.lower() not in line


def test_formatter_drops_fields_outside_the_allow_list() -> None:
    record = logging.LogRecord("alongside", logging.INFO, __file__, 1, "event", None, None)
    record.__dict__["client_name"] = CANARY
    record.__dict__["request_id"] = "r1"
    line = JsonFormatter().format(record)
    assert CANARY not in line
    assert '"request_id":"r1"' in line


def test_server_messages_are_interpolated_but_ours_never_are() -> None:
    server = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Running on %s:%d", ("127.0.0.1", 8000), None
    )
    assert '"message":"Running on 127.0.0.1:8000"' in JsonFormatter().format(server)
    ours = logging.LogRecord("alongside.x", logging.INFO, __file__, 1, "event %s", (CANARY,), None)
    assert CANARY not in JsonFormatter().format(ours)


def test_every_field_the_code_logs_is_on_the_allow_list() -> None:
    """A field passed in ``extra=`` but missing from the allow-list is silently dropped (the
    crisis log lines lost their alert and organisation ids that way)."""
    import ast
    from pathlib import Path

    import alongside
    from alongside.kit.logging import ALLOWED_FIELDS

    used: dict[str, str] = {}
    for path in Path(alongside.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                    for key in keyword.value.keys:
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            used[key.value] = path.name
    assert "crisis_alert_id" in used  # positive control: the walk finds the crisis lines
    missing = {key: where for key, where in used.items() if key not in ALLOWED_FIELDS}
    assert missing == {}
