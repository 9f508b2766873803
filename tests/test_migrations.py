"""Migrations go up and down cleanly and match the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from alongside.db import build_engine
from alongside.migrate import current_revision, downgrade, upgrade
from alongside.models import Base
from tests.fixtures.db import fresh_database_url


def test_upgrade_to_head_creates_every_table_and_matches_the_models(tmp_path: Path) -> None:
    for url in fresh_database_url(tmp_path, "mig_up"):
        upgrade(url)
        engine = build_engine(url)
        try:
            tables = set(inspect(engine).get_table_names())
            assert set(Base.metadata.tables) <= tables
            with engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            assert current_revision(engine) is not None
        finally:
            engine.dispose()


def test_downgrade_to_base_removes_everything_and_upgrade_again_works(tmp_path: Path) -> None:
    for url in fresh_database_url(tmp_path, "mig_down"):
        upgrade(url)
        downgrade(url, "base")
        engine = build_engine(url)
        try:
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            assert current_revision(engine) is None
        finally:
            engine.dispose()
        upgrade(url)
        engine = build_engine(url)
        try:
            assert "clients" in inspect(engine).get_table_names()
        finally:
            engine.dispose()


def test_each_revision_steps_down_and_up_one_at_a_time(tmp_path: Path) -> None:
    for url in fresh_database_url(tmp_path, "mig_step"):
        upgrade(url)
        engine = build_engine(url)
        head = current_revision(engine)
        engine.dispose()
        downgrade(url, "-1")
        upgrade(url, "+1")
        engine = build_engine(url)
        try:
            assert current_revision(engine) == head
        finally:
            engine.dispose()
