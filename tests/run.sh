#!/usr/bin/env bash
# Runs the whole gkss-hub test suite: installs the package with its test tools, lints, type-checks, runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --disable-pip-version-check -e '.[test]'

echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
mypy
echo "== pytest"
python -m pytest "$@"
