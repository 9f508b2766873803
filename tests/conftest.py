"""Test fixtures: a migrated database per run (SQLite, or PostgreSQL when
ALONGSIDE_TEST_DATABASE_URL is set), a rolled-back transaction per test, and an app bound to it."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.db",
    "tests.fixtures.factories",
    "tests.fixtures.web",
    "tests.fixtures.live",
]
