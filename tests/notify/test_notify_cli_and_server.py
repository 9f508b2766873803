"""`alongside worker`, `alongside outbox`, and the worker inside the server process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from notify_support import WAIT_S, committed_database, load, smtp_server, webhook_receiver
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from alongside.app import create_app
from alongside.cli import app as cli
from alongside.config import Mode, Settings
from alongside.db import session_scope
from alongside.kit.time import utcnow
from alongside.models import OutboxMessage, OutboxStatus
from alongside.notify.service import enqueue

runner = CliRunner()
SECRET = "a-webhook-secret-of-32-characters"


@dataclass
class Outbox:
    """A committed database and the environment that points the CLI at it."""

    factory: sessionmaker[Session]
    env: dict[str, str]


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    """A fresh migrated database with real commits."""
    with committed_database(tmp_path, "cli") as factory:
        url = factory.kw["bind"].url.render_as_string(hide_password=False)
        env = {
            "ALONGSIDE_DATABASE_URL": url,
            "ALONGSIDE_DATA_DIR": str(tmp_path),
            "ALONGSIDE_KEY_FILE": str(tmp_path / "kek.key"),
        }
        yield Outbox(factory, env)


def _enqueue(factory: sessionmaker[Session], key: str, channel: str, recipient: str) -> None:
    with session_scope(factory) as session:
        enqueue(
            session,
            kind="crisis_alert",
            channel=channel,
            recipient=recipient,
            subject="Urgent: an intake needs review",
            body="Open the case: https://clinic.test/review/1",
            payload={"intake_id": "1"},
            idempotency_key=key,
            now=utcnow(),
        )


def test_worker_once_delivers_email_and_webhook_and_reports(outbox: Outbox) -> None:
    _enqueue(outbox.factory, "cli-email", "email", "oncall@clinic.test")
    _enqueue(outbox.factory, "cli-hook", "webhook", "oncall")
    with smtp_server() as sink, webhook_receiver(SECRET, utcnow()) as receiver:
        env = {
            **outbox.env,
            "ALONGSIDE_SMTP_PORT": str(sink.port),
            "ALONGSIDE_WEBHOOKS": json.dumps({"oncall": {"url": receiver.url, "secret": SECRET}}),
        }
        result = runner.invoke(cli, ["worker", "--once"], env=env)
    assert result.exit_code == 0, result.output
    # The worker also seals the audit log (nothing recorded here, so nothing to seal).
    assert result.stdout.strip().splitlines() == [
        "Tried 2 message(s).",
        "Sealed 0 audit event(s).",
    ]
    assert [m["Idempotency-Key"] for m in sink.messages] == ["cli-email"]
    assert receiver.keys() == ["cli-hook"]
    assert all(r.signature_valid for r in receiver.received)
    assert load(outbox.factory, "cli-email").status is OutboxStatus.DELIVERED
    assert load(outbox.factory, "cli-hook").status is OutboxStatus.DELIVERED


def test_outbox_list_and_retry_from_the_command_line(outbox: Outbox) -> None:
    _enqueue(outbox.factory, "cli-dead", "webhook", "nobody")
    with session_scope(outbox.factory) as session:
        session.execute(
            update(OutboxMessage).values(
                status=OutboxStatus.DEAD, attempts=8, last_error="DeliveryError: HTTP 500"
            )
        )
    message_id = load(outbox.factory, "cli-dead").id
    listed = runner.invoke(cli, ["outbox", "list"], env=outbox.env)
    assert listed.exit_code == 0
    assert str(message_id) in listed.stdout
    assert "dead" in listed.stdout
    assert "DeliveryError: HTTP 500" in listed.stdout
    assert "clinic.test/review" not in listed.stdout
    retried = runner.invoke(cli, ["outbox", "retry", str(message_id)], env=outbox.env)
    assert retried.exit_code == 0
    assert load(outbox.factory, "cli-dead").status is OutboxStatus.PENDING
    empty = runner.invoke(cli, ["outbox", "list", "--status", "dead"], env=outbox.env)
    assert empty.stdout.strip() == "No messages."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["outbox", "retry", "not-an-id"], "is not a message id"),
        (["outbox", "retry", str(uuid.UUID(int=7))], "There is no message"),
    ],
)
def test_bad_retry_input_exits_2_with_a_message_and_no_output(
    outbox: Outbox, args: list[str], message: str
) -> None:
    result = runner.invoke(cli, args, env=outbox.env)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_retrying_a_delivered_message_exits_2(outbox: Outbox) -> None:
    _enqueue(outbox.factory, "cli-done", "webhook", "x")
    with session_scope(outbox.factory) as session:
        session.execute(update(OutboxMessage).values(status=OutboxStatus.DELIVERED))
    message_id = load(outbox.factory, "cli-done").id
    result = runner.invoke(cli, ["outbox", "retry", str(message_id)], env=outbox.env)
    assert result.exit_code == 2
    assert "only failed or dead messages" in result.stderr


def test_worker_on_an_unmigrated_database_exits_2(tmp_path: Path) -> None:
    env = {
        "ALONGSIDE_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "ALONGSIDE_KEY_FILE": str(tmp_path / "kek.key"),
    }
    result = runner.invoke(cli, ["worker", "--once"], env=env)
    assert result.exit_code == 2
    assert "alongside db upgrade" in result.stderr
    assert result.stdout == ""


def test_the_worker_process_runs_until_sigterm_and_stops_cleanly(outbox: Outbox) -> None:
    _enqueue(outbox.factory, "process-email", "email", "oncall@clinic.test")
    with smtp_server() as sink:
        env = {**os.environ, **outbox.env, "ALONGSIDE_SMTP_PORT": str(sink.port)}
        env["ALONGSIDE_OUTBOX_POLL_SECONDS"] = "0.2"
        process = subprocess.Popen(
            # The installed script: `python -m alongside.cli` runs before the commands of
            # the domains are registered at the bottom of alongside/cli.py.
            [str(Path(sys.executable).parent / "alongside"), "worker"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert sink.arrived.wait(WAIT_S), "the worker process delivered nothing"
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0, stderr
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    names = [e["message"] for e in events]
    assert names[0] == "outbox_worker_started"
    assert "outbox_delivered" in names
    assert names[-1] == "outbox_worker_stopped"
    assert load(outbox.factory, "process-email").status is OutboxStatus.DELIVERED


def test_the_server_runs_the_worker_in_process_and_stops_it_on_shutdown(
    outbox: Outbox, tmp_path: Path
) -> None:
    _enqueue(outbox.factory, "in-server", "email", "oncall@clinic.test")
    with smtp_server() as sink:
        settings = Settings(
            mode=Mode.DEVELOPMENT,
            data_dir=tmp_path,
            database_url=outbox.env["ALONGSIDE_DATABASE_URL"],
            key_file=tmp_path / "kek.key",
            smtp_port=sink.port,
            outbox_poll_seconds=0.2,
        )
        application = create_app(settings)
        with TestClient(application) as http:
            assert http.get("/healthz").status_code == 200
            assert sink.arrived.wait(WAIT_S), "the in-process worker delivered nothing"
            background = application.state.outbox_worker
            assert background.thread.is_alive()
        assert not background.thread.is_alive()
    assert load(outbox.factory, "in-server").status is OutboxStatus.DELIVERED


def test_the_server_can_leave_delivery_to_separate_workers(tmp_path: Path) -> None:
    settings = Settings(
        mode=Mode.DEVELOPMENT,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        key_file=tmp_path / "kek.key",
        run_worker_in_server=False,
    )
    application = create_app(settings)
    with TestClient(application):
        assert application.state.outbox_worker is None


@pytest.mark.parametrize("command", [["worker", "--once"], ["outbox", "list"]])
def test_invalid_settings_exit_2_and_nothing_is_sent(outbox: Outbox, command: list[str]) -> None:
    _enqueue(outbox.factory, "cli-waiting", "email", "oncall@clinic.test")
    env = {**outbox.env, "ALONGSIDE_OUTBOX_BATCH_SIZE": "0"}
    result = runner.invoke(cli, command, env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "outbox_batch_size" in result.stderr
    assert result.stdout == ""
    message = load(outbox.factory, "cli-waiting")
    assert message.status is OutboxStatus.PENDING
    assert message.attempts == 0


def test_outbox_list_reads_the_data_directory_given(outbox: Outbox, tmp_path: Path) -> None:
    _enqueue(outbox.factory, "cli-failed", "email", "oncall@clinic.test")
    with session_scope(outbox.factory) as session:
        session.execute(
            update(OutboxMessage).values(
                status=OutboxStatus.FAILED, attempts=2, last_error="SMTPError: 451"
            )
        )
    message_id = load(outbox.factory, "cli-failed").id
    # Only the database URL in the environment: the rest from --data-dir.
    env = {"ALONGSIDE_DATABASE_URL": outbox.env["ALONGSIDE_DATABASE_URL"]}
    listed = runner.invoke(
        cli, ["outbox", "list", "--status", "failed", "--data-dir", str(tmp_path)], env=env
    )
    assert listed.exit_code == 0, listed.output
    (line,) = listed.stdout.splitlines()
    assert line.startswith(f"{message_id}  failed    crisis_alert")
    assert "oncall@clinic.test" in line
    assert line.endswith("attempts=2  SMTPError: 451")
    assert "clinic.test/review" not in listed.stdout
