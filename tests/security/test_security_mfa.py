"""The second factor in the service: what a sign-in needs, refusals in words when there is
nothing to confirm, remove or renew, and a set-up from an older version turned on."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from sqlalchemy.orm import Session

from alongside.errors import Conflict, InvalidInput, NotAuthenticated
from alongside.models import Role
from alongside.models.encrypted import keyring_for
from alongside.security import mfa
from tests.fixtures.factories import PASSWORD, World

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def test_demo_mode_skips_the_code_and_required_roles_always_need_one(world: World) -> None:
    lead, clinician = world.users[Role.CLINICAL_LEAD], world.users[Role.CLINICIAN]
    assert not mfa.second_factor_required(lead, demo=True)
    assert mfa.second_factor_required(lead, demo=False)
    assert not mfa.second_factor_required(clinician, demo=False)


def test_a_required_role_without_a_factor_is_told_whom_to_ask(db: Session, world: World) -> None:
    admin = world.users[Role.ADMIN]
    admin.totp_enabled = False
    provider = keyring_for(db).provider
    with pytest.raises(NotAuthenticated, match="Ask an administrator to run"):
        mfa.check_second_factor(admin, "123456", provider, NOW)


def test_a_code_that_is_neither_a_number_nor_a_recovery_code_is_refused(
    db: Session, world: World
) -> None:
    lead = world.users[Role.CLINICAL_LEAD]
    provider = keyring_for(db).provider
    for typed in ("abc", "not-a-recovery-code-at-all"):
        with pytest.raises(NotAuthenticated, match="not right or was already used"):
            mfa.check_second_factor(lead, typed, provider, NOW, db)


def test_without_a_factor_there_is_nothing_to_confirm_remove_or_renew(
    db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    provider = keyring_for(db).provider
    with pytest.raises(InvalidInput, match="Start setting up the second factor first"):
        mfa.confirm_change(db, clinician, "123456", provider, NOW)
    with pytest.raises(Conflict, match="no second factor to remove"):
        mfa.remove_second_factor(
            db, clinician, password=PASSWORD, code=None, provider=provider, now=NOW, address=None
        )
    with pytest.raises(Conflict, match="recovery codes come with it"):
        mfa.new_recovery_codes(
            db, clinician, password=PASSWORD, code=None, provider=provider, now=NOW, address=None
        )


def test_a_set_up_begun_by_an_older_version_is_shown_again_and_turned_on(
    db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    provider = keyring_for(db).provider
    # Older versions stored the secret being set up where the active one lives.
    secret, uri = mfa.begin_enrolment(clinician, provider)
    db.flush()
    assert mfa.secret_being_set_up(clinician, provider) == (secret, uri)

    codes = mfa.confirm_change(db, clinician, pyotp.TOTP(secret).at(NOW), provider, NOW)
    assert len(codes) == 10
    assert clinician.totp_enabled
    assert mfa.secret_being_set_up(clinician, provider) is None
