"""Logs carry ids and outcomes, never a client's personal data."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from alongside.kit.logging import JsonFormatter, configure_logging
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


def test_a_message_that_is_not_text_is_logged_as_its_type_name_only() -> None:
    """An object passed as the message (an exception, a dict of form data) could render
    personal data through its ``str``; only its type's name is written."""
    record = logging.LogRecord(
        "alongside.x", logging.WARNING, __file__, 1, ValueError(CANARY), None, None
    )
    line = JsonFormatter().format(record)
    assert '"message":"ValueError"' in line
    assert CANARY not in line


def test_an_exception_is_logged_by_its_type_never_its_text() -> None:
    try:
        raise KeyError(CANARY)
    except KeyError:
        record = logging.LogRecord(
            "alongside.x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    line = JsonFormatter().format(record)
    payload = json.loads(line)
    assert payload["error_type"] == "KeyError"
    assert payload["message"] == "failed"
    assert payload["level"] == "error"
    assert CANARY not in line
    assert "Traceback" not in line


@pytest.fixture
def restored_loggers() -> Iterator[None]:
    """Put the process's loggers back as they were after a test that configures them."""
    names = ("alongside", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        name: (
            list(logging.getLogger(name).handlers),
            logging.getLogger(name).level,
            logging.getLogger(name).propagate,
            logging.getLogger(name).disabled,
        )
        for name in names
    }
    yield
    for name, (handlers, level, propagate, disabled) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers = handlers
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


@pytest.mark.usefixtures("restored_loggers")
def test_configured_logging_writes_one_json_line_per_record_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(logging.INFO)
    logging.getLogger("alongside.jobs").info(
        "outbox_sent", extra={"outbox_id": "o-1", "client_name": CANARY}
    )
    logging.getLogger("alongside.jobs").debug("below_the_level")
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    logging.getLogger("uvicorn.access").info('"GET /intake/%s HTTP/1.1" 200', CANARY)
    lines = capsys.readouterr().err.splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["message"] for record in records] == [
        "outbox_sent",
        "Started server process [42]",
    ]
    assert records[0]["logger"] == "alongside.jobs"
    assert records[0]["level"] == "info"
    assert records[0]["outbox_id"] == "o-1"
    assert "client_name" not in records[0]
    assert records[1]["logger"] == "uvicorn.error"
    # The access log (full URLs, tokens in query strings) is off; nothing else went elsewhere.
    assert CANARY not in "\n".join(lines)
    for name in ("alongside", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        assert logger.propagate is False
        assert len(logger.handlers) == 1
        assert isinstance(logger.handlers[0].formatter, JsonFormatter)
    assert logging.getLogger("uvicorn.access").disabled is True


@pytest.mark.usefixtures("restored_loggers")
def test_configuring_twice_keeps_one_handler_and_the_new_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(logging.INFO)
    configure_logging(logging.WARNING)
    logging.getLogger("alongside.x").info("quiet")
    logging.getLogger("alongside.x").warning("loud")
    lines = capsys.readouterr().err.splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["loud"]
