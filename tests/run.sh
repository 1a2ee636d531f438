#!/usr/bin/env bash
# Runs the whole gkss-hub test suite: installs (the package, Chromium and the widget's npm tooling), lints, type-checks,
# starts real services on 127.0.0.1, runs pytest.
#
# Services (a 3-node Elasticsearch, the default cluster engine; a 1-node OpenSearch, the alternative; Redis;
# PostgreSQL) come from deploy/local/; their URLs reach the tests as GKSS_TEST_SEARCH_URL, GKSS_TEST_SEARCH_NODES,
# GKSS_TEST_OPENSEARCH_URL, GKSS_TEST_REDIS_URL and GKSS_TEST_DATABASE_URL. Set
# GKSS_TEST_SERVICES=none to run only the embedded-default tests (the scale-out ones then skip, saying why).
# Arguments are passed to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --disable-pip-version-check -e '.[test]'

echo "== browser test tools"  # Debian's Chromium and the widget's npm tooling; without them tests/web skips, saying why
if ! command -v chromium >/dev/null 2>&1; then
  as_root=""; [[ "$(id -u)" -ne 0 ]] && as_root="sudo"
  { $as_root apt-get update -q && DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -q chromium chromium-driver; } \
    || echo "Chromium could not be installed: the browser tests will skip"
fi
if command -v npm >/dev/null 2>&1; then
  (cd hub/widget && npm ci --no-audit --no-fund --loglevel=error) || echo "npm ci failed in hub/widget: the bundle and axe checks will skip"
else
  echo "npm is missing: the bundle and axe checks will skip"
fi

if ! command -v faketime >/dev/null 2>&1; then  # the clock step below
  as_root=""; [[ "$(id -u)" -ne 0 ]] && as_root="sudo"
  { $as_root apt-get update -q && DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -q faketime; } \
    || echo "faketime could not be installed: the clock step will skip"
fi

echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
mypy
echo "== layers and dependencies"  # the contract in pyproject.toml ([tool.importlinter], [tool.deptry])
lint-imports
deptry .

started=()
stop_services() {
  for service in "${started[@]}"; do
    "deploy/local/$service" down >/dev/null 2>&1 || true
  done
}
trap stop_services EXIT

if [[ "${GKSS_TEST_SERVICES:-all}" != "none" ]]; then
  echo "== services"
  services_start=$SECONDS
  deploy/local/install
  nodes="${GKSS_TEST_SEARCH_NODES:-3}"
  GKSS_TEST_SEARCH_URL="$(deploy/local/elasticsearch up --nodes "$nodes" | tail -n 1)"; started+=(elasticsearch)
  GKSS_TEST_OPENSEARCH_URL="$(deploy/local/opensearch up --nodes 1 | tail -n 1)"; started+=(opensearch)
  GKSS_TEST_REDIS_URL="$(deploy/local/redis up | tail -n 1)"; started+=(redis)
  GKSS_TEST_DATABASE_URL="$(deploy/local/postgres up | tail -n 1)"; started+=(postgres)
  export GKSS_TEST_SEARCH_URL GKSS_TEST_OPENSEARCH_URL GKSS_TEST_REDIS_URL GKSS_TEST_DATABASE_URL
  export GKSS_TEST_SEARCH_NODES="$nodes"
  echo "elasticsearch $GKSS_TEST_SEARCH_URL ($nodes nodes) · opensearch $GKSS_TEST_OPENSEARCH_URL" \
    "· redis $GKSS_TEST_REDIS_URL · postgres $GKSS_TEST_DATABASE_URL · services up in $((SECONDS - services_start)) s"
fi

echo "== pytest"
python -m pytest "$@"

# The tests marked `clock` again, with the clock moved (libfaketime) to 00:30, 06:00 and 23:30 UTC of
# today and in zones far from UTC: no test may depend on the hour, the date or the zone it runs in.
# The monotonic clock stays real (tests/conftest.py adapts time.sleep to libfaketime).
if command -v faketime >/dev/null 2>&1 && [[ "${GKSS_TEST_CLOCK:-1}" != "0" ]]; then
  for run in "00:30 UTC" "06:00 UTC" "23:30 UTC" "06:00 Pacific/Kiritimati" "23:30 America/Adak"; do
    at="${run% *}"; zone="${run#* }"
    offset=$(( $(date -u -d "today $at" +%s) - $(date -u +%s) ))
    echo "== clock: $at UTC in TZ=$zone"
    TZ="$zone" FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$(printf '%+ds' "$offset")" \
      python -m pytest -m clock -q -p no:cacheprovider tests
  done
else
  echo "== clock: skipped (faketime missing or GKSS_TEST_CLOCK=0)"
fi
