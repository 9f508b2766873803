"""Choosing the client for a new intake link by searching, as *Find a client* does (name
prefix, date of birth, exact email; only clients the user may see), never from a list of
every client of the clinic; without JavaScript the search shows the page again to choose."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from alongside.clients.pages import CHOOSER_LIMIT
from alongside.models import Intake, Role
from tests.fixtures.factories import World, create_client
from tests.fixtures.web import sign_in


def _choices(html: str) -> set[str]:
    """The client ids the form offers to choose (radio buttons named client_id)."""
    return set(re.findall(r'type="radio" id="client-[^"]+" name="client_id" value="([^"]+)"', html))


def test_the_form_lists_no_client_until_a_search(
    client: TestClient, db: Session, world: World
) -> None:
    for n in range(3):
        create_client(db, world.org, family_name=f"Ravensworth{n}")
    sign_in(client, world.users[Role.COORDINATOR])
    page = client.get("/intakes/new")
    assert page.status_code == 200
    assert "Ravensworth" not in page.text
    assert _choices(page.text) == set()  # only "a new client", which has no id
    assert 'id="client-new"' in page.text
    assert '<label for="client_q">Find an existing client</label>' in page.text


def test_a_search_by_name_lists_the_matches_to_choose_and_the_link_is_made_for_one(
    client: TestClient, db: Session, world: World
) -> None:
    wanted = create_client(db, world.org, given_name="Odalys", family_name="Marchetti")
    other = create_client(db, world.org, given_name="Bruno", family_name="Marchand")
    unrelated = create_client(db, world.org, given_name="Ivo", family_name="Quade")
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    found = client.get("/intakes/new", params={"client_q": "march"})
    assert found.status_code == 200
    assert _choices(found.text) == {str(wanted.id), str(other.id)}
    assert "Marchetti, Odalys" in found.text
    assert str(unrelated.id) not in found.text
    assert "2 clients you may see match “march”" in found.text
    narrowed = client.get("/intakes/new", params={"client_q": "marchetti odal"})
    assert _choices(narrowed.text) == {str(wanted.id)}
    assert "1 client you may see matches “marchetti odal”." in narrowed.text
    created = client.post(
        "/intakes/new",
        data={
            "csrf_token": csrf,
            "client_q": "march",
            "client_id": str(wanted.id),
            "reviewer_id": str(world.users[Role.CLINICIAN].id),
            "reason": "Covering the intake for the client's clinician.",
            "expires_in_days": "7",
        },
    )
    assert created.status_code == 201, created.text
    made = db.scalars(select(Intake).where(Intake.client_id == wanted.id)).one()
    assert made.client_id == wanted.id


def test_date_of_birth_and_email_find_the_client_too(
    client: TestClient, db: Session, world: World
) -> None:
    born = create_client(db, world.org, date_of_birth="1977-03-14", email="tarn@example.org")
    sign_in(client, world.users[Role.COORDINATOR])
    assert _choices(client.get("/intakes/new", params={"client_q": "1977-03-14"}).text) == {
        str(born.id)
    }
    assert _choices(client.get("/intakes/new", params={"client_q": "TARN@example.org"}).text) == {
        str(born.id)
    }
    # The email a client signs in with finds them as well.
    login = world.client_user.sign_in_email
    assert _choices(client.get("/intakes/new", params={"client_q": login}).text) == {
        str(world.own_client.id)
    }


def test_a_clinician_is_offered_only_clients_of_their_care_team(
    client: TestClient, db: Session, world: World
) -> None:
    clinician = world.users[Role.CLINICIAN]
    mine = create_client(db, world.org, clinicians=(clinician,), family_name="Vasquez-Ortiz")
    theirs = create_client(
        db, world.org, clinicians=(world.other_clinician,), family_name="Vasquez-Olmo"
    )
    foreign = create_client(db, world.other_org, family_name="Vasquez-Oro")
    sign_in(client, clinician)
    page = client.get("/intakes/new", params={"client_q": "vasquez"})
    assert _choices(page.text) == {str(mine.id)}
    assert "Vasquez-Olmo" not in page.text
    assert str(theirs.id) not in page.text
    assert str(foreign.id) not in page.text
    # A client chosen by id in the address is shown only if the user may see them.
    assert _choices(client.get("/intakes/new", params={"client_id": str(theirs.id)}).text) == set()
    chosen = client.get("/intakes/new", params={"client_id": str(mine.id)})
    assert _choices(chosen.text) == {str(mine.id)}
    assert f'value="{mine.id}" checked' in chosen.text


def test_many_matches_are_capped_and_the_page_says_to_type_more(
    client: TestClient, db: Session, world: World
) -> None:
    for n in range(CHOOSER_LIMIT + 2):
        create_client(db, world.org, given_name=f"Given{n}", family_name="Abernathy")
    sign_in(client, world.users[Role.COORDINATOR])
    page = client.get("/intakes/new", params={"client_q": "abern"})
    assert len(_choices(page.text)) == CHOOSER_LIMIT
    assert f"More than {CHOOSER_LIMIT} clients you may see match" in page.text
    assert "Type more of the name, or the date of birth, to narrow the list." in page.text


def test_a_search_too_short_is_explained_in_words_and_the_form_still_works(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.users[Role.COORDINATOR])
    page = client.get("/intakes/new", params={"client_q": "z"})
    assert page.status_code == 200
    assert "Type at least 2 letters of a name" in page.text
    assert "q: " not in page.text
    assert 'aria-invalid="true"' in page.text
    assert 'name="csrf_token"' in page.text


def test_a_refused_link_keeps_the_chosen_client_and_the_search(
    client: TestClient, db: Session, world: World
) -> None:
    wanted = create_client(db, world.org, given_name="Petra", family_name="Lindholm")
    csrf = sign_in(client, world.users[Role.COORDINATOR])
    refused = client.post(
        "/intakes/new",
        data={
            "csrf_token": csrf,
            "client_q": "lindh",
            "client_id": str(wanted.id),
            "expires_in_days": "0",
        },
    )
    assert refused.status_code == 422
    assert f'value="{wanted.id}" checked' in refused.text
    assert 'value="lindh"' in refused.text
