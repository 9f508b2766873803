"""The JSON TF-IDF model reproduces scikit-learn exactly, so training and reading agree."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from alongside.risk.classifier import TOKEN_PATTERN, TfidfModel
from alongside.risk.evaluate import keyword_score

CORPUS = [
    "I want to die and nothing helps",
    "I feel so tired of everything, I want it to end",
    "work was stressful today but lunch was nice",
    "my exams are stressing me out",
    "I can't go on like this, I want to die",
    "the weather is lovely and I went for a walk",
    "I'm a black woman and work is hard",
    "nothing helps and I feel hopeless hopeless",
]
LABELS = [1, 1, 0, 0, 1, 0, 0, 1]


@pytest.fixture(scope="module")
def fitted() -> tuple[TfidfVectorizer, LogisticRegression, TfidfModel]:
    vectorizer = TfidfVectorizer(
        token_pattern=TOKEN_PATTERN,
        ngram_range=(1, 2),
        sublinear_tf=True,
        stop_words=["black", "woman"],
    )
    matrix = vectorizer.fit_transform(CORPUS)
    lr = LogisticRegression(random_state=0).fit(matrix, LABELS)
    terms = vectorizer.get_feature_names_out().tolist()
    model = TfidfModel(
        vocabulary={t: i for i, t in enumerate(terms)},
        idf=np.asarray(vectorizer.idf_),
        coef=np.asarray(lr.coef_[0]),
        intercept=float(lr.intercept_[0]),
        ngram_max=2,
        stop_words=frozenset({"black", "woman"}),
    )
    return vectorizer, lr, model


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *"i want to die and nothing helps work lunch black woman hopeless end".split(),
                "I'm",
                "can't",
                ",",
                "!",
            ]
        ),
        max_size=25,
    )
)
def test_logit_matches_scikit_learn(
    fitted: tuple[TfidfVectorizer, LogisticRegression, TfidfModel], words: list[str]
) -> None:
    vectorizer, lr, model = fitted
    text = " ".join(words)
    expected = float(lr.decision_function(vectorizer.transform([text]))[0])
    value, top = model.logit(text)
    assert value == pytest.approx(expected, abs=1e-9)
    assert all(c > 0 for _, c in top)


def test_stop_words_do_not_change_the_logit(
    fitted: tuple[TfidfVectorizer, LogisticRegression, TfidfModel],
) -> None:
    _, _, model = fitted
    assert model.logit("As a black woman I want to die")[0] == pytest.approx(
        model.logit("As a I want to die")[0]
    )


@pytest.mark.parametrize(
    ("text", "hits"),
    [("I want to die", 1), ("Suicide, suicidal, overdose", 3), ("lovely day", 0)],
)
def test_keyword_baseline_counts_hits(text: str, hits: int) -> None:
    assert keyword_score(text) == hits
