"""Transparent per-client field encryption at the ORM level.

A model lists its personal fields as :class:`EncryptedField` descriptors over ``LargeBinary``
columns. Setting a field keeps the plaintext on the instance; a ``before_flush`` hook encrypts
it with the owning client's data key (AES-256-GCM; table, column and row id bound as associated
data) before anything reaches the database. Reading decrypts on first access. The data keys
come from a :class:`Keyring` kept in ``session.info``, which unwraps :class:`ClientKey` rows
with the key-encryption key provider the session factory was given.

A client whose key row is gone (erased) reads as :data:`ERASED`: their ciphertexts, including
those in backups, can no longer be decrypted by anyone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, ClassVar, overload

from sqlalchemy import event, select
from sqlalchemy.orm import Session, object_session

from alongside.crypto.blind_index import blind_index, index_key_for
from alongside.crypto.envelope import FieldCipher, new_data_key
from alongside.crypto.errors import UnknownKeyError
from alongside.crypto.keys import KeyEncryptionKeyProvider, wrapped_key_id
from alongside.errors import Conflict
from alongside.kit.time import utcnow
from alongside.models.base import new_id
from alongside.models.client_key import ClientKey

KEYRING_PROVIDER = "kek_provider"
_KEYRING = "keyring"
ERASED = "[erased]"
# First byte of a field stored for a row that belongs to no client; encrypted fields start
# with the cipher's version byte (1), so the two never collide.
NO_CLIENT_MARKER = b"\x00"
_PENDING = "_alongside_pending_plaintext"
_PLAIN = "_alongside_plaintext"


class MissingKeyProvider(RuntimeError):
    """A session touched encrypted data without a key provider (a wiring error, not user input)."""


class Keyring:
    """Unwraps and caches client data keys for one database session."""

    def __init__(self, provider: KeyEncryptionKeyProvider) -> None:
        self.provider = provider
        self._keys: dict[uuid.UUID, bytes | None] = {}
        self._offered: dict[uuid.UUID, tuple[bytes, str] | None] = {}
        self._ciphers: dict[uuid.UUID, FieldCipher] = {}
        self._index_keys: dict[str, bytes] = {}

    def preload(self, session: Session, client_ids: Iterable[uuid.UUID]) -> None:
        """Unwrap many clients' keys with one query (list pages); the key file is checked
        once for the whole batch, not once per client."""
        wanted = [
            cid for cid in set(client_ids) if cid not in self._keys and cid not in self._offered
        ]
        if not wanted:
            return
        with session.no_autoflush:
            rows = session.execute(
                select(ClientKey.client_id, ClientKey.wrapped_key, ClientKey.kek_id).where(
                    ClientKey.client_id.in_(wanted)
                )
            ).all()
        found = {row.client_id: row for row in rows}
        snapshot = getattr(self.provider, "snapshot", None)
        provider: KeyEncryptionKeyProvider = snapshot() if found and snapshot else self.provider
        for cid in wanted:
            row = found.get(cid)
            if row is None:
                self._keys[cid] = None
                continue
            try:
                self._keys[cid] = provider.unwrap(row.wrapped_key, row.kek_id)
            except UnknownKeyError:
                # Rotated in between, or truly missing: the provider reads again or explains.
                self._keys[cid] = self.provider.unwrap(row.wrapped_key, row.kek_id)

    def offer(self, client_id: uuid.UUID, wrapped_key: bytes | None, kek_id: str | None) -> None:
        """Keep a client's wrapped key that a caller read along with other rows (an outer join
        on ``client_keys``: ``None`` when the key was destroyed), so that the first use of the
        key needs no query of its own. Unwrapped only if a field is read or written."""
        if client_id in self._keys or client_id in self._offered:
            return
        self._offered[client_id] = (
            None if wrapped_key is None or kek_id is None else (bytes(wrapped_key), kek_id)
        )

    def data_key(self, session: Session, client_id: uuid.UUID) -> bytes | None:
        """The client's data key, or None when it was destroyed (erasure)."""
        if client_id not in self._keys:
            if client_id in self._offered:
                offered = self._offered.pop(client_id)
                self._keys[client_id] = None if offered is None else self.provider.unwrap(*offered)
            else:
                self.preload(session, [client_id])
        return self._keys[client_id]

    def cipher(self, session: Session, client_id: uuid.UUID) -> FieldCipher | None:
        """A cipher for the client's fields (set up once per session), or None if erased."""
        cipher = self._ciphers.get(client_id)
        if cipher is None:
            key = self.data_key(session, client_id)
            if key is None:
                return None
            cipher = self._ciphers[client_id] = FieldCipher(key)
        return cipher

    def create_key(self, session: Session, client_id: uuid.UUID) -> bytes:
        """Make and store a fresh wrapped data key for a new client."""
        key = new_data_key()
        wrapped = self.provider.wrap(key)
        session.add(
            ClientKey(
                client_id=client_id,
                wrapped_key=wrapped,
                kek_id=wrapped_key_id(wrapped),
                created_at=utcnow(),
            )
        )
        self._keys[client_id] = key
        self._offered.pop(client_id, None)
        return key

    def forget(self, client_id: uuid.UUID) -> None:
        """Drop a cached key (after erasure) so later reads see it is gone."""
        self._keys[client_id] = None
        self._offered.pop(client_id, None)
        self._ciphers.pop(client_id, None)

    def index_key(self, purpose: str) -> bytes:
        """The blind-index key for ``purpose``, derived from the KEK provider."""
        if purpose not in self._index_keys:
            self._index_keys[purpose] = index_key_for(self.provider, purpose)
        return self._index_keys[purpose]


