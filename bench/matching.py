"""Benchmark: matching 5,000 waitlisted clients to 200 clinicians' next two weeks.

Seeded, synthetic but shaped like a real backlog: most clients routine and waiting months, a
few urgent; most clinicians nearly full. Slots come from ``bookable_slots`` (weekly hours in
New York and Chicago, across the 8 March 2026 daylight-saving change, with leave, extra hours
and existing appointments). Runs the min-cost-flow proposer and the first-come-first-served
baseline on the same input and prints, for each, the days to first appointment by urgency,
the share of matches meeting every stated preference and any broken hard constraint. The last
line is one JSON object.

Waits: days from ``now`` to the proposed slot. A client with no slot in the two weeks has a
first appointment later than that, so their wait is counted as the 14-day window (a lower
bound); "urgent" means crisis and urgent clients together.

Run: ``.venv/bin/python bench/matching.py [--seed N] [--clients N] [--clinicians N]``.
"""

from __future__ import annotations

import argparse
import json
import random
import time as clock
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from alongside.scheduling.availability import (
    ExtraHours,
    Leave,
    WeeklyHours,
    bookable_slots,
)
from alongside.scheduling.matching import (
    ClientNeed,
    ClinicianOffer,
    MatchResult,
    Setting,
    Urgency,
    check_hard_constraints,
    greedy_first_come,
    propose_matches,
)

NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
WINDOW_DAYS = 14
SITES = ["north", "south", "east", "west", "central"]
ZONES = ["America/New_York"] * 3 + ["America/Chicago"]
# Share of each language among clients and the chance a clinician speaks it (besides English).
LANGUAGE_MIX = {
    "en": (0.78, 0.97),
    "es": (0.12, 0.22),
    "zh": (0.02, 0.04),
    "vi": (0.02, 0.03),
    "ar": (0.015, 0.03),
    "ru": (0.01, 0.03),
    "ht": (0.01, 0.02),
    "ko": (0.01, 0.02),
    "fr": (0.01, 0.04),
    "ase": (0.005, 0.02),
}
MODALITY_POPULARITY = {
    "cbt": 0.8,
    "ba": 0.3,
    "tf_cbt": 0.25,
    "emdr": 0.2,
    "dbt": 0.15,
    "ipt": 0.15,
    "act": 0.2,
    "psychodynamic": 0.2,
    "mbct": 0.15,
    "erp": 0.1,
    "cbt_ed": 0.05,
    "couples": 0.1,
    "family": 0.08,
}
SPECIALTY_POPULARITY = {
    "depression": 0.7,
    "anxiety": 0.7,
    "trauma": 0.35,
    "grief": 0.2,
    "ocd": 0.12,
    "eating": 0.08,
    "substance_use": 0.15,
    "personality": 0.1,
    "bipolar": 0.1,
    "perinatal": 0.06,
    "neurodevelopmental": 0.08,
    "self_harm": 0.2,
}
POPULATION_OFFER = {
    "adults": 0.92,
    "older_adults": 0.4,
    "adolescents": 0.3,
    "children": 0.1,
    "couples": 0.15,
    "families": 0.1,
}
POPULATION_NEED = {
    "adults": 0.70,
    "adolescents": 0.12,
    "older_adults": 0.10,
    "couples": 0.05,
    "families": 0.02,
    "children": 0.01,
}
URGENCY_MIX: dict[Urgency, float] = {"crisis": 0.01, "urgent": 0.07, "soon": 0.22, "routine": 0.70}
MEAN_WAIT_DAYS: dict[Urgency, float] = {"crisis": 1, "urgent": 6, "soon": 30, "routine": 100}


