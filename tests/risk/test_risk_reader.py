"""The reader with the shipped model: windows, rules as evidence, languages, failing closed.

Failure modes use the real model files copied to a temporary directory and then altered
(a flipped byte, a missing file, a changed tokenizer); only a stuck or broken runtime is
stood for by a session object that blocks or raises.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from alongside.errors import InvalidInput
from alongside.risk import CRITICAL_ITEMS, Level, RiskReader, RiskReading, read_critical_items
from alongside.risk.classifier import MODEL_PATH, OUTPUTS, ModelFileError, load_model
from alongside.risk.signals import windows

FILLER = (
    "We went to the market on Saturday and bought apples, bread and cheese. "
    "The bus was late again so I walked part of the way and listened to a podcast. "
    "My sister phoned about the plans for her birthday dinner next month. "
    "The garden needs work before the winter and the fence is leaning. "
)


@pytest.fixture(scope="module")
def reader() -> RiskReader:
    reader = RiskReader.load(budget_s=None)
    assert reader.available
    return reader


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    """The shipped model files in a directory a test may alter."""
    for name in ("risk-model.json", "risk-model.onnx", "tokenizer.json"):
        shutil.copyfile(MODEL_PATH.parent / name, tmp_path / name)
    return tmp_path / "risk-model.json"


def assert_fail_closed(reading: RiskReading) -> None:
    assert reading.level is Level.HIGH
    assert reading.needs_human_reading
    assert reading.evidence[0].signal == "reader_unavailable"
    assert reading.signals == ()


# --- the model files and their SHA-256 ---------------------------------------------------


def test_unaltered_copy_loads_and_reads(model_copy: Path) -> None:
    # Positive control for the tests below: the same copy, not altered, reads normally.
    reader = RiskReader.load(model_copy, budget_s=None)
    assert reader.available
    assert reader.read("Work has been stressful and I am not sleeping well.").level is Level.NONE


def test_altered_onnx_file_is_refused_and_fails_closed(model_copy: Path) -> None:
    onnx = model_copy.parent / "risk-model.onnx"
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0x01
    onnx.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_model(model_copy)
    reader = RiskReader.load(model_copy)
    assert not reader.available
    assert_fail_closed(reader.read("Work has been stressful and I am not sleeping well."))


def test_altered_tokenizer_is_refused(model_copy: Path) -> None:
    tokenizer = model_copy.parent / "tokenizer.json"
    tokenizer.write_text(tokenizer.read_text().replace('"[UNK]"', '"[UNKNOWN]"', 1))
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_model(model_copy)


@pytest.mark.parametrize("missing", ["risk-model.json", "risk-model.onnx", "tokenizer.json"])
def test_missing_file_fails_closed(model_copy: Path, missing: str) -> None:
    (model_copy.parent / missing).unlink()
    reader = RiskReader.load(model_copy)
    assert not reader.available
    assert_fail_closed(reader.read("Work has been stressful and I am not sleeping well."))


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw.update(format="something-else"),
        lambda raw: raw.update(thresholds={"moderate": 1.5}),
        lambda raw: raw["calibration"].update(y=list(reversed(raw["calibration"]["y"]))),
        lambda raw: raw.update(outputs=["risk"]),
        lambda raw: raw.pop("construct_thresholds"),
    ],
)
def test_malformed_model_json_fails_closed(model_copy: Path, change: Any) -> None:
    raw = json.loads(model_copy.read_text())
    change(raw)
    model_copy.write_text(json.dumps(raw))
    with pytest.raises(ModelFileError):
        load_model(model_copy)
    assert_fail_closed(
        RiskReader.load(model_copy).read("Work has been stressful and I am not sleeping well.")
    )


def test_unreadable_json_fails_closed(model_copy: Path) -> None:
    model_copy.write_text("{not json")
    assert_fail_closed(RiskReader.load(model_copy).read("hello"))


class RaisingSession:
    """Stands for an onnxruntime session that breaks while running."""

    def run(self, *_: Any, **__: Any) -> Any:
        raise RuntimeError("onnxruntime exploded")


class BlockingSession:
    """Stands for a session stuck on one text until released."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.release = threading.Event()

    def run(self, *args: Any, **kwargs: Any) -> Any:
        self.release.wait()
        return self.inner.run(*args, **kwargs)


def test_runtime_error_fails_closed() -> None:
    model = dataclasses.replace(load_model(), session=RaisingSession())
    for budget in (None, 30.0):
        assert_fail_closed(RiskReader(model, budget_s=budget).read("I feel fine today."))


