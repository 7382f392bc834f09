#!/usr/bin/env bash
# Server-level benchmark (not a test): time from start to `/ready` with weights on local disk, then `/classify`
# throughput, p50/p99 latency and RSS (LLM and classifier both loaded) at 1, 16 and 64 concurrent clients
# sending whole posts of data/sample-posts, through server/tests/load.rs (a real champion trained first on a
# small template dataset; classify-only mode). Writes bench/results/<date>-server-cpu-<vendor>-<N>core.txt.
# Usage: scripts/bench-server.sh   (env: BENCH_SECS per client count, default 30; BENCH_CLIENTS, default "1 16 64")
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${BENCH_SECS:-30}
clients=${BENCH_CLIENTS:-1 16 64}
scripts/fetch-weights.sh >/dev/null
cargo build --release -q -p blogbot-server
bin=${CARGO_TARGET_DIR:-target}/release/blogbot-server
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
pid=

# Start to /ready, three times, on a fresh data dir each (no bootstrap job: the figure is model loading).
ready=()
for i in 1 2 3; do
  port=$((20000 + RANDOM % 20000))
  start=$(date +%s.%N)
  "$bin" --weights weights --data-dir "$tmp/data$i" serve --no-bootstrap --bind "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/ready" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
    sleep 0.05
  done
  ready+=("$(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')")")
  kill "$pid"; wait "$pid" 2>/dev/null || true
done

lines=("blogbot server benchmark, $(date -u +%F), commit $(git rev-parse --short HEAD): $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p'))"
       "start to /ready (weights on local disk, 3 starts): ${ready[*]} s")
for c in $clients; do
  echo "running /classify with $c client(s) for $secs s..." >&2
  out=$(BLOGBOT_LOAD_CLASSIFY_ONLY=1 BLOGBOT_LOAD_CLIENTS=$c BLOGBOT_LOAD_SECS=$secs \
    cargo test --release -q -p blogbot-server --test load -- --nocapture 2>&1) || { echo "$out" >&2; exit 1; }
  lines+=("$(grep -o 'load: .*' <<<"$out")")
done
mkdir -p bench/results
cpu_kind=$(lscpu | sed -n 's/^Model name: *//p' | sed 's/([A-Za-z]*)//g' | awk '{print tolower($1 "-" $2)}')
file=bench/results/$(date -u +%F)-server-cpu-$cpu_kind-$(nproc)core.txt
printf '%s\n' "${lines[@]}" | tee "$file"
echo "written: $file" >&2
