"""Audit: every access to client data leaves one hash-chained event.

- :mod:`alongside.audit.chain`: canonical JSON, event hashes, :func:`seal` and the streaming
  :func:`verify_chain` (pure; no database).
"""