def keyring_for(session: Session) -> Keyring:
    """The session's keyring, created on first use from the factory's key provider."""
    keyring = session.info.get(_KEYRING)
    if keyring is None:
        provider = session.info.get(KEYRING_PROVIDER)
        if provider is None:
            raise MissingKeyProvider(
                "This database session has no key provider; build it with make_sessionmaker(...,"
                " kek_provider=...)."
            )
        keyring = Keyring(provider)
        session.info[_KEYRING] = keyring
    assert isinstance(keyring, Keyring)  # noqa: S101 - only this module writes the slot
    return keyring


class EncryptedModel:
    """Mixin for models with encrypted fields; says whose key protects the row."""

    # "self" for the Client row itself; otherwise the attribute holding the client's id.
    __encryption_owner__: ClassVar[str] = "client_id"
    # Rows that may belong to no client (e.g. an alert to staff) store their fields without a
    # client key, marked as such; rows that name a client are always encrypted with its key.
    __encryption_optional__: ClassVar[bool] = False
    # Blind indexes to maintain: field name -> (index column attribute, purpose).
    __blind_indexes__: ClassVar[dict[str, tuple[str, str]]] = {}

    def after_encrypt(self, session: Session, keyring: Keyring, changed: frozenset[str]) -> None:
        """Called once the fields named in ``changed`` are encrypted (e.g. to index them)."""

    def encryption_owner_id(self) -> uuid.UUID:
        """The id of the client whose data key encrypts this row."""
        owner = self.optional_owner_id()
        if owner is None:
            attribute = self.__encryption_owner__
            raise ValueError(f"{type(self).__name__} has no {attribute} to pick a data key")
        return owner

    def optional_owner_id(self) -> uuid.UUID | None:
        """The owning client's id, or None for a row that belongs to no client."""
        attribute = "id" if self.__encryption_owner__ == "self" else self.__encryption_owner__
        owner = getattr(self, attribute)
        if owner is None:
            if self.__encryption_optional__:
                return None
            raise ValueError(f"{type(self).__name__} has no {attribute} to pick a data key")
        assert isinstance(owner, uuid.UUID)  # noqa: S101 - ids are UUID columns
        return owner


