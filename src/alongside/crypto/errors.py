"""Errors raised by the crypto package.

Tree::

    AlongsideError
    ├── CryptoError (500)              something cryptographic failed
    │   ├── DecryptionError            ciphertext altered, moved, or the key is wrong/destroyed
    │   └── UnknownKeyError            a wrapped key names a KEK the provider does not hold
    └── ConfigurationError
        └── KeyFileError (500)         the key file is missing, unreadable, malformed or too open
"""

from __future__ import annotations

from alongside.errors import AlongsideError, ConfigurationError


class CryptoError(AlongsideError):
    """A cryptographic operation failed."""

    status_code = 500


class DecryptionError(CryptoError):
    """A ciphertext could not be authenticated: altered, moved, or the key is wrong."""


class UnknownKeyError(CryptoError):
    """A wrapped data key names a key-encryption key that the provider does not hold."""


class KeyFileError(ConfigurationError):
    """The key file cannot be used safely; the message says what to run."""
