"""Key-encryption keys: key file creation and mode, wrapping, rotation, retirement."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from alongside.crypto.envelope import decrypt_field, encrypt_field, new_data_key
from alongside.crypto.errors import DecryptionError, KeyFileError, UnknownKeyError
from alongside.crypto.keys import (
    FILE_FORMAT,
    FileKeyProvider,
    InMemoryKeyProvider,
    KeyEncryptionKeyProvider,
    rewrap,
    wrapped_key_id,
)
from alongside.errors import ConfigurationError


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "kek.key"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_file_is_created_on_first_use_with_mode_0600(key_path: Path) -> None:
    provider = FileKeyProvider(key_path)
    assert not key_path.exists()  # nothing happens until the provider is used
    key_id = provider.key_id
    assert _mode(key_path) == 0o600
    assert _mode(key_path.parent) == 0o700
    document = json.loads(key_path.read_text())
    assert document["format"] == FILE_FORMAT
    assert document["current"] == key_id
    assert len(base64.b64decode(document["keys"][key_id])) == 32
    assert len(base64.b64decode(document["index_root"])) == 32
    assert [p.name for p in key_path.parent.iterdir()] == ["kek.key"]  # no temporary left


def test_creation_is_0600_even_with_a_permissive_umask(key_path: Path) -> None:
    old = os.umask(0)
    try:
        FileKeyProvider(key_path).wrap(new_data_key())
    finally:
        os.umask(old)
    assert _mode(key_path) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_key_file_readable_by_others_is_refused_with_the_fix(key_path: Path, mode: int) -> None:
    _ = FileKeyProvider(key_path).key_id
    key_path.chmod(mode)
    with pytest.raises(KeyFileError, match=rf"mode {mode:04o}.*Run: chmod 600 ") as info:
        _ = FileKeyProvider(key_path).key_id
    assert str(key_path) in str(info.value)
    assert isinstance(info.value, ConfigurationError)


def test_owner_read_only_key_file_is_accepted(key_path: Path) -> None:
    key_id = FileKeyProvider(key_path).key_id
    key_path.chmod(0o400)
    assert FileKeyProvider(key_path).key_id == key_id


def test_a_tightened_file_works_again(key_path: Path) -> None:
    provider = FileKeyProvider(key_path)
    wrapped = provider.wrap(data_key := new_data_key())
    key_path.chmod(0o644)
    with pytest.raises(KeyFileError):
        provider.unwrap(wrapped, wrapped_key_id(wrapped))
    key_path.chmod(0o600)
    assert provider.unwrap(wrapped, wrapped_key_id(wrapped)) == data_key


def test_existing_key_file_is_never_overwritten(key_path: Path) -> None:
    provider = FileKeyProvider(key_path)
    _ = provider.key_id
    before = key_path.read_bytes()
    provider._create()  # as if another process created it between our open and our link
    assert key_path.read_bytes() == before
    assert FileKeyProvider(key_path).key_id == provider.key_id


def test_a_directory_is_not_a_key_file(tmp_path: Path) -> None:
    path = tmp_path / "kek.key"
    path.mkdir(mode=0o700)
    with pytest.raises(KeyFileError, match="not a regular file"):
        _ = FileKeyProvider(path).key_id


def test_unopenable_key_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(KeyFileError, match="cannot be opened"):
        _ = FileKeyProvider(blocker / "kek.key").key_id


def _write(path: Path, content: str) -> None:
    path.write_text(content)
    path.chmod(0o600)


GOOD_KEY = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON"),
        (b"\xff".decode("latin-1"), "not valid JSON"),
        ("[]", "not an Alongside key file"),
        ('{"format": "other"}', "not an Alongside key file"),
        (json.dumps({"format": FILE_FORMAT, "keys": {}}), "'keys' must map"),
        (
            json.dumps(
                {
                    "format": FILE_FORMAT,
                    "current": "b",
                    "keys": {"a": GOOD_KEY},
                    "index_root": GOOD_KEY,
                }
            ),
            "'current' must name",
        ),
        (
            json.dumps(
                {"format": FILE_FORMAT, "current": "a", "keys": {"a": 5}, "index_root": GOOD_KEY}
            ),
            "must be a base64 string",
        ),
        (
            json.dumps(
                {"format": FILE_FORMAT, "current": "a", "keys": {"a": "!!"}, "index_root": GOOD_KEY}
            ),
            "not valid base64",
        ),
        (
            json.dumps(
                {
                    "format": FILE_FORMAT,
                    "current": "a",
                    "keys": {"a": "AAAA"},
                    "index_root": GOOD_KEY,
                }
            ),
            "3 bytes, not 32",
        ),
        (
            json.dumps({"format": FILE_FORMAT, "current": "a", "keys": {"a": GOOD_KEY}}),
            "index_root must be",
        ),
        (
            json.dumps(
                {
                    "format": FILE_FORMAT,
                    "current": "a b",
                    "keys": {"a b": GOOD_KEY},
                    "index_root": GOOD_KEY,
                }
            ),
            "key id 'a b' must be",
        ),
    ],
)
def test_malformed_key_files_are_refused(key_path: Path, content: str, message: str) -> None:
    key_path.parent.mkdir(mode=0o700)
    _write(key_path, content)
    with pytest.raises(KeyFileError, match=message):
        _ = FileKeyProvider(key_path).key_id


@pytest.mark.parametrize(
    "make",
    [lambda p: FileKeyProvider(p), lambda p: InMemoryKeyProvider.generate()],
    ids=["file", "memory"],
)
def test_providers_satisfy_the_protocol_and_round_trip(key_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    provider = make(key_path)
    assert isinstance(provider, KeyEncryptionKeyProvider)
    data_key = new_data_key()
    wrapped = provider.wrap(data_key)
    assert wrapped_key_id(wrapped) == provider.key_id
    assert data_key not in wrapped
    assert len(wrapped) == 2 + len(provider.key_id) + 12 + 32 + 16
    assert provider.unwrap(wrapped, provider.key_id) == data_key
    assert provider.wrap(data_key) != wrapped  # fresh nonce


def test_wrap_refuses_keys_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        InMemoryKeyProvider.generate().wrap(b"short")


def test_tampered_wrapped_key_fails() -> None:
    provider = InMemoryKeyProvider.generate()
    wrapped = provider.wrap(new_data_key())
    start = 2 + len(provider.key_id)
    for index in range(start, len(wrapped)):
        tampered = bytearray(wrapped)
        tampered[index] ^= 0x01
        with pytest.raises(DecryptionError):
            provider.unwrap(bytes(tampered), provider.key_id)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda w: b"", "unknown format"),
        (lambda w: bytes([9]) + w[1:], "unknown format"),
        (lambda w: w[:-1], "wrong length"),
        (lambda w: w[:2] + b"\xff" * w[1] + w[2 + w[1] :], "unreadable KEK id"),
    ],
)
def test_malformed_wrapped_keys(mangle, message: str) -> None:  # type: ignore[no-untyped-def]
    provider = InMemoryKeyProvider.generate()
    with pytest.raises(DecryptionError, match=message):
        provider.unwrap(mangle(provider.wrap(new_data_key())), provider.key_id)


def test_wrapped_key_presented_under_another_id_fails() -> None:
    provider = InMemoryKeyProvider.generate().with_new_key("kek-b")
    old_id = next(iter(provider.key_ids - {"kek-b"}))
    wrapped = provider.wrap(new_data_key())
    with pytest.raises(DecryptionError, match=f"wrapped under KEK 'kek-b', not '{old_id}'"):
        provider.unwrap(wrapped, old_id)


def test_relabelled_wrapped_key_fails_authentication() -> None:
    keys = {"kek-a": os.urandom(32), "kek-b": os.urandom(32)}
    provider = InMemoryKeyProvider(keys, "kek-b", os.urandom(32))
    wrapped = provider.wrap(new_data_key())
    relabelled = wrapped.replace(b"kek-b", b"kek-a", 1)
    with pytest.raises(DecryptionError, match="does not authenticate"):
        provider.unwrap(relabelled, "kek-a")
    same_id_other_key = InMemoryKeyProvider({"kek-b": os.urandom(32)}, "kek-b", os.urandom(32))
    with pytest.raises(DecryptionError, match="does not authenticate"):
        same_id_other_key.unwrap(wrapped, "kek-b")


def test_unknown_key_id() -> None:
    wrapped = InMemoryKeyProvider.generate().wrap(new_data_key())
    with pytest.raises(UnknownKeyError, match="restore a key file"):
        InMemoryKeyProvider.generate().unwrap(wrapped, wrapped_key_id(wrapped))


@pytest.mark.parametrize(
    ("keys", "current", "root", "message"),
    [
        ({"a": bytes(32)}, "b", bytes(32), "not among the keys"),
        ({"a": bytes(31)}, "a", bytes(32), "31 bytes"),
        ({"a": bytes(32)}, "a", bytes(8), "index root"),
        ({"": bytes(32)}, "", bytes(32), "key id"),
    ],
)
def test_in_memory_provider_validates(
    keys: dict[str, bytes], current: str, root: bytes, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        InMemoryKeyProvider(keys, current, root)


def test_rotation_keeps_old_keys_and_rewraps_under_the_new_one(key_path: Path) -> None:
    server = FileKeyProvider(key_path)  # the running app
    cli = FileKeyProvider(key_path)  # `alongside keys rotate` in another process
    old_id = server.key_id
    data_keys = [new_data_key() for _ in range(5)]
    stored = [(server.wrap(k), old_id) for k in data_keys]
    ciphertexts = [
        encrypt_field(k, f"note {i}", table="notes", column="body", row_id=str(i))
        for i, k in enumerate(data_keys)
    ]
    email_index_key = server.derive_key("blind-index/email")

    new_id = cli.rotate()
    assert new_id != old_id
    assert server.key_id == new_id  # the running app sees the rotation at once
    assert server.key_ids == {old_id, new_id}
    assert _mode(key_path) == 0o600

    # Data keys wrapped under the old KEK still unwrap while the re-wrap runs.
    assert [server.unwrap(w, kid) for w, kid in stored] == data_keys
    rewrapped = [rewrap(server, w, kid) for w, kid in stored]
    assert all(kid == new_id for _, kid in rewrapped)
    unwrapped = [cli.unwrap(w, kid) for w, kid in rewrapped]
    assert unwrapped == data_keys
    # Field ciphertexts never change on rotation: only the wrapping of their key does.
    assert [
        decrypt_field(k, c, table="notes", column="body", row_id=str(i))
        for i, (k, c) in enumerate(zip(unwrapped, ciphertexts, strict=True))
    ] == [f"note {i}" for i in range(5)]
    # The blind-index key is stable across rotations.
    assert server.derive_key("blind-index/email") == email_index_key

    cli.retire(old_id)
    assert server.key_ids == {new_id}
    with pytest.raises(UnknownKeyError, match=str(key_path)):
        server.unwrap(*stored[0])
    assert server.unwrap(*rewrapped[0]) == data_keys[0]
    assert {p.name for p in key_path.parent.iterdir()} == {"kek.key", "kek.key.lock"}


def test_rotate_creates_the_file_if_missing(key_path: Path) -> None:
    provider = FileKeyProvider(key_path)
    new_id = provider.rotate()
    assert provider.key_ids == {new_id} | (provider.key_ids - {new_id})
    assert len(provider.key_ids) == 2
    assert provider.key_id == new_id


def test_retiring_the_current_or_an_unknown_kek_is_refused(key_path: Path) -> None:
    provider = FileKeyProvider(key_path)
    with pytest.raises(KeyFileError, match="is current; rotate before retiring"):
        provider.retire(provider.key_id)
    with pytest.raises(UnknownKeyError, match="cannot be retired"):
        provider.retire("kek-nope")


def test_in_memory_rotation_refuses_a_duplicate_id() -> None:
    provider = InMemoryKeyProvider.generate()
    with pytest.raises(ValueError, match="already exists"):
        provider.with_new_key(provider.key_id)


def test_rewrap_of_a_current_key_is_harmless() -> None:
    provider = InMemoryKeyProvider.generate()
    data_key = new_data_key()
    wrapped, key_id = rewrap(provider, provider.wrap(data_key), provider.key_id)
    assert key_id == provider.key_id
    assert provider.unwrap(wrapped, key_id) == data_key


def test_many_first_users_at_once_share_one_key_file(key_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def first_use(_: int) -> str:
        return FileKeyProvider(key_path).key_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(first_use, range(16)))
    assert len(ids) == 1
    assert [p.name for p in key_path.parent.iterdir()] == ["kek.key"]


def test_concurrent_rotations_lose_no_key(key_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    first = FileKeyProvider(key_path).key_id
    with ThreadPoolExecutor(max_workers=4) as pool:
        new_ids = set(pool.map(lambda _: FileKeyProvider(key_path).rotate(), range(8)))
    assert len(new_ids) == 8
    assert FileKeyProvider(key_path).key_ids == new_ids | {first}
