"""Matching proposals: which clinician and which first slot for each waitlisted client.

Pure: no database, settings or clock (pass ``now``). The coordinator confirms or changes every
proposal; nothing here books anything.

API::

    propose_matches(clients, clinicians, now, weights=MatchWeights(),
                    max_arcs=DEFAULT_MAX_ARCS) -> MatchResult
    greedy_first_come(clients, clinicians, now) -> MatchResult
    check_hard_constraints(proposals, clients, clinicians) -> list[str]

Inputs are plain dataclasses, :class:`ClientNeed` and :class:`ClinicianOffer` (codes from
:mod:`alongside.scheduling.vocabulary`; slots from
:func:`alongside.scheduling.availability.bookable_slots`). The output, :class:`MatchResult`,
holds one :class:`MatchProposal` per matched client (clinician, slot, fit score and reasons in
words a coordinator can read) and one :class:`Unmatched` per other client, saying why and that
they stay on the waitlist (a client is prioritised, never excluded).

Hard constraints (never broken; :func:`check_hard_constraints` verifies them independently):
shared language; the client's modality when they require one; in person (at a site the client
can reach, when they name sites) or telehealth as the client requires; population (a
clinician sees only the groups they are trained for: scope of practice, not a preference);
a free slot in the future, each slot used once and no two overlapping appointments for one
clinician; at most ``remaining_caseload`` new clients per clinician.

Soft preferences (weighed, reported as met or not): specialty, preferred modality, clinician
gender, times of day (on the client's clock, or the clinician's when the client gives none),
continuity with a previous clinician.

Model: a min-cost flow (OR-Tools ``SimpleMinCostFlow``) over
client -> (clinician, slot) -> clinician -> sink, with an "unmatched" arc from every client.
A match costs ``priority * minutes until the slot`` plus a penalty for each unmet preference;
priority grows with urgency (crisis 64, urgent 16, soon 4, routine 1) and, within one urgency,
with days waited (up to double at a year). Leaving a client unmatched costs more than any slot,
in proportion to priority, so scarce places go to the most urgent, then longest-waiting
clients, and urgent clients take the earliest slots. A preference is priced in hours of a
routine client's wait (:class:`MatchWeights`), so for urgent clients time dominates and for
routine clients fit counts. The flow is exact. Its size is clients x fitting slots; when
that exceeds ``max_arcs`` the flow takes clients in priority order up to the budget and the
rest (the lowest priorities, who mostly cannot be placed anyway) are served after it, in
priority order, each taking the cheapest free slot that fits. Either way no unmatched client
could have taken a free slot that fits them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal, get_args
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from alongside.errors import InvalidInput
from alongside.scheduling.availability import Slot, resolve_zone
from alongside.scheduling.vocabulary import (
    GENDERS,
    LANGUAGES,
    MODALITIES,
    POPULATIONS,
    SPECIALTIES,
    TIMES_OF_DAY,
    Term,
    time_of_day,
)

__all__ = [
    "DEFAULT_MAX_ARCS",
    "URGENCY_WEIGHT",
    "ClientNeed",
    "ClinicianOffer",
    "MatchProposal",
    "MatchResult",
    "MatchWeights",
    "Setting",
    "Unmatched",
    "Urgency",
    "check_hard_constraints",
    "greedy_first_come",
    "propose_matches",
]

Urgency = Literal["crisis", "urgent", "soon", "routine"]
Setting = Literal["in_person", "telehealth", "either"]

URGENCY_ORDER: tuple[Urgency, ...] = get_args(Urgency)
# Each level weighs four times the next, so a day's delay for an urgent client costs as much
# as four days for a "soon" one; waiting time only orders clients within a level.
URGENCY_WEIGHT: dict[Urgency, int] = {"crisis": 64, "urgent": 16, "soon": 4, "routine": 1}
_WAIT_CAP_DAYS = 365
# Above this many client-slot arcs (about 6 s and 0.6 GB on the benchmark's two-core machine)
# the lowest-priority clients are served by the fill pass instead of the flow.
DEFAULT_MAX_ARCS = 4_000_000
_TIMES_OF_DAY = tuple(TIMES_OF_DAY)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ClientNeed:
    """What one waitlisted client needs (hard) and would like (soft) from a first appointment."""

    id: str
    urgency: Urgency
    waited_days: int
    language: str
    population: str | None = None
    setting: Setting = "either"
    sites: frozenset[str] = frozenset()
    modality: str | None = None
    modality_required: bool = False
    preferred_gender: str | None = None
    times_of_day: frozenset[str] = frozenset()
    specialty: str | None = None
    previous_clinician_id: str | None = None
    time_zone: str | None = None

    def __post_init__(self) -> None:
        # Accept any collection for the set-valued fields; store frozensets so needs hash.
        object.__setattr__(self, "sites", frozenset(self.sites))
        object.__setattr__(self, "times_of_day", frozenset(self.times_of_day))
        if self.urgency not in URGENCY_WEIGHT:
            raise InvalidInput(
                f"Client {self.id}: urgency must be one of {', '.join(URGENCY_ORDER)}, "
                f"not {self.urgency!r}."
            )
        if self.waited_days < 0:
            raise InvalidInput(f"Client {self.id}: days waited cannot be negative.")
        if self.setting not in get_args(Setting):
            raise InvalidInput(
                f"Client {self.id}: setting must be in_person, telehealth or either, "
                f"not {self.setting!r}."
            )
        if self.modality_required and self.modality is None:
            raise InvalidInput(f"Client {self.id}: a required modality needs a modality.")
        unknown = sorted(set(self.times_of_day) - set(TIMES_OF_DAY))
        if unknown:
            raise InvalidInput(
                f"Client {self.id}: unknown times of day {unknown}; use {', '.join(TIMES_OF_DAY)}."
            )
        if self.time_zone is not None:
            resolve_zone(self.time_zone)


@dataclass(frozen=True)
class ClinicianOffer:
    """What one clinician offers new clients: skills, settings, caseload room and free slots."""

    id: str
    languages: frozenset[str]
    modalities: frozenset[str] = frozenset()
    populations: frozenset[str] = frozenset()
    specialties: frozenset[str] = frozenset()
    gender: str | None = None
    in_person: bool = True
    telehealth: bool = True
    site: str | None = None
    remaining_caseload: int = 0
    slots: tuple[Slot, ...] = ()
    time_zone: str = "UTC"

    def __post_init__(self) -> None:
        for name in ("languages", "modalities", "populations", "specialties"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        object.__setattr__(self, "slots", tuple(self.slots))
        if self.remaining_caseload < 0:
            raise InvalidInput(f"Clinician {self.id}: remaining caseload cannot be negative.")
        resolve_zone(self.time_zone)
        ordered = sorted(self.slots)
        for earlier, later in pairwise(ordered):
            if later.start < earlier.end:
                raise InvalidInput(
                    f"Clinician {self.id}: slots {earlier.start.isoformat()} and "
                    f"{later.start.isoformat()} overlap; offer each time once."
                )


@dataclass(frozen=True)
class MatchWeights:
    """What each unmet preference costs, in hours of a routine client's wait."""

    specialty_hours: float = 24.0
    modality_hours: float = 24.0
    gender_hours: float = 24.0
    time_of_day_hours: float = 12.0
    continuity_hours: float = 48.0


