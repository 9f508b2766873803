"""The oversight charts: round axes, period labels that never crowd, escaped text."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alongside.review.charts import (
    MAX_X_LABELS,
    Series,
    label_positions,
    line_chart,
    nice_ceiling,
)


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (0.7, 1), (3, 5), (42, 50), (100, 100), (130, 200), (230, 250)]
)
def test_axes_end_on_a_round_number(value: float, top: float) -> None:
    assert nice_ceiling(value) == top


def _check_labels(count: int) -> None:
    chosen = label_positions(count)
    assert len(chosen) <= MAX_X_LABELS + 1
    if count:
        assert chosen[0] == 0
        assert chosen[-1] == count - 1
        assert chosen == sorted(set(chosen))
    if count > MAX_X_LABELS:
        gaps = [b - a for a, b in pairwise(chosen)]
        assert min(gaps) >= 2


@pytest.mark.parametrize("count", [0, 1, 5, 6, 7, 8, 12, 13, 52])
def test_label_positions_examples(count: int) -> None:
    _check_labels(count)


@given(st.integers(min_value=0, max_value=400))
def test_few_labels_first_and_last_included_never_adjacent_when_thinned(count: int) -> None:
    _check_labels(count)


def test_the_chart_names_itself_escapes_text_and_leaves_gaps() -> None:
    svg = line_chart(
        "Override <rate>",
        ["1 Jun", "8 Jun", "15 Jun"],
        [Series("A & B", [10.0, None, 30.0])],
        y_label="%",
        y_max=100,
        description="Share amended",
    )
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert "<title" in svg
    assert "Override &lt;rate&gt;" in svg
    assert "A &amp; B" in svg
    assert "style=" not in svg  # the page's CSP allows no inline styles
    # A missing week breaks the line instead of drawing through it.
    assert len(re.findall(r"<polyline", svg)) == 2
