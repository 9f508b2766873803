"""Notifications: the transactional outbox, its delivery worker and its admin view."""
