"""Alongside: screening, triage, scheduling and notes for mental-health clinics; a clinician decides."""

__version__ = "0.1.0"
