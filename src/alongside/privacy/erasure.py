"""Erasing a client: destroy their data key so nothing of theirs can be read again."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from alongside.models import ApiToken, Client, ClientKey, ClientSearchTerm, User, UserSession
from alongside.models.encrypted import keyring_for

# Not an argon2 hash: no password verifies against it.
NO_PASSWORD = "!erased"  # noqa: S105 - a marker that matches no password, not a secret


def crypto_shred_client(session: Session, client: Client) -> None:
    """Delete the client's wrapped data key; every ciphertext of theirs becomes unreadable.

    Backups taken before this still hold the ciphertexts but never the unwrapped key, so they
    hold nothing readable once the key row is gone from every live database.
    """
    client_id: uuid.UUID = client.id
    session.execute(delete(ClientKey).where(ClientKey.client_id == client_id))
    # Their login goes with them: its email and name were under the same key; the blind
    # index is dropped too (it could confirm a guessed address), and it can no longer sign in.
    logins = list(session.scalars(select(User.id).where(User.client_id == client_id)))
    if logins:
        session.execute(
            update(User)
            .where(User.id.in_(logins))
            .values(email_index=None, is_active=False, password_hash=NO_PASSWORD)
            .execution_options(synchronize_session=False)
        )
        session.execute(delete(UserSession).where(UserSession.user_id.in_(logins)))
        session.execute(delete(ApiToken).where(ApiToken.user_id.in_(logins)))
    # The name prefixes and date of birth as blind indexes go with the key.
    session.execute(delete(ClientSearchTerm).where(ClientSearchTerm.client_id == client_id))
    client.search_terms_version = None
    keyring_for(session).forget(client_id)
    client.status = "erased"
    # Forget plaintexts cached on the instance, so nothing erased lingers in this process.
    client.__dict__.pop("_alongside_plaintext", None)
    session.flush()
