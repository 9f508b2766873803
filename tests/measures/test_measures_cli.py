"""``alongside measures due`` through the root command."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from alongside.cli import app

runner = CliRunner()


def test_due_needs_a_migrated_database(tmp_path: Path) -> None:
    result = runner.invoke(app, ["measures", "due", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "alongside db upgrade" in result.stderr
    assert result.stdout == ""


def test_due_on_an_empty_clinic_creates_nothing(tmp_path: Path) -> None:
    upgraded = runner.invoke(app, ["db", "upgrade", "--data-dir", str(tmp_path)])
    assert upgraded.exit_code == 0, upgraded.output
    result = runner.invoke(app, ["measures", "due", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Created 0 link(s); 0 emailed; 0 skipped."
    again = runner.invoke(app, ["measures", "due", "--data-dir", str(tmp_path)])
    assert again.stdout == result.stdout
