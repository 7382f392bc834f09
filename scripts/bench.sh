#!/usr/bin/env bash
# The benchmark suite (not a test): blogbot next to its references in one run, same weights, same thread count,
# medians of BENCH_RUNS runs (default 3), printed as a table (workload | blogbot | reference | ratio) and written
# to bench/results/<date>-bench-<host kind>.{json,txt} (e.g. cpu-amd-epyc-2core, or
# cpu-amd-epyc-2core-1thread with BENCH_THREADS=1)
# with the machine, its load and the commit.
#   - LLM prefill and decode tok/s: `blogbot-server bench-llm` (mistral.rs) vs llama.cpp through
#     llama-cpp-python (bench/llama_cpp_llm.py), SmolLM2-135M Q8_0 GGUF, bench/prompt.txt, 64 greedy tokens.
#   - Classifier posts/s at 1, 8 and 32 posts per call, as served (int8 dense layers on AVX2 / AVX-512 VNNI CPUs) and in
#     f32, on BENCH_POSTS (default 30, spread over the file order;
#     0 = all 90) real posts of data/sample-posts in 128-token windows (stride 32, the bootstrap model's), and
#     training examples/s at batch 16 x 128: candle (classifier/examples/bench.rs) vs PyTorch + transformers
#     (bench/torch_classifier.py), MiniLM weights/encoder.
# The references come from scripts/setup-bench.sh (bench/.venv); without them the reference column says n/a.
# Usage: scripts/bench.sh   (env: BENCH_RUNS, BENCH_POSTS, BENCH_THREADS (default: nproc), BENCH_BUILD); ~12 minutes
# on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-3}
threads=${BENCH_THREADS:-$(nproc)}
posts=${BENCH_POSTS:-30}
export RAYON_NUM_THREADS=$threads
py=bench/.venv/bin/python
gguf=weights/llm/SmolLM2-135M-Instruct.Q8_0.gguf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs a command whose last stdout line is its JSON figures; stderr is shown only if it fails.
figures() {
  local name=$1
  shift
  echo "running $name..." >&2
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || { cat "$tmp/$name.err" >&2; exit 1; }
  tail -n1 "$tmp/$name.out" >"$tmp/$name.json"
}
has() { [ -x "$py" ] && "$py" -c "import $1" 2>/dev/null; }

scripts/fetch-weights.sh >/dev/null
# BENCH_BUILD=0 takes the binaries already built (e.g. by `cargo test --release --workspace`, whose feature set
# differs from `-p blogbot-server`'s, so that switching between the two rebuilds mistral.rs).
if [ "${BENCH_BUILD:-1}" != 0 ]; then
  cargo build --release -q -p blogbot-server
fi
cargo build --release -q -p blogbot-classifier --example bench
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

bin=${CARGO_TARGET_DIR:-target}/release
figures llm_blogbot "$bin/blogbot-server" --threads "$threads" bench-llm --prompt bench/prompt.txt \
  --max-tokens 64 --runs "$runs"
if has llama_cpp; then
  figures llm_reference "$py" bench/llama_cpp_llm.py "$gguf" bench/prompt.txt "$threads" 64 "$runs"
fi
# As served (int8 dense layers where the CPU has AVX2 or AVX-512 VNNI, f32 elsewhere), then f32 throughout.
figures classifier_blogbot "$bin/examples/bench" --posts data/sample-posts --limit "$posts" --max-len 128 \
  --stride 32 --runs "$runs" --int8 1
figures classifier_f32 "$bin/examples/bench" --posts data/sample-posts --limit "$posts" --max-len 128 \
  --stride 32 --runs "$runs" --int8 0 --train-steps 1
if has torch && has transformers; then
  figures classifier_reference "$py" bench/torch_classifier.py data/sample-posts "$posts" "$threads" 128 32 "$runs" 3
fi

commit=$(git rev-parse --short HEAD)$( [ -z "$(git status --porcelain --untracked-files=no)" ] || echo "-dirty")
python3 - "$tmp" "$runs" "$threads" "$load_before" "$commit" <<'PY'
import datetime, json, os, platform, subprocess, sys

