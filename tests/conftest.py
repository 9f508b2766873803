"""Test fixtures: a migrated database per run (SQLite, or PostgreSQL when
ALONGSIDE_TEST_DATABASE_URL is set), a rolled-back transaction per test, and an app bound to it."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.db",
    "tests.fixtures.factories",
    "tests.fixtures.web",
    "tests.fixtures.live",
]

from hypothesis import HealthCheck, settings  # noqa: E402 - after the plugin list

# Speed is measured in bench/, never asserted: Hypothesis' per-example deadline and its
# too-slow health check are wall-time checks that a busy machine fails at random, so they are
# off for every property test.
settings.register_profile("alongside", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("alongside")
