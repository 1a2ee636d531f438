"""The committed widget bundle is what `npm run build` makes from hub/widget's sources, byte for byte."""

from __future__ import annotations

import gzip
import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "hub" / "widget"
BUNDLE = ROOT / "hub" / "web" / "static" / "gkss-search.js"
GZIPPED_LIMIT = 10_000  # README states the size; the widget must stay small


def _esbuild_command(outfile: Path) -> list[str]:
    """The esbuild call of package.json's build script, writing to ``outfile`` instead."""
    script = json.loads((WIDGET / "package.json").read_text())["scripts"]["build"]
    esbuild = next(part for part in script.split("&&") if part.strip().startswith("esbuild"))
    args = [a for a in shlex.split(esbuild) if not a.startswith("--outfile=")]
    return [str(WIDGET / "node_modules" / ".bin" / args[0]), *args[1:], f"--outfile={outfile}"]


def test_rebuilding_the_widget_gives_the_committed_file(tmp_path: Path) -> None:
    if shutil.which("node") is None or not (WIDGET / "node_modules" / ".bin" / "esbuild").exists():
        pytest.skip("npm tooling absent: run `npm ci` in hub/widget to check the committed bundle")
    typecheck = subprocess.run(
        [str(WIDGET / "node_modules" / ".bin" / "tsc"), "--noEmit", "-p", str(WIDGET)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert typecheck.returncode == 0, typecheck.stdout + typecheck.stderr
    outfile = tmp_path / "gkss-search.js"
    built = subprocess.run(_esbuild_command(outfile), cwd=WIDGET, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert outfile.read_bytes() == BUNDLE.read_bytes(), (
        "hub/web/static/gkss-search.js is stale: npm run build"
    )


def test_the_bundle_is_small() -> None:
    size = len(gzip.compress(BUNDLE.read_bytes(), compresslevel=9))
    print(f"gkss-search.js: {BUNDLE.stat().st_size} bytes, {size} gzipped")
    assert size < GZIPPED_LIMIT