tmp, runs, threads, load_before, commit = sys.argv[1:]
def load(name):
    p = os.path.join(tmp, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
llm, llm_ref, cls, cls_ref, cls_f32 = (load(n) for n in
    ("llm_blogbot", "llm_reference", "classifier_blogbot", "classifier_reference", "classifier_f32"))
served = "int8" if cls["int8_layers"] else "f32"

rows = [
    (f"LLM prefill tok/s ({llm['prompt_tokens']}-token prompt) vs llama.cpp", "prefill_tok_per_sec", llm, llm_ref),
    ("LLM decode tok/s (64 greedy tokens) vs llama.cpp", "decode_tok_per_sec", llm, llm_ref),
]
rows += [(f"classify posts/s, {b} post{'s' * (b != '1')} per call ({served}, as served) vs PyTorch f32",
          ("infer_posts_per_sec", b), cls, cls_ref) for b in ("1", "8", "32")]
if served != "f32":
    rows += [(f"classify posts/s, {b} post{'s' * (b != '1')} per call (f32) vs PyTorch f32",
              ("infer_posts_per_sec", b), cls_f32, cls_ref) for b in ("1", "32")]
rows.append(("train examples/s, batch 16 x 128 vs PyTorch", "train_examples_per_sec", cls, cls_ref))

def get(d, key):
    if d is None:
        return None
    return d[key[0]][key[1]] if isinstance(key, tuple) else d[key]

table = []
for name, key, ours, ref in rows:
    a, b = get(ours, key), get(ref, key)
    table.append({"workload": name, "blogbot": round(a, 2), "reference": None if b is None else round(b, 2),
                  "ratio": None if not b else round(a / b, 2)})

cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
            if l.startswith("Model name")), platform.processor())
nproc = os.cpu_count()
load_after = " ".join(open("/proc/loadavg").read().split()[:3])
loaded = float(load_before.split()[0]) >= 0.5
machine = {"nproc": nproc, "cpu": cpu, "load_avg_before": load_before, "load_avg_after": load_after}
date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
# The CPU's first two words (e.g. amd-epyc, intel-xeon) keep runs on different machines of a day apart.
cpu_kind = "-".join("".join(c for c in w.lower() if c.isalnum()) for w in cpu.replace("(R)", "").split()[:2])
host_kind = f"cpu-{cpu_kind}-{nproc}core" + ("" if int(threads) == nproc else f"-{threads}thread")

def fmt(v, suffix=""):
    return "n/a" if v is None else f"{v:.{0 if v >= 100 else 1 if v >= 10 else 2}f}{suffix}"
lines = [
    f"blogbot benchmarks, {date}, commit {commit}: {nproc} cores ({cpu}), {threads} threads on each side, medians of {runs} runs",
    f"load average before/after: {load_before} / {load_after}"
    + (" (other jobs were running: absolute figures are low, and a reference whose threads spin-wait can"
    " collapse when it asks for every core; BENCH_THREADS=1 compares fairly then)" if loaded else ""),
    "",
    "| workload | blogbot | reference | ratio |",
    "|---|---|---|---|",
]
lines += [f"| {r['workload']} | {fmt(r['blogbot'])} | {fmt(r['reference'])} | {fmt(r['ratio'], 'x')} |" for r in table]
lines += ["", "blogbot: mistral.rs (LLM), candle (classifier); ratio = blogbot / reference, higher is better.",
          f"references: {llm_ref['engine'] if llm_ref else 'llama.cpp not installed'}; "
          f"{cls_ref['engine'] + ' + transformers, attention ' + cls_ref['attention'] if cls_ref else 'PyTorch not installed'}"
          + ("" if llm_ref and cls_ref else " (scripts/setup-bench.sh installs them)"),
          f"classifier: {cls['posts']} posts of data/sample-posts, {cls['tokens']} tokens, {cls['windows']} windows of "
          f"<= {cls['max_len']} tokens (stride {cls['stride']}), 32 windows per forward pass padded per batch"]
text = "\n".join(lines)
print(text)

os.makedirs("bench/results", exist_ok=True)
base = f"bench/results/{date}-bench-{host_kind}"
result = {"date": date, "host_kind": host_kind, "commit": commit, "machine": machine, "threads": int(threads),
          "runs": int(runs), "loaded": loaded, "table": table,
          "raw": {"llm_blogbot": llm, "llm_reference": llm_ref, "classifier_blogbot": cls, "classifier_f32": cls_f32,
                  "classifier_reference": cls_ref}}
json.dump(result, open(base + ".json", "w"), indent=2)
open(base + ".txt", "w").write(text + "\n")
print(f"\nwritten: {base}.json, {base}.txt")
PY
