#!/usr/bin/env bash
# Fuzz the GraphQL endpoint with Schemathesis (property-based tests generated from schema.graphql).
#
#   PLEJEOVERBLIK_URL=http://127.0.0.1:8080 PLEJEOVERBLIK_ADMIN_TOKEN=eyJ... \
#     PLEJEOVERBLIK_KOMMUNE_TOKEN=eyJ... tests/conformance/fuzz.sh
#
# Installs the pinned Schemathesis (requirements-fuzz.txt) into tests/conformance/.venv, writes the
# fuzz dictionaries from the running server (fuzz_dicts.py), then runs Schemathesis three times
# with a fixed seed and a bounded number of cases per operation: anonymously, with the
# administrator token, and with a kommune's token (driftsoverenskomstansvarlig), so that the
# mutations get past authentication with both kinds of rights. The schema comes from the committed
# schema.graphql, not from introspection (see README.md). Checks: fuzz_hooks.py's
# `no_internal_error` (no 5xx, a GraphQL body, no error with extensions.code INTERNAL, no null in a
# non-null field) plus Schemathesis' response_schema_conformance; its `not_a_server_error` is off
# because it counts every expected GraphQL error (NOT_FOUND, VALIDATION, ...) as a server error.
#
# Environment: FUZZ_MAX_EXAMPLES (default 25 cases per operation), FUZZ_SEED (42),
# FUZZ_WORKERS (2), FUZZ_TIMEOUT (seconds per run, default 180). Reports (JUnit, NDJSON) go to
# tests/conformance/.fuzz/. Exit status: non-zero if any run found a failure.
set -euo pipefail
cd "$(dirname "$0")"

URL="${PLEJEOVERBLIK_URL:-http://127.0.0.1:8080}"
URL="${URL%/}/graphql"
ADMIN_TOKEN="${PLEJEOVERBLIK_ADMIN_TOKEN:-}"
KOMMUNE_TOKEN="${PLEJEOVERBLIK_KOMMUNE_TOKEN:-}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-25}"
SEED="${FUZZ_SEED:-42}"
WORKERS="${FUZZ_WORKERS:-2}"
RUN_TIMEOUT="${FUZZ_TIMEOUT:-180}"

if [[ -z "$ADMIN_TOKEN" ]]; then
  echo "fuzz.sh: PLEJEOVERBLIK_ADMIN_TOKEN is not set (an administrator token)" >&2
  exit 2
fi
if [[ -z "$KOMMUNE_TOKEN" ]]; then
  echo "fuzz.sh: PLEJEOVERBLIK_KOMMUNE_TOKEN is not set (a driftsoverenskomstansvarlig token of a kommune)" >&2
  exit 2
fi

PYTHON="${PYTHON:-python3}"
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  echo "== creating .venv"
  rm -rf .venv
  # Debian/Ubuntu ship venv without ensurepip unless python3-venv is installed: fall back to
  # virtualenv from PyPI (pip is all that is needed).
  if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
    rm -rf .venv
    "$PYTHON" -m pip install --quiet --user --disable-pip-version-check virtualenv \
      || "$PYTHON" -m pip install --quiet --user --break-system-packages --disable-pip-version-check virtualenv
    "$PYTHON" -m virtualenv --quiet .venv
  fi
fi
# pip is quiet and quick when the pinned versions are already installed.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-fuzz.txt
echo "== $(.venv/bin/schemathesis --version)"

echo "== fuzz dictionaries from $URL"
.venv/bin/python fuzz_dicts.py "$URL" "$ADMIN_TOKEN" "$KOMMUNE_TOKEN"

export SCHEMATHESIS_HOOKS=fuzz_hooks
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

run() {
  local name="$1"
  shift
  echo "== schemathesis ($name): $MAX_EXAMPLES cases per operation, seed $SEED"
  local rc=0
  timeout --signal=INT --kill-after=20 "$RUN_TIMEOUT" \
    .venv/bin/schemathesis --no-color --config-file schemathesis.toml run ../../schema.graphql \
      --url "$URL" \
      --max-examples "$MAX_EXAMPLES" \
      --seed "$SEED" \
      --workers "$WORKERS" \
      --generation-database none \
      --exclude-checks not_a_server_error,positive_data_acceptance \
      --request-timeout 35 \
      --report junit,ndjson \
      --report-dir ".fuzz/report-$name" \
      --output-truncate false \
      "$@" || rc=$?
  if [[ $rc -eq 124 || $rc -eq 130 ]]; then
    echo "fuzz.sh: the $name run did not finish within ${RUN_TIMEOUT}s" >&2
  fi
  local report
  report="$(ls -t ".fuzz/report-$name"/ndjson-*.ndjson 2>/dev/null | head -n 1)"
  if [[ -n "$report" ]]; then
    .venv/bin/python fuzz_summary.py "$report" || true
  fi
  return $rc
}

status=0
run anonymous || status=1
run administrator -H "Authorization: Bearer $ADMIN_TOKEN" || status=1
run kommune -H "Authorization: Bearer $KOMMUNE_TOKEN" || status=1
if [[ $status -ne 0 ]]; then
  echo "fuzz.sh: FAIL (reports in tests/conformance/.fuzz/)"
else
  echo "fuzz.sh: PASS"
fi
exit $status
