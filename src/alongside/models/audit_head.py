"""AuditHead: the one row naming the newest *sealed* audit event (its sequence and hash).

Only the sealer (:mod:`alongside.audit.sealer`) touches this row: it locks it for the length
of one batch (so sealers take turns and the chain has one order), and moves it forward event by
event. Writers of events never read or lock it. Triggers created by the migration refuse to
delete the row and allow an update only when it moves the head forward by one, onto an existing
event that follows the old head; so the head cannot be rolled back to hide a truncated tail
without also dropping the triggers.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base

HEAD_ROW_ID = 1


class AuditHead(Base):
    """The newest audit event's sequence and hash (sequence 0 and the genesis hash when empty)."""

    __tablename__ = "audit_heads"
    __table_args__ = (CheckConstraint(f"id = {HEAD_ROW_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
