"""An optional local language model that rewords a composed draft as prose.

Off by default. When the clinic runs an OpenAI-compatible server (llama.cpp, Ollama, vLLM)
and sets ``ALONGSIDE_LLM_URL``, drafts are sent to ``<url>/v1/chat/completions`` and nowhere
else. The model gets the composed sentences only (never the client's name) and must answer a
JSON object ``{section key: [sentences]}``; :mod:`alongside.notes.attribution` then checks
every sentence it wrote against the composed ones. Psychotherapy notes are never sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import httpx

from alongside.notes.compose import Section

log = logging.getLogger("alongside.notes.llm")

INSTRUCTIONS = (
    "You reword a clinician's draft progress note into fluent, concise clinical prose. "
    "Use only the facts in the sentences given; add no fact, number, name, date or "
    "judgement; keep every negation. Answer with one JSON object mapping each section key "
    "to a list of sentences, and nothing else."
)


class LlmUnavailable(RuntimeError):
    """The model server did not answer usefully; the composed draft stands."""


class LlmClient:
    """A client for one OpenAI-compatible chat completions endpoint."""

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "local",
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        if base.endswith("/chat/completions"):
            self.url = base
        elif base.endswith("/v1"):
            self.url = base + "/chat/completions"
        else:
            self.url = base + "/v1/chat/completions"
        self.model = model
        self.timeout = timeout
        self.transport = transport

    def reword(self, sections: Sequence[Section]) -> dict[str, list[str]]:
        """The model's sentences per section key."""
        draft = {
            s.key: [sentence.text for sentence in s.sentences if not sentence.prompt]
            for s in sections
        }
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": INSTRUCTIONS},
                {"role": "user", "content": json.dumps(draft, ensure_ascii=False)},
            ],
        }
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as http:
                response = http.post(self.url, json=body)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
            parsed = json.loads(content)
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("llm_unavailable", extra={"error_type": type(exc).__name__})
            raise LlmUnavailable(str(type(exc).__name__)) from exc
        if not isinstance(parsed, dict):
            raise LlmUnavailable("the answer was not a JSON object")
        out: dict[str, list[str]] = {}
        for key, value in parsed.items():
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                out[str(key)] = list(value)
        return out
