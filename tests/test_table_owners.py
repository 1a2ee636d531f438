"""Every table's SQL is in the modules of the package that owns it; everyone else calls functions.

The scan reads the code (its syntax tree, nothing is imported): a module outside the owner list of
a table that opens a session, imports SQLAlchemy, names the table's ORM class outside a type
annotation (a ``select``, a ``get``, a column, a new row) or holds raw SQL naming the table fails,
with the module, the line and what it did. The tables are found where they are declared (every ORM
class with a ``__tablename__``), so a new table is covered, and a table declared outside OWNERS fails.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("harvesters", "normalizers", "registry", "federation", "hub")

# The module that declares tables -> the modules (a path, or a folder ending in "/") that own them:
# the only ones that may open sessions on them, build queries on them or import SQLAlchemy at all.
OWNERS: Mapping[str, tuple[str, ...]] = {
    "hub/store/models.py": ("hub/store/", "hub/migrations/"),
    "registry/tables.py": (
        "registry/tables.py",
        "registry/nodes.py",
        "registry/keys.py",
        "registry/audit.py",
    ),
    "federation/tables.py": ("federation/tables.py", "federation/peers.py"),
}

SESSION_CALLS = {"session", "sessionmaker", "Session", "scoped_session", "raw_connection"}
ENGINE_CALLS = {"connect", "begin"}  # store.engine.connect(), engine.begin()


@dataclass(frozen=True, slots=True)
class Table:
    """An ORM class of a table, where it is declared and which modules own it."""

    name: str  # the table's name
    cls: str  # its ORM class
    module: str  # the declaring module, as a path ("hub/store/models.py")
    owners: tuple[str, ...]


def _dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def owns(path: str, owners: tuple[str, ...]) -> bool:
    return any(path.startswith(owner) if owner.endswith("/") else path == owner for owner in owners)


def declared_tables(sources: Mapping[str, str]) -> dict[str, Table]:
    """ORM class name -> its Table, for every class with a ``__tablename__`` in ``sources``."""
    tables: dict[str, Table] = {}
    for path, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.ClassDef):
                continue
            for statement in node.body:
                target = statement.targets[0] if isinstance(statement, ast.Assign) else None
                target = statement.target if isinstance(statement, ast.AnnAssign) else target
                value = statement.value if isinstance(statement, (ast.Assign, ast.AnnAssign)) else None
                if (
                    isinstance(target, ast.Name)
                    and target.id == "__tablename__"
                    and isinstance(value, ast.Constant)
                ):
                    tables[node.name] = Table(str(value.value), node.name, path, OWNERS.get(path, ()))
    return tables


def _annotations(tree: ast.AST) -> set[int]:
    """The ids of every node inside a type annotation (naming a row class there builds no query)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        roots: list[ast.expr | None] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            roots.append(node.returns)
            arguments = node.args
            every = [
                *arguments.posonlyargs,
                *arguments.args,
                *arguments.kwonlyargs,
                arguments.vararg,
                arguments.kwarg,
            ]
            roots.extend(arg.annotation for arg in every if arg is not None)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
        for root in roots:
            if root is not None:
                inside.update(id(sub) for sub in ast.walk(root))
    return inside


def _row_names(tree: ast.AST, tables: Mapping[str, Table]) -> dict[str, Table]:
    """The names a module binds to row classes by ``from <declaring module> import Class [as name]``."""
    by_module = {(_dotted(t.module), t.cls): t for t in tables.values()}
    bound: dict[str, Table] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                table = by_module.get((node.module, alias.name))
                if table is not None:
                    bound[alias.asname or alias.name] = table
    return bound


