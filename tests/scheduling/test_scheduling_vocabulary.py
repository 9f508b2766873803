"""The maintained lists: every term has a label and a source; unknown codes are refused."""

from __future__ import annotations

from datetime import time

import pytest

from alongside.errors import InvalidInput
from alongside.scheduling.vocabulary import VOCABULARIES, check_terms, time_of_day


@pytest.mark.parametrize("kind", sorted(VOCABULARIES))
def test_every_term_has_a_label_and_a_source(kind: str) -> None:
    terms = VOCABULARIES[kind]
    assert terms
    for code, term in terms.items():
        assert code == code.lower()
        assert " " not in code
        assert term.label.strip()
        assert term.source.strip()


def test_lists_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        VOCABULARIES["language"]["xx"] = VOCABULARIES["language"]["en"]  # type: ignore[index]


def test_known_codes_pass_and_unknown_codes_are_named() -> None:
    check_terms("modality", ["cbt", "emdr"])
    with pytest.raises(InvalidInput, match="Unknown modality 'reiki', 'tarot'"):
        check_terms("modality", ["cbt", "tarot", "reiki"])
    with pytest.raises(InvalidInput, match="Unknown vocabulary 'colour'"):
        check_terms("colour", ["blue"])


@pytest.mark.parametrize(
    ("local", "band"),
    [
        (time(0), "morning"),
        (time(11, 59), "morning"),
        (time(12), "afternoon"),
        (time(16, 59), "afternoon"),
        (time(17), "evening"),
        (time(23, 59), "evening"),
    ],
)
def test_time_of_day_bands(local: time, band: str) -> None:
    assert time_of_day(local) == band
