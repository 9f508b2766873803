"""Alongside: screening, triage, scheduling and notes for clinics; a clinician decides."""

__version__ = "0.1.0"
