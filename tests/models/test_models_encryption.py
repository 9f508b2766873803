"""Client fields are encrypted per client; raw database reads show none of them."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, select, text, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from alongside.cli import app as cli_app
from alongside.crypto.blind_index import EMAIL
from alongside.crypto.errors import DecryptionError
from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.migrate import upgrade
from alongside.models import Client, ClientKey
from alongside.models.encrypted import ERASED, blind_index_for, keyring_for
from alongside.privacy.erasure import crypto_shred_client
from tests.fixtures.db import fresh_database_url, is_postgres
from tests.fixtures.factories import World, create_client, create_organization

CANARIES = {
    "given_name": "Qwertycanaryone",
    "family_name": "Asdfgcanarytwo",
    "email": "zxcv.canary3@example.org",
    "phone": "+1-555-0199-7777",
    "date_of_birth": "1911-11-11",
}


def test_fields_round_trip_and_are_ciphertext_in_the_row(db: Session) -> None:
    org = create_organization(db)
    client = create_client(db, org, **CANARIES)
    db.expire_all()
    loaded = db.get(Client, client.id)
    assert loaded is not None
    for name, value in CANARIES.items():
        assert getattr(loaded, name) == value
    raw = db.execute(
        text("SELECT given_name, email FROM clients WHERE id = :id"),
        {"id": client.id.hex if not is_postgres() else client.id},
    ).one()
    assert CANARIES["given_name"].encode() not in bytes(raw[0])
    assert CANARIES["email"].encode() not in bytes(raw[1])
    assert db.get(ClientKey, client.id) is not None


def test_each_client_has_its_own_key(db: Session) -> None:
    org = create_organization(db)
    a = create_client(db, org, given_name="Same")
    b = create_client(db, org, given_name="Same")
    assert a.given_name_ct != b.given_name_ct
    key_a = db.get(ClientKey, a.id)
    key_b = db.get(ClientKey, b.id)
    assert key_a is not None
    assert key_b is not None
    assert key_a.wrapped_key != key_b.wrapped_key


def test_a_ciphertext_moved_to_another_row_or_column_fails_to_decrypt(db: Session) -> None:
    org = create_organization(db)
    a = create_client(db, org)
    b = create_client(db, org)
    stolen = a.given_name_ct
    db.execute(update(Client).where(Client.id == b.id).values(given_name_ct=stolen))
    db.execute(update(Client).where(Client.id == a.id).values(family_name_ct=stolen))
    db.expire_all()
    with pytest.raises(DecryptionError):
        _ = db.get(Client, b.id).given_name  # type: ignore[union-attr]
    with pytest.raises(DecryptionError):
        _ = db.get(Client, a.id).family_name  # type: ignore[union-attr]


def test_exact_lookup_by_email_uses_the_blind_index(db: Session) -> None:
    org = create_organization(db)
    client = create_client(db, org, email="Someone.Special@Example.org")
    index = blind_index_for(db, "  someone.special@example.ORG ", purpose=EMAIL)
    found = db.scalars(select(Client).where(Client.email_index == index)).all()
    assert [c.id for c in found] == [client.id]
    assert "someone" not in str(client.email_index)


def test_erasure_destroys_the_key_and_nothing_reads_back(db: Session, world: World) -> None:
    client = world.own_client
    crypto_shred_client(db, client)
    db.expire_all()
    loaded = db.get(Client, client.id)
    assert loaded is not None
    assert loaded.status == "erased"
    assert loaded.given_name == ERASED
    assert db.get(ClientKey, client.id) is None


def test_raw_database_holds_no_canary_and_rotation_keeps_data_readable(tmp_path: Path) -> None:
    provider = FileKeyProvider(tmp_path / "keys" / "kek.key")
    for url in fresh_database_url(tmp_path, "raw"):
        upgrade(url)
        engine = build_engine(url)
        factory = make_sessionmaker(engine, provider)
        with session_scope(factory) as session:
            org = create_organization(session)
            client_id = create_client(session, org, **CANARIES).id
        # Read every byte the database holds, the way a stolen disk or dump would be read.
        if url.startswith("sqlite"):
            engine.dispose()
            blob = b"".join(p.read_bytes() for p in tmp_path.glob("raw.sqlite3*"))
        else:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT * FROM clients")).all()
            blob = repr(rows).encode()
            blob += b"".join(bytes(v) for r in rows for v in r if isinstance(v, bytes | memoryview))
        for value in CANARIES.values():
            assert value.encode() not in blob
            assert value.lower().encode() not in blob
        assert len(blob) > 1000 or not url.startswith("sqlite")

        data_dir = tmp_path / "cli"
        data_dir.mkdir(exist_ok=True)
        (data_dir / "keys").mkdir(exist_ok=True)
        old_ids = provider.key_ids
        result = CliRunner().invoke(
            cli_app,
            ["keys", "rotate", "--retire-old", "--data-dir", str(data_dir)],
            env={"ALONGSIDE_DATABASE_URL": url, "ALONGSIDE_KEY_FILE": str(provider.path)},
        )
        assert result.exit_code == 0, result.output
        assert "re-wrapped 1 data keys" in result.stdout
        assert provider.key_ids.isdisjoint(old_ids)
        reader = build_engine(url)
        with session_scope(make_sessionmaker(reader, provider)) as session:
            loaded = session.get(Client, client_id)
            assert loaded is not None
            assert loaded.given_name == CANARIES["given_name"]
            assert session.get(ClientKey, client_id).kek_id == provider.key_id  # type: ignore[union-attr]
        reader.dispose()
        engine.dispose()


def test_writing_for_an_erased_client_is_refused(db: Session, world: World) -> None:
    client = world.own_client
    crypto_shred_client(db, client)
    client.phone = "+1-555-0100-0000"
    from alongside.errors import Conflict

    with pytest.raises(Conflict, match="erased"):
        db.flush()


def test_new_client_id_is_assigned_before_encryption(db: Session) -> None:
    org = create_organization(db)
    client = Client(organization_id=org.id, given_name="A", family_name="B")
    assert client.id is None
    db.add(client)
    db.flush()
    assert isinstance(client.id, uuid.UUID)
    assert client.given_name == "A"


def test_a_key_offered_with_other_rows_is_used_without_its_own_query(
    db: Session, session_factory: sessionmaker[Session], connection: Connection
) -> None:
    org = create_organization(db)
    client = create_client(db, org, **CANARIES)
    erased = create_client(db, org, given_name="Gone", family_name="Away")
    key = db.get(ClientKey, client.id)
    assert key is not None
    wrapped, kek_id = key.wrapped_key, key.kek_id
    db.commit()
    fresh = session_factory()
    try:
        keyring = keyring_for(fresh)
        keyring.offer(client.id, wrapped, kek_id)
        # An outer join that found no key row: the client was erased.
        keyring.offer(erased.id, None, None)
        statements: list[str] = []

        def before(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        event.listen(connection, "before_cursor_execute", before)
        try:
            loaded = fresh.get(Client, client.id)
            gone = fresh.get(Client, erased.id)
            assert loaded is not None
            assert gone is not None
            assert loaded.given_name == CANARIES["given_name"]
            assert gone.given_name == ERASED
        finally:
            event.remove(connection, "before_cursor_execute", before)
        assert not [s for s in statements if "client_keys" in s], statements
    finally:
        fresh.close()