def make_clinicians(
    rng: random.Random, count: int, busy: float, max_room: int
) -> list[ClinicianOffer]:
    """Clinicians with realistic hours, leave, existing appointments and little caseload room."""
    clinicians = []
    window_end = NOW + timedelta(days=WINDOW_DAYS)
    for k in range(count):
        zone = rng.choice(ZONES)
        languages = {"en"} if rng.random() < LANGUAGE_MIX["en"][1] else set()
        languages |= {code for code, (_, p) in LANGUAGE_MIX.items() if rng.random() < p}
        languages = languages or {"es"}
        days = sorted(rng.sample(range(5), rng.choice([3, 4, 4, 5, 5])))
        evening = rng.random() < 0.2
        weekly = []
        for day in days:
            if evening:
                weekly.append(WeeklyHours(day, time(12), time(20)))
            else:
                weekly += [
                    WeeklyHours(day, time(9), time(12)),
                    WeeklyHours(day, time(13), time(17)),
                ]
        exceptions: list[Leave | ExtraHours] = []
        if rng.random() < 0.12:
            first = NOW.date() + timedelta(days=rng.randrange(WINDOW_DAYS))
            last = first + timedelta(days=rng.randrange(1, 6))
            exceptions.append(Leave.days(first, last, zone, "annual leave"))
        if rng.random() < 0.05:
            saturday = date(2026, 3, 7) + timedelta(days=7 * rng.randrange(2))
            exceptions.append(ExtraHours(saturday, time(9), time(12)))
        open_slots = bookable_slots(weekly, exceptions, zone, NOW, window_end, 60)
        # Most hours already hold the clinician's current clients.
        busy_share = min(rng.uniform(busy - 0.07, busy + 0.07), 1.0)
        taken = [s for s in open_slots if rng.random() < busy_share]
        free = bookable_slots(weekly, exceptions, zone, NOW, window_end, 60, taken)
        caseload = 0 if rng.random() < 0.1 else rng.randint(1, max_room)
        in_person = rng.random() < 0.7
        clinicians.append(
            ClinicianOffer(
                id=f"clinician-{k:03d}",
                languages=frozenset(languages),
                modalities=frozenset(
                    {m for m, p in MODALITY_POPULARITY.items() if rng.random() < p} or {"cbt"}
                ),
                populations=frozenset(
                    {p for p, q in POPULATION_OFFER.items() if rng.random() < q} or {"adults"}
                ),
                specialties=frozenset(
                    {s for s, p in SPECIALTY_POPULARITY.items() if rng.random() < p}
                ),
                gender=rng.choices(["woman", "man", "non_binary"], [0.65, 0.30, 0.05])[0],
                in_person=in_person,
                telehealth=(not in_person) or rng.random() < 0.85,
                site=rng.choice(SITES) if in_person else None,
                remaining_caseload=caseload,
                slots=tuple(free),
                time_zone=zone,
            )
        )
    return clinicians


def make_clients(rng: random.Random, count: int, clinician_ids: Sequence[str]) -> list[ClientNeed]:
    """A waitlist shaped like a real backlog: mostly routine, waiting weeks to months."""
    clients = []
    languages = list(LANGUAGE_MIX)
    language_weights = [share for share, _ in LANGUAGE_MIX.values()]
    for k in range(count):
        urgency = rng.choices(list(URGENCY_MIX), list(URGENCY_MIX.values()))[0]
        waited = min(int(rng.expovariate(1 / MEAN_WAIT_DAYS[urgency])), 720)
        settings: list[Setting] = ["either", "telehealth", "in_person"]
        setting = rng.choices(settings, [0.5, 0.3, 0.2])[0]
        modality = (
            rng.choices(list(MODALITY_POPULARITY), list(MODALITY_POPULARITY.values()))[0]
            if rng.random() < 0.4
            else None
        )
        clients.append(
            ClientNeed(
                id=f"client-{k:04d}",
                urgency=urgency,
                waited_days=waited,
                language=rng.choices(languages, language_weights)[0],
                population=rng.choices(list(POPULATION_NEED), list(POPULATION_NEED.values()))[0],
                setting=setting,
                sites=frozenset(rng.sample(SITES, rng.randint(1, 2)))
                if setting == "in_person"
                else frozenset(),
                modality=modality,
                modality_required=modality is not None and rng.random() < 0.35,
                preferred_gender=rng.choices(["woman", "man"], [0.8, 0.2])[0]
                if rng.random() < 0.3
                else None,
                times_of_day=frozenset(
                    rng.sample(["morning", "afternoon", "evening"], rng.randint(1, 2))
                )
                if rng.random() < 0.5
                else frozenset(),
                specialty=rng.choices(
                    list(SPECIALTY_POPULARITY), list(SPECIALTY_POPULARITY.values())
                )[0]
                if rng.random() < 0.7
                else None,
                previous_clinician_id=rng.choice(clinician_ids) if rng.random() < 0.1 else None,
            )
        )
    return clients


def wait_stats(
    result: MatchResult, clients: Sequence[ClientNeed], urgencies: set[str]
) -> dict[str, float]:
    """Mean and 90th percentile days to first appointment (unmatched counted at the window)."""
    days = {p.client_id: p.days_to_appointment for p in result.proposals}
    group = [c.id for c in clients if c.urgency in urgencies]
    waits = np.array([days.get(cid, float(WINDOW_DAYS)) for cid in group])
    matched = np.array([days[cid] for cid in group if cid in days])
    return {
        "clients": len(group),
        "matched": len(matched),
        "mean": float(waits.mean()) if len(waits) else 0.0,
        "p90": float(np.percentile(waits, 90)) if len(waits) else 0.0,
        "matched_mean": float(matched.mean()) if len(matched) else float("nan"),
    }