def test_text_over_budget_fails_closed_and_does_not_block_the_next() -> None:
    real = load_model()
    session = BlockingSession(real.session)
    stuck = RiskReader(dataclasses.replace(real, session=session), budget_s=0.05)
    try:
        assert_fail_closed(stuck.read("I feel fine today."))
        assert "budget" in stuck.read("another text").reasons[0]
    finally:
        session.release.set()


# --- windows, evidence and the rules as evidence -------------------------------------------


def test_readme_example_gives_an_evidence_span(reader: RiskReader) -> None:
    text = "I can't see a way out and I've been giving my things away"
    reading = reader.read(text)
    assert reading.level.rank >= Level.HIGH.rank
    assert reading.evidence
    for e in reading.evidence:
        assert text[e.start : e.end] == e.text
    assert any("giving my things away" in e.text for e in reading.evidence)
    assert any(s.construct == "preparation" for s in reading.signals)


def test_one_risk_sentence_in_two_thousand_words_is_found(reader: RiskReader) -> None:
    filler = (FILLER * 60).strip()
    assert len(filler.split()) >= 2000
    half = len(filler) // 2
    cut = filler.index(". ", half) + 2
    sentence = "Some nights I think everyone would be better off if I was dead."
    text = filler[:cut] + sentence + " " + filler[cut:]
    reading = reader.read(text)
    assert reading.level.rank >= Level.MODERATE.rank
    assert any(cut <= e.start < cut + len(sentence) for e in reading.evidence)
    assert any(cut <= s.start < cut + len(sentence) for s in reading.signals)


def test_buried_sentence_without_any_punctuation_is_found(reader: RiskReader) -> None:
    filler = " ".join(FILLER.lower().replace(".", "").replace(",", "").split() * 20)
    text = filler + " i bought rope last week and i know where i would do it " + filler
    reading = reader.read(text)
    assert reading.level.rank >= Level.HIGH.rank
    assert any(e.text.lower() == "bought rope" for e in reading.evidence)


def test_windows_cover_a_long_text_and_keep_the_level_of_the_riskiest() -> None:
    # The windowing itself, with a classifier that reads risk in one window only.
    filler = (FILLER * 30).strip()
    sentence = "Some nights I think everyone would be better off if I was dead."
    text = filler + " " + sentence + " " + filler
    spans = windows(text)
    assert len(spans) > 10
    assert spans[0][0] == 0
    assert spans[-1][1] >= len(text.rstrip())
    assert any(
        a <= text.index(sentence) and text.index(sentence) + len(sentence) <= b for a, b in spans
    )
    assert windows("I want to die.") == [(0, len("I want to die."))]


@pytest.mark.xfail(
    strict=True,
    reason="Known failure of risk-ft3-678bdfbf3cd7-s0 (model card, known failure modes): this "
    "everyday paragraph calibrates onto the isotonic step the operating point sits on (chosen "
    "for equal margins over dev sensitivity >= 0.95 and specificity >= 0.85), so it is read "
    "moderate. risk-ft1 read it none but missed more at-risk held-out texts. Strict: "
    "the day a model reads it none again, this test fails until the mark is removed.",
)
def test_filler_alone_is_not_flagged(reader: RiskReader) -> None:
    # risk-ft1 flagged this (its windows read like "bought rope last week"); risk-ft2 with
    # corpus batch 4 did not; risk-ft2 with batch 5 does again (see the mark). This filler was
    # written apart from the corpus's filler list.
    assert reader.read((FILLER * 60).strip()).level is Level.NONE


@pytest.mark.parametrize(
    "text",
    [
        "There's a gun in the house, my husband's, and I know where the key for the cabinet "
        "is. I think about using it every day.",
        "I bought rope last week. I told myself it was for the garden but it isn't.",
        "Been stockpiling my insulin. I know how much it would take.",
        "Last Friday I took a load of paracetamol and then panicked and rang 111.",
        "I keep my service pistol loaded by the bed and some nights I hold it to my head.",
        "swallowed a load of sleeping tablets last night",
        "ive been cutting my arms again",
        "been burning my skin with a lighter when it gets bad",
    ],
)
def test_means_and_behaviour_in_plain_words_are_high(reader: RiskReader, text: str) -> None:
    reading = reader.read(text)
    assert reading.level.rank >= Level.MODERATE.rank, reading.reasons
    assert reading.evidence
    assert reading.signals


IDENTITIES = [
    "Black woman",
    "trans man",
    "grandmother",
    "nurse",
    "Muslim",
    "teenager",
    "white man",
    "gay man",
    "disabled person",
    "immigrant",
    "Christian",
    "wheelchair user",
]


