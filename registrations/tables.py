"""Registrations and what hangs off them (filled in by the registration issue)."""
