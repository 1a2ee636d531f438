"""The command line imports only what its commands use: `import hub.cli` in a fresh interpreter loads
no web framework, no federation fan-out and no search engine client."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY_PACKAGES = {"fastapi", "starlette", "uvicorn", "opensearchpy", "elasticsearch", "celery"}
HEAVY_MODULES = {"federation.api", "federation.fanout", "hub.api", "hub.search.opensearch"}


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
