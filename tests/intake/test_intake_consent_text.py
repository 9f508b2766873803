"""The consent text says exactly what happens whether the client lets software read or not."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from alongside.errors import ConfigurationError, NotFound
from alongside.intake import consent_text as consent_text_module
from alongside.intake.consent_text import CURRENT_VERSION, consent_text, current_consent_text


def _all_words(version: str) -> str:
    text = consent_text(version)
    paragraphs = [p for section in text.sections for p in section.paragraphs]
    return " ".join([*paragraphs, text.software_reading.yes_label, text.software_reading.no_label])


def test_the_current_text_says_what_happens_either_way() -> None:
    assert CURRENT_VERSION == "intake-consent-en-2"
    words = _all_words(CURRENT_VERSION)
    assert "If you say no, software does not read your words" in words
    assert "within the clinic's urgent time" in words
    assert "Saying no never makes you wait longer" in words
    assert (
        "If you do not write anything in your own words, your choice here changes nothing" in words
    )
    assert "a clinician from the clinic is contacted" in words
    # The old promise that did not say what happens is gone from the current text.
    assert "same either way" not in words
    assert current_consent_text().version == CURRENT_VERSION


def test_the_version_clients_saw_before_is_still_readable() -> None:
    assert "your care is the same either way" in _all_words("intake-consent-en-1")


def test_a_version_never_shipped_is_not_found() -> None:
    with pytest.raises(NotFound) as missing:
        consent_text("intake-consent-en-99")
    assert missing.value.message == "There is no consent text with version 'intake-consent-en-99'."


@pytest.fixture
def consent_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the shipped consent folder, read in place of the package's (the texts are
    read once per process, so the cache is emptied before and after)."""
    package = tmp_path / "intake"
    shutil.copytree(Path(consent_text_module.__file__).parent / "consent", package / "consent")

    class _Resources:
        @staticmethod
        def files(anchor: str) -> Path:
            assert anchor == "alongside.intake"
            return package

    monkeypatch.setattr(consent_text_module, "resources", _Resources)
    consent_text_module._texts.cache_clear()
    yield package / "consent"
    consent_text_module._texts.cache_clear()


def test_files_that_are_not_yaml_are_ignored(consent_folder: Path) -> None:
    (consent_folder / "README.txt").write_text("Notes for translators.\n", encoding="utf-8")
    assert current_consent_text().version == CURRENT_VERSION
    assert "your care is the same either way" in _all_words("intake-consent-en-1")


def test_a_text_that_is_not_valid_yaml_stops_the_start_naming_the_file(
    consent_folder: Path,
) -> None:
    (consent_folder / "intake-consent-en-3.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"^consent text intake-consent-en-3\.yaml is"):
        current_consent_text()


def test_a_text_missing_a_part_stops_the_start_naming_the_file_and_the_part(
    consent_folder: Path,
) -> None:
    shipped = yaml.safe_load((consent_folder / f"{CURRENT_VERSION}.yaml").read_text("utf-8"))
    del shipped["next_steps"]
    shipped["version"] = "intake-consent-en-3"
    (consent_folder / "intake-consent-en-3.yaml").write_text(yaml.safe_dump(shipped), "utf-8")
    with pytest.raises(ConfigurationError) as invalid:
        current_consent_text()
    assert str(invalid.value).startswith("consent text intake-consent-en-3.yaml is invalid")
    assert "next_steps" in str(invalid.value)


def test_a_file_whose_name_is_not_its_version_stops_the_start(consent_folder: Path) -> None:
    """Stored consents name the version; a file under another name could answer for it."""
    shipped = (consent_folder / f"{CURRENT_VERSION}.yaml").read_text("utf-8")
    (consent_folder / "intake-consent-en-3.yaml").write_text(shipped, "utf-8")
    with pytest.raises(ConfigurationError) as misnamed:
        consent_text(CURRENT_VERSION)
    assert str(misnamed.value) == (
        f"intake-consent-en-3.yaml holds version '{CURRENT_VERSION}'; names must match"
    )