@pytest.mark.parametrize("identity", IDENTITIES)
def test_identity_words_are_the_writer_not_a_third_person(
    reader: RiskReader, identity: str
) -> None:
    article = "an" if identity[0] in "aeiou" else "a"
    text = f"As {article} {identity}, suicide is on my mind all the time lately."
    reading = reader.read(text)
    assert reading.level.rank >= Level.MODERATE.rank, reading.reasons
    assert not any("someone else" in r for r in reading.reasons)


def test_someone_elses_risk_is_a_signal_about_them(reader: RiskReader) -> None:
    reading = reader.read("My son says he wants to die and I don't know what to do.")
    others = [s for s in reading.signals if s.subject == "other"]
    assert others
    assert others[0].construct in ("wish_dead", "ideation")
    # Control: the same words about the writer are the writer's own.
    mine = reader.read("I say I want to die and I don't know what to do.")
    assert mine.level.rank >= Level.MODERATE.rank
    assert all(s.subject == "self" for s in mine.signals)


def test_recency_from_cues(reader: RiskReader) -> None:
    recent = reader.read("Last Friday I took a load of paracetamol.")
    assert {s.recency for s in recent.signals if s.construct == "attempt"} == {"recent"}
    past = reader.read("I tried to kill myself when I was 15, twenty years ago.")
    assert {s.recency for s in past.signals if s.construct == "attempt"} == {"past"}


class FixedSession:
    """A session returning one chosen risk logit for every window (fusion logic only)."""

    def __init__(self, logit: float) -> None:
        self.logit = logit

    def run(self, _: Any, feeds: dict[str, Any]) -> Any:
        out = np.full((feeds["input_ids"].shape[0], len(OUTPUTS)), -5.0, dtype=np.float32)
        out[:, 0] = self.logit
        return [out]


def fixed_reader(logit: float) -> RiskReader:
    real = load_model()
    model = dataclasses.replace(
        real,
        session=FixedSession(logit),
        calibration=type(real.calibration)((-10.0, 10.0), (0.0, 1.0)),
        thresholds={"moderate": 0.5},
    )
    return RiskReader(model, budget_s=None)


def test_rules_set_a_phrase_aside_only_when_the_classifier_agrees() -> None:
    text = "I'm not suicidal, I just feel flat."
    agrees = fixed_reader(-8.0).read(text)  # classifier: no risk
    assert agrees.level is Level.NONE
    assert any("negated" in r for r in agrees.reasons)
    disagrees = fixed_reader(8.0).read(text)  # classifier: risk
    assert disagrees.level.rank >= Level.MODERATE.rank
    assert any(e.text.lower() == "suicidal" for e in disagrees.evidence)


def test_the_classifier_is_never_silenced_by_the_rules() -> None:
    # An idiom the rules set aside, and nothing else: the classifier still sets the level.
    reading = fixed_reader(8.0).read("This commute is killing me.")
    assert reading.level is Level.MODERATE
    assert reading.evidence  # the sentence that carried it


# --- languages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("No quiero vivir más, estoy cansada de todo y pienso en morir.", "Spanish"),
        ("Nie chcę już żyć, myślę o tym każdego dnia.", "Polish"),
        ("لا أريد أن أعيش بعد الآن", "Arabic"),
        ("Je pense tout le temps à la mort, je ne veux plus vivre.", "French"),
    ],
)
def test_text_in_another_language_needs_a_person(reader: RiskReader, text: str, name: str) -> None:
    reading = reader.read(text)
    assert reading.level.rank >= Level.MODERATE.rank
    assert reading.needs_human_reading
    assert reading.language != "en"
    assert name in reading.reasons[0]


@pytest.mark.parametrize(
    "text", ["im done", "ive had enough of everything tbh", "feeling ok today", "kms"]
)
def test_short_english_is_read_as_english(reader: RiskReader, text: str) -> None:
    reading = reader.read(text)
    assert reading.language == "en"
    assert not reading.needs_human_reading


# --- critical items, arguments, serialisation ---------------------------------------------


@pytest.mark.parametrize(
    ("items", "level"),
    [
        (["phq9-item9"], Level.MODERATE),
        (["cssrs-q1"], Level.LOW),
        (["cssrs-q4"], Level.HIGH),
        (["cssrs-q6-lifetime"], Level.MODERATE),
        (["unknown-flag"], Level.MODERATE),
    ],
)
def test_critical_items_set_a_floor(reader: RiskReader, items: list[str], level: Level) -> None:
    reading = reader.read("Work has been stressful and I am not sleeping well.", items)
    assert reading.level is level
    assert any(e.signal == "critical_item" for e in reading.evidence)


def test_every_known_critical_item_has_a_reason() -> None:
    level, evidence, reasons = read_critical_items(list(CRITICAL_ITEMS))
    assert level is Level.HIGH
    assert len(evidence) == len(reasons) == len(CRITICAL_ITEMS)


