"""Guard rails: /healthz touches nothing, /readyz has its own connection, a busy database
answers 503 (try again) rather than 500, and the settings reach PostgreSQL connections."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from alongside.app import create_app
from alongside.config import Mode, Settings
from alongside.db import DatabaseOptions, build_engine, dispose_engines
from alongside.migrate import upgrade


def _settings(tmp_path: Path, database: Path, **overrides: object) -> Settings:
    return Settings(
        mode=Mode.DEVELOPMENT,
        data_dir=tmp_path,
        database_url=f"sqlite:///{database}",
        run_worker_in_server=False,
        **overrides,  # type: ignore[arg-type]
    )


def test_healthz_runs_no_sql_and_readyz_checks_the_database(tmp_path: Path) -> None:
    database = tmp_path / "ready.sqlite3"
    upgrade(f"sqlite:///{database}")
    app = create_app(_settings(tmp_path, database))
    statements: list[str] = []
    event.listen(app.state.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        with TestClient(app) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            assert statements == []
            assert client.get("/readyz").json() == {"status": "ready"}
            # The check has a connection of its own: the application's pool was not used.
            assert statements == []
    finally:
        dispose_engines()


def test_readyz_answers_503_for_a_missing_database_and_does_not_create_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "gone.sqlite3"
    app = create_app(_settings(tmp_path, missing))
    try:
        with TestClient(app) as client:
            response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json() == {"status": "database unreachable"}
        assert not missing.exists()
    finally:
        dispose_engines()


def test_a_database_locked_longer_than_the_busy_timeout_answers_503_not_500(
    tmp_path: Path,
) -> None:
    database = tmp_path / "busy.sqlite3"
    upgrade(f"sqlite:///{database}")
    app = create_app(_settings(tmp_path, database, sqlite_busy_timeout_ms=50))
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/intake/some-token-nobody-has").status_code == 404
            holder.execute("BEGIN IMMEDIATE")  # another process writing, for a long time
            response = client.get("/intake/some-token-nobody-has")
            assert response.status_code == 503
            assert response.headers["retry-after"] == "2"
            assert "try again" in response.text
            holder.execute("ROLLBACK")
            assert client.get("/intake/some-token-nobody-has").status_code == 404
    finally:
        holder.close()
        dispose_engines()


def test_postgres_connections_carry_the_configured_timeouts(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL settings")
    options = DatabaseOptions(
        statement_timeout_ms=1234, lock_timeout_ms=567, idle_in_transaction_timeout_ms=8910
    )
    engine = build_engine(database_url, options)
    try:
        with engine.connect() as conn:
            shown = {
                name: conn.execute(text(f"SHOW {name}")).scalar_one()
                for name in (
                    "statement_timeout",
                    "lock_timeout",
                    "idle_in_transaction_session_timeout",
                )
            }
    finally:
        engine.dispose()
    assert shown == {
        "statement_timeout": "1234ms",
        "lock_timeout": "567ms",
        "idle_in_transaction_session_timeout": "8910ms",
    }


def test_settings_have_sane_guard_rail_defaults() -> None:
    settings = Settings()
    assert settings.db_lock_timeout_ms == 5000
    assert settings.db_idle_in_transaction_timeout_ms == 15000
    assert settings.db_statement_timeout_ms == 30000
    assert settings.audit_seal_seconds <= 5
    assert settings.outbox_crisis_sending_timeout_seconds <= 60
