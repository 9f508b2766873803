"""Erasing a client: destroy their data key so nothing of theirs can be read again."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.orm import Session

from alongside.models import Client, ClientKey, ClientSearchTerm
from alongside.models.encrypted import keyring_for


def crypto_shred_client(session: Session, client: Client) -> None:
    """Delete the client's wrapped data key; every ciphertext of theirs becomes unreadable.

    Backups taken before this still hold the ciphertexts but never the unwrapped key, so they
    hold nothing readable once the key row is gone from every live database.
    """
    client_id: uuid.UUID = client.id
    session.execute(delete(ClientKey).where(ClientKey.client_id == client_id))
    # The name prefixes and date of birth as blind indexes go with the key.
    session.execute(delete(ClientSearchTerm).where(ClientSearchTerm.client_id == client_id))
    client.search_terms_version = None
    keyring_for(session).forget(client_id)
    client.status = "erased"
    # Forget plaintexts cached on the instance, so nothing erased lingers in this process.
    client.__dict__.pop("_alongside_plaintext", None)
    session.flush()
