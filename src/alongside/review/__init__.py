"""The clinician review queue, case view and decisions; rule versions and oversight pages."""
