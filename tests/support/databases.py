"""Fresh store databases for tests: a SQLite file always, a PostgreSQL database when the suite has one."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hub.store import Store

POSTGRES_ENV = "GKSS_TEST_DATABASE_URL"


def database_kinds() -> list[object]:
    """``sqlite`` always; ``postgresql`` skipped with the reason when GKSS_TEST_DATABASE_URL is unset."""
    skip = pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set")
    return ["sqlite", pytest.param("postgresql", marks=skip)]


@contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of this kind, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    admin_url = make_url(os.environ[POSTGRES_ENV])
    name = f"gkss_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_store(kind: str, tmp_path: Path, *sources: str) -> Iterator[Store]:
    """A Store on a fresh database of this kind at the newest schema, with feed sources of these ids."""
    with fresh_database(kind, tmp_path) as url:
        store = Store(url)
        store.create_all()
        for source in sources:
            store.add_source(source, "feed", f"http://127.0.0.1/{source}", {})
        try:
            yield store
        finally:
            store.close()
