"""Per-client envelope encryption, key-encryption keys and blind indexes.

- :mod:`alongside.crypto.keys`: the key-encryption key (KEK) interface and the local key file.
- :mod:`alongside.crypto.envelope`: per-client data keys and AES-256-GCM field encryption.
- :mod:`alongside.crypto.blind_index`: keyed HMAC indexes for exact lookup (e.g. by email).
- :mod:`alongside.crypto.errors`: what goes wrong, as :class:`~alongside.errors.AlongsideError`.

Everything here is pure of the application: no database, no settings, no clock.
"""
