"""Fuzzing the JSON API from its OpenAPI description with schemathesis: 0 server errors.

Every operation gets generated requests (valid and invalid bodies, odd query strings and path
ids) from a signed-in clinical lead and a signed-in coordinator, sent to the app in process.
Bounded: a fixed number of examples per operation and no shrinking past the first failure, so
it runs in a minute or two inside ``make test`` (and so in ``.ci/run``).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from alongside.accounts.service import start_session
from alongside.deps import SESSION_COOKIE
from alongside.kit.time import utcnow
from alongside.models import Role
from tests.fixtures.factories import World

EXAMPLES_PER_OPERATION = 12
# Signing out would end the fuzzing session itself; it has its own tests.
SKIPPED = {("DELETE", "/api/session")}


def _operations(app: FastAPI) -> list[Any]:
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if (op.method.upper(), op.path) not in SKIPPED]


@pytest.mark.parametrize("role", [Role.CLINICAL_LEAD, Role.COORDINATOR])
def test_no_generated_request_is_a_server_error(
    app: FastAPI, db: Session, world: World, role: Role
) -> None:
    tokens = start_session(db, world.users[role], utcnow())
    db.flush()
    cookies = {SESSION_COOKIE: tokens.session_token}
    headers = {"X-CSRF-Token": tokens.csrf_token}
    operations = _operations(app)
    assert len(operations) >= 40, "the description lists the API's operations"
    errors: list[str] = []
    sent = 0

    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), data=st.data())
        def send(case: Any, data: Any) -> None:
            nonlocal sent
            response = case.call(app=app, headers=headers, cookies=cookies)
            sent += 1
            if response.status_code >= 500:
                errors.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

        send()
    assert sent >= len(operations) * 3
    assert errors == []
