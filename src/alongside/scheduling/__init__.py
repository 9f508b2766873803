"""Scheduling: availability, slots, matching proposals, appointments.

Pure modules (no database, settings or clock; pass ``now``):

- :mod:`alongside.scheduling.availability` -- ``bookable_slots(...)`` from weekly hours,
  leave and extra hours, in the clinician's IANA zone, with a deliberate daylight-saving policy.
- :mod:`alongside.scheduling.matching` -- ``propose_matches(...)`` (OR-Tools min-cost flow),
  ``greedy_first_come(...)`` (baseline) and ``check_hard_constraints(...)``.
- :mod:`alongside.scheduling.vocabulary` -- the maintained lists (specialties, modalities,
  populations, languages, ...) with their sources.

Nothing is re-exported here, so importing the package does not load OR-Tools.
"""