def report(name: str, result: MatchResult, clients: Sequence[ClientNeed], violations: int) -> None:
    """Print one method's figures."""
    print(
        f"\n{name}: {len(result.proposals)} matched, {len(result.unmatched)} stay on the waitlist"
    )
    for label, group in (
        ("urgent (crisis+urgent)", {"crisis", "urgent"}),
        ("soon", {"soon"}),
        ("routine", {"routine"}),
    ):
        s = wait_stats(result, clients, group)
        print(
            f"  {label:24s} {s['matched']:5.0f}/{s['clients']:<5.0f} matched; days to first "
            f"appointment mean {s['mean']:5.2f}, p90 {s['p90']:5.2f} "
            f"(matched only: mean {s['matched_mean']:5.2f})"
        )
    print(f"  all stated preferences met: {preferences_share(result):.1%} of matches")
    print(f"  broken hard constraints: {violations}")


def preferences_share(result: MatchResult) -> float:
    """Share of proposals that meet every preference the client stated."""
    if not result.proposals:
        return 0.0
    return sum(not p.preferences_unmet for p in result.proposals) / len(result.proposals)


def main() -> None:
    """Build the instance, run both methods, print the figures and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--clinicians", type=int, default=200)
    parser.add_argument("--busy", type=float, default=0.9, help="mean share of hours booked")
    parser.add_argument("--max-room", type=int, default=10, help="most new clients per clinician")
    parser.add_argument(
        "--max-arcs", type=int, default=4_000_000, help="flow size budget (0: none)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    built = clock.perf_counter()
    clinicians = make_clinicians(rng, args.clinicians, args.busy, args.max_room)
    clients = make_clients(rng, args.clients, [c.id for c in clinicians])
    build_seconds = clock.perf_counter() - built
    n_slots = sum(len(c.slots) for c in clinicians)
    room = sum(c.remaining_caseload for c in clinicians)
    places = sum(min(len(c.slots), c.remaining_caseload) for c in clinicians)
    print(
        f"instance: {len(clients)} clients, {len(clinicians)} clinicians, {n_slots} free "
        f"60-minute slots over {WINDOW_DAYS} days, caseload room {room}, "
        f"at most {places} new clients can start (built in {build_seconds:.1f} s)"
    )

    started = clock.perf_counter()
    optimised = propose_matches(clients, clinicians, NOW, max_arcs=args.max_arcs or None)
    solve_seconds = clock.perf_counter() - started
    started = clock.perf_counter()
    greedy = greedy_first_come(clients, clinicians, NOW)
    greedy_seconds = clock.perf_counter() - started
    broken = check_hard_constraints(optimised.proposals, clients, clinicians)
    broken_greedy = check_hard_constraints(greedy.proposals, clients, clinicians)
    for problem in (broken + broken_greedy)[:10]:
        print(f"BROKEN: {problem}")

    print(f"\nmin-cost flow solved in {solve_seconds:.2f} s; greedy in {greedy_seconds:.2f} s")
    report("min-cost flow", optimised, clients, len(broken))
    report("first come, first served", greedy, clients, len(broken_greedy))

    urgent = {"crisis", "urgent"}
    summary = {
        "solve_seconds": round(solve_seconds, 2),
        "greedy_seconds": round(greedy_seconds, 2),
        "clients": len(clients),
        "clinicians": len(clinicians),
        "free_slots": n_slots,
        "new_client_places": places,
        "matched": len(optimised.proposals),
        "matched_greedy": len(greedy.proposals),
        "urgent_matched": wait_stats(optimised, clients, urgent)["matched"],
        "urgent_matched_greedy": wait_stats(greedy, clients, urgent)["matched"],
        "urgent_mean_wait_days": round(wait_stats(optimised, clients, urgent)["mean"], 3),
        "urgent_mean_wait_days_greedy": round(wait_stats(greedy, clients, urgent)["mean"], 3),
        "urgent_p90_wait_days": round(wait_stats(optimised, clients, urgent)["p90"], 3),
        "urgent_p90_wait_days_greedy": round(wait_stats(greedy, clients, urgent)["p90"], 3),
        "routine_mean_wait_days": round(wait_stats(optimised, clients, {"routine"})["mean"], 3),
        "routine_mean_wait_days_greedy": round(wait_stats(greedy, clients, {"routine"})["mean"], 3),
        "routine_p90_wait_days": round(wait_stats(optimised, clients, {"routine"})["p90"], 3),
        "routine_p90_wait_days_greedy": round(wait_stats(greedy, clients, {"routine"})["p90"], 3),
        "all_preferences_met_share": round(preferences_share(optimised), 3),
        "all_preferences_met_share_greedy": round(preferences_share(greedy), 3),
        "hard_constraint_violations": len(broken),
        "hard_constraint_violations_greedy": len(broken_greedy),
        "seed": args.seed,
        "busy": args.busy,
        "max_room": args.max_room,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
