"""Infrastructure: settings, database, auth, mail outbox, i18n, the app factory and the CLI."""
