"""Small line charts over time for the oversight page, drawn as inline SVG on the server (pure:
plain values in, markup out; no script, no style attributes, nothing fetched).

- :func:`line_chart` ``(title, periods, series, *, y_max, y_label) -> str``: one line per
  series over the periods (``None`` leaves a gap), with at most :data:`MAX_X_LABELS` period
  labels so that they never collide, and a few round y ticks. The figures it shows are also in
  the table next to it; the SVG carries a title and a one-sentence description.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
HEIGHT = 260
LEFT = 56
RIGHT = 16
TOP = 16
BOTTOM = 44
MAX_X_LABELS = 6
# Distinguishable without colour too: each series has its own dash pattern and marker.
DASHES = ("", "6 4", "2 3", "10 3 2 3")
MARKERS = ("circle", "square", "diamond", "triangle")


@dataclass(frozen=True)
class Series:
    """One line: its name (for the legend) and one value per period (None: no value)."""

    name: str
    values: Sequence[float | None]


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (a round
    top for the axis)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def label_positions(count: int, most: int = MAX_X_LABELS) -> list[int]:
    """Which of ``count`` periods get a label: evenly spread, the first and last included."""
    if count <= most:
        return list(range(count))
    step = math.ceil((count - 1) / (most - 1))
    chosen = list(range(0, count, step))
    if chosen[-1] != count - 1:
        # Move the last label to the end rather than squeeze one in next to it.
        chosen[-1] = count - 1
    return chosen


def _marker(kind: str, x: float, y: float, css: str) -> str:
    if kind == "square":
        return f'<rect class="{css}" x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7"/>'
    if kind == "diamond":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        return f'<polygon class="{css}" points="{points}"/>'
    if kind == "triangle":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
        return f'<polygon class="{css}" points="{points}"/>'
    return f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="4"/>'


def line_chart(
    title: str,
    periods: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str,
    y_max: float | None = None,
    y_format: Callable[[float], str] = lambda v: f"{v:g}",
    description: str = "",
) -> str:
    """An SVG line chart of ``series`` over ``periods`` (see the module docstring)."""
    values = [v for s in series for v in s.values if v is not None]
    top = nice_ceiling(y_max if y_max is not None else max(values, default=1.0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    count = max(len(periods), 1)

    def x_at(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / count)

    def y_at(v: float) -> float:
        return TOP + plot_h - plot_h * min(max(v / top, 0.0), 1.0)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="line-chart" viewBox="0 0 {WIDTH} '
        f'{HEIGHT}" role="img" aria-labelledby="{_id(title)}-t {_id(title)}-d">',
        f'<title id="{_id(title)}-t">{escape(title)}</title>',
        f'<desc id="{_id(title)}-d">{escape(description)}</desc>',
    ]
    for k in range(5):
        v = top * k / 4
        y = y_at(v)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(y_format(v))}</text>"
        )
    parts.append(
        f'<text class="axis-label" x="12" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    for i in label_positions(len(periods)):
        parts.append(
            f'<text class="tick" x="{x_at(i):.1f}" y="{HEIGHT - BOTTOM + 18}" '
            f'text-anchor="middle">{escape(periods[i])}</text>'
        )
    for n, line in enumerate(series):
        css = f"series-{n % len(DASHES)}"
        dash = DASHES[n % len(DASHES)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, value in enumerate(line.values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x_at(i):.1f},{y_at(value):.1f}")
        if segment:
            segments.append(segment)
        for points in segments:
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<polyline class="line {css}" fill="none" points="{" ".join(points)}"{dashed}/>'
            )
        for i, point in enumerate(line.values):
            if point is not None:
                parts.append(_marker(MARKERS[n % len(MARKERS)], x_at(i), y_at(point), f"dot {css}"))
    legend_y = HEIGHT - 8
    x = LEFT
    for n, line in enumerate(series):
        css = f"series-{n % len(DASHES)}"
        parts.append(_marker(MARKERS[n % len(MARKERS)], x + 5, legend_y - 4, f"dot {css}"))
        parts.append(f'<text class="legend" x="{x + 14}" y="{legend_y}">{escape(line.name)}</text>')
        x += 24 + 8 * len(line.name)
    parts.append("</svg>")
    return "".join(parts)


def _id(title: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in title.lower())[:40]
