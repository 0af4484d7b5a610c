"""Registrants, registrations, needs, waitlist, approvals, speakers' list, attendance, reports, notifications."""
