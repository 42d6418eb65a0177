#!/usr/bin/env bash
# Property/fuzz pass over the API's OpenAPI spec with schemathesis (PyPI), against a stack this script
# starts: `sync-center start` (Temporal dev server, worker, API over PGlite) in a temporary data dir,
# with a fresh admin token and rate limits off. Exits with schemathesis's status (0: no failure).
#
#   scripts/fuzz-api.sh                      # every operation, FUZZ_MAX_EXAMPLES (50) cases each
#   FUZZ_MAX_EXAMPLES=5 scripts/fuzz-api.sh  # a short pass
#   FUZZ_CHECKS=all scripts/fuzz-api.sh      # also schema/status conformance (informational)
#   scripts/fuzz-api.sh --include-path-regex users   # extra arguments go to `schemathesis run`
#
# schemathesis is installed once into a venv cached per user (like scripts/provision-temporal.js does
# for the Temporal binaries): $SYNC_CENTER_TOOLS_CACHE or ~/.cache/sync-center/schemathesis-<version>.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SYNC_CENTER_TOOLS_CACHE:-$HOME/.cache/sync-center}"
venv="$cache/schemathesis-$SCHEMATHESIS_VERSION"
max_examples="${FUZZ_MAX_EXAMPLES:-50}"
checks="${FUZZ_CHECKS:-not_a_server_error}"

if ! "$venv/bin/python" -c 'import schemathesis' 2>/dev/null; then
  echo "[fuzz] installing schemathesis $SCHEMATHESIS_VERSION into $venv" >&2
  mkdir -p "$cache"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# Three ports held open at once, then released: never the same port twice (picked one by one, the
# API and the Temporal server once got the same port and the stack failed with EADDRINUSE).
free_ports() {
  node -e "const net=require('net');const ss=[...Array(3)].map(()=>net.createServer());let n=0;for(const s of ss)s.listen(0,'127.0.0.1',()=>{if(++n===ss.length){console.log(ss.map((x)=>x.address().port).join(' '));for(const x of ss)x.close()}})"
}

work="$(mktemp -d "${TMPDIR:-/tmp}/sc-fuzz.XXXXXX")"
read -r api_port temporal_port ui_port <<<"$(free_ports)"
admin_token="fuzz-$(node -e "console.log(require('crypto').randomBytes(24).toString('hex'))")"

stack_pid=""
cleanup() {
  if [ -n "$stack_pid" ] && kill -0 "$stack_pid" 2>/dev/null; then
    kill -INT "$stack_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$stack_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$stack_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "[fuzz] starting the stack (API on 127.0.0.1:$api_port, data in $work)" >&2
env -u DATABASE_URL -u TEMPORAL_ADDRESS \
  SYNC_CENTER_DATA_DIR="$work/data" PORT="$api_port" HOST=127.0.0.1 \
  TEMPORAL_PORT="$temporal_port" TEMPORAL_UI_PORT="$ui_port" \
  SYNC_CENTER_ADMIN_TOKEN="$admin_token" SYNC_CENTER_RATE_LIMIT=off \
  node "$root/cli/bin.js" start >"$work/stack.log" 2>&1 &
stack_pid=$!

base="http://127.0.0.1:$api_port"
for _ in $(seq 1 180); do
  if curl -fsS -H "Authorization: Bearer $admin_token" "$base/api/v1/readiness" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$stack_pid" 2>/dev/null; then cat "$work/stack.log" >&2; echo "[fuzz] the stack exited before it was ready" >&2; exit 1; fi
  sleep 1
done
curl -fsS -H "Authorization: Bearer $admin_token" "$base/api/v1/readiness" >/dev/null || { tail -50 "$work/stack.log" >&2; echo "[fuzz] the stack did not get ready" >&2; exit 1; }

echo "[fuzz] schemathesis run: checks=$checks, max examples=$max_examples" >&2
status=0
# Run from the temporary dir: schemathesis keeps its example database in ./.schemathesis.
(cd "$work" && "$venv/bin/python" -m schemathesis.cli run "$base/docs/json" \
  --url "$base" \
  --header "Authorization: Bearer $admin_token" \
  --checks "$checks" \
  --max-examples "$max_examples" \
  --workers 1 \
  --request-timeout 30 \
  --seed "${FUZZ_SEED:-1}" \
  --no-color \
  "$@") || status=$?

errors="$(grep -cE '"level":(50|60)' "$work/stack.log" || true)"
echo "[fuzz] error log lines of the stack: $errors" >&2
if [ "$errors" != "0" ]; then grep -E '"level":(50|60)' "$work/stack.log" | cut -c1-400 | head -20 >&2; fi
# A failed query must never carry its parameter values into a log line (db/query-errors.ts).
if grep -Eq '"params":|DrizzleQueryError' "$work/stack.log"; then
  echo "[fuzz] FAIL: a log line carries SQL parameter values" >&2
  [ "$status" = "0" ] && status=1
fi
exit "$status"
