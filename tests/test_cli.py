"""The command line: version, bad input, migrations, users and the demo clinic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from alongside import __version__
from alongside.cli import app
from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.demo.history import PAST_INTAKES
from alongside.models import (
    CareTeam,
    Client,
    ClinicianProfile,
    Decision,
    DecisionOutcome,
    Organization,
    Role,
    Site,
    Suggestion,
    SuggestionStatus,
    User,
    WaitlistEntry,
)
from alongside.review.queue import URGENCIES
from tests.fixtures.db import fresh_database_url

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
