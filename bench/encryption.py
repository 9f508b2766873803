"""The cost of per-client encryption on loading a client's timeline.

One run seeds two identical SQLite databases — one with real envelope encryption, one with
encryption switched off (a pass-through cipher and no key rows) — then loads every client's
timeline (the client, their questionnaire responses and scores, every personal field read)
from each, alternating, and prints the ratio of the medians.

    .venv/bin/python bench/encryption.py [--clients 200] [--responses 12] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import alongside.models.encrypted as encrypted
from alongside.crypto.keys import FileKeyProvider
from alongside.db import build_engine, make_sessionmaker, session_scope
from alongside.kit.time import utcnow
from alongside.migrate import upgrade
from alongside.models import Client, Organization, QuestionnaireResponse, Score


class PlainCipher:
    """Encryption switched off: bytes in, the same bytes out."""

    def __init__(self, data_key: bytes) -> None:
        self.data_key = data_key

    def encrypt(self, plaintext: str, **_aad: Any) -> bytes:
        return plaintext.encode("utf-8")

    def decrypt(self, ciphertext: bytes, **_aad: Any) -> str:
        return bytes(ciphertext).decode("utf-8")


@contextmanager
def encryption_off() -> Iterator[None]:
    """Swap in the pass-through cipher and skip key rows for the duration."""
    saved = (encrypted.FieldCipher, encrypted.Keyring.preload, encrypted.Keyring.create_key)

    def preload(self: encrypted.Keyring, session: Session, client_ids: Any) -> None:
        for cid in client_ids:
            self._keys.setdefault(cid, b"\0" * 32)

    def create_key(self: encrypted.Keyring, session: Session, client_id: uuid.UUID) -> bytes:
        self._keys[client_id] = b"\0" * 32
        return self._keys[client_id]

    encrypted.FieldCipher = PlainCipher  # type: ignore[misc, assignment]
    encrypted.Keyring.preload = preload  # type: ignore[method-assign]
    encrypted.Keyring.create_key = create_key  # type: ignore[method-assign]
    try:
        yield
    finally:
        encrypted.FieldCipher, encrypted.Keyring.preload, encrypted.Keyring.create_key = saved  # type: ignore[misc]


def seed(factory: sessionmaker[Session], clients: int, responses: int) -> list[uuid.UUID]:
    """Synthetic clients, each with a history of PHQ-9 responses and scores."""
    ids: list[uuid.UUID] = []
    now = utcnow()
    with session_scope(factory) as session:
        org = Organization(name="Bench clinic", slug=f"bench-{uuid.uuid4().hex[:8]}", country="GB")
        session.add(org)
        session.flush()
        for n in range(clients):
            client = Client(
                organization_id=org.id,
                given_name=f"Given{n}",
                family_name=f"Family{n}",
                email=f"client{n}@example.org",
                phone="+1-555-0100-0000",
                date_of_birth="1980-01-01",
            )
            session.add(client)
            session.flush()
            for k in range(responses):
                answers = [(n + k + i) % 4 for i in range(9)]
                when = now - timedelta(days=14 * (responses - k))
                response = QuestionnaireResponse(
                    organization_id=org.id,
                    client_id=client.id,
                    instrument_id="phq9",
                    instrument_version="1.0",
                    answers=json.dumps(answers),
                    completed=True,
                    updated_at=when,
                )
                session.add(response)
                session.flush()
                session.add(
                    Score(
                        organization_id=org.id,
                        client_id=client.id,
                        questionnaire_response_id=response.id,
                        instrument_id="phq9",
                        instrument_version="1.0",
                        total=sum(answers),
                        severity="moderate",
                        flags=[],
                        result=json.dumps({"total": sum(answers), "answers": answers}),
                        scored_at=when,
                    )
                )
            ids.append(client.id)
    return ids


def load_timelines(factory: sessionmaker[Session], ids: list[uuid.UUID]) -> float:
    """Seconds to load every client's timeline and read every personal field."""
    started = time.perf_counter()
    for client_id in ids:
        with session_scope(factory) as session:
            client = session.get(Client, client_id)
            assert client is not None
            fields = [
                client.given_name,
                client.family_name,
                client.email,
                client.phone,
                client.date_of_birth,
            ]
            for response in session.scalars(
                select(QuestionnaireResponse).where(QuestionnaireResponse.client_id == client_id)
            ):
                fields.append(response.answers)
            for score in session.scalars(select(Score).where(Score.client_id == client_id)):
                fields.append(score.result)
            assert all(f is not None for f in fields)
    return time.perf_counter() - started


def main() -> None:
    """Seed, load alternately, print the figures and one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--responses", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        provider = FileKeyProvider(Path(tmp) / "kek.key")
        factories = {}
        ids = {}
        for mode in ("encrypted", "plain"):
            url = f"sqlite:///{tmp}/{mode}.sqlite3"
            upgrade(url)
            factories[mode] = make_sessionmaker(build_engine(url), provider)
        ids["encrypted"] = seed(factories["encrypted"], args.clients, args.responses)
        with encryption_off():
            ids["plain"] = seed(factories["plain"], args.clients, args.responses)
        times: dict[str, list[float]] = {"encrypted": [], "plain": []}
        for _ in range(args.rounds):
            times["encrypted"].append(load_timelines(factories["encrypted"], ids["encrypted"]))
            with encryption_off():
                times["plain"].append(load_timelines(factories["plain"], ids["plain"]))
    fields = args.clients * (5 + 2 * args.responses)
    enc = statistics.median(times["encrypted"])
    plain = statistics.median(times["plain"])
    print(f"clients: {args.clients}, responses each: {args.responses}, fields: {fields}")
    for label, value in (("encrypted", enc), ("plain", plain)):
        per_timeline = value / args.clients * 1000
        print(f"{label:>9}: median {value:.3f} s a pass, {per_timeline:.2f} ms a timeline")
    print(f"ratio encrypted/plain: {enc / plain:.2f}")
    print(
        json.dumps(
            {
                "clients": args.clients,
                "responses": args.responses,
                "encrypted_ms_per_timeline": round(enc / args.clients * 1000, 3),
                "plain_ms_per_timeline": round(plain / args.clients * 1000, 3),
                "ratio": round(enc / plain, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
