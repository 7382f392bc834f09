#!/usr/bin/env bash
# The quality run (not part of CI; ~1.5-2 h on 2 cores): builds an LLM dataset from data/sample-posts/, trains a
# model on it through the real server's API, evaluates it on the dataset's held-out test split (beside the rule
# baseline), and scores it on the development set when ../shared/dev-set/ exists.
# Output: bench/results/<date>-eval-<size>.json (dataset report, training result, test metrics, dev-set scores).
#
#   SIZE=1000 SEED=11 EPOCHS=4 MAX_LEN=128 scripts/eval.sh
# USE_LLM=0 builds the records from template sentences instead of the LLM (minutes instead of ~1.5 h).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1000}
SEED=${SEED:-11}
USE_LLM=${USE_LLM:-1}
EPOCHS=${EPOCHS:-4}
MAX_LEN=${MAX_LEN:-128}
BATCH=${BATCH:-16}
LR=${LR:-5e-5}
PORT=${PORT:-18087}
DEV_SET=${DEV_SET:-../shared/dev-set}
if [[ $USE_LLM == 1 ]]; then use_llm=true; kind=llm; else use_llm=false; kind=template; fi
RUN=$(date -u +%Y-%m-%d)-eval-$kind-$SIZE
DATA=${DATA:-eval-state/$RUN}
OUT=bench/results/$RUN.json
TARGET=${CARGO_TARGET_DIR:-target}

scripts/fetch-weights.sh
if [[ -z ${BIN:-} ]]; then
  cargo build --release -p blogbot-server
  BIN=$TARGET/release/blogbot-server
fi
mkdir -p "$DATA"
BASE=http://127.0.0.1:$PORT
"$BIN" --weights weights --data-dir "$DATA" serve --bind "127.0.0.1:$PORT" --no-bootstrap >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
until curl -sf "$BASE/health" >/dev/null; do
  kill -0 $SERVER 2>/dev/null || { echo "server died; see $DATA/server.log" >&2; exit 1; }
  sleep 1
done

# Waits for a job, printing its progress; prints the job's JSON at the end.
wait_job() {
  local id=$1 job state
  while true; do
    job=$(curl -sf "$BASE/jobs/$id")
    state=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' <<<"$job")
    case $state in
      succeeded) echo "$job"; return 0 ;;
      failed|cancelled) echo "job $id $state: $job" >&2; return 1 ;;
    esac
    python3 -c 'import json,sys; j=json.load(sys.stdin); print("  %s %5.1f%% %s" % (j["kind"], j["progress"] * 100, j["message"]), file=sys.stderr)' <<<"$job"
    sleep 30
  done
}

started=$(date +%s)
echo "building a $SIZE-record $kind dataset (seed $SEED)" >&2
job=$(curl -sf -X POST "$BASE/datasets" -H 'content-type: application/json' \
  -d "{\"size\": $SIZE, \"seed\": $SEED, \"use_llm\": $use_llm}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
dataset_job=$(wait_job "$job")
dataset_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["dataset_id"])' <<<"$dataset_job")
built=$(date +%s)

echo "training on $dataset_id: $EPOCHS epochs, max_len $MAX_LEN, batch $BATCH, lr $LR" >&2
job=$(curl -sf -X POST "$BASE/train" -H 'content-type: application/json' \
  -d "{\"dataset_id\": \"$dataset_id\", \"epochs\": $EPOCHS, \"max_len\": $MAX_LEN, \"batch_size\": $BATCH, \"lr\": $LR, \"seed\": $SEED}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
train_job=$(wait_job "$job")
model_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["model_id"])' <<<"$train_job")
trained=$(date +%s)
curl -sf "$BASE/models/$model_id" >"$DATA/model.json"
curl -sf "$BASE/datasets/$dataset_id" >"$DATA/dataset.json"
echo "$train_job" >"$DATA/train-job.json"
kill $SERVER; wait $SERVER 2>/dev/null || true

echo null >"$DATA/dev-score.json"
if [[ -f $DEV_SET/dev.jsonl ]]; then
  echo "scoring on the development set" >&2
  "$BIN" --weights weights --data-dir "$DATA" predict --model "$model_id" --input "$DEV_SET/dev.jsonl" --out "$DATA/dev-pred.jsonl"
  "$BIN" --weights weights --data-dir "$DATA" predict --model rules --input "$DEV_SET/dev.jsonl" --out "$DATA/dev-pred-rules.jsonl"
  python3 -c '
import json, subprocess, sys
d = {}
for name, pred in (("model", sys.argv[2]), ("rules", sys.argv[3])):
    d[name] = json.loads(subprocess.check_output([sys.executable, sys.argv[1] + "/score.py", sys.argv[1] + "/dev.jsonl", pred, "--json"]))
print(json.dumps(d))' "$DEV_SET" "$DATA/dev-pred.jsonl" "$DATA/dev-pred-rules.jsonl" >"$DATA/dev-score.json"
fi

python3 - "$DATA" "$OUT" <<EOF
import json, platform, os, subprocess, sys
data, out_path = sys.argv[1], sys.argv[2]
load = lambda name: json.load(open(os.path.join(data, name)))
out = {
  "run": "$RUN", "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
  "commit": subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], text=True).strip(),
  "params": {"size": $SIZE, "use_llm": json.loads("$use_llm"), "seed": $SEED, "epochs": $EPOCHS, "max_len": $MAX_LEN, "batch_size": $BATCH, "lr": $LR},
  "seconds": {"dataset": $built - $started, "training": $trained - $built},
  "dataset": load("dataset.json"),
  "training_job": load("train-job.json")["result"],
  "model": load("model.json"),
  "dev_set": load("dev-score.json"),
}
json.dump(out, open(out_path, "w"), indent=1)
print("wrote", out_path)
EOF
