"""Matching proposals: hard constraints hold, urgency wins early slots, reasons are given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alongside.errors import InvalidInput
from alongside.scheduling.availability import Slot
from alongside.scheduling.matching import (
    ClientNeed,
    ClinicianOffer,
    MatchProposal,
    MatchResult,
    check_hard_constraints,
    greedy_first_come,
    propose_matches,
)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def slot(hours_from_now: float, minutes: int = 50) -> Slot:
    """A slot starting the given number of hours after NOW."""
    start = NOW + timedelta(hours=hours_from_now)
    return Slot(start, start + timedelta(minutes=minutes))


def clinician(cid: str = "dr-a", **overrides: object) -> ClinicianOffer:
    """An English-speaking adult clinician with room for five and slots at +1 h and +25 h."""
    base = ClinicianOffer(
        id=cid,
        languages=frozenset({"en"}),
        modalities=frozenset({"cbt"}),
        populations=frozenset({"adults"}),
        specialties=frozenset({"depression"}),
        gender="woman",
        in_person=True,
        telehealth=True,
        site="north",
        remaining_caseload=5,
        slots=(slot(1), slot(25)),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def client(cid: str = "c1", **overrides: object) -> ClientNeed:
    """A routine English-speaking adult with no stated preferences."""
    base = ClientNeed(id=cid, urgency="routine", waited_days=10, language="en", population="adults")
    return replace(base, **overrides)  # type: ignore[arg-type]


def by_client(result: MatchResult) -> dict[str, MatchProposal]:
    """Proposals keyed by client id."""
    return {p.client_id: p for p in result.proposals}


def test_urgent_client_gets_the_earliest_slot_even_after_a_long_routine_wait() -> None:
    clients = [
        client("routine", urgency="routine", waited_days=300),
        client("urgent", urgency="urgent", waited_days=0),
    ]
    result = by_client(propose_matches(clients, [clinician()], NOW))
    assert result["urgent"].slot == slot(1)
    assert result["routine"].slot == slot(25)
    # The first-come baseline gives the early slot to whoever waited longest.
    baseline = by_client(greedy_first_come(clients, [clinician()], NOW))
    assert baseline["routine"].slot == slot(1)


def test_scarce_place_goes_to_the_more_urgent_client() -> None:
    clients = [client("soon", urgency="soon", waited_days=200), client("crisis", urgency="crisis")]
    result = propose_matches(clients, [clinician(remaining_caseload=1)], NOW)
    assert [p.client_id for p in result.proposals] == ["crisis"]
    assert [u.client_id for u in result.unmatched] == ["soon"]
    assert "higher priority" in result.unmatched[0].reasons[0]
    assert "Stays on the waitlist" in result.unmatched[0].reasons[-1]


def test_within_one_urgency_the_longer_wait_comes_first() -> None:
    clients = [client("new", waited_days=1), client("old", waited_days=120)]
    result = by_client(propose_matches(clients, [clinician()], NOW))
    assert result["old"].slot == slot(1)


def test_language_mismatch_never_matches() -> None:
    result = propose_matches([client(language="fa")], [clinician()], NOW)
    assert result.proposals == []
    assert "does not speak Persian (Farsi)" in result.unmatched[0].reasons[0]


def test_caseload_is_respected() -> None:
    offer = clinician(remaining_caseload=1, slots=(slot(1), slot(2), slot(3)))
    clients = [client(f"c{k}", waited_days=k) for k in range(3)]
    result = propose_matches(clients, [offer], NOW)
    assert len(result.proposals) == 1
    assert check_hard_constraints(result.proposals, clients, [offer]) == []


def test_zero_caseload_room_means_no_new_clients() -> None:
    result = propose_matches([client()], [clinician(remaining_caseload=0)], NOW)
    assert result.proposals == []
    assert "no caseload room or no free slot" in result.unmatched[0].reasons[0]


def test_a_slot_is_never_used_twice() -> None:
    offer = clinician(slots=(slot(1),))
    clients = [client("a"), client("b"), client("c", urgency="urgent")]
    for result in (
        propose_matches(clients, [offer], NOW),
        greedy_first_come(clients, [offer], NOW),
    ):
        assert len(result.proposals) == 1
        assert len(result.unmatched) == 2


def test_past_slots_are_not_offered() -> None:
    result = propose_matches([client()], [clinician(slots=(slot(-2), slot(5)))], NOW)
    assert result.proposals[0].slot == slot(5)


def test_continuity_is_preferred_when_all_else_is_equal() -> None:
    clinicians = [clinician("dr-a"), clinician("dr-b")]
    result = propose_matches([client(previous_clinician_id="dr-b")], clinicians, NOW)
    proposal = result.proposals[0]
    assert proposal.clinician_id == "dr-b"
    assert any("continuity" in m for m in proposal.preferences_met)


@pytest.mark.parametrize(
    ("need", "fits", "misses"),
    [
        ({"modality": "emdr", "modality_required": True}, {"modalities": frozenset({"emdr"})}, {}),
        ({"setting": "in_person"}, {}, {"in_person": False}),
        ({"setting": "in_person", "sites": frozenset({"south"})}, {"site": "south"}, {}),
        ({"setting": "telehealth"}, {}, {"telehealth": False}),
        ({"population": "adolescents"}, {"populations": frozenset({"adolescents"})}, {}),
    ],
)
def test_each_hard_constraint_picks_the_clinician_who_meets_it(
    need: dict[str, object], fits: dict[str, object], misses: dict[str, object]
) -> None:
    # The clinician who misses the constraint has the earlier slot, so only the constraint
    # can explain choosing the other one.
    early_miss = clinician("dr-miss", slots=(slot(1),), **misses)
    late_fit = clinician("dr-fit", slots=(slot(30),), **fits)
    clients = [client("c1", **need)]
    result = propose_matches(clients, [early_miss, late_fit], NOW)
    assert [p.clinician_id for p in result.proposals] == ["dr-fit"]
    alone = propose_matches(clients, [early_miss], NOW)
    assert alone.proposals == []


def test_specialty_preference_is_met_when_waiting_cost_is_equal() -> None:
    clinicians = [clinician("dr-a"), clinician("dr-b", specialties=frozenset({"trauma"}))]
    proposal = propose_matches([client(specialty="trauma")], clinicians, NOW).proposals[0]
    assert proposal.clinician_id == "dr-b"
    assert proposal.score == 1.0


def test_routine_client_waits_a_little_for_a_better_fit() -> None:
    # A woman clinician an hour later beats a man now for a routine client who prefers a woman.
    clinicians = [
        clinician("dr-man", gender="man", slots=(slot(1),)),
        clinician("dr-woman", gender="woman", slots=(slot(2),)),
    ]
    proposal = propose_matches([client(preferred_gender="woman")], clinicians, NOW).proposals[0]
    assert proposal.clinician_id == "dr-woman"


def test_crisis_client_takes_the_earliest_slot_over_a_preference() -> None:
    clinicians = [
        clinician("dr-man", gender="man", slots=(slot(1),)),
        clinician("dr-woman", gender="woman", slots=(slot(30),)),
    ]
    need = client(urgency="crisis", preferred_gender="woman")
    proposal = propose_matches([need], clinicians, NOW).proposals[0]
    assert proposal.clinician_id == "dr-man"
    assert proposal.preferences_unmet == ("clinician gender: client prefers a woman clinician",)
    assert proposal.score == 0.0


def test_time_of_day_is_read_on_the_clients_clock() -> None:
    # 15:00 UTC is 10:00 in New York (morning) and 15:00 in London (afternoon).
    at_three = Slot(NOW.replace(hour=15), NOW.replace(hour=15, minute=50))
    offer = clinician(slots=(at_three,), time_zone="Europe/London")
    new_yorker = client(times_of_day=frozenset({"morning"}), time_zone="America/New_York")
    londoner = client(times_of_day=frozenset({"morning"}))
    assert propose_matches([new_yorker], [offer], NOW).proposals[0].preferences_unmet == ()
    assert propose_matches([londoner], [offer], NOW).proposals[0].preferences_unmet == (
        "time of day: afternoon; client prefers morning",
    )


def test_reasons_name_the_constraints_preferences_and_slot() -> None:
    need = client(
        modality="cbt",
        modality_required=True,
        setting="telehealth",
        specialty="trauma",
        times_of_day=frozenset({"morning"}),
    )
    proposal = propose_matches([need], [clinician()], NOW).proposals[0]
    text = "\n".join(proposal.reasons)
    assert "Priority: routine, waited 10 days" in text
    assert "Language: speaks English." in text
    assert "Modality: offers Cognitive behavioural therapy (CBT), as required." in text
    assert "Setting: offers telehealth, as required." in text
    assert "Population: sees adults." in text
    assert "Slot: free Mon 02 Mar 2026 09:00 (UTC)" in text
    assert "Preference met: time of day: morning, as preferred." in text
    assert "Preference not met: specialty: does not list trauma and stress" in text
    assert proposal.score == 0.5
    assert proposal.days_to_appointment == pytest.approx(1 / 24, abs=1e-3)


def test_unmatched_reason_counts_what_each_clinician_misses() -> None:
    clinicians = [clinician("dr-a", languages=frozenset({"es"})), clinician("dr-b")]
    result = propose_matches([client(language="es", population="couples")], clinicians, NOW)
    reason = result.unmatched[0].reasons[0]
    assert "does not speak Spanish: 1" in reason
    assert "does not see couples: 1" in reason


def test_greedy_serves_longest_waiting_first_at_their_earliest_fitting_slot() -> None:
    clinicians = [
        clinician("dr-es", languages=frozenset({"es"}), slots=(slot(1),)),
        clinician("dr-en", slots=(slot(3), slot(4))),
    ]
    clients = [
        client("en-new", waited_days=1),
        client("en-old", waited_days=90),
        client("es", language="es", waited_days=5),
    ]
    result = by_client(greedy_first_come(clients, clinicians, NOW))
    assert result["en-old"].slot == slot(3)
    assert result["en-new"].slot == slot(4)
    assert result["es"].clinician_id == "dr-es"
    assert "first come, first served" in result["en-old"].reasons[0]
    full = greedy_first_come([*clients, client("en-late", waited_days=0)], clinicians, NOW)
    assert [u.client_id for u in full.unmatched] == ["en-late"]
    assert "clients who had waited longer" in full.unmatched[0].reasons[0]


def test_check_hard_constraints_finds_every_kind_of_breach() -> None:
    offer = clinician(remaining_caseload=1, slots=(slot(1),))
    clients = [client("a", language="fa"), client("b")]
    bad = [
        MatchProposal("a", "dr-a", slot(1), 1.0, 0.0, (), (), ("x",)),
        MatchProposal("b", "dr-a", slot(1), 1.0, 0.0, (), (), ("x",)),
        MatchProposal("b", "dr-a", slot(9), 1.0, 0.0, (), (), ("x",)),
        MatchProposal("ghost", "dr-a", slot(1), 1.0, 0.0, (), (), ("x",)),
    ]
    problems = "\n".join(check_hard_constraints(bad, clients, [offer]))
    assert "no shared language (fa)" in problems
    assert "b: proposed more than once" in problems
    assert "is not one the clinician offers" in problems
    assert "3 new clients, caseload room 1" in problems
    assert "used twice or overlapping" in problems
    assert "unknown client or clinician" in problems


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: client(urgency="whenever"), "urgency must be one of"),
        (lambda: client(waited_days=-1), "cannot be negative"),
        (lambda: client(setting="home"), "setting must be"),
        (lambda: client(modality_required=True), "required modality needs a modality"),
        (lambda: client(times_of_day=frozenset({"noon"})), "unknown times of day"),
        (lambda: client(time_zone="Nowhere/Else"), "Unknown time zone"),
        (lambda: clinician(remaining_caseload=-1), "cannot be negative"),
        (lambda: clinician(slots=(slot(1, 60), slot(1.5))), "overlap"),
        (lambda: propose_matches([client(), client()], [clinician()], NOW), "Duplicate client"),
        (
            lambda: propose_matches([client()], [clinician()], NOW.replace(tzinfo=None)),
            "needs a time zone",
        ),
        (lambda: propose_matches([client()], [clinician()], NOW, max_arcs=0), "max_arcs"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(InvalidInput, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# Generated instances.

LANGS = ["en", "es", "fa"]
POPS = ["adults", "adolescents"]
MODS = ["cbt", "emdr"]


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[ClientNeed], list[ClinicianOffer]]:
    """Small random waitlists and clinicians, dense in conflicts."""
    n_clinicians = draw(st.integers(1, 4))
    clinicians = []
    for j in range(n_clinicians):
        hours = sorted(draw(st.sets(st.integers(-3, 60), max_size=5)))
        in_person = draw(st.booleans())
        clinicians.append(
            ClinicianOffer(
                id=f"dr-{j}",
                languages=frozenset(draw(st.sets(st.sampled_from(LANGS), min_size=1))),
                modalities=frozenset(draw(st.sets(st.sampled_from(MODS)))),
                populations=frozenset(draw(st.sets(st.sampled_from(POPS)))),
                specialties=frozenset(draw(st.sets(st.sampled_from(["depression", "trauma"])))),
                gender=draw(st.sampled_from(["woman", "man", None])),
                in_person=in_person,
                telehealth=draw(st.booleans()) or not in_person,
                site=draw(st.sampled_from(["north", "south"])) if in_person else None,
                remaining_caseload=draw(st.integers(0, 4)),
                slots=tuple(slot(h) for h in hours),
            )
        )
    n_clients = draw(st.integers(1, 8))
    clients = []
    for k in range(n_clients):
        modality = draw(st.sampled_from([None, *MODS]))
        clients.append(
            ClientNeed(
                id=f"c{k}",
                urgency=draw(st.sampled_from(["crisis", "urgent", "soon", "routine"])),
                waited_days=draw(st.integers(0, 400)),
                language=draw(st.sampled_from(LANGS)),
                population=draw(st.sampled_from([None, *POPS])),
                setting=draw(st.sampled_from(["either", "in_person", "telehealth"])),
                sites=frozenset(draw(st.sets(st.sampled_from(["north", "south"])))),
                modality=modality,
                modality_required=modality is not None and draw(st.booleans()),
                preferred_gender=draw(st.sampled_from([None, "woman", "man"])),
                times_of_day=frozenset(draw(st.sets(st.sampled_from(["morning", "evening"])))),
                specialty=draw(st.sampled_from([None, "trauma"])),
                previous_clinician_id=draw(st.sampled_from([None, "dr-0", "dr-9"])),
            )
        )
    return clients, clinicians


def assert_sound(
    result: MatchResult, clients: Sequence[ClientNeed], clinicians: Sequence[ClinicianOffer]
) -> None:
    """No hard constraint broken, every client accounted for once, nobody left out needlessly."""
    assert check_hard_constraints(result.proposals, clients, clinicians) == []
    matched = [p.client_id for p in result.proposals]
    unmatched = [u.client_id for u in result.unmatched]
    assert sorted(matched + unmatched) == sorted(c.id for c in clients)
    for proposal in result.proposals:
        assert proposal.slot.start >= NOW
        assert 0.0 <= proposal.score <= 1.0
        assert any(r.startswith("Language:") for r in proposal.reasons)
        assert any(r.startswith("Slot:") for r in proposal.reasons)
    for left in result.unmatched:
        assert left.reasons
    # Maximal: no unmatched client fits a free future slot of a clinician with room.
    used = {(p.clinician_id, p.slot) for p in result.proposals}
    taken = {c.id: sum(p.clinician_id == c.id for p in result.proposals) for c in clinicians}
    by_id = {c.id: c for c in clients}
    for left in result.unmatched:
        need = by_id[left.client_id]
        for offer in clinicians:
            if taken[offer.id] >= offer.remaining_caseload:
                continue
            free = [s for s in offer.slots if s.start >= NOW and (offer.id, s) not in used]
            if free:
                probe = MatchProposal(need.id, offer.id, free[0], 1.0, 0.0, (), (), ())
                assert check_hard_constraints([probe], [need], [offer]) != [], (
                    f"{need.id} left out but fits {offer.id}"
                )


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(instance=instances(), budget=st.sampled_from([None, 1, 4]))
def test_generated_instances_break_no_hard_constraint(
    instance: tuple[list[ClientNeed], list[ClinicianOffer]], budget: int | None
) -> None:
    clients, clinicians = instance
    assert_sound(propose_matches(clients, clinicians, NOW, max_arcs=budget), clients, clinicians)
    assert_sound(greedy_first_come(clients, clinicians, NOW), clients, clinicians)


@settings(max_examples=100, deadline=None)
@given(instance=instances())
def test_generated_instances_most_urgent_matched_no_later_than_less_urgent(
    instance: tuple[list[ClientNeed], list[ClinicianOffer]],
) -> None:
    # Two clients with identical needs but different urgency: the more urgent one is never
    # the one left out, and never seen later, when both fit the same clinicians.
    clients, clinicians = instance
    twin = replace(
        clients[0], id="twin", urgency="routine", waited_days=0, previous_clinician_id=None
    )
    first = replace(clients[0], urgency="crisis", previous_clinician_id=None)
    pair = [first, twin]
    result = by_client(propose_matches(pair, clinicians, NOW))
    if "twin" in result:
        assert first.id in result
        # Their preferences are the same, so swapping slots changes only the waiting cost.
        assert result[first.id].slot.start <= result["twin"].slot.start


def test_plain_sets_and_lists_are_accepted() -> None:
    need = client(setting="in_person", sites={"north"}, times_of_day=["morning"])
    offer = clinician(languages={"en"}, slots=[slot(1)])
    result = propose_matches([need], [offer], NOW)
    assert [p.clinician_id for p in result.proposals] == ["dr-a"]
    assert need.sites == frozenset({"north"})


def test_clients_beyond_the_arc_budget_are_served_after_the_flow_in_priority_order() -> None:
    offer = clinician(remaining_caseload=2, slots=(slot(1), slot(2), slot(3)))
    clients = [client("urgent", urgency="urgent"), client("soon", urgency="soon"), client("r")]
    # Each client fits three arcs; a budget of three admits only the urgent client to the flow.
    result = propose_matches(clients, [offer], NOW, max_arcs=3)
    proposals = by_client(result)
    assert proposals["urgent"].slot == slot(1)
    assert proposals["soon"].slot == slot(2)
    assert "best free slot left after the solve" in proposals["soon"].reasons[0]
    assert [u.client_id for u in result.unmatched] == ["r"]
