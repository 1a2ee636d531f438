"""Alembic migrations of the store, used by SQLite and PostgreSQL alike."""
