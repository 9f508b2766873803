"""The client's intake: staff create a single-use link; the client consents, answers and submits.

See :mod:`alongside.intake.service` for the API and :mod:`alongside.triage.service` for what
happens on submit.
"""
