"""Opening the store reads the schema revision with one query and loads Alembic only when a migration
is due: a new database and one a revision behind are migrated, one at the newest is left alone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from hub.store import Store
from hub.store.migrate import alembic_config
from hub.store.schema_head import at_head, head_revisions


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hub.db'}"


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert head_revisions() == frozenset(script.get_heads())


def test_a_new_database_is_migrated_and_then_at_head(tmp_path: Path) -> None:
    store = Store(_url(tmp_path))
    try:
        assert not at_head(store.engine)  # no alembic_version table yet
        store.create_all()
        assert at_head(store.engine)
        assert "sources" in inspect(store.engine).get_table_names()
    finally:
        store.close()


def test_a_database_a_revision_behind_is_migrated(tmp_path: Path) -> None:
    store = Store(_url(tmp_path))
    try:
        store.create_all()
        newest = next(iter(head_revisions()))
        script = ScriptDirectory.from_config(alembic_config("sqlite://"))
        previous = script.get_revision(newest).down_revision
        assert isinstance(previous, str)
        config = alembic_config(_url(tmp_path))
        command.downgrade(config, previous)  # the schema one migration back, as an older hub left it
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == previous
        assert not at_head(store.engine)
        store.create_all()
        assert at_head(store.engine)
    finally:
        store.close()
