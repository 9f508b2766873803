"""Privacy: key rotation, a client's export and erasure (crypto-shredding)."""
