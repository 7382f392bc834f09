#!/usr/bin/env bash
# Generation benchmark (not a test): dataset-building records/minute and LLM tokens/s from the real SmolLM2,
# plus prefill/decode tokens/s on a fixed prompt, next to llama.cpp on the same GGUF and thread count when
# llama-cpp-python is installed in bench/.venv (scripts/setup-bench.sh). Usage: scripts/bench-generation.sh [RECORDS]
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-60}
threads=$(nproc)
scripts/fetch-weights.sh >/dev/null
cargo build --release -q -p blogbot-server
bin=${CARGO_TARGET_DIR:-target}/release/blogbot-server
gguf=weights/llm/SmolLM2-135M-Instruct.Q8_0.gguf
out=$(mktemp -d)/ds
trap 'rm -rf "$(dirname "$out")"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
"$bin" generate --size "$records" --seed 7 --out "$out" 2>/dev/null >"$out.json"
python3 - "$out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
l = r["llm"]
print(f"dataset build: {r['size']} records, {r['records_per_minute']:.1f} records/min, LLM {l['completion_tokens'] / r['seconds']:.1f} "
      f"generated tok/s overall ({l['tokens_per_second']:.1f} per request with several in flight), "
      f"acceptance {100*l['acceptance_rate']:.1f}% ({l['records_accepted']}/{l['records_tried']}), methods {r['by_method']}")
PY
ours=$("$bin" bench-llm --prompt bench/prompt.txt --max-tokens 64 --runs 5 2>/dev/null)
ref=""
if [ -x bench/.venv/bin/python ] && bench/.venv/bin/python -c 'import llama_cpp' 2>/dev/null; then
  ref=$(bench/.venv/bin/python bench/llama_cpp_llm.py "$gguf" bench/prompt.txt "$threads" 64 5)
fi
python3 - "$ours" "$ref" <<'PY'
import json, sys
ours = json.loads(sys.argv[1])
ref = json.loads(sys.argv[2]) if sys.argv[2] else None
print(f"{'metric':<22}{'mistral.rs':>12}{'llama.cpp':>12}{'ratio':>8}")
for k, name in [("prefill_tok_per_sec", "prefill tok/s"), ("decode_tok_per_sec", "decode tok/s")]:
    r = ref[k] if ref else None
    print(f"{name:<22}{ours[k]:>12.1f}{(f'{r:.1f}' if r else 'n/a'):>12}{(f'{ours[k]/r:.2f}x' if r else '-'):>8}")
print(f"prompt {ours['prompt_tokens']} tokens, {ours['completion_tokens']} generated, greedy, {ours['runs']} runs (medians)")
if not ref:
    print("llama.cpp reference not installed: scripts/setup-bench.sh")
PY
