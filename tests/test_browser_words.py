"""Real Chromium: the clinical pages of the demo clinic speak in clinicians' words. A walk
through every page each clinical role reaches (its navigation and the links from there) fails
if a rule id, a critical-item flag, a pathway or instrument code, a message kind, a language
code, a consent text version or a digest shows outside a "details" disclosure."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest

from alongside.instruments.library import get_instrument, list_instruments
from alongside.risk.classifier import shipped_version
from alongside.scheduling.vocabulary import LANGUAGES
from alongside.templating import NAV_BY_ROLE
from alongside.triage.rulesets import default_ruleset

if TYPE_CHECKING:
    from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.browser

LOGINS = {
    "clinician": "clinician1@demo.test",
    "clinical_lead": "lead@demo.test",
    "coordinator": "coordinator@demo.test",
}
# Links from the pages in the navigation that lead to more clinical pages (one of each).
FOLLOW = re.compile(
    r"^/(clients/[0-9a-f-]{36}(/timeline|/measures)?|review/[0-9a-f-]{36}|review/intakes/"
    r"[0-9a-f-]{36}|review/alerts/[0-9a-f-]{36}|rules/[^/]+|scheduling/waitlist/[^/]+/change)$"
)
MAX_PAGES = 60
# The visible text of <main> with every <details> element taken out.
VISIBLE_TEXT = """() => {
  const out = [];
  const main = document.querySelector('main');
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || el.closest('details, script, style, textarea, select')) continue;
    if (!el.checkVisibility()) continue;
    out.push(node.textContent);
  }
  // What a person reads in a field: typed-in values and chosen options (not checkbox values,
  // nor a YAML editor's text, which is the lead's to edit).
  main.querySelectorAll('input[type=text], input[type=search], input[type=email], select')
    .forEach((e) => {
      if (e.closest('details')) return;
      out.push(e.tagName === 'SELECT' ? (e.selectedOptions[0] || {}).text || '' : e.value);
    });
  return out.join('\\n');
}"""


def developer_tokens() -> dict[str, re.Pattern[str]]:
    """What must not show: token → a pattern matching it as a whole word."""
    ruleset = default_ruleset()
    tokens: set[str] = {rule.id for rule in ruleset.rules}
    tokens |= {pathway.id for pathway in ruleset.pathways}
    tokens |= {"crisis_alert", "appointment_reminder", "step3_high_intensity"}
    tokens |= {"intake-consent-en-1", "intake-consent-en-2", "my-consents-en-1"}
    # The risk model's version and the ruleset's id are for the details disclosure.
    tokens |= {str(shipped_version()), ruleset.id}
    for instrument_id in list_instruments():
        tokens.add(instrument_id)
        tokens |= {flag.flag for flag in get_instrument(instrument_id).flags}
    # Short instrument ids (phq9, gad7) are words a clinician might also write in a note, but
    # never alone on a page of ours: they are checked as whole words.
    # A code that is also an ordinary phrase ("low-intensity intervention") counts only when
    # it stands alone, as a table cell or a value would.
    phrases = {"low-intensity"}
    patterns = {
        token: re.compile(
            rf"^\s*{re.escape(token)}\s*$"
            if token in phrases
            else rf"(?<![\w-]){re.escape(token)}(?![\w-])",
            re.MULTILINE,
        )
        for token in tokens
    }
    patterns["a digest"] = re.compile(r"\b(sha256:)?[0-9a-f]{40,64}\b")
    # One clock: the demo clinic is in New York, so no time on its pages is in UTC.
    patterns["a time in UTC"] = re.compile(r"\bUTC\b")
    return patterns


LANGUAGE_CELL = re.compile(r"^\s*(" + "|".join(sorted(LANGUAGES, key=len, reverse=True)) + r")\s*$")


def _offences(text: str, patterns: dict[str, re.Pattern[str]]) -> list[str]:
    found = [token for token, pattern in patterns.items() if pattern.search(text)]
    found += [
        f"language code {m.group(1)!r}" for m in map(LANGUAGE_CELL.match, text.splitlines()) if m
    ]
    return found


def _walk(page: Any, live: LiveServer, role: str) -> tuple[dict[str, list[str]], set[str]]:
    """(offences by page, the kinds of page visited)."""
    patterns = developer_tokens()
    page.goto(live.url + "/login")
    page.get_by_label("Email").fill(LOGINS[role])
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.url + "/home")
    queue = [href for href, _label in NAV_BY_ROLE[role] if href != "/account"]
    seen: set[str] = set()
    kinds_seen: set[str] = set()
    failures: dict[str, list[str]] = {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(live.url + path)
        assert response is not None
        if response.status != 200:
            continue
        found = _offences(page.evaluate(VISIBLE_TEXT), patterns)
        if found:
            failures[path] = found
        for href in page.locator("main a[href^='/']").evaluate_all(
            "links => links.map((a) => a.getAttribute('href'))"
        ):
            target = urlparse(href).path
            match = FOLLOW.match(target)
            if not match:
                continue
            # One page of each kind is enough (one case, one client, one rule version...).
            kind = re.sub(r"[0-9a-f-]{36}", "<id>", target)
            # The form for a new version is a page of its own, not one of the versions.
            kind = re.sub(r"^/rules/(?!new$)[^/]+$", "/rules/<version>", kind)
            if kind in kinds_seen:
                continue
            kinds_seen.add(kind)
            queue.append(target)
    return failures, kinds_seen


# Pages each role's walk must reach, so that the walk cannot pass by seeing nothing.
MUST_SEE = {
    "clinician": {"/clients/<id>", "/clients/<id>/timeline", "/review/<id>"},
    "clinical_lead": {"/clients/<id>", "/rules/new", "/rules/<version>"},
    "coordinator": {"/clients/<id>"},
}


@pytest.mark.parametrize("role", list(LOGINS))
def test_clinical_pages_show_no_developer_words_outside_details(
    live_server: LiveServer, role: str
) -> None:
    page = live_server.new_page()
    failures, seen = _walk(page, live_server, role)
    assert MUST_SEE[role] <= seen, seen
    assert failures == {}


def test_the_walk_would_catch_a_rule_id(live_server: LiveServer) -> None:
    patterns = developer_tokens()
    assert _offences("Crisis (rule cssrs-q4-intent)", patterns) == ["cssrs-q4-intent"]
    assert _offences("flags: phq9-item9", patterns) == ["phq9-item9"]
    assert "a digest" in _offences("inputs " + "ab12" * 16, patterns)
    assert _offences("Language\nes\n", patterns) == ["language code 'es'"]
    assert _offences("Pathway\nlow-intensity\n", patterns) == ["low-intensity"]
    assert _offences("Proposed 2026-11-30 14:05 UTC", patterns) == ["a time in UTC"]
    assert _offences(f"Model version\n{shipped_version()}\n", patterns) == [shipped_version()]
    assert _offences("low-intensity intervention or guided self-help", patterns) == []
    assert _offences("PHQ-9 question 9 answered; Step 3: high-intensity therapy", patterns) == []


def test_the_outbox_names_each_kind_of_message_in_words(live_server: LiveServer) -> None:
    """The administrator's outbox says "Crisis alert to the on-call clinician", not the stored
    kind ``crisis_alert``, for a dead message and for a delivered one."""
    from alongside.accounts.service import find_user_by_email
    from alongside.db import build_engine, key_provider_for, make_sessionmaker, session_scope
    from alongside.kit.time import utcnow
    from alongside.models import OutboxStatus
    from alongside.notify.service import enqueue

    engine = build_engine(live_server.settings.effective_database_url)
    try:
        factory = make_sessionmaker(engine, key_provider_for(live_server.settings))
        with session_scope(factory) as session:
            admin = find_user_by_email(session, "admin@demo.test")
            assert admin is not None
            now = utcnow()
            for kind, status in (
                ("crisis_alert", OutboxStatus.DEAD),
                ("appointment_reminder", OutboxStatus.DELIVERED),
            ):
                message = enqueue(
                    session,
                    kind=kind,
                    channel="email",
                    recipient="on-call@demo.test",
                    subject="A test message",
                    body="A test message.",
                    payload={},
                    idempotency_key=f"words-outbox-{kind}",
                    organization_id=admin.organization_id,
                    now=now,
                )
                message.status = status
                message.attempts = 1
                if status is OutboxStatus.DELIVERED:
                    message.delivered_at = now
    finally:
        engine.dispose()
    page = live_server.new_page()
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill("admin@demo.test")
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/home")
    page.goto(live_server.url + "/admin/outbox")
    text = page.evaluate(VISIBLE_TEXT)
    assert _offences(text, developer_tokens()) == []
    assert "Crisis alert to the on-call clinician" in text
    assert "Appointment reminder" in text
    retry = page.get_by_role("button", name="Retry this message (crisis alert to the on-call")
    assert retry.count() >= 1


def test_a_form_sent_without_a_required_field_is_answered_in_words(
    live_server: LiveServer,
) -> None:
    """The staff invitation sent with its name left empty (the browser's own check bypassed)
    says "Display name: left empty", not "display_name: Field required", and nothing is sent."""
    page = live_server.new_page()
    page.goto(live_server.url + "/login")
    page.get_by_label("Email").fill("admin@demo.test")
    page.get_by_label("Password").fill("alongside-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/home")
    page.goto(live_server.url + "/admin/users")
    email = page.locator("main form input[type=email]").first
    email.fill("new.colleague@demo.test")
    with page.expect_navigation():
        email.evaluate("(e) => { e.form.noValidate = true; e.form.requestSubmit(); }")
    alert = page.get_by_role("alert").inner_text()
    assert "Display name: left empty" in alert
    assert "nothing was saved" in alert
    assert "display_name" not in alert
    assert "Field required" not in alert
