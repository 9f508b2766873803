"""A client's whole intake over HTTP, as a browser without JavaScript does it.

Shared by ``bench/intake_load.py`` and the concurrency tests: open the link, consent, answer
each questionnaire page by page (following the server's redirects, so skip logic is the
server's), write in one's own words, review and submit. ``crisis=True`` answers every item with
its highest option (C-SSRS "yes" throughout), which the rules triage as crisis.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx

from alongside.instruments import get_instrument
from alongside.intake.questions import asked_items, parts_of

_QUESTIONS = re.compile(r"^/intake/(?P<token>[^/]+)/questions/(?P<instrument>[^/?]+)$")
OWN_WORDS = "I have been sleeping badly and feel low most days since the spring."


@dataclass
class FlowResult:
    """Each request of one flow: (method, route, status, seconds); and whether it finished."""

    requests: list[tuple[str, str, int, float]] = field(default_factory=list)
    finished: bool = False
    error: str | None = None

    @property
    def server_errors(self) -> int:
        """Answers with a 5xx status."""
        return sum(1 for _, _, status, _ in self.requests if status >= 500)


class FlowFailed(Exception):
    """The server answered something a browser could not go on from."""


def _timed(
    result: FlowResult, client: httpx.Client, method: str, url: str, route: str, **kwargs: object
) -> httpx.Response:
    started = time.perf_counter()
    response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
    result.requests.append((method, route, response.status_code, time.perf_counter() - started))
    return response


def _expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    if response.status_code not in statuses:
        raise FlowFailed(f"{response.request.method} answered {response.status_code}")
    return response


def run_intake(client: httpx.Client, path: str, *, crisis: bool = False) -> FlowResult:
    """Fill in the intake at ``path`` (``/intake/<token>``) through ``client``; never raises
    for what the server answers (the result says how far it got)."""
    result = FlowResult()
    try:
        _run(client, path, crisis, result)
        result.finished = True
    except (FlowFailed, httpx.HTTPError) as error:
        result.error = f"{type(error).__name__}: {error}"
    return result


def _run(client: httpx.Client, path: str, crisis: bool, result: FlowResult) -> None:
    token = path.rstrip("/").rsplit("/", 1)[-1]
    base = f"/intake/{token}"
    _expect(_timed(result, client, "GET", base, "consent"), 200)
    consent = {"intake_processing": "yes", "software_reading": "yes"}
    response = _expect(
        _timed(result, client, "POST", f"{base}/consent", "consent", data=consent), 303
    )
    answers: dict[str, dict[str, int]] = {}
    location = response.headers["location"]
    for _ in range(40):
        split = urlsplit(location)
        matched = _QUESTIONS.match(split.path)
        if matched is None:
            break
        instrument = matched["instrument"]
        part = int(parse_qs(split.query).get("part", ["0"])[0])
        _expect(_timed(result, client, "GET", location, "questions"), 200)
        definition = get_instrument(instrument)
        so_far = answers.setdefault(instrument, {})
        form = {"part": str(part)}
        for item in asked_items(definition, parts_of(definition)[part], so_far):
            values = [option.value for option in definition.options_for(item)]
            chosen = max(values) if crisis else min(values)
            so_far[item.id] = chosen
            form[item.id] = str(chosen)
        response = _expect(_timed(result, client, "POST", split.path, "questions", data=form), 303)
        location = response.headers["location"]
    if not location.endswith("/words"):
        raise FlowFailed(f"expected the own-words page next, got {location}")
    _expect(_timed(result, client, "GET", location, "words"), 200)
    response = _expect(
        _timed(result, client, "POST", location, "words", data={"own_words": OWN_WORDS}), 303
    )
    location = response.headers["location"]
    _expect(_timed(result, client, "GET", location, "review"), 200)
    _expect(_timed(result, client, "POST", f"{base}/submit", "submit"), 200)
