"""Organisation: the tenant; every row with client data carries its id.

``country`` is an ISO 3166-1 alpha-2 code, or for the UK nations an ISO 3166-2 subdivision
(``GB-ENG``, ``GB-SCT``, ``GB-WLS``, ``GB-NIR``): it chooses the crisis resources a client
sees. It has no default: it is given when the organisation is created. ``local_crisis_resources``
holds the organisation's own services (a JSON list of crisis-resource entries), added after
(or replacing by id) the country's defaults; every change is kept in
:class:`~alongside.models.CrisisResourceChange`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from alongside.models.base import Base, IdMixin


class Organization(IdMixin, Base):
    """A clinic or group practice."""

    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    country: Mapped[str] = mapped_column(String(6))
    local_crisis_resources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
