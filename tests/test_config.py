"""Settings: defaults, environment variables and the refusal of default secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from alongside.config import DEFAULT_SECRET_KEY, Mode, Settings
from alongside.errors import ConfigurationError


def test_default_database_is_a_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve()}/alongside.sqlite3"
    assert settings.effective_key_file == tmp_path / "keys" / "kek.key"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALONGSIDE_DATABASE_URL", "postgresql://db.internal/alongside")
    monkeypatch.setenv("ALONGSIDE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ALONGSIDE_PORT", "9001")
    settings = Settings()
    assert settings.effective_database_url == "postgresql://db.internal/alongside"
    assert settings.data_dir == tmp_path
    assert settings.port == 9001


def test_production_refuses_the_default_secret_and_says_what_to_set() -> None:
    settings = Settings(mode=Mode.PRODUCTION, secret_key=DEFAULT_SECRET_KEY)
    with pytest.raises(ConfigurationError, match="ALONGSIDE_SECRET_KEY"):
        settings.check_secrets()


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ConfigurationError, match="32 characters"):
        Settings(mode=Mode.PRODUCTION, secret_key="short").check_secrets()


def test_production_accepts_a_real_secret_and_demo_accepts_the_default() -> None:
    Settings(mode=Mode.PRODUCTION, secret_key="x" * 48).check_secrets()
    Settings(mode=Mode.DEMO).check_secrets()
    Settings(mode=Mode.DEVELOPMENT).check_secrets()


def test_public_url_for_links_in_messages() -> None:
    assert Settings(host="127.0.0.2", port=9000).effective_public_url == "http://127.0.0.2:9000"
    configured = Settings(public_url="https://clinic.example.org/")
    assert configured.effective_public_url == "https://clinic.example.org"
