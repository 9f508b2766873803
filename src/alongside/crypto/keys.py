"""Key-encryption keys (KEKs): the keys that wrap each client's data key, held outside the DB.

API
---
- :class:`KeyEncryptionKeyProvider` (Protocol): ``key_id`` (the current KEK's id),
  ``wrap(data_key) -> bytes``, ``unwrap(wrapped, key_id) -> bytes`` and
  ``derive_key(purpose) -> bytes`` (a stable 256-bit subkey, e.g. for blind indexes). A KMS can
  implement the same four members later.
- :class:`FileKeyProvider` (``path``): the local key file, created with mode 0600 on first use;
  ``rotate() -> str`` adds a new current KEK and keeps the previous ones, so data keys wrapped
  under an old KEK still unwrap and can be re-wrapped (:func:`rewrap`) while the app runs;
  ``retire(key_id)`` drops an old KEK once no wrapped key names it.
- :class:`InMemoryKeyProvider`: the same behaviour without a file (tests, embedding).
- :func:`wrapped_key_id` reads the KEK id recorded inside a wrapped key;
  :func:`rewrap` re-wraps one data key under the current KEK.

Wrapped key format (bytes)::

    0x01 | len(key_id) (1 byte) | key_id (ASCII) | nonce (12) | AES-256-GCM(data_key) + tag (48)

The KEK id is both recorded in the blob and bound as associated data, so a wrapped key cannot
be presented under another id. Store the id returned by :func:`wrapped_key_id` (or by
:func:`rewrap`) next to the blob rather than reading ``provider.key_id`` separately: a rotation
by another process between the two reads would otherwise record the wrong id.

Key file format (JSON, UTF-8, mode 0600)::

    {"format": "alongside-kek/1",
     "current": "<key id>",
     "keys": {"<key id>": "<base64 of 32 bytes>", ...},
     "index_root": "<base64 of 32 bytes>"}

``index_root`` is not rotated with the KEKs: the blind indexes derived from it must stay stable,
or every lookup by email would break after a rotation. Back the key file up apart from the
database: without it nothing in the database can be decrypted.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import re
import secrets
import stat
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from alongside.crypto.errors import DecryptionError, KeyFileError, UnknownKeyError

KEY_BYTES = 32
NONCE_BYTES = 12
WRAP_VERSION = 1
FILE_FORMAT = "alongside-kek/1"
_KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
_WRAP_AAD_PREFIX = b"alongside/kek-wrap/v1\x00"
_DERIVE_INFO_PREFIX = b"alongside/derive/v1\x00"


@runtime_checkable
class KeyEncryptionKeyProvider(Protocol):
    """Wraps and unwraps per-client data keys with a key held outside the database."""

    @property
    def key_id(self) -> str:
        """The id of the KEK that :meth:`wrap` uses now."""
        ...

    def wrap(self, data_key: bytes) -> bytes:
        """Wrap a 32-byte data key under the current KEK."""
        ...

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        """Unwrap a data key wrapped under the KEK ``key_id`` (current or previous)."""
        ...

    def derive_key(self, purpose: str) -> bytes:
        """A 32-byte subkey for ``purpose``, stable across KEK rotations."""
        ...


def _check_key_id(key_id: str) -> None:
    if not _KEY_ID_PATTERN.fullmatch(key_id):
        raise ValueError(f"key id {key_id!r} must be 1-64 characters of A-Z a-z 0-9 . _ -")


def new_key_id() -> str:
    """A fresh random KEK id."""
    return f"kek-{secrets.token_hex(8)}"


def wrapped_key_id(wrapped: bytes) -> str:
    """The KEK id recorded inside a wrapped data key."""
    if len(wrapped) < 2 or wrapped[0] != WRAP_VERSION:
        raise DecryptionError("This is not a wrapped data key (unknown format version).")
    length = wrapped[1]
    if len(wrapped) != 2 + length + NONCE_BYTES + KEY_BYTES + 16:
        raise DecryptionError("This wrapped data key has the wrong length; it was altered.")
    try:
        return wrapped[2 : 2 + length].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("This wrapped data key names an unreadable KEK id.") from None


def _wrap(kek: bytes, key_id: str, data_key: bytes) -> bytes:
    if len(data_key) != KEY_BYTES:
        raise ValueError(f"a data key is {KEY_BYTES} bytes, not {len(data_key)}")
    kid = key_id.encode("ascii")
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(kek).encrypt(nonce, data_key, _WRAP_AAD_PREFIX + kid)
    return bytes([WRAP_VERSION, len(kid)]) + kid + nonce + sealed


def _unwrap(kek: bytes, wrapped: bytes) -> bytes:
    kid = wrapped_key_id(wrapped).encode("ascii")
    start = 2 + len(kid)
    nonce = wrapped[start : start + NONCE_BYTES]
    try:
        return AESGCM(kek).decrypt(nonce, wrapped[start + NONCE_BYTES :], _WRAP_AAD_PREFIX + kid)
    except InvalidTag:
        raise DecryptionError(
            f"The data key wrapped under KEK {kid.decode()!r} does not authenticate: "
            "the wrapped key was altered or the key file holds a different key under that id."
        ) from None


class InMemoryKeyProvider:
    """A KEK provider holding its keys in memory (tests, or an embedding that loads keys)."""

    def __init__(self, keys: Mapping[str, bytes], current: str, index_root: bytes) -> None:
        for key_id, key in keys.items():
            _check_key_id(key_id)
            if len(key) != KEY_BYTES:
                raise ValueError(f"KEK {key_id!r} is {len(key)} bytes, not {KEY_BYTES}")
        if current not in keys:
            raise ValueError(f"the current KEK {current!r} is not among the keys")
        if len(index_root) != KEY_BYTES:
            raise ValueError(f"the index root is {len(index_root)} bytes, not {KEY_BYTES}")
        self._keys: Mapping[str, bytes] = MappingProxyType(dict(keys))
        self._current = current
        self._index_root = index_root

    @classmethod
    def generate(cls) -> InMemoryKeyProvider:
        """A provider with one fresh random KEK and index root."""
        key_id = new_key_id()
        return cls({key_id: os.urandom(KEY_BYTES)}, key_id, os.urandom(KEY_BYTES))

    @property
    def key_id(self) -> str:
        """The id of the KEK that :meth:`wrap` uses now."""
        return self._current

    @property
    def key_ids(self) -> frozenset[str]:
        """Every KEK id this provider can unwrap with."""
        return frozenset(self._keys)

    @property
    def keys(self) -> Mapping[str, bytes]:
        """The KEKs by id (read-only)."""
        return self._keys

    @property
    def index_root(self) -> bytes:
        """The secret that :meth:`derive_key` derives from."""
        return self._index_root

    def wrap(self, data_key: bytes) -> bytes:
        """Wrap a 32-byte data key under the current KEK."""
        return _wrap(self._keys[self._current], self._current, data_key)

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        """Unwrap a data key wrapped under the KEK ``key_id``."""
        recorded = wrapped_key_id(wrapped)
        if recorded != key_id:
            raise DecryptionError(
                f"This data key was wrapped under KEK {recorded!r}, not {key_id!r}; "
                "the stored key id does not belong to this wrapped key."
            )
        kek = self._keys.get(key_id)
        if kek is None:
            raise UnknownKeyError(
                f"KEK {key_id!r} is not held; restore a key file (from backup) that holds it."
            )
        return _unwrap(kek, wrapped)

    def derive_key(self, purpose: str) -> bytes:
        """A 32-byte subkey for ``purpose`` (HKDF-SHA256 over the index root)."""
        hkdf = HKDF(
            algorithm=hashes.SHA256(),
            length=KEY_BYTES,
            salt=None,
            info=_DERIVE_INFO_PREFIX + purpose.encode("utf-8"),
        )
        return hkdf.derive(self._index_root)

    def with_new_key(self, key_id: str | None = None) -> InMemoryKeyProvider:
        """A copy with a fresh random KEK added and made current."""
        key_id = key_id or new_key_id()
        if key_id in self._keys:
            raise ValueError(f"KEK {key_id!r} already exists")
        keys = {**self._keys, key_id: os.urandom(KEY_BYTES)}
        return InMemoryKeyProvider(keys, key_id, self._index_root)

    def without_key(self, key_id: str) -> InMemoryKeyProvider:
        """A copy without the (non-current) KEK ``key_id``."""
        if key_id == self._current:
            raise ValueError(f"KEK {key_id!r} is current; rotate before retiring it")
        if key_id not in self._keys:
            raise UnknownKeyError(f"KEK {key_id!r} is not held, so it cannot be retired.")
        keys = {k: v for k, v in self._keys.items() if k != key_id}
        return InMemoryKeyProvider(keys, self._current, self._index_root)


def rewrap(provider: KeyEncryptionKeyProvider, wrapped: bytes, key_id: str) -> tuple[bytes, str]:
    """Re-wrap one data key under the provider's current KEK; returns (wrapped, key id)."""
    rewrapped = provider.wrap(provider.unwrap(wrapped, key_id))
    return rewrapped, wrapped_key_id(rewrapped)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _dump(provider: InMemoryKeyProvider) -> bytes:
    document = {
        "format": FILE_FORMAT,
        "current": provider.key_id,
        "keys": {key_id: _b64(key) for key_id, key in sorted(provider.keys.items())},
        "index_root": _b64(provider.index_root),
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def _decode_key(path: Path, name: str, value: Any) -> bytes:
    if not isinstance(value, str):
        raise KeyFileError(f"Key file {path}: {name} must be a base64 string.")
    try:
        key = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise KeyFileError(f"Key file {path}: {name} is not valid base64.") from None
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"Key file {path}: {name} is {len(key)} bytes, not {KEY_BYTES}.")
    return key


