"""ClientSearchTerm: keyed blind indexes of a client's name prefixes and date of birth.

Each row is ``HMAC(search key, "name:" + prefix)`` or ``HMAC(search key, "dob:" + date)`` for
one client, so staff can find a client by the start of a name or by date of birth without
the database holding either in the clear. The key is derived from the key file, never stored.
What this reveals to someone with the database alone is in docs/search.md.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base


class ClientSearchTerm(Base):
    """One blind-indexed search term of one client."""

    __tablename__ = "client_search_terms"
    __table_args__ = (
        Index("ix_client_search_terms_org_term", "organization_id", "term", "client_id"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
