"""The command line imports only what its commands use: `import hub.cli` in a fresh interpreter loads
no web framework, no federation fan-out, no search engine client, and neither the store's library
(SQLAlchemy) nor the settings' (pydantic-settings): `gkss --help` needs none of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY_PACKAGES = {
    "fastapi",
    "starlette",
    "uvicorn",
    "opensearchpy",
    "elasticsearch",
    "tantivy",
    "celery",
    "sqlalchemy",
    "pydantic_settings",
    "httpx",
    "numpy",
}
HEAVY_MODULES = {
    "federation.api",
    "federation.fanout",
    "federation.peers",
    "federation.replication",
    "hub.api",
    "hub.search.opensearch",
    "hub.search.elastic",
    "hub.search.cluster",
    "hub.search.tantivy_index",
    "hub.store",
    "hub.settings",
    "hub.pipeline",
    "normalizers.resource",
}


def modules_after(statement: str) -> set[str]:
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_no_web_stack_fan_out_or_search_client() -> None:
    loaded = modules_after("import hub.cli")
    assert "hub.cli" in loaded and "typer" in loaded  # the interpreter did load the command line
    assert {m for m in loaded if m.split(".")[0] in HEAVY_PACKAGES} == set()
    assert loaded & HEAVY_MODULES == set()


def test_the_api_still_loads_what_the_cli_leaves_out() -> None:
    # the control: the same probe sees FastAPI and the fan-out where they belong
    loaded = modules_after("import hub.api")
    assert "fastapi" in loaded and "federation.fanout" in loaded
    assert "sqlalchemy" in loaded and "pydantic_settings" in loaded


def test_a_command_loads_what_it_uses_when_it_runs(tmp_path: Path) -> None:
    # `gkss sources list` in-process: the store and the settings are loaded by the command, not before
    statement = (
        "import os; os.environ.update(GKSS_HOME=sys.argv[1], GKSS_SEARCH_URL=''); "
        "from typer.testing import CliRunner; from hub.cli import app; "
        "assert 'sqlalchemy' not in sys.modules; "
        "result = CliRunner().invoke(app, ['sources', 'list', '--json']); "
        "assert result.exit_code == 0, result.output"
    )
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert {"sqlalchemy", "pydantic_settings", "hub.store"} <= loaded
