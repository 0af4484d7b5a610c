"""Series, sessions, agenda, calendars (ICS) and summaries. Never imports ``registrations``."""
