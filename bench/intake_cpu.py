"""Benchmark: the server's CPU time per whole intake, one client at a time, against the baseline.

Where ``bench/intake_load.py`` measures throughput (which on a small machine also depends on
whatever else runs, the load generator included), this measures what each whole intake costs
the server process itself: its CPU time (user + system, all threads, read from
``/proc/PID/stat``) over ``--flows`` intakes filled in one after another, after ``--warm-up``
intakes (the risk model loads on the first submission). The baseline is the same bare FastAPI +
SQLAlchemy app as in ``intake_load.py``, replaying the same requests. The servers, the scratch
database and the seeding are ``intake_load.py``'s.

Run: ``.venv/bin/python bench/intake_cpu.py --database-url URL --flows 60`` (Linux only; ``URL``
``sqlite://`` for the embedded database). The last line is JSON: ``{"database", "flows",
"cpu_ms_per_intake", "baseline_cpu_ms_per_flow", "cpu_ratio", "wall_ms_per_intake"}`` with
``cpu_ratio = baseline_cpu_ms_per_flow / cpu_ms_per_intake`` (1.0: as cheap as the baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import intake_load
from bench.intake_flow import run_intake


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, all its threads (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_run(pid: int, runs: int, one: Callable[[], object]) -> tuple[float, float]:
    """Milliseconds of the process's CPU, and of wall time, per call of ``one``."""
    cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
    for _ in range(runs):
        one()
    cpu_after, wall_after = cpu_seconds(pid), time.perf_counter()
    return (cpu_after - cpu_before) * 1000 / runs, (wall_after - wall_before) * 1000 / runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite://")
    parser.add_argument("--flows", type=int, default=60)
    parser.add_argument("--warm-up", type=int, default=10)
    args = parser.parse_args()
    if args.flows < 1 or args.warm_up < 1:
        parser.error("--flows and --warm-up are at least 1")
    backend = make_url(args.database_url).get_backend_name()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with intake_load.scratch_database(args.database_url, tmp) as url:
            paths = intake_load.seed(url, tmp, args.flows + args.warm_up + 1)
            port = intake_load._free_port()
            env = {
                "ALONGSIDE_DATABASE_URL": url,
                "ALONGSIDE_DATA_DIR": str(tmp),
                "ALONGSIDE_MODE": "development",
                "ALONGSIDE_PORT": str(port),
                "ALONGSIDE_SMTP_PORT": str(intake_load._free_port()),
            }
            serve = ["-m", "alongside.cli", "serve", "--workers", "1"]
            with intake_load.child_server(serve, env, port) as server:
                pid = intake_load.last_child_pid()
                shape = intake_load.record_shape(server, paths.pop())
                with httpx.Client(base_url=server, timeout=30.0) as http:

                    def intake() -> None:
                        result = run_intake(http, paths.pop())
                        if not result.finished:
                            raise RuntimeError(f"an intake did not finish: {result.error}")

                    for _ in range(args.warm_up):
                        intake()
                    cpu_ms, wall_ms = cpu_per_run(pid, args.flows, intake)

            base_port = intake_load._free_port()
            baseline = [__file__.replace("intake_cpu", "intake_load")]
            baseline += ["--serve-baseline", url, "--port", str(base_port)]
            with intake_load.child_server(
                baseline, {"PYTHONPATH": str(intake_load.ROOT)}, base_port
            ) as base:
                base_pid = intake_load.last_child_pid()
                with httpx.Client(base_url=base, timeout=30.0) as http:

                    def flow() -> None:
                        token = uuid.uuid4().hex
                        for method, path, data in shape:
                            target = path.replace("{token}", token)
                            answer = http.request(method, target, data=data or None)
                            if answer.status_code >= 400:
                                raise RuntimeError(f"the baseline answered {answer.status_code}")

                    for _ in range(args.warm_up):
                        flow()
                    base_ms, _ = cpu_per_run(base_pid, args.flows, flow)

    print(f"alongside: {cpu_ms:.1f} ms of server CPU per whole intake ({wall_ms:.0f} ms wall)")
    print(f"baseline:  {base_ms:.1f} ms of server CPU per flow of the same requests")
    print(
        json.dumps(
            {
                "database": "postgresql" if backend == "postgresql" else "sqlite",
                "flows": args.flows,
                "cpu_ms_per_intake": round(cpu_ms, 1),
                "baseline_cpu_ms_per_flow": round(base_ms, 1),
                "cpu_ratio": round(base_ms / cpu_ms, 3) if cpu_ms else None,
                "wall_ms_per_intake": round(wall_ms, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
