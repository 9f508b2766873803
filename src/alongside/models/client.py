"""Client: a person receiving care. Personal fields are encrypted with the client's own key."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, cast

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    delete,
    event,
    insert,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from alongside.crypto.blind_index import EMAIL, SEARCH, blind_index, prefixes, search_words
from alongside.models.base import Base, IdMixin, phi
from alongside.models.client_search_term import ClientSearchTerm
from alongside.models.encrypted import ERASED, EncryptedField, EncryptedModel, Keyring

# Bumped when the terms change shape, so clients indexed the old way are indexed again.
SEARCH_TERMS_VERSION = 1
SEARCHED_FIELDS = frozenset({"given_name", "family_name", "date_of_birth"})
_PENDING_TERMS = "client_search_terms_pending"
_TERMS_TABLE = cast(Table, ClientSearchTerm.__table__)


class Client(EncryptedModel, IdMixin, Base):
    """Someone the clinic cares for."""

    __tablename__ = "clients"
    __table_args__ = (
        Index("ix_clients_org_created", "organization_id", "created_at", "id"),
        Index("ix_clients_org_search_version", "organization_id", "search_terms_version"),
    )
    __encryption_owner__: ClassVar[str] = "self"
    __blind_indexes__: ClassVar[dict[str, tuple[str, str]]] = {"email": ("email_index", EMAIL)}

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sites.id", ondelete="SET NULL"), nullable=True
    )
    given_name_ct: Mapped[bytes] = mapped_column("given_name", LargeBinary, info=phi())
    family_name_ct: Mapped[bytes] = mapped_column("family_name", LargeBinary, info=phi())
    email_ct: Mapped[bytes | None] = mapped_column("email", LargeBinary, nullable=True, info=phi())
    phone_ct: Mapped[bytes | None] = mapped_column("phone", LargeBinary, nullable=True, info=phi())
    date_of_birth_ct: Mapped[bytes | None] = mapped_column(
        "date_of_birth", LargeBinary, nullable=True, info=phi()
    )
    email_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    preferred_language: Mapped[str] = mapped_column(String(16), default="en")
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Which version of the search terms this client's rows in client_search_terms are
    # (None: not indexed yet, e.g. created before search existed).
    search_terms_version: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)

    given_name = EncryptedField("given_name_ct")
    family_name = EncryptedField("family_name_ct")
    email = EncryptedField("email_ct")
    phone = EncryptedField("phone_ct")
    date_of_birth = EncryptedField("date_of_birth_ct")

    def after_encrypt(self, session: Session, keyring: Keyring, changed: frozenset[str]) -> None:
        """Re-index the name prefixes and date of birth when one of them changed."""
        if changed & SEARCHED_FIELDS:
            queue_search_terms(session, self, keyring.index_key(SEARCH))

    @property
    def display_name(self) -> str:
        """Name as staff see it."""
        return f"{self.given_name} {self.family_name}"

    @property
    def initials(self) -> str:
        """Initials only, for places that must not show a name (calendar feeds)."""
        return f"{str(self.given_name)[:1]}{str(self.family_name)[:1]}".upper()


def search_term(key: bytes, kind: str, value: str) -> str:
    """The blind index of one search term (``kind`` is ``name`` or ``dob``)."""
    return blind_index(key, f"{kind}:{value}", purpose=SEARCH)


def client_search_terms(
    key: bytes, given_name: str | None, family_name: str | None, date_of_birth: str | None
) -> set[str]:
    """Every term a client is found by: each name word's prefixes, and the date of birth."""
    terms: set[str] = set()
    for name in (given_name, family_name):
        if name and name != ERASED:
            for word in search_words(name):
                terms.update(search_term(key, "name", prefix) for prefix in prefixes(word))
    if date_of_birth and date_of_birth != ERASED:
        terms.add(search_term(key, "dob", date_of_birth.strip()))
    return terms


def queue_search_terms(session: Session, client: Client, key: bytes) -> None:
    """Replace the client's search terms when this flush ends (rows written in one insert)."""
    terms = client_search_terms(key, client.given_name, client.family_name, client.date_of_birth)
    replace = sa_inspect(client).persistent
    pending: list[tuple[Client, set[str], bool]] = session.info.setdefault(_PENDING_TERMS, [])
    pending.append((client, terms, replace))
    client.search_terms_version = SEARCH_TERMS_VERSION


@event.listens_for(Session, "after_flush")
def _write_search_terms(session: Session, _context: Any) -> None:
    # After the flush, so the clients' rows exist for the foreign key.
    pending: list[tuple[Client, set[str], bool]] = session.info.pop(_PENDING_TERMS, [])
    if not pending:
        return
    replaced = [client.id for client, _terms, replace in pending if replace]
    if replaced:
        session.execute(
            delete(ClientSearchTerm).where(ClientSearchTerm.client_id.in_(replaced)),
            execution_options={"synchronize_session": False},
        )
    rows = [
        {"client_id": client.id, "organization_id": client.organization_id, "term": term}
        for client, terms, _replace in pending
        for term in sorted(terms)
    ]
    if rows:
        session.execute(insert(_TERMS_TABLE), rows)
