"""The command line: version, bad input, migrations, users and the demo clinic."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from alongside import __version__
from alongside.cli import app, main
from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.demo.history import PAST_INTAKES
from alongside.kit.time import utcnow
from alongside.migrate import upgrade
from alongside.models import (
    CareTeam,
    Client,
    ClientKey,
    ClinicianProfile,
    Decision,
    DecisionOutcome,
    Organization,
    Role,
    RulesetVersion,
    Site,
    Suggestion,
    SuggestionStatus,
    User,
    WaitlistEntry,
)
from alongside.review.queue import URGENCIES
from alongside.review.service import dashboard
from alongside.security.access import actor_for
from alongside.triage.rule_changes import DEFAULT_PREVIEW_COUNT, preview_version
from tests.fixtures.db import fresh_database_url
from tests.fixtures.factories import create_client, create_organization, create_staff

runner = CliRunner()
# The demo's clients of today (its former clients are discharged).
CURRENT_CLIENTS = select(func.count()).select_from(Client).where(Client.status == "active")


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"alongside {__version__}"


def test_unknown_option_exits_2_with_a_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alongside.cli", "serve", "--no-such-option"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "No such option" in result.stderr
    assert result.stdout == ""


def test_db_upgrade_current_downgrade(tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "current", "--data-dir", str(tmp_path)]).stdout.strip() == (
        "none"
    )
    assert runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)]).exit_code == 0
    current = runner.invoke(app, ["db", "current", "--data-dir", str(tmp_path)]).stdout.strip()
    assert current not in ("", "none")
    down = runner.invoke(app, ["db", "downgrade", "base", "--data-dir", str(tmp_path)])
    assert down.exit_code == 0
    assert runner.invoke(app, ["db", "current", "--data-dir", str(tmp_path)]).stdout.strip() == (
        "none"
    )


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "alongside db upgrade" in result.stderr


def test_user_add_checks_the_password_policy_and_duplicates(tmp_path: Path) -> None:
    runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)])
    args = [
        "user",
        "add",
        "lead@clinic.test",
        "--name",
        "Dr Lead",
        "--role",
        "clinical_lead",
        "--org",
        "clinic",
        "--data-dir",
        str(tmp_path),
    ]
    # A new organisation needs its country: no default (it chooses the crisis numbers).
    no_country = runner.invoke(app, [*args, "--password", "a long and unusual passphrase 42"])
    assert no_country.exit_code == 2
    assert "--country is required" in no_country.stderr
    bad_country = runner.invoke(
        app, [*args, "--country", "XX", "--password", "a long and unusual passphrase 42"]
    )
    assert bad_country.exit_code == 2
    assert "ISO 3166-1" in bad_country.stderr
    args += ["--country", "GB-SCT"]
    weak = runner.invoke(app, [*args, "--password", "password"])
    assert weak.exit_code == 2
    assert "Password not accepted" in weak.stderr
    ok = runner.invoke(app, [*args, "--password", "a long and unusual passphrase 42"])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, [*args, "--password", "a long and unusual passphrase 42"])
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    engine = build_engine(f"sqlite:///{tmp_path / 'alongside.sqlite3'}")
    with engine.connect() as connection:
        country = connection.scalar(text("select country from organizations where slug='clinic'"))
    engine.dispose()
    assert country == "GB-SCT"
    # Further users join the existing organisation without naming the country again.
    second = runner.invoke(
        app,
        [
            *("user", "add", "second@clinic.test", "--name", "Second", "--role", "clinician"),
            *("--org", "clinic", "--data-dir", str(tmp_path)),
            *("--password", "another long unusual passphrase 43"),
        ],
    )
    assert second.exit_code == 0, second.output
    bad_role = runner.invoke(app, [*args[:5], "--role", "wizard"])
    assert bad_role.exit_code == 2


def test_demo_seeds_a_synthetic_clinic(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--seed-only", "--data-dir", str(tmp_path)])
    seeded = utcnow()
    assert result.exit_code == 0, result.output
    for login in [
        "admin@demo.test",
        "lead@demo.test",
        "coordinator@demo.test",
        "clinician1@demo.test",
        "clinician6@demo.test",
    ]:
        assert login in result.stdout
    assert "alongside-demo" in result.stdout
    assert f"Past year: {PAST_INTAKES} former clients' intakes" in result.stdout
    engine = build_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    keys = FileKeyProvider(tmp_path / "keys" / "kek.key")
    with session_scope(make_sessionmaker(engine, keys)) as db:
        assert db.scalar(CURRENT_CLIENTS) == 40
        assert db.scalar(select(func.count()).select_from(Site)) == 2
        clinicians = db.scalars(select(User).where(User.role == Role.CLINICIAN)).all()
        assert len(clinicians) == 6
        assert db.scalar(select(func.count()).select_from(ClinicianProfile)) == 6
        teams = [
            frozenset(db.scalars(select(CareTeam.client_id).where(CareTeam.clinician_id == c.id)))
            for c in clinicians
        ]
        assert len(set(teams)) == 6  # care teams differ
        per_client = db.execute(
            select(CareTeam.client_id, func.count())
            .join(Client, Client.id == CareTeam.client_id)
            .where(Client.status == "active")
            .group_by(CareTeam.client_id)
        ).all()
        assert {count for _, count in per_client} <= {1, 2}
        assert len(per_client) == 40
        # Former clients: one past intake each, decided by their clinician, none left waiting
        # (the past intakes the lead's rule preview replays).
        former = db.scalars(select(Client.id).where(Client.status == "discharged")).all()
        assert len(former) == PAST_INTAKES
        assert len(former) >= DEFAULT_PREVIEW_COUNT
        past = db.scalars(select(Suggestion).where(Suggestion.client_id.in_(former))).all()
        assert len(past) == PAST_INTAKES
        # Mostly accepted; some moved up by the clinician with a reason, a few not for the
        # service (so the lead's oversight page has overrides to show).
        statuses = [s.status for s in past]
        assert set(statuses) == {
            SuggestionStatus.ACCEPTED,
            SuggestionStatus.AMENDED,
            SuggestionStatus.REJECTED,
        }
        assert statuses.count(SuggestionStatus.ACCEPTED) > PAST_INTAKES * 0.7
        overridden = db.scalars(
            select(Decision).where(
                Decision.client_id.in_(former), Decision.outcome != DecisionOutcome.ACCEPTED
            )
        ).all()
        assert overridden
        assert all(d.reason for d in overridden)
        for amended in (d for d in overridden if d.outcome == DecisionOutcome.AMENDED):
            assert URGENCIES.index(amended.urgency) == URGENCIES.index(amended.proposed_urgency) - 1
        assert "crisis" not in {s.urgency for s in past}
        still_waiting = (
            select(func.count())
            .select_from(WaitlistEntry)
            .where(WaitlistEntry.client_id.in_(former), WaitlistEntry.status == "waiting")
        )
        assert db.scalar(still_waiting) == 0
        # The lead's preview of the demo's stored version reads a full 500 past intakes.
        lead = db.scalar(select(User).where(User.email == "lead@demo.test"))
        assert lead is not None
        stored = db.scalar(select(RulesetVersion.id).where(RulesetVersion.is_active.is_(False)))
        assert stored is not None
        preview = preview_version(
            db, user=lead, actor=actor_for(db, lead, utcnow()), version_id=stored, now=utcnow()
        )
        assert preview.total == DEFAULT_PREVIEW_COUNT == 500
        # The demo organisation names its country, and one case is urgent from words alone.
        org = db.scalar(select(Organization))
        assert org is not None
        assert org.country == "US"
        suggestions = db.scalars(select(Suggestion)).all()
        by_words = [
            s
            for s in suggestions
            if not any(
                score.get("flags") for score in (s.inputs_dict or {}).get("scores", {}).values()
            )
            and s.urgency in ("urgent", "crisis")
        ]
        assert by_words, "no case escalated by the client's words alone"
        # One story: the crisis client on the waitlist is seen within the crisis target (no
        # crisis waiting days there), and the crisis cases left undecided in the review queue
        # are each counted over target, as the queue marks them.
        board = dashboard(db, actor=actor_for(db, lead, seeded), now=seeded)
        listed = {line.urgency: line for line in board.waitlist}
        assert listed["crisis"].waiting >= 1
        assert listed["crisis"].over_target == 0
        assert listed["crisis"].oldest is not None
        assert listed["crisis"].target is not None
        assert seeded - listed["crisis"].oldest < listed["crisis"].target
        queued = {line.urgency: line for line in board.queue}
        assert queued["crisis"].waiting >= 1
        assert queued["crisis"].over_target == queued["crisis"].waiting
        # Positive control: waits past their targets are still there to be marked.
        assert sum(line.over_target for line in board.waitlist) >= 1
    engine.dispose()
    # Running it again starts from a fresh clinic rather than piling up data.
    again = runner.invoke(app, ["demo", "--seed-only", "--data-dir", str(tmp_path)])
    assert again.exit_code == 0
    engine = build_engine(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    keys = FileKeyProvider(tmp_path / "keys" / "kek.key")
    with session_scope(make_sessionmaker(engine, keys)) as db:
        assert db.scalar(CURRENT_CLIENTS) == 40
    engine.dispose()


def test_user_totp_and_disable(tmp_path: Path) -> None:
    runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)])
    lead = runner.invoke(
        app,
        [
            "user",
            "add",
            "lead2@clinic.test",
            "--name",
            "Lead",
            "--role",
            "clinical_lead",
            "--org",
            "clinic",
            "--country",
            "US",
            "--password",
            "a long and unusual passphrase 42",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert lead.exit_code == 0, lead.output
    assert "otpauth://totp/" in lead.stdout
    again = runner.invoke(app, ["user", "totp", "lead2@clinic.test", "--data-dir", str(tmp_path)])
    assert again.exit_code == 0
    assert "secret:" in again.stdout
    off = runner.invoke(app, ["user", "disable", "lead2@clinic.test", "--data-dir", str(tmp_path)])
    assert off.exit_code == 0
    missing = runner.invoke(
        app, ["user", "disable", "nobody@clinic.test", "--data-dir", str(tmp_path)]
    )
    assert missing.exit_code == 2
    assert "No user" in missing.stderr


def test_commands_on_an_unmigrated_database_say_to_upgrade(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "alongside.cli",
            "scheduling",
            "rescreens",
            "--as",
            "nobody@clinic.test",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "alongside db upgrade" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_demo_honours_host_and_port_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALONGSIDE_HOST", "127.0.0.9")
    monkeypatch.setenv("ALONGSIDE_PORT", "8765")
    result = runner.invoke(app, ["demo", "--seed-only", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.9:8765/intake/" in result.stdout
    # The command line still wins.
    again = runner.invoke(
        app, ["demo", "--seed-only", "--data-dir", str(tmp_path), "--port", "8766"]
    )
    assert "http://127.0.0.9:8766/intake/" in again.stdout


def test_demo_seeds_the_given_database_once_and_refuses_a_clinics_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL when the suite runs on it (the point: try production's database in one
    # command), else another SQLite file named by URL.
    for url in fresh_database_url(tmp_path, "demo_url"):
        monkeypatch.setenv("ALONGSIDE_DATABASE_URL", url)
        data = tmp_path / "data"
        first = runner.invoke(app, ["demo", "--seed-only", "--data-dir", str(data)])
        assert first.exit_code == 0, first.output
        assert "Demo clinic ready: 40 synthetic clients" in first.stdout
        assert not (data / "demo.sqlite3").exists()
        engine = build_engine(url)
        keys = FileKeyProvider(data / "keys" / "kek.key")
        try:
            with session_scope(make_sessionmaker(engine, keys)) as db:
                assert db.scalar(CURRENT_CLIENTS) == 40
            # Again: the demo clinic is there already, so it is served as it is.
            again = runner.invoke(app, ["demo", "--seed-only", "--data-dir", str(data)])
            assert again.exit_code == 0, again.output
            assert "already in" in again.stdout
            with session_scope(make_sessionmaker(engine, keys)) as db:
                assert db.scalar(CURRENT_CLIENTS) == 40
                db.add(Organization(name="A real clinic", slug="real-clinic", country="US"))
            refused = runner.invoke(
                app, ["demo", "--seed-only", "--data-dir", str(data), "--database-url", url]
            )
            assert refused.exit_code == 2
            assert "not the demo clinic" in refused.stderr
            with session_scope(make_sessionmaker(engine, keys)) as db:
                assert db.scalar(CURRENT_CLIENTS) == 40
        finally:
            engine.dispose()


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)]).exit_code == 0
    result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path), "--workers", "2"])
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.stderr


@pytest.fixture
def committed_clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clinic]:
    """A migrated database (the run's kind) the CLI reads through ALONGSIDE_* settings."""
    for url in fresh_database_url(tmp_path, "cli"):
        upgrade(url)
        key_file = tmp_path / "keys" / "kek.key"
        monkeypatch.setenv("ALONGSIDE_DATABASE_URL", url)
        monkeypatch.setenv("ALONGSIDE_KEY_FILE", str(key_file))
        monkeypatch.setenv("ALONGSIDE_DATA_DIR", str(tmp_path))
        engine = build_engine(url)
        try:
            yield Clinic(url, key_file, make_sessionmaker(engine, FileKeyProvider(key_file)))
        finally:
            engine.dispose()


@dataclass
class Clinic:
    """What ``committed_clinic`` made."""

    url: str
    key_file: Path
    factory: sessionmaker[Session]


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """``alongside serve`` routes the app's loggers to stderr: put them back afterwards."""
    names = ("alongside", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        n: (list(lg.handlers), lg.level, lg.propagate, lg.disabled)
        for n in names
        for lg in [logging.getLogger(n)]
    }
    try:
        yield
    finally:
        for name, (handlers, level, propagate, disabled) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers, logger.level = handlers, level
            logger.propagate, logger.disabled = propagate, disabled


def test_invalid_settings_exit_2_with_the_setting_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALONGSIDE_PORT", "70000")
    result = runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "port" in result.stderr
    assert "less than or equal to 65535" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no database made


def test_user_add_refuses_another_country_for_an_existing_organisation(
    committed_clinic: Clinic,
) -> None:
    with session_scope(committed_clinic.factory) as db:
        db.add(Organization(name="Clinic", slug="clinic", country="IE"))
    result = runner.invoke(
        app,
        [
            *("user", "add", "new@clinic.test", "--name", "New", "--role", "clinician"),
            *("--org", "clinic", "--country", "FR"),
            *("--password", "a long and unusual passphrase 42"),
        ],
    )
    assert result.exit_code == 2
    assert (
        "The organisation 'clinic' is in IE; an administrator changes its country on the "
        "Crisis resources page." in result.stderr
    )
    with session_scope(committed_clinic.factory) as db:
        assert db.scalar(select(func.count()).select_from(User)) == 0
        assert db.scalar(select(Organization.country).where(Organization.slug == "clinic")) == "IE"
    # The same country, named again, is accepted.
    same = runner.invoke(
        app,
        [
            *("user", "add", "new@clinic.test", "--name", "New", "--role", "clinician"),
            *("--org", "clinic", "--country", "ie"),
            *("--password", "a long and unusual passphrase 42"),
        ],
    )
    assert same.exit_code == 0, same.output
    assert same.stdout.startswith("Added clinician new@clinic.test (")


def test_user_totp_for_nobody_exits_2(committed_clinic: Clinic) -> None:
    result = runner.invoke(app, ["user", "totp", "nobody@clinic.test"])
    assert result.exit_code == 2
    assert "error: No user with the email nobody@clinic.test." in result.stderr
    assert result.stdout == ""


def test_db_upgrade_encrypts_client_logins_stored_before_encryption(
    committed_clinic: Clinic,
) -> None:
    with session_scope(committed_clinic.factory) as db:
        org = create_organization(db)
        client = create_client(db, org)
        # A client's login as older versions stored it: email and name in plain text.
        login = create_staff(db, org, Role.CLIENT, email="wren@example.org", display_name="Wren")
        login.client_id = client.id
        login_id = login.id
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Encrypted 1 client sign-ins with their clients' keys.",
        "Database at head.",
    ]
    with session_scope(committed_clinic.factory) as db:
        user = db.get_one(User, login_id)
        assert user.email != "wren@example.org"
        assert "wren" not in user.email
        assert user.display_name != "Wren"
        assert user.login_email == "wren@example.org"
        assert user.login_name == "Wren"
    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == ["Database at head."]


