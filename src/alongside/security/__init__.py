"""Accounts and access: password hashing and policy, TOTP, permissions as data, the pure policy.

- :mod:`alongside.security.passwords`: argon2id hashing and the ASVS 5.0 password policy.
- :mod:`alongside.security.totp`: TOTP second factor with replay protection.
- :mod:`alongside.security.permissions`: roles, actions and the role → action table (data).
- :mod:`alongside.security.policy`: the pure ``can(actor, action, resource)`` and readable sets.

These modules import nothing of the application (no database, settings or clock).
"""
