#!/usr/bin/env bash
# The staged bootstrap end to end through the real server, as a new user meets it: a fresh data dir, the server
# started with its defaults, and the clock read at each step: listening, /classify answering from the first
# champion, the bootstrap job done with its final champion. Then both models are scored on the development set
# (when ../shared/dev-set exists; measuring only, never training or deciding).
# Output: bench/results/<date>-bootstrap-staged.json (times, the job's result, dev-set scores of both models).
#
#   scripts/bench-bootstrap.sh             # EXTRA="--retrain-size 600" passes serve options through
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18089}
DEV_SET=${DEV_SET:-../shared/dev-set}
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${BIN:-$TARGET/release/blogbot-server}
RUN=$(date -u +%Y-%m-%d)-bootstrap-staged
DATA=${DATA:-eval-state/$RUN}
OUT=${OUT:-bench/results/$RUN.json}

scripts/fetch-weights.sh >&2
[[ -x $BIN ]] || cargo build --release -p blogbot-server
rm -rf "$DATA"
mkdir -p "$DATA"
BASE=http://127.0.0.1:$PORT
t0=$(date +%s.%N)
# shellcheck disable=SC2086
"$BIN" --weights weights --data-dir "$DATA" serve --bind "127.0.0.1:$PORT" ${EXTRA:-} >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
since() { python3 -c "import sys; print(round($(date +%s.%N) - $t0, 1))"; }
until curl -sf "$BASE/health" >/dev/null; do
  kill -0 $SERVER 2>/dev/null || { echo "server died; see $DATA/server.log" >&2; exit 1; }
  sleep 0.2
done
listening=$(since)
echo "listening after ${listening}s" >&2
job=$(curl -sf "$BASE/ready" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bootstrap_job"])')
body='{"text": "Write to me at lena.vogt@example.org about the garden."}'
last=""
while true; do
  code=$(curl -s -o "$DATA/classify.json" -w '%{http_code}' -H 'content-type: application/json' -d "$body" "$BASE/classify")
  [[ $code == 200 ]] && break
  msg=$(curl -sf "$BASE/ready" | python3 -c 'import json,sys; b=json.load(sys.stdin)["bootstrap"] or {}; print(b.get("message",""))')
  [[ $msg != "$last" ]] && { echo "  $(since)s $msg" >&2; last=$msg; }
  sleep 1
done
first_served=$(since)
echo "first champion answering after ${first_served}s" >&2
while true; do
  state=$(curl -sf "$BASE/jobs/$job" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["state"]); print(j["message"], file=sys.stderr)' 2>"$DATA/msg")
  case $state in succeeded|failed|cancelled) break ;; esac
  echo "  $(since)s $(cat "$DATA/msg")" >&2
  sleep 30
done
done_at=$(since)
echo "bootstrap $state after ${done_at}s" >&2
curl -sf "$BASE/jobs/$job" >"$DATA/job.json"
kill $SERVER
wait $SERVER 2>/dev/null || true
trap - EXIT

first=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["first"]["training"]["model_id"])' "$DATA/job.json")
final=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["result"]["final"]["training"]; print(t["model_id"])' "$DATA/job.json")
for m in first final; do
  id=${!m}
  if [[ -f $DEV_SET/dev.jsonl ]]; then
    "$BIN" --weights weights --data-dir "$DATA" dev-eval --model "$id" --dev-set "$DEV_SET" --out "$DATA/dev-$m.json" >&2
  else
    echo '{}' >"$DATA/dev-$m.json"
  fi
done
mkdir -p "$(dirname "$OUT")"
python3 - "$DATA" "$OUT" "$listening" "$first_served" "$done_at" "$state" <<'EOF'
import json, os, platform, subprocess, sys
data, out, listening, first_served, done_at, state = sys.argv[1:]
job = json.load(open(f"{data}/job.json"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
res = job.get("result") or {}
def dev(name):
    d = json.load(open(f"{data}/dev-{name}.json"))
    return d.get("dev_set", d)
json.dump({
    "what": "staged bootstrap on a fresh data dir, server defaults" + (f" except {os.environ['EXTRA']}" if os.environ.get("EXTRA") else "") + ", measured end to end through the real server",
    "command": (f'EXTRA="{os.environ["EXTRA"]}" ' if os.environ.get("EXTRA") else "") + "scripts/bench-bootstrap.sh",
    "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
    "machine": f"{cpu}, {os.cpu_count()} cores",
    "seconds": {"listening": float(listening), "first_champion_serving": float(first_served), "bootstrap_done": float(done_at)},
    "state": state,
    "first": res.get("first"), "final": res.get("final"),
    "final_promoted": ((res.get("final") or {}).get("training") or {}).get("promoted"),
    "dev_set": {"first_champion": dev("first"), "final_challenger": dev("final")},
}, open(out, "w"), indent=1)
print(out)
EOF
