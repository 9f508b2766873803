"""Accounts: users, sign-in sessions and the home pages."""
