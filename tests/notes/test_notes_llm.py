"""The optional local language model, against a small real HTTP server with fixed answers:
sentences a source supports take its source; an invented fact is marked and blocks signing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alongside.models import Role
from alongside.notes.attribution import attribute, negated
from alongside.notes.compose import Sentence, Source
from tests.fixtures.factories import World
from tests.fixtures.web import sign_in

JOTTINGS = (
    "Slept about 6 hours most nights.\nDenies thoughts of self-harm.\nP: keep the sleep diary."
)
FAITHFUL = {
    "data": ["She slept about 6 hours most nights.", "She denies thoughts of self-harm."],
    "plan": ["Keep the sleep diary."],
}
INVENTED = {
    "data": [
        "She slept about 6 hours most nights.",
        "She was started on 20 mg of fluoxetine by her GP.",
        "She reports thoughts of self-harm.",
    ],
    "plan": ["Keep the sleep diary."],
}


class _Model(BaseHTTPRequestHandler):
    answer: ClassVar[dict[str, list[str]]] = FAITHFUL
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"path": self.path, "body": body})
        reply = {
            "choices": [{"message": {"role": "assistant", "content": json.dumps(self.answer)}}]
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def model_server() -> Iterator[tuple[str, type[_Model]]]:
    handler = type("Model", (_Model,), {"received": [], "answer": FAITHFUL})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def _draft(client: TestClient, world: World) -> tuple[dict[str, Any], dict[str, str]]:
    client.cookies.clear()
    headers = {"X-CSRF-Token": sign_in(client, world.users[Role.CLINICIAN])}
    response = client.post(
        f"/api/clients/{world.own_client.id}/notes",
        json={"template": "dap", "jottings": JOTTINGS},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json(), headers


def _sentences(note: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for section in note["sections"] for s in section["sentences"]]


def test_supported_sentences_take_their_sources(
    app: FastAPI, client: TestClient, world: World, model_server: tuple[str, type[_Model]]
) -> None:
    url, handler = model_server
    app.state.settings.llm_url = url
    note, headers = _draft(client, world)
    assert handler.received
    assert handler.received[0]["path"] == "/v1/chat/completions"
    # The client's name is never sent to the model.
    assert world.own_client.family_name not in json.dumps(handler.received[0]["body"])
    texts = [s["text"] for s in _sentences(note)]
    assert "She denies thoughts of self-harm." in texts
    assert all(s["supported"] for s in _sentences(note))
    assert {s["source"]["type"] for s in _sentences(note)} == {"jottings"}
    assert client.post(f"/api/notes/{note['id']}/sign", headers=headers).status_code == 200


def test_an_invented_fact_is_marked_and_cannot_be_signed_until_removed(
    app: FastAPI, client: TestClient, world: World, model_server: tuple[str, type[_Model]]
) -> None:
    url, handler = model_server
    handler.answer = INVENTED
    app.state.settings.llm_url = url
    note, headers = _draft(client, world)
    marked = {s["text"]: s["supported"] for s in _sentences(note)}
    assert marked["She slept about 6 hours most nights."] is True
    assert marked["She was started on 20 mg of fluoxetine by her GP."] is False
    # A flipped negation is not supported either.
    assert marked["She reports thoughts of self-harm."] is False
    refused = client.post(f"/api/notes/{note['id']}/sign", headers=headers)
    assert refused.status_code == 409
    assert "not supported" in refused.json()["error"]
    # The clinician removes them; what is left is signable.
    data = note["sections"][0]
    data["sentences"] = [s for s in data["sentences"] if s["supported"]]
    assert (
        client.put(
            f"/api/notes/{note['id']}", json={"sections": [data]}, headers=headers
        ).status_code
        == 200
    )
    assert client.post(f"/api/notes/{note['id']}/sign", headers=headers).status_code == 200


def test_without_a_configured_model_nothing_is_sent(
    client: TestClient, world: World, model_server: tuple[str, type[_Model]]
) -> None:
    _url, handler = model_server
    note, _headers = _draft(client, world)
    assert handler.received == []
    assert all(s["supported"] for s in _sentences(note))


def test_a_model_that_fails_leaves_the_composed_draft(
    app: FastAPI, client: TestClient, world: World
) -> None:
    app.state.settings.llm_url = "http://127.0.0.1:9"  # discard port: nothing listens
    note, _headers = _draft(client, world)
    assert {s["source"]["type"] for s in _sentences(note)} == {"jottings"}
    assert all(s["supported"] for s in _sentences(note))


@pytest.mark.parametrize(
    ("generated", "supported"),
    [
        ("Client slept 6 hours most nights.", True),
        ("Client slept 8 hours most nights.", False),
        ("Client did not sleep most nights.", False),
        ("Client won a prize at work.", False),
    ],
)
def test_attribution_checks_words_numbers_and_negation(generated: str, supported: bool) -> None:
    source = Sentence(
        "Slept about 6 hours most nights.",
        Source("jottings", "n", "Slept about 6 hours most nights"),
    )
    assert attribute(generated, [source]).supported is supported


def test_negation_words() -> None:
    assert negated("Denies thoughts of self-harm")
    assert not negated("Reports thoughts of self-harm")


@pytest.mark.parametrize(
    "base",
    [
        "http://127.0.0.1:8080",
        "http://127.0.0.1:8080/",
        "http://127.0.0.1:8080/v1",
        "http://127.0.0.1:8080/v1/chat/completions",
    ],
)
def test_the_endpoint_is_found_however_the_url_is_written(base: str) -> None:
    from alongside.notes.llm import LlmClient

    assert LlmClient(base).url == "http://127.0.0.1:8080/v1/chat/completions"
