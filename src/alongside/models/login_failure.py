"""LoginFailure: recent failed sign-ins per account-and-address, per address and per account.

Keys are hashes (no raw emails or addresses): ``pair:`` one account from one address (the
backoff that holds back guessing without locking the real person out elsewhere),
``address:`` one address across accounts, ``account:`` one account from anywhere (counted for
the clinical lead's view, never a lock).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, UTCDateTime


class LoginFailure(Base):
    """A counter of failed sign-ins for one key (hashed, never raw)."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # The account, when it exists (for the lead's list of held-back accounts).
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # No sign-in for this key before this time (the backoff of a pair).
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