@dataclass(frozen=True)
class MatchProposal:
    """A proposed first appointment for one client, with the reasons a coordinator checks."""

    client_id: str
    clinician_id: str
    slot: Slot
    # Share of the client's stated preferences this proposal meets; 1.0 when none were stated.
    score: float
    days_to_appointment: float
    preferences_met: tuple[str, ...]
    preferences_unmet: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Unmatched:
    """A client with no proposal this round, and why; they stay on the waitlist."""

    client_id: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class MatchResult:
    """Proposals for matched clients and reasons for the others."""

    method: str
    proposals: list[MatchProposal] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Hard constraints, stated once and used by the solver, the baseline and the explanations.


def _hard_failure(client: ClientNeed, clinician: ClinicianOffer) -> str | None:
    """The first hard constraint this pair breaks, in words, or None when all hold."""
    if client.language not in clinician.languages:
        return f"does not speak {_label(LANGUAGES, client.language)}"
    if client.modality_required and client.modality not in clinician.modalities:
        return f"does not offer {_label(MODALITIES, client.modality)} (required)"
    if client.setting == "in_person":
        if not clinician.in_person:
            return "does not see clients in person"
        if client.sites and clinician.site not in client.sites:
            return "works at a site the client cannot reach"
    elif client.setting == "telehealth":
        if not clinician.telehealth:
            return "does not offer telehealth"
    elif not (clinician.in_person or clinician.telehealth):
        return "offers neither in-person nor telehealth sessions"
    if client.population is not None and client.population not in clinician.populations:
        return f"does not see {_label(POPULATIONS, client.population).lower()}"
    return None


