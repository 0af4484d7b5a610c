"""Mail: the transactional outbox, the SMTP (or .eml) transport, and the worker that delivers."""
