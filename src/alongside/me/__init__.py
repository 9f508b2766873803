"""The client's own space: their progress, appointments, data, consents, corrections, erasure."""