def _hard_reasons(client: ClientNeed, clinician: ClinicianOffer) -> list[str]:
    """The hard constraints that held for a proposal, in words."""
    held = [f"Language: speaks {_label(LANGUAGES, client.language)}."]
    if client.modality_required:
        held.append(f"Modality: offers {_label(MODALITIES, client.modality)}, as required.")
    if client.setting == "in_person":
        where = f" at {clinician.site}" if clinician.site else ""
        held.append(f"Setting: sees clients in person{where}, as required.")
    elif client.setting == "telehealth":
        held.append("Setting: offers telehealth, as required.")
    else:
        offered = [
            name
            for name, offers in (
                ("in person", clinician.in_person),
                ("telehealth", clinician.telehealth),
            )
            if offers
        ]
        held.append(
            f"Setting: client has no requirement; clinician offers {' and '.join(offered)}."
        )
    if client.population is not None:
        held.append(f"Population: sees {_label(POPULATIONS, client.population).lower()}.")
    return held


# ---------------------------------------------------------------------------------------------
# Preferences.


def _preferences(
    client: ClientNeed, clinician: ClinicianOffer, slot: Slot
) -> tuple[list[str], list[str]]:
    """Stated preferences this (clinician, slot) meets and does not meet, in words."""
    met: list[str] = []
    unmet: list[str] = []
    if client.specialty is not None:
        name = _label(SPECIALTIES, client.specialty)
        if client.specialty in clinician.specialties:
            met.append(f"specialty: works with {name.lower()}")
        else:
            unmet.append(f"specialty: does not list {name.lower()}")
    if client.modality is not None and not client.modality_required:
        name = _label(MODALITIES, client.modality)
        if client.modality in clinician.modalities:
            met.append(f"modality: offers {name}")
        else:
            unmet.append(f"modality: does not offer {name}")
    if client.preferred_gender is not None:
        wanted = _label(GENDERS, client.preferred_gender).lower()
        if clinician.gender == client.preferred_gender:
            met.append(f"clinician gender: {wanted}, as preferred")
        else:
            unmet.append(f"clinician gender: client prefers a {wanted} clinician")
    if client.times_of_day:
        zone = resolve_zone(client.time_zone or clinician.time_zone)
        band = time_of_day(slot.start.astimezone(zone).time())
        wanted = " or ".join(t for t in _TIMES_OF_DAY if t in client.times_of_day)
        if band in client.times_of_day:
            met.append(f"time of day: {band}, as preferred")
        else:
            unmet.append(f"time of day: {band}; client prefers {wanted}")
    if client.previous_clinician_id is not None:
        if clinician.id == client.previous_clinician_id:
            met.append("continuity: the clinician the client saw before")
        else:
            unmet.append(f"continuity: client saw {client.previous_clinician_id} before")
    return met, unmet