def test_keys_rotate_rewraps_every_data_key_and_retires_the_old_key(
    committed_clinic: Clinic,
) -> None:
    with session_scope(committed_clinic.factory) as db:
        org = create_organization(db)
        client_id = create_client(db, org, given_name="Wren", family_name="Okafor").id
    first_key = FileKeyProvider(committed_clinic.key_file).key_id

    rotated = runner.invoke(app, ["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    second_key = FileKeyProvider(committed_clinic.key_file).key_id
    assert second_key != first_key
    assert rotated.stdout.splitlines() == [
        f"New key-encryption key {second_key}; re-wrapped 1 data keys."
    ]
    with session_scope(committed_clinic.factory) as db:
        assert set(db.scalars(select(ClientKey.kek_id))) == {second_key}

    retired = runner.invoke(app, ["keys", "rotate", "--retire-old"])
    assert retired.exit_code == 0, retired.output
    provider = FileKeyProvider(committed_clinic.key_file)
    third_key = provider.key_id
    assert retired.stdout.splitlines() == [
        f"New key-encryption key {third_key}; re-wrapped 1 data keys.",
        "Retired: " + ", ".join(sorted([first_key, second_key])),
    ]
    assert provider.snapshot().key_ids == frozenset({third_key})
    # The data is still readable with the key file as it is now.
    engine = build_engine(committed_clinic.url)
    try:
        with session_scope(make_sessionmaker(engine, provider)) as db:
            client = db.get_one(Client, client_id)
            assert (client.given_name, client.family_name) == ("Wren", "Okafor")
    finally:
        engine.dispose()


def test_keys_rotate_with_another_key_file_exits_2_and_leaves_the_data_keys_as_they_were(
    committed_clinic: Clinic,
) -> None:
    with session_scope(committed_clinic.factory) as db:
        org = create_organization(db)
        create_client(db, org, given_name="Wren", family_name="Okafor")
    kept_key = FileKeyProvider(committed_clinic.key_file).key_id
    # The key file was replaced (say, by another installation's): it lacks the clinic's KEK.
    committed_clinic.key_file.unlink()
    FileKeyProvider(committed_clinic.key_file)

    result = runner.invoke(app, ["keys", "rotate"])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: KEK {kept_key!r} is not in {committed_clinic.key_file}; "
        "restore a key file (from backup) that holds it.\n"
    )
    assert "Traceback" not in result.output
    with session_scope(committed_clinic.factory) as db:
        assert set(db.scalars(select(ClientKey.kek_id))) == {kept_key}


def test_main_makes_files_private_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALONGSIDE_DATABASE_URL", raising=False)
    monkeypatch.delenv("ALONGSIDE_KEY_FILE", raising=False)
    monkeypatch.setattr(sys, "argv", ["alongside", "keys", "rotate", "--data-dir", str(tmp_path)])
    previous = os.umask(0o022)
    try:
        with pytest.raises(SystemExit) as exited:
            main()
        umask_in_main = os.umask(0o022)
    finally:
        os.umask(previous)
    assert exited.value.code == 2
    # Whatever the shell's umask, Alongside's files are its owner's alone.
    assert umask_in_main == 0o077


def test_main_explains_an_unmigrated_database_and_lets_other_errors_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ALONGSIDE_DATABASE_URL", raising=False)
    args = ["alongside", "user", "disable", "someone@clinic.test", "--data-dir", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", args)
    previous = os.umask(0o077)
    try:
        with pytest.raises(SystemExit) as exited:
            main()
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert "the database has no Alongside tables yet" in err
        assert "Run `alongside db upgrade` with the same --data-dir first." in err
        # A server that cannot be reached is not a missing upgrade: the error stays as it is.
        monkeypatch.setenv("ALONGSIDE_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/alongside")
        with pytest.raises(OperationalError, match="Connection refused"):
            main()
    finally:
        os.umask(previous)


def test_serve_in_production_with_the_default_secret_is_refused(
    committed_clinic: Clinic, monkeypatch: pytest.MonkeyPatch, logging_restored: None
) -> None:
    monkeypatch.setenv("ALONGSIDE_MODE", "production")
    monkeypatch.delenv("ALONGSIDE_SECRET_KEY", raising=False)
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "error: ALONGSIDE_SECRET_KEY is still the default." in result.stderr
    assert result.stdout == ""


def test_serve_several_workers_with_the_default_secret_is_refused(
    committed_clinic: Clinic, monkeypatch: pytest.MonkeyPatch, logging_restored: None
) -> None:
    if not committed_clinic.url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL")
    monkeypatch.setenv("ALONGSIDE_MODE", "production")
    monkeypatch.delenv("ALONGSIDE_SECRET_KEY", raising=False)
    # The command exports these for its worker processes: restored after the test.
    for name in ("ALONGSIDE_HOST", "ALONGSIDE_PORT"):
        monkeypatch.setenv(name, os.environ.get(name, ""))
        monkeypatch.delenv(name)
    result = runner.invoke(app, ["serve", "--workers", "2", "--port", "8123"])
    assert result.exit_code == 2
    assert "error: ALONGSIDE_SECRET_KEY is still the default." in result.stderr
    assert "Traceback" not in result.output