def violations(path: str, text: str, tables: Mapping[str, Table]) -> list[str]:
    """What module ``path`` (its source ``text``) does to tables it does not own, one line each."""
    owner = any(owns(path, table.owners) for table in tables.values())
    tree = ast.parse(text)
    found: list[str] = []
    rows = _row_names(tree, tables)
    modules = {_dotted(t.module) for t in tables.values()}
    annotations = _annotations(tree)
    names = "|".join(re.escape(t.name) for t in tables.values())
    verbs = r"^\s*(?:select|insert|update|delete|with)\b"  # a statement, not prose about records
    sql = re.compile(
        verbs + r".*?\b(?:from|into|update|join)\s+\"?(" + names + r")\b", re.IGNORECASE | re.DOTALL
    )
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call) and not owner:
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if name in SESSION_CALLS:
                found.append(f"{where}: opens a session ({name}())")
            elif (
                name in ENGINE_CALLS
                and isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Attribute)
                and func.value.attr == "engine"
            ):
                found.append(f"{where}: opens a connection (engine.{name}())")
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and not owner:
            imported = (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            )
            if any(n == "sqlalchemy" or n.startswith("sqlalchemy.") for n in imported):
                found.append(f"{where}: imports SQLAlchemy")
            if isinstance(node, ast.Import) and any(n in modules for n in imported):
                found.append(f"{where}: imports a table module whole")
        elif isinstance(node, ast.Name) and node.id in rows and id(node) not in annotations:
            table = rows[node.id]
            if not owns(path, table.owners):
                found.append(
                    f"{where}: builds a query on table {table.name} ({node.id}), owned by {table.module}"
                )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and not owner:
            match = sql.search(node.value)
            if match:
                found.append(f"{where}: holds SQL on table {match.group(1)}")
    return sorted(set(found))


def package_sources() -> dict[str, str]:
    return {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def scan(sources: Mapping[str, str]) -> Iterator[str]:
    tables = declared_tables(sources)
    for table in tables.values():
        if not table.owners:
            yield f"{table.module}: declares table {table.name} but is not in OWNERS"
    for path, text in sources.items():
        yield from violations(path, text, tables)


def test_every_table_is_found_with_its_owner() -> None:
    tables = {t.name: t.module for t in declared_tables(package_sources()).values()}
    assert tables["records"] == "hub/store/models.py"
    assert tables["websub_subscriptions"] == "hub/store/models.py"
    assert tables["api_keys"] == "registry/tables.py"
    assert tables["peers"] == "federation/tables.py"
    assert len(tables) == 12


def test_no_module_touches_a_table_it_does_not_own() -> None:
    assert list(scan(package_sources())) == []


# -- the scan catches what the code did before the store owned its SQL ------------------------------

TABLES = declared_tables(package_sources())

FEED_QUERY = """
from sqlalchemy import func, select
from hub.store.models import RecordRow

def newest(hub, sources) -> None:
    query = select(func.max(RecordRow.changed_at))
    with hub.store.session() as session:
        return session.scalar(query)
"""

NODE_HOLDINGS = """
from sqlalchemy import func, select
from federation.tables import PeerRow
from hub.store.models import SourceRow

def held_by(session, node_id):
    return {
        "sources": session.scalar(select(func.count()).where(SourceRow.node_id == node_id)),
        "peers": session.scalar(select(func.count()).where(PeerRow.node_id == node_id)),
    }
"""

TYPED_ONLY = """
from hub.store.models import RunRow

def describe(run: RunRow) -> str:
    latest: RunRow | None = run
    return f"{latest}"
"""


def test_a_session_and_a_query_outside_the_store_are_caught() -> None:
    found = violations("hub/feeds/pages.py", FEED_QUERY, TABLES)
    assert found == [
        "hub/feeds/pages.py:2: imports SQLAlchemy",
        "hub/feeds/pages.py:6: builds a query on table records (RecordRow), owned by hub/store/models.py",
        "hub/feeds/pages.py:7: opens a session (session())",
    ]


def test_an_owner_querying_another_owners_table_is_caught() -> None:
    found = violations("hub/store/nodes.py", NODE_HOLDINGS, TABLES)
    assert found == [
        "hub/store/nodes.py:9: builds a query on table peers (PeerRow), owned by federation/tables.py",
    ]


def test_raw_sql_and_a_connection_outside_the_owners_are_caught() -> None:
    text = (
        "def count(store):\n"
        "    with store.engine.connect() as c:\n"
        '        return c.exec_driver_sql("SELECT count(*) FROM runs")\n'
        'PROSE = "the newest changes from records of a source"\n'
    )
    assert violations("hub/metrics.py", text, TABLES) == [
        "hub/metrics.py:2: opens a connection (engine.connect())",
        "hub/metrics.py:3: holds SQL on table runs",
    ]


def test_a_row_class_named_only_in_annotations_is_no_query() -> None:
    assert violations("hub/pipeline/history.py", TYPED_ONLY, TABLES) == []


def test_a_table_declared_outside_the_owner_list_is_caught() -> None:
    stray = "class Thing(Base):\n    __tablename__ = 'things'\n"
    assert list(scan({"hub/things.py": stray})) == [
        "hub/things.py: declares table things but is not in OWNERS"
    ]