def _proposal(
    client: ClientNeed,
    clinician: ClinicianOffer,
    slot: Slot,
    now: datetime,
    caseload_before: int,
    how: str,
) -> MatchProposal:
    """Build one proposal with its score and reasons."""
    met, unmet = _preferences(client, clinician, slot)
    stated = len(met) + len(unmet)
    days = (slot.start - now).total_seconds() / 86400
    zone = resolve_zone(clinician.time_zone)
    local = slot.start.astimezone(zone)
    reasons = [
        f"Priority: {client.urgency}, waited {client.waited_days} "
        f"day{'' if client.waited_days == 1 else 's'}; {how}.",
        *_hard_reasons(client, clinician),
        (
            f"Slot: free {local:%a %d %b %Y %H:%M} ({clinician.time_zone.replace('_', ' ')}), "
            f"{days:.1f} days from now; caseload has room for {caseload_before} new "
            f"client{'' if caseload_before == 1 else 's'}, this one included."
        ),
    ]
    reasons += [f"Preference met: {m}." for m in met]
    reasons += [f"Preference not met: {u}." for u in unmet]
    if not stated:
        reasons.append("Preferences: none stated.")
    return MatchProposal(
        client_id=client.id,
        clinician_id=clinician.id,
        slot=slot,
        score=round(len(met) / stated, 3) if stated else 1.0,
        days_to_appointment=round(days, 3),
        preferences_met=tuple(met),
        preferences_unmet=tuple(unmet),
        reasons=tuple(reasons),
    )


def _why_unmatched(
    client: ClientNeed, clinicians: Sequence[ClinicianOffer], now: datetime, passed_over: str
) -> Unmatched:
    """Explain, in words, why a client has no proposal; they stay on the waitlist."""
    stay = "Stays on the waitlist in priority order; the next round considers them again."
    failures: dict[str, int] = defaultdict(int)
    fitting: list[ClinicianOffer] = []
    for clinician in clinicians:
        failure = _hard_failure(client, clinician)
        if failure is None:
            fitting.append(clinician)
        else:
            failures[failure] += 1
    if not fitting:
        counted = "; ".join(
            f"{failure}: {count}"
            for failure, count in sorted(failures.items(), key=lambda item: (-item[1], item[0]))
        )
        return Unmatched(
            client.id,
            (
                "No clinician meets every hard constraint (the first each one misses, "
                f"with how many clinicians miss it: {counted}).",
                stay,
            ),
        )
    with_room = [
        c for c in fitting if c.remaining_caseload > 0 and any(s.start >= now for s in c.slots)
    ]
    if not with_room:
        return Unmatched(
            client.id,
            (
                f"The {len(fitting)} clinicians who fit have no caseload room or no free slot "
                "in this window.",
                stay,
            ),
        )
    return Unmatched(
        client.id,
        (
            f"The free slots and caseload places of the {len(with_room)} clinicians who fit went "
            f"to {passed_over}.",
            stay,
        ),
    )


# ---------------------------------------------------------------------------------------------
# The optimiser.


