"""LoginFailure: recent failed sign-ins per account and per address, for throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, UTCDateTime


class LoginFailure(Base):
    """A counter of failed sign-ins in the current window for one key (hashed, never raw)."""

    __tablename__ = "login_failures"

    # "account:<sha256 of email>" or "address:<sha256 of ip>": no raw emails or addresses.
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
