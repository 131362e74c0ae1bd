#!/usr/bin/env bash
# How long `make run` takes to bring the whole system up, fresh and warm.
#
#   bash bench/startup.sh          # PORT (default 8765) and LIMIT (seconds, default 300) may be set
#
# Copies the working tree (uncommitted files included; no .venv, no var/, no .env) into a temporary
# folder, then times `make run` there until /admin/login/ answers 200, the worker says it is ready and
# beat has started: once fresh (venv, pip install with no pip cache, migrate, seed_demo) and once warm.
# Each run is stopped with SIGINT to its process group, as Ctrl-C in a terminal does, and must leave
# no process behind. Budgets: fresh < 180 s, warm < 15 s. The output of each run is kept in
# bench/out/startup-fresh.log and bench/out/startup-warm.log.
set -euo pipefail

SRC="${SRC:-$(cd "$(dirname "$0")/.." && pwd)}"
PORT="${PORT:-8765}"
LIMIT="${LIMIT:-300}"
WORK="$(mktemp -d /tmp/hazard-ledger-bench.XXXXXX)"
APP="$WORK/app"
OUT="$SRC/bench/out"
URL="http://127.0.0.1:$PORT/admin/login/"

# Processes still running from the copy (their working directory is inside it).
leftovers() {
  local proc
  for proc in /proc/[0-9]*; do
    case "$(readlink "$proc/cwd" 2>/dev/null)" in "$APP" | "$APP"/*) echo "${proc#/proc/}" ;; esac
  done
}

cleanup() {
  local pids
  pids="$(leftovers)"
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$OUT"

if curl -so /dev/null "$URL"; then
  echo "port $PORT is already in use; set PORT" >&2
  exit 1
fi

mkdir -p "$APP"
tar -C "$SRC" \
  --exclude=./.venv --exclude=./var --exclude=./.git --exclude=./.env --exclude=./staticfiles \
  --exclude=./.pytest_cache --exclude=./.ruff_cache --exclude=./bench/out --exclude=__pycache__ \
  -cf - . | tar -C "$APP" -xf -

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run_once LABEL: start `make run`, wait until the whole system is up, print the seconds, stop it.
run_once() {
  local label="$1" log="$OUT/startup-$1.log" start pid elapsed
  start="$(now_ms)"
  (cd "$APP" && PORT="$PORT" PIP_NO_CACHE_DIR=1 exec setsid make run) >"$log" 2>&1 &
  pid=$!
  until curl -fso /dev/null "$URL" && grep -q "celery@.* ready" "$log" && grep -q "beat: Starting" "$log"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$label: make run exited before the system was up" >&2
      tail -40 "$log" >&2
      exit 1
    fi
    elapsed=$(($(now_ms) - start))
    if [ "$elapsed" -gt $((LIMIT * 1000)) ]; then
      echo "$label: not up after $LIMIT s" >&2
      tail -40 "$log" >&2
      exit 1
    fi
    sleep 0.2
  done
  elapsed=$(($(now_ms) - start))
  printf '%s: %d.%d s\n' "$label" $((elapsed / 1000)) $((elapsed % 1000 / 100))

  kill -INT -- "-$pid"
  local deadline=$((SECONDS + 30))
  while [ -n "$(leftovers)" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  wait "$pid" 2>/dev/null || true
  if [ -n "$(leftovers)" ]; then
    echo "$label: processes left after Ctrl-C:" >&2
    ps -o pid,args -p "$(leftovers | paste -sd,)" >&2 || true
    exit 1
  fi
  grep -q "SIGINT received" "$log" || { echo "$label: honcho did not see Ctrl-C" >&2; exit 1; }
}

echo "make run in $APP (http://127.0.0.1:$PORT/)"
run_once fresh
run_once warm