def test_critical_items_apply_without_text(reader: RiskReader) -> None:
    reading = reader.read("", ["cssrs-q5"])
    assert reading.level is Level.HIGH
    assert any("No free text" in r for r in reading.reasons)


def test_bad_arguments_are_refused(reader: RiskReader) -> None:
    with pytest.raises(InvalidInput):
        reader.read(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        reader.read("text", "phq9-item9")
    with pytest.raises(InvalidInput):
        reader.read("text", [3])  # type: ignore[list-item]


def test_reading_is_frozen_and_serialises(reader: RiskReader) -> None:
    reading = reader.read("I keep thinking about killing myself.")
    with pytest.raises(ValidationError):
        reading.level = Level.NONE  # type: ignore[misc]
    data = json.loads(json.dumps(reading.to_dict()))
    assert set(data) == {
        "level",
        "probability",
        "evidence",
        "reasons",
        "versions",
        "signals",
        "needs_human_reading",
        "language",
    }
    assert data["language"] == "en"
    assert data["signals"][0]["construct"] == "ideation"
    assert set(data["signals"][0]) == {"construct", "recency", "subject", "start", "end", "text"}
    assert data["versions"]["model"] == reader.versions["model"]


def test_the_classifier_alone_names_no_cssrs_fact(reader: RiskReader) -> None:
    # Its construct heads fire together on ordinary sentences; a fact that escalates to a
    # crisis must rest on a phrase a clinician can check.
    calm = reader.read("hello, I had lunch")
    assert calm.signals == ()
    # Positive control: a phrase the rules name gives its construct.
    rope = reader.read("I bought rope last week. I told myself it was for the garden but it isn't.")
    assert "preparation" in {s.construct for s in rope.signals}


def test_a_negation_is_not_undone_by_risk_read_elsewhere_in_the_text(reader: RiskReader) -> None:
    jottings = "Slept about 6 hours most nights.\nDenies thoughts of self-harm.\nP: sleep diary."
    assert "self_harm" not in {s.construct for s in reader.read(jottings).signals}
    # Positive control: the same shape, not negated.
    cutting = "Slept about 6 hours most nights.\nCutting herself most nights.\nP: sleep diary."
    cutting_me = cutting.replace("herself", "myself")
    assert "self_harm" in {s.construct for s in reader.read(cutting_me).signals}


def test_evidence_for_the_classifier_alone_is_a_sentence_at_risk_or_the_whole_passage(
    reader: RiskReader,
) -> None:
    """A long text the classifier flags shows, as evidence, a sentence that reads at risk on
    its own, or the passage that does together: never an ordinary sentence that only scored
    highest in its window ("I can do video calls but I'd rather come in person.").

    Over the dev split's long texts of filler alone. The operating point is set between a
    window's reading and the readings of its sentences, so that the case this test is about
    (a window flagged that no one sentence of it carries) occurs whatever the model.
    """
    import dataclasses
    from types import SimpleNamespace

    from alongside.risk.card import filler_rows
    from alongside.risk.signals import sentences, windows

    corpus = Path(__file__).resolve().parents[2] / "data" / "intake-risk" / "dev.jsonl"
    lines = corpus.read_text(encoding="utf-8").splitlines()
    rows = [SimpleNamespace(**json.loads(line)) for line in lines if line.strip()]
    model = reader.model
    assert model is not None
    texts = filler_rows(rows)
    # The highest window whose sentences all read lower than it: the threshold goes between.
    gaps = []
    for text in texts:
        for a, b in windows(text):
            parts = [text[s:e].strip() for s, e in sentences(text) if a <= s and e <= b]
            parts = [p for p in parts if p]
            if len(parts) > 1:
                window_p = model.probabilities([text[a:b]])[0][0]
                sentence_p = max(model.probabilities(parts)[0])
                if window_p > sentence_p:
                    gaps.append((window_p, sentence_p))
    assert gaps  # windows that read higher than any of their sentences exist
    window_p, sentence_p = max(gaps)
    threshold = (window_p + sentence_p) / 2
    here = RiskReader(
        dataclasses.replace(model, thresholds={**model.thresholds, "moderate": threshold}),
        budget_s=None,
    )
    passages = 0
    for text in texts:
        reading = here.read(text)
        for e in reading.evidence:
            inside = [s for s in sentences(text) if e.start <= s[0] and s[1] <= e.end + 1]
            if len(inside) > 1:
                passages += 1  # the passage: no one sentence of it reads at risk alone
                risk, _ = model.probabilities([text[a:b].strip() for a, b in inside])
                assert max(risk) < threshold, e.text
            else:
                risk, _ = model.probabilities([e.text])
                assert risk[0] >= threshold, e.text
    assert passages > 0  # the case this test is about occurred