def _parse(path: Path, raw: bytes) -> InMemoryKeyProvider:
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise KeyFileError(f"Key file {path} is not valid JSON ({error}).") from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise KeyFileError(f"Key file {path} is not an Alongside key file ({FILE_FORMAT}).")
    keys_field = document.get("keys")
    current = document.get("current")
    if not isinstance(keys_field, dict) or not keys_field:
        raise KeyFileError(f"Key file {path}: 'keys' must map key ids to base64 keys.")
    keys = {str(k): _decode_key(path, f"key {k!r}", v) for k, v in keys_field.items()}
    if not isinstance(current, str) or current not in keys:
        raise KeyFileError(f"Key file {path}: 'current' must name one of its keys.")
    index_root = _decode_key(path, "index_root", document.get("index_root"))
    try:
        return InMemoryKeyProvider(keys, current, index_root)
    except ValueError as error:
        raise KeyFileError(f"Key file {path}: {error}.") from None


def _check_mode(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise KeyFileError(f"Key file {path} is not a regular file.")
    if st.st_mode & 0o077:
        mode = stat.S_IMODE(st.st_mode)
        raise KeyFileError(
            f"Key file {path} has mode {mode:04o}; others can read it. "
            f"Run: chmod 600 {path}  (and check who may have copied it)."
        )


def _write_new(path: Path, content: bytes) -> Path:
    """Write ``content`` to a fresh 0600 temporary file beside ``path``; return its path."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    return temporary


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileKeyProvider:
    """KEKs kept in a local JSON key file (mode 0600), created on first use."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._cached: InMemoryKeyProvider | None = None
        self._stamp: tuple[int, int, int, int] | None = None

    def _create(self) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = _write_new(self.path, _dump(InMemoryKeyProvider.generate()))
        try:
            # A hard link publishes the complete file atomically and fails if another process
            # created the key file first; theirs then wins and both use the same keys.
            os.link(temporary, self.path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(self.path.parent)

    def _load(self) -> InMemoryKeyProvider:
        # Checked on every use so that a rotation by another process (`alongside keys rotate`)
        # is seen at once: a stale current KEK could be retired while still in use here.
        with self._lock:
            try:
                fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:
                self._create()
                fd = os.open(self.path, os.O_RDONLY)
            except OSError as error:
                raise KeyFileError(f"Key file {self.path} cannot be opened ({error}).") from None
            try:
                st = os.fstat(fd)
                _check_mode(self.path, st)
                stamp = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
                if self._cached is None or stamp != self._stamp:
                    with os.fdopen(os.dup(fd), "rb") as handle:
                        self._cached = _parse(self.path, handle.read())
                    self._stamp = stamp
                return self._cached
            finally:
                os.close(fd)

    def snapshot(self) -> InMemoryKeyProvider:
        """The keys as they are now: the file is checked (mode, identity) once and parsed only
        if it changed since it was last read, i.e. once per process and again on rotation.
        Unwrap a whole page of data keys with it rather than calling :meth:`unwrap` per key."""
        return self._load()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        # A sidecar lock file, because os.replace swaps the key file's inode under a lock held
        # on the key file itself.
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _replace(self, provider: InMemoryKeyProvider) -> None:
        temporary = _write_new(self.path, _dump(provider))
        try:
            os.replace(temporary, self.path)
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(self.path.parent)

    @property
    def key_id(self) -> str:
        """The id of the KEK that :meth:`wrap` uses now."""
        return self._load().key_id

    @property
    def key_ids(self) -> frozenset[str]:
        """Every KEK id the key file holds."""
        return self._load().key_ids

    def wrap(self, data_key: bytes) -> bytes:
        """Wrap a 32-byte data key under the current KEK."""
        return self._load().wrap(data_key)

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        """Unwrap a data key wrapped under the KEK ``key_id`` (current or previous)."""
        try:
            return self._load().unwrap(wrapped, key_id)
        except UnknownKeyError:
            raise UnknownKeyError(
                f"KEK {key_id!r} is not in {self.path}; restore a key file (from backup) that "
                "holds it."
            ) from None

    def derive_key(self, purpose: str) -> bytes:
        """A 32-byte subkey for ``purpose``, stable across KEK rotations."""
        return self._load().derive_key(purpose)

    def rotate(self) -> str:
        """Add a fresh KEK, make it current (previous KEKs stay) and return its id."""
        with self._exclusive():
            updated = self._load().with_new_key()
            self._replace(updated)
        return updated.key_id

    def retire(self, key_id: str) -> None:
        """Remove an old KEK; only once no wrapped data key names it any more."""
        with self._exclusive():
            try:
                updated = self._load().without_key(key_id)
            except ValueError as error:
                raise KeyFileError(f"Key file {self.path}: {error}.") from None
            self._replace(updated)
