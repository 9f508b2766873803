"""Structured JSON logs that carry ids and outcomes, never personal data.

Only allow-listed keys are written, so a client's name or words cannot slip into a log line
through a stray ``extra=`` or an exception message.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

ALLOWED_FIELDS = (
    "request_id",
    "method",
    "route",
    "status",
    "duration_ms",
    "event",
    "error_type",
    "config_error",
    "outbox_id",
    "count",
    # Ids and settings that find the row an operator must look at; never personal data.
    "crisis_alert_id",
    "organization_id",
    "country",
    "sealed",
    "checkpoint",
)


def _message(record: logging.LogRecord) -> str:
    # Our own messages are fixed event names. The server's (uvicorn) interpolate addresses and
    # ports; nothing else may interpolate, since arguments could carry personal data.
    if not isinstance(record.msg, str):
        return type(record.msg).__name__
    if record.args and record.name.startswith("uvicorn"):
        return record.getMessage()
    return record.msg


class JsonFormatter(logging.Formatter):
    """One JSON object per line with an allow-list of fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": _message(record),
        }
        for key in ALLOWED_FIELDS:
            value = record.__dict__.get(key)
            if value is not None:
                payload[key] = value
        # Exception text can quote user input (e.g. a failing value); log only its type.
        if record.exc_info and record.exc_info[0] is not None:
            payload["error_type"] = record.exc_info[0].__name__
        return json.dumps(payload, separators=(",", ":"))


def configure_logging(level: int = logging.INFO) -> None:
    """Route the app's and the server's logs through the JSON formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("alongside", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    # uvicorn's access log prints full URLs (with query strings that may hold tokens).
    logging.getLogger("uvicorn.access").disabled = True
