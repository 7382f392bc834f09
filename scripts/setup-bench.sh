#!/usr/bin/env bash
# Installs the Python references for the benchmarks into bench/.venv: llama-cpp-python (built from source by
# pip; needs a C++ compiler) for generation. Slow on 2 cores (~10 minutes); benchmarks run without it.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv bench/.venv
bench/.venv/bin/pip install -q --disable-pip-version-check "llama-cpp-python==0.3.36"
