"""Rotating the key-encryption key: re-wrap every client's data key while the app runs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alongside.crypto.keys import FileKeyProvider, rewrap
from alongside.db import session_scope
from alongside.kit.time import utcnow
from alongside.models import ClientKey


@dataclass(frozen=True)
class RotationResult:
    """What a rotation did."""

    new_key_id: str
    rewrapped: int
    retired: tuple[str, ...]


def rotate_key_encryption_key(
    factory: sessionmaker[Session],
    provider: FileKeyProvider,
    *,
    batch_size: int = 500,
    retire_old: bool = False,
) -> RotationResult:
    """Add a new KEK, re-wrap every data key under it in small transactions, then optionally
    retire the old KEKs.

    Running servers keep working throughout: the key file holds old and new KEKs until the
    old ones are retired, and each wrapped key records which KEK wrapped it.
    """
    new_id = provider.rotate()
    rewrapped = 0
    while True:
        with session_scope(factory) as session:
            rows = session.scalars(
                select(ClientKey)
                .where(ClientKey.kek_id != new_id)
                .order_by(ClientKey.client_id)
                .limit(batch_size)
                .with_for_update()
            ).all()
            for row in rows:
                row.wrapped_key, row.kek_id = rewrap(provider, row.wrapped_key, row.kek_id)
                row.rotated_at = utcnow()
            rewrapped += len(rows)
        if len(rows) < batch_size:
            break
    retired: list[str] = []
    if retire_old:
        with session_scope(factory) as session:
            still_used = set(session.scalars(select(ClientKey.kek_id).distinct()))
        for key_id in sorted(provider.key_ids - {new_id} - still_used):
            provider.retire(key_id)
            retired.append(key_id)
    return RotationResult(new_key_id=new_id, rewrapped=rewrapped, retired=tuple(retired))
