"""parse_id: a malformed id answers 404 with the caller's own message."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.errors import NotFound
from alongside.kit.ids import parse_id


@given(st.uuids())
def test_parse_id_reads_any_uuid_text(value: uuid.UUID) -> None:
    assert parse_id(str(value), "unused") == value


@pytest.mark.parametrize("text", ["", "not-a-uuid", "1234", "../etc/passwd"])
def test_parse_id_answers_404_with_the_message(text: str) -> None:
    with pytest.raises(NotFound) as caught:
        parse_id(text, "No such thing is yours.")
    assert caught.value.status_code == 404
    assert str(caught.value) == "No such thing is yours."
