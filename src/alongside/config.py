"""Settings for Alongside, read from ``ALONGSIDE_*`` environment variables.

Nothing else in the package reads ``os.environ``.
"""

from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alongside.errors import ConfigurationError

SQLITE_FILE = "alongside.sqlite3"
DEMO_SQLITE_FILE = "demo.sqlite3"
DEFAULT_SECRET_KEY = "insecure-development-secret-change-me"  # noqa: S105 - refused outside demo/dev


class Mode(enum.StrEnum):
    """How the instance runs; only demo and development accept default secrets."""

    DEMO = "demo"
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SmsFormat(enum.StrEnum):
    """The shape of the JSON an HTTP SMS gateway expects (see ``notify/sms.py``)."""

    JSON = "json"
    ANDROID_SMS_GATEWAY = "android-sms-gateway"


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
    # Text messages to clients: off unless the clinic sets a gateway (one of the two ways), so
    # no number is sent anywhere the clinic did not choose.
    sms_gateway_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="The clinic's HTTP SMS gateway; each text is one POST of JSON to it.",
    )
    sms_gateway_format: SmsFormat = Field(
        default=SmsFormat.JSON,
        description='"json" ({"to", "text", "id"}) or "android-sms-gateway" (SMS Gateway for '
        "Android's local server).",
    )
    sms_gateway_token: str | None = Field(default=None, description="Sent as a bearer token.")
    sms_gateway_username: str | None = Field(
        default=None, description="With the password: basic authentication."
    )
    sms_gateway_password: str | None = None
    sms_gateway_timeout_seconds: float = Field(default=10.0, gt=0)
    sms_email_domain: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$",
        description="Email to SMS instead: a text to +15550100123 is emailed through the SMTP "
        "relay to 15550100123@<this domain>.",
    )
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
    outbox_crisis_sending_timeout_seconds: float = Field(
        default=45.0,
        gt=0,
        le=60,
        description="The lease of a crisis alert being sent: a worker that dies mid-send delays "
        "it by at most this long before another worker sends it again.",
    )
    audit_seal_seconds: float = Field(
        default=2.0,
        gt=0,
        le=5,
        description="How often the worker seals new audit events into the hash chain; an event "
        "is unsealed (changeable by someone able to drop the triggers) for about this long.",
    )
    audit_checkpoint_file: Path | None = Field(
        default=None,
        description="Where the sealer appends keyed audit checkpoints (SEQUENCE:HASH:MAC) for "
        "operators to copy off the machine; default: <data_dir>/audit-checkpoints.log",
    )
    db_statement_timeout_ms: int = Field(
        default=30_000,
        ge=0,
        description="PostgreSQL statement_timeout per connection (0: none).",
    )
    db_lock_timeout_ms: int = Field(
        default=5_000,
        ge=0,
        description="PostgreSQL lock_timeout per connection: a statement waiting this long for "
        "a lock fails (the request answers 503) instead of queueing forever (0: none).",
    )
    db_idle_in_transaction_timeout_ms: int = Field(
        default=15_000,
        ge=0,
        description="PostgreSQL idle_in_transaction_session_timeout per connection: a "
        "connection left idle inside a transaction this long is closed (0: none).",
    )
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    db_pool_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long a request waits for a free connection."
    )
    sqlite_busy_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="How long a SQLite writer waits for the write lock before the request "
        "answers 503 (writers take turns; they never run at once).",
    )
    # An OpenAI-compatible server the clinic runs itself (llama.cpp, Ollama, vLLM) that turns
    # note drafts into prose; off unless set. Nothing is sent anywhere else.
    llm_url: str | None = Field(default=None, pattern=r"^https?://")
    llm_model: str = "local"
    llm_timeout_seconds: float = Field(default=30.0, gt=0)

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or a SQLite file in the data directory: the clinic's
        ``alongside.sqlite3``, or, in a directory that holds only the demo's database (made by
        ``alongside demo --data-dir``), that one, so every command finds the demo clinic."""
        if self.database_url:
            return self.database_url
        clinic = self.data_dir / SQLITE_FILE
        demo = self.data_dir / DEMO_SQLITE_FILE
        if not clinic.exists() and demo.exists():
            return f"sqlite:///{demo.resolve()}"
        return f"sqlite:///{clinic.resolve()}"

    @property
    def effective_audit_checkpoint_file(self) -> Path:
        """Where audit checkpoints are appended."""
        return self.audit_checkpoint_file or self.data_dir / "audit-checkpoints.log"

    @property
    def effective_public_url(self) -> str:
        """Where links in emails and webhooks point (never taken from a request's headers)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def effective_key_file(self) -> Path:
        """Where the key-encryption key lives (outside the database)."""
        return self.key_file or self.data_dir / "keys" / "kek.key"

    @model_validator(mode="after")
    def _one_sms_gateway(self) -> Settings:
        if self.sms_gateway_url and self.sms_email_domain:
            raise ValueError(
                "Both ALONGSIDE_SMS_GATEWAY_URL and ALONGSIDE_SMS_EMAIL_DOMAIN are set; set one "
                "of them, the way your clinic sends text messages."
            )
        return self

    @property
    def sms_ready(self) -> bool:
        """Whether text messages can be sent (a gateway is configured)."""
        return bool(self.sms_gateway_url or self.sms_email_domain)

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
