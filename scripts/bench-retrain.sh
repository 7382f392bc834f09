#!/usr/bin/env bash
# Does promotion agree with real prose? On a data dir that has a champion (for example the one
# scripts/bench-bootstrap.sh leaves), runs `POST /retrain {"seed": S}` on server defaults for each seed in turn
# through the real server, and stores each decision (promoted or not, margin and its 95% interval on the fixed
# promotion set) beside the dev-set scores of the champion it faced and of the challenger. The rule never reads
# the dev set; this script scores it afterwards, for measuring only.
# Output: bench/results/<date>-retrain-agreement.json
#
#   DATA=eval-state/<bootstrap run> SEEDS="11 12 13" scripts/bench-retrain.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18090}
DEV_SET=${DEV_SET:-../shared/dev-set}
TARGET=${CARGO_TARGET_DIR:-target}
BIN=${BIN:-$TARGET/release/blogbot-server}
SEEDS=${SEEDS:-11 12 13}
OUT=${OUT:-bench/results/$(date -u +%Y-%m-%d)-retrain-agreement.json}
: "${DATA:?set DATA to a data dir with a champion}"
[[ -f $DEV_SET/dev.jsonl ]] || { echo "no dev set at $DEV_SET" >&2; exit 1; }
[[ -x $BIN ]] || cargo build --release -p blogbot-server

BASE=http://127.0.0.1:$PORT
LOG=$DATA/retrain-runs
mkdir -p "$LOG"
champion() {
  curl -sf "$BASE/models" | python3 -c 'import json,sys; print(json.load(sys.stdin)["aliases"]["champion"])'
}
start_server() {
  "$BIN" --weights weights --data-dir "$DATA" serve --bind "127.0.0.1:$PORT" >>"$DATA/retrain-server.log" 2>&1 &
  SERVER=$!
  until curl -sf "$BASE/health" >/dev/null; do
    kill -0 $SERVER 2>/dev/null || { echo "server died; see $DATA/retrain-server.log" >&2; exit 1; }
    sleep 0.2
  done
}
stop_server() { kill $SERVER; wait $SERVER 2>/dev/null || true; }
trap 'kill $SERVER 2>/dev/null || true' EXIT

# The server is stopped before each dev-eval so the CLI never opens the data dir beside a running server.
for seed in $SEEDS; do
  start_server
  before=$(champion)
  job=$(curl -sf -H 'content-type: application/json' -d "{\"seed\": $seed}" "$BASE/retrain" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
  while true; do
    state=$(curl -sf "$BASE/jobs/$job" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["state"]); print(j["message"], file=sys.stderr)' 2>"$LOG/msg")
    case $state in succeeded|failed|cancelled) break ;; esac
    echo "  seed $seed: $(cat "$LOG/msg")" >&2
    sleep 30
  done
  curl -sf "$BASE/jobs/$job" >"$LOG/job-$seed.json"
  stop_server
  [[ $state == succeeded ]] || { echo "retrain seed $seed $state; see $LOG/job-$seed.json" >&2; exit 1; }
  challenger=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["training"]["model_id"])' "$LOG/job-$seed.json")
  for m in before challenger; do
    "$BIN" --weights weights --data-dir "$DATA" dev-eval --model "${!m}" --dev-set "$DEV_SET" --out "$LOG/dev-$seed-$m.json" >&2
  done
done
trap - EXIT

python3 - "$LOG" "$OUT" "$SEEDS" <<'EOF'
import json, os, platform, subprocess, sys
log, out, seeds = sys.argv[1], sys.argv[2], sys.argv[3].split()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
def dev(seed, who):
    d = json.load(open(f"{log}/dev-{seed}-{who}.json"))
    m = d.get("dev_set", d)["model"]
    return {"binary_f1": m["binary"]["f1"], "span_f1": m["span_overlap"]["f1"], "typed_span_f1": m["span_typed"]["f1"],
            "hard_negative_fp_rate": m["hard_negative_fp_rate"], "recall_by_type": m["recall_by_type"]}
runs = []
for s in seeds:
    job = json.load(open(f"{log}/job-{s}.json"))
    t = job["result"]["training"]
    champ, chall = dev(s, "before"), dev(s, "challenger")
    worse = {k: round(champ[k] - chall[k], 4) for k in ("binary_f1", "span_f1")}
    runs.append({"seed": int(s), "challenger": t["model_id"], "promoted": t["promoted"], "reason": t["reason"],
                 "verdict": t.get("verdict"), "dataset": job["result"]["dataset"],
                 "dev_set": {"champion_before": champ, "challenger": chall},
                 "promoted_but_worse_on_dev_by_more_than_0.01": bool(t["promoted"] and max(worse.values()) > 0.01)})
json.dump({
    "what": "POST /retrain on server defaults, one seed after another on the same data dir; each decision beside the dev-set scores of the champion it faced and the challenger (the rule never reads the dev set)",
    "command": f'DATA=<bootstrap data dir> SEEDS="{" ".join(seeds)}" scripts/bench-retrain.sh',
    "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
    "machine": f"{cpu}, {os.cpu_count()} cores",
    "runs": runs,
    "agreement": not any(r["promoted_but_worse_on_dev_by_more_than_0.01"] for r in runs),
}, open(out, "w"), indent=1)
print(out)
EOF
