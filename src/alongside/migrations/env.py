"""Alembic environment: targets alongside.models.Base.metadata on the configured database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from alongside.config import get_settings
from alongside.db import DatabaseOptions, build_engine
from alongside.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    configured = config.get_main_option("sqlalchemy.url")
    return configured or get_settings().effective_database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations with a live connection (the only mode Alongside uses)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Migrations may take long on a big database: no statement timeout for them.
    engine = build_engine(_url(), DatabaseOptions(statement_timeout_ms=0))
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


run_migrations_online()
