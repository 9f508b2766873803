"""Test fixtures: a migrated database per run (SQLite, or PostgreSQL when
ALONGSIDE_TEST_DATABASE_URL is set), a rolled-back transaction per test, and an app bound to it."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.db",
    "tests.fixtures.factories",
    "tests.fixtures.web",
    "tests.fixtures.live",
]

from hypothesis import settings  # noqa: E402 - after the plugin list, which pytest reads first

# Speed is measured in bench/, never asserted: Hypothesis' per-example deadline is a wall-time
# check that a busy machine fails at random, so it is off for every property test.
settings.register_profile("alongside", deadline=None)
settings.load_profile("alongside")
