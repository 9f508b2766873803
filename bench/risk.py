"""Benchmark the risk reader: model load time, texts per second and latency on one core.

Run: ``.venv/bin/python bench/risk.py [--texts 500] [--seed 0]``. Texts are synthetic, seeded,
between 20 and 1,000 characters, mixing everyday and risk sentences. The reader runs with its
default per-text budget (one worker thread per text), as a server would.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time

SENTENCES = [
    "Work has been really stressful lately and I am not sleeping well.",
    "I feel low most days and I don't enjoy things anymore.",
    "My partner and I argue a lot about money.",
    "I want to die.",
    "Sometimes I think everyone would be better off without me.",
    "I'm not suicidal, just exhausted.",
    "My friend wants to die and I don't know how to help her.",
    "This commute is killing me.",
    "I've been cutting myself again when things get bad.",
    "I have panic attacks before meetings and my heart races.",
    "I used to self-harm as a teenager but I have been fine for years.",
    "I can't stop thinking about killing myself.",
    "I'm dying to get back to the gym once my knee heals.",
    "I have been drinking more than usual to get to sleep.",
    "Nothing will ever get better and I can't take it anymore.",
]


def make_text(rng: random.Random) -> str:
    """A text of 20 to 1,000 characters from the sentences above."""
    target = rng.randint(20, 1000)
    parts: list[str] = []
    while len(" ".join(parts)) < target:
        parts.append(rng.choice(SENTENCES))
    return " ".join(parts)[:1000]


def main() -> None:
    """Measure and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    start, cpu_start = time.perf_counter(), time.process_time()
    from alongside.risk import RiskReader

    reader = RiskReader.load()
    load_s = time.perf_counter() - start
    # CPU time of the load too: wall time on a shared machine counts the other jobs.
    load_cpu_s = time.process_time() - cpu_start
    assert reader.available, "the shipped model did not load"

    rng = random.Random(args.seed)
    texts = [make_text(rng) for _ in range(args.texts)]
    for text in texts[: args.warmup]:
        reader.read(text)
    latencies: list[float] = []
    cpu: list[float] = []
    begin = time.perf_counter()
    for text in texts:
        t0, c0 = time.perf_counter(), time.process_time()
        reader.read(text)
        latencies.append((time.perf_counter() - t0) * 1000)
        # CPU time of the process: what one text costs even when other jobs share the core.
        cpu.append((time.process_time() - c0) * 1000)
    total = time.perf_counter() - begin
    latencies.sort()
    cpu.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    cpu99 = cpu[min(len(cpu) - 1, int(0.99 * len(cpu)))]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, pinned to one; ", end="")
    print(
        f"python {platform.python_version()}; {args.texts} texts of 20-1,000 characters; ", end=""
    )
    print(f"load average {load:.1f} when done")
    print()
    print("| measure | value | target |")
    print("|---|---|---|")
    print(
        f"| model load (cold: int8 ONNX, SHA-256 check, tokenizer, language detector) "
        f"| {load_s:.2f} s wall, {load_cpu_s:.2f} s CPU | <= 2 s |"
    )
    print(f"| texts per second (one core) | {args.texts / total:.1f} | |")
    print(f"| latency p50 | {p50:.1f} ms | |")
    print(f"| latency p99 | {p99:.1f} ms | <= 50 ms |")
    print(f"| latency max | {latencies[-1]:.1f} ms | |")
    print(f"| CPU time per text p50 / p99 | {statistics.median(cpu):.1f} / {cpu99:.1f} ms | |")


if __name__ == "__main__":
    main()
