"""Settings for Alongside, read from ``ALONGSIDE_*`` environment variables.

Nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from alongside.errors import ConfigurationError

DEFAULT_SECRET_KEY = "insecure-development-secret-change-me"  # noqa: S105 - refused outside demo/dev


class Mode(enum.StrEnum):
    """How the instance runs; only demo and development accept default secrets."""

    DEMO = "demo"
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class WebhookTarget(BaseModel):
    """A webhook receiver the outbox may post to, and the secret its requests are signed with."""

    url: str = Field(pattern=r"^https?://")
    secret: str = Field(min_length=16)


class Settings(BaseSettings):
    """Every setting Alongside reads, with its environment variable."""

    model_config = SettingsConfigDict(env_prefix="ALONGSIDE_", extra="ignore")

    mode: Mode = Mode.DEVELOPMENT
    data_dir: Path = Path("./data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in the data directory"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: str = DEFAULT_SECRET_KEY
    key_file: Path | None = Field(
        default=None, description="key-encryption key file; default: <data_dir>/keys/kek.key"
    )
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    break_glass_minutes: int = Field(default=60, ge=1)
    api_docs: bool = Field(
        default=True, description="Serve the API reference at /api/docs to signed-in staff."
    )
    api_token_days: int = Field(
        default=90, ge=1, le=3650, description="How long a new API token works (days)."
    )
    run_worker_in_server: bool = True
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    public_url: str | None = Field(
        default=None,
        description="The address people use to reach Alongside (e.g. https://clinic.example.org);"
        " links in alerts and reminders start with it. Default: http://HOST:PORT",
    )
    smtp_sender: str = "alongside@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    webhooks: dict[str, WebhookTarget] = Field(
        default_factory=dict,
        description='name → receiver, as JSON: {"oncall": {"url": "...", "secret": "..."}}',
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    jobs_interval_seconds: float = Field(
        default=300.0,
        gt=0,
        description="How often the worker runs periodic jobs (repeat measures, reminders).",
    )
    outbox_poll_seconds: float = Field(default=5.0, gt=0)
    outbox_batch_size: int = Field(default=20, ge=1, le=500)
    outbox_max_attempts: int = Field(default=8, ge=1, le=100)
    outbox_backoff_base_seconds: float = Field(default=30.0, gt=0)
    outbox_backoff_factor: float = Field(default=2.0, ge=1)
    outbox_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    outbox_backoff_jitter: float = Field(default=0.1, ge=0, le=1)
    outbox_sending_timeout_seconds: float = Field(default=300.0, gt=0)
    # An OpenAI-compatible server the clinic runs itself (llama.cpp, Ollama, vLLM) that turns
    # note drafts into prose; off unless set. Nothing is sent anywhere else.
    llm_url: str | None = Field(default=None, pattern=r"^https?://")
    llm_model: str = "local"
    llm_timeout_seconds: float = Field(default=30.0, gt=0)

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'alongside.sqlite3').resolve()}"

    @property
    def effective_public_url(self) -> str:
        """Where links in emails and webhooks point (never taken from a request's headers)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def effective_key_file(self) -> Path:
        """Where the key-encryption key lives (outside the database)."""
        return self.key_file or self.data_dir / "keys" / "kek.key"

    @property
    def is_demo(self) -> bool:
        """Whether every page should carry the demo-data banner."""
        return self.mode is Mode.DEMO

    def check_secrets(self) -> None:
        """Refuse to run a real clinic with the default secret."""
        if self.mode is Mode.PRODUCTION and self.secret_key == DEFAULT_SECRET_KEY:
            raise ConfigurationError(
                "ALONGSIDE_SECRET_KEY is still the default. Set it to a long random value "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))') "
                "before starting Alongside in production mode."
            )
        if self.mode is Mode.PRODUCTION and len(self.secret_key) < 32:
            raise ConfigurationError(
                "ALONGSIDE_SECRET_KEY is shorter than 32 characters; set a longer random value."
            )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