class EncryptedField:
    """A plaintext view of an encrypted ``LargeBinary`` column on an :class:`EncryptedModel`."""

    def __init__(self, column_attribute: str, *, column_name: str | None = None) -> None:
        self.column_attribute = column_attribute
        self.column_name = column_name
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        if self.column_name is None:
            self.column_name = name

    @overload
    def __get__(self, instance: None, owner: type) -> EncryptedField: ...

    @overload
    def __get__(self, instance: object, owner: type) -> Any: ...

    def __get__(self, instance: object | None, owner: type) -> Any:
        if instance is None:
            return self
        plain: dict[str, str | None] = instance.__dict__.setdefault(_PLAIN, {})
        if self.name in plain:
            return plain[self.name]
        ciphertext = getattr(instance, self.column_attribute)
        if ciphertext is None:
            return None
        assert isinstance(instance, EncryptedModel)  # noqa: S101 - descriptor is for these only
        if bytes(ciphertext[:1]) == NO_CLIENT_MARKER:
            # A row that belongs to no client (see EncryptedModel.__encryption_optional__).
            unowned = bytes(ciphertext[1:]).decode("utf-8")
            plain[self.name] = unowned
            return unowned
        session = object_session(instance)
        if session is None:
            raise MissingKeyProvider(
                f"{type(instance).__name__}.{self.name} read outside a database session"
            )
        cipher = keyring_for(session).cipher(session, instance.encryption_owner_id())
        if cipher is None:
            return ERASED
        value = cipher.decrypt(
            ciphertext,
            table=type(instance).__tablename__,  # type: ignore[attr-defined]
            column=str(self.column_name),
            row_id=instance.id,  # type: ignore[attr-defined]
        )
        plain[self.name] = value
        return value

    def __set__(self, instance: object, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{self.name} takes text, not {type(value).__name__}")
        instance.__dict__.setdefault(_PLAIN, {})[self.name] = value
        instance.__dict__.setdefault(_PENDING, set()).add(self.name)
        if value is None:
            setattr(instance, self.column_attribute, None)
        else:
            # A placeholder marks the row dirty; before_flush replaces it with the ciphertext.
            setattr(instance, self.column_attribute, b"")


def _fields(model: type) -> dict[str, EncryptedField]:
    found: dict[str, EncryptedField] = {}
    for klass in reversed(model.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, EncryptedField):
                found[name] = value
    return found


def encrypt_pending(session: Session, instance: EncryptedModel) -> None:
    """Encrypt the plaintexts set on ``instance`` since its last flush."""
    pending: set[str] = instance.__dict__.get(_PENDING, set())
    if not pending:
        return
    if getattr(instance, "id", None) is None:
        instance.id = new_id()  # type: ignore[attr-defined]
    owner = instance.optional_owner_id()
    if owner is None:
        _store_unowned(instance, pending)
        return
    keyring = keyring_for(session)
    cipher = keyring.cipher(session, owner)
    if cipher is None:
        raise Conflict("This client's record was erased; nothing more can be stored for them.")
    fields = _fields(type(instance))
    plain = instance.__dict__.get(_PLAIN, {})
    for name in sorted(pending):
        field = fields[name]
        value = plain.get(name)
        if value is not None:
            setattr(
                instance,
                field.column_attribute,
                cipher.encrypt(
                    value,
                    table=type(instance).__tablename__,  # type: ignore[attr-defined]
                    column=str(field.column_name),
                    row_id=instance.id,  # type: ignore[attr-defined]
                ),
            )
        index = instance.__blind_indexes__.get(name)
        if index is not None:
            index_attribute, purpose = index
            setattr(
                instance,
                index_attribute,
                None
                if value is None
                else blind_index(keyring.index_key(purpose), value, purpose=purpose),
            )
    instance.after_encrypt(session, keyring, frozenset(pending))
    pending.clear()


def _store_unowned(instance: EncryptedModel, pending: set[str]) -> None:
    fields = _fields(type(instance))
    plain = instance.__dict__.get(_PLAIN, {})
    for name in sorted(pending):
        value = plain.get(name)
        setattr(
            instance,
            fields[name].column_attribute,
            None if value is None else NO_CLIENT_MARKER + value.encode("utf-8"),
        )
    pending.clear()


@event.listens_for(Session, "before_flush")
def _encrypt_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    # Clients first, so their data keys exist before rows that belong to them.
    new = [obj for obj in session.new if isinstance(obj, EncryptedModel)]
    dirty = [obj for obj in session.dirty if isinstance(obj, EncryptedModel)]
    new.sort(key=lambda obj: obj.__encryption_owner__ != "self")
    for obj in new:
        if obj.__encryption_owner__ == "self":
            if getattr(obj, "id", None) is None:
                obj.id = new_id()  # type: ignore[attr-defined]
            keyring_for(session).create_key(session, obj.encryption_owner_id())
    for obj in new:
        encrypt_pending(session, obj)
    for obj in dirty:
        encrypt_pending(session, obj)


def blind_index_for(session: Session, value: str, *, purpose: str) -> str:
    """The blind index of ``value`` for exact lookups (e.g. a client by email)."""
    keyring = keyring_for(session)
    return blind_index(keyring.index_key(purpose), value, purpose=purpose)


def page_cursor_key(session: Session) -> bytes:
    """The key that signs list cursors, derived from the key file (same in every process)."""
    return keyring_for(session).index_key("page-cursor")


def _forget_plaintext(target: object, *_args: Any) -> None:
    # Loaded, refreshed or expired: the stored ciphertext is the truth again.
    target.__dict__.pop(_PLAIN, None)
    target.__dict__.pop(_PENDING, None)


for _event_name in ("load", "refresh", "expire"):
    event.listen(EncryptedModel, _event_name, _forget_plaintext, propagate=True)
