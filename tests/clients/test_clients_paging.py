"""The client list pages with signed cursors, and search finds only clients the user may see."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alongside.models import Client, ClientSearchTerm, Role
from alongside.privacy.erasure import crypto_shred_client
from tests.fixtures.factories import World, create_client, create_staff
from tests.fixtures.web import sign_in


def _all_pages(client: TestClient, limit: int, **params: str) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {"limit": str(limit), **params}
        if cursor:
            query["cursor"] = cursor
        answer = client.get("/api/clients", params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next"]
        if cursor is None:
            return pages


def test_pages_cover_every_client_once_in_a_stable_order(
    client: TestClient, db: Session, world: World
) -> None:
    lead = world.users[Role.CLINICAL_LEAD]
    for _ in range(9):
        create_client(db, world.org)
    sign_in(client, lead)
    whole = client.get("/api/clients", params={"limit": 200}).json()
    assert whole["next"] is None
    expected = [item["id"] for item in whole["items"]]
    assert len(expected) == 11  # 9 + own and outside client; never the other organisation's
    pages = _all_pages(client, 3)
    assert [len(p) for p in pages] == [3, 3, 3, 2]
    assert [cid for page in pages for cid in page] == expected
    assert str(world.foreign_client.id) not in expected


def test_clients_added_while_paging_neither_repeat_nor_hide_others(
    client: TestClient, db: Session, world: World
) -> None:
    for _ in range(5):
        create_client(db, world.org)
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    before = [i["id"] for i in client.get("/api/clients", params={"limit": 200}).json()["items"]]
    first = client.get("/api/clients", params={"limit": 3}).json()
    added = [str(create_client(db, world.org).id) for _ in range(4)]
    seen = [item["id"] for item in first["items"]]
    cursor = first["next"]
    while cursor:
        page = client.get("/api/clients", params={"limit": 3, "cursor": cursor}).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
    assert len(seen) == len(set(seen))
    assert seen == before  # the newest first: clients added later are on a fresh first page
    fresh = [i["id"] for i in client.get("/api/clients", params={"limit": 4}).json()["items"]]
    assert set(fresh) == set(added)


def test_bad_limits_and_cursors_answer_422_with_a_message(client: TestClient, world: World) -> None:
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    first = client.get("/api/clients", params={"limit": 1}).json()
    assert client.get("/api/clients", params={"cursor": first["next"]}).status_code == 200
    for params in ({"limit": 0}, {"limit": 201}, {"limit": "many"}):
        assert client.get("/api/clients", params=params).status_code == 422
    tampered = first["next"][:-3] + ("AAA" if not first["next"].endswith("AAA") else "BBB")
    answer = client.get("/api/clients", params={"cursor": tampered})
    assert answer.status_code == 422
    assert "first page" in answer.text
    # A cursor of one search does not continue another.
    searched = client.get("/api/clients", params={"limit": 1, "q": "Gi"}).json()
    assert searched["next"] is not None
    other = client.get("/api/clients", params={"cursor": searched["next"], "q": "Fa"})
    assert other.status_code == 422


def _search(client: TestClient, q: str) -> set[str]:
    answer = client.get("/api/clients", params={"q": q})
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["items"]}


def test_search_by_name_prefix_email_and_birth_date_finds_only_readable_clients(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    colleague = create_staff(db, world.org, Role.CLINICIAN)
    josephine = create_client(
        db,
        world.org,
        clinicians=(clinician,),
        given_name="Joséphine",
        family_name="Van der Berg-Smith",
        email="jo.vdb@example.org",
        date_of_birth="1984-02-29",
    )
    # Same name start, other care team; and another organisation's namesake.
    other_team = create_client(
        db, world.org, clinicians=(colleague,), given_name="Josie", family_name="Other"
    )
    create_client(db, world.other_org, given_name="Joséphine", family_name="Van der Berg-Smith")
    mine = str(josephine.id)

    sign_in(client, clinician)
    assert _search(client, "jo") == {mine}
    assert _search(client, "JOSEPH") == {mine}  # accents and case do not matter
    assert _search(client, "smi") == {mine}  # any word of a name
    assert _search(client, "jos berg") == {mine}  # every word must match
    assert _search(client, "jos xyz") == set()
    assert _search(client, " Jo.VDB@example.org ") == {mine}  # exact email, case-insensitive
    assert _search(client, "jo.vdb@example.com") == set()
    assert _search(client, "1984-02-29") == {mine}
    assert _search(client, "1984-02-28") == set()
    assert str(other_team.id) not in _search(client, "josie")

    # The colleague finds their own client by the same query, and not this one.
    sign_in(client, colleague)
    assert _search(client, "jo") == {str(other_team.id)}
    assert _search(client, "1984-02-29") == set()

    # The clinical lead sees the organisation, never the other organisation.
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    assert _search(client, "jos") == {mine, str(other_team.id)}

    for bad in ("j", "1984-02-30", "a b c d e"):
        answer = client.get("/api/clients", params={"q": bad})
        assert answer.status_code == 422, bad
        assert "q:" in answer.json()["error"]


def test_a_renamed_client_is_found_by_the_new_name_only(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    person = create_client(db, world.org, clinicians=(clinician,), family_name="Oldname")
    sign_in(client, clinician)
    assert _search(client, "oldn") == {str(person.id)}
    person.family_name = "Newname"
    db.flush()
    assert _search(client, "oldn") == set()
    assert _search(client, "newn") == {str(person.id)}


def test_clients_stored_before_search_are_indexed_on_first_search(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    legacy = create_client(db, world.org, clinicians=(clinician,), given_name="Legacy")
    db.execute(ClientSearchTerm.__table__.delete().where(ClientSearchTerm.client_id == legacy.id))
    db.execute(update(Client).where(Client.id == legacy.id).values(search_terms_version=None))
    db.flush()
    sign_in(client, clinician)
    assert _search(client, "legac") == {str(legacy.id)}
    db.expire_all()
    assert db.get(Client, legacy.id).search_terms_version == 1  # type: ignore[union-attr]


def test_erasure_removes_the_search_terms(db: Session, world: World) -> None:
    person = create_client(db, world.org, given_name="Erasable")
    terms = select(ClientSearchTerm).where(ClientSearchTerm.client_id == person.id)
    assert db.scalars(terms).all()  # positive control
    crypto_shred_client(db, person)
    assert db.scalars(terms).all() == []


def test_the_home_page_shows_a_page_and_links_to_the_next(
    client: TestClient, db: Session, world: World
) -> None:
    for _ in range(55):
        create_client(db, world.org)
    sign_in(client, world.users[Role.CLINICAL_LEAD])
    first = client.get("/home")
    assert first.status_code == 200
    assert first.text.count('href="/clients/') == 50
    assert 'rel="next"' in first.text
    next_href = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(next_href.replace("&amp;", "&"))
    assert second.status_code == 200
    assert second.text.count('href="/clients/') == 7  # 55 + own and outside client
    assert 'rel="next"' not in second.text
    assert "Back to the first page" in second.text
    found = client.get("/home", params={"q": world.own_client.given_name[:4]})
    assert "Clients found" in found.text
