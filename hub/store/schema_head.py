"""Whether a database is at the newest schema already, read without Alembic.

Every process that opens the hub brings its database to the newest schema; when it is there already
(nearly always) one query against Alembic's ``alembic_version`` table says so, and Alembic (a quarter
of a second of CPU to import) is loaded only when a migration is due.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"  # the Alembic scripts (hub/migrations/)

_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


@cache
def head_revisions() -> frozenset[str]:
    """The revisions no migration script builds on (one, unless the history branches)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        revision = _REVISION.search(source)
        if revision is None:
            continue
        revisions.add(revision.group(1))
        down = _DOWN.search(source)
        if down is not None:
            parents.update(re.findall(r"[\"']([^\"']+)[\"']", down.group(1)))
    return frozenset(revisions - parents)


def at_head(engine: Engine) -> bool:
    """Whether the database's recorded revisions are exactly the newest ones (False when it has none)."""
    try:
        with engine.connect() as connection:
            current = {
                str(row[0]) for row in connection.execute(text("SELECT version_num FROM alembic_version"))
            }
    except SQLAlchemyError:  # no alembic_version table yet: a new database
        return False
    heads = head_revisions()
    return bool(heads) and current == heads
