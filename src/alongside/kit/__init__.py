"""Helpers with no domain words: time, HTTP content negotiation, base schema."""
