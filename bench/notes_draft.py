"""Benchmark: drafting one progress note, the pure composer against the risk reading of the
jottings (as written and, sentence by sentence, in the first person).

A 12-line jottings text (third person, as clinicians write) and 30 record facts; the composer
is timed over many runs, the risk reading over fewer (it runs the reader's model). Reported:
median and p95 per draft of each, and their ratio — the composer is a rounding error next to
the reading, so the reading is where a slow draft comes from. The last line is one JSON object.

Run: ``.venv/bin/python bench/notes_draft.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from alongside.notes.compose import DraftInput, JottingsRisk, RecordFact, compose
from alongside.notes.library import note_template
from alongside.notes.service import read_jottings_for_risk

JOTTINGS = "\n".join(
    [
        "She said work has been overwhelming since the restructure.",
        "Sleeping about 5 hours, waking early.",
        "She described feeling like a burden to her partner.",
        "Practised the thought record twice.",
        "Noticed she avoided the team lunch.",
        "He from HR called her about sick leave.",
        "She denies thoughts of ending her life.",
        "A: low mood persists, some engagement with homework.",
        "A: reflective, tearful when discussing her father.",
        "P: continue thought records.",
        "P: one pleasant activity a day.",
        "P: review sleep diary next session.",
    ]
)
FACTS = tuple(
    RecordFact("measures", f"score-{n}", f"PHQ-9 on 2026-11-{n + 1:02d}: total {n % 27}, mild")
    for n in range(30)
)


def _times(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    draft = DraftInput(note_template("dap"), JOTTINGS, "n", FACTS, JottingsRisk())
    read_jottings_for_risk("warm-up")  # loads the reader once, outside the timing
    compose_ms = _times(lambda: compose(draft), args.runs * 20)
    read_ms = _times(lambda: read_jottings_for_risk(JOTTINGS), args.runs)

    def p95(values: list[float]) -> float:
        return sorted(values)[max(0, int(len(values) * 0.95) - 1)]

    result = {
        "compose_ms_p50": round(statistics.median(compose_ms), 3),
        "compose_ms_p95": round(p95(compose_ms), 3),
        "risk_reading_ms_p50": round(statistics.median(read_ms), 1),
        "risk_reading_ms_p95": round(p95(read_ms), 1),
        "reading_over_compose": round(statistics.median(read_ms) / statistics.median(compose_ms)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
