#!/usr/bin/env bash
# Installs the Python references for scripts/bench.sh into bench/.venv, pinned: llama-cpp-python (built from
# source by pip, needs a C++ compiler; ~10-15 minutes on 2 cores) for the LLM, and PyTorch + transformers for
# MiniLM. PyPI has no CPU-only torch for Linux x86_64, so this is the CUDA build (~5 GB with its nvidia-*
# packages); it runs on the CPU here. Idempotent: whatever is already installed at the pinned version is kept.
# The benchmarks run without any of it (the reference columns then say n/a).
set -euo pipefail
cd "$(dirname "$0")/.."
LLAMA_CPP_PYTHON=0.3.36
TORCH=2.15.0
TRANSFORMERS=5.23.0

[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
py=bench/.venv/bin/python
have() { "$py" -c "import importlib.metadata as m, sys; sys.exit(m.version('$1') != '$2')" 2>/dev/null; }
pip() { "$py" -m pip install -q --disable-pip-version-check "$@"; }

have llama-cpp-python "$LLAMA_CPP_PYTHON" ||
  CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} pip "llama-cpp-python==$LLAMA_CPP_PYTHON"
{ have torch "$TORCH" && have transformers "$TRANSFORMERS"; } || pip "torch==$TORCH" "transformers==$TRANSFORMERS"
"$py" -c 'import llama_cpp, torch, transformers as t
print("bench/.venv: llama-cpp-python", llama_cpp.__version__, "torch", torch.__version__, "transformers", t.__version__)'