@dataclass
class _Arrays:
    """Every future slot of every clinician with caseload room, as parallel arrays."""

    slots: list[Slot]
    clinician: IntArray
    minutes: IntArray
    tod_by_zone: dict[str, IntArray]

    @classmethod
    def build(cls, clinicians: Sequence[ClinicianOffer], now: datetime) -> _Arrays:
        """Index the slots; times of day are read on each clinician's clock."""
        slots: list[Slot] = []
        owner: list[int] = []
        for j, clinician in enumerate(clinicians):
            if clinician.remaining_caseload <= 0:
                continue
            for slot in sorted(clinician.slots):
                if slot.start >= now:
                    slots.append(slot)
                    owner.append(j)
        minutes = np.array([(s.start - now) // timedelta(minutes=1) for s in slots], np.int64)
        own_zone = np.array(
            [
                _TIMES_OF_DAY.index(
                    time_of_day(s.start.astimezone(resolve_zone(clinicians[j].time_zone)).time())
                )
                for s, j in zip(slots, owner, strict=True)
            ],
            np.int64,
        )
        return cls(slots, np.array(owner, np.int64), minutes, {"": own_zone})

    def times_of_day(self, zone_name: str | None) -> IntArray:
        """Time-of-day index of every slot on the client's clock (or the clinician's)."""
        key = zone_name or ""
        if key not in self.tod_by_zone:
            zone: ZoneInfo = resolve_zone(key)
            self.tod_by_zone[key] = np.array(
                [
                    _TIMES_OF_DAY.index(time_of_day(s.start.astimezone(zone).time()))
                    for s in self.slots
                ],
                np.int64,
            )
        return self.tod_by_zone[key]


def _priority(client: ClientNeed) -> int:
    """Integer weight: urgency first, then days waited (capped at a year, at most doubling)."""
    return URGENCY_WEIGHT[client.urgency] * (
        _WAIT_CAP_DAYS + min(client.waited_days, _WAIT_CAP_DAYS)
    )


def _priority_order(clients: Sequence[ClientNeed]) -> list[int]:
    """Client indices, most urgent first, then longest waiting, then by id for stability."""
    return sorted(
        range(len(clients)),
        key=lambda i: (
            URGENCY_ORDER.index(clients[i].urgency),
            -clients[i].waited_days,
            clients[i].id,
        ),
    )


def _signature(client: ClientNeed) -> tuple[object, ...]:
    """The parts of a need that decide hard compatibility (clients sharing it share clinicians)."""
    return (
        client.language,
        client.modality if client.modality_required else None,
        client.setting,
        client.sites,
        client.population,
    )


class _CostModel:
    """Integer cost of each (client, slot) arc: priority * minutes plus unmet preferences."""

    def __init__(
        self, clinicians: Sequence[ClinicianOffer], arrays: _Arrays, weights: MatchWeights
    ) -> None:
        self.arrays = arrays
        # A preference is priced as that many minutes of a routine, never-waited client's wait.
        unit = URGENCY_WEIGHT["routine"] * _WAIT_CAP_DAYS * 60
        self.specialty = int(weights.specialty_hours * unit)
        self.modality = int(weights.modality_hours * unit)
        self.gender = int(weights.gender_hours * unit)
        self.time_of_day = int(weights.time_of_day_hours * unit)
        self.continuity = int(weights.continuity_hours * unit)
        self.most_penalty = (
            self.specialty + self.modality + self.gender + self.time_of_day + self.continuity
        )
        self.horizon = int(arrays.minutes.max()) + 1 if len(arrays.slots) else 1
        self.offers_specialty = _membership(clinicians, lambda c: c.specialties)
        self.offers_modality = _membership(clinicians, lambda c: c.modalities)
        self.gender_of = np.array([c.gender or "" for c in clinicians], dtype=object)
        self.index_of = {c.id: j for j, c in enumerate(clinicians)}

    def costs(self, client: ClientNeed, cand: IntArray) -> IntArray:
        """Cost of giving ``client`` each slot index in ``cand``."""
        owner = self.arrays.clinician[cand]
        cost: IntArray = _priority(client) * self.arrays.minutes[cand]
        if client.specialty is not None:
            cost += self.specialty * ~self.offers_specialty(client.specialty)[owner]
        if client.modality is not None and not client.modality_required:
            cost += self.modality * ~self.offers_modality(client.modality)[owner]
        if client.preferred_gender is not None:
            unmet = (self.gender_of[owner] != client.preferred_gender).astype(np.int64)
            cost += self.gender * unmet
        if client.times_of_day:
            wanted = np.array([t in client.times_of_day for t in _TIMES_OF_DAY], np.bool_)
            bands = self.arrays.times_of_day(client.time_zone)[cand]
            cost += self.time_of_day * ~wanted[bands]
        if client.previous_clinician_id is not None:
            previous = self.index_of.get(client.previous_clinician_id, -1)
            cost += self.continuity * (owner != previous)
        return cost

    def unmatched(self, client: ClientNeed) -> int:
        """Cost of leaving ``client`` unmatched: more than any slot, in proportion to priority."""
        return _priority(client) * (self.horizon + 24 * 60) + self.most_penalty + 1


class _Fits:
    """Slot indices each client may take under the hard constraints, cached by need."""

    def __init__(self, clinicians: Sequence[ClinicianOffer], arrays: _Arrays) -> None:
        self.clinicians = clinicians
        self.arrays = arrays
        self.cache: dict[tuple[object, ...], IntArray] = {}

    def slots(self, client: ClientNeed) -> IntArray:
        """Indices of every future slot, of a clinician with room, that fits this client."""
        sig = _signature(client)
        if sig not in self.cache:
            fits = np.array([_hard_failure(client, c) is None for c in self.clinicians], np.bool_)
            self.cache[sig] = np.flatnonzero(fits[self.arrays.clinician]).astype(np.int64)
        return self.cache[sig]


def propose_matches(
    clients: Sequence[ClientNeed],
    clinicians: Sequence[ClinicianOffer],
    now: datetime,
    weights: MatchWeights | None = None,
    max_arcs: int | None = DEFAULT_MAX_ARCS,
) -> MatchResult:
    """Propose a clinician and first slot per client by min-cost flow (see module docstring)."""
    _validate(clients, clinicians, now)
    if max_arcs is not None and max_arcs < 1:
        raise InvalidInput("max_arcs must be at least 1, or None for no limit.")
    arrays = _Arrays.build(clinicians, now)
    model = _CostModel(clinicians, arrays, weights or MatchWeights())
    fits = _Fits(clinicians, arrays)
    n_clients, n_slots, n_clinicians = len(clients), len(arrays.slots), len(clinicians)

    # The flow takes clients in priority order while their arcs fit the budget; the rest (the
    # lowest priorities, when the instance is very large) are served by the fill below.
    admitted: list[int] = []
    n_match_arcs = 0
    for i in _priority_order(clients):
        arcs = len(fits.slots(clients[i]))
        if max_arcs is not None and n_match_arcs + arcs > max_arcs:
            break
        admitted.append(i)
        n_match_arcs += arcs
    tails: list[IntArray] = []
    heads: list[IntArray] = []
    costs: list[IntArray] = []
    for i in admitted:
        cand = fits.slots(clients[i])
        tails.append(np.full(len(cand), i, np.int64))
        heads.append(cand + n_clients)
        costs.append(model.costs(clients[i], cand))
    in_flow = np.array(sorted(admitted), np.int64)

    # Nodes: clients, then slots, then clinicians, then the sink.
    first_slot, first_clinician = n_clients, n_clients + n_slots
    sink = n_clients + n_slots + n_clinicians
    caseloads = np.array([max(c.remaining_caseload, 0) for c in clinicians], np.int64)
    all_tails = np.concatenate(
        [
            *tails,
            np.arange(n_slots, dtype=np.int64) + first_slot,
            np.arange(n_clinicians, dtype=np.int64) + first_clinician,
            in_flow,
        ]
    )
    all_heads = np.concatenate(
        [
            *heads,
            arrays.clinician + first_clinician,
            np.full(n_clinicians, sink, np.int64),
            np.full(len(in_flow), sink, np.int64),
        ]
    )
    all_caps = np.concatenate(
        [np.ones(n_match_arcs + n_slots, np.int64), caseloads, np.ones(len(in_flow), np.int64)]
    )
    all_costs = np.concatenate(
        [
            *costs,
            np.zeros(n_slots + n_clinicians, np.int64),
            np.array([model.unmatched(clients[i]) for i in in_flow], np.int64),
        ]
    )
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        all_tails.astype(np.int32), all_heads.astype(np.int32), all_caps, all_costs
    )
    supplies = np.zeros(sink + 1, np.int64)
    supplies[in_flow] = 1
    supplies[sink] = -len(in_flow)
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:  # pragma: no cover - the unmatched arcs make it always feasible
        raise RuntimeError(f"The min-cost flow did not solve (status {status}).")
    flows = solver.flows(np.arange(n_match_arcs, dtype=np.int32))
    chosen = {
        int(all_tails[arc]): int(all_heads[arc]) - first_slot for arc in np.flatnonzero(flows)
    }

    # Clients left out of the flow take, in priority order, the cheapest free slot that fits.
    # (An optimal flow never leaves one of its own clients out while a fitting slot is free,
    # so the result is maximal either way.)
    filled: set[int] = set()
    used = np.zeros(n_slots, np.bool_)
    room = caseloads.copy()
    for slot_index in chosen.values():
        used[slot_index] = True
        room[arrays.clinician[slot_index]] -= 1
    for i in _priority_order(clients):
        if i in chosen:
            continue
        cand = fits.slots(clients[i])
        free = cand[~used[cand] & (room[arrays.clinician[cand]] > 0)]
        if not len(free):
            continue
        best = int(free[int(np.argmin(model.costs(clients[i], free)))])
        chosen[i] = best
        filled.add(i)
        used[best] = True
        room[arrays.clinician[best]] -= 1

    return _result(
        "min-cost flow (OR-Tools)",
        clients,
        clinicians,
        arrays,
        chosen,
        caseloads,
        now,
        how=lambda i: (
            "given the best free slot left after the solve"
            if i in filled
            else "weighed against every other client's urgency and wait"
        ),
        passed_over="clients with higher priority (urgency, then time waited)",
    )


def _result(
    method: str,
    clients: Sequence[ClientNeed],
    clinicians: Sequence[ClinicianOffer],
    arrays: _Arrays,
    chosen: dict[int, int],
    caseloads: IntArray,
    now: datetime,
    how: Callable[[int], str],
    passed_over: str,
) -> MatchResult:
    """Turn chosen (client index -> slot index) into proposals and explanations."""
    proposals: list[MatchProposal] = []
    unmatched: list[Unmatched] = []
    room = caseloads.copy()
    ordered = _priority_order(clients)
    for i in ordered:
        if i not in chosen:
            continue
        slot_index = chosen[i]
        j = int(arrays.clinician[slot_index])
        proposals.append(
            _proposal(
                clients[i], clinicians[j], arrays.slots[slot_index], now, int(room[j]), how(i)
            )
        )
        room[j] -= 1
    # Clients with the same hard needs are unmatched for the same reasons: explain each need once.
    why: dict[tuple[object, ...], tuple[str, ...]] = {}
    for i in ordered:
        if i not in chosen:
            sig = _signature(clients[i])
            if sig not in why:
                why[sig] = _why_unmatched(clients[i], clinicians, now, passed_over).reasons
            unmatched.append(Unmatched(clients[i].id, why[sig]))
    return MatchResult(method, proposals, unmatched)


def _membership(
    clinicians: Sequence[ClinicianOffer], attribute: Callable[[ClinicianOffer], frozenset[str]]
) -> Callable[[str], BoolArray]:
    """A cached lookup: code -> boolean array, True where the clinician lists that code."""
    cache: dict[str, BoolArray] = {}

    def lookup(code: str) -> BoolArray:
        if code not in cache:
            cache[code] = np.array([code in attribute(c) for c in clinicians], np.bool_)
        return cache[code]

    return lookup


# ---------------------------------------------------------------------------------------------
# The first-come-first-served baseline.


def greedy_first_come(
    clients: Sequence[ClientNeed], clinicians: Sequence[ClinicianOffer], now: datetime
) -> MatchResult:
    """Baseline: longest-waiting first, each client takes the earliest slot that fits."""
    _validate(clients, clinicians, now)
    arrays = _Arrays.build(clinicians, now)
    by_clinician: dict[int, list[int]] = defaultdict(list)
    for slot_index, owner in enumerate(arrays.clinician.tolist()):
        by_clinician[owner].append(slot_index)
    for slot_list in by_clinician.values():
        slot_list.sort(key=lambda s: (arrays.slots[s].start, s))
    # Every client takes a clinician's earliest free slot, so a clinician's slots are used in
    # time order and one pointer per clinician finds the next free one.
    next_free = dict.fromkeys(by_clinician, 0)
    caseloads = np.array([max(c.remaining_caseload, 0) for c in clinicians], np.int64)
    room = caseloads.copy()
    fits: dict[tuple[object, ...], list[int]] = {}
    chosen: dict[int, int] = {}
    order = sorted(range(len(clients)), key=lambda i: (-clients[i].waited_days, clients[i].id))
    for i in order:
        client = clients[i]
        sig = _signature(client)
        if sig not in fits:
            fits[sig] = [j for j in by_clinician if _hard_failure(client, clinicians[j]) is None]
        best: tuple[datetime, int, int] | None = None
        for j in fits[sig]:
            if room[j] <= 0 or next_free[j] >= len(by_clinician[j]):
                continue
            slot_index = by_clinician[j][next_free[j]]
            candidate = (arrays.slots[slot_index].start, j, slot_index)
            if best is None or candidate < best:
                best = candidate
        if best is None:
            continue
        _, j, slot_index = best
        chosen[i] = slot_index
        next_free[j] += 1
        room[j] -= 1
    return _result(
        "first come, first served",
        clients,
        clinicians,
        arrays,
        chosen,
        caseloads,
        now,
        how=lambda i: "first come, first served: the earliest slot that fits",
        passed_over="clients who had waited longer (first come, first served)",
    )


# ---------------------------------------------------------------------------------------------
# Independent verification.


def check_hard_constraints(
    proposals: Iterable[MatchProposal],
    clients: Sequence[ClientNeed],
    clinicians: Sequence[ClinicianOffer],
) -> list[str]:
    """Every broken hard constraint among the proposals, in words; empty when all hold."""
    # Written apart from _hard_failure on purpose, so a bug there is caught here.
    client_by_id = {c.id: c for c in clients}
    clinician_by_id = {c.id: c for c in clinicians}
    problems: list[str] = []
    seen_clients: set[str] = set()
    booked: dict[str, list[Slot]] = defaultdict(list)
    for p in proposals:
        client = client_by_id.get(p.client_id)
        clinician = clinician_by_id.get(p.clinician_id)
        if client is None or clinician is None:
            problems.append(f"{p.client_id} -> {p.clinician_id}: unknown client or clinician")
            continue
        pair = f"{client.id} -> {clinician.id}"
        if client.id in seen_clients:
            problems.append(f"{client.id}: proposed more than once")
        seen_clients.add(client.id)
        if client.language not in clinician.languages:
            problems.append(f"{pair}: no shared language ({client.language})")
        if client.modality_required and client.modality not in clinician.modalities:
            problems.append(f"{pair}: required modality {client.modality} not offered")
        if client.setting == "in_person" and not clinician.in_person:
            problems.append(f"{pair}: in person required, clinician does not see in person")
        if client.setting == "in_person" and client.sites and clinician.site not in client.sites:
            problems.append(f"{pair}: site {clinician.site} not one the client can reach")
        if client.setting == "telehealth" and not clinician.telehealth:
            problems.append(f"{pair}: telehealth required, clinician does not offer it")
        if client.population is not None and client.population not in clinician.populations:
            problems.append(f"{pair}: clinician does not see {client.population}")
        if p.slot not in clinician.slots:
            problems.append(
                f"{pair}: slot {p.slot.start.isoformat()} is not one the clinician offers"
            )
        booked[clinician.id].append(p.slot)
    for clinician_id, slots in booked.items():
        clinician = clinician_by_id[clinician_id]
        if len(slots) > clinician.remaining_caseload:
            problems.append(
                f"{clinician_id}: {len(slots)} new clients, "
                f"caseload room {clinician.remaining_caseload}"
            )
        ordered = sorted(slots)
        for earlier, later in pairwise(ordered):
            if later.start < earlier.end:
                problems.append(
                    f"{clinician_id}: slot {later.start.isoformat()} used twice or overlapping"
                )
    return problems


# ---------------------------------------------------------------------------------------------
# Helpers.


def _validate(
    clients: Sequence[ClientNeed], clinicians: Sequence[ClinicianOffer], now: datetime
) -> None:
    """Refuse input that would make a proposal meaningless, naming what to fix."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput(f"'now' ({now}) needs a time zone.")
    for kind, ids in (
        ("client", [c.id for c in clients]),
        ("clinician", [c.id for c in clinicians]),
    ):
        duplicates = sorted(x for x, n in Counter(ids).items() if n > 1)
        if duplicates:
            raise InvalidInput(f"Duplicate {kind} ids: {', '.join(duplicates[:5])}.")


def _label(vocabulary: Mapping[str, Term], code: str | None) -> str:
    """The readable label of a code, or the code itself when the list does not hold it."""
    if code is None:
        return "none"
    term = vocabulary.get(code)
    return term.label if term is not None else code
